// pykeras._core: the only Python <-> C++ boundary.
//
// Thin by design: each function validates its arguments (dtype, contiguity, alignment, shape,
// writeability, overlap, buffer size), releases the GIL and calls a kernel. Arrays are taken as plain
// objects and never converted or copied: a wrong array is a ValueError that names the function, the
// argument, what was expected and what came ("Received: ...").
//
// This file defines the module; the bindings of some areas live in csrc/bindings/ (dense layers,
// normalization, optimizers) and are registered from here, and csrc/bindings/arrays.hpp holds the
// argument checks they all share.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <string>
#include <vector>

#include "bindings/arrays.hpp"
#include "bindings/dense.hpp"
#include "bindings/norm.hpp"
#include "bindings/optim.hpp"
#include "bindings/targets.hpp"
#include "common/check.hpp"
#include "common/threads.hpp"
#include "data/dropout_mask.hpp"
#include "data/scatter_add_rows.hpp"
#include "data/take_rows.hpp"
#include "elementwise/activations.hpp"
#include "elementwise/elementwise.hpp"
#include "gemm/dispatch.hpp"
#include "gemm/sgemm.hpp"
#include "loss/output_loss.hpp"

namespace py = pybind11;
using pykeras::fail;
using pykeras::str_cat;
using namespace pykeras::bind;

namespace {

void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, py::object a_obj,
           int64_t lda, py::object b_obj, int64_t ldb, float beta, py::object c_obj, int64_t ldc) {
  const char* fn = "sgemm";
  if (m < 0 || n < 0 || k < 0)
    fail(fn, ": sizes m, n, k must be >= 0. Received: m=", m, ", n=", n, ", k=", k);
  py::array a = f32(fn, "a", a_obj), b = f32(fn, "b", b_obj), c = f32(fn, "c", c_obj, true);
  check_gemm_operand(fn, "a", "lda", a, trans_a ? k : m, trans_a ? m : k, lda,
                     str_cat(trans_a ? "trans_a=True" : "trans_a=False", ", m=", m, ", k=", k));
  check_gemm_operand(fn, "b", "ldb", b, trans_b ? n : k, trans_b ? k : n, ldb,
                     str_cat(trans_b ? "trans_b=True" : "trans_b=False", ", k=", k, ", n=", n));
  check_gemm_operand(fn, "c", "ldc", c, m, n, ldc, str_cat("m=", m, ", n=", n));
  expect_no_overlap(fn, "c", c, "a", a);
  expect_no_overlap(fn, "c", c, "b", b);
  const float* ap = cptr(a);
  const float* bp = cptr(b);
  float* cp = mptr(c);
  py::gil_scoped_release release;
  pykeras::gemm::sgemm(trans_a, trans_b, m, n, k, alpha, ap, lda, bp, ldb, beta, cp, ldc);
}

