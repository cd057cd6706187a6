// C++ kernel test: every compiled ISA the CPU supports against a naive triple loop in double, over
// shapes around the blocking boundaries, all transposes, alpha/beta, padded leading dimensions and the
// bias/relu epilogue, B packed once and held for later products (bit for bit as packed per call), the split-k product of a deep dense forward, and the thread policy's contention
// guard; the activation kernels (tanh, sigmoid, ELU, GELU) against double-precision references; and
// the Philox generator behind the Dropout masks against the published known answers. Exit status 0 when
// all pass.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <thread>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/threads.hpp"
#include "data/dropout_mask.hpp"
#include "data/philox.hpp"
#include "elementwise/activations.hpp"
#include "gemm/dispatch.hpp"
#include "gemm/held_packs.hpp"
#include "gemm/sgemm.hpp"

namespace {

using pykeras::gemm::Epilogue;

int failures = 0;

void naive(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const std::vector<float>& a,
           int64_t lda, const std::vector<float>& b, int64_t ldb, float beta, std::vector<double>& c,
           int64_t ldc, const float* bias, bool relu) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t p = 0; p < k; ++p)
        s += double(ta ? a[p * lda + i] : a[i * lda + p]) * double(tb ? b[j * ldb + p] : b[p * ldb + j]);
      double v = alpha * s + (beta == 0.0f ? 0.0 : beta * c[i * ldc + j]);
      if (bias) v += bias[j];
      if (relu && v < 0) v = 0;
      c[i * ldc + j] = v;
    }
}

void run_case(std::mt19937& rng, bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, float beta,
              bool epilogue) {
  std::uniform_real_distribution<float> u(-1, 1);
  const int64_t lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 1, ldc = n + 2;
  std::vector<float> a((ta ? k : m) * lda + 1), b((tb ? n : k) * ldb + 1), c(m * ldc + 1), bias(n);
  for (auto* v : {&a, &b, &c, &bias})
    for (float& x : *v) x = u(rng);
  if (beta == 0.0f)
    for (float& x : c) x = NAN;
  std::vector<double> ref(c.begin(), c.end());
  naive(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, ref, ldc, epilogue ? bias.data() : nullptr, epilogue);
  Epilogue ep;
  if (epilogue) {
    ep.bias = bias.data();
    ep.relu = true;
  }
  pykeras::gemm::sgemm(ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, c.data(), ldc, ep);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      const double want = ref[i * ldc + j], got = c[i * ldc + j];
      if (!(std::fabs(want - got) <= 1e-4 * (1 + double(k)))) {
        std::printf("FAIL %s ta=%d tb=%d m=%ld n=%ld k=%ld alpha=%g beta=%g ep=%d at (%ld,%ld): %g vs %g\n",
                    pykeras::gemm::active_isa().c_str(), ta, tb, long(m), long(n), long(k), alpha, beta,
                    epilogue, long(i), long(j), got, want);
        ++failures;
        return;
      }
    }
}

// sgemm_split_k against its definition, bit for bit: the two half-depth products by sgemm, summed in
// float, then bias and ReLU; and against the naive loop in double.
void run_split_case(std::mt19937& rng, int64_t m, int64_t n, int64_t k, bool epilogue) {
  std::uniform_real_distribution<float> u(-1, 1);
  const int64_t lda = k + 3, ldb = n + 1, ldc = n + 2, half = k / 2;
  std::vector<float> a(m * lda + 1), b(k * ldb + 1), bias(n), c(m * ldc + 1, NAN), p0(m * n), p1(m * n);
  for (auto* v : {&a, &b, &bias})
    for (float& x : *v) x = u(rng);
  std::vector<double> ref(c.size());
  naive(false, false, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, ref, ldc, epilogue ? bias.data() : nullptr, epilogue);
  Epilogue ep;
  if (epilogue) {
    ep.bias = bias.data();
    ep.relu = true;
  }
  pykeras::gemm::sgemm_split_k(m, n, k, a.data(), lda, b.data(), ldb, c.data(), ldc, ep);
  pykeras::gemm::sgemm(false, false, m, n, half, 1.0f, a.data(), lda, b.data(), ldb, 0.0f, p0.data(), n);
  pykeras::gemm::sgemm(false, false, m, n, k - half, 1.0f, a.data() + half, lda, b.data() + half * ldb, ldb, 0.0f,
                       p1.data(), n);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      float want = p0[i * n + j] + p1[i * n + j];
      if (epilogue) want += bias[j];
      if (epilogue && want < 0.0f) want = 0.0f;
      const float got = c[i * ldc + j];
      const bool close = std::fabs(ref[i * ldc + j] - double(got)) <= 1e-4 * (1 + double(k));
      if (!(got == want) || !close) {
        std::printf("FAIL split_k %s threads=%d m=%ld n=%ld k=%ld ep=%d at (%ld,%ld): %g, want %g (double %g)\n",
                    pykeras::gemm::active_isa().c_str(), pykeras::num_threads(), long(m), long(n), long(k),
                    epilogue, long(i), long(j), got, want, ref[i * ldc + j]);
        ++failures;
        return;
      }
    }
}

}  // namespace

