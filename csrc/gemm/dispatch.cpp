#include "gemm/dispatch.hpp"

#include <atomic>

#include "common/check.hpp"

namespace pykeras::gemm {
namespace {

const KernelSpec kPortable{"portable", kBlockingPortable, microkernel_ref_4x8};
#if defined(PYKERAS_X86_KERNELS)
const KernelSpec kAvx512{"avx512", kBlockingAvx512, microkernel_avx512_12x32, microkernel_avx512_part,
                         small_gemm_avx512, pack_b_trans_avx512, microkernel_avx512_direct_a, pack_a_avx512,
                         pack_b_avx512};
const KernelSpec kAvx2{"avx2", kBlockingAvx2, microkernel_avx2_6x16, nullptr, small_gemm_avx2};
#endif

// Every compiled kernel, best first.
std::vector<const KernelSpec*> all_kernels() {
  return {
#if defined(PYKERAS_X86_KERNELS)
      &kAvx512, &kAvx2,
#endif
      &kPortable};
}

bool cpu_supports(const KernelSpec& spec) {
#if defined(PYKERAS_X86_KERNELS)
  if (&spec == &kAvx512) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("fma");
  }
  if (&spec == &kAvx2) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }
#endif
  (void)spec;
  return true;
}

const KernelSpec* best_kernel() {
  for (const KernelSpec* k : all_kernels())
    if (cpu_supports(*k)) return k;
  return &kPortable;
}

std::atomic<const KernelSpec*>& active() {
  static std::atomic<const KernelSpec*> k{best_kernel()};
  return k;
}

}  // namespace

const KernelSpec& active_kernel() { return *active().load(std::memory_order_relaxed); }

std::vector<std::string> compiled_isas() {
  std::vector<std::string> names;
  for (const KernelSpec* k : all_kernels()) names.emplace_back(k->name);
  return names;
}

std::string selected_isa() { return best_kernel()->name; }

std::string active_isa() { return active_kernel().name; }

void set_isa(const std::string& name) {
  std::string known;
  for (const KernelSpec* k : all_kernels()) {
    if (name == k->name) {
      check(cpu_supports(*k), "set_isa: ISA '", name,
            "' is compiled in but this CPU does not support it. Received: name='", name, "'");
      active().store(k, std::memory_order_relaxed);
      return;
    }
    known += known.empty() ? "" : ", ";
    known += str_cat("'", k->name, "'");
  }
  fail("set_isa: name must be one of the compiled ISAs [", known, "]. Received: name='", name, "'");
}

}  // namespace pykeras::gemm
