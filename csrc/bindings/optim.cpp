// Bindings of the multi-tensor optimizer updates: one call per training step updates every variable.
//
// Each list holds one float32 array per variable (values, gradients, slots); item i of every list
// belongs to variable i and must have the shape of values[i]. This runs on every step for every
// variable, so arrays are checked through numpy's object layout directly (no pybind11 array objects
// are built), then held by reference while the GIL is released.
#include "bindings/optim.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "bindings/arrays.hpp"
#include "common/check.hpp"
#include "optim/optim.hpp"

namespace pykeras::bind {
namespace {

namespace pd = py::detail;

constexpr int kContiguous = 0x0001;  // NPY_ARRAY_C_CONTIGUOUS
constexpr int kWriteable = 0x0400;   // NPY_ARRAY_WRITEABLE

// A list argument: its name and its items (a list or a tuple), or null for None.
struct ListArg {
  const char* name;
  PyObject* seq;
  bool output;
};

std::string item_name(const char* list, size_t i) { return str_cat(list, "[", i, "]"); }

std::string dims_str(int nd, const py::ssize_t* dims) {
  std::string s = "(";
  for (int d = 0; d < nd; ++d) s += str_cat(d ? ", " : "", dims[d]);
  return s + (nd == 1 ? ",)" : ")");
}

bool is_float32(PyObject* descr) {
  static PyObject* const f32 = py::dtype::of<float>().release().ptr();  // numpy's float32 singleton
  if (descr == f32) return true;
  return py::reinterpret_borrow<py::dtype>(descr).equal(py::dtype::of<float>());
}

// Checks item i of a list: an aligned, C-contiguous float32 array (writeable if an output).
const pd::PyArray_Proxy* checked_array(const char* fn, const char* list, size_t i, PyObject* obj, bool output) {
  if (!py::isinstance<py::array>(obj))
    fail(fn, ": argument '", item_name(list, i), "' must be a numpy array of dtype float32. Received: an object "
         "of type ", type_name(obj));
  const pd::PyArray_Proxy* a = pd::array_proxy(obj);
  if (!is_float32(a->descr))
    fail(fn, ": argument '", item_name(list, i), "' must have dtype float32. Received: ", item_name(list, i),
         ".dtype=", std::string(py::str(reinterpret_cast<PyObject*>(a->descr))));
  if (!(a->flags & kContiguous))
    fail(fn, ": argument '", item_name(list, i), "' must be C-contiguous. Received: an array of shape ",
         dims_str(a->nd, a->dimensions), " that is not C-contiguous");
  if (!(a->flags & kAligned))
    fail(fn, ": argument '", item_name(list, i), "' must be aligned to its dtype. Received: an unaligned array");
  if (output && !(a->flags & kWriteable))
    fail(fn, ": argument '", item_name(list, i), "' is updated in place and must be writeable. Received: a "
         "read-only array");
  return a;
}

// Item i of a list of numbers (Python or numpy), as a double; anything else raises naming the item.
double number_item(const char* fn, const char* list, PyObject* seq, size_t i) {
  PyObject* obj = PySequence_Fast_GET_ITEM(seq, i);
  const double x = PyFloat_AsDouble(obj);
  if (x == -1.0 && PyErr_Occurred()) {
    PyErr_Clear();
    fail(fn, ": argument '", item_name(list, i), "' must be a number. Received: an object of type ", type_name(obj));
  }
  return x;
}

PyObject* sequence(const char* fn, const char* name, const py::handle& obj, bool optional) {
  if (optional && obj.is_none()) return nullptr;
  if (!PyList_Check(obj.ptr()) && !PyTuple_Check(obj.ptr()))
    fail(fn, ": argument '", name, "' must be a list of float32 arrays", optional ? " or None" : "",
         ". Received: an object of type ", type_name(obj));
  return obj.ptr();
}

// Byte range of one array, for the overlap check.
struct Span {
  const char* lo;
  const char* hi;
  bool written;
  const char* list;
  size_t index;
};

// No array that is written may share memory with any other array of the call.
void check_no_overlap(const char* fn, std::vector<Span>& spans) {
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) { return a.lo < b.lo; });
  // Sweep in address order, keeping the furthest-reaching earlier span and earlier written span: any
  // earlier span that ends past this one's start overlaps it.
  const Span* reach_any = nullptr;
  const Span* reach_written = nullptr;
  for (const Span& s : spans) {
    const Span* other = s.written ? reach_any : reach_written;
    if (other != nullptr && other->hi > s.lo)
      fail(fn, ": argument '", item_name(s.list, s.index), "' must not share memory with '",
           item_name(other->list, other->index), "'",
           s.written || other->written ? " (one of them is updated in place)" : "",
           ". Received: overlapping arrays");
    if (reach_any == nullptr || s.hi > reach_any->hi) reach_any = &s;
    if (s.written && (reach_written == nullptr || s.hi > reach_written->hi)) reach_written = &s;
  }
}

