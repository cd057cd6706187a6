// Bindings of the dense layers (csrc/dense): one layer's forward and backward, and chains of layers run in
// one call (forward, backward, and a whole training step under sparse softmax cross-entropy).
#include "bindings/dense.hpp"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bindings/arrays.hpp"
#include "bindings/targets.hpp"
#include "common/check.hpp"
#include "dense/dense.hpp"
#include "gemm/held_packs.hpp"

namespace pykeras::bind {
namespace {

// The fused activations, then those a chain applies after the GEMM (dense/activation.hpp), in enum order.
constexpr const char* kActivationNames[] = {
    "linear",       "relu",      "tanh",     "sigmoid", "elu",      "selu", "leaky_relu",  "gelu", "relu6",
    "hard_sigmoid", "hard_silu", "softsign", "silu",    "softplus", "mish", "log_sigmoid"};
constexpr int kFusedActivations = 3;

// A single layer takes the fused activations; a chain (`in_chain`) every one.
pykeras::Activation parse_activation(const char* fn, const std::string& name, bool in_chain = false) {
  const int count = in_chain ? static_cast<int>(std::size(kActivationNames)) : kFusedActivations;
  for (int a = 0; a < count; ++a)
    if (name == kActivationNames[a]) return static_cast<pykeras::Activation>(a);
  std::string names;
  for (int a = 0; a < count; ++a) names += str_cat(a ? ", '" : "'", kActivationNames[a], "'");
  fail(fn, ": argument 'activation' must be one of ", names, ". Received: activation='", name, "'");
}

// The sizes of a dense layer's product: x (m, k) and w (k, n), checked against each other.
struct DenseShape {
  int64_t m, k, n;
};

DenseShape dense_shape(const char* fn, const py::array& x, const py::array& w) {
  expect_ndim(fn, "x", x, 2, "(batch, features)");
  const int64_t k = x.shape(1);
  if (w.ndim() != 2 || w.shape(0) != k)
    fail(fn, ": argument 'w' must have shape (", k, ", n) to match x of shape ", shape_str(x),
         ". Received: w.shape=", shape_str(w));
  return {x.shape(0), k, w.shape(1)};
}

void dense_forward(py::object x_obj, py::object w_obj, py::object b_obj, const std::string& activation,
                   py::object out_obj) {
  const char* fn = "dense_forward";
  const pykeras::Activation act = parse_activation(fn, activation);
  py::array x = f32(fn, "x", x_obj), w = f32(fn, "w", w_obj), out = f32(fn, "out", out_obj, true);
  const auto [m, k, n] = dense_shape(fn, x, w);
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
  std::vector<py::array> moved;  // moving statistics a training pass updates (norm entries with a momentum)
  std::vector<pykeras::DenseStep> steps;
  int64_t in_width = 0;  // of the first layer's input
  int64_t width = 0;     // of the last layer's output
};

// A layer's norm entry: (gamma, beta, epsilon[, before[, moving_mean, moving_variance[, momentum]]]),
// gamma and beta None or float32 (n,), before the Dense's own activation ('linear', 'relu' or 'tanh';
// 'linear' if left out), the moving statistics float32 (n,): inference reads them and, given a
// momentum, training moves them (they are then written: kept in `moved`, the rest in `keep`). Or
// (gamma, beta, epsilon, before, 'layer'): LayerNormalization, each row with its own statistics.
pykeras::BatchNormParams parse_norm(const char* fn, py::ssize_t i, const py::handle& obj, int64_t n,
                                    std::vector<py::array>& keep, std::vector<py::array>& moved) {
  const py::ssize_t len = py::isinstance<py::tuple>(obj) ? py::len(obj) : -1;
  if (len < 3 || len > 7)
    fail(fn, ": layers[", i, "] norm must be None, a tuple (gamma, beta, epsilon[, before[, moving_mean, "
         "moving_variance[, momentum]]]) or (gamma, beta, epsilon, before, 'layer'). Received: ",
         len >= 0 ? str_cat("a tuple of length ", len) : str_cat("an object of type ", type_name(obj)));
  py::tuple t = obj.cast<py::tuple>();
  pykeras::BatchNormParams norm{nullptr, nullptr, 0.0f};
  if (len == 5) {
    if (!py::isinstance<py::str>(t[4]) || t[4].cast<std::string>() != "layer")
      fail(fn, ": layers[", i, "] norm's fifth item must be 'layer' (LayerNormalization). Received: ",
           py::isinstance<py::str>(t[4]) ? "'" + t[4].cast<std::string>() + "'" : "an object of type " + type_name(t[4]));
    norm.per_row = true;
  }
  if (len >= 4) {
    if (!py::isinstance<py::str>(t[3]))
      fail(fn, ": layers[", i, "] norm's activation before must be a str. Received: an object of type ",
           type_name(t[3]));
    norm.before = parse_activation(fn, t[3].cast<std::string>());
  }
  norm.update_moving = len == 7;
  const auto vector = [&](const char* name, const py::handle& item, bool written) {
    py::array a = f32(fn, name, item, written);
    if (a.ndim() != 1 || a.shape(0) != n)
      fail(fn, ": layers[", i, "] ", name, " must have shape (", n, ",). Received: ", name, ".shape=", shape_str(a));
    (written ? moved : keep).push_back(a);
    return const_cast<float*>(cptr(a));
  };
  if (len >= 6) {
    norm.moving_mean = vector("moving_mean", t[4], norm.update_moving);
    norm.moving_variance = vector("moving_variance", t[5], norm.update_moving);
  }
  if (norm.update_moving) {
    if (!py::isinstance<py::float_>(t[6]) && !py::isinstance<py::int_>(t[6]))
      fail(fn, ": layers[", i, "] momentum must be a number. Received: an object of type ", type_name(t[6]));
    norm.momentum = t[6].cast<float>();
  }
  if (!t[0].is_none()) norm.gamma = vector("gamma", t[0], false);
  if (!t[1].is_none()) norm.beta = vector("beta", t[1], false);
  if (!py::isinstance<py::float_>(t[2]) && !py::isinstance<py::int_>(t[2]))
    fail(fn, ": layers[", i, "] epsilon must be a number. Received: an object of type ", type_name(t[2]));
  norm.eps = t[2].cast<float>();
  if (!(norm.eps > 0.0f))
    fail(fn, ": layers[", i, "] epsilon must be > 0. Received: epsilon=", t[2].cast<double>());
  return norm;
}

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
    if (!py::isinstance<py::tuple>(item) || (py::len(item) != 3 && py::len(item) != 4))
      fail(fn, ": layers[", i, "] must be a tuple (w, b, activation) or (w, b, activation, norm). Received: ",
           py::isinstance<py::tuple>(item) ? str_cat("a tuple of length ", py::len(item))
                                           : str_cat("an object of type ", type_name(item)));
    py::tuple t = item.cast<py::tuple>();
    if (!py::isinstance<py::str>(t[2]))
      fail(fn, ": layers[", i, "] activation must be a str. Received: an object of type ", type_name(t[2]));
    const pykeras::Activation act = parse_activation(fn, t[2].cast<std::string>(), true);
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
    pykeras::DenseStep step{n, cptr(w), bp, act};
    if (py::len(t) == 4 && !t[3].is_none()) {
      step.batch_norm = true;
      step.norm = parse_norm(fn, i, t[3], n, chain.keep, chain.moved);
    }
    chain.steps.push_back(step);
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

// The arrays a chain call reads (the layers' and x), which no output may overlap. A training pass
// writes the moving statistics it moves: those are its outputs, not inputs.
std::vector<py::array> chain_inputs(const Chain& chain, const py::array& x, bool training = false) {
  std::vector<py::array> inputs = chain.keep;
  if (!training) inputs.insert(inputs.end(), chain.moved.begin(), chain.moved.end());
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

// pre: None, or a list of one entry per layer, None or its (m, n_i) pre-activations; appended to
// `arrays` (written by the forward pass, read by the backward). Empty for None.
std::vector<float*> pre_activations(const char* fn, const py::handle& obj, int64_t m, const Chain& chain,
                                    bool writable, std::vector<py::array>& arrays) {
  const size_t count = chain.steps.size();
  std::vector<float*> ptrs;
  if (obj.is_none()) return ptrs;
  if (!py::isinstance<py::list>(obj) || py::len(obj) != count)
    fail(fn, ": argument 'pre' must be None or a list of ", count, " entries (None or an array). Received: ",
         type_name(obj), py::isinstance<py::list>(obj) ? str_cat(" of length ", py::len(obj)) : std::string());
  py::list items = py::reinterpret_borrow<py::list>(obj);
  for (size_t i = 0; i < count; ++i) {
    if (items[i].is_none()) {
      ptrs.push_back(nullptr);
      continue;
    }
    py::array a = f32(fn, "pre", items[i], writable);
    if (a.ndim() != 2 || a.shape(0) != m || a.shape(1) != chain.steps[i].n)
      fail(fn, ": pre[", i, "] must have shape (", m, ", ", chain.steps[i].n, "). Received: ", shape_str(a));
    arrays.push_back(a);
    ptrs.push_back(mptr(a));
  }
  return ptrs;
}

// A float32 (n,) gradient written into, or null for None; appended to `written`.
float* vector_grad(const char* fn, const char* name, size_t i, const py::handle& obj, int64_t n,
                   std::vector<py::array>& written) {
  if (obj.is_none()) return nullptr;
  py::array a = f32(fn, name, obj, true);
  if (a.ndim() != 1 || a.shape(0) != n)
    fail(fn, ": grads[", i, "] ", name, " must have shape (", n, ",). Received: ", shape_str(a));
  written.push_back(a);
  return mptr(a);
}

// grads: a list of one (dw, db) tuple per layer (db None where the layer has no bias), or for a
// batch-normalized layer (dw, db, dgamma, dbeta) (each of the last two None exactly where gamma or
// beta is), checked and appended to `written`. dgammas and dbetas get an entry per layer.
void parse_grads(const char* fn, const py::handle& grads_obj, const Chain& chain, int64_t k,
                 std::vector<py::array>& written, std::vector<float*>& dws, std::vector<float*>& dbs,
                 std::vector<float*>* dgammas = nullptr, std::vector<float*>* dbetas = nullptr) {
  const size_t count = chain.steps.size();
  if (!py::isinstance<py::list>(grads_obj) || py::len(grads_obj) != count)
    fail(fn, ": argument 'grads' must be a list of ", count, " (dw, db) tuples. Received: ", type_name(grads_obj));
  py::list grads = py::reinterpret_borrow<py::list>(grads_obj);
  for (size_t i = 0; i < count; ++i) {
    const pykeras::DenseStep& step = chain.steps[i];
    const bool normalized = step.batch_norm && dgammas != nullptr;
    if (!py::isinstance<py::tuple>(grads[i]) || py::len(grads[i]) != (normalized ? 4 : 2))
      fail(fn, ": grads[", i, "] must be a tuple ", normalized ? "(dw, db, dgamma, dbeta)" : "(dw, db)",
           ". Received: ", py::isinstance<py::tuple>(grads[i]) ? str_cat("a tuple of length ", py::len(grads[i]))
                                                                : str_cat("an object of type ", type_name(grads[i])));
    py::tuple pair = grads[i].cast<py::tuple>();
    const int64_t width = i == 0 ? k : chain.steps[i - 1].n;
    py::array dw = f32(fn, "dw", pair[0], true);
    if (dw.ndim() != 2 || dw.shape(0) != width || dw.shape(1) != chain.steps[i].n)
      fail(fn, ": grads[", i, "] dw must have shape (", width, ", ", chain.steps[i].n, "). Received: ",
           shape_str(dw));
    written.push_back(dw);
    dws.push_back(mptr(dw));
    dbs.push_back(vector_grad(fn, "db", i, pair[1], step.n, written));
    if (dgammas != nullptr) {
      float* dg = normalized ? vector_grad(fn, "dgamma", i, pair[2], step.n, written) : nullptr;
      float* dbt = normalized ? vector_grad(fn, "dbeta", i, pair[3], step.n, written) : nullptr;
      if (normalized && ((dg == nullptr) != (step.norm.gamma == nullptr) ||
                         (dbt == nullptr) != (step.norm.beta == nullptr)))
        fail(fn, ": grads[", i, "] dgamma and dbeta must be arrays exactly where the layer has gamma and beta. "
             "Received: dgamma ", dg == nullptr ? "None" : "an array", ", dbeta ", dbt == nullptr ? "None" : "an array");
      dgammas->push_back(dg);
      dbetas->push_back(dbt);
    }
  }
}

// No written array may overlap an input or another written array.
void expect_disjoint(const char* fn, const std::vector<py::array>& written, const std::vector<py::array>& inputs) {
  for (size_t i = 0; i < written.size(); ++i) {
    for (const py::array& in : inputs) expect_no_overlap(fn, "an output", written[i], "an input", in);
    for (size_t j = 0; j < i; ++j) expect_no_overlap(fn, "an output", written[i], "another output", written[j]);
  }
}

py::array dense_chain_forward(py::object x_obj, py::object layers, py::object hidden_obj, py::object pre_obj) {
  const char* fn = "dense_chain_forward";
  py::array x;
  Chain parsed;
  const Chain& chain = chain_args(fn, x_obj, layers, x, parsed);
  const int64_t m = x.shape(0), k = x.shape(1);
  std::vector<float*> hidden, pre;
  // Inference writes only the new array `out`: nothing to check for overlaps (one-sample calls take
  // a few microseconds, and copying the chain's array list is a noticeable part of that).
  if (!hidden_obj.is_none() || !pre_obj.is_none()) {
    std::vector<py::array> inputs = chain_inputs(chain, x);
    if (!hidden_obj.is_none())
      hidden = layer_outputs(fn, "hidden", hidden_obj, m, chain, chain.steps.size() - 1, inputs);
    std::vector<py::array> written;
    pre = pre_activations(fn, pre_obj, m, chain, true, written);
    expect_disjoint(fn, written, inputs);
  }
  py::array_t<float> out({static_cast<py::ssize_t>(m), static_cast<py::ssize_t>(chain.width)});
  float* op = out.mutable_data();
  const float* xp = cptr(x);
  {
    py::gil_scoped_release release;
    pykeras::dense_chain_forward(m, k, xp, chain.steps.data(), static_cast<int64_t>(chain.steps.size()),
                                 hidden_obj.is_none() ? nullptr : hidden.data(), op,
                                 pre.empty() ? nullptr : pre.data());
  }
  return out;
}

void dense_chain_backward(py::object x_obj, py::object layers, py::object outputs_obj, py::object dy_obj,
                          py::object dx_obj, py::object grads_obj, py::object pre_obj) {
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
  const std::vector<float*> pre = pre_activations(fn, pre_obj, m, chain, false, read);
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
  std::vector<const float*> couts(outs.begin(), outs.end()), cpre(pre.begin(), pre.end());
  py::gil_scoped_release release;
  pykeras::dense_chain_backward(m, k, xp, chain.steps.data(), static_cast<int64_t>(count), couts.data(), dyp,
                                dxp, dws.data(), dbs.data(), cpre.empty() ? nullptr : cpre.data());
}

// dropout: None, or a list of one entry per hidden layer, None or a tuple (keep, dropped) of (m, n_i)
// arrays. keep is appended to `inputs` and dropped to `written`; the pointer lists get null where
// the entry is None.
void parse_dropout(const char* fn, const py::handle& obj, int64_t m, const Chain& chain,
                   std::vector<py::array>& inputs, std::vector<py::array>& written, std::vector<const float*>& keep,
                   std::vector<float*>& dropped) {
  const size_t count = chain.steps.size() - 1;
  keep.assign(count, nullptr);
  dropped.assign(count, nullptr);
  if (obj.is_none()) return;
  if (!py::isinstance<py::list>(obj) || py::len(obj) != count)
    fail(fn, ": argument 'dropout' must be None or a list of ", count, " entries (None or (keep, dropped)). Received: ",
         type_name(obj), py::isinstance<py::list>(obj) ? str_cat(" of length ", py::len(obj)) : std::string());
  py::list items = py::reinterpret_borrow<py::list>(obj);
  for (size_t i = 0; i < count; ++i) {
    if (items[i].is_none()) continue;
    if (!py::isinstance<py::tuple>(items[i]) || py::len(items[i]) != 2)
      fail(fn, ": dropout[", i, "] must be None or a tuple (keep, dropped). Received: an object of type ",
           type_name(items[i]));
    py::tuple pair = items[i].cast<py::tuple>();
    py::array k = f32(fn, "keep", pair[0]), d = f32(fn, "dropped", pair[1], true);
    for (const py::array* a : {&k, &d})
      if (a->ndim() != 2 || a->shape(0) != m || a->shape(1) != chain.steps[i].n)
        fail(fn, ": dropout[", i, "] arrays must have shape (", m, ", ", chain.steps[i].n, "). Received: ",
             shape_str(*a));
    inputs.push_back(k);
    written.push_back(d);
    keep[i] = cptr(k);
    dropped[i] = mptr(d);
  }
}

// norm_stats: None, or a list of one entry per layer: a float32 (3, n_i) array (the batch mean,
// variance and 1 / sqrt(variance + epsilon), written) exactly for the batch-normalized layers, a
// (3, m) array (the rows' own) for the layer-normalized ones, else None. Appended to `written`;
// `stats` gets an entry per layer.
void parse_norm_stats(const char* fn, const py::handle& obj, const Chain& chain, int64_t m,
                      std::vector<py::array>& written, std::vector<float*>& stats) {
  const size_t count = chain.steps.size();
  bool normalized = false;
  for (const pykeras::DenseStep& step : chain.steps) normalized = normalized || step.batch_norm;
  stats.assign(count, nullptr);
  if (obj.is_none() && !normalized) return;
  if (!py::isinstance<py::list>(obj) || py::len(obj) != count)
    fail(fn, ": argument 'norm_stats' must be a list of ", count, " entries (a (3, n) array for each batch-normalized "
         "layer, (3, batch) for a layer-normalized one, else None). Received: ", type_name(obj),
         py::isinstance<py::list>(obj) ? str_cat(" of length ", py::len(obj)) : std::string());
  py::list items = py::reinterpret_borrow<py::list>(obj);
  for (size_t i = 0; i < count; ++i) {
    const pykeras::DenseStep& step = chain.steps[i];
    if (items[i].is_none() != !step.batch_norm)
      fail(fn, ": norm_stats[", i, "] must be ",
           !step.batch_norm     ? "None: the layer is not batch-normalized"
           : step.norm.per_row ? "a (3, batch) array: the layer is layer-normalized"
                               : "a (3, n) array: the layer is batch-normalized",
           ". Received: ", type_name(items[i]));
    if (!step.batch_norm) continue;
    py::array a = f32(fn, "norm_stats", items[i], true);
    const int64_t width = step.norm.per_row ? m : step.n;
    if (a.ndim() != 2 || a.shape(0) != 3 || a.shape(1) != width)
      fail(fn, ": norm_stats[", i, "] must have shape (3, ", width, ")",
           step.norm.per_row ? " (the layer normalizes each of the batch's rows)" : "", ". Received: ", shape_str(a));
    written.push_back(a);
    stats[i] = mptr(a);
  }
}

// One training pass under a mean cross-entropy of the logits (dense_chain_loss_gradients):
// all buffers are the caller's, so a training loop allocates nothing per step.
double dense_chain_loss_gradients(py::object x_obj, py::object layers, py::object labels_obj,
                                  py::object hidden_obj, py::object logits_obj, py::object dlogits_obj,
                                  py::object grads_obj, py::object dropout_obj, const std::string& loss,
                                  py::object weights_obj, py::object norm_stats_obj) {
  const char* fn = "dense_chain_loss_gradients";
  const LossKind kind = loss_kind(fn, loss);
  py::array x;
  Chain parsed;
  const Chain& chain = chain_args(fn, x_obj, layers, x, parsed);
  const int64_t m = x.shape(0), k = x.shape(1);
  std::vector<py::array> inputs = chain_inputs(chain, x, true);
  const int64_t c = chain.width;
  const Targets targets = targets_of(fn, labels_obj, m, c, kind);
  inputs.push_back(targets.array);
  py::array weights;
  const float* wp = row_weights_of(fn, weights_obj, m, weights);
  if (wp != nullptr) inputs.push_back(weights);
  std::vector<py::array> written = chain.moved;
  std::vector<float*> hidden = layer_outputs(fn, "hidden", hidden_obj, m, chain, chain.steps.size() - 1, written);
  py::array logits = f32(fn, "logits", logits_obj, true), dlogits = f32(fn, "dlogits", dlogits_obj, true);
  for (const py::array* a : {&logits, &dlogits})
    if (a->ndim() != 2 || a->shape(0) != m || a->shape(1) != c)
      fail(fn, ": arguments 'logits' and 'dlogits' must have shape (", m, ", ", c, "). Received: ", shape_str(*a));
  written.push_back(logits);
  written.push_back(dlogits);
  std::vector<float*> dws, dbs, dgammas, dbetas, stats;
  parse_grads(fn, grads_obj, chain, k, written, dws, dbs, &dgammas, &dbetas);
  parse_norm_stats(fn, norm_stats_obj, chain, m, written, stats);
  std::vector<const float*> keep;
  std::vector<float*> dropped;
  parse_dropout(fn, dropout_obj, m, chain, inputs, written, keep, dropped);
  expect_disjoint(fn, written, inputs);
  const pykeras::ChainDropout dropout{keep.data(), dropped.data()};
  const pykeras::ChainNorm norm{stats.data(), dgammas.data(), dbetas.data()};
  const float* xp = cptr(x);
  float* lp = mptr(logits);
  float* gp = mptr(dlogits);
  const auto* steps = chain.steps.data();
  const auto count = static_cast<int64_t>(chain.steps.size());
  py::gil_scoped_release release;
  return with_targets(targets, [&](auto typed) {
    return pykeras::dense_chain_loss_gradients(m, k, xp, steps, count, hidden.data(), lp, typed, gp, dws.data(),
                                              dbs.data(), &dropout, wp, &norm);
  });
}

void dense_backward(py::object x_obj, py::object w_obj, py::object y_obj, py::object dy_obj,
                    const std::string& activation, py::object dx_obj, py::object dw_obj,
                    py::object db_obj) {
  const char* fn = "dense_backward";
  const pykeras::Activation act = parse_activation(fn, activation);
  py::array x = f32(fn, "x", x_obj), w = f32(fn, "w", w_obj), y = f32(fn, "y", y_obj),
            dy = f32(fn, "dy", dy_obj), dw = f32(fn, "dw", dw_obj, true);
  const auto [m, k, n] = dense_shape(fn, x, w);
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

// HeldPacks, a context: while it is entered on a thread, the weights that DenseLayers.infer would pack
// at every call on that thread are packed once and kept in it (freed with it). The packs are found by
// the weights' addresses, so the layers they came from are kept alive with them: no other array can
// take those addresses meanwhile (a model building new layers at every call).
struct HeldPacksScope {
  gemm::HeldPacks packs;
  std::vector<std::pair<const DenseLayers*, py::object>> layers;
  HeldPacksScope* outer = nullptr;
  std::thread::id thread;
  bool entered = false;
};

// The HeldPacks DenseLayers.infer lends its products on this thread: the one entered here last.
thread_local HeldPacksScope* infer_scope = nullptr;

HeldPacksScope& enter_packs(HeldPacksScope& scope) {
  if (scope.entered) throw std::runtime_error("HeldPacks: already entered; enter a new one");
  scope.outer = infer_scope;
  scope.thread = std::this_thread::get_id();
  scope.entered = true;
  infer_scope = &scope;
  return scope;
}

void exit_packs(HeldPacksScope& scope, const py::args&) {
  if (!scope.entered) throw std::runtime_error("HeldPacks: exited without being entered");
  if (scope.thread != std::this_thread::get_id() || infer_scope != &scope)
    throw std::runtime_error("HeldPacks: must be exited on the thread that entered it, innermost first");
  infer_scope = scope.outer;
  scope.entered = false;
}

// The packs for `layers`' weights, the layers kept alive with them.
gemm::HeldPacks* packs_for(HeldPacksScope& scope, const DenseLayers& layers) {
  const auto kept = std::find_if(scope.layers.begin(), scope.layers.end(),
                                 [&](const auto& entry) { return entry.first == &layers; });
  if (kept == scope.layers.end())
    scope.layers.emplace_back(&layers, py::cast(&layers, py::return_value_policy::reference));
  return &scope.packs;
}

// DenseLayers.infer: the model-call fast path (one-sample inference), its checks made with numpy's C
// API, a fraction of what the same checks cost in Python. Anything else returns None and the caller
// takes its general path, which converts or rejects it; so does a subclass of ndarray (a masked array
// means more than its data).
py::object infer(const DenseLayers& layers, const py::handle& x_obj) {
  const auto& api = py::detail::npy_api::get();
  PyObject* obj = x_obj.ptr();
  if (Py_TYPE(obj) != api.PyArray_Type_) return py::none();
  const auto* proxy = py::detail::array_proxy(obj);
  const Chain& chain = layers.chain;
  constexpr int kFlags = py::detail::npy_api::NPY_ARRAY_C_CONTIGUOUS_ | kAligned;
  static PyObject* const float32 = py::dtype::of<float>().release().ptr();
  if (proxy->nd != 2 || proxy->dimensions[1] != chain.in_width || (proxy->flags & kFlags) != kFlags ||
      !api.PyArray_EquivTypes_(proxy->descr, float32))
    return py::none();
  const int64_t m = proxy->dimensions[0];
  py::array_t<float> out({static_cast<py::ssize_t>(m), static_cast<py::ssize_t>(chain.width)});
  float* op = out.mutable_data();
  const float* xp = static_cast<const float*>(static_cast<const void*>(proxy->data));
  gemm::HeldPacks* const packs = infer_scope != nullptr ? packs_for(*infer_scope, layers) : nullptr;
  {
    py::gil_scoped_release release;
    pykeras::dense_chain_forward(m, chain.in_width, xp, chain.steps.data(), static_cast<int64_t>(chain.steps.size()),
                                 nullptr, op, nullptr, packs);
  }
  return std::move(out);
}

}  // namespace

void bind_dense(py::module_& mod) {
  mod.def("dense_forward", &dense_forward, py::arg("x"), py::arg("w"), py::arg("b"), py::arg("activation"),
          py::arg("out"), "out = act(x @ w + b), activation in {'linear', 'relu'}; b may be None.");
  py::class_<DenseLayers>(mod, "DenseLayers",
                          "Dense layers [(w, b, activation[, norm]), ...] checked once; pass it as `layers` to the "
                          "dense_chain_* functions to skip their per-layer checks. The arrays are held, not "
                          "copied: later writes into them are seen.")
      .def(py::init([](py::object layers) { return DenseLayers{parse_chain("DenseLayers", layers, -1)}; }),
           py::arg("layers"))
      .def_property_readonly("input_width", [](const DenseLayers& d) { return d.chain.in_width; })
      .def_property_readonly("output_width", [](const DenseLayers& d) { return d.chain.width; })
      .def("__len__", [](const DenseLayers& d) { return d.chain.steps.size(); })
      .def("infer", &infer, py::arg("x"),
           "The layers applied to x in a new array when x is a numpy.ndarray (not a subclass) of aligned, "
           "C-contiguous float32 (batch, input_width) rows, else None: nothing is converted or reported. "
           "Inside a HeldPacks entered on this thread, the weights it packs are packed once and kept there.");
  py::class_<HeldPacksScope>(mod, "HeldPacks",
                             "A context for inference over many batches: while it is entered on a thread, "
                             "DenseLayers.infer on that thread packs the weights it would pack at every call "
                             "(batches of more than 512 rows) once, and keeps them until the HeldPacks is "
                             "freed (up to 64 MiB of packs; past that they are packed at every call). The "
                             "weights' values must not change meanwhile. len(): weights held.")
      .def(py::init<>())
      .def("__enter__", &enter_packs, py::return_value_policy::reference)
      .def("__exit__", &exit_packs)
      .def("__len__", [](const HeldPacksScope& s) { return s.packs.size(); });
  mod.def("dense_chain_forward", &dense_chain_forward, py::arg("x"), py::arg("layers"),
          py::arg("hidden") = py::none(), py::arg("pre") = py::none(),
          "Dense layers [(w, b, activation), ...] applied in order; returns a new array. Layer i's output "
          "goes to hidden[i] if given (all but the last layer), else to native scratch memory; its "
          "pre-activation to pre[i] where pre is a list and pre[i] an array (the backward pass of an "
          "activation other than linear, relu and tanh needs it). A batch-normalized layer (w, b, activation, "
          "norm) infers with the moving statistics of its norm entry (gamma, beta, epsilon, before, moving_mean, "
          "moving_variance), folded with gamma and beta as BatchNormalization folds them: "
          "activation(before(x @ w + b) * scale + shift); a layer-normalized one (w, b, activation, (gamma, beta, "
          "epsilon, before, 'layer')) normalizes each row as LayerNormalization does.");
  mod.def("dense_chain_backward", &dense_chain_backward, py::arg("x"), py::arg("layers"), py::arg("outputs"),
          py::arg("dy"), py::arg("dx"), py::arg("grads"), py::arg("pre") = py::none(),
          "Backward of dense_chain_forward: outputs = hidden + [out], pre the forward's pre-activations; writes "
          "grads[i] = (dw, db) and dx if not None.");
  mod.def("dense_chain_loss_gradients", &dense_chain_loss_gradients, py::arg("x"), py::arg("layers"),
          py::arg("labels"), py::arg("hidden"), py::arg("logits"), py::arg("dlogits"), py::arg("grads"),
          py::arg("dropout") = py::none(), py::arg("loss") = "softmax", py::arg("row_weights") = py::none(),
          py::arg("norm_stats") = py::none(),
          "One training pass: forward (hidden outputs and the last layer's outputs written to logits), the mean "
          "loss of those outputs (returned): loss='softmax' against labels or class probabilities (as "
          "softmax_cross_entropy), 'sigmoid' against binary targets (as sigmoid_cross_entropy), 'squared' or "
          "'absolute' against float32 targets (as squared_error, absolute_error); its gradient, backward into "
          "grads[i] = (dw, db). dropout[i] = (keep, dropped) multiplies hidden layer i's output by keep into "
          "dropped, which the next layer reads. row_weights (float32, (batch,)) weigh the rows' losses. A layer "
          "(w, b, activation, (gamma, beta, epsilon[, before[, moving_mean, moving_variance[, momentum]]])) is "
          "batch-normalized between its product (with the activation before, 'linear', 'relu' or 'tanh') and its "
          "activation, with the batch statistics: its grads entry is (dw, db, dgamma, dbeta) and norm_stats[i], a "
          "(3, n) array, receives the batch mean, variance and 1 / sqrt(variance + epsilon); given a momentum, the "
          "moving statistics are moved with them: moving * momentum + batch * (1 - momentum). A layer (w, b, "
          "activation, (gamma, beta, epsilon, before, 'layer')) is layer-normalized instead: each row with its own "
          "statistics, which norm_stats[i], a (3, batch) array, receives.");
  mod.def("dense_backward", &dense_backward, py::arg("x"), py::arg("w"), py::arg("y"), py::arg("dy"),
          py::arg("activation"), py::arg("dx"), py::arg("dw"), py::arg("db"),
          "dz = dy * act'(y); dw = x.T @ dz; db = sum(dz, 0) if db; dx = dz @ w.T if dx.");
}

}  // namespace pykeras::bind
