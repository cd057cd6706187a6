// Bindings of the dense layers and dense chains (csrc/dense).
#pragma once

#include <pybind11/pybind11.h>

namespace pykeras::bind {

void bind_dense(pybind11::module_& mod);

}  // namespace pykeras::bind
