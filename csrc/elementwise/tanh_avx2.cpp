// tanh kernels compiled for avx2; used only after the dispatcher checked the CPU. See tanh_impl.inc.
#define PYKERAS_TANH_NAME kTanhAvx2
#define PYKERAS_TANH_ISA "avx2"
#include "elementwise/tanh_impl.inc"
