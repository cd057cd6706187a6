"""The fused dense op against the hand-derived formula, finite differences
and the same computation composed from ops."""
import numpy as np
import pytest

import pykeras as keras
from pykeras import ops
from op_check import check_op

rng = np.random.default_rng(7)


def _inputs(m, k, n):
    x = rng.normal(size=(m, k)).astype(np.float32)
    w = rng.normal(size=(k, n)).astype(np.float32)
    b = rng.normal(size=(n,)).astype(np.float32)
    return x, w, b


ACTIVATIONS = {"linear": lambda z: z, "relu": lambda z: np.maximum(z, 0), "tanh": np.tanh}


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_fused_dense_matches_finite_differences(activation):
    x, w, b = _inputs(4, 3, 5)
    check_op(lambda x, w, b: ops.dense(x, w, b, activation), [x, w, b],
             lambda x, w, b: ACTIVATIONS[activation](x @ w + b))


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("shape", [(1, 1, 1), (7, 13, 5), (64, 100, 33)])
def test_fused_dense_backward_equals_formula_and_composed_ops(activation, shape):
    x, w, b = _inputs(*shape)
    g = rng.normal(size=(shape[0], shape[2])).astype(np.float32)
    fused_vars = [keras.Variable(a) for a in (x, w, b)]
    composed_vars = [keras.Variable(a) for a in (x, w, b)]
    with keras.GradientTape() as tape:
        fused = ops.dense(*fused_vars, activation)
        composed = ops.matmul(composed_vars[0], composed_vars[1]) + composed_vars[2]
        if activation != "linear":
            composed = getattr(ops, activation)(composed)
        loss = ops.sum(fused * g) + ops.sum(composed * g)
    grads = tape.gradient(loss, fused_vars + composed_vars)
    np.testing.assert_allclose(fused.numpy(), composed.numpy(), rtol=1e-5, atol=1e-5)
    z = x.astype(np.float64) @ w + b
    dz = g * (z > 0) if activation == "relu" else g * (1 - np.tanh(z) ** 2) if activation == "tanh" else g
    expected = [dz @ w.T, x.T @ dz, dz.sum(0)]
    for fused_grad, composed_grad, formula in zip(grads[:3], grads[3:], expected):
        np.testing.assert_allclose(fused_grad.numpy(), formula, rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(fused_grad.numpy(), composed_grad.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shape", [(1, 784, 256), (128, 784, 256), (600, 784, 256), (32, 100, 10)])
def test_matmul_plus_bias_has_the_bits_of_dense(shape):
    # A custom layer's relu(x @ w + b) and Dense agree bit for bit, including the shapes whose
    # depth the dense product splits in two (a few hundred rows, k >= 512).
    x, w, b = _inputs(*shape)
    composed = ops.relu(ops.matmul(x, w) + b).numpy()
    np.testing.assert_array_equal(composed, ops.dense(x, w, b, "relu").numpy())
    np.testing.assert_allclose(composed, np.maximum(x @ w + b, 0), rtol=1e-4, atol=1e-4)


def test_dense_skips_input_gradient_for_plain_data():
    x, w, b = _inputs(3, 2, 2)
    kernel, bias = keras.Variable(w), keras.Variable(b)
    data = ops.convert_to_tensor(x)
    with keras.GradientTape() as tape:
        loss = ops.sum(ops.dense(data, kernel, bias, "relu"))
    gx, gw = tape.gradient(loss, [data, kernel])
    assert gx is None and gw is not None


def test_dense_op_rejects_unfused_activation_and_bad_shapes():
    x, w, b = _inputs(2, 3, 4)
    with pytest.raises(ValueError, match="activation must be one of"):
        ops.dense(x, w, b, "sigmoid")
    with pytest.raises(ValueError, match=r"x.shape=\(2, 3\), kernel.shape=\(4, 3\)"):
        ops.dense(x, w.T.copy(), b, "linear")
