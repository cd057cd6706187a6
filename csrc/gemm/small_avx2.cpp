// AVX2 + FMA small-matrix GEMM: the no-packing path of small_avx512.cpp (see there and small.hpp) for
// 16 ymm registers: blocks of up to 6 rows of C and 8-float vectors, the last one masked. Compiled
// with -mavx2 -mfma only; called only after the dispatcher checked the CPU.
#include <immintrin.h>

#include <array>
#include <utility>

#include "gemm/microkernel.hpp"
#include "gemm/small.hpp"

namespace pykeras::gemm {

namespace {

constexpr int kMaxRows = 6;
// M x NV accumulators, NV B vectors and a broadcast within 16 registers (M = 1 reads B as FMA
// memory operands).
constexpr int max_vectors(int rows) { return rows == 1 ? 8 : (15 / (rows + 1) < 8 ? 15 / (rows + 1) : 8); }

template <int M, int NV>
void block(int64_t k, const float* a, int64_t sai, int64_t sap, const float* b, int64_t ldb, int tail,
           float alpha, float beta, float* c, int64_t ldc, const float* bias, bool relu) {
  const __m256 zero = _mm256_setzero_ps();
  // Lanes < tail of the last vector are valid.
  const __m256i last = _mm256_cmpgt_epi32(_mm256_set1_epi32(tail), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  __m256 acc[M][NV];
#pragma GCC unroll 8
  for (int i = 0; i < M; ++i)
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) acc[i][v] = zero;
  for (int64_t p = 0; p < k; ++p) {
    const float* bp = b + p * ldb;
    __m256 bv[NV];
#pragma GCC unroll 8
    for (int v = 0; v < NV - 1; ++v) bv[v] = _mm256_loadu_ps(bp + 8 * v);
    bv[NV - 1] = _mm256_maskload_ps(bp + 8 * (NV - 1), last);  // masked lanes are never touched
    const float* ap = a + p * sap;
#pragma GCC unroll 8
    for (int i = 0; i < M; ++i) {
      const __m256 ai = _mm256_broadcast_ss(ap + i * sai);
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) acc[i][v] = _mm256_fmadd_ps(ai, bv[v], acc[i][v]);
    }
  }
  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
  const __m256i all = _mm256_set1_epi32(-1);
#pragma GCC unroll 8
  for (int i = 0; i < M; ++i) {
    float* ci = c + i * ldc;
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) {
      const __m256i mask = v == NV - 1 ? last : all;
      __m256 r = _mm256_mul_ps(va, acc[i][v]);
      if (beta != 0.0f) r = _mm256_fmadd_ps(vb, _mm256_maskload_ps(ci + 8 * v, mask), r);
      if (bias != nullptr) r = _mm256_add_ps(r, _mm256_maskload_ps(bias + 8 * v, mask));
      if (relu) r = _mm256_max_ps(zero, r);  // max(0, x) returns x when either is NaN: NaN stays NaN
      _mm256_maskstore_ps(ci + 8 * v, mask, r);
    }
  }
}

using BlockFn = void (*)(int64_t, const float*, int64_t, int64_t, const float*, int64_t, int, float, float,
                         float*, int64_t, const float*, bool);

template <int M, size_t... V>
constexpr std::array<BlockFn, 8> row_of(std::index_sequence<V...>) {
  return {((static_cast<int>(V) + 1 <= max_vectors(M))
               ? &block<M, (static_cast<int>(V) + 1 <= max_vectors(M) ? static_cast<int>(V) + 1 : 1)>
               : nullptr)...};
}
template <size_t... R>
constexpr std::array<std::array<BlockFn, 8>, kMaxRows> table(std::index_sequence<R...>) {
  return {row_of<static_cast<int>(R) + 1>(std::make_index_sequence<8>{})...};
}
constexpr auto kBlocks = table(std::make_index_sequence<kMaxRows>{});

}  // namespace

void small_gemm_avx2(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t sai, int64_t sap,
                     const float* b, int64_t ldb, float beta, float* c, int64_t ldc, const Epilogue& ep) {
  for (int64_t i0 = 0; i0 < m; i0 += kMaxRows) {
    const int rows = static_cast<int>(m - i0 < kMaxRows ? m - i0 : kMaxRows);
    const int64_t width = 8 * max_vectors(rows);
    for (int64_t j0 = 0; j0 < n; j0 += width) {
      const int64_t cols = n - j0 < width ? n - j0 : width;
      const int nv = static_cast<int>((cols + 7) / 8);
      const int tail = static_cast<int>(cols - 8 * (nv - 1));
      kBlocks[rows - 1][nv - 1](k, a + i0 * sai, sai, sap, b + j0, ldb, tail, alpha, beta, c + i0 * ldc + j0, ldc,
                                ep.bias != nullptr ? ep.bias + j0 : nullptr, ep.relu);
    }
  }
}

}  // namespace pykeras::gemm
