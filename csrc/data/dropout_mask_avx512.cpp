// Dropout mask kernel compiled for avx512; used only after the dispatcher checked the CPU. See dropout_mask_impl.inc.
#define PYKERAS_DROPOUT_MASK_NAME kDropoutMaskAvx512
#define PYKERAS_DROPOUT_MASK_ISA "avx512"
#include "data/dropout_mask_impl.inc"
