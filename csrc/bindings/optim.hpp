// Bindings of the fused optimizer updates (csrc/optim).
#pragma once

#include <pybind11/pybind11.h>

namespace pykeras::bind {

void bind_optim(pybind11::module_& mod);

}  // namespace pykeras::bind