// The per-call state: the kernel's view of every variable, plus references that keep every array
// alive while the GIL is released (another thread could empty the lists meanwhile).
struct Call {
  std::vector<optim::Variable> vars;
  std::vector<py::object> keep;
  optim::Transforms tf;
};

// Validates values, grads and up to three slot lists (null seq: absent) and the transforms.
Call parse(const char* fn, py::handle values_obj, py::handle grads_obj, const ListArg (&slots)[3],
           py::handle weight_decay, py::handle decay, py::handle grad_scales, py::handle clipvalue) {
  PyObject* values = sequence(fn, "values", values_obj, false);
  PyObject* grads = sequence(fn, "grads", grads_obj, false);
  const size_t n = static_cast<size_t>(PySequence_Fast_GET_SIZE(values));
  const auto expect_len = [&](const char* name, PyObject* seq) {
    const size_t len = static_cast<size_t>(PySequence_Fast_GET_SIZE(seq));
    if (len != n)
      fail(fn, ": argument '", name, "' must have one entry per variable (", n, "). Received: ", len,
           " entries");
  };
  expect_len("grads", grads);
  for (const ListArg& s : slots)
    if (s.seq != nullptr) expect_len(s.name, s.seq);

  Call call;
  call.vars.resize(n);
  call.keep.reserve(n * 5);
  std::vector<Span> spans;
  spans.reserve(n * 5);
  for (size_t i = 0; i < n; ++i) {
    optim::Variable& var = call.vars[i];
    PyObject* vobj = PySequence_Fast_GET_ITEM(values, i);
    const pd::PyArray_Proxy* v = checked_array(fn, "values", i, vobj, true);
    int64_t size = 1;
    for (int d = 0; d < v->nd; ++d) size *= v->dimensions[d];
    var.size = size;
    var.value = reinterpret_cast<float*>(v->data);
    const auto add = [&](const char* list, PyObject* obj, bool output) -> char* {
      const pd::PyArray_Proxy* a = checked_array(fn, list, i, obj, output);
      if (a != v && (a->nd != v->nd || !std::equal(a->dimensions, a->dimensions + a->nd, v->dimensions)))
        fail(fn, ": argument '", item_name(list, i), "' must have the shape of values[", i, "] ",
             dims_str(v->nd, v->dimensions), ". Received: ", item_name(list, i), ".shape=",
             dims_str(a->nd, a->dimensions));
      call.keep.push_back(py::reinterpret_borrow<py::object>(obj));
      if (size > 0) spans.push_back({a->data, a->data + size * 4, output, list, i});
      return a->data;
    };
    add("values", vobj, true);
    var.grad = reinterpret_cast<const float*>(add("grads", PySequence_Fast_GET_ITEM(grads, i), false));
    for (int s = 0; s < 3; ++s)
      if (slots[s].seq != nullptr)
        var.slot[s] = reinterpret_cast<float*>(add(slots[s].name, PySequence_Fast_GET_ITEM(slots[s].seq, i), true));
  }
  check_no_overlap(fn, spans);

  optim::Transforms& tf = call.tf;
  if (!weight_decay.is_none()) {
    tf.decay_factor = static_cast<float>(py::cast<double>(weight_decay));
    PyObject* mask = sequence(fn, "decay", decay, true);
    if (mask != nullptr) expect_len("decay", mask);
    for (size_t i = 0; i < n; ++i) {
      if (mask == nullptr) {
        call.vars[i].decay = true;
        continue;
      }
      const int truth = PyObject_IsTrue(PySequence_Fast_GET_ITEM(mask, i));
      if (truth < 0) throw py::error_already_set();
      call.vars[i].decay = truth != 0;
    }
  }
  if (!grad_scales.is_none()) {
    PyObject* scales = sequence(fn, "grad_scales", grad_scales, true);
    expect_len("grad_scales", scales);
    tf.scale = true;
    for (size_t i = 0; i < n; ++i) {
      call.vars[i].grad_scale = static_cast<float>(number_item(fn, "grad_scales", scales, i));
    }
  }
  if (!clipvalue.is_none()) {
    if (tf.scale) fail(fn, ": at most one of 'grad_scales' and 'clipvalue' may be given. Received: both");
    tf.clip = true;
    tf.clip_value = static_cast<float>(py::cast<double>(clipvalue));
  }
  return call;
}

