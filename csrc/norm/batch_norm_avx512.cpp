// Batch normalization kernels compiled for avx512; used only after the dispatcher checked the CPU. See batch_norm_impl.inc.
#define PYKERAS_BATCH_NORM_NAME kBatchNormAvx512
#define PYKERAS_BATCH_NORM_ISA "avx512"
#include "norm/batch_norm_impl.inc"
