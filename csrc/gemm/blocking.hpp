// Register and cache blocking, one table entry per ISA.
//
// Loop nest (BLIS): jc over NC columns of C / pc over KC of the k dimension / ic over MC rows /
// jr over NR-wide micro-panels of B / ir over MR-high micro-panels of A / micro-kernel.
//
// Reference machine: AMD Zen 4, 32 KiB L1d and 1 MiB L2 per core, 32 MiB shared L3.
// - MR x NR: the register tile. It must fit the accumulators in registers with room for the B row
//   and the A broadcast: AVX-512 12x32 = 24 zmm accumulators of 32; AVX2 6x16 = 12 of 16 ymm.
// - KC: the KC x NR micro-panel of B is reused by every A micro-panel of the jr iteration, so it
//   should stay in L1: 256 x 32 floats = 32 KiB is the L1; the A micro-panel (12 x 256 x 4 = 12 KiB)
//   streams through from L2. KC also sets how often the C tile is loaded and stored (once per KC).
// - MC: the packed MC x KC block of A lives in L2 (about half of it).
// - NC: the packed KC x NC block of B lives in L3.
// MC must be a multiple of MR and NC a multiple of NR.
#pragma once

#include <cstdint>

namespace pykeras::gemm {

struct Blocking {
  int mr, nr;
  int64_t mc, kc, nc;
};

inline constexpr Blocking kBlockingAvx512{12, 32, 240, 256, 4096};
inline constexpr Blocking kBlockingAvx2{6, 16, 120, 256, 4096};
inline constexpr Blocking kBlockingPortable{4, 8, 128, 256, 4096};

// Largest MR * NR of any kernel: size of the per-thread edge-tile buffer.
inline constexpr int kMaxTile = 12 * 32;

}  // namespace pykeras::gemm