void sgd_update(py::object values, py::object grads, py::object momentums, double lr, double momentum,
                bool nesterov, py::object weight_decay, py::object decay, py::object grad_scales,
                py::object clipvalue) {
  const char* fn = "sgd_update";
  PyObject* moms = sequence(fn, "momentums", momentums, true);
  if ((moms != nullptr) != (momentum != 0.0))
    fail(fn, ": argument 'momentums' must be a list exactly when momentum != 0. Received: momentum=", momentum,
         ", momentums=", moms ? "a list" : "None");
  const ListArg slots[3] = {{"momentums", moms, true}, {"", nullptr, true}, {"", nullptr, true}};
  Call call = parse(fn, values, grads, slots, weight_decay, decay, grad_scales, clipvalue);
  py::gil_scoped_release release;
  optim::sgd_update(call.vars, call.tf, lr, momentum, nesterov);
}

void adam_update(py::object values, py::object grads, py::object m, py::object v, py::object vhat, double lr,
                 double beta_1, double beta_2, double epsilon, int64_t step, py::object weight_decay,
                 py::object decay, py::object grad_scales, py::object clipvalue) {
  const char* fn = "adam_update";
  if (step < 1) fail(fn, ": argument 'step' is the 1-based step count and must be >= 1. Received: step=", step);
  const ListArg slots[3] = {{"m", sequence(fn, "m", m, false), true},
                            {"v", sequence(fn, "v", v, false), true},
                            {"vhat", sequence(fn, "vhat", vhat, true), true}};
  const bool amsgrad = slots[2].seq != nullptr;
  Call call = parse(fn, values, grads, slots, weight_decay, decay, grad_scales, clipvalue);
  py::gil_scoped_release release;
  optim::adam_update(call.vars, call.tf, lr, beta_1, beta_2, epsilon, step, amsgrad);
}

void factored_update(const std::string& rule_name, py::object values, py::object grads, py::object slots_obj,
                     py::object factors, py::object weight_decay, py::object decay, py::object grad_scales,
                     py::object clipvalue) {
  const char* fn = "factored_update";
  optim::FactoredRule rule;
  if (rule_name == "nadam")
    rule = optim::FactoredRule::nadam;
  else if (rule_name == "adagrad")
    rule = optim::FactoredRule::adagrad;
  else if (rule_name == "adamax")
    rule = optim::FactoredRule::adamax;
  else if (rule_name == "lion")
    rule = optim::FactoredRule::lion;
  else if (rule_name == "adadelta")
    rule = optim::FactoredRule::adadelta;
  else
    fail(fn, ": argument 'rule' must be 'nadam', 'adagrad', 'adamax', 'lion' or 'adadelta'. Received: rule='",
         rule_name, "'");
  const int count = optim::factor_count(rule), nslots = optim::slot_count(rule);
  PyObject* seq = sequence(fn, "factors", factors, false);
  if (PySequence_Fast_GET_SIZE(seq) != count)
    fail(fn, ": argument 'factors' must hold ", count, " floats for ", rule_name, ". Received: ",
         PySequence_Fast_GET_SIZE(seq), " items");
  std::vector<float> f(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    f[static_cast<size_t>(i)] = static_cast<float>(number_item(fn, "factors", seq, static_cast<size_t>(i)));
  }
  PyObject* lists = sequence(fn, "slots", slots_obj, false);
  if (PySequence_Fast_GET_SIZE(lists) != nslots)
    fail(fn, ": argument 'slots' must hold ", nslots, " lists for ", rule_name, ". Received: ",
         PySequence_Fast_GET_SIZE(lists), " items");
  static const char* const kNames[2] = {"slots[0]", "slots[1]"};
  ListArg slots[3] = {{"", nullptr, true}, {"", nullptr, true}, {"", nullptr, true}};
  for (int s = 0; s < nslots; ++s)
    slots[s] = {kNames[s], sequence(fn, kNames[s], PySequence_Fast_GET_ITEM(lists, s), false), true};
  Call call = parse(fn, values, grads, slots, weight_decay, decay, grad_scales, clipvalue);
  py::gil_scoped_release release;
  optim::factored_update(rule, call.vars, call.tf, f.data());
}

