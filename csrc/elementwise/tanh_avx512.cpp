// tanh kernels compiled for avx512; used only after the dispatcher checked the CPU. See tanh_impl.inc.
#define PYKERAS_TANH_NAME kTanhAvx512
#define PYKERAS_TANH_ISA "avx512"
#include "elementwise/tanh_impl.inc"
