#include "dense/dense.hpp"

#include "common/check.hpp"
#include "common/workspace.hpp"
#include "elementwise/elementwise.hpp"
#include "gemm/sgemm.hpp"

namespace pykeras {
namespace {
// Leading dimension of a packed row-major matrix with `cols` columns (BLAS wants >= 1 even when empty).
int64_t ld(int64_t cols) { return cols > 1 ? cols : 1; }
}  // namespace

void dense_forward(int64_t m, int64_t k, int64_t n, const float* x, const float* w, const float* b,
                   Activation act, float* out) {
  gemm::Epilogue ep;
  ep.bias = b;
  ep.relu = act == Activation::relu;
  gemm::sgemm(false, false, m, n, k, 1.0f, x, ld(k), w, ld(n), 0.0f, out, ld(n), ep);
}

void dense_backward(int64_t m, int64_t k, int64_t n, const float* x, const float* w, const float* y,
                    const float* dy, Activation act, float* dx, float* dw, float* db) {
  check_nonnegative("dense_backward", "m", m);
  check_nonnegative("dense_backward", "k", k);
  check_nonnegative("dense_backward", "n", n);
  const float* dz = dy;
  if (act == Activation::relu && m > 0 && n > 0) {
    float* tmp = thread_workspace().temp.get(static_cast<size_t>(m) * static_cast<size_t>(n));
    relu_backward(m * n, dy, y, tmp);
    dz = tmp;
  }
  // dw = x^T dz: x is stored m x k, so op(A) = x^T is k x m (trans_a, lda = k).
  gemm::sgemm(true, false, k, n, m, 1.0f, x, ld(k), dz, ld(n), 0.0f, dw, ld(n));
  if (db != nullptr) bias_grad(m, n, dz, db);
  // dx = dz w^T: w is stored k x n, so op(B) = w^T is n x k (trans_b, ldb = n).
  if (dx != nullptr) gemm::sgemm(false, true, m, k, n, 1.0f, dz, ld(n), w, ld(n), 0.0f, dx, ld(k));
}

}  // namespace pykeras