void rmsprop_update(py::object values, py::object grads, py::object velocities, py::object momentums,
                    py::object averages, double lr, double rho, double momentum, double epsilon,
                    py::object weight_decay, py::object decay, py::object grad_scales, py::object clipvalue) {
  const char* fn = "rmsprop_update";
  PyObject* moms = sequence(fn, "momentums", momentums, true);
  if ((moms != nullptr) != (momentum > 0.0))
    fail(fn, ": argument 'momentums' must be a list exactly when momentum > 0. Received: momentum=", momentum,
         ", momentums=", moms ? "a list" : "None");
  const ListArg slots[3] = {{"velocities", sequence(fn, "velocities", velocities, false), true},
                            {"momentums", moms, true},
                            {"averages", sequence(fn, "averages", averages, true), true}};
  const bool centered = slots[2].seq != nullptr;
  Call call = parse(fn, values, grads, slots, weight_decay, decay, grad_scales, clipvalue);
  py::gil_scoped_release release;
  optim::rmsprop_update(call.vars, call.tf, lr, rho, momentum, epsilon, centered);
}

// One entry per penalized weight: values[i] (read) and grads[i] (its shape, updated in place with
// values[i] * scales[i]); returns the sums of the values' squares.
py::list l2_penalty(py::object values_obj, py::object grads_obj, py::object scales_obj) {
  const char* fn = "l2_penalty";
  PyObject* values = sequence(fn, "values", values_obj, false);
  PyObject* grads = sequence(fn, "grads", grads_obj, false);
  if (!PyList_Check(scales_obj.ptr()) && !PyTuple_Check(scales_obj.ptr()))
    fail(fn, ": argument 'scales' must be a list of floats. Received: an object of type ", type_name(scales_obj));
  PyObject* scales = scales_obj.ptr();
  const size_t n = static_cast<size_t>(PySequence_Fast_GET_SIZE(values));
  for (const auto& [name, seq] : {std::pair<const char*, PyObject*>{"grads", grads}, {"scales", scales}})
    if (static_cast<size_t>(PySequence_Fast_GET_SIZE(seq)) != n)
      fail(fn, ": argument '", name, "' must have one entry per value (", n, "). Received: ",
           PySequence_Fast_GET_SIZE(seq), " entries");
  std::vector<optim::PenaltyTerm> terms(n);
  std::vector<py::object> keep;  // every array, alive while the GIL is released (as Call::keep)
  keep.reserve(2 * n);
  std::vector<Span> spans;
  spans.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    PyObject* vobj = PySequence_Fast_GET_ITEM(values, i);
    PyObject* gobj = PySequence_Fast_GET_ITEM(grads, i);
    const pd::PyArray_Proxy* v = checked_array(fn, "values", i, vobj, false);
    const pd::PyArray_Proxy* g = checked_array(fn, "grads", i, gobj, true);
    if (g->nd != v->nd || !std::equal(g->dimensions, g->dimensions + g->nd, v->dimensions))
      fail(fn, ": argument '", item_name("grads", i), "' must have the shape of values[", i, "] ",
           dims_str(v->nd, v->dimensions), ". Received: ", item_name("grads", i), ".shape=",
           dims_str(g->nd, g->dimensions));
    const double scale = number_item(fn, "scales", scales, i);
    keep.push_back(py::reinterpret_borrow<py::object>(vobj));
    keep.push_back(py::reinterpret_borrow<py::object>(gobj));
    int64_t size = 1;
    for (int d = 0; d < v->nd; ++d) size *= v->dimensions[d];
    terms[i] = {size, reinterpret_cast<const float*>(v->data), reinterpret_cast<float*>(g->data),
                static_cast<float>(scale)};
    if (size > 0) {
      spans.push_back({v->data, v->data + size * 4, false, "values", i});
      spans.push_back({g->data, g->data + size * 4, true, "grads", i});
    }
  }
  check_no_overlap(fn, spans);
  std::vector<double> sums(n);
  {
    py::gil_scoped_release release;
    optim::l2_penalty(terms, sums.data());
  }
  py::list out(n);
  for (size_t i = 0; i < n; ++i) out[i] = py::float_(sums[i]);
  return out;
}

}  // namespace