// Parallel requests every 0.2 ms for 15 ms: a team that has been awake longer than the wake window.
void stay_busy(double flops) {
  for (int i = 0; i < 75; ++i) {
    pykeras::threads_for_flops(flops);
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

// A parallel run far slower than one thread would be turns parallelism off, for a while only; slow
// runs just after an idle spell are the team waking up and do not. The scenario depends on timing
// (a gap of over 1 ms between two requests counts as idling), so a test process descheduled at the
// wrong moment can see it differently: it passes if one of three attempts does.
bool contention_guard_scenario(bool report) {
  pykeras::set_num_threads(2);
  const double flops = 1.0e8;
  pykeras::note_run(flops, 1, flops / 5.0e10);  // one thread: 50 GFLOPS
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const bool parallel_at_first = pykeras::threads_for_flops(flops) == 2;
  for (int i = 0; i < 3; ++i) pykeras::note_run(flops, 2, 1.0);  // 0.1 GFLOPS, right after idling
  const bool parallel_while_waking = pykeras::threads_for_flops(flops) == 2;
  stay_busy(flops);
  pykeras::note_run(flops, 2, 1.0);  // a starved team...
  const bool parallel_after_one_slow_run = pykeras::threads_for_flops(flops) == 2;  // (noise)
  pykeras::note_run(flops, 2, 1.0);
  pykeras::note_run(flops, 2, 1.0);  // ...three times in a row
  const bool serial_after_slow_run = pykeras::threads_for_flops(flops) == 1;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const bool parallel_again = pykeras::threads_for_flops(flops) == 2;
  const bool ok = parallel_at_first && parallel_while_waking && parallel_after_one_slow_run &&
                  serial_after_slow_run && parallel_again;
  if (!ok && report)
    std::printf("contention guard: first=%d waking=%d after_one=%d after_three=%d later=%d\n", parallel_at_first,
                parallel_while_waking, parallel_after_one_slow_run, serial_after_slow_run, parallel_again);
  // A one-sample layer split over two threads (0.4 MFLOP, 200K weights) is checked as well: starved
  // three times (1 ms each, against ~8 us on one thread), it runs alone for a while.
  const int64_t weights = 200000;
  stay_busy(flops);
  const bool small_parallel_at_first = pykeras::threads_for_elements(weights) == 2;
  for (int i = 0; i < 3; ++i) pykeras::note_run(4.0e5, 2, 1.0e-3);
  const bool small_serial_after = pykeras::threads_for_elements(weights) == 1;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const bool small_ok = small_parallel_at_first && small_serial_after && pykeras::threads_for_elements(weights) == 2;
  if (!small_ok && report)
    std::printf("contention guard, small runs: first=%d after_slow=%d\n", small_parallel_at_first,
                small_serial_after);
  return ok && small_ok;
}

void check_contention_guard() {
  for (int attempt = 1; attempt <= 3; ++attempt)
    if (contention_guard_scenario(attempt == 3)) return;
  ++failures;
}

// A GEMM of 0.5 MFLOP runs on one thread after an idle spell, on two right after a parallel region
// (the team still spins), and on one again once the team has been idle for longer than that. Timing
// dependent like the guard's scenario (a descheduled process sees the team cold): one of three passes.
bool awake_team_scenario(bool report) {
  pykeras::set_num_threads(2);
  const double small = 5.0e5, tiny = 1.0e5;
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const bool alone_when_idle = pykeras::threads_for_flops(small) == 1;
  pykeras::threads_for_flops(1.0e8);
  const bool split_when_awake = pykeras::threads_for_flops(small) == 2;
  const bool tiny_alone = pykeras::threads_for_flops(tiny) == 1;
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const bool alone_again = pykeras::threads_for_flops(small) == 1;
  const bool ok = alone_when_idle && split_when_awake && tiny_alone && alone_again;
  if (!ok && report)
    std::printf("awake team: idle=%d awake=%d tiny=%d idle_again=%d\n", alone_when_idle, split_when_awake, tiny_alone,
                alone_again);
  return ok;
}

void check_awake_team() {
  for (int attempt = 1; attempt <= 3; ++attempt)
    if (awake_team_scenario(attempt == 3)) return;
  ++failures;
}

// f over x on every ISA the CPU supports gives the portable kernel's bits.
template <typename F>
void expect_every_isa_matches_portable(const char* name, const std::vector<float>& x, const F& f) {
  std::vector<float> portable(x.size()), other(x.size());
  const std::string best = pykeras::gemm::active_isa();
  pykeras::gemm::set_isa("portable");
  f(static_cast<int64_t>(x.size()), x.data(), portable.data());
  for (const std::string& isa : pykeras::gemm::compiled_isas()) {
    try {
      pykeras::gemm::set_isa(isa);
    } catch (const std::invalid_argument&) {
      continue;
    }
    f(static_cast<int64_t>(x.size()), x.data(), other.data());
    if (std::memcmp(other.data(), portable.data(), x.size() * sizeof(float)) != 0) {
      std::printf("FAIL %s: %s differs from portable\n", name, isa.c_str());
      ++failures;
    }
  }
  pykeras::gemm::set_isa(best);
}

// Relative error of got against want, in units of float32's spacing at want.
double ulps(float got, double want) {
  const float rounded = static_cast<float>(want);
  const double ulp = std::nextafter(std::fabs(rounded), 2.0f * std::fabs(rounded) + 1.0f) - std::fabs(rounded);
  return std::fabs(got - want) / ulp;
}

// tanh_values within 1.5 ulp of tanh in double over [-12, 12] (denser near the polynomial's edge at
// 0.625 and near 0), its special values, and tanh_backward's formula.
void check_tanh() {
  std::mt19937 rng(99);
  std::vector<float> x;
  for (auto [lo, hi] : {std::pair{-12.0f, 12.0f}, {-0.7f, 0.7f}, {-1e-3f, 1e-3f}})
    for (int i = 0; i < 400000; ++i) x.push_back(std::uniform_real_distribution<float>(lo, hi)(rng));
  std::vector<float> y(x.size());
  pykeras::tanh_values(static_cast<int64_t>(x.size()), x.data(), y.data());
  double worst = 0;
  float worst_x = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double err = ulps(y[i], std::tanh(static_cast<double>(x[i])));
    if (err > worst) worst = err, worst_x = x[i];
  }
  if (worst > 1.5) {
    std::printf("FAIL tanh: %.2f ulp at x=%.9g\n", worst, worst_x);
    ++failures;
  }
  const float inf = INFINITY;
  const float special[] = {NAN, inf, -inf, 0.0f, -0.0f, 1e-40f, -1e-40f, 9.5f, -30.0f};
  float out[9];
  pykeras::tanh_values(9, special, out);
  const bool ok = std::isnan(out[0]) && out[1] == 1.0f && out[2] == -1.0f && out[3] == 0.0f && !std::signbit(out[3]) &&
                  out[4] == 0.0f && std::signbit(out[4]) && out[5] == 1e-40f && out[6] == -1e-40f &&
                  out[7] == 1.0f && out[8] == -1.0f;
  if (!ok) {
    std::printf("FAIL tanh special values: %g %g %g %g %g %g %g %g %g\n", out[0], out[1], out[2], out[3], out[4],
                out[5], out[6], out[7], out[8]);
    ++failures;
  }
  expect_every_isa_matches_portable("tanh", x, [](int64_t n, const float* in, float* out) {
    pykeras::tanh_values(n, in, out);
  });
  const float dy[3] = {2.0f, -1.5f, 3.0f}, yv[3] = {0.5f, -0.25f, 1.0f};
  float grad[3];
  pykeras::tanh_backward(3, dy, yv, grad);
  if (grad[0] != 1.5f || grad[1] != -1.40625f || grad[2] != 0.0f) {
    std::printf("FAIL tanh_backward: %g %g %g\n", grad[0], grad[1], grad[2]);
    ++failures;
  }
}

// sigmoid_values within 2.5 ulp of the double formula over [-110, 40], subnormal results included;
// special values; the same bits on every ISA.
void check_sigmoid() {
  std::mt19937 rng(5);
  std::vector<float> x;
  for (auto [lo, hi] : {std::pair{-110.0f, 40.0f}, {-6.0f, 6.0f}})
    for (int i = 0; i < 400000; ++i) x.push_back(std::uniform_real_distribution<float>(lo, hi)(rng));
  std::vector<float> y(x.size());
  pykeras::sigmoid_values(static_cast<int64_t>(x.size()), x.data(), y.data());
  double worst = 0;
  float worst_x = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double v = x[i], e = std::exp(-std::fabs(v));
    const double err = ulps(y[i], v >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e));
    if (err > worst) worst = err, worst_x = x[i];
  }
  if (worst > 2.5) {
    std::printf("FAIL sigmoid: %.2f ulp at x=%.9g\n", worst, worst_x);
    ++failures;
  }
  const float special[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 200.0f, -200.0f};
  float out[7];
  pykeras::sigmoid_values(7, special, out);
  if (!(std::isnan(out[0]) && out[1] == 1.0f && out[2] == 0.0f && out[3] == 0.5f && out[4] == 0.5f &&
        out[5] == 1.0f && out[6] == 0.0f)) {
    std::printf("FAIL sigmoid special values: %g %g %g %g %g %g %g\n", out[0], out[1], out[2], out[3], out[4],
                out[5], out[6]);
    ++failures;
  }
  expect_every_isa_matches_portable("sigmoid", x, [](int64_t n, const float* in, float* o) {
    pykeras::sigmoid_values(n, in, o);
  });
  // SiLU is x times that sigmoid, and the gradients are their float formulas, exactly.
  std::vector<float> dy(x.size()), silu(x.size()), grad(x.size()), silu_grad(x.size());
  for (float& d : dy) d = std::uniform_real_distribution<float>(-2.0f, 2.0f)(rng);
  const auto n = static_cast<int64_t>(x.size());
  pykeras::unary_activation(pykeras::UnaryActivation::silu, n, x.data(), silu.data());
  pykeras::sigmoid_backward(n, dy.data(), y.data(), grad.data());
  pykeras::unary_activation_backward(pykeras::UnaryActivation::silu, n, dy.data(), x.data(), silu_grad.data());
  for (size_t i = 0; i < x.size(); ++i) {
    const float s = y[i];
    if (silu[i] != x[i] * s || grad[i] != (dy[i] * s) * (1.0f - s) ||
        silu_grad[i] != dy[i] * (s + (x[i] * s) * (1.0f - s))) {
      std::printf("FAIL silu / sigmoid_backward at x=%.9g\n", x[i]);
      ++failures;
      break;
    }
  }
  expect_every_isa_matches_portable("sigmoid_backward", x, [&](int64_t m, const float* in, float* o) {
    pykeras::sigmoid_backward(m, dy.data(), in, o);
  });
}

