// Optimizer rules compiled for avx512; used only after the dispatcher checked the CPU. See rules_impl.inc.
#define PYKERAS_RULES_NAME kRulesAvx512
#define PYKERAS_RULES_ISA "avx512"
#include "optim/rules_impl.inc"
