// Dropout masks drawn natively: a Philox4x32-10 stream (philox.hpp) turned into keep / drop decisions.
#pragma once

#include <cstdint>

namespace pykeras {

// Element i of a mask is decided by word i % 4 of Philox block i / 4 (the block's counter i / 4, the
// key `key`): kept when the word's top 24 bits, u = (word >> 8) / 2^24 (the float32 uniform in [0, 1)
// they make), are >= rate; that is when word >> 8 >= threshold = ceil(rate * 2^24). out[i] = scale
// where kept, else 0. With threshold 0 every element is kept, with 2^24 none.
// Threads split the blocks; the mask is the same for any thread count and ISA.
void dropout_mask(uint64_t key, uint32_t threshold, float scale, int64_t n, float* out);

// The threshold of a drop rate in [0, 1]: ceil(rate * 2^24), rate taken as given (the caller rounds it
// to float32 first if it compares float32 uniforms).
uint32_t dropout_threshold(double rate);

}  // namespace pykeras
