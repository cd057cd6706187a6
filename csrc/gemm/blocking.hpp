// Register and cache blocking, one table entry per ISA.
//
// Loop nest (BLIS): jc over NC columns of C / pc over KC of the k dimension / ic over MC rows /
// jr over NR-wide micro-panels of B / ir over MR-high micro-panels of A / micro-kernel.
//
// Reference machine: AMD Zen 4, 32 KiB L1d and 1 MiB L2 per core, 32 MiB shared L3.
// - MR x NR: the register tile. It must fit the accumulators in registers with room for the B row
//   and the A broadcast: AVX-512 12x32 = 24 zmm accumulators of 32; AVX2 6x16 = 12 of 16 ymm.
// - KC: depth of one rank-KC update; C tiles are loaded and stored once per KC block, so a deep KC
//   amortises that traffic. Textbook sizing keeps the KC x NR micro-panel of B in L1 (KC = 256), but on
//   Zen 4 the L2 feeds the 176 bytes per k step (AVX-512) easily, and measured 1024^3 / 2048^3 rates
//   rise steadily with KC: 95 / 101 GFLOPS at 256, 100 / 104 at 512, 104 / 107 at 1024 (one core).
// - MC: the packed MC x KC block of A lives in L2 (120 x 1024 x 4 = 480 KiB, about half of it).
//   72..360 measured within 1%; 120 was best with two threads.
// - NC: the packed KC x NC block of B lives in L3 (1024 x 2048 x 4 = 8 MiB).
// MC must be a multiple of MR and NC a multiple of NR.
#pragma once

#include <cstdint>

namespace pykeras::gemm {

struct Blocking {
  int mr, nr;
  int64_t mc, kc, nc;
};

inline constexpr Blocking kBlockingAvx512{12, 32, 120, 1024, 2048};
inline constexpr Blocking kBlockingAvx2{6, 16, 120, 1024, 2048};
inline constexpr Blocking kBlockingPortable{4, 8, 128, 512, 2048};

// Largest MR * NR of any kernel: size of the per-thread edge-tile buffer.
inline constexpr int kMaxTile = 12 * 32;

}  // namespace pykeras::gemm

namespace pykeras::gemm {
static_assert(kBlockingAvx512.mr * kBlockingAvx512.nr <= kMaxTile && kBlockingAvx2.mr * kBlockingAvx2.nr <= kMaxTile &&
                  kBlockingPortable.mr * kBlockingPortable.nr <= kMaxTile,
              "edge-tile buffer too small");
static_assert(kBlockingAvx512.nr <= 32 && kBlockingAvx2.nr <= 32 && kBlockingPortable.nr <= 32,
              "pack_b_panel transposes through a tile at most 32 columns wide");
static_assert(kBlockingAvx512.mr <= 16 && kBlockingAvx2.mr <= 16 && kBlockingPortable.mr <= 16,
              "pack_a_panel handles at most 16 rows");
}  // namespace pykeras::gemm
