// tanh kernels compiled for portable (the baseline ISA: SSE2 on x86-64). See tanh_impl.inc.
#define PYKERAS_TANH_NAME kTanhPortable
#define PYKERAS_TANH_ISA "portable"
#include "elementwise/tanh_impl.inc"