py::array matmul(py::object a_obj, py::object b_obj, bool trans_a, bool trans_b, py::object out_obj) {
  const char* fn = "matmul";
  py::array a = f32(fn, "a", a_obj), b = f32(fn, "b", b_obj);
  expect_ndim(fn, "a", a, 2, "(a matrix)");
  expect_ndim(fn, "b", b, 2, "(a matrix)");
  const int64_t m = a.shape(trans_a ? 1 : 0), k = a.shape(trans_a ? 0 : 1);
  const int64_t kb = b.shape(trans_b ? 1 : 0), n = b.shape(trans_b ? 0 : 1);
  if (kb != k)
    fail(fn, ": inner dimensions must agree: op(a) is (", m, ", ", k, ") so op(b) must have ", k,
         " rows. Received: a.shape=", shape_str(a), ", b.shape=", shape_str(b), ", trans_a=",
         trans_a ? "True" : "False", ", trans_b=", trans_b ? "True" : "False");
  py::array out;
  if (out_obj.is_none()) {
    // Empty operands can describe an enormous result: refuse what cannot even be addressed before
    // asking numpy for it (numpy itself raises MemoryError for merely too large ones).
    if (m && n && (checked_mul(fn, m, n) > PTRDIFF_MAX / static_cast<int64_t>(sizeof(float))))
      fail(fn, ": the result of shape (", m, ", ", n, ") is too large to allocate. Received: a.shape=",
           shape_str(a), ", b.shape=", shape_str(b));
    out = py::array(py::dtype::of<float>(), std::vector<py::ssize_t>{m, n});
  } else {
    out = f32(fn, "out", out_obj, true);
    if (out.ndim() != 2 || out.shape(0) != m || out.shape(1) != n)
      fail(fn, ": argument 'out' must have shape (", m, ", ", n, "). Received: out.shape=", shape_str(out));
    expect_no_overlap(fn, "out", out, "a", a);
    expect_no_overlap(fn, "out", out, "b", b);
  }
  const float* ap = cptr(a);
  const float* bp = cptr(b);
  float* cp = mptr(out);
  {
    py::gil_scoped_release release;
    const auto ld = [](int64_t cols) { return cols > 1 ? cols : int64_t{1}; };
    pykeras::gemm::sgemm(trans_a, trans_b, m, n, k, 1.0f, ap, ld(a.shape(1)), bp, ld(b.shape(1)), 0.0f, cp, ld(n));
  }
  return out;
}

void bias_add(py::object y_obj, py::object b_obj) {
  const char* fn = "bias_add";
  py::array y = f32(fn, "y", y_obj, true), b = f32(fn, "b", b_obj);
  expect_ndim(fn, "y", y, 2, "(m, n)");
  const int64_t m = y.shape(0), n = y.shape(1);
  if (b.ndim() != 1 || b.shape(0) != n)
    fail(fn, ": argument 'b' must have shape (", n, ",) to match y of shape ", shape_str(y),
         ". Received: b.shape=", shape_str(b));
  expect_no_overlap(fn, "y", y, "b", b);
  float* yp = mptr(y);
  const float* bp = cptr(b);
  py::gil_scoped_release release;
  pykeras::bias_add(m, n, yp, bp);
}

// out = f(x) elementwise, for float32 arrays of as many elements (out may be x).
template <typename F>
void elementwise(const char* fn, py::object x_obj, py::object out_obj, const F& f) {
  py::array x = f32(fn, "x", x_obj), out = f32(fn, "out", out_obj, true);
  if (out.size() != x.size())
    fail(fn, ": argument 'out' must have as many elements as x (", x.size(),
         "). Received: out.shape=", shape_str(out), ", x.shape=", shape_str(x));
  expect_no_overlap(fn, "out", out, "x", x, true);
  const float* xp = cptr(x);
  float* op = mptr(out);
  const int64_t size = x.size();
  py::gil_scoped_release release;
  f(size, xp, op);
}

// out = f(dy, v) elementwise: an activation's gradient from the upstream dy and the forward's output
// or input v, named v_name (out may be either).
template <typename F>
void elementwise_grad(const char* fn, const char* v_name, py::object dy_obj, py::object v_obj, py::object out_obj,
                      const F& f) {
  py::array dy = f32(fn, "dy", dy_obj), v = f32(fn, v_name, v_obj), out = f32(fn, "out", out_obj, true);
  if (v.size() != dy.size() || out.size() != dy.size())
    fail(fn, ": arguments 'dy', '", v_name, "' and 'out' must have the same number of elements. Received: dy.shape=",
         shape_str(dy), ", ", v_name, ".shape=", shape_str(v), ", out.shape=", shape_str(out));
  expect_no_overlap(fn, "out", out, "dy", dy, true);
  expect_no_overlap(fn, "out", out, v_name, v, true);
  const float* dyp = cptr(dy);
  const float* vp = cptr(v);
  float* op = mptr(out);
  const int64_t size = dy.size();
  py::gil_scoped_release release;
  f(size, dyp, vp, op);
}

