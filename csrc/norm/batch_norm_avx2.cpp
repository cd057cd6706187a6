// Batch normalization kernels compiled for avx2; used only after the dispatcher checked the CPU. See batch_norm_impl.inc.
#define PYKERAS_BATCH_NORM_NAME kBatchNormAvx2
#define PYKERAS_BATCH_NORM_ISA "avx2"
#include "norm/batch_norm_impl.inc"
