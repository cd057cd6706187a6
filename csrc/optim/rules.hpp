// The per-ISA part of the optimizer updates: one function per update rule over a chunk of elements.
//
// Every rule is Keras 3's formula in float32, written as the same sequence of correctly rounded
// operations (+, -, *, /, sqrt; no fused multiply-add) as pykeras's numpy reference, so the AVX-512,
// AVX2 and portable builds agree bit for bit with each other and with the numpy code. The translation
// units that instantiate these rules are compiled with -ffp-contract=off for that reason.
//
// Arguments are raw pointers to `n` floats; nothing overlaps except where stated. Scalars arrive as the
// float32 values the numpy code would use (see optim.cpp for how they are derived).
#pragma once

#include <cstdint>

namespace pykeras::optim {

struct SgdScalars {
  float lr;        // g * lr is the step
  float momentum;  // m = m * momentum - step
};

struct AdamScalars {
  float alpha;          // lr * sqrt(1 - beta_2^t) / (1 - beta_1^t), in float32 as Keras computes it
  float one_minus_b1;   // float32(1 - beta_1)
  float one_minus_b2;   // float32(1 - beta_2)
  float epsilon;
};

// Nadam's per-step factors, each the float32 scalar nadam.py computes.
struct NadamScalars {
  float one_minus_b1;  // 1 - beta_1
  float one_minus_b2;  // 1 - beta_2
  float u_next;        // the momentum schedule's next factor
  float m_divisor;     // 1 - u_product * u_next
  float g_factor;      // 1 - u_t
  float g_divisor;     // 1 - u_product
  float v_divisor;     // 1 - beta_2^t
  float lr;
  float epsilon;
};

// Adagrad's scalars, as adagrad.py uses them.
struct AdagradScalars {
  float lr;
  float epsilon;
};

// Adamax's per-step scalars, each the float32 scalar adamax.py computes.
struct AdamaxScalars {
  float one_minus_b1;  // 1 - beta_1
  float b2;            // beta_2
  float epsilon;
  float correction;    // 1 - beta_1^t
  float lr;
};

// Lion's scalars, as lion.py rounds them (1 - beta is a float32 subtraction there).
struct LionScalars {
  float b1;
  float one_minus_b1;
  float b2;
  float one_minus_b2;
  float lr;
};

// Adadelta's scalars, as adadelta.py rounds them (1 - rho is formed in double there).
struct AdadeltaScalars {
  float rho;
  float one_minus_rho;
  float epsilon;
  float lr;
};

struct RmspropScalars {
  float rho;
  float one_minus_rho;  // float32(1 - rho)
  float epsilon;
  float lr;
  float momentum;
};

// One ISA's rules. `g` is never written. Slots the variant does not use may be null.
struct RuleTable {
  const char* isa;
  // out = g * s (clip by norm; out may not be g)
  void (*scale)(int64_t n, const float* g, float s, float* out);
  // out = min(max(g, -c), c), NaN stays NaN (numpy.clip)
  void (*clip)(int64_t n, const float* g, float c, float* out);
  // w = w - w * f (decoupled weight decay)
  void (*decay)(int64_t n, float* w, float f);
  // SGD: momentum 0 / heavy ball / Nesterov. m is unused by the first.
  void (*sgd[3])(int64_t n, float* w, const float* g, float* m, const SgdScalars& s);
  // Adam: [amsgrad]. vh is unused without amsgrad.
  void (*adam[2])(int64_t n, float* w, const float* g, float* m, float* v, float* vh, const AdamScalars& s);
  // Nadam: m, v.
  void (*nadam)(int64_t n, float* w, const float* g, float* m, float* v, const NadamScalars& s);
  // Adagrad: the accumulator.
  void (*adagrad)(int64_t n, float* w, const float* g, float* acc, const AdagradScalars& s);
  // Adamax: m and u (the exponentially weighted infinity norm).
  void (*adamax)(int64_t n, float* w, const float* g, float* m, float* u, const AdamaxScalars& s);
  // Lion: m (the momentum).
  void (*lion)(int64_t n, float* w, const float* g, float* m, const LionScalars& s);
  // Adadelta: the running averages of squared gradients and of squared updates.
  void (*adadelta)(int64_t n, float* w, const float* g, float* grad_avg, float* delta_avg,
                   const AdadeltaScalars& s);
  // RMSprop: [centered * 2 + with_momentum]. v always, mom if with_momentum, avg if centered.
  void (*rmsprop[4])(int64_t n, float* w, const float* g, float* v, float* mom, float* avg,
                     const RmspropScalars& s);
  // An L2 penalty over one block of w (optim.hpp's l2_penalty): returns the sum of w's squares in
  // double, element i into lane i % 32 (each square exact), the lanes then added in order; with g
  // (which may not overlap w), also g = g + w * s, the product rounded first as numpy rounds it.
  double (*l2_block)(int64_t n, const float* w, float* g, float s);
};

extern const RuleTable kRulesPortable;
#if defined(PYKERAS_X86_KERNELS)
extern const RuleTable kRulesAvx2;
extern const RuleTable kRulesAvx512;
#endif

}  // namespace pykeras::optim
