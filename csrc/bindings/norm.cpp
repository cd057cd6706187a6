#include "bindings/norm.hpp"

#include <pybind11/numpy.h>

#include "bindings/arrays.hpp"
#include "norm/batch_norm.hpp"
#include "norm/layer_norm.hpp"

namespace py = pybind11;

namespace pykeras::bind {
namespace {

// A float32 (n,) vector for a batch of n features, or nullptr for None.
const float* optional_vector(const char* fn, const char* name, const py::object& obj, int64_t n, py::array& keep) {
  if (obj.is_none()) return nullptr;
  keep = f32(fn, name, obj);
  if (keep.ndim() != 1 || keep.shape(0) != n)
    fail(fn, ": argument '", name, "' must have shape (", n, ",) or be None. Received: ", name, ".shape=",
         shape_str(keep));
  return cptr(keep);
}

// A float32 array of shape `shape` (a vector when shape[1] is -1); writeable if an output.
py::array shaped(const char* fn, const char* name, const py::object& obj, int64_t rows, int64_t cols,
                 bool output = true) {
  py::array a = f32(fn, name, obj, output);
  const bool vector = cols < 0;
  const bool same = vector ? a.ndim() == 1 && a.shape(0) == rows
                           : a.ndim() == 2 && a.shape(0) == rows && a.shape(1) == cols;
  if (!same)
    fail(fn, ": argument '", name, "' must have shape ", vector ? str_cat("(", rows, ",)") : str_cat("(", rows, ", ", cols, ")"),
         ". Received: ", name, ".shape=", shape_str(a));
  return a;
}

// The statistics are per feature (BatchNormalization: n of them) or per row (LayerNormalization: m).
using ForwardKernel = void (*)(int64_t, int64_t, const float*, const float*, const float*, float, float*, float*,
                               float*, float*, float*);
using BackwardKernel = void (*)(int64_t, int64_t, const float*, const float*, const float*, const float*, float*,
                                float*, float*);

void forward(const char* fn, ForwardKernel kernel, bool per_row, py::object x_obj, py::object gamma_obj,
             py::object beta_obj, float epsilon, py::object out_obj, py::object xhat_obj, py::object mean_obj,
             py::object var_obj, py::object inv_std_obj) {
  py::array x = f32(fn, "x", x_obj);
  expect_ndim(fn, "x", x, 2, "(batch, features)");
  const int64_t m = x.shape(0), n = x.shape(1), stats = per_row ? m : n;
  py::array gamma, beta;
  const float* gp = optional_vector(fn, "gamma", gamma_obj, n, gamma);
  const float* bp = optional_vector(fn, "beta", beta_obj, n, beta);
  py::array out = shaped(fn, "out", out_obj, m, n), xhat = shaped(fn, "xhat", xhat_obj, m, n);
  py::array mean = shaped(fn, "mean", mean_obj, stats, -1), var = shaped(fn, "var", var_obj, stats, -1);
  py::array inv_std = shaped(fn, "inv_std", inv_std_obj, stats, -1);
  const py::array* outputs[] = {&out, &xhat, &mean, &var, &inv_std};
  const char* names[] = {"out", "xhat", "mean", "var", "inv_std"};
  for (int i = 0; i < 5; ++i) {
    expect_no_overlap(fn, names[i], *outputs[i], "x", x);
    for (int k = 0; k < i; ++k) expect_no_overlap(fn, names[i], *outputs[i], names[k], *outputs[k]);
  }
  const float* xp = cptr(x);
  float *op = mptr(out), *hp = mptr(xhat), *mp = mptr(mean), *vp = mptr(var), *sp = mptr(inv_std);
  py::gil_scoped_release release;
  kernel(m, n, xp, gp, bp, epsilon, op, hp, mp, vp, sp);
}

void backward(const char* fn, BackwardKernel kernel, bool per_row, py::object dy_obj, py::object xhat_obj,
              py::object gamma_obj, py::object inv_std_obj, py::object dx_obj, py::object dgamma_obj,
              py::object dbeta_obj) {
  py::array dy = f32(fn, "dy", dy_obj);
  expect_ndim(fn, "dy", dy, 2, "(batch, features)");
  const int64_t m = dy.shape(0), n = dy.shape(1);
  py::array xhat = shaped(fn, "xhat", xhat_obj, m, n, false);
  py::array gamma;
  const float* gp = optional_vector(fn, "gamma", gamma_obj, n, gamma);
  py::array inv_std = shaped(fn, "inv_std", inv_std_obj, per_row ? m : n, -1, false);
  const float* sp = cptr(inv_std);
  float *dxp = nullptr, *dgp = nullptr, *dbp = nullptr;
  py::array dx, dgamma, dbeta;
  if (!dx_obj.is_none()) {
    dx = shaped(fn, "dx", dx_obj, m, n);
    expect_no_overlap(fn, "dx", dx, "dy", dy);
    expect_no_overlap(fn, "dx", dx, "xhat", xhat);
    dxp = mptr(dx);
  }
  if (!dgamma_obj.is_none()) dgp = mptr(dgamma = shaped(fn, "dgamma", dgamma_obj, n, -1));
  if (!dbeta_obj.is_none()) dbp = mptr(dbeta = shaped(fn, "dbeta", dbeta_obj, n, -1));
  const float *dyp = cptr(dy), *hp = cptr(xhat);
  py::gil_scoped_release release;
  kernel(m, n, dyp, hp, gp, sp, dxp, dgp, dbp);
}

}  // namespace

void bind_norm(py::module_& mod) {
  const auto bn_forward = [](py::object x, py::object gamma, py::object beta, float epsilon, py::object out,
                             py::object xhat, py::object mean, py::object var, py::object inv_std) {
    forward("batch_norm_forward", &pykeras::batch_norm_forward, false, x, gamma, beta, epsilon, out, xhat, mean, var,
            inv_std);
  };
  const auto ln_forward = [](py::object x, py::object gamma, py::object beta, float epsilon, py::object out,
                             py::object xhat, py::object mean, py::object var, py::object inv_std) {
    forward("layer_norm_forward", &pykeras::layer_norm_forward, true, x, gamma, beta, epsilon, out, xhat, mean, var,
            inv_std);
  };
  const auto bn_backward = [](py::object dy, py::object xhat, py::object gamma, py::object inv_std, py::object dx,
                              py::object dgamma, py::object dbeta) {
    backward("batch_norm_backward", &pykeras::batch_norm_backward, false, dy, xhat, gamma, inv_std, dx, dgamma, dbeta);
  };
  const auto ln_backward = [](py::object dy, py::object xhat, py::object gamma, py::object inv_std, py::object dx,
                              py::object dgamma, py::object dbeta) {
    backward("layer_norm_backward", &pykeras::layer_norm_backward, true, dy, xhat, gamma, inv_std, dx, dgamma, dbeta);
  };
  mod.def("batch_norm_forward", bn_forward, py::arg("x"), py::arg("gamma"), py::arg("beta"), py::arg("epsilon"),
          py::arg("out"), py::arg("xhat"), py::arg("mean"), py::arg("var"), py::arg("inv_std"),
          "BatchNormalization in training over the rows of a float32 (batch, features) x: per feature the mean "
          "and biased variance (summed in double), inv_std = 1 / sqrt(var + epsilon), xhat = (x - mean) * "
          "inv_std and out = xhat * gamma + beta (gamma, beta may be None). Writes every output.");
  mod.def("batch_norm_backward", bn_backward, py::arg("dy"), py::arg("xhat"), py::arg("gamma"), py::arg("inv_std"),
          py::arg("dx"), py::arg("dgamma"), py::arg("dbeta"),
          "The gradient of batch_norm_forward's out: dbeta = sum(dy), dgamma = sum(dy * xhat) over the batch, and "
          "dx = inv_std * (d - mean(d) - xhat * mean(d * xhat)) with d = dy * gamma; each output may be None.");
  mod.def("layer_norm_forward", ln_forward, py::arg("x"), py::arg("gamma"), py::arg("beta"), py::arg("epsilon"),
          py::arg("out"), py::arg("xhat"), py::arg("mean"), py::arg("var"), py::arg("inv_std"),
          "LayerNormalization over the features of each row of a float32 (batch, features) x: the statistics "
          "(mean, var, inv_std: one per row) as batch_norm_forward's, gamma and beta per feature.");
  mod.def("layer_norm_backward", ln_backward, py::arg("dy"), py::arg("xhat"), py::arg("gamma"), py::arg("inv_std"),
          py::arg("dx"), py::arg("dgamma"), py::arg("dbeta"),
          "The gradient of layer_norm_forward's out: dgamma, dbeta summed over the rows, dx per row; each output "
          "may be None.");
}

}  // namespace pykeras::bind
