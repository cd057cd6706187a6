// pykeras._core: the only Python <-> C++ boundary.
//
// Thin by design: each function validates its arguments (dtype, contiguity, alignment, shape,
// writeability, overlap, buffer size), releases the GIL and calls a kernel. Arrays are taken as plain
// objects and never converted or copied: a wrong array is a ValueError that names the function, the
// argument, what was expected and what came ("Received: ...").
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <string>
#include <vector>

#include "bindings/arrays.hpp"
#include "bindings/optim.hpp"
#include "common/check.hpp"
#include "common/threads.hpp"
#include "data/take_rows.hpp"
#include "dense/dense.hpp"
#include "elementwise/elementwise.hpp"
#include "gemm/dispatch.hpp"
#include "gemm/sgemm.hpp"
#include "loss/softmax_cross_entropy.hpp"

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

void relu(py::object x_obj, py::object out_obj) {
  const char* fn = "relu";
  py::array x = f32(fn, "x", x_obj), out = f32(fn, "out", out_obj, true);
  if (out.size() != x.size())
    fail(fn, ": argument 'out' must have as many elements as x (", x.size(),
         "). Received: out.shape=", shape_str(out), ", x.shape=", shape_str(x));
  expect_no_overlap(fn, "out", out, "x", x, true);
  const float* xp = cptr(x);
  float* op = mptr(out);
  const int64_t size = x.size();
  py::gil_scoped_release release;
  pykeras::relu(size, xp, op);
}