// elu_values (ELU, and SELU with its constants) within 3 ulp of the double formula over [-110, 5],
// special values, the same bits on every ISA; leaky_relu_values exactly x or x * slope.
void check_elu() {
  std::mt19937 rng(6);
  std::vector<float> x;
  for (auto [lo, hi] : {std::pair{-110.0f, 5.0f}, {-1.0f, 1.0f}, {-1e-4f, 1e-4f}})
    for (int i = 0; i < 300000; ++i) x.push_back(std::uniform_real_distribution<float>(lo, hi)(rng));
  std::vector<float> y(x.size());
  const auto n = static_cast<int64_t>(x.size());
  for (auto [alpha, scale] : {std::pair{1.0f, 1.0f}, {1.6732632f, 1.0507010f}}) {
    pykeras::elu_values(n, x.data(), alpha, scale, y.data());
    double worst = 0;
    float worst_x = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      const double v = x[i], want = double(scale) * (v > 0 ? v : double(alpha) * std::expm1(v));
      if (want == 0.0) continue;
      const double err = ulps(y[i], want);
      if (err > worst) worst = err, worst_x = x[i];
    }
    if (worst > 3.0) {
      std::printf("FAIL elu (alpha %g, scale %g): %.2f ulp at x=%.9g\n", alpha, scale, worst, worst_x);
      ++failures;
    }
  }
  const float special[] = {NAN, INFINITY, -INFINITY, 0.0f, -200.0f};
  float out[5];
  pykeras::elu_values(5, special, 1.0f, 1.0f, out);
  if (!(std::isnan(out[0]) && out[1] == INFINITY && out[2] == -1.0f && out[3] == 0.0f && out[4] == -1.0f)) {
    std::printf("FAIL elu special values: %g %g %g %g %g\n", out[0], out[1], out[2], out[3], out[4]);
    ++failures;
  }
  expect_every_isa_matches_portable("elu", x, [](int64_t m, const float* in, float* o) {
    pykeras::elu_values(m, in, 1.6732632f, 1.0507010f, o);
  });
  pykeras::leaky_relu_values(n, x.data(), 0.2f, y.data());
  for (size_t i = 0; i < x.size(); ++i)
    if (y[i] != (x[i] > 0.0f ? x[i] : x[i] * 0.2f)) {
      std::printf("FAIL leaky_relu at x=%.9g: %g\n", x[i], y[i]);
      ++failures;
      break;
    }
  // The gradients are the float formulas exactly (y stands in for the forward's output).
  std::vector<float> dy(x.size()), grad(x.size()), grad2(x.size());
  for (float& d : dy) d = std::uniform_real_distribution<float>(-2.0f, 2.0f)(rng);
  pykeras::elu_backward(n, dy.data(), x.data(), y.data(), 1.7581008f, 1.0507010f, grad.data());
  pykeras::leaky_relu_backward(n, dy.data(), x.data(), 0.2f, grad2.data());
  for (size_t i = 0; i < x.size(); ++i) {
    const float want = x[i] > 0.0f ? dy[i] * 1.0507010f : dy[i] * (y[i] + 1.7581008f);
    const float want2 = x[i] > 0.0f ? dy[i] : dy[i] * 0.2f;
    if (grad[i] != want || grad2[i] != want2) {
      std::printf("FAIL elu_backward / leaky_relu_backward at x=%.9g: %g %g\n", x[i], grad[i], grad2[i]);
      ++failures;
      break;
    }
  }
}

