// Optimizer rules compiled for avx2; used only after the dispatcher checked the CPU. See rules_impl.inc.
#define PYKERAS_RULES_NAME kRulesAvx2
#define PYKERAS_RULES_ISA "avx2"
#include "optim/rules_impl.inc"
