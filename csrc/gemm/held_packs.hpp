// B operands packed once for many products: a caller that multiplies batch after batch by the same
// weights (predict over many batches) lends sgemm a HeldPacks, and the blocked path, which would pack
// B again at every call, packs it at the first one and reads that copy at the later ones.
//
// The caller promises that B's values do not change while the HeldPacks is in use: an entry is found
// by B's address and shape, not by its contents. One HeldPacks serves one calling thread at a time.
// The packs are copies of the weights: past a budget (64 MiB unless given) B is packed at every call
// again, so that a large model's predict does not double its memory.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "common/workspace.hpp"

namespace pykeras::gemm {

struct KernelSpec;

class HeldPacks {
 public:
  explicit HeldPacks(int64_t max_floats = int64_t{16} << 20) : max_floats_(max_floats) {}
  HeldPacks(const HeldPacks&) = delete;
  HeldPacks& operator=(const HeldPacks&) = delete;

  // The packed copy of B (k x n, row-major with leading dimension ldb, not transposed) for the kernels
  // `ks`, or null when none is held yet.
  const float* find(const KernelSpec& ks, const float* b, int64_t ldb, int64_t k, int64_t n) const;
  // A new entry of `floats` floats for that B, to be filled by the caller; null past the budget.
  float* add(const KernelSpec& ks, const float* b, int64_t ldb, int64_t k, int64_t n, int64_t floats);
  // How many B operands are held.
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    const KernelSpec* ks;
    const float* b;
    int64_t ldb, k, n;
    std::unique_ptr<AlignedBuffer> buffer;
    float* packed;
  };
  std::vector<Entry> entries_;
  int64_t max_floats_, held_floats_ = 0;
};

}  // namespace pykeras::gemm
