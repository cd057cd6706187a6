// Run-time choice of the micro-kernel: the best one compiled in and supported by this CPU,
// overridable by name for tests and benchmarks.
#pragma once

#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include "gemm/blocking.hpp"
#include "gemm/microkernel.hpp"
#include "gemm/pack.hpp"
#include "gemm/small.hpp"

namespace pykeras::gemm {

struct KernelSpec {
  const char* name;  // "avx512", "avx2", "portable"
  Blocking blocking;
  MicroKernelFn kernel;
  PartialKernelFn part = nullptr;  // optional partial-tile kernels (see microkernel.hpp)
  SmallGemmFn small = nullptr;     // optional no-packing path for small problems (see small.hpp)
  PackBTransFn pack_b_trans = nullptr;  // optional packer for an unmasked transposed B (see pack.hpp)
  PartialDirectAKernelFn direct_a = nullptr;  // optional direct-A kernels (see microkernel.hpp)
  PackAFn pack_a = nullptr;  // optional packers for A and a non-transposed B, masked or not (pack.hpp)
  PackBFn pack_b = nullptr;
};

// The kernel in use (the best supported one unless set_isa was called).
const KernelSpec& active_kernel();

// Names compiled into this build, best first.
std::vector<std::string> compiled_isas();
// Name of the best ISA that is compiled in and that this CPU supports.
std::string selected_isa();
// Currently active ISA name.
std::string active_isa();
// Force an ISA; std::invalid_argument if not compiled in or not supported by this CPU.
void set_isa(const std::string& name);

// Of a kernel family's per-ISA tables (each names its ISA in `isa`), the one of the ISA in use, else
// the portable one: set_isa chooses for every family (activations, optimizer rules, normalization).
template <typename Table>
const Table& table_for_active_isa(const Table& portable, std::initializer_list<const Table*> others) {
  const char* isa = active_kernel().name;
  for (const Table* table : others)
    if (std::strcmp(isa, table->isa) == 0) return *table;
  return portable;
}

}  // namespace pykeras::gemm
