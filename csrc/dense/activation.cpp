#include "dense/activation.hpp"

#include "common/check.hpp"
#include "elementwise/activations.hpp"

namespace pykeras {
namespace {
// ops/nn.py's defaults and constants, rounded to float32 as its calls into the kernels round them.
constexpr double kSeluAlpha = 1.6732632423543772, kSeluScale = 1.0507009873554805;
constexpr float kLeakySlope = 0.2f;

bool is_unary(Activation act) { return act >= Activation::relu6; }

UnaryActivation unary_kind_of(Activation act) {
  return static_cast<UnaryActivation>(static_cast<int>(act) - static_cast<int>(Activation::relu6));
}
static_assert(static_cast<int>(Activation::log_sigmoid) - static_cast<int>(Activation::relu6) + 1 ==
                  kUnaryActivations,
              "the unary activations close Activation, in UnaryActivation's order");
}  // namespace

void activation_forward(Activation act, int64_t size, const float* z, float* y) {
  if (is_unary(act)) return unary_activation(unary_kind_of(act), size, z, y);
  switch (act) {
    case Activation::sigmoid:
      return sigmoid_values(size, z, y);
    case Activation::elu:
      return elu_values(size, z, 1.0f, 1.0f, y);
    case Activation::selu:
      return elu_values(size, z, static_cast<float>(kSeluAlpha), static_cast<float>(kSeluScale), y);
    case Activation::leaky_relu:
      return leaky_relu_values(size, z, kLeakySlope, y);
    case Activation::gelu:
      return gelu_values(size, z, y);
    default:
      fail("activation_forward: the activation must be one applied after the GEMM. Received: ",
           static_cast<int>(act));
  }
}

void activation_backward(Activation act, int64_t size, const float* dy, const float* z, const float* y, float* dz) {
  if (is_unary(act)) return unary_activation_backward(unary_kind_of(act), size, dy, z, dz);
  switch (act) {
    case Activation::sigmoid:
      return sigmoid_backward(size, dy, y, dz);
    case Activation::elu:
      return elu_backward(size, dy, z, y, 1.0f, 1.0f, dz);
    case Activation::selu:
      return elu_backward(size, dy, z, y, static_cast<float>(kSeluScale * kSeluAlpha), static_cast<float>(kSeluScale),
                          dz);
    case Activation::leaky_relu:
      return leaky_relu_backward(size, dy, z, kLeakySlope, dz);
    case Activation::gelu:
      return gelu_backward(size, dy, z, dz);
    default:
      fail("activation_backward: the activation must be one applied after the GEMM. Received: ",
           static_cast<int>(act));
  }
}

}  // namespace pykeras
