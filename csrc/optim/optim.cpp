// The multi-tensor driver: rule dispatch, gradient transforms chunk by chunk, one thread team per update.
#include "optim/optim.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/check.hpp"
#include "common/threads.hpp"
#include "gemm/dispatch.hpp"
#include "optim/rules.hpp"

namespace pykeras::optim {
namespace {

// Transformed gradients go through a stack buffer of this many floats (8 KiB, in L1 with the chunk
// of every other stream it meets), so a clipped update still reads and writes each array once.
constexpr int64_t kChunk = 2048;
// Threads split a variable at multiples of this many floats: whole 64-byte lines per thread.
constexpr int64_t kSplitAlign = 16;

// The rules follow the GEMM's ISA choice, so set_isa("portable") selects the portable rules too.
const RuleTable& active_rules() {
#if defined(PYKERAS_X86_KERNELS)
  return gemm::table_for_active_isa(kRulesPortable, {&kRulesAvx512, &kRulesAvx2});
#else
  return kRulesPortable;
#endif
}

void check_variables(const char* op, const std::vector<Variable>& vars, const Transforms& tf, int nslots) {
  check(!(tf.scale && tf.clip), op, ": at most one of scale and clip may be set. Received: both");
  for (size_t i = 0; i < vars.size(); ++i) {
    const Variable& x = vars[i];
    check(x.size >= 0, op, ": sizes must be >= 0. Received: size=", x.size, " for variable ", i);
    if (x.size == 0) continue;
    bool ok = x.value != nullptr && x.grad != nullptr;
    for (int s = 0; s < nslots; ++s) ok = ok && x.slot[s] != nullptr;
    check(ok, op, ": variable ", i, " has a null value, gradient or slot pointer. Received: nullptr");
  }
}

// Runs rule(x, offset, count, grad) over part [lo, hi) of one variable, in chunks through the
// transform buffer when the gradient is scaled or clipped or the value decayed.
template <typename Rule>
void run_range(const RuleTable& rt, const Variable& x, const Transforms& tf, int64_t lo, int64_t hi,
               const Rule& rule) {
  if (!(tf.scale || tf.clip || x.decay)) {
    rule(x, lo, hi - lo, x.grad + lo);
    return;
  }
  alignas(64) float buf[kChunk];
  for (int64_t i0 = lo; i0 < hi; i0 += kChunk) {
    const int64_t n = hi - i0 < kChunk ? hi - i0 : kChunk;
    const float* g = x.grad + i0;
    if (tf.scale) {
      rt.scale(n, g, x.grad_scale, buf);
      g = buf;
    } else if (tf.clip) {
      rt.clip(n, g, tf.clip_value, buf);
      g = buf;
    }
    if (x.decay) rt.decay(n, x.value + i0, tf.decay_factor);
    rule(x, i0, n, g);
  }
}

// Runs the rule over every variable in one parallel region for the whole update, each thread taking
// the same share of every variable: thread t of T the elements [size * t / T, size * (t + 1) / T),
// rounded to whole cache lines. For a weight matrix that is thread t's band of rows, the band the
// weight-gradient GEMM wrote and the training forward read on the same core (see
// gemm::sgemm_split_k), so the update finds its lines in that core's cache. Small variables cost no
// team of their own. Elementwise rules: any split gives the same bits, threads only change the speed.
template <typename Rule>
void run(const RuleTable& rt, const std::vector<Variable>& vars, const Transforms& tf, const Rule& rule) {
  int64_t total = 0;
  for (const Variable& x : vars) total += x.size;
  if (total == 0) return;
  const int nt = threads_for_elements(total);
  const auto share = [&](int t) {
    const auto bound = [&](int64_t size, int u) { return u == nt ? size : size * u / nt / kSplitAlign * kSplitAlign; };
    for (const Variable& x : vars) {
      const int64_t lo = bound(x.size, t), hi = bound(x.size, t + 1);
      if (lo < hi) run_range(rt, x, tf, lo, hi, rule);
    }
  };
  if (nt <= 1) {
    share(0);
    return;
  }
#pragma omp parallel for num_threads(nt) schedule(static, 1)
  for (int t = 0; t < nt; ++t) share(t);
}

}  // namespace

float adam_step_size(double lr, double beta_1, double beta_2, int64_t step) {
  // adam.py: np.float32(lr) * np.sqrt(1 - np.float32(beta_2) ** t) / (1 - np.float32(beta_1) ** t),
  // every operation on float32 scalars (numpy's float32 power is powf).
  const float t = static_cast<float>(step);
  const float b1t = std::pow(static_cast<float>(beta_1), t);
  const float b2t = std::pow(static_cast<float>(beta_2), t);
  return static_cast<float>(lr) * std::sqrt(1.0f - b2t) / (1.0f - b1t);
}

void sgd_update(std::vector<Variable>& vars, const Transforms& tf, double lr, double momentum, bool nesterov) {
  const bool with_momentum = momentum != 0.0;
  check_variables("sgd_update", vars, tf, with_momentum ? 1 : 0);
  const RuleTable& rt = active_rules();
  const SgdScalars s{static_cast<float>(lr), static_cast<float>(momentum)};
  const auto fn = rt.sgd[with_momentum ? (nesterov ? 2 : 1) : 0];
  run(rt, vars, tf, [&](const Variable& x, int64_t i, int64_t n, const float* g) {
    fn(n, x.value + i, g, with_momentum ? x.slot[0] + i : nullptr, s);
  });
}

void adam_update(std::vector<Variable>& vars, const Transforms& tf, double lr, double beta_1, double beta_2,
                 double epsilon, int64_t step, bool amsgrad) {
  check(step >= 1, "adam_update: step must be >= 1. Received: step=", step);
  check_variables("adam_update", vars, tf, amsgrad ? 3 : 2);
  const RuleTable& rt = active_rules();
  const AdamScalars s{adam_step_size(lr, beta_1, beta_2, step), static_cast<float>(1.0 - beta_1),
                      static_cast<float>(1.0 - beta_2), static_cast<float>(epsilon)};
  const auto fn = rt.adam[amsgrad ? 1 : 0];
  run(rt, vars, tf, [&](const Variable& x, int64_t i, int64_t n, const float* g) {
    fn(n, x.value + i, g, x.slot[0] + i, x.slot[1] + i, amsgrad ? x.slot[2] + i : nullptr, s);
  });
}

int factor_count(FactoredRule rule) {
  switch (rule) {
    case FactoredRule::nadam:
      return sizeof(NadamScalars) / sizeof(float);
    case FactoredRule::adagrad:
      return sizeof(AdagradScalars) / sizeof(float);
    case FactoredRule::adamax:
      return sizeof(AdamaxScalars) / sizeof(float);
    case FactoredRule::lion:
      return sizeof(LionScalars) / sizeof(float);
    default:
      return sizeof(AdadeltaScalars) / sizeof(float);
  }
}

int slot_count(FactoredRule rule) { return rule == FactoredRule::adagrad || rule == FactoredRule::lion ? 1 : 2; }

void factored_update(FactoredRule rule, std::vector<Variable>& vars, const Transforms& tf, const float* f) {
  check_variables("factored_update", vars, tf, slot_count(rule));
  const RuleTable& rt = active_rules();
  switch (rule) {
    case FactoredRule::nadam: {
      const NadamScalars s{f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8]};
      run(rt, vars, tf, [&](const Variable& x, int64_t i, int64_t n, const float* g) {
        rt.nadam(n, x.value + i, g, x.slot[0] + i, x.slot[1] + i, s);
      });
      break;
    }
    case FactoredRule::adagrad: {
      const AdagradScalars s{f[0], f[1]};
      run(rt, vars, tf, [&](const Variable& x, int64_t i, int64_t n, const float* g) {
        rt.adagrad(n, x.value + i, g, x.slot[0] + i, s);
      });
      break;
    }
    case FactoredRule::adamax: {
      const AdamaxScalars s{f[0], f[1], f[2], f[3], f[4]};
      run(rt, vars, tf, [&](const Variable& x, int64_t i, int64_t n, const float* g) {
        rt.adamax(n, x.value + i, g, x.slot[0] + i, x.slot[1] + i, s);
      });
      break;
    }
    case FactoredRule::lion: {
      const LionScalars s{f[0], f[1], f[2], f[3], f[4]};
      run(rt, vars, tf, [&](const Variable& x, int64_t i, int64_t n, const float* g) {
        rt.lion(n, x.value + i, g, x.slot[0] + i, s);
      });
      break;
    }
    case FactoredRule::adadelta: {
      const AdadeltaScalars s{f[0], f[1], f[2], f[3]};
      run(rt, vars, tf, [&](const Variable& x, int64_t i, int64_t n, const float* g) {
        rt.adadelta(n, x.value + i, g, x.slot[0] + i, x.slot[1] + i, s);
      });
      break;
    }
  }
}

