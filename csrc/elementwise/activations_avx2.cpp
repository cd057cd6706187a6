// Activation kernels compiled for avx2; used only after the dispatcher checked the CPU. See activations_impl.inc.
#define PYKERAS_ACTIVATIONS_NAME kActivationsAvx2
#define PYKERAS_ACTIVATIONS_ISA "avx2"
#include "elementwise/activations_impl.inc"