// gelu_values within 3 ulp of x Phi(x) from the library's erfc in double, down to float32's smallest
// normal numbers (x = -13); gelu_backward within 1e-7 of Phi(x) + x phi(x) (its relative error grows
// where that crosses zero); special values; the same bits on every ISA.
void check_gelu() {
  std::mt19937 rng(7);
  std::vector<float> x;
  for (int i = 0; i < 400000; ++i) x.push_back(std::uniform_real_distribution<float>(-13.0f, 8.0f)(rng));
  std::vector<float> y(x.size()), ones(x.size(), 1.0f), slope(x.size());
  const auto n = static_cast<int64_t>(x.size());
  pykeras::gelu_values(n, x.data(), y.data());
  pykeras::gelu_backward(n, ones.data(), x.data(), slope.data());
  double worst = 0, worst_slope = 0;
  float worst_x = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double v = x[i], phi = 0.5 * std::erfc(-v / std::sqrt(2.0));
    const double want = v * phi;
    if (std::fabs(want) >= 1.1754944e-38) {
      const double err = ulps(y[i], want);
      if (err > worst) worst = err, worst_x = x[i];
    }
    const double d = phi + v * std::exp(-0.5 * v * v) / std::sqrt(2.0 * M_PI);
    worst_slope = std::max(worst_slope, std::fabs(slope[i] - d));
  }
  if (worst > 3.0 || worst_slope > 1e-7) {
    std::printf("FAIL gelu: %.2f ulp at x=%.9g; gradient off by %.3g\n", worst, worst_x, worst_slope);
    ++failures;
  }
  const float special[] = {NAN, INFINITY, 0.0f, -0.0f, -40.0f, 40.0f};
  float out[6];
  pykeras::gelu_values(6, special, out);
  if (!(std::isnan(out[0]) && out[1] == INFINITY && out[2] == 0.0f && std::signbit(out[3]) && out[4] == 0.0f &&
        out[5] == 40.0f)) {
    std::printf("FAIL gelu special values: %g %g %g %g %g %g\n", out[0], out[1], out[2], out[3], out[4], out[5]);
    ++failures;
  }
  expect_every_isa_matches_portable("gelu", x, [](int64_t m, const float* in, float* o) {
    pykeras::gelu_values(m, in, o);
  });
  expect_every_isa_matches_portable("gelu_backward", x, [&](int64_t m, const float* in, float* o) {
    pykeras::gelu_backward(m, ones.data(), in, o);
  });
}

