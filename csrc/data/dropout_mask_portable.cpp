// Dropout mask kernel compiled for portable (the baseline ISA: SSE2 on x86-64). See dropout_mask_impl.inc.
#define PYKERAS_DROPOUT_MASK_NAME kDropoutMaskPortable
#define PYKERAS_DROPOUT_MASK_ISA "portable"
#include "data/dropout_mask_impl.inc"
