#include "dense/dense.hpp"

#include <vector>

#include "common/check.hpp"
#include "common/workspace.hpp"
#include "elementwise/elementwise.hpp"
#include "elementwise/activations.hpp"
#include "loss/output_loss.hpp"
#include "gemm/sgemm.hpp"
#include "norm/batch_norm.hpp"
#include "norm/layer_norm.hpp"

namespace pykeras {
namespace {
// Leading dimension of a packed row-major matrix with `cols` columns (BLAS wants >= 1 even when empty).
int64_t ld(int64_t cols) { return cols > 1 ? cols : 1; }

// A batch-sized forward over a deep weight splits its k rows in two (gemm::sgemm_split_k), so that in
// training each core reads only the half of w it updates; the optimizer's update then costs what it
// costs on its own. Measured on Zen 4 in W3's fit (784-256-128-10, Adam), per step: batch 128, Adam
// 100-112 -> 48-53 us, the gradients unchanged; batch 32, Adam 62-70 -> 50-55 us. The 256-deep
// second layer is not worth it (split as well: the gradients 686-698 -> 705-766 us, Adam 51-62 ->
// 43-50 us). Past kSplitMaxRows a step's compute dwarfs the update, and inference loses to the extra
// pass over the output (W4's 10,000 samples in batches of 1,024: 4% slower split). The choice
// depends on the shape only, so every path through a layer (fused chain, one layer, inference,
// training) gives the same bits, and a row's output is the same in any batch of up to kSplitMaxRows
// rows.
constexpr int64_t kSplitMaxRows = 512;
constexpr int64_t kSplitMinDepth = 512;
constexpr int64_t kSplitMinWidth = 32;  // narrower: a small w (a classifier's last layer), nothing to gain

bool split_k_pays(int64_t m, int64_t k, int64_t n) {
  return m <= kSplitMaxRows && k >= kSplitMinDepth && n >= kSplitMinWidth;
}
}  // namespace

void dense_forward(int64_t m, int64_t k, int64_t n, const float* x, const float* w, const float* b,
                   Activation act, float* out, gemm::HeldPacks* held) {
  gemm::Epilogue ep;
  ep.bias = b;
  ep.relu = act == Activation::relu;
  if (split_k_pays(m, k, n))
    gemm::sgemm_split_k(m, n, k, x, ld(k), w, ld(n), out, ld(n), ep);
  else
    gemm::sgemm(false, false, m, n, k, 1.0f, x, ld(k), w, ld(n), 0.0f, out, ld(n), ep, held);
  if (act == Activation::tanh) tanh_values(m * n, out, out);  // a pass over the output, still in cache
  if (applied_after_gemm(act)) activation_forward(act, m * n, out, out);
}

namespace {
// Layer i's input in a chain: x, layer i - 1's output, or its copy with dropout applied.
const float* layer_input(int64_t i, const float* x, const float* const* outputs, const ChainDropout* dropout) {
  if (i == 0) return x;
  if (dropout != nullptr && dropout->keep[i - 1] != nullptr) return dropout->dropped[i - 1];
  return outputs[i - 1];
}

// y = act(a) for an activation applied after batch normalization, with the kernels the chain uses
// elsewhere: the ReLU op's (its gradient masked by the output), Dense's fused tanh, the rules'. y may
// be a.
void activation_after_norm(Activation act, int64_t size, const float* a, float* y) {
  if (act == Activation::relu)
    relu(size, a, y);
  else if (act == Activation::tanh)
    tanh_values(size, a, y);
  else
    activation_forward(act, size, a, y);
}

// Its gradient: da from dy, the activation's input a and its output y.
void activation_after_norm_backward(Activation act, int64_t size, const float* dy, const float* a, const float* y,
                                    float* da) {
  if (act == Activation::relu)
    relu_backward(size, dy, y, da);
  else if (act == Activation::tanh)
    tanh_backward(size, dy, y, da);
  else
    activation_backward(act, size, dy, a, y, da);
}

// A batch-normalized layer i in training (or a per-row one, in training or inference): its product
// (with the activation before the normalization) into the workspace, kept for that activation's
// gradient; normalized with the batch's statistics or each row's own, written to `stats` (into pre[i]
// where pre is given, or straight into dst without an activation after), the normalized values kept
// for the backward pass; then the activation.
void normalized_layer(int64_t m, int64_t width, const float* h, const DenseStep& s, int64_t i, float* stats,
                      float* const* pre, float* dst) {
  Workspace& ws = thread_workspace();
  const int64_t n = s.n, size = m * n;
  float* z = ws.norm_inputs.get(static_cast<size_t>(i), size);
  dense_forward(m, width, n, h, s.w, s.b, s.norm.before, z);
  float* a = s.act == Activation::linear || pre == nullptr ? dst : pre[i];
  float* normalized = ws.normalized.get(static_cast<size_t>(i), size);
  if (s.norm.per_row) {
    layer_norm_forward(m, n, z, s.norm.gamma, s.norm.beta, s.norm.eps, a, normalized, stats, stats + m, stats + 2 * m);
  } else {
    batch_norm_forward(m, n, z, s.norm.gamma, s.norm.beta, s.norm.eps, a, normalized, stats, stats + n, stats + 2 * n);
    if (s.norm.update_moving)
      update_moving_statistics(n, stats, stats + n, s.norm.momentum, s.norm.moving_mean, s.norm.moving_variance);
  }
  if (s.act != Activation::linear) activation_after_norm(s.act, size, a, dst);
}

// Whether layer i keeps a pre-activation for its backward pass.
bool keeps_pre_activation(const DenseStep& s) {
  return s.batch_norm ? s.act != Activation::linear : applied_after_gemm(s.act);
}

// A batch-normalized layer in inference: the product (with the activation before the normalization),
// its columns scaled and shifted by the moving statistics folded with gamma and beta, then the
// activation, in dst.
void folded_layer(int64_t m, int64_t width, const float* h, const DenseStep& s, int64_t i, float* dst,
                  gemm::HeldPacks* held) {
  const BatchNormParams& p = s.norm;
  check(p.moving_mean != nullptr && p.moving_variance != nullptr, "dense_chain_forward: layer ", i,
        " is batch-normalized: inference needs its moving statistics (moving_mean, moving_variance in its norm "
        "entry); its batch statistics are a training pass's (dense_chain_loss_gradients)");
  float* const scale = thread_workspace().norm_factors.get(static_cast<size_t>(2 * s.n));
  float* const shift = scale + s.n;
  fold_batch_norm(s.n, p.moving_mean, p.moving_variance, p.gamma, p.beta, p.eps, scale, shift);
  dense_forward(m, width, s.n, h, s.w, s.b, p.before, dst, held);
  scale_shift_columns(m, s.n, dst, scale, shift, dst);
  if (s.act != Activation::linear) activation_after_norm(s.act, m * s.n, dst, dst);
}

// pre[i], where given, keeps layer i's pre-activation (an activation applied after the GEMM or after
// batch normalization) for the backward pass; without pre the activation is applied in place. A
// batch-normalized layer trains with the batch statistics where norm (the training state) is given,
// else infers with its moving statistics.
void chain_forward(int64_t m, int64_t k, const float* x, const DenseStep* steps, int64_t count,
                   float* const* hidden, float* out, const ChainDropout* dropout, float* const* pre,
                   const ChainNorm* norm, gemm::HeldPacks* held = nullptr) {
  check_nonnegative("dense_chain_forward", "m", m);
  check(count >= 1, "dense_chain_forward: at least one layer is needed. Received: count=", count);
  Workspace& ws = thread_workspace();
  const float* h = x;
  int64_t width = k;
  for (int64_t i = 0; i < count; ++i) {
    const DenseStep& s = steps[i];
    // In the workspace, layer i writes the buffer layer i - 1 read from: layer i + 1 no longer needs it.
    float* dst = i + 1 == count         ? out
                 : hidden != nullptr    ? hidden[i]
                                        : ws.hidden[i % 2].get(static_cast<size_t>(m * s.n));
    if (s.batch_norm && norm == nullptr && s.norm.per_row) {
      // Inference normalizes each row as training does; the statistics are not kept.
      float* stats = ws.norm_factors.get(static_cast<size_t>(3 * m));
      normalized_layer(m, width, h, s, i, stats, nullptr, dst);
    } else if (s.batch_norm && norm == nullptr) {
      folded_layer(m, width, h, s, i, dst, held);
    } else if (s.batch_norm) {
      check(norm->stats[i] != nullptr, "dense_chain_loss_gradients: layer ", i, " is normalized: its training "
            "needs a buffer for its statistics");
      normalized_layer(m, width, h, s, i, norm->stats[i], pre, dst);
    } else if (pre != nullptr && pre[i] != nullptr) {
      dense_forward(m, width, s.n, h, s.w, s.b, Activation::linear, pre[i]);
      activation_forward(s.act, m * s.n, pre[i], dst);
    } else {
      dense_forward(m, width, s.n, h, s.w, s.b, s.act, dst, held);
    }
    h = dst;
    if (i + 1 < count && dropout != nullptr && dropout->keep[i] != nullptr) {
      multiply(m * s.n, dst, dropout->keep[i], dropout->dropped[i]);
      h = dropout->dropped[i];
    }
    width = s.n;
  }
}

// pre as chain_forward's: every layer that keeps a pre-activation has one; norm as the forward pass's.
void chain_backward(int64_t m, int64_t k, const float* x, const DenseStep* steps, int64_t count,
                    const float* const* outputs, const float* dy, float* dx, float* const* dws, float* const* dbs,
                    const ChainDropout* dropout, const float* const* pre, const ChainNorm* norm) {
  check_nonnegative("dense_chain_backward", "m", m);
  check(count >= 1, "dense_chain_backward: at least one layer is needed. Received: count=", count);
  for (int64_t i = 0; i < count; ++i) {
    check(!keeps_pre_activation(steps[i]) || (pre != nullptr && pre[i] != nullptr), "dense_chain_backward: layer ",
          i, "'s activation is applied after the GEMM: its gradient needs the pre-activation the forward pass "
          "kept. Received: none");
    check(!steps[i].batch_norm || (norm != nullptr && norm->stats[i] != nullptr), "dense_chain_backward: layer ", i,
          " is batch-normalized: only a training pass (dense_chain_loss_gradients) computes its gradient");
  }
  Workspace& ws = thread_workspace();
  const float* g = dy;
  for (int64_t i = count - 1; i >= 0; --i) {
    const int64_t width = i == 0 ? k : steps[i - 1].n;
    Activation act = steps[i].act;
    const float* layer_output = outputs[i];  // what dense_backward's activation gradient reads
    if (steps[i].batch_norm) {
      const int64_t n = steps[i].n, size = m * n;
      if (act != Activation::linear) {
        float* da = ws.activation_grad.get(static_cast<size_t>(size));
        activation_after_norm_backward(act, size, g, pre[i], outputs[i], da);
        g = da;
      }
      float* dz = ws.norm_grad.get(static_cast<size_t>(size));
      const float* normalized = ws.normalized.get(static_cast<size_t>(i), size);
      if (steps[i].norm.per_row)
        layer_norm_backward(m, n, g, normalized, steps[i].norm.gamma, norm->stats[i] + 2 * m, dz, norm->dgammas[i],
                            norm->dbetas[i]);
      else
        batch_norm_backward(m, n, g, normalized, steps[i].norm.gamma, norm->stats[i] + 2 * n, dz, norm->dgammas[i],
                            norm->dbetas[i]);
      g = dz;
      // The Dense's own activation: dense_backward masks (relu) or scales (tanh) by its output.
      act = steps[i].norm.before;
      layer_output = ws.norm_inputs.get(static_cast<size_t>(i), size);
    } else if (applied_after_gemm(act)) {
      float* dz = ws.activation_grad.get(static_cast<size_t>(m * steps[i].n));
      activation_backward(act, m * steps[i].n, g, pre[i], outputs[i], dz);
      g = dz;
      act = Activation::linear;
    }
    // Layer i's input gradient goes where layer i + 2's went: layer i + 1's is being read.
    float* d_in = i == 0 ? dx : ws.hidden[i % 2].get(static_cast<size_t>(m * width));
    dense_backward(m, width, steps[i].n, layer_input(i, x, outputs, dropout), steps[i].w, layer_output, g, act, d_in,
                   dws[i], dbs[i]);
    if (i > 0 && dropout != nullptr && dropout->keep[i - 1] != nullptr)
      multiply(m * width, d_in, dropout->keep[i - 1], d_in);
    g = d_in;
  }
}
}  // namespace

void dense_chain_forward(int64_t m, int64_t k, const float* x, const DenseStep* steps, int64_t count,
                         float* const* hidden, float* out, float* const* pre, gemm::HeldPacks* held) {
  chain_forward(m, k, x, steps, count, hidden, out, nullptr, pre, nullptr, held);
}

void dense_chain_backward(int64_t m, int64_t k, const float* x, const DenseStep* steps, int64_t count,
                          const float* const* outputs, const float* dy, float* dx, float* const* dws,
                          float* const* dbs, const float* const* pre) {
  chain_backward(m, k, x, steps, count, outputs, dy, dx, dws, dbs, nullptr, pre, nullptr);
}

template <typename Targets>
double dense_chain_loss_gradients(int64_t m, int64_t k, const float* x, const DenseStep* steps, int64_t count,
                                 float* const* hidden, float* logits, Targets targets, float* dlogits,
                                 float* const* dws, float* const* dbs, const ChainDropout* dropout,
                                 const float* row_weights, const ChainNorm* norm) {
  check(count >= 1, "dense_chain_loss_gradients: at least one layer is needed. Received: count=", count);
  for (int64_t i = 0; i < count; ++i)
    check(!steps[i].batch_norm || norm != nullptr, "dense_chain_loss_gradients: layer ", i,
          " is batch-normalized: its training needs the batch statistics' buffers (norm)");
  Workspace& ws = thread_workspace();
  std::vector<float*> pre(static_cast<size_t>(count), nullptr);
  for (int64_t i = 0; i < count; ++i)
    if (keeps_pre_activation(steps[i])) pre[i] = ws.pre_activations.get(static_cast<size_t>(i), m * steps[i].n);
  chain_forward(m, k, x, steps, count, hidden, logits, dropout, pre.data(), norm);
  const double loss = output_loss(m, steps[count - 1].n, logits, targets, dlogits, 1.0f, row_weights);
  std::vector<const float*> outputs(hidden, hidden + (count - 1));
  outputs.push_back(logits);
  chain_backward(m, k, x, steps, count, outputs.data(), dlogits, nullptr, dws, dbs, dropout, pre.data(), norm);
  return loss;
}

#define PYKERAS_INSTANTIATE_LOSS(Targets)                                                                   \
  template double dense_chain_loss_gradients<Targets>(int64_t, int64_t, const float*, const DenseStep*, int64_t, \
                                                     float* const*, float*, Targets, float*, float* const*,    \
                                                     float* const*, const ChainDropout*, const float*,     \
                                                     const ChainNorm*);
PYKERAS_INSTANTIATE_LOSS(const int32_t*)
PYKERAS_INSTANTIATE_LOSS(const int64_t*)
PYKERAS_INSTANTIATE_LOSS(ClassProbabilities)
PYKERAS_INSTANTIATE_LOSS(BinaryTargets)
PYKERAS_INSTANTIATE_LOSS(SquaredErrorTargets)
PYKERAS_INSTANTIATE_LOSS(AbsoluteErrorTargets)
#undef PYKERAS_INSTANTIATE_LOSS

void dense_backward(int64_t m, int64_t k, int64_t n, const float* x, const float* w, const float* y,
                    const float* dy, Activation act, float* dx, float* dw, float* db) {
  check_nonnegative("dense_backward", "m", m);
  check_nonnegative("dense_backward", "k", k);
  check_nonnegative("dense_backward", "n", n);
  check(!applied_after_gemm(act), "dense_backward: the activation must be linear, relu or tanh (the others' "
        "gradients read the pre-activation). Received: ", static_cast<int>(act));
  // dz = dy * (y > 0) is never written out: every reader of dz applies the mask as it reads dy (the
  // GEMMs while packing it, the bias gradient while summing), so dy is read where it lies. tanh's
  // dz = dy * (1 - y^2) is written to scratch memory first.
  const float* mask = act == Activation::relu ? y : nullptr;
  if (act == Activation::tanh) {
    float* dz = thread_workspace().activation_grad.get(static_cast<size_t>(m * n));
    tanh_backward(m * n, dy, y, dz);
    dy = dz;
  }
  // dw = x^T dz: x is stored m x k, so op(A) = x^T is k x m (trans_a, lda = k).
  gemm::sgemm_masked(true, false, k, n, m, 1.0f, x, ld(k), nullptr, dy, ld(n), mask, 0.0f, dw, ld(n));
  if (db != nullptr) bias_grad(m, n, dy, db, mask);
  // dx = dz w^T: w is stored k x n, so op(B) = w^T is n x k (trans_b, ldb = n). Skipped when the
  // caller does not need it (the first layer of a model).
  if (dx != nullptr) gemm::sgemm_masked(false, true, m, k, n, 1.0f, dy, ld(n), mask, w, ld(n), nullptr, 0.0f, dx, ld(k));
}

}  // namespace pykeras
