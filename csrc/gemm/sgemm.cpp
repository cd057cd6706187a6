// The blocked GEMM driver (BLIS loop nest): jc / pc / ic / jr / ir around a micro-kernel.
//
// Threads: one OpenMP team per call; for each (jc, pc) the team packs the B block together. Few rows
// (a batch of 32: fewer than 4 MR panels per thread): for each ic the team packs the A block together
// and splits its (jr, ir) tiles. More rows: each thread takes its own band of rows and packs its own
// A, so the team only meets around B (measured on Zen 4 at 1024 x 784 x 256: 205 against 165
// GFLOPS, and 1024 x 256 x 128 at twice the speed, where the per-block barriers dominated). Each C tile is
// computed by exactly one thread, with the same arithmetic whatever the thread count, so results are
// bitwise identical for any number of threads (no reduction over k is ever split).
#include "gemm/sgemm.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>

#include "common/check.hpp"
#include "common/threads.hpp"
#include "common/workspace.hpp"
#include "gemm/dispatch.hpp"
#include "gemm/held_packs.hpp"
#include "gemm/pack.hpp"
#include "gemm/tile.hpp"

namespace pykeras::gemm {
namespace {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Packing B costs a pass over k x n and pays off through reuse across the m rows of C. Up to this many
// rows (a dense layer on a batch, a square problem up to ~512) the kernel reads a non-transposed B in
// place instead: measured on Zen 4, +15% at (32, 784, 256), +3% at 512^3, neutral above.
constexpr int64_t kDirectBMaxRows = 512;

// Packing A likewise pays off through reuse across the n columns of C. Up to this many columns, an ISA
// with direct-A kernels reads an unmasked A in place instead, as stored (12 row streams, one float per
// row per k step) or transposed (12 consecutive floats per k step). Measured on Zen 4, one thread, GFLOPS packed -> direct: (1024,784,128) 83 -> 110,
// (1024,784,256) 95 -> 104, 512^3 98 -> 109, 256^3 94 -> 111, (32,784,256) 88 -> 109; (1024,784,1024)
// 101 -> 102, where the packing is already amortised.
constexpr int64_t kDirectAMaxCols = 512;

// sgemm_split_k works through C in blocks of this many rows, so that the second product's block stays
// in L2 (256 x 256 floats: 256 KiB) until it is added, and B is read in place (kDirectBMaxRows).
constexpr int64_t kSplitChunkRows = 256;

// The no-packing path (small.hpp), where packing costs more than it saves: few rows of C (m <= 4, a
// GEMV-like product: one-sample inference; up to 2 MFLOP) or an output narrower than one register tile
// (n < NR, e.g. a 10-class layer, where a packed B panel would be mostly zero padding: 1024 x 128 x 10
// ran at 36 GFLOPS blocked, against about 100 here). The choice depends on the shape only.
constexpr int64_t kSmallMaxRows = 4;
constexpr double kSmallMaxFlops = 2.0e6;
// Rows per thread share of a narrow output: whole row blocks of the small kernel.
constexpr int64_t kSmallRowBlock = 12;

double gemm_flops(int64_t m, int64_t n, int64_t k) {
  return 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
}

// A few rows of C and little work: the small kernel's GEMV-like case.
bool few_rows(const KernelSpec& ks, int64_t m, double flops) {
  return ks.small != nullptr && m <= kSmallMaxRows && flops < kSmallMaxFlops;
}

// C = beta * C, then the epilogue; for k == 0 or alpha == 0, when A and B are not read.
void scale_and_epilogue(int64_t m, int64_t n, float beta, float* c, int64_t ldc, const Epilogue& ep) {
  for (int64_t i = 0; i < m; ++i) {
    float* ci = c + i * ldc;
    for (int64_t j = 0; j < n; ++j) {
      float v = beta == 0.0f ? 0.0f : beta * ci[j];
      if (ep.bias != nullptr) v += ep.bias[j];
      if (ep.relu) v = v < 0.0f ? 0.0f : v;
      ci[j] = v;
    }
  }
}

// The small kernel over k in KC blocks, summed as the blocked loop nest sums them: each block's
// products from zero, added to C (beta on the first block, 1 after), the epilogue on the last. So a
// row of C has the same bits whichever path its batch takes, however deep k is.
void small_by_kc(const KernelSpec& ks, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t sai,
                 int64_t sap, const float* b, int64_t ldb, float beta, float* c, int64_t ldc, const Epilogue& ep) {
  const int64_t KC = ks.blocking.kc;
  for (int64_t pc = 0; pc == 0 || pc < k; pc += KC) {
    const int64_t kc = std::min(KC, k - pc);
    ks.small(m, n, kc, alpha, a + pc * sap, sai, sap, b + pc * ldb, ldb, pc == 0 ? beta : 1.0f, c, ldc,
             pc + kc >= k ? ep : Epilogue{});
  }
}

// Threads for a few rows of C split by columns, in blocks of 16 floats: by the size of B, at most
// one per 64 columns.
int column_threads(int64_t n, int64_t k) {
  return static_cast<int>(std::min<int64_t>({threads_for_elements(k * n), n / 64, ceil_div(n, 16)}));
}

// Threads share the small path two ways; each element of C keeps its one FMA chain, so neither split
// changes a result.
// - A few rows stream B once and are bound by memory: split by columns (blocks of 16 floats), each core
//   streams its own part of B, which then stays in that core's L2 from one call to the next (static
//   split: the same thread gets the same columns every time).
// - A narrow output with many rows is bound by compute: split by rows.
void small_split(const KernelSpec& ks, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t sai,
                 int64_t sap, const float* b, int64_t ldb, float beta, float* c, int64_t ldc, const Epilogue& ep) {
  const double flops = gemm_flops(m, n, k);
  const bool by_columns = m <= kSmallMaxRows;
  const int64_t parts = by_columns ? ceil_div(n, 16) : ceil_div(m, kSmallRowBlock);
  const int nthreads = by_columns ? column_threads(n, k)
                                  : static_cast<int>(std::min<int64_t>(threads_for_flops(flops), parts));
  if (nthreads <= 1) {
    small_by_kc(ks, m, n, k, alpha, a, sai, sap, b, ldb, beta, c, ldc, ep);
    return;
  }
  const auto start = std::chrono::steady_clock::now();
#pragma omp parallel for schedule(static) num_threads(nthreads)
  for (int t = 0; t < nthreads; ++t) {
    const int64_t unit = by_columns ? 16 : kSmallRowBlock;
    const int64_t lo = unit * (parts * t / nthreads);
    const int64_t hi = std::min(by_columns ? n : m, unit * (parts * (t + 1) / nthreads));
    if (hi <= lo) continue;
    if (by_columns) {
      Epilogue e = ep;
      if (e.bias != nullptr) e.bias += lo;
      small_by_kc(ks, m, hi - lo, k, alpha, a, sai, sap, b + lo, ldb, beta, c + lo, ldc, e);
    } else {
      small_by_kc(ks, hi - lo, n, k, alpha, a + lo * sai, sai, sap, b, ldb, beta, c + lo * ldc, ldc, ep);
    }
  }
  note_run(flops, nthreads, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

struct Problem {
  bool trans_a, trans_b;
  int64_t m, n, k;
  float alpha;
  const float* a;
  int64_t lda;
  const float* b;
  int64_t ldb;
  float beta;
  const float* mask_a;  // ReLU masks applied while packing, or null
  const float* mask_b;
  float* c;
  int64_t ldc;
  Epilogue ep;
  HeldPacks* held = nullptr;  // packed copies of B to find or keep, or null
};

// One register tile of C at (i0, j0) for the current (pc, kc) block, rows below row_end only: the
// micro-kernel on the packed A micro-panel `ap` (or, direct_a, A in place) and B micro-panel `bpanel`
// (or B in place), with the epilogue on the last KC block.
void compute_tile(const KernelSpec& ks, const Problem& pb, bool direct_a, bool direct_b, int64_t pc, int64_t kc,
                  const float* ap, const float* bpanel, int64_t i0, int64_t row_end, int64_t j0, float* tile) {
  const int MR = ks.blocking.mr, NR = ks.blocking.nr;
  const int mr = static_cast<int>(std::min<int64_t>(MR, row_end - i0));
  const int nr = static_cast<int>(std::min<int64_t>(NR, pb.n - j0));
  // Later KC blocks accumulate onto the first; the epilogue runs once, on the final sum.
  const float beta_pc = pc == 0 ? pb.beta : 1.0f;
  Epilogue e = pc + kc == pb.k ? pb.ep : Epilogue{};
  if (e.bias != nullptr) e.bias += j0;
  const bool in_place = direct_b && nr == NR;
  const float* bp = in_place ? pb.b + pc * pb.ldb + j0 : bpanel;
  const int64_t bstride = in_place ? pb.ldb : NR;
  float* cp = pb.c + i0 * pb.ldc + j0;
  // An edge tile the kernel cannot write in place is computed in `tile` (alpha and beta applied by
  // the kernel, as in place: the same bits whichever rows a thread's band gives the tile), then its
  // valid part is stored with the epilogue.
  const bool in_buffer = nr < NR || (mr < MR && !direct_a && ks.part == nullptr);
  float* const dst = in_buffer ? tile : cp;
  const int64_t ldd = in_buffer ? NR : pb.ldc;
  if (in_buffer) load_tile(cp, pb.ldc, mr, nr, beta_pc, tile, MR, NR);
  const Epilogue ed = in_buffer ? Epilogue{} : e;
  if (direct_a) {
    const float* a = pb.trans_a ? pb.a + pc * pb.lda + i0 : pb.a + i0 * pb.lda + pc;
    ks.direct_a(mr, nr, pb.trans_a)(kc, a, pb.lda, bp, bstride, dst, ldd, pb.alpha, beta_pc, ed);
  } else if (mr == MR && nr == NR) {
    ks.kernel(kc, ap, bp, bstride, dst, ldd, pb.alpha, beta_pc, ed);
  } else {
    (ks.part != nullptr ? ks.part(mr, nr) : ks.kernel)(kc, ap, bp, bstride, dst, ldd, pb.alpha, beta_pc, ed);
  }
  if (in_buffer) store_tile(tile, NR, mr, nr, 1.0f, 0.0f, cp, pb.ldc, e);
}

// Packs the B micro-panels of block (jc, pc) that the kernel cannot read in place. `shared`: an `omp
// for`, so inside a parallel region the team shares the work and waits for it at the end; otherwise
// the calling thread packs every panel for itself.
void pack_b_block(const KernelSpec& ks, const Problem& pb, bool direct_b, int64_t jc, int64_t n_panels, int64_t pc,
                  int64_t kc, float* bpack, bool shared) {
  const int NR = ks.blocking.nr;
  const auto pack_panel = [&](int64_t jp) {
    const int64_t j0 = jc + jp * NR;
    const int nr = static_cast<int>(std::min<int64_t>(NR, pb.n - j0));
    if (direct_b && nr == NR) return;
    if (pb.trans_b && pb.mask_b == nullptr && ks.pack_b_trans != nullptr)
      ks.pack_b_trans(pb.b, pb.ldb, pc, kc, j0, nr, bpack + jp * NR * kc);
    else if (!pb.trans_b && ks.pack_b != nullptr)
      ks.pack_b(pb.b, pb.ldb, pc, kc, j0, nr, bpack + jp * NR * kc, pb.mask_b);
    else
      pack_b_panel(pb.trans_b, pb.b, pb.ldb, pc, kc, j0, nr, NR, bpack + jp * NR * kc, pb.mask_b);
  };
  if (shared) {
#pragma omp for schedule(static)
    for (int64_t jp = 0; jp < n_panels; ++jp) pack_panel(jp);
  } else {
    for (int64_t jp = 0; jp < n_panels; ++jp) pack_panel(jp);
  }
}

// Where block (jc, pc) of a held B starts: the column blocks in turn, each all k rows deep (every one
// but the last NC = a whole number of NR panels wide), its KC blocks in turn within it.
int64_t held_block_offset(const KernelSpec& ks, int64_t jc, int64_t n_panels, int64_t pc, int64_t k) {
  return jc * k + n_panels * ks.blocking.nr * pc;
}

// B held packed for pb.held: found, or packed now (every block, the panels shared by the team) and kept;
// null past the HeldPacks' budget.
const float* held_b_for(const KernelSpec& ks, const Problem& pb, int nthreads) {
  const float* found = pb.held->find(ks, pb.b, pb.ldb, pb.k, pb.n);
  if (found != nullptr) return found;
  const int NR = ks.blocking.nr;
  const int64_t KC = ks.blocking.kc, NC = ks.blocking.nc;
  float* const packed = pb.held->add(ks, pb.b, pb.ldb, pb.k, pb.n, ceil_div(pb.n, NR) * NR * pb.k);
  if (packed == nullptr) return nullptr;
#pragma omp parallel num_threads(nthreads) if (nthreads > 1)
  for (int64_t jc = 0; jc < pb.n; jc += NC) {
    const int64_t n_panels = ceil_div(std::min(NC, pb.n - jc), NR);
    for (int64_t pc = 0; pc < pb.k; pc += KC)
      pack_b_block(ks, pb, false, jc, n_panels, pc, std::min(KC, pb.k - pc),
                   packed + held_block_offset(ks, jc, n_panels, pc, pb.k), true);
  }
  return packed;
}

// The loop nest, run by every thread of the team over rows [r0, r1) of C. The `omp for` loops split
// work between the threads of the enclosing parallel region; called outside one (a single thread),
// they run serially and no team is started at all.
// - Tile split (`own_rows` false, every thread given all rows): the team packs each A block
//   together and shares its tiles.
// - Row split (`own_rows` true, each thread its own band of rows): a thread packs its own A blocks
//   in its own buffer and computes its tiles alone. With `own_b` it packs every B block for itself
//   too and never meets the team; otherwise the team packs each B block together and meets around it
//   (once packed, once before it is repacked).
// - held_b: B's blocks packed beforehand (held_b_for); nothing of B is packed and the team never meets
//   around it.
// Every tile is the same micro-kernel call either way, so the results are the same bits.
void loop_nest(const KernelSpec& ks, const Problem& pb, bool direct_a, bool direct_b, float* apack, float* bpack,
               int64_t r0, int64_t r1, bool own_rows, bool own_b, const float* held_b) {
  const int MR = ks.blocking.mr, NR = ks.blocking.nr;
  const int64_t MC = ks.blocking.mc, KC = ks.blocking.kc, NC = ks.blocking.nc;
  const int64_t n = pb.n, k = pb.k;
  alignas(64) float tile[kMaxTile];
  for (int64_t jc = 0; jc < n; jc += NC) {
    const int64_t n_panels = ceil_div(std::min(NC, n - jc), NR);
    for (int64_t pc = 0; pc < k; pc += KC) {
      const int64_t kc = std::min(KC, k - pc);
      if (held_b != nullptr)
        bpack = const_cast<float*>(held_b + held_block_offset(ks, jc, n_panels, pc, k));
      else
        pack_b_block(ks, pb, direct_b, jc, n_panels, pc, kc, bpack, !own_b);
      for (int64_t ic = r0; ic < r1; ic += MC) {
        const int64_t m_panels = ceil_div(std::min(MC, r1 - ic), MR);
        const auto pack_a = [&](int64_t ip) {
          const int64_t i0 = ic + ip * MR;
          const int mr = static_cast<int>(std::min<int64_t>(MR, r1 - i0));
          if (ks.pack_a != nullptr)
            ks.pack_a(pb.trans_a, pb.a, pb.lda, i0, mr, pc, kc, apack + ip * MR * kc, pb.mask_a);
          else
            pack_a_panel(pb.trans_a, pb.a, pb.lda, i0, mr, pc, kc, MR, apack + ip * MR * kc, pb.mask_a);
        };
        // Tiles in jr-major order: a thread's tiles share B micro-panels.
        const auto tile_at = [&](int64_t t) {
          const int64_t jp = t / m_panels, ip = t % m_panels;
          compute_tile(ks, pb, direct_a, direct_b, pc, kc, direct_a ? nullptr : apack + ip * MR * kc,
                       bpack + jp * NR * kc, ic + ip * MR, r1, jc + jp * NR, tile);
        };
        if (own_rows) {
          if (!direct_a)
            for (int64_t ip = 0; ip < m_panels; ++ip) pack_a(ip);
          for (int64_t t = 0; t < n_panels * m_panels; ++t) tile_at(t);
          continue;
        }
        if (!direct_a) {  // the same for every thread: all of the team meet this `omp for`, or none
#pragma omp for schedule(static)
          for (int64_t ip = 0; ip < m_panels; ++ip) pack_a(ip);
        }
#pragma omp for schedule(static)
        for (int64_t t = 0; t < n_panels * m_panels; ++t) tile_at(t);
      }
      if (own_rows && !own_b && held_b == nullptr && (pc + KC < k || jc + NC < n)) {
#pragma omp barrier
      }
    }
  }
}

// The row split pays as soon as every thread gets a few MR panels: measured with two threads on
// Zen 4, 128 x 256 x 128 runs at 175 GFLOPS split by rows (6 and 5 panels) against 85 split by
// tiles, whose two barriers per MC block and small last block cost more than the 6:5 imbalance.
constexpr int64_t kRowSplitPanelsPerThread = 4;

// In the row split each thread packs every B block for itself, unless those copies would take more
// than this in all. A block packed by the other core reaches this one line by line from that core's
// cache, which costs more than packing it again from B itself (read-only, so every core keeps its own
// copy of those lines). Two threads on Zen 4, blocks of 20 calls alternating in one process,
// GFLOPS shared -> own: 128 x 128 x 256 with op(B) = B^T (W3's second-layer dX) 91 -> 136, 300
// blocks of 300 faster; 128 x 256 x 784 B^T 171 -> 179 in a quiet stretch, 100 -> 160 in a slow
// one; 784 x 128 x 256 172 -> 190; 1024 x 4096 x 1024 185 -> 199; 256^3 to 2048^3 within 2%.
constexpr double kOwnBMaxBytes = 16.0 * (1 << 20);

void blocked(const KernelSpec& ks, const Problem& pb, int nthreads) {
  const int MR = ks.blocking.mr, NR = ks.blocking.nr;
  const int64_t MC = ks.blocking.mc, KC = ks.blocking.kc, NC = ks.blocking.nc;
  const int64_t kc_max = std::min(KC, pb.k);
  // B read in place (see kDirectBMaxRows); only the ragged last panel of each block is packed.
  const bool direct_b = !pb.trans_b && pb.m <= kDirectBMaxRows && pb.mask_b == nullptr;
  // A read in place (see kDirectAMaxCols): nothing of A is packed.
  const bool direct_a = ks.direct_a != nullptr && pb.mask_a == nullptr && pb.n <= kDirectAMaxCols;
  // A B that would be packed at every call is packed once for all the calls lending the same HeldPacks
  // (within its budget).
  const float* const held_b =
      pb.held != nullptr && !direct_b && !pb.trans_b && pb.mask_b == nullptr ? held_b_for(ks, pb, nthreads) : nullptr;
  Workspace& ws = thread_workspace();
  const int64_t bpack_each = ceil_div(std::min(NC, pb.n), NR) * NR * kc_max;
  const int64_t panels = ceil_div(pb.m, MR);
  if (nthreads > 1 && panels >= kRowSplitPanelsPerThread * nthreads) {
    const int64_t apack_each =
        direct_a ? 0 : ceil_div(std::min(MC, ceil_div(pb.m, nthreads)), MR) * MR * kc_max;
    const bool own_b = static_cast<double>(bpack_each) * nthreads * sizeof(float) <= kOwnBMaxBytes;
    float* const apack = ws.pack_a.get(static_cast<size_t>(apack_each * nthreads));
    float* const bpack =
        held_b != nullptr ? nullptr : ws.pack_b.get(static_cast<size_t>(bpack_each * (own_b ? nthreads : 1)));
#pragma omp parallel num_threads(nthreads)
    {
      // Equal bands of rows, not of MR panels: a panel's cost grows with its rows, so 128 rows split
      // 64 + 64 (five panels and four rows each) rather than 60 + 68 (five panels, and six).
      const int t = omp_get_thread_num(), team = omp_get_num_threads();
      const int64_t r0 = pb.m * t / team, r1 = pb.m * (t + 1) / team;
      loop_nest(ks, pb, direct_a, direct_b, apack + apack_each * t,
                held_b != nullptr ? nullptr : bpack + (own_b ? bpack_each * t : 0), r0, r1, true, own_b, held_b);
    }
    return;
  }
  float* const bpack = held_b != nullptr ? nullptr : ws.pack_b.get(static_cast<size_t>(bpack_each));
  float* const apack =
      ws.pack_a.get(direct_a ? 0 : static_cast<size_t>(ceil_div(std::min(MC, pb.m), MR) * MR * kc_max));
  if (nthreads <= 1) {
    loop_nest(ks, pb, direct_a, direct_b, apack, bpack, 0, pb.m, false, false, held_b);
    return;
  }
#pragma omp parallel num_threads(nthreads)
  loop_nest(ks, pb, direct_a, direct_b, apack, bpack, 0, pb.m, false, false, held_b);
}

// Rows [r0, r1), columns [c0, c1) of c = act((c + partial) + bias): sgemm_split_k's sum.
void sum_halves(int64_t r0, int64_t r1, int64_t c0, int64_t c1, const float* partial, int64_t ldp, float* c,
                int64_t ldc, const Epilogue& ep) {
  for (int64_t i = r0; i < r1; ++i) {
    float* ci = c + i * ldc;
    const float* pi = partial + i * ldp;
    for (int64_t j = c0; j < c1; ++j) {
      float v = ci[j] + pi[j];
      if (ep.bias != nullptr) v += ep.bias[j];
      if (ep.relu) v = v < 0.0f ? 0.0f : v;
      ci[j] = v;
    }
  }
}

// sgemm_split_k for a few rows: each half through the small kernel, then their sum. With a team, each
// half is read by its own threads, as in the blocked path: a thread streams one contiguous band of
// B's rows, all n columns wide (or its column part of them, with more than two threads). Measured on
// Zen 4 for one sample through 784 x 256 (bound by reading B from the cores' L2): 5.0-5.8 us split by
// columns, 4.4-5.2 us split by halves. The sum follows the join.
void split_k_small(const KernelSpec& ks, int64_t m, int64_t n, int64_t k, double flops, const float* a,
                   int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc, float* partial,
                   const Epilogue& ep) {
  const int64_t half = k / 2, parts = ceil_div(n, 16);
  // Columns [lo, hi) of half `part`: the first into c, the second into the partial buffer.
  const auto product = [&](int part, int64_t lo, int64_t hi) {
    const int64_t k0 = part == 0 ? 0 : half;
    float* const out = part == 0 ? c + lo : partial + lo;
    small_by_kc(ks, m, hi - lo, part == 0 ? half : k - half, 1.0f, a + k0, lda, 1, b + k0 * ldb + lo, ldb, 0.0f,
                out, part == 0 ? ldc : n, Epilogue{});
  };
  const int64_t column_parts =
      std::min<int64_t>(threads_for_elements(k * n), 2 * parts) / 2;  // per half; 0: one thread
  if (column_parts == 0) {
    product(0, 0, n);
    product(1, 0, n);
  } else {
    const int nthreads = static_cast<int>(2 * column_parts);
    const auto start = std::chrono::steady_clock::now();
#pragma omp parallel for schedule(static) num_threads(nthreads)
    for (int t = 0; t < nthreads; ++t) {
      const int64_t p = t % column_parts;
      const int64_t lo = 16 * (parts * p / column_parts), hi = std::min(n, 16 * (parts * (p + 1) / column_parts));
      if (lo < hi) product(static_cast<int>(t / column_parts), lo, hi);
    }
    note_run(flops, nthreads, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  sum_halves(0, m, 0, n, partial, n, c, ldc, ep);
}

}  // namespace

void sgemm_split_k(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb,
                   float* c, int64_t ldc, const Epilogue& ep) {
  const char* op = "sgemm_split_k";
  check_nonnegative(op, "m", m);
  check_nonnegative(op, "n", n);
  check(k >= 2, op, ": k must be >= 2 (two halves). Received: k=", k);
  check_leading_dim(op, "lda", lda, k);
  check_leading_dim(op, "ldb", ldb, n);
  check_leading_dim(op, "ldc", ldc, n);
  if (m == 0 || n == 0) return;
  check(a != nullptr && b != nullptr && c != nullptr, op, ": a, b and c must not be null");
  const KernelSpec& ks = active_kernel();
  const double flops = gemm_flops(m, n, k);
  // The second product goes to the caller's workspace, shared by the team below.
  float* const partial =
      thread_workspace().partial.get(static_cast<size_t>(std::min(m, kSplitChunkRows) * n));
  if (few_rows(ks, m, flops)) {
    split_k_small(ks, m, n, k, flops, a, lda, b, ldb, c, ldc, partial, ep);
    return;
  }
  const int64_t half = k / 2;
  // Rows [r0, r1) of product `part`, into c (the first) or the partial buffer's rows from r0.
  const auto product = [&](int part, int64_t r0, int64_t r1, int threads) {
    const int64_t k0 = part == 0 ? 0 : half, kp = part == 0 ? half : k - half;
    float* const out = part == 0 ? c + r0 * ldc : partial;
    const Problem pb{false, false, r1 - r0, n, kp, 1.0f, a + r0 * lda + k0, lda, b + k0 * ldb, ldb, 0.0f,
                     nullptr, nullptr, out, part == 0 ? ldc : n, Epilogue{}};
    blocked(ks, pb, threads);
  };
  const int nthreads = threads_for_flops(flops);
  const auto start = std::chrono::steady_clock::now();
  if (nthreads == 2) {
#pragma omp parallel num_threads(2)
    {
      // Normally one product each; a team cut short (OMP_DYNAMIC, a thread limit) computes both.
      const int t = omp_get_thread_num(), team = omp_get_num_threads();
      for (int64_t r0 = 0; r0 < m; r0 += kSplitChunkRows) {
        const int64_t r1 = std::min(m, r0 + kSplitChunkRows);
        for (int part = t; part < 2; part += team) {
          // A team of one: the loop nest's worksharing binds to it, not to this team.
#pragma omp parallel num_threads(1)
          product(part, r0, r1, 1);
        }
#pragma omp barrier
        const int64_t rows = r1 - r0;
        sum_halves(rows * t / team, rows * (t + 1) / team, 0, n, partial, n, c + r0 * ldc, ldc, ep);
#pragma omp barrier
      }
    }
  } else {  // one thread, or more than two: the products in turn, each by the whole team
    for (int64_t r0 = 0; r0 < m; r0 += kSplitChunkRows) {
      const int64_t r1 = std::min(m, r0 + kSplitChunkRows), rows = r1 - r0;
      product(0, r0, r1, nthreads);
      product(1, r0, r1, nthreads);
#pragma omp parallel for num_threads(nthreads) schedule(static) if (nthreads > 1)
      for (int t = 0; t < nthreads; ++t)
        sum_halves(rows * t / nthreads, rows * (t + 1) / nthreads, 0, n, partial, n, c + r0 * ldc, ldc, ep);
    }
  }
  note_run(flops, nthreads, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc,
           const Epilogue& ep, HeldPacks* held) {
  sgemm_masked(trans_a, trans_b, m, n, k, alpha, a, lda, nullptr, b, ldb, nullptr, beta, c, ldc, ep, held);
}

void sgemm_masked(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                  int64_t lda, const float* mask_a, const float* b, int64_t ldb, const float* mask_b, float beta,
                  float* c, int64_t ldc, const Epilogue& ep, HeldPacks* held) {
  const char* op = "sgemm";
  check_nonnegative(op, "m", m);
  check_nonnegative(op, "n", n);
  check_nonnegative(op, "k", k);
  check_leading_dim(op, "lda", lda, trans_a ? m : k);
  check_leading_dim(op, "ldb", ldb, trans_b ? k : n);
  check_leading_dim(op, "ldc", ldc, n);
  if (m == 0 || n == 0) return;
  check(c != nullptr, op, ": c must not be null. Received: c=nullptr");
  if (k == 0 || alpha == 0.0f) {
    scale_and_epilogue(m, n, beta, c, ldc, ep);
    return;
  }
  check(a != nullptr && b != nullptr, op, ": a and b must not be null. Received: a=",
        static_cast<const void*>(a), ", b=", static_cast<const void*>(b));
  const double flops = gemm_flops(m, n, k);
  const KernelSpec& ks = active_kernel();
  const bool masked = mask_a != nullptr || mask_b != nullptr;
  if (!masked && !trans_b && (few_rows(ks, m, flops) || (ks.small != nullptr && n < ks.blocking.nr))) {
    small_split(ks, m, n, k, alpha, a, trans_a ? 1 : lda, trans_a ? lda : 1, b, ldb, beta, c, ldc, ep);
    return;
  }
  const Problem pb{trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, mask_a, mask_b, c, ldc, ep, held};
  const int nthreads = threads_for_flops(flops);
  const auto start = std::chrono::steady_clock::now();
  blocked(ks, pb, nthreads);
  note_run(flops, nthreads, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

}  // namespace pykeras::gemm