void rmsprop_update(std::vector<Variable>& vars, const Transforms& tf, double lr, double rho, double momentum,
                    double epsilon, bool centered) {
  const bool with_momentum = momentum > 0.0;
  check_variables("rmsprop_update", vars, tf, 1);
  for (size_t i = 0; i < vars.size(); ++i)
    check(vars[i].size == 0 || ((vars[i].slot[1] != nullptr) == with_momentum &&
                                (vars[i].slot[2] != nullptr) == centered),
          "rmsprop_update: variable ", i, " must have a momentum slot iff momentum > 0 and an average slot iff "
          "centered. Received: momentum=", momentum, ", centered=", centered);
  const RuleTable& rt = active_rules();
  const RmspropScalars s{static_cast<float>(rho), static_cast<float>(1.0 - rho), static_cast<float>(epsilon),
                         static_cast<float>(lr), static_cast<float>(momentum)};
  const auto fn = rt.rmsprop[(centered ? 2 : 0) + (with_momentum ? 1 : 0)];
  run(rt, vars, tf, [&](const Variable& x, int64_t i, int64_t n, const float* g) {
    fn(n, x.value + i, g, x.slot[0] + i, with_momentum ? x.slot[1] + i : nullptr,
       centered ? x.slot[2] + i : nullptr, s);
  });
}

