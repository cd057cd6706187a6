#include "dense/activation.hpp"

#include "common/check.hpp"
#include "elementwise/activations.hpp"

namespace pykeras {
namespace {
// ops/nn.py's defaults and constants, rounded to float32 as its calls into the kernels round them.
constexpr double kSeluAlpha = 1.6732632423543772, kSeluScale = 1.0507009873554805;
constexpr float kLeakySlope = 0.2f;

UnaryActivation unary_kind_of(Activation act) {
  switch (act) {
    case Activation::relu6:
      return UnaryActivation::relu6;
    case Activation::hard_sigmoid:
      return UnaryActivation::hard_sigmoid;
    case Activation::hard_silu:
      return UnaryActivation::hard_silu;
    case Activation::softsign:
      return UnaryActivation::softsign;
    case Activation::softplus:
      return UnaryActivation::softplus;
    case Activation::mish:
      return UnaryActivation::mish;
    default:
      return UnaryActivation::log_sigmoid;
  }
}
}  // namespace

void activation_forward(Activation act, int64_t size, const float* z, float* y) {
  switch (act) {
    case Activation::sigmoid:
      return sigmoid_values(size, z, y);
    case Activation::silu:
      return silu_values(size, z, y);
    case Activation::elu:
      return elu_values(size, z, 1.0f, 1.0f, y);
    case Activation::selu:
      return elu_values(size, z, static_cast<float>(kSeluAlpha), static_cast<float>(kSeluScale), y);
    case Activation::leaky_relu:
      return leaky_relu_values(size, z, kLeakySlope, y);
    case Activation::gelu:
      return gelu_values(size, z, y);
    case Activation::relu6:
    case Activation::hard_sigmoid:
    case Activation::hard_silu:
    case Activation::softsign:
    case Activation::softplus:
    case Activation::mish:
    case Activation::log_sigmoid:
      return unary_activation(unary_kind_of(act), size, z, y);
    default:
      fail("activation_forward: the activation must be one applied after the GEMM. Received: ",
           static_cast<int>(act));
  }
}

void activation_backward(Activation act, int64_t size, const float* dy, const float* z, const float* y, float* dz) {
  switch (act) {
    case Activation::sigmoid:
      return sigmoid_backward(size, dy, y, dz);
    case Activation::silu:
      return silu_backward(size, dy, z, dz);
    case Activation::elu:
      return elu_backward(size, dy, z, y, 1.0f, 1.0f, dz);
    case Activation::selu:
      return elu_backward(size, dy, z, y, static_cast<float>(kSeluScale * kSeluAlpha), static_cast<float>(kSeluScale),
                          dz);
    case Activation::leaky_relu:
      return leaky_relu_backward(size, dy, z, kLeakySlope, dz);
    case Activation::gelu:
      return gelu_backward(size, dy, z, dz);
    case Activation::relu6:
    case Activation::hard_sigmoid:
    case Activation::hard_silu:
    case Activation::softsign:
    case Activation::softplus:
    case Activation::mish:
    case Activation::log_sigmoid:
      return unary_activation_backward(unary_kind_of(act), size, dy, z, dz);
    default:
      fail("activation_backward: the activation must be one applied after the GEMM. Received: ",
           static_cast<int>(act));
  }
}

}  // namespace pykeras
