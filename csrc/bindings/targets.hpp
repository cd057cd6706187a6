// The targets of a cross-entropy from Python, checked once and handed on typed: for a softmax, int32
// or int64 labels of shape (m,) or float32 class probabilities of shape (m, c) (one-hot or soft); for
// a sigmoid, float32 binary targets of shape (m, c), one per logit.
#pragma once

#include <cstdint>
#include <utility>

#include "bindings/arrays.hpp"
#include "loss/logits_loss.hpp"

namespace pykeras::bind {

struct Targets {
  enum class Kind { labels32, labels64, probabilities, binary };
  py::array array;
  Kind kind;
};

inline Targets targets_of(const char* fn, const py::handle& obj, int64_t m, int64_t c, bool binary = false) {
  const auto expected = [&] {
    if (binary) return str_cat("float32 binary targets of shape (", m, ", ", c, ")");
    return str_cat("int32 or int64 labels of shape (", m, ",) or float32 class probabilities of shape (", m, ", ",
                   c, ")");
  };
  if (!py::isinstance<py::array>(obj))
    fail(fn, ": argument 'labels' must be ", expected(), ". Received: an object of type ", type_name(obj));
  const py::dtype dtype = py::reinterpret_borrow<py::array>(obj).dtype();
  Targets t;
  if (dtype.equal(py::dtype::of<float>())) {
    t.kind = binary ? Targets::Kind::binary : Targets::Kind::probabilities;
  } else if (binary) {
    fail(fn, ": argument 'labels' must be ", expected(), ". Received: labels.dtype=", std::string(py::str(dtype)));
  } else if (dtype.equal(py::dtype::of<int64_t>())) {
    t.kind = Targets::Kind::labels64;
  } else if (dtype.equal(py::dtype::of<int32_t>())) {
    t.kind = Targets::Kind::labels32;
  } else {
    fail(fn, ": argument 'labels' must be ", expected(), ". Received: labels.dtype=", std::string(py::str(dtype)));
  }
  t.array = as_array(fn, "labels", obj, dtype, false);
  const bool fits = t.kind == Targets::Kind::probabilities || t.kind == Targets::Kind::binary
                        ? t.array.ndim() == 2 && t.array.shape(0) == m && t.array.shape(1) == c
                        : t.array.ndim() == 1 && t.array.shape(0) == m;
  if (!fits) fail(fn, ": argument 'labels' must be ", expected(), ". Received: labels.shape=", shape_str(t.array));
  return t;
}

// f(typed targets): a const int32_t* or const int64_t* to the labels, ClassProbabilities or BinaryTargets.
template <typename F>
auto with_targets(const Targets& t, F&& f) {
  const void* p = t.array.data();
  switch (t.kind) {
    case Targets::Kind::labels32:
      return std::forward<F>(f)(static_cast<const int32_t*>(p));
    case Targets::Kind::labels64:
      return std::forward<F>(f)(static_cast<const int64_t*>(p));
    case Targets::Kind::binary:
      return std::forward<F>(f)(BinaryTargets{static_cast<const float*>(p)});
    default:
      return std::forward<F>(f)(ClassProbabilities{static_cast<const float*>(p)});
  }
}

// Per-row loss weights: None (null), or a float32 array of shape (m,), kept alive in `array`.
inline const float* row_weights_of(const char* fn, const py::handle& obj, int64_t m, py::array& array) {
  if (obj.is_none()) return nullptr;
  array = f32(fn, "row_weights", obj);
  if (array.ndim() != 1 || array.shape(0) != m)
    fail(fn, ": argument 'row_weights' must have shape (", m, ",), one weight per row. Received: row_weights.shape=",
         shape_str(array));
  return static_cast<const float*>(array.data());
}

}  // namespace pykeras::bind
