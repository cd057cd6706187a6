// Argument checks shared by the binding files: every array that crosses into C++ is an aligned,
// C-contiguous numpy array of the right dtype (writeable if written), never converted or copied; a
// wrong one is a ValueError naming the function, the argument, what was expected and what came.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#include "common/check.hpp"

namespace pykeras::bind {

namespace py = pybind11;

inline constexpr int kAligned = 0x0100;  // NPY_ARRAY_ALIGNED

inline std::string shape_str(const py::array& a) {
  std::string s = "(";
  for (py::ssize_t d = 0; d < a.ndim(); ++d) s += str_cat(d ? ", " : "", a.shape(d));
  return s + (a.ndim() == 1 ? ",)" : ")");
}

inline std::string type_name(const py::handle& obj) { return py::str(py::type::handle_of(obj).attr("__name__")); }

// Checks that `obj` is an aligned, C-contiguous numpy array of `dtype` (writeable if `output`).
inline py::array as_array(const char* fn, const char* name, const py::handle& obj, const py::dtype& dtype,
                   bool output) {
  if (!py::isinstance<py::array>(obj))
    fail(fn, ": argument '", name, "' must be a numpy array of dtype ", std::string(py::str(dtype)),
         ". Received: an object of type ", type_name(obj));
  auto a = py::reinterpret_borrow<py::array>(obj);
  if (!a.dtype().equal(dtype))
    fail(fn, ": argument '", name, "' must have dtype ", std::string(py::str(dtype)), ". Received: ", name,
         ".dtype=", std::string(py::str(a.dtype())));
  if (!(a.flags() & py::array::c_style))
    fail(fn, ": argument '", name, "' must be C-contiguous (use numpy.ascontiguousarray). Received: ", name,
         " with shape ", shape_str(a), " that is not C-contiguous");
  if (!(a.flags() & kAligned))
    fail(fn, ": argument '", name, "' must be aligned to its dtype. Received: an unaligned array");
  if (output && !a.writeable())
    fail(fn, ": argument '", name, "' is an output and must be writeable. Received: a read-only array");
  return a;
}

inline py::array f32(const char* fn, const char* name, const py::handle& obj, bool output = false) {
  return as_array(fn, name, obj, py::dtype::of<float>(), output);
}

inline void expect_ndim(const char* fn, const char* name, const py::array& a, py::ssize_t ndim,
                 const char* what) {
  if (a.ndim() != ndim)
    fail(fn, ": argument '", name, "' must be ", ndim, "-D ", what, ". Received: ", name, ".shape=",
         shape_str(a));
}

// Byte range of an array's data.
struct Range {
  const char* lo;
  const char* hi;
};
inline Range range_of(const py::array& a) {
  const char* p = static_cast<const char*>(a.data());
  return {p, p + a.nbytes()};
}

// An output must not partly overlap an input; with allow_same it may be exactly the same buffer
// (for kernels that read element i before writing element i).
inline void expect_no_overlap(const char* fn, const char* out_name, const py::array& out, const char* in_name,
                       const py::array& in, bool allow_same = false) {
  const Range r = range_of(out), s = range_of(in);
  if (r.lo >= r.hi || s.lo >= s.hi) return;
  if (allow_same && r.lo == s.lo && r.hi == s.hi) return;
  if (r.lo < s.hi && s.lo < r.hi)
    fail(fn, ": argument '", out_name, "' must not share memory with '", in_name, "'",
         allow_same ? " (except being the very same array)" : "", ". Received: overlapping arrays");
}

inline int64_t checked_mul(const char* fn, int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) fail(fn, ": sizes overflow 64 bits. Received: ", a, " * ", b);
  return r;
}

// Number of elements a rows x cols matrix with leading dimension ld addresses.
inline int64_t extent(const char* fn, int64_t rows, int64_t cols, int64_t ld) {
  if (rows == 0 || cols == 0) return 0;
  const int64_t r = checked_mul(fn, rows - 1, ld);
  if (r > INT64_MAX - cols) fail(fn, ": sizes overflow 64 bits. Received: rows=", rows, ", ld=", ld);
  return r + cols;
}

inline void check_gemm_operand(const char* fn, const char* name, const char* ld_name, const py::array& arr,
                        int64_t rows, int64_t cols, int64_t ld, const std::string& dims) {
  const int64_t need_ld = cols > 1 ? cols : 1;
  if (ld < need_ld)
    fail(fn, ": argument '", ld_name, "' must be >= max(1, ", cols, ")=", need_ld, " for ", dims,
         ". Received: ", ld_name, "=", ld);
  const int64_t need = extent(fn, rows, cols, ld);
  if (arr.size() < need)
    fail(fn, ": argument '", name, "' is too small: ", dims, " with ", ld_name, "=", ld, " addresses ",
         need, " elements. Received: ", name, ".size=", arr.size());
}

inline const float* cptr(const py::array& a) { return static_cast<const float*>(a.data()); }
inline float* mptr(py::array& a) { return static_cast<float*>(a.mutable_data()); }

}  // namespace pykeras::bind
