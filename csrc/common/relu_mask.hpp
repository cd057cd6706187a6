// The ReLU gradient mask as a branch-free select: y > 0 ? v : +0.0f (NaN in y gives 0).
//
// Masks follow the data (about half of a ReLU layer's outputs are zero, in no pattern), so a branch
// would mispredict on every other element; the bitwise AND compiles to a compare and an and (or a
// blend), and vectorises.
#pragma once

#include <cstdint>
#include <cstring>

namespace pykeras {

inline float relu_mask(float v, float y) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  bits &= 0u - static_cast<uint32_t>(y > 0.0f);
  float out;
  std::memcpy(&out, &bits, sizeof out);
  return out;
}

}  // namespace pykeras
