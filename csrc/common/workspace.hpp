// Scratch memory reused across kernel calls: the GEMM packing buffers and the hidden activations of
// a dense chain.
//
// Each calling thread (each Python thread that released the GIL) owns one Workspace, so concurrent
// calls never share scratch memory; the OpenMP team of a call shares its caller's buffers. Buffers only
// grow, are 64-byte aligned (one cache line, one zmm register) and are freed when the thread exits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace pykeras {

class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  ~AlignedBuffer();

  // A buffer of at least `count` floats; contents are unspecified. Throws std::bad_alloc.
  float* get(size_t count);

 private:
  float* data_ = nullptr;
  size_t capacity_ = 0;
};

// One buffer per layer of a chain, each kept until the chain's backward pass has read it.
class LayerBuffers {
 public:
  // Layer i's buffer of at least `count` floats.
  float* get(size_t i, int64_t count);

 private:
  std::vector<std::unique_ptr<AlignedBuffer>> buffers_;
};

struct Workspace {
  AlignedBuffer pack_a;  // GEMM: packed MC x KC block of op(A)
  AlignedBuffer pack_b;  // GEMM: packed KC x NC block of op(B)
  AlignedBuffer hidden[2];  // dense_chain_forward: the hidden activations, alternately
  AlignedBuffer partial;  // sgemm_split_k: the second half's product
  AlignedBuffer activation_grad;  // dense_backward: the gradient through a tanh activation
  AlignedBuffer norm_grad;        // the gradient of a batch-normalized chain layer's input
  AlignedBuffer norm_factors;     // inference: a batch-normalized chain layer's scale and shift, or a
                                  // layer-normalized one's row statistics

  // dense_chain_loss_gradients: the layers' pre-activations (an activation applied after the GEMM or
  // after batch normalization reads it in the backward pass); for its batch-normalized layers, the
  // normalization's input (the Dense's output, whose activation's gradient reads it) and output.
  LayerBuffers pre_activations;
  LayerBuffers norm_inputs;
  LayerBuffers normalized;
};

// The calling thread's workspace.
Workspace& thread_workspace();

}  // namespace pykeras