// The unary activations at hand-derived points, softplus within 1 ulp of the library's log1p and exp
// in double, and the same bits on every ISA (the Python tests compare the exact ones with numpy's
// formulas bit for bit, the others with float64 references).
void check_unary() {
  using pykeras::UnaryActivation;
  struct Case {
    UnaryActivation kind;
    float x, y, grad_of_one;  // y = f(x); grad_of_one = f'(x) for dy = 1
  };
  const Case cases[] = {
      {UnaryActivation::relu6, 7.0f, 6.0f, 0.0f},         {UnaryActivation::relu6, 2.5f, 2.5f, 1.0f},
      {UnaryActivation::relu6, -1.0f, 0.0f, 0.0f},        {UnaryActivation::hard_sigmoid, 0.0f, 0.5f, 1.0f / 6},
      {UnaryActivation::hard_sigmoid, 3.0f, 1.0f, 0.0f},  {UnaryActivation::hard_sigmoid, -4.0f, 0.0f, 0.0f},
      {UnaryActivation::hard_silu, 0.0f, 0.0f, 0.5f},     {UnaryActivation::hard_silu, 3.0f, 3.0f, 1.0f},
      {UnaryActivation::hard_silu, 1.5f, 1.125f, 1.0f},   {UnaryActivation::softsign, 1.0f, 0.5f, 0.25f},
      {UnaryActivation::softsign, -3.0f, -0.75f, 0.0625f}, {UnaryActivation::softplus, 0.0f, 0.6931472f, 0.5f},
      {UnaryActivation::log_sigmoid, 0.0f, -0.6931472f, 0.5f},  {UnaryActivation::mish, 0.0f, 0.0f, 0.6f}};
  for (const Case& c : cases) {
    float y, grad;
    const float one = 1.0f;
    pykeras::unary_activation(c.kind, 1, &c.x, &y);
    pykeras::unary_activation_backward(c.kind, 1, &one, &c.x, &grad);
    if (y != c.y || grad != c.grad_of_one) {
      std::printf("FAIL unary activation %d at x=%g: %g, gradient %g\n", static_cast<int>(c.kind), c.x, y, grad);
      ++failures;
    }
  }
  const float minus_zero = -0.0f;
  float y;
  pykeras::unary_activation(UnaryActivation::relu6, 1, &minus_zero, &y);
  if (!std::signbit(y)) {
    std::printf("FAIL relu6(-0) lost its sign\n");
    ++failures;
  }
  std::mt19937 rng(8);
  std::vector<float> wide;
  for (int i = 0; i < 300000; ++i) wide.push_back(std::uniform_real_distribution<float>(-100.0f, 100.0f)(rng));
  std::vector<float> softplus(wide.size());
  pykeras::unary_activation(UnaryActivation::softplus, static_cast<int64_t>(wide.size()), wide.data(),
                            softplus.data());
  double worst = 0;
  float worst_x = 0;
  for (size_t i = 0; i < wide.size(); ++i) {
    const double v = wide[i], want = (v > 0 ? v : 0.0) + std::log1p(std::exp(-std::fabs(v)));
    if (want < 1.1754944e-38) continue;  // float32 subnormals: fewer bits
    const double err = ulps(softplus[i], want);
    if (err > worst) worst = err, worst_x = wide[i];
  }
  if (worst > 1.0) {
    std::printf("FAIL softplus: %.2f ulp at x=%.9g\n", worst, worst_x);
    ++failures;
  }
  std::vector<float> x = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 3.0f, -3.0f, 6.0f, 1e-45f, -100.0f, 100.0f};
  for (int i = 0; i < 100000; ++i) x.push_back(std::uniform_real_distribution<float>(-8.0f, 8.0f)(rng));
  std::vector<float> dy(x.size());
  for (float& d : dy) d = std::uniform_real_distribution<float>(-2.0f, 2.0f)(rng);
  for (int k = 0; k < pykeras::kUnaryActivations; ++k) {
    const auto kind = static_cast<UnaryActivation>(k);
    expect_every_isa_matches_portable("unary_activation", x, [&](int64_t n, const float* in, float* o) {
      pykeras::unary_activation(kind, n, in, o);
    });
    expect_every_isa_matches_portable("unary_activation_backward", x, [&](int64_t n, const float* in, float* o) {
      pykeras::unary_activation_backward(kind, n, dy.data(), in, o);
    });
  }
}

