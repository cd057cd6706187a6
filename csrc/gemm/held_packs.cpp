#include "gemm/held_packs.hpp"

namespace pykeras::gemm {

const float* HeldPacks::find(const KernelSpec& ks, const float* b, int64_t ldb, int64_t k, int64_t n) const {
  for (const Entry& e : entries_)
    if (e.ks == &ks && e.b == b && e.ldb == ldb && e.k == k && e.n == n) return e.packed;
  return nullptr;
}

float* HeldPacks::add(const KernelSpec& ks, const float* b, int64_t ldb, int64_t k, int64_t n, int64_t floats) {
  if (floats > max_floats_ - held_floats_) return nullptr;
  held_floats_ += floats;
  auto buffer = std::make_unique<AlignedBuffer>();
  float* const packed = buffer->get(static_cast<size_t>(floats));
  entries_.push_back(Entry{&ks, b, ldb, k, n, std::move(buffer), packed});
  return packed;
}

}  // namespace pykeras::gemm
