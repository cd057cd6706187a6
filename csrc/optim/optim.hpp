// Fused optimizer updates (Keras 3's SGD, Adam, Nadam, Adagrad, Adamax, Lion, Adadelta and RMSprop),
// multi-tensor: one call updates every variable of a model in one pass over each variable's memory.
//
// The base optimizer's gradient transforms ride along in the same pass, in the order
// pykeras/optimizers/optimizer.py applies them: the gradient is scaled (clip by norm; the norm itself
// is computed by the caller) or clipped by value, then the variable is decayed (w -= w * decay), then
// the rule runs. Results are bitwise identical to the numpy reference, for every ISA and thread count.
#pragma once

#include <cstdint>
#include <vector>

#include "optim/rules.hpp"

namespace pykeras::optim {

// One variable: its value, its gradient and the rule's slots, all `size` floats, none overlapping
// (gradients may overlap other gradients: they are only read).
struct Variable {
  int64_t size = 0;
  float* value = nullptr;
  const float* grad = nullptr;
  float* slot[3] = {nullptr, nullptr, nullptr};  // rule-specific, see each entry point
  float grad_scale = 1.0f;  // used when Transforms::scale
  bool decay = false;       // apply Transforms::decay_factor to this variable
};

struct Transforms {
  bool scale = false;        // g = g * Variable::grad_scale
  bool clip = false;         // g = clip(g, -clip_value, clip_value)
  float clip_value = 0.0f;
  float decay_factor = 0.0f; // w = w - w * decay_factor where Variable::decay
};

// Hyperparameters arrive as the Python floats the optimizer holds; each is rounded to float32 the
// way the numpy code's ufuncs round it (1 - beta is formed in double, then rounded).

// slot[0] = momentum (null iff momentum == 0).
void sgd_update(std::vector<Variable>& vars, const Transforms& tf, double lr, double momentum, bool nesterov);

// slot[0] = m, slot[1] = v, slot[2] = v_hat (non-null iff amsgrad). step >= 1.
void adam_update(std::vector<Variable>& vars, const Transforms& tf, double lr, double beta_1, double beta_2,
                 double epsilon, int64_t step, bool amsgrad);

// The rules whose scalars the caller computes, as its numpy code does (Nadam keeps a momentum
// schedule; Adamax a bias correction): `factors` holds the float32 values of the rule's scalars
// struct (rules.hpp) in order. Nadam: slot[0] = m, slot[1] = v. Adagrad: slot[0] = the accumulator.
// Adamax: slot[0] = m, slot[1] = u. Lion: slot[0] = m. Adadelta: slot[0] = the average squared
// gradient, slot[1] = the average squared update.
enum class FactoredRule { nadam, adagrad, adamax, lion, adadelta };
// The number of factors and of slots of each rule.
int factor_count(FactoredRule rule);
int slot_count(FactoredRule rule);
void factored_update(FactoredRule rule, std::vector<Variable>& vars, const Transforms& tf, const float* factors);

// slot[0] = velocity, slot[1] = momentum (non-null iff momentum > 0), slot[2] = average gradient
// (non-null iff centered).
void rmsprop_update(std::vector<Variable>& vars, const Transforms& tf, double lr, double rho, double momentum,
                    double epsilon, bool centered);

// A weight's L2 penalty, the part computed natively: the sum of its squares, and optionally its
// gradient's term added to grad (grad = grad + value * scale, scale being 2 * l2). value and grad
// hold `size` floats and do not overlap.
struct PenaltyTerm {
  int64_t size = 0;
  const float* value = nullptr;
  float* grad = nullptr;  // or null: the sum only
  float scale = 0.0f;
};

// Blocks of this many floats are summed independently, then added in order (rules.hpp's l2_block):
// the sums' bits depend on the values only, not on the ISA or the thread count.
inline constexpr int64_t kPenaltyBlock = 4096;

// Every term in one pass over its value (and grad), in one thread team: sums[i] = the sum of
// terms[i].value's squares, in double.
void l2_penalty(const std::vector<PenaltyTerm>& terms, double* sums);

// Keras's Adam step size lr * sqrt(1 - beta_2^t) / (1 - beta_1^t), in float32 scalars.
float adam_step_size(double lr, double beta_1, double beta_2, int64_t step);

}  // namespace pykeras::optim