pykeras::UnaryActivation unary_kind(const char* fn, const std::string& kind) {
  static const char* const kNames[pykeras::kUnaryActivations] = {
      "relu6", "hard_sigmoid", "hard_silu", "softsign", "silu", "softplus", "mish", "log_sigmoid"};
  for (int k = 0; k < pykeras::kUnaryActivations; ++k)
    if (kind == kNames[k]) return static_cast<pykeras::UnaryActivation>(k);
  fail(fn, ": argument 'kind' must be 'relu6', 'hard_sigmoid', 'hard_silu', 'softsign', 'silu', 'softplus', 'mish' "
       "or 'log_sigmoid'. Received: kind='", kind, "'");
}

void bias_grad(py::object dy_obj, py::object out_obj) {
  const char* fn = "bias_grad";
  py::array dy = f32(fn, "dy", dy_obj), out = f32(fn, "out", out_obj, true);
  expect_ndim(fn, "dy", dy, 2, "(m, n)");
  const int64_t m = dy.shape(0), n = dy.shape(1);
  if (out.ndim() != 1 || out.shape(0) != n)
    fail(fn, ": argument 'out' must have shape (", n, ",) to match dy of shape ", shape_str(dy),
         ". Received: out.shape=", shape_str(out));
  expect_no_overlap(fn, "out", out, "dy", dy);
  const float* dyp = cptr(dy);
  float* op = mptr(out);
  py::gil_scoped_release release;
  pykeras::bias_grad(m, n, dyp, op);
}

// A Dropout mask into `out` (float32, any shape, C-contiguous): the uniform of each element compared
// with the rate rounded to float32, as a float32 uniform would be (a rate just below 1 may round to 1:
// nothing is kept); key an int in [0, 2^64).
void dropout_mask(py::object out_obj, py::object key_obj, double rate, double scale) {
  const char* fn = "dropout_mask";
  py::array out = f32(fn, "out", out_obj, true);
  if (!py::isinstance<py::int_>(key_obj) || py::isinstance<py::bool_>(key_obj))
    fail(fn, ": argument 'key' must be an int in [0, 2**64). Received: an object of type ", type_name(key_obj));
  uint64_t key = 0;
  try {
    key = key_obj.cast<uint64_t>();
  } catch (const py::cast_error&) {
    fail(fn, ": argument 'key' must be an int in [0, 2**64). Received: key=", std::string(py::str(key_obj)));
  }
  if (!(rate >= 0.0 && rate < 1.0)) fail(fn, ": argument 'rate' must be in [0, 1). Received: rate=", rate);
  const uint32_t threshold = pykeras::dropout_threshold(static_cast<float>(rate));
  float* op = mptr(out);
  const int64_t n = out.size();
  py::gil_scoped_release release;
  pykeras::dropout_mask(key, threshold, static_cast<float>(scale), n, op);
}

// x[index] for a C-contiguous numeric x with at least one dimension and an int64 index: a new array,
// the rows copied by threads (fit gathers every shuffled batch this way).
py::array take_rows(py::object x_obj, py::object index_obj) {
  const char* fn = "take_rows";
  if (!py::isinstance<py::array>(x_obj))
    fail(fn, ": argument 'x' must be a numpy array. Received: an object of type ", type_name(x_obj));
  const auto x = py::reinterpret_borrow<py::array>(x_obj);
  const char kind = x.dtype().kind();
  if (std::string("biufc").find(kind) == std::string::npos)
    fail(fn, ": argument 'x' must hold numbers (bool, int, float or complex). Received: x.dtype=",
         std::string(py::str(x.dtype())));
  if (x.ndim() < 1) fail(fn, ": argument 'x' must have a batch dimension. Received: a 0-d array");
  if (!(x.flags() & py::array::c_style))
    fail(fn, ": argument 'x' must be C-contiguous. Received: a non-contiguous array of shape ", shape_str(x));
  py::array index = as_array(fn, "index", index_obj, py::dtype::of<int64_t>(), false);
  expect_ndim(fn, "index", index, 1, "(count,)");
  std::vector<py::ssize_t> shape(x.shape(), x.shape() + x.ndim());
  shape[0] = index.shape(0);
  py::array out(x.dtype(), shape);
  const int64_t row_bytes = x.shape(0) > 0 ? x.nbytes() / x.shape(0) : 0;
  const char* src = static_cast<const char*>(x.data());
  const auto* ip = static_cast<const int64_t*>(index.data());
  char* dst = static_cast<char*>(out.mutable_data());
  {
    py::gil_scoped_release release;
    pykeras::take_rows(src, x.shape(0), row_bytes, ip, index.shape(0), dst);
  }
  return out;
}

