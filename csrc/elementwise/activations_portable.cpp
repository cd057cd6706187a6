// Activation kernels compiled for portable (the baseline ISA: SSE2 on x86-64). See activations_impl.inc.
#define PYKERAS_ACTIVATIONS_NAME kActivationsPortable
#define PYKERAS_ACTIVATIONS_ISA "portable"
#include "elementwise/activations_impl.inc"
