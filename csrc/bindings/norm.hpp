// Bindings of the normalization kernels (csrc/norm).
#pragma once

#include <pybind11/pybind11.h>

namespace pykeras::bind {

void bind_norm(pybind11::module_& mod);

}  // namespace pykeras::bind