// dst[index[r]] += src[r] for the rows of a C-contiguous float32 dst: the gradient of take_rows.
void scatter_add_rows(py::object dst_obj, py::object index_obj, py::object src_obj) {
  const char* fn = "scatter_add_rows";
  py::array dst = f32(fn, "dst", dst_obj, true);
  if (dst.ndim() < 1) fail(fn, ": argument 'dst' must have a row dimension. Received: a 0-d array");
  py::array index = as_array(fn, "index", index_obj, py::dtype::of<int64_t>(), false);
  expect_ndim(fn, "index", index, 1, "(count,)");
  const int64_t rows = dst.shape(0), count = index.shape(0);
  const int64_t cols = rows > 0 ? dst.size() / rows : 0;
  py::array src = f32(fn, "src", src_obj);
  expect_no_overlap(fn, "dst", dst, "src", src);
  if (src.size() != count * cols)
    fail(fn, ": argument 'src' must hold one row of dst's shape per index: ", count * cols, " floats. Received: ",
         src.size());
  const auto* sp = static_cast<const float*>(src.data());
  const auto* ip = static_cast<const int64_t*>(index.data());
  auto* dp = static_cast<float*>(dst.mutable_data());
  py::gil_scoped_release release;
  pykeras::scatter_add_rows(sp, ip, count, cols, dp, rows);
}

// A mean loss of 2-D outputs (a cross-entropy of logits, or a regression error) and, if doutputs is
// given, its gradient.
double output_loss(const char* fn, py::object outputs_obj, py::object targets_obj, py::object grad_obj,
                   float grad_scale, py::object weights_obj, LossKind loss) {
  const char* name = loss == LossKind::softmax || loss == LossKind::sigmoid ? "logits" : "outputs";
  const char* grad_name = loss == LossKind::softmax || loss == LossKind::sigmoid ? "dlogits" : "doutputs";
  py::array outputs = f32(fn, name, outputs_obj);
  expect_ndim(fn, name, outputs, 2, loss == LossKind::softmax ? "(batch, classes)" : "(batch, outputs)");
  const int64_t m = outputs.shape(0), c = outputs.shape(1);
  const Targets targets = targets_of(fn, targets_obj, m, c, loss);
  py::array weights;
  const float* wp = row_weights_of(fn, weights_obj, m, weights);
  float* gp = nullptr;
  py::array grad;
  if (!grad_obj.is_none()) {
    grad = f32(fn, grad_name, grad_obj, true);
    if (grad.ndim() != 2 || grad.shape(0) != m || grad.shape(1) != c)
      fail(fn, ": argument '", grad_name, "' must have the shape of ", name, " ", shape_str(outputs), ". Received: ",
           grad_name, ".shape=", shape_str(grad));
    expect_no_overlap(fn, grad_name, grad, name, outputs, true);
    expect_no_overlap(fn, grad_name, grad, "labels", targets.array);
    if (wp != nullptr) expect_no_overlap(fn, grad_name, grad, "row_weights", weights);
    gp = mptr(grad);
  }
  const float* op = cptr(outputs);
  py::gil_scoped_release release;
  return with_targets(targets,
                      [&](auto typed) { return pykeras::output_loss(m, c, op, typed, gp, grad_scale, wp); });
}