// Philox4x32-10 against the Random123 known-answer vectors; a dropout mask's element i against word
// i % 4 of block i / 4 computed alone, on every ISA, on 1 and 2 threads, sizes around the kernels'
// 64-element groups and the threads' split.
void check_philox() {
  struct Known {
    uint32_t counter[4], key[2], out[4];
  };
  const Known known[] = {
      {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
      {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff},
       {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
      {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0},
       {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
  };
  for (const Known& k : known) {
    const auto b = pykeras::philox::block(k.counter[0], k.counter[1], k.counter[2], k.counter[3], k.key[0], k.key[1]);
    if (std::memcmp(b.word, k.out, sizeof(k.out)) != 0) {
      std::printf("FAIL philox: known answer for counter %08x differs\n", k.counter[0]);
      ++failures;
    }
  }
  const uint64_t key = 0x0123456789abcdefull;
  const uint32_t threshold = pykeras::dropout_threshold(0.3);
  const std::string best = pykeras::gemm::active_isa();
  for (const std::string& isa : pykeras::gemm::compiled_isas()) {
    try {
      pykeras::gemm::set_isa(isa);
    } catch (const std::invalid_argument&) {
      continue;
    }
    for (int threads : {1, 2}) {
      pykeras::set_num_threads(threads);
      for (int64_t n : {0, 1, 3, 63, 64, 65, 130, 1000, 40001}) {
        std::vector<float> mask(static_cast<size_t>(n) + 1, -1.0f);  // one past the end: must stay
        pykeras::dropout_mask(key, threshold, 2.0f, n, mask.data());
        int wrong = mask[static_cast<size_t>(n)] != -1.0f;
        for (int64_t i = 0; i < n; ++i) {
          const uint64_t c = static_cast<uint64_t>(i / 4);
          const auto b = pykeras::philox::block(static_cast<uint32_t>(c), static_cast<uint32_t>(c >> 32), 0, 0,
                                                static_cast<uint32_t>(key), static_cast<uint32_t>(key >> 32));
          wrong += mask[static_cast<size_t>(i)] != ((b.word[i % 4] >> 8) >= threshold ? 2.0f : 0.0f);
        }
        if (wrong) {
          std::printf("FAIL dropout_mask: %s, %d threads, n=%lld: %d elements wrong\n", isa.c_str(), threads,
                      static_cast<long long>(n), wrong);
          ++failures;
        }
      }
    }
  }
  pykeras::gemm::set_isa(best);
}

// Products lending one HeldPacks, bit for bit as without it: B is packed by the first product and read
// from the pack by the second (a new A each time). With `variants`, a second B is held beside the
// first, the same B pointer with one column fewer is a pack of its own, and the first B, met again,
// is found.
void run_held_case(std::mt19937& rng, int64_t m, int64_t n, int64_t k, bool epilogue, bool variants,
                   int64_t budget = int64_t{16} << 20) {
  std::uniform_real_distribution<float> u(-1, 1);
  const int64_t ldb = n + 3;
  std::vector<float> b1(k * ldb), b2(k * ldb), bias(n), a(m * k), c(m * n), want(m * n);
  for (auto* v : {&b1, &b2, &bias}) for (float& x : *v) x = u(rng);
  Epilogue ep;
  if (epilogue) {
    ep.bias = bias.data();
    ep.relu = true;
  }
  // Past the budget nothing is held and the products pack B themselves (a pack is at most n rounded up
  // to 32 columns, the widest tile, by k).
  const bool held_at_all = budget >= (n + 31) / 32 * 32 * k;
  struct Operand { const float* b; int64_t cols; size_t held_after; };
  std::vector<Operand> order{{b1.data(), n, held_at_all ? 1u : 0u}};
  if (variants) order.insert(order.end(), {{b1.data(), n - 1, 2}, {b2.data(), n, 3}, {b1.data(), n, 3}});
  pykeras::gemm::HeldPacks held(budget);
  for (const Operand& op : order) {
    for (int call = 0; call < 2; ++call) {
      for (float& x : a) x = u(rng);
      pykeras::gemm::sgemm(false, false, m, op.cols, k, 1.0f, a.data(), k, op.b, ldb, 0.0f, want.data(), op.cols, ep);
      pykeras::gemm::sgemm(false, false, m, op.cols, k, 1.0f, a.data(), k, op.b, ldb, 0.0f, c.data(), op.cols, ep,
                           &held);
      if (std::memcmp(c.data(), want.data(), sizeof(float) * m * op.cols) != 0) {
        std::printf("FAIL %s held B m=%ld n=%ld k=%ld call %d: not the bits of the product without it\n",
                    pykeras::gemm::active_isa().c_str(), long(m), long(op.cols), long(k), call);
        ++failures;
        return;
      }
    }
    if (held.size() != op.held_after) {
      std::printf("FAIL %s held B m=%ld n=%ld k=%ld: %zu packs held, expected %zu\n",
                  pykeras::gemm::active_isa().c_str(), long(m), long(op.cols), long(k), held.size(), op.held_after);
      ++failures;
      return;
    }
  }
}

int main() {
  check_philox();
  check_tanh();
  check_sigmoid();
  check_elu();
  check_gelu();
  check_unary();
  check_contention_guard();
  check_awake_team();
  std::mt19937 rng(1234);
  const int64_t sizes[] = {0, 1, 2, 3, 5, 11, 12, 13, 31, 32, 33, 97, 121, 241, 513};
  int cases = 0;
  for (const std::string& isa : pykeras::gemm::compiled_isas()) {
    try {
      pykeras::gemm::set_isa(isa);
    } catch (const std::invalid_argument&) {
      std::printf("skip %s (not supported by this CPU)\n", isa.c_str());
      continue;
    }
    for (int threads : {1, 2}) {
      pykeras::set_num_threads(threads);
      for (int64_t m : sizes)
        for (int64_t n : {int64_t(1), int64_t(17), int64_t(64), int64_t(100)})
          for (int64_t k : {int64_t(0), int64_t(1), int64_t(7), int64_t(513), int64_t(1025)}) {
            const int t = cases++;
            run_case(rng, t & 1, t & 2, m, n, k, (t % 5) ? 1.0f : -0.5f, (t % 3) ? 0.0f : 0.75f, t % 7 == 0);
          }
    }
    // Three threads splitting rows whose own copies of B would exceed the limit (3 x 8 MB blocks):
    // the team packs each B block together, over two column blocks and two depth blocks.
    pykeras::set_num_threads(3);
    run_case(rng, false, true, 144, 2100, 1100, 1.0f, 0.0f, cases++ % 2 == 0);
    run_case(rng, true, true, 150, 2100, 1100, 1.0f, 0.5f, cases++ % 2 == 0);
    for (int threads : {1, 2, 3}) {
      pykeras::set_num_threads(threads);
      for (int64_t m : {0, 1, 2, 4, 5, 13, 128, 241})
        for (int64_t n : {1, 32, 33, 256})
          for (int64_t k : {2, 3, 512, 785, 2048}) run_split_case(rng, m, n, k, cases++ % 2 == 0);
      // Several blocks of rows, the last one ragged.
      for (int64_t m : {256, 257, 600}) run_split_case(rng, m, 33, 785, cases++ % 2 == 0);
    }
    // Held packs: two column blocks and two depth blocks (n > NC, k > KC), then a small ragged case on
    // one and on three threads.
    pykeras::set_num_threads(2);
    run_held_case(rng, 513, 2080, 1030, cases++ % 2 == 0, false);
    for (int threads : {1, 3}) {
      pykeras::set_num_threads(threads);
      run_held_case(rng, 600, 70, 37, cases++ % 2 == 0, true);
    }
    run_held_case(rng, 600, 70, 37, cases++ % 2 == 0, false, 64);  // a budget too small for any pack
    // A few rows on four threads: each half in two column parts, the last one ragged.
    pykeras::set_num_threads(4);
    for (int64_t m : {1, 4})
      for (int64_t n : {80, 256}) run_split_case(rng, m, n, 2048, cases++ % 2 == 0);
  }
  std::printf("%d cases, %d failures\n", cases, failures);
  return failures ? 1 : 0;
}
