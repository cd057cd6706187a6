// Dropout mask kernel compiled for avx2; used only after the dispatcher checked the CPU. See dropout_mask_impl.inc.
#define PYKERAS_DROPOUT_MASK_NAME kDropoutMaskAvx2
#define PYKERAS_DROPOUT_MASK_ISA "avx2"
#include "data/dropout_mask_impl.inc"