void bind_optim(py::module_& mod) {
  const char* transforms =
      " Before the rule, as the base Optimizer does: gradients are multiplied by grad_scales[i] (clip by "
      "norm) or clipped to [-clipvalue, clipvalue], then values[i] -= values[i] * weight_decay where "
      "decay[i] (all when decay is None). All lists hold one float32 array per variable, updated in place.";
  mod.def("sgd_update", &sgd_update, py::arg("values"), py::arg("grads"), py::arg("momentums"), py::arg("lr"),
          py::arg("momentum"), py::arg("nesterov"), py::kw_only(), py::arg("weight_decay") = py::none(),
          py::arg("decay") = py::none(), py::arg("grad_scales") = py::none(), py::arg("clipvalue") = py::none(),
          (std::string("Keras 3 SGD step for every variable; momentums is None iff momentum == 0.") + transforms)
              .c_str());
  mod.def("adam_update", &adam_update, py::arg("values"), py::arg("grads"), py::arg("m"), py::arg("v"),
          py::arg("vhat"), py::arg("lr"), py::arg("beta_1"), py::arg("beta_2"), py::arg("epsilon"), py::arg("step"),
          py::kw_only(), py::arg("weight_decay") = py::none(), py::arg("decay") = py::none(),
          py::arg("grad_scales") = py::none(), py::arg("clipvalue") = py::none(),
          (std::string("Keras 3 Adam step (1-based step) for every variable; AMSGrad iff vhat is a list.") +
           transforms).c_str());
  mod.def("factored_update", &factored_update, py::arg("rule"), py::arg("values"), py::arg("grads"),
          py::arg("slots"), py::arg("factors"), py::kw_only(), py::arg("weight_decay") = py::none(),
          py::arg("decay") = py::none(), py::arg("grad_scales") = py::none(), py::arg("clipvalue") = py::none(),
          (std::string("Keras 3 Nadam, Adagrad, Adamax, Lion or Adadelta step for every variable (rule 'nadam', "
                       "'adagrad', 'adamax', 'lion', 'adadelta'), from this step's float32 factors as the "
                       "optimizer's numpy code computes them: nadam (1 - beta_1, 1 - beta_2, u_next, "
                       "1 - u_product * u_next, 1 - u_t, 1 - u_product, 1 - beta_2**t, lr, epsilon), slots [m, v]; "
                       "adagrad (lr, epsilon), slots [accumulators]; adamax (1 - beta_1, beta_2, epsilon, "
                       "1 - beta_1**t, lr), slots [m, u]; lion (beta_1, 1 - beta_1, beta_2, 1 - beta_2, lr), "
                       "slots [m]; adadelta (rho, 1 - rho, epsilon, lr), slots [average squared gradients, "
                       "average squared updates].") + transforms)
              .c_str());
  mod.def("rmsprop_update", &rmsprop_update, py::arg("values"), py::arg("grads"), py::arg("velocities"),
          py::arg("momentums"), py::arg("averages"), py::arg("lr"), py::arg("rho"), py::arg("momentum"),
          py::arg("epsilon"), py::kw_only(), py::arg("weight_decay") = py::none(), py::arg("decay") = py::none(),
          py::arg("grad_scales") = py::none(), py::arg("clipvalue") = py::none(),
          (std::string("Keras 3 RMSprop step for every variable; momentums is None iff momentum <= 0, "
                       "centered iff averages is a list.") + transforms).c_str());
  mod.def("l2_penalty", &l2_penalty, py::arg("values"), py::arg("grads"), py::arg("scales"),
          "L2 penalties in one pass: for each i, grads[i] += values[i] * scales[i] in place (float32, the product "
          "rounded first, as numpy's g + w * s) and the sum of values[i]'s squares, returned in a list of floats "
          "(in double, in a fixed order whatever the ISA and thread count).");
  mod.def(
      "sum_of_squares",
      [](py::object x_obj) {
        py::array x = f32("sum_of_squares", "x", x_obj);
        const optim::PenaltyTerm term{static_cast<int64_t>(x.size()), cptr(x), nullptr, 0.0f};
        double sum = 0.0;
        py::gil_scoped_release release;
        optim::l2_penalty({term}, &sum);
        return sum;
      },
      py::arg("x"), "The sum of x's squares (float32, C-contiguous) in double, summed as l2_penalty sums them.");
  mod.def("adam_step_size", &optim::adam_step_size, py::arg("lr"), py::arg("beta_1"), py::arg("beta_2"),
          py::arg("step"), "Keras's Adam step size lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) in float32.");
}

}  // namespace pykeras::bind