double softmax_cross_entropy(py::object logits, py::object labels, py::object dlogits, float grad_scale,
                             py::object row_weights) {
  return output_loss("softmax_cross_entropy", logits, labels, dlogits, grad_scale, row_weights, LossKind::softmax);
}

double sigmoid_cross_entropy(py::object logits, py::object targets, py::object dlogits, float grad_scale,
                             py::object row_weights) {
  return output_loss("sigmoid_cross_entropy", logits, targets, dlogits, grad_scale, row_weights, LossKind::sigmoid);
}

double squared_error(py::object outputs, py::object targets, py::object doutputs, float grad_scale,
                     py::object row_weights) {
  return output_loss("squared_error", outputs, targets, doutputs, grad_scale, row_weights, LossKind::squared);
}

double absolute_error(py::object outputs, py::object targets, py::object doutputs, float grad_scale,
                      py::object row_weights) {
  return output_loss("absolute_error", outputs, targets, doutputs, grad_scale, row_weights, LossKind::absolute);
}

}  // namespace

PYBIND11_MODULE(_core, mod) {
  mod.doc() = "pykeras native kernels (private; use pykeras.ops). float32, C-contiguous arrays only.";

  mod.def("sgemm", &sgemm, py::arg("trans_a"), py::arg("trans_b"), py::arg("m"), py::arg("n"), py::arg("k"),
          py::arg("alpha"), py::arg("a"), py::arg("lda"), py::arg("b"), py::arg("ldb"), py::arg("beta"),
          py::arg("c"), py::arg("ldc"),
          "Row-major BLAS sgemm: C[m x n] = alpha * op(A) @ op(B) + beta * C. beta == 0 does not read C.");
  mod.def("matmul", &matmul, py::arg("a"), py::arg("b"), py::arg("trans_a") = false,
          py::arg("trans_b") = false, py::arg("out") = py::none(),
          "op(a) @ op(b) for 2-D float32 arrays; allocates out when None and returns it.");
  mod.def("bias_add", &bias_add, py::arg("y"), py::arg("b"), "y (m, n) += b (n,), in place.");
  mod.def(
      "relu", [](py::object x, py::object out) { elementwise("relu", x, out, pykeras::relu); }, py::arg("x"),
      py::arg("out"), "out = max(x, 0) elementwise; NaN stays NaN. out may be x.");
  mod.def(
      "relu_backward",
      [](py::object dy, py::object y, py::object out) {
        elementwise_grad("relu_backward", "y", dy, y, out, pykeras::relu_backward);
      },
      py::arg("dy"), py::arg("y"), py::arg("out"),
      "out = dy where y > 0 else 0 (mask from the forward output y). out may be dy.");
  mod.def(
      "sigmoid", [](py::object x, py::object out) { elementwise("sigmoid", x, out, pykeras::sigmoid_values); },
      py::arg("x"), py::arg("out"),
      "out = 1 / (1 + exp(-x)) elementwise, within 2.5 ulp, subnormal results included. out may be x.");
  mod.def(
      "elu",
      [](py::object x, py::object out, float alpha, float scale) {
        elementwise("elu", x, out,
                    [&](int64_t n, const float* in, float* o) { pykeras::elu_values(n, in, alpha, scale, o); });
      },
      py::arg("x"), py::arg("out"), py::arg("alpha"), py::arg("scale") = 1.0f,
      "out = scale * (x if x > 0 else alpha * (exp(x) - 1)) elementwise (ELU; SELU with its scale), within 3 "
      "ulp. out may be x.");
  mod.def(
      "leaky_relu",
      [](py::object x, py::object out, float slope) {
        elementwise("leaky_relu", x, out,
                    [&](int64_t n, const float* in, float* o) { pykeras::leaky_relu_values(n, in, slope, o); });
      },
      py::arg("x"), py::arg("out"), py::arg("slope"), "out = x if x > 0 else x * slope elementwise. out may be x.");
  mod.def(
      "elu_backward",
      [](py::object dy, py::object x, py::object y_obj, py::object out, float shift, float scale) {
        const char* fn = "elu_backward";
        py::array y = f32(fn, "y", y_obj), outs = f32(fn, "out", out, true);
        if (y.size() != outs.size())
          fail(fn, ": argument 'y' must have as many elements as out (", outs.size(), "). Received: y.shape=",
               shape_str(y));
        expect_no_overlap(fn, "out", outs, "y", y, true);
        const float* yp = cptr(y);
        elementwise_grad(fn, "x", dy, x, out, [&](int64_t n, const float* d, const float* v, float* o) {
          pykeras::elu_backward(n, d, v, yp, shift, scale, o);
        });
      },
      py::arg("dy"), py::arg("x"), py::arg("y"), py::arg("out"), py::arg("shift"), py::arg("scale") = 1.0f,
      "out = dy * scale where x > 0, else dy * (y + shift): ELU's gradient (scale 1, shift alpha), SELU's (its "
      "scale, scale * alpha), from the input x and output y. out may be dy, x or y.");
  mod.def(
      "leaky_relu_backward",
      [](py::object dy, py::object x, py::object out, float slope) {
        elementwise_grad("leaky_relu_backward", "x", dy, x, out,
                         [&](int64_t n, const float* d, const float* v, float* o) {
                           pykeras::leaky_relu_backward(n, d, v, slope, o);
                         });
      },
      py::arg("dy"), py::arg("x"), py::arg("out"), py::arg("slope"),
      "out = dy where x > 0, else dy * slope. out may be dy or x.");
  mod.def(
      "gelu", [](py::object x, py::object out) { elementwise("gelu", x, out, pykeras::gelu_values); }, py::arg("x"),
      py::arg("out"),
      "out = x Phi(x) elementwise (the exact GELU, Phi the standard normal CDF), computed in double: float32's "
      "relative precision into the tails. out may be x.");
  mod.def(
      "gelu_backward",
      [](py::object dy, py::object x, py::object out) {
        elementwise_grad("gelu_backward", "x", dy, x, out, pykeras::gelu_backward);
      },
      py::arg("dy"), py::arg("x"), py::arg("out"),
      "out = dy (Phi(x) + x phi(x)), the exact GELU's gradient from its input x. out may be dy or x.");
  mod.def(
      "unary_activation",
      [](const std::string& kind, py::object x, py::object out) {
        const pykeras::UnaryActivation k = unary_kind("unary_activation", kind);
        elementwise("unary_activation", x, out,
                    [&](int64_t n, const float* in, float* o) { pykeras::unary_activation(k, n, in, o); });
      },
      py::arg("kind"), py::arg("x"), py::arg("out"),
      "out = the activation 'kind' of x elementwise: 'relu6', 'hard_sigmoid', 'hard_silu' and 'softsign' with "
      "numpy's bits for Keras's formulas; 'silu' through the sigmoid kernel; 'softplus' within 1 ulp, 'mish' and "
      "'log_sigmoid' through it. out may be x.");
  mod.def(
      "unary_activation_backward",
      [](const std::string& kind, py::object dy, py::object x, py::object out) {
        const pykeras::UnaryActivation k = unary_kind("unary_activation_backward", kind);
        elementwise_grad("unary_activation_backward", "x", dy, x, out,
                         [&](int64_t n, const float* d, const float* v, float* o) {
                           pykeras::unary_activation_backward(k, n, d, v, o);
                         });
      },
      py::arg("kind"), py::arg("dy"), py::arg("x"), py::arg("out"),
      "out = the gradient of the activation 'kind' (as unary_activation's) from its input x and the upstream dy. "
      "out may be dy or x.");
  mod.def("bias_grad", &bias_grad, py::arg("dy"), py::arg("out"),
          "out (n,) = column sums of dy (m, n), in a fixed order.");
  pykeras::bind::bind_dense(mod);
  mod.def("softmax_cross_entropy", &softmax_cross_entropy, py::arg("logits"), py::arg("labels"),
          py::arg("dlogits"), py::arg("grad_scale"), py::arg("row_weights") = py::none(),
          "Mean softmax cross-entropy against labels (int32/int64, (batch,)) or class probabilities t "
          "(float32, (batch, classes)); writes grad_scale * (softmax * sum(t) - t) / m to dlogits if given "
          "(t the labels' one-hot rows). row_weights (float32, (batch,)) multiply each row's loss and "
          "gradient.");
  mod.def("sigmoid_cross_entropy", &sigmoid_cross_entropy, py::arg("logits"), py::arg("labels"),
          py::arg("dlogits"), py::arg("grad_scale"), py::arg("row_weights") = py::none(),
          "Mean over all entries of softplus(z) - t z for logits z and float32 targets t of the same shape "
          "(the binary cross-entropy from logits); writes grad_scale * (sigmoid(z) - t) / z.size to dlogits "
          "if given. row_weights (float32, (batch,)) multiply each row's mean and gradient.");
  mod.def("squared_error", &squared_error, py::arg("outputs"), py::arg("targets"), py::arg("doutputs"),
          py::arg("grad_scale"), py::arg("row_weights") = py::none(),
          "Mean over all entries of (y - t)^2 for outputs y and float32 targets t of the same shape; writes "
          "grad_scale * 2 (y - t) / y.size to doutputs if given. row_weights (float32, (batch,)) multiply each "
          "row's mean and gradient.");
  mod.def("absolute_error", &absolute_error, py::arg("outputs"), py::arg("targets"), py::arg("doutputs"),
          py::arg("grad_scale"), py::arg("row_weights") = py::none(),
          "Mean over all entries of |y - t|, as squared_error; the gradient is grad_scale * sign(y - t) / y.size.");
  mod.def("take_rows", &take_rows, py::arg("x"), py::arg("index"),
          "x[index] for a C-contiguous numeric array x and an int64 index with values in [0, len(x)) "
          "(IndexError otherwise): a new array, the rows copied by threads.");
  mod.def("dropout_mask", &dropout_mask, py::arg("out"), py::arg("key"), py::arg("rate"), py::arg("scale"),
          "Fills out (float32, C-contiguous, any shape) with a Dropout mask: element i is scale where the top 24 "
          "bits of word i % 4 of Philox4x32-10 block i // 4 (counter i // 4, key `key`, an int in [0, 2**64)), "
          "as a uniform u in [0, 1), satisfy u >= float32(rate), else 0. The same mask on any thread count "
          "and ISA.");
  mod.def("scatter_add_rows", &scatter_add_rows, py::arg("dst"), py::arg("index"), py::arg("src"),
          "dst[index[r]] += src[r] in order of r, for a C-contiguous float32 dst, an int64 index with values in "
          "[0, len(dst)) (IndexError otherwise) and float32 src holding one row of dst per index: the "
          "gradient of take_rows, with numpy's add.at bits.");
  mod.def(
      "set_num_threads", [](int n) { pykeras::set_num_threads(n); }, py::arg("n"),
      "Set the thread count kernels may use (n >= 1).");
  mod.def("get_num_threads", &pykeras::num_threads, "The thread count kernels may use.");
  mod.def("compiled_isas", &pykeras::gemm::compiled_isas, "GEMM micro-kernel ISAs compiled in, best first.");
  mod.def("selected_isa", &pykeras::gemm::active_isa,
          "The ISA in use: the best one this CPU supports, unless set_isa chose another.");
  mod.def("set_isa", &pykeras::gemm::set_isa, py::arg("name"),
          "Force a GEMM ISA (for tests and benchmarks); ValueError if not compiled in or not supported.");
  pykeras::bind::bind_norm(mod);
  pykeras::bind::bind_optim(mod);
}
