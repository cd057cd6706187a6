#include "gemm/pack.hpp"

#include <cstring>

namespace pykeras::gemm {

void pack_a_panel(bool trans, const float* a, int64_t lda, int64_t i0, int mr, int64_t p0, int64_t kc,
                  int MR, float* dst) {
  if (trans) {
    // op(A) column p is stored contiguously: a row of the stored k x m matrix.
    for (int64_t p = 0; p < kc; ++p) {
      const float* src = a + (p0 + p) * lda + i0;
      float* d = dst + p * MR;
      int i = 0;
      for (; i < mr; ++i) d[i] = src[i];
      for (; i < MR; ++i) d[i] = 0.0f;
    }
    return;
  }
  // op(A) rows are stored contiguously: read mr row streams side by side.
  if (mr < MR) std::memset(dst, 0, sizeof(float) * static_cast<size_t>(kc) * MR);
  for (int i = 0; i < mr; ++i) {
    const float* src = a + (i0 + i) * lda + p0;
    float* d = dst + i;
    for (int64_t p = 0; p < kc; ++p) d[p * MR] = src[p];
  }
}

void pack_b_panel(bool trans, const float* b, int64_t ldb, int64_t p0, int64_t kc, int64_t j0, int nr,
                  int NR, float* dst) {
  if (!trans) {
    // op(B) row p is stored contiguously.
    for (int64_t p = 0; p < kc; ++p) {
      const float* src = b + (p0 + p) * ldb + j0;
      float* d = dst + p * NR;
      int j = 0;
      for (; j < nr; ++j) d[j] = src[j];
      for (; j < NR; ++j) d[j] = 0.0f;
    }
    return;
  }
  // op(B) column j is row j of the stored n x k matrix.
  if (nr < NR) std::memset(dst, 0, sizeof(float) * static_cast<size_t>(kc) * NR);
  for (int j = 0; j < nr; ++j) {
    const float* src = b + (j0 + j) * ldb + p0;
    float* d = dst + j;
    for (int64_t p = 0; p < kc; ++p) d[p * NR] = src[p];
  }
}

}  // namespace pykeras::gemm