void l2_penalty(const std::vector<PenaltyTerm>& terms, double* sums) {
  // first[i]: term i's first entry in block_sums, one entry per kPenaltyBlock floats of it.
  std::vector<int64_t> first(terms.size() + 1, 0);
  int64_t total = 0;
  for (size_t i = 0; i < terms.size(); ++i) {
    const PenaltyTerm& x = terms[i];
    check(x.size >= 0, "l2_penalty: sizes must be >= 0. Received: size=", x.size, " for term ", i);
    check(x.size == 0 || x.value != nullptr, "l2_penalty: term ", i, " has a null value. Received: nullptr");
    first[i + 1] = first[i] + (x.size + kPenaltyBlock - 1) / kPenaltyBlock;
    total += x.size;
  }
  std::vector<double> block_sums(static_cast<size_t>(first.back()));
  const RuleTable& rt = active_rules();
  // Thread t of T takes about the same share of every term as the update that follows (run above),
  // whole blocks here, so the weight and its gradient are found in that core's cache.
  const int nt = threads_for_elements(total);
  const auto share = [&](int t) {
    for (size_t i = 0; i < terms.size(); ++i) {
      const PenaltyTerm& x = terms[i];
      const int64_t blocks = first[i + 1] - first[i];
      for (int64_t b = blocks * t / nt; b < blocks * (t + 1) / nt; ++b) {
        const int64_t lo = b * kPenaltyBlock, n = std::min(kPenaltyBlock, x.size - lo);
        block_sums[static_cast<size_t>(first[i] + b)] =
            rt.l2_block(n, x.value + lo, x.grad == nullptr ? nullptr : x.grad + lo, x.scale);
      }
    }
  };
  if (nt <= 1) {
    share(0);
  } else {
#pragma omp parallel for num_threads(nt) schedule(static, 1)
    for (int t = 0; t < nt; ++t) share(t);
  }
  for (size_t i = 0; i < terms.size(); ++i) {
    double sum = 0.0;
    for (int64_t b = first[i]; b < first[i + 1]; ++b) sum += block_sums[static_cast<size_t>(b)];
    sums[i] = sum;
  }
}

}  // namespace pykeras::optim
