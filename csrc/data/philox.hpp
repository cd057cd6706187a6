// Philox4x32-10 (Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy as 1, 2, 3", SC 2011):
// a counter-based generator. Block `counter` under `key` is four 32-bit words, a function of the two
// alone, so any block can be computed on its own: a mask drawn by any number of threads, in any
// order, is the same. Ten rounds, the published variant, which TensorFlow's stateless random ops use.
#pragma once

#include <cstdint>

namespace pykeras::philox {

inline constexpr uint32_t kMultiplier0 = 0xD2511F53u;
inline constexpr uint32_t kMultiplier1 = 0xCD9E8D57u;
inline constexpr uint32_t kWeyl0 = 0x9E3779B9u;  // the key's increments between rounds
inline constexpr uint32_t kWeyl1 = 0xBB67AE85u;
inline constexpr int kRounds = 10;

struct Block {
  uint32_t word[4];
};

// Counter words (c0, c1, c2, c3) and key words (k0, k1); the kernels take a 64-bit counter and key,
// low word first, and leave c2 = c3 = 0.
inline Block block(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0, uint32_t k1) {
  for (int r = 0; r < kRounds; ++r) {
    const uint64_t p0 = static_cast<uint64_t>(kMultiplier0) * c0;
    const uint64_t p1 = static_cast<uint64_t>(kMultiplier1) * c2;
    const uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c1 ^ k0;
    const uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ c3 ^ k1;
    c1 = static_cast<uint32_t>(p1);
    c3 = static_cast<uint32_t>(p0);
    c0 = n0;
    c2 = n2;
    k0 += kWeyl0;
    k1 += kWeyl1;
  }
  return Block{{c0, c1, c2, c3}};
}

}  // namespace pykeras::philox
