// Fused dense layer: forward (GEMM with bias and activation in the micro-kernel epilogue) and
// backward (ReLU mask, weight, bias and input gradients).
#pragma once

#include <cstdint>

#include "dense/activation.hpp"

namespace pykeras {
namespace gemm {
class HeldPacks;
}

// out (m x n) = act(x (m x k) @ w (k x n) + b (n)); b may be null. An activation applied after the
// GEMM (activation.hpp) is applied in place. For a batch (m <= 512) and a deep w (k >= 512, n >= 32),
// w is read in two halves of k, one per core, and the two products added (gemm::sgemm_split_k).
// `held` as gemm::sgemm's: w packed once for the calls lending it, where it is packed at all.
void dense_forward(int64_t m, int64_t k, int64_t n, const float* x, const float* w, const float* b,
                   Activation act, float* out, gemm::HeldPacks* held = nullptr);

// Batch normalization (norm/batch_norm.hpp) between a chain layer's product and its activation, as a
// BatchNormalization after a Dense computes it, followed by an activation layer or not: in training
// with the batch statistics, in inference with the moving ones. gamma and beta may be null (1 and 0).
// `before` is the Dense's own activation (linear, relu or tanh, fused into the product as
// dense_forward fuses it), applied before the normalization.
struct BatchNormParams {
  const float* gamma;
  const float* beta;
  float eps;
  Activation before = Activation::linear;
  // The moving mean and variance (n floats each), read by inference; null in a chain that only trains.
  // With update_moving, training moves them with each batch's statistics as the layer does:
  // moving = moving * momentum + batch * (1 - momentum).
  float* moving_mean = nullptr;
  float* moving_variance = nullptr;
  bool update_moving = false;
  float momentum = 0.0f;
  // LayerNormalization instead: each row normalized with its own statistics over its n features
  // (norm/layer_norm.hpp), the same in training and inference; no moving statistics.
  bool per_row = false;
};

// One layer of a dense chain: act(h @ w + b), w of shape (width of h) x n; with batch_norm,
// act(batch_norm(before(h @ w + b))), or with norm.per_row that normalization per row.
struct DenseStep {
  int64_t n;
  const float* w;
  const float* b;  // may be null
  Activation act;
  bool batch_norm = false;
  BatchNormParams norm{};
};

// The training state of a chain's batch-normalized layers, one entry per layer (null for a layer
// without batch normalization): stats[i] (3 x n floats, written by the forward pass) the batch mean,
// the biased variance and 1 / sqrt(variance + eps), or for a per-row (layer-normalized) layer 3 x m
// floats, the rows' own; dgammas[i] and dbetas[i] (n floats, null where gamma or beta is) the
// gradients the backward pass writes.
struct ChainNorm {
  float* const* stats;
  float* const* dgammas;
  float* const* dbetas;
};

// out (m x steps[count-1].n) = the layers applied in order to x (m x k). Layer i < count - 1 writes
// its output to hidden[i] when hidden is given (training keeps them for the backward pass), else to
// the calling thread's workspace (inference: a whole model is one call that allocates nothing once
// warm). Where pre[i] is given (pre itself may be null), layer i's pre-activation is kept there, as
// the backward pass of an activation applied after the GEMM needs it. Each layer is dense_forward, so
// results equal calling the layers one by one. A batch-normalized layer infers with its moving
// statistics, folded with gamma and beta as BatchNormalization folds them (fold_batch_norm); its batch
// statistics belong to a training pass (dense_chain_loss_gradients). A per-row one normalizes each
// row as in training. `held`, as dense_forward's, serves the plain and the folded layers.
void dense_chain_forward(int64_t m, int64_t k, const float* x, const DenseStep* steps, int64_t count,
                         float* const* hidden, float* out, float* const* pre = nullptr,
                         gemm::HeldPacks* held = nullptr);

// The backward pass of dense_chain_forward: outputs[i] is layer i's output (hidden..., out), dy the
// gradient of out, pre the forward's pre-activations (needed, and checked, for every layer whose
// activation is applied after the GEMM). Writes dws[i], dbs[i] (if non-null) and dx (if non-null);
// the gradients between layers live in the workspace. Each layer is dense_backward with the
// activation's gradient before it, so results equal the layers' own.
void dense_chain_backward(int64_t m, int64_t k, const float* x, const DenseStep* steps, int64_t count,
                          const float* const* outputs, const float* dy, float* dx, float* const* dws,
                          float* const* dbs, const float* const* pre = nullptr);

// Dropout after the hidden layers of a chain in training: where keep[i] is non-null, layer i's
// output hidden[i] (m x n_i) is multiplied elementwise by keep[i] (0 or 1 / (1 - rate)) into
// dropped[i], which layer i + 1 reads; hidden[i] stays for the ReLU mask. In the backward pass the
// gradient reaching layer i is multiplied by keep[i] likewise. Bits: those of a Dropout layer's
// x * keep and its gradient g * keep.
struct ChainDropout {
  const float* const* keep;  // count - 1 entries, null where no dropout
  float* const* dropped;
};

// One training pass of a dense chain under a mean loss of its last layer's outputs (a classifier's
// logits, a regression's predictions): the chain forward (hidden outputs kept, the outputs written to
// `logits`), the loss (dlogits, scale 1), the chain backward (no dx), in turn; with dropout if given.
// Activations applied after the GEMM keep their layers' pre-activations in the workspace meanwhile.
// Returns the loss. Targets (loss/output_loss.hpp): integer labels (const int32_t* or const int64_t*,
// one per row) or ClassProbabilities for softmax_cross_entropy, BinaryTargets for
// sigmoid_cross_entropy, SquaredErrorTargets or AbsoluteErrorTargets for the regression errors. A
// label out of [0, classes) raises before any gradient is written. row_weights, if not null, weigh
// the rows' losses as the losses' own row weights do. norm is needed when a layer is batch-normalized
// (each such layer then has its entries), and may be null otherwise.
template <typename Targets>
double dense_chain_loss_gradients(int64_t m, int64_t k, const float* x, const DenseStep* steps, int64_t count,
                                 float* const* hidden, float* logits, Targets targets, float* dlogits,
                                 float* const* dws, float* const* dbs, const ChainDropout* dropout = nullptr,
                                 const float* row_weights = nullptr, const ChainNorm* norm = nullptr);

// For a fused activation (linear, relu, tanh), given the forward output y (m x n, for the ReLU mask
// and tanh's gradient) and upstream dy (m x n):
//   dz = act == relu ? dy * (y > 0) : act == tanh ? dy * (1 - y^2) : dy
//   dw (k x n) = x^T dz;  db (n) = column sums of dz (if db);  dx (m x k) = dz w^T (if dx).
// dy is not modified and dz is never materialised: the mask is applied as dy is read.
void dense_backward(int64_t m, int64_t k, int64_t n, const float* x, const float* w, const float* y,
                    const float* dy, Activation act, float* dx, float* dw, float* db);

}  // namespace pykeras
