// AVX-512 small-matrix GEMM: no packing at all, for the shapes where packing costs more than it saves.
//
// One-sample and few-sample inference (m <= 4: a GEMV, B streamed once) and narrow outputs (n < NR,
// e.g. a 10-class layer, where packing B would pad each k-row to 32 floats). For a block of M rows of
// C and NV 16-float vectors of columns, the M x NV accumulators stay in registers for the whole k loop:
// each k step loads NV vectors of one B row (contiguous, so B streams sequentially) and broadcasts M
// elements of A straight from op(A). With M = 1 that is 16 independent FMA chains over a 256-wide
// row of C, enough to cover the FMA latency, and B is read exactly once.
//
// Same arithmetic as the packed micro-kernels (one FMA chain per element of C in k order, then
// alpha, beta, bias, ReLU), but the path is chosen by shape only, never by thread count. Compiled with
// the AVX-512 flags; called only after the dispatcher checked the CPU.
#include <immintrin.h>

#include <array>
#include <utility>

#include "gemm/microkernel.hpp"
#include "gemm/small.hpp"

namespace pykeras::gemm {

namespace {

constexpr int kMaxRows = 12;
// Vectors per column block for M rows: M x NV accumulators, NV B vectors and a broadcast within the 32
// zmm registers (M = 1 reads B as FMA memory operands, so 16 accumulators fit with room to spare).
constexpr int max_vectors(int rows) { return rows == 1 ? 16 : (31 / (rows + 1) < 16 ? 31 / (rows + 1) : 16); }

template <int M, int NV>
void block(int64_t k, const float* a, int64_t sai, int64_t sap, const float* b, int64_t ldb, __mmask16 last,
           float alpha, float beta, float* c, int64_t ldc, const float* bias, bool relu) {
  const __m512 zero = _mm512_set1_ps(0.0f);
  __m512 acc[M][NV];
#pragma GCC unroll 16
  for (int i = 0; i < M; ++i)
#pragma GCC unroll 16
    for (int v = 0; v < NV; ++v) acc[i][v] = zero;
  for (int64_t p = 0; p < k; ++p) {
    const float* bp = b + p * ldb;
    __m512 bv[NV];
#pragma GCC unroll 16
    for (int v = 0; v < NV - 1; ++v) bv[v] = _mm512_loadu_ps(bp + 16 * v);
    bv[NV - 1] = _mm512_maskz_loadu_ps(last, bp + 16 * (NV - 1));  // masked lanes are never touched
    const float* ap = a + p * sap;
#pragma GCC unroll 16
    for (int i = 0; i < M; ++i) {
      const __m512 ai = _mm512_set1_ps(ap[i * sai]);
#pragma GCC unroll 16
      for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_fmadd_ps(ai, bv[v], acc[i][v]);
    }
  }
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
  const __mmask16 kAll = 0xFFFF;
#pragma GCC unroll 16
  for (int i = 0; i < M; ++i) {
    float* ci = c + i * ldc;
#pragma GCC unroll 16
    for (int v = 0; v < NV; ++v) {
      const __mmask16 mask = v == NV - 1 ? last : kAll;
      __m512 r = _mm512_mul_ps(va, acc[i][v]);
      if (beta != 0.0f) r = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mask, ci + 16 * v), r);
      if (bias != nullptr) r = _mm512_add_ps(r, _mm512_maskz_loadu_ps(mask, bias + 16 * v));
      if (relu) r = _mm512_maskz_max_ps(kAll, zero, r);  // as the micro-kernel: NaN stays NaN
      _mm512_mask_storeu_ps(ci + 16 * v, mask, r);
    }
  }
}

using BlockFn = void (*)(int64_t, const float*, int64_t, int64_t, const float*, int64_t, __mmask16, float, float,
                         float*, int64_t, const float*, bool);

// kBlocks[M - 1][NV - 1] for 1 <= M <= 12, 1 <= NV <= max_vectors(M).
template <int M, size_t... V>
constexpr std::array<BlockFn, 16> row_of(std::index_sequence<V...>) {
  return {((static_cast<int>(V) + 1 <= max_vectors(M)) ? &block<M, (static_cast<int>(V) + 1 <= max_vectors(M)
                                                                         ? static_cast<int>(V) + 1
                                                                         : 1)>
                                                       : nullptr)...};
}
template <size_t... R>
constexpr std::array<std::array<BlockFn, 16>, kMaxRows> table(std::index_sequence<R...>) {
  return {row_of<static_cast<int>(R) + 1>(std::make_index_sequence<16>{})...};
}
constexpr auto kBlocks = table(std::make_index_sequence<kMaxRows>{});

}  // namespace

void small_gemm_avx512(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t sai, int64_t sap,
                       const float* b, int64_t ldb, float beta, float* c, int64_t ldc, const Epilogue& ep) {
  for (int64_t i0 = 0; i0 < m; i0 += kMaxRows) {
    const int rows = static_cast<int>(m - i0 < kMaxRows ? m - i0 : kMaxRows);
    const int64_t width = 16 * max_vectors(rows);
    for (int64_t j0 = 0; j0 < n; j0 += width) {
      const int64_t cols = n - j0 < width ? n - j0 : width;
      const int nv = static_cast<int>((cols + 15) / 16);
      const int tail = static_cast<int>(cols - 16 * (nv - 1));
      const __mmask16 last = static_cast<__mmask16>(tail == 16 ? 0xFFFF : (1u << tail) - 1);
      kBlocks[rows - 1][nv - 1](k, a + i0 * sai, sai, sap, b + j0, ldb, last, alpha, beta, c + i0 * ldc + j0, ldc,
                                ep.bias != nullptr ? ep.bias + j0 : nullptr, ep.relu);
    }
  }
}

}  // namespace pykeras::gemm
