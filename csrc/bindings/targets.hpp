// The targets of a fused loss from Python, checked once and handed on typed: for a softmax, int32 or
// int64 labels of shape (m,) or float32 class probabilities of shape (m, c) (one-hot or soft); for a
// sigmoid or a regression error, float32 targets of shape (m, c), one per output.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "bindings/arrays.hpp"
#include "loss/output_loss.hpp"

namespace pykeras::bind {

enum class LossKind { softmax, sigmoid, squared, absolute };

inline LossKind loss_kind(const char* fn, const std::string& name) {
  if (name == "softmax") return LossKind::softmax;
  if (name == "sigmoid") return LossKind::sigmoid;
  if (name == "squared") return LossKind::squared;
  if (name == "absolute") return LossKind::absolute;
  fail(fn, ": argument 'loss' must be 'softmax', 'sigmoid', 'squared' or 'absolute'. Received: loss='", name, "'");
}

struct Targets {
  enum class Kind { labels32, labels64, probabilities, binary, squared, absolute };
  py::array array;
  Kind kind;
};

inline Targets targets_of(const char* fn, const py::handle& obj, int64_t m, int64_t c, LossKind loss) {
  const auto expected = [&] {
    if (loss == LossKind::sigmoid) return str_cat("float32 binary targets of shape (", m, ", ", c, ")");
    if (loss != LossKind::softmax) return str_cat("float32 targets of shape (", m, ", ", c, ")");
    return str_cat("int32 or int64 labels of shape (", m, ",) or float32 class probabilities of shape (", m, ", ",
                   c, ")");
  };
  if (!py::isinstance<py::array>(obj))
    fail(fn, ": argument 'labels' must be ", expected(), ". Received: an object of type ", type_name(obj));
  const py::dtype dtype = py::reinterpret_borrow<py::array>(obj).dtype();
  Targets t;
  if (dtype.equal(py::dtype::of<float>())) {
    t.kind = loss == LossKind::softmax   ? Targets::Kind::probabilities
             : loss == LossKind::sigmoid ? Targets::Kind::binary
             : loss == LossKind::squared ? Targets::Kind::squared
                                         : Targets::Kind::absolute;
  } else if (loss != LossKind::softmax) {
    fail(fn, ": argument 'labels' must be ", expected(), ". Received: labels.dtype=", std::string(py::str(dtype)));
  } else if (dtype.equal(py::dtype::of<int64_t>())) {
    t.kind = Targets::Kind::labels64;
  } else if (dtype.equal(py::dtype::of<int32_t>())) {
    t.kind = Targets::Kind::labels32;
  } else {
    fail(fn, ": argument 'labels' must be ", expected(), ". Received: labels.dtype=", std::string(py::str(dtype)));
  }
  t.array = as_array(fn, "labels", obj, dtype, false);
  const bool labels = t.kind == Targets::Kind::labels32 || t.kind == Targets::Kind::labels64;
  const bool fits = labels ? t.array.ndim() == 1 && t.array.shape(0) == m
                           : t.array.ndim() == 2 && t.array.shape(0) == m && t.array.shape(1) == c;
  if (!fits) fail(fn, ": argument 'labels' must be ", expected(), ". Received: labels.shape=", shape_str(t.array));
  return t;
}

// f(typed targets): a const int32_t* or const int64_t* to the labels, or the targets' struct.
template <typename F>
auto with_targets(const Targets& t, F&& f) {
  const void* p = t.array.data();
  const auto* values = static_cast<const float*>(p);
  switch (t.kind) {
    case Targets::Kind::labels32:
      return std::forward<F>(f)(static_cast<const int32_t*>(p));
    case Targets::Kind::labels64:
      return std::forward<F>(f)(static_cast<const int64_t*>(p));
    case Targets::Kind::binary:
      return std::forward<F>(f)(BinaryTargets{values});
    case Targets::Kind::squared:
      return std::forward<F>(f)(SquaredErrorTargets{values});
    case Targets::Kind::absolute:
      return std::forward<F>(f)(AbsoluteErrorTargets{values});
    default:
      return std::forward<F>(f)(ClassProbabilities{values});
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
