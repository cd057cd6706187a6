// Optimizer rules compiled for portable (the baseline ISA: SSE2 on x86-64). See rules_impl.inc.
#define PYKERAS_RULES_NAME kRulesPortable
#define PYKERAS_RULES_ISA "portable"
#include "optim/rules_impl.inc"
