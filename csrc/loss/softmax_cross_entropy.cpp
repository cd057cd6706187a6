#include "loss/softmax_cross_entropy.hpp"

#include <cmath>
#include <omp.h>
#include <vector>

#include "common/check.hpp"
#include "common/threads.hpp"

namespace pykeras {

namespace {

// The rows' shared pass: per row, exp(z - max) once into e (double), then row(i, z, zmax, e, sum, g, s)
// gives the row's loss and writes its gradient g (null when not wanted) from them, scaled by s: scale,
// times the row's weight if any. The row's loss is weighted here.
template <typename Row>
double mean_over_rows(int64_t m, int64_t c, const float* logits, float* dlogits, double scale,
                      const float* row_weights, const Row& row) {
  if (m == 0) return 0.0;
  // Per-row losses, summed in row order afterwards: the result does not depend on the thread count.
  std::vector<double> row_loss(static_cast<size_t>(m));
  // The exp in double dominates: on one Zen 4 core about 8 ns a logit, the time of some 800 flops
  // of GEMM, so the loss asks for threads as a GEMM of that size would.
  constexpr double kFlopsPerLogit = 800.0;
  const int nt = threads_for_flops(static_cast<double>(m * c) * kFlopsPerLogit);
  // One row's worth per thread, allocated here: nothing may throw inside the parallel region.
  std::vector<double> exps(static_cast<size_t>(nt * c));
#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    double* const e = exps.data() + static_cast<int64_t>(omp_get_thread_num()) * c;
#pragma omp for schedule(static)
    for (int64_t i = 0; i < m; ++i) {
      const float* z = logits + i * c;
      float zmax = z[0];
      for (int64_t j = 1; j < c; ++j) zmax = z[j] > zmax ? z[j] : zmax;
      double sum = 0.0;
      for (int64_t j = 0; j < c; ++j) sum += e[j] = std::exp(static_cast<double>(z[j]) - zmax);
      const double weight = row_weights == nullptr ? 1.0 : row_weights[i];  // times 1.0: exact
      row_loss[static_cast<size_t>(i)] =
          weight * row(i, z, zmax, e, sum, dlogits == nullptr ? nullptr : dlogits + i * c, scale * weight);
    }
  }
  double total = 0.0;
  for (double l : row_loss) total += l;
  return total / static_cast<double>(m);
}

}  // namespace

template <typename Label>
double softmax_cross_entropy(int64_t m, int64_t c, const float* logits, const Label* labels,
                             float* dlogits, float grad_scale, const float* row_weights) {
  const char* op = "softmax_cross_entropy";
  check_nonnegative(op, "m", m);
  check_nonnegative(op, "c", c);
  for (int64_t i = 0; i < m; ++i) {
    check(labels[i] >= 0 && static_cast<int64_t>(labels[i]) < c, op, ": labels must lie in [0, ", c,
          ") for ", c, " classes. Received: labels[", i, "]=", static_cast<int64_t>(labels[i]));
  }
  const double scale = m == 0 ? 0.0 : static_cast<double>(grad_scale) / static_cast<double>(m);
  return mean_over_rows(m, c, logits, dlogits, scale, row_weights,
                        [&](int64_t i, const float* z, float zmax, const double* e, double sum, float* g, double s) {
                          const int64_t label = static_cast<int64_t>(labels[i]);
                          // Read before g is written: g may be z.
                          const double loss = std::log(sum) - (static_cast<double>(z[label]) - zmax);
                          if (g != nullptr) {
                            const double inv_sum = 1.0 / sum;
                            for (int64_t j = 0; j < c; ++j)
                              g[j] = static_cast<float>(s * (e[j] * inv_sum - (j == label ? 1.0 : 0.0)));
                          }
                          return loss;
                        });
}

double softmax_cross_entropy(int64_t m, int64_t c, const float* logits, ClassProbabilities targets,
                             float* dlogits, float grad_scale, const float* row_weights) {
  const char* op = "softmax_cross_entropy";
  check_nonnegative(op, "m", m);
  check_nonnegative(op, "c", c);
  const double scale = m == 0 ? 0.0 : static_cast<double>(grad_scale) / static_cast<double>(m);
  return mean_over_rows(m, c, logits, dlogits, scale, row_weights,
                        [&](int64_t i, const float* z, float zmax, const double* e, double sum, float* g, double s) {
                          const float* t = targets.values + i * c;
                          const double log_sum = std::log(sum);
                          double loss = 0.0, mass = 0.0;
                          for (int64_t j = 0; j < c; ++j) {
                            loss += t[j] * (log_sum - (static_cast<double>(z[j]) - zmax));
                            mass += t[j];
                          }
                          if (g != nullptr) {
                            const double inv_sum = 1.0 / sum;
                            for (int64_t j = 0; j < c; ++j)
                              g[j] = static_cast<float>(s * (e[j] * inv_sum * mass - t[j]));
                          }
                          return loss;
                        });
}

template double softmax_cross_entropy<int32_t>(int64_t, int64_t, const float*, const int32_t*, float*, float,
                                               const float*);
template double softmax_cross_entropy<int64_t>(int64_t, int64_t, const float*, const int64_t*, float*, float,
                                               const float*);

}  // namespace pykeras
