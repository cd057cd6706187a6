// Batch normalization kernels compiled for portable. See batch_norm_impl.inc.
#define PYKERAS_BATCH_NORM_NAME kBatchNormPortable
#define PYKERAS_BATCH_NORM_ISA "portable"
#include "norm/batch_norm_impl.inc"
