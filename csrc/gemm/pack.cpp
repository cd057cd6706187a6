#include "gemm/pack.hpp"

#include <cstring>

#include "common/relu_mask.hpp"

namespace pykeras::gemm {
namespace {

// The value an operand element is packed as: itself, or 0 where a ReLU mask is given and not > 0.
template <bool kMasked>
inline float element(const float* src, const float* mask, int64_t offset) {
  if constexpr (kMasked) return relu_mask(src[offset], mask[offset]);
  return src[offset];
}

template <bool kMasked>
void pack_a(bool trans, const float* a, int64_t lda, int64_t i0, int mr, int64_t p0, int64_t kc, int MR,
            float* dst, const float* mask) {
  if (trans) {
    // op(A) column p is stored contiguously: a row of the stored k x m matrix.
    for (int64_t p = 0; p < kc; ++p) {
      const int64_t row = (p0 + p) * lda + i0;
      float* d = dst + p * MR;
      int i = 0;
      for (; i < mr; ++i) d[i] = element<kMasked>(a, mask, row + i);
      for (; i < MR; ++i) d[i] = 0.0f;
    }
    return;
  }
  // op(A) rows are stored contiguously: read the mr rows as parallel streams and write the panel
  // sequentially (writing one row at a time would scatter with a stride of MR floats over a panel
  // larger than L1).
  constexpr int kMaxRows = 16;
  int64_t rows[kMaxRows];
  for (int i = 0; i < mr; ++i) rows[i] = (i0 + i) * lda + p0;
  for (int64_t p = 0; p < kc; ++p) {
    float* d = dst + p * MR;
    int i = 0;
    for (; i < mr; ++i) d[i] = element<kMasked>(a, mask, rows[i] + p);
    for (; i < MR; ++i) d[i] = 0.0f;
  }
}

template <bool kMasked>
void pack_b(bool trans, const float* b, int64_t ldb, int64_t p0, int64_t kc, int64_t j0, int nr, int NR,
            float* dst, const float* mask) {
  if (!trans) {
    // op(B) row p is stored contiguously.
    for (int64_t p = 0; p < kc; ++p) {
      const int64_t row = (p0 + p) * ldb + j0;
      float* d = dst + p * NR;
      int j = 0;
      for (; j < nr; ++j) d[j] = element<kMasked>(b, mask, row + j);
      for (; j < NR; ++j) d[j] = 0.0f;
    }
    return;
  }
  // op(B) column j is row j of the stored n x k matrix: a transpose. Done in blocks of kBlock values
  // of p (one cache line of each of the nr source rows) through a small tile, so the source is read
  // in whole lines and each panel row is written whole and in order.
  constexpr int kBlock = 16;
  constexpr int kMaxNr = 32;
  float tile[kBlock][kMaxNr];
  for (int64_t pb = 0; pb < kc; pb += kBlock) {
    const int np = static_cast<int>(kc - pb < kBlock ? kc - pb : kBlock);
    for (int j = 0; j < nr; ++j) {
      const int64_t row = (j0 + j) * ldb + p0 + pb;
      for (int p = 0; p < np; ++p) tile[p][j] = element<kMasked>(b, mask, row + p);
    }
    for (int p = 0; p < np; ++p) {
      float* d = dst + (pb + p) * NR;
      int j = 0;
      for (; j < nr; ++j) d[j] = tile[p][j];
      for (; j < NR; ++j) d[j] = 0.0f;
    }
  }
}

}  // namespace

void pack_a_panel(bool trans, const float* a, int64_t lda, int64_t i0, int mr, int64_t p0, int64_t kc,
                  int MR, float* dst, const float* mask) {
  if (mask != nullptr)
    pack_a<true>(trans, a, lda, i0, mr, p0, kc, MR, dst, mask);
  else
    pack_a<false>(trans, a, lda, i0, mr, p0, kc, MR, dst, nullptr);
}

void pack_b_panel(bool trans, const float* b, int64_t ldb, int64_t p0, int64_t kc, int64_t j0, int nr,
                  int NR, float* dst, const float* mask) {
  if (mask != nullptr)
    pack_b<true>(trans, b, ldb, p0, kc, j0, nr, NR, dst, mask);
  else
    pack_b<false>(trans, b, ldb, p0, kc, j0, nr, NR, dst, nullptr);
}

}  // namespace pykeras::gemm
