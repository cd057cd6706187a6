// Activation kernels compiled for avx512; used only after the dispatcher checked the CPU. See activations_impl.inc.
#define PYKERAS_ACTIVATIONS_NAME kActivationsAvx512
#define PYKERAS_ACTIVATIONS_ISA "avx512"
#include "elementwise/activations_impl.inc"