void relu_backward(py::object dy_obj, py::object y_obj, py::object out_obj) {
  const char* fn = "relu_backward";
  py::array dy = f32(fn, "dy", dy_obj), y = f32(fn, "y", y_obj), out = f32(fn, "out", out_obj, true);
  if (y.size() != dy.size() || out.size() != dy.size())
    fail(fn, ": arguments 'dy', 'y' and 'out' must have the same number of elements. Received: dy.shape=",
         shape_str(dy), ", y.shape=", shape_str(y), ", out.shape=", shape_str(out));
  expect_no_overlap(fn, "out", out, "dy", dy, true);
  expect_no_overlap(fn, "out", out, "y", y, true);
  const float* dyp = cptr(dy);
  const float* yp = cptr(y);
  float* op = mptr(out);
  const int64_t size = dy.size();
  py::gil_scoped_release release;
  pykeras::relu_backward(size, dyp, yp, op);
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

pykeras::Activation parse_activation(const char* fn, const std::string& name) {
  if (name == "linear") return pykeras::Activation::linear;
  if (name == "relu") return pykeras::Activation::relu;
  fail(fn, ": argument 'activation' must be one of 'linear', 'relu'. Received: activation='", name, "'");
}

void dense_forward(py::object x_obj, py::object w_obj, py::object b_obj, const std::string& activation,
                   py::object out_obj) {
  const char* fn = "dense_forward";
  const pykeras::Activation act = parse_activation(fn, activation);
  py::array x = f32(fn, "x", x_obj), w = f32(fn, "w", w_obj), out = f32(fn, "out", out_obj, true);
  expect_ndim(fn, "x", x, 2, "(batch, features)");
  const int64_t m = x.shape(0), k = x.shape(1);
  if (w.ndim() != 2 || w.shape(0) != k)
    fail(fn, ": argument 'w' must have shape (", k, ", n) to match x of shape ", shape_str(x),
         ". Received: w.shape=", shape_str(w));
  const int64_t n = w.shape(1);
  const float* bp = nullptr;
  py::array b;
  if (!b_obj.is_none()) {
    b = f32(fn, "b", b_obj);
    if (b.ndim() != 1 || b.shape(0) != n)
      fail(fn, ": argument 'b' must have shape (", n, ",) to match w of shape ", shape_str(w),
           ". Received: b.shape=", shape_str(b));
    expect_no_overlap(fn, "out", out, "b", b);
    bp = cptr(b);
  }
  if (out.ndim() != 2 || out.shape(0) != m || out.shape(1) != n)
    fail(fn, ": argument 'out' must have shape (", m, ", ", n, "). Received: out.shape=", shape_str(out));
  expect_no_overlap(fn, "out", out, "x", x);
  expect_no_overlap(fn, "out", out, "w", w);
  const float* xp = cptr(x);
  const float* wp = cptr(w);
  float* op = mptr(out);
  py::gil_scoped_release release;
  pykeras::dense_forward(m, k, n, xp, wp, bp, act, op);
}

// A dense chain's layers, checked: a sequence of (w, b, activation) tuples whose widths follow on
// from k. `keep` holds the arrays alive while the GIL is released.
struct Chain {
  std::vector<py::array> keep;
  std::vector<pykeras::DenseStep> steps;
  int64_t in_width = 0;  // of the first layer's input
  int64_t width = 0;     // of the last layer's output
};

// k < 0: the first layer's w sets the input width.
Chain parse_chain(const char* fn, const py::handle& layers_obj, int64_t k) {
  if (!py::isinstance<py::sequence>(layers_obj) || py::isinstance<py::str>(layers_obj))
    fail(fn, ": argument 'layers' must be a sequence of (w, b, activation) tuples or a DenseLayers. Received: an "
         "object of type ", type_name(layers_obj));
  const auto layers = py::reinterpret_borrow<py::sequence>(layers_obj);
  const py::ssize_t count = py::len(layers);
  if (count < 1) fail(fn, ": argument 'layers' must hold at least one (w, b, activation). Received: none");
  Chain chain;
  chain.width = k;
  for (py::ssize_t i = 0; i < count; ++i) {
    py::object item = layers[i];
    if (!py::isinstance<py::tuple>(item) || py::len(item) != 3)
      fail(fn, ": layers[", i, "] must be a tuple (w, b, activation). Received: an object of type ",
           type_name(item));
    py::tuple t = item.cast<py::tuple>();
    if (!py::isinstance<py::str>(t[2]))
      fail(fn, ": layers[", i, "] activation must be a str. Received: an object of type ", type_name(t[2]));
    const pykeras::Activation act = parse_activation(fn, t[2].cast<std::string>());
    py::array w = f32(fn, "w", t[0]);
    if (i == 0 && k < 0 && w.ndim() == 2) chain.width = w.shape(0);
    if (i == 0) chain.in_width = chain.width;
    if (w.ndim() != 2 || w.shape(0) != chain.width)
      fail(fn, ": layers[", i, "] w must have shape (",
           chain.width < 0 ? std::string("features") : str_cat(chain.width), ", n). Received: w.shape=", shape_str(w));
    const int64_t n = w.shape(1);
    const float* bp = nullptr;
    if (!t[1].is_none()) {
      py::array b = f32(fn, "b", t[1]);
      if (b.ndim() != 1 || b.shape(0) != n)
        fail(fn, ": layers[", i, "] b must have shape (", n, ",). Received: b.shape=", shape_str(b));
      bp = cptr(b);
      chain.keep.push_back(b);
    }
    chain.steps.push_back({n, cptr(w), bp, act});
    chain.keep.push_back(w);
    chain.width = n;
  }
  return chain;
}

// A dense chain's layers checked once, for a caller that runs the same layers many times (DenseChain):
// passed as `layers`, it spares each call the per-layer checks, about 0.15 us a layer. The arrays are
// held, so later writes into them are seen.
struct DenseLayers {
  Chain chain;
};

// The arguments every dense_chain_* call starts with: x, float32 (batch, features) rows, and the
// layers, a DenseLayers as it is or a list parsed into `parsed`.
const Chain& chain_args(const char* fn, const py::handle& x_obj, const py::handle& layers, py::array& x,
                        Chain& parsed) {
  x = f32(fn, "x", x_obj);
  expect_ndim(fn, "x", x, 2, "(batch, features)");
  const int64_t k = x.shape(1);
  if (py::isinstance<DenseLayers>(layers)) {
    const Chain& chain = layers.cast<const DenseLayers&>().chain;
    if (chain.in_width != k)
      fail(fn, ": argument 'x' must have shape (batch, ", chain.in_width,
           ") to match the layers. Received: x.shape=", shape_str(x));
    return chain;
  }
  parsed = parse_chain(fn, layers, k);
  return parsed;
}

// The arrays a chain call reads (the layers' and x), which no output may overlap.
std::vector<py::array> chain_inputs(const Chain& chain, const py::array& x) {
  std::vector<py::array> inputs = chain.keep;
  inputs.push_back(x);
  return inputs;
}

// A list of per-layer (m, n_i) float32 outputs for layers [0, count), checked, kept alive in `keep`.
std::vector<float*> layer_outputs(const char* fn, const char* name, const py::handle& obj, int64_t m,
                                  const Chain& chain, size_t count, std::vector<py::array>& keep) {
  if (!py::isinstance<py::list>(obj) || py::len(obj) != count)
    fail(fn, ": argument '", name, "' must be a list of ", count, " arrays. Received: ", type_name(obj),
         py::isinstance<py::list>(obj) ? str_cat(" of length ", py::len(obj)) : std::string());
  std::vector<float*> ptrs;
  py::list items = py::reinterpret_borrow<py::list>(obj);
  for (size_t i = 0; i < count; ++i) {
    py::array a = f32(fn, name, items[i], true);
    if (a.ndim() != 2 || a.shape(0) != m || a.shape(1) != chain.steps[i].n)
      fail(fn, ": ", name, "[", i, "] must have shape (", m, ", ", chain.steps[i].n, "). Received: ",
           shape_str(a));
    for (const py::array& other : keep) expect_no_overlap(fn, name, a, "another argument", other);
    keep.push_back(a);
    ptrs.push_back(mptr(a));
  }
  return ptrs;
}

// grads: a list of one (dw, db) tuple per layer (db None where the layer has no bias), checked and
// appended to `written`.
void parse_grads(const char* fn, const py::handle& grads_obj, const Chain& chain, int64_t k,
                 std::vector<py::array>& written, std::vector<float*>& dws, std::vector<float*>& dbs) {
  const size_t count = chain.steps.size();
  if (!py::isinstance<py::list>(grads_obj) || py::len(grads_obj) != count)
    fail(fn, ": argument 'grads' must be a list of ", count, " (dw, db) tuples. Received: ", type_name(grads_obj));
  py::list grads = py::reinterpret_borrow<py::list>(grads_obj);
  for (size_t i = 0; i < count; ++i) {
    if (!py::isinstance<py::tuple>(grads[i]) || py::len(grads[i]) != 2)
      fail(fn, ": grads[", i, "] must be a tuple (dw, db). Received: an object of type ", type_name(grads[i]));
    py::tuple pair = grads[i].cast<py::tuple>();
    const int64_t width = i == 0 ? k : chain.steps[i - 1].n;
    py::array dw = f32(fn, "dw", pair[0], true);
    if (dw.ndim() != 2 || dw.shape(0) != width || dw.shape(1) != chain.steps[i].n)
      fail(fn, ": grads[", i, "] dw must have shape (", width, ", ", chain.steps[i].n, "). Received: ",
           shape_str(dw));
    written.push_back(dw);
    dws.push_back(mptr(dw));
    float* dbp = nullptr;
    if (!pair[1].is_none()) {
      py::array db = f32(fn, "db", pair[1], true);
      if (db.ndim() != 1 || db.shape(0) != chain.steps[i].n)
        fail(fn, ": grads[", i, "] db must have shape (", chain.steps[i].n, ",). Received: ", shape_str(db));
      written.push_back(db);
      dbp = mptr(db);
    }
    dbs.push_back(dbp);
  }
}

// No written array may overlap an input or another written array.
void expect_disjoint(const char* fn, const std::vector<py::array>& written, const std::vector<py::array>& inputs) {
  for (size_t i = 0; i < written.size(); ++i) {
    for (const py::array& in : inputs) expect_no_overlap(fn, "an output", written[i], "an input", in);
    for (size_t j = 0; j < i; ++j) expect_no_overlap(fn, "an output", written[i], "another output", written[j]);
  }
}

py::array dense_chain_forward(py::object x_obj, py::object layers, py::object hidden_obj) {
  const char* fn = "dense_chain_forward";
  py::array x;
  Chain parsed;
  const Chain& chain = chain_args(fn, x_obj, layers, x, parsed);
  const int64_t m = x.shape(0), k = x.shape(1);
  std::vector<float*> hidden;
  if (!hidden_obj.is_none()) {
    std::vector<py::array> inputs = chain_inputs(chain, x);
    hidden = layer_outputs(fn, "hidden", hidden_obj, m, chain, chain.steps.size() - 1, inputs);
  }
  py::array_t<float> out({static_cast<py::ssize_t>(m), static_cast<py::ssize_t>(chain.width)});
  float* op = out.mutable_data();
  const float* xp = cptr(x);
  {
    py::gil_scoped_release release;
    pykeras::dense_chain_forward(m, k, xp, chain.steps.data(), static_cast<int64_t>(chain.steps.size()),
                                 hidden_obj.is_none() ? nullptr : hidden.data(), op);
  }
  return out;
}

void dense_chain_backward(py::object x_obj, py::object layers, py::object outputs_obj, py::object dy_obj,
                          py::object dx_obj, py::object grads_obj) {
  const char* fn = "dense_chain_backward";
  py::array x;
  Chain parsed;
  const Chain& chain = chain_args(fn, x_obj, layers, x, parsed);
  const int64_t m = x.shape(0), k = x.shape(1);
  const size_t count = chain.steps.size();
  std::vector<py::array> inputs = chain_inputs(chain, x);
  // The forward outputs are read only; checked like outputs for their shapes.
  std::vector<py::array> read;
  std::vector<float*> outs = layer_outputs(fn, "outputs", outputs_obj, m, chain, count, read);
  py::array dy = f32(fn, "dy", dy_obj);
  if (dy.ndim() != 2 || dy.shape(0) != m || dy.shape(1) != chain.width)
    fail(fn, ": argument 'dy' must have shape (", m, ", ", chain.width, "). Received: dy.shape=", shape_str(dy));
  inputs.insert(inputs.end(), read.begin(), read.end());
  inputs.push_back(dy);
  std::vector<py::array> written;
  float* dxp = nullptr;
  if (!dx_obj.is_none()) {
    py::array dx = f32(fn, "dx", dx_obj, true);
    if (dx.ndim() != 2 || dx.shape(0) != m || dx.shape(1) != k)
      fail(fn, ": argument 'dx' must have shape (", m, ", ", k, "). Received: dx.shape=", shape_str(dx));
    written.push_back(dx);
    dxp = mptr(dx);
  }
  std::vector<float*> dws, dbs;
  parse_grads(fn, grads_obj, chain, k, written, dws, dbs);
  expect_disjoint(fn, written, inputs);
  const float* xp = cptr(x);
  const float* dyp = cptr(dy);
  std::vector<const float*> couts(outs.begin(), outs.end());
  py::gil_scoped_release release;
  pykeras::dense_chain_backward(m, k, xp, chain.steps.data(), static_cast<int64_t>(count), couts.data(), dyp,
                                dxp, dws.data(), dbs.data());
}

// One training pass under mean sparse softmax cross-entropy from logits (dense_chain_sce_gradients):
// all buffers are the caller's, so a training loop allocates nothing per step.
double dense_chain_sce_gradients(py::object x_obj, py::object layers, py::object labels_obj,
                                 py::object hidden_obj, py::object logits_obj, py::object dlogits_obj,
                                 py::object grads_obj) {
  const char* fn = "dense_chain_sce_gradients";
  py::array x;
  Chain parsed;
  const Chain& chain = chain_args(fn, x_obj, layers, x, parsed);
  const int64_t m = x.shape(0), k = x.shape(1);
  std::vector<py::array> inputs = chain_inputs(chain, x);
  if (!py::isinstance<py::array>(labels_obj))
    fail(fn, ": argument 'labels' must be a numpy array of dtype int32 or int64. Received: an object of type ",
         type_name(labels_obj));
  const py::dtype i32 = py::dtype::of<int32_t>(), i64 = py::dtype::of<int64_t>();
  const py::dtype label_dtype = py::reinterpret_borrow<py::array>(labels_obj).dtype();
  const bool is64 = label_dtype.equal(i64);
  if (!is64 && !label_dtype.equal(i32))
    fail(fn, ": argument 'labels' must have dtype int32 or int64. Received: labels.dtype=",
         std::string(py::str(label_dtype)));
  py::array labels = as_array(fn, "labels", labels_obj, is64 ? i64 : i32, false);
  if (labels.ndim() != 1 || labels.shape(0) != m)
    fail(fn, ": argument 'labels' must have shape (", m, ",). Received: labels.shape=", shape_str(labels));
  inputs.push_back(labels);
  std::vector<py::array> written;
  std::vector<float*> hidden = layer_outputs(fn, "hidden", hidden_obj, m, chain, chain.steps.size() - 1, written);
  const int64_t c = chain.width;
  py::array logits = f32(fn, "logits", logits_obj, true), dlogits = f32(fn, "dlogits", dlogits_obj, true);
  for (const py::array* a : {&logits, &dlogits})
    if (a->ndim() != 2 || a->shape(0) != m || a->shape(1) != c)
      fail(fn, ": arguments 'logits' and 'dlogits' must have shape (", m, ", ", c, "). Received: ", shape_str(*a));
  written.push_back(logits);
  written.push_back(dlogits);
  std::vector<float*> dws, dbs;
  parse_grads(fn, grads_obj, chain, k, written, dws, dbs);
  expect_disjoint(fn, written, inputs);
  const float* xp = cptr(x);
  const void* yp = labels.data();
  float* lp = mptr(logits);
  float* gp = mptr(dlogits);
  const auto* steps = chain.steps.data();
  const auto count = static_cast<int64_t>(chain.steps.size());
  py::gil_scoped_release release;
  if (is64)
    return pykeras::dense_chain_sce_gradients(m, k, xp, steps, count, hidden.data(), lp,
                                              static_cast<const int64_t*>(yp), gp, dws.data(), dbs.data());
  return pykeras::dense_chain_sce_gradients(m, k, xp, steps, count, hidden.data(), lp,
                                            static_cast<const int32_t*>(yp), gp, dws.data(), dbs.data());
}

void dense_backward(py::object x_obj, py::object w_obj, py::object y_obj, py::object dy_obj,
                    const std::string& activation, py::object dx_obj, py::object dw_obj,
                    py::object db_obj) {
  const char* fn = "dense_backward";
  const pykeras::Activation act = parse_activation(fn, activation);
  py::array x = f32(fn, "x", x_obj), w = f32(fn, "w", w_obj), y = f32(fn, "y", y_obj),
            dy = f32(fn, "dy", dy_obj), dw = f32(fn, "dw", dw_obj, true);
  expect_ndim(fn, "x", x, 2, "(batch, features)");
  const int64_t m = x.shape(0), k = x.shape(1);
  if (w.ndim() != 2 || w.shape(0) != k)
    fail(fn, ": argument 'w' must have shape (", k, ", n) to match x of shape ", shape_str(x),
         ". Received: w.shape=", shape_str(w));
  const int64_t n = w.shape(1);
  const std::string mn = str_cat("(", m, ", ", n, ")");
  if (dy.ndim() != 2 || dy.shape(0) != m || dy.shape(1) != n)
    fail(fn, ": argument 'dy' must have shape ", mn, " (batch of x, units of w). Received: dy.shape=",
         shape_str(dy));
  if (y.ndim() != 2 || y.shape(0) != m || y.shape(1) != n)
    fail(fn, ": argument 'y' must have shape ", mn, " like dy. Received: y.shape=", shape_str(y));
  if (dw.ndim() != 2 || dw.shape(0) != k || dw.shape(1) != n)
    fail(fn, ": argument 'dw' must have the shape of w ", shape_str(w), ". Received: dw.shape=",
         shape_str(dw));
  std::vector<std::pair<const char*, py::array>> inputs{{"x", x}, {"w", w}, {"y", y}, {"dy", dy}};
  std::vector<std::pair<const char*, py::array>> outputs{{"dw", dw}};
  float* dxp = nullptr;
  float* dbp = nullptr;
  py::array dx, db;
  if (!dx_obj.is_none()) {
    dx = f32(fn, "dx", dx_obj, true);
    if (dx.ndim() != 2 || dx.shape(0) != m || dx.shape(1) != k)
      fail(fn, ": argument 'dx' must have the shape of x ", shape_str(x), ". Received: dx.shape=",
           shape_str(dx));
    outputs.emplace_back("dx", dx);
    dxp = mptr(dx);
  }
  if (!db_obj.is_none()) {
    db = f32(fn, "db", db_obj, true);
    if (db.ndim() != 1 || db.shape(0) != n)
      fail(fn, ": argument 'db' must have shape (", n, ",). Received: db.shape=", shape_str(db));
    outputs.emplace_back("db", db);
    dbp = mptr(db);
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    for (const auto& in : inputs) expect_no_overlap(fn, outputs[i].first, outputs[i].second, in.first, in.second);
    for (size_t j = 0; j < i; ++j)
      expect_no_overlap(fn, outputs[i].first, outputs[i].second, outputs[j].first, outputs[j].second);
  }
  const float *xp = cptr(x), *wp = cptr(w), *yp = cptr(y), *dyp = cptr(dy);
  float* dwp = mptr(dw);
  py::gil_scoped_release release;
  pykeras::dense_backward(m, k, n, xp, wp, yp, dyp, act, dxp, dwp, dbp);
}

double softmax_cross_entropy(py::object logits_obj, py::object labels_obj, py::object dlogits_obj,
                             float grad_scale) {
  const char* fn = "softmax_cross_entropy";
  py::array logits = f32(fn, "logits", logits_obj);
  expect_ndim(fn, "logits", logits, 2, "(batch, classes)");
  const int64_t m = logits.shape(0), c = logits.shape(1);
  if (!py::isinstance<py::array>(labels_obj))
    fail(fn, ": argument 'labels' must be a numpy array of dtype int32 or int64. Received: an object of type ",
         type_name(labels_obj));
  const py::dtype i32 = py::dtype::of<int32_t>(), i64 = py::dtype::of<int64_t>();
  const bool is64 = py::reinterpret_borrow<py::array>(labels_obj).dtype().equal(i64);
  if (!is64 && !py::reinterpret_borrow<py::array>(labels_obj).dtype().equal(i32))
    fail(fn, ": argument 'labels' must have dtype int32 or int64. Received: labels.dtype=",
         std::string(py::str(py::reinterpret_borrow<py::array>(labels_obj).dtype())));
  py::array labels = as_array(fn, "labels", labels_obj, is64 ? i64 : i32, false);
  if (labels.ndim() != 1 || labels.shape(0) != m)
    fail(fn, ": argument 'labels' must have shape (", m, ",) to match logits of shape ", shape_str(logits),
         ". Received: labels.shape=", shape_str(labels));
  float* gp = nullptr;
  py::array dlogits;
  if (!dlogits_obj.is_none()) {
    dlogits = f32(fn, "dlogits", dlogits_obj, true);
    if (dlogits.ndim() != 2 || dlogits.shape(0) != m || dlogits.shape(1) != c)
      fail(fn, ": argument 'dlogits' must have the shape of logits ", shape_str(logits),
           ". Received: dlogits.shape=", shape_str(dlogits));
    expect_no_overlap(fn, "dlogits", dlogits, "logits", logits, true);
    expect_no_overlap(fn, "dlogits", dlogits, "labels", labels);
    gp = mptr(dlogits);
  }
  const float* lp = cptr(logits);
  const void* yp = labels.data();
  py::gil_scoped_release release;
  if (is64)
    return pykeras::softmax_cross_entropy(m, c, lp, static_cast<const int64_t*>(yp), gp, grad_scale);
  return pykeras::softmax_cross_entropy(m, c, lp, static_cast<const int32_t*>(yp), gp, grad_scale);
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
  mod.def("relu", &relu, py::arg("x"), py::arg("out"),
          "out = max(x, 0) elementwise; NaN stays NaN. out may be x.");
  mod.def("relu_backward", &relu_backward, py::arg("dy"), py::arg("y"), py::arg("out"),
          "out = dy where y > 0 else 0 (mask from the forward output y). out may be dy.");
  mod.def("bias_grad", &bias_grad, py::arg("dy"), py::arg("out"),
          "out (n,) = column sums of dy (m, n), in a fixed order.");
  mod.def("dense_forward", &dense_forward, py::arg("x"), py::arg("w"), py::arg("b"), py::arg("activation"),
          py::arg("out"), "out = act(x @ w + b), activation in {'linear', 'relu'}; b may be None.");
  py::class_<DenseLayers>(mod, "DenseLayers",
                          "Dense layers [(w, b, activation), ...] checked once; pass it as `layers` to the "
                          "dense_chain_* functions to skip their per-layer checks. The arrays are held, not "
                          "copied: later writes into them are seen.")
      .def(py::init([](py::object layers) { return DenseLayers{parse_chain("DenseLayers", layers, -1)}; }),
           py::arg("layers"))
      .def_property_readonly("input_width", [](const DenseLayers& d) { return d.chain.in_width; })
      .def_property_readonly("output_width", [](const DenseLayers& d) { return d.chain.width; })
      .def("__len__", [](const DenseLayers& d) { return d.chain.steps.size(); });
  mod.def("dense_chain_forward", &dense_chain_forward, py::arg("x"), py::arg("layers"),
          py::arg("hidden") = py::none(),
          "Dense layers [(w, b, activation), ...] applied in order; returns a new array. Layer i's output "
          "goes to hidden[i] if given (all but the last layer), else to native scratch memory.");
  mod.def("dense_chain_backward", &dense_chain_backward, py::arg("x"), py::arg("layers"), py::arg("outputs"),
          py::arg("dy"), py::arg("dx"), py::arg("grads"),
          "Backward of dense_chain_forward: outputs = hidden + [out]; writes grads[i] = (dw, db) and dx if "
          "not None.");
  mod.def("dense_chain_sce_gradients", &dense_chain_sce_gradients, py::arg("x"), py::arg("layers"),
          py::arg("labels"), py::arg("hidden"), py::arg("logits"), py::arg("dlogits"), py::arg("grads"),
          "One training pass: forward (hidden outputs and logits written), mean sparse softmax cross-entropy "
          "(returned) and its gradient, backward into grads[i] = (dw, db).");
  mod.def("dense_backward", &dense_backward, py::arg("x"), py::arg("w"), py::arg("y"), py::arg("dy"),
          py::arg("activation"), py::arg("dx"), py::arg("dw"), py::arg("db"),
          "dz = dy * act'(y); dw = x.T @ dz; db = sum(dz, 0) if db; dx = dz @ w.T if dx.");
  mod.def("softmax_cross_entropy", &softmax_cross_entropy, py::arg("logits"), py::arg("labels"),
          py::arg("dlogits"), py::arg("grad_scale"),
          "Mean sparse softmax cross-entropy; writes grad_scale * (softmax - onehot) / m to dlogits if given.");
  mod.def("take_rows", &take_rows, py::arg("x"), py::arg("index"),
          "x[index] for a C-contiguous numeric array x and an int64 index with values in [0, len(x)) "
          "(IndexError otherwise): a new array, the rows copied by threads.");
  mod.def(
      "set_num_threads", [](int n) { pykeras::set_num_threads(n); }, py::arg("n"),
      "Set the thread count kernels may use (n >= 1).");
  mod.def("get_num_threads", &pykeras::num_threads, "The thread count kernels may use.");
  mod.def("compiled_isas", &pykeras::gemm::compiled_isas, "GEMM micro-kernel ISAs compiled in, best first.");
  mod.def("selected_isa", &pykeras::gemm::active_isa,
          "The ISA in use: the best one this CPU supports, unless set_isa chose another.");
  mod.def("set_isa", &pykeras::gemm::set_isa, py::arg("name"),
          "Force a GEMM ISA (for tests and benchmarks); ValueError if not compiled in or not supported.");
  pykeras::bind::bind_optim(mod);
}
