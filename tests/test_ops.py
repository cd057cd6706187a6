"""Every op forward against numpy and backward against finite differences."""
import math

import numpy as np
import pytest

import pykeras as keras
from pykeras import _core, ops
from op_check import Samples, check_op

SAMPLES = Samples(1)
normal, positive, away_from_zero, distinct = SAMPLES.normal, SAMPLES.positive, SAMPLES.away_from_zero, SAMPLES.distinct


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


_erf = np.vectorize(math.erf)  # the reference: Python's own erf, not the op's approximation


ELEMENTWISE = [
    ("add", ops.add, np.add, [normal(3, 4), normal(4)]),
    ("add_broadcast_column", ops.add, np.add, [normal(3, 4), normal(3, 1)]),
    ("subtract", ops.subtract, np.subtract, [normal(2, 3), normal(2, 3)]),
    ("multiply", ops.multiply, np.multiply, [normal(2, 3), normal(1, 3)]),
    ("divide", ops.divide, np.divide, [normal(2, 3), positive(2, 3)]),
    ("power", ops.power, np.power, [positive(2, 3), normal(2, 3)]),
    ("maximum", ops.maximum, np.maximum, [distinct(2, 3), distinct(2, 3) + 0.02]),
    ("minimum", ops.minimum, np.minimum, [distinct(2, 3), distinct(2, 3) + 0.02]),
    ("negative", ops.negative, np.negative, [normal(3)]),
    ("abs", ops.abs, np.abs, [away_from_zero(3, 2)]),
    ("square", ops.square, np.square, [normal(3, 2)]),
    ("sqrt", ops.sqrt, np.sqrt, [positive(3, 2)]),
    ("exp", ops.exp, np.exp, [normal(3, 2)]),
    ("log", ops.log, np.log, [positive(3, 2)]),
    ("relu", ops.relu, lambda x: np.maximum(x, 0), [away_from_zero(4, 5)]),
    ("sigmoid", ops.sigmoid, lambda x: 1 / (1 + np.exp(-x)), [normal(3, 4)]),
    ("tanh", ops.tanh, np.tanh, [normal(3, 4)]),
    ("softplus", ops.softplus, lambda x: np.log1p(np.exp(x)), [normal(3, 4)]),
    ("silu", ops.silu, lambda x: x / (1 + np.exp(-x)), [normal(3, 4)]),
    ("leaky_relu", ops.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x), [away_from_zero(3, 4)]),
    ("elu", ops.elu, lambda x: np.where(x > 0, x, np.expm1(x)), [away_from_zero(3, 4)]),
    ("selu", ops.selu, lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x)),
     [away_from_zero(3, 4)]),
    ("gelu", lambda x: ops.gelu(x, approximate=False), lambda x: x * (1 + _erf(x / np.sqrt(2))) / 2,
     [normal(3, 4) * 2]),
    ("gelu_tanh", ops.gelu,
     lambda x: x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3))) / 2, [normal(3, 4) * 2]),
    ("relu6", ops.relu6, lambda x: np.minimum(np.maximum(x, 0), 6), [np.array([-1.0, 0.5, 3.0, 7.0], np.float32)]),
    ("softsign", ops.softsign, lambda x: x / (1 + np.abs(x)), [away_from_zero(3, 4)]),
    ("hard_sigmoid", ops.hard_sigmoid, lambda x: np.clip(x + 3, 0, 6) / 6,
     [np.array([-4.0, -1.0, 0.5, 2.0, 5.0], np.float32)]),
    ("hard_silu", ops.hard_silu, lambda x: x * np.clip(x + 3, 0, 6) / 6,
     [np.array([-4.0, -1.0, 0.5, 2.0, 5.0], np.float32)]),
    ("mish", ops.mish, lambda x: x * np.tanh(np.log1p(np.exp(x))), [normal(3, 4)]),
    ("log_sigmoid", ops.log_sigmoid, lambda x: -np.log1p(np.exp(-x)), [normal(3, 4)]),
    ("softmax", ops.softmax, _softmax, [normal(3, 5)]),
    ("log_softmax", ops.log_softmax, lambda x: np.log(_softmax(x)), [normal(3, 5)]),
    ("logsumexp", lambda x: ops.logsumexp(x, axis=1), lambda x: np.log(np.exp(x).sum(1)), [normal(3, 5)]),
    ("clip", lambda x: ops.clip(x, -0.5, 0.5), lambda x: np.clip(x, -0.5, 0.5),
     [np.array([[-1.0, -0.3, 0.2], [0.4, 0.9, -0.7]], dtype=np.float32)]),
    ("matmul", ops.matmul, np.matmul, [normal(3, 4), normal(4, 5)]),
    ("matmul_batched", ops.matmul, np.matmul, [normal(2, 3, 4), normal(4, 2)]),
    ("sum_all", ops.sum, np.sum, [normal(3, 4)]),
    ("sum_axis0", lambda x: ops.sum(x, axis=0), lambda x: x.sum(0), [normal(3, 4)]),
    ("sum_keepdims", lambda x: ops.sum(x, axis=1, keepdims=True), lambda x: x.sum(1, keepdims=True), [normal(3, 4)]),
    ("mean_axes", lambda x: ops.mean(x, axis=(0, 2)), lambda x: x.mean((0, 2)), [normal(2, 3, 4)]),
    ("max_axis", lambda x: ops.max(x, axis=1), lambda x: x.max(1), [distinct(3, 4)]),
    ("min_keepdims", lambda x: ops.min(x, axis=0, keepdims=True), lambda x: x.min(0, keepdims=True), [distinct(3, 4)]),
    ("reshape", lambda x: ops.reshape(x, (4, 3)), lambda x: x.reshape(4, 3), [normal(2, 6)]),
    ("transpose", lambda x: ops.transpose(x, (2, 0, 1)), lambda x: x.transpose(2, 0, 1), [normal(2, 3, 4)]),
    ("expand_dims", lambda x: ops.expand_dims(x, 1), lambda x: x[:, None], [normal(3, 2)]),
    ("squeeze", lambda x: ops.squeeze(x, 1), lambda x: x[:, 0], [normal(3, 1, 2)]),
    ("concatenate", lambda a, b: ops.concatenate([a, b], axis=1), lambda a, b: np.concatenate([a, b], 1),
     [normal(2, 3), normal(2, 2)]),
    ("stack", lambda a, b: ops.stack([a, b], axis=1), lambda a, b: np.stack([a, b], 1), [normal(2, 3), normal(2, 3)]),
    ("getitem", lambda x: x[1:, ::2], lambda x: x[1:, ::2], [normal(3, 4)]),
    ("getitem_repeated", lambda x: ops.getitem(x, np.array([0, 2, 0])), lambda x: x[[0, 2, 0]], [normal(3, 2)]),
    ("where", lambda a, b: ops.where(np.array([[True, False, True]]), a, b),
     lambda a, b: np.where([[True, False, True]], a, b), [normal(2, 3), normal(2, 3)]),
    ("operators", lambda a, b: (a * b - a / (b * b + 1)) @ ops.transpose(b) + 2.0 - (-a) ** 2,
     None, [normal(3, 3), normal(3, 3)]),
]


@pytest.mark.parametrize("name,op,reference,inputs", ELEMENTWISE, ids=[c[0] for c in ELEMENTWISE])
def test_op_forward_and_gradient(name, op, reference, inputs):
    check_op(op, inputs, reference)


def test_matmul_gradient_equals_hand_derived_formula():
    a, b = normal(5, 3), normal(3, 4)
    g = normal(5, 4)
    va, vb = keras.Variable(a), keras.Variable(b)
    with keras.GradientTape() as tape:
        loss = ops.sum(ops.matmul(va, vb) * g)
    ga, gb = tape.gradient(loss, [va, vb])
    np.testing.assert_allclose(ga.numpy(), g @ b.T, rtol=1e-5)
    np.testing.assert_allclose(gb.numpy(), a.T @ g, rtol=1e-5)


@pytest.mark.parametrize("watch_x", [False, True])
def test_matmul_backward_computes_only_the_gradients_a_tape_watches(monkeypatch, watch_x):
    # x @ w with x a batch of data: w's gradient is one product, and x's (as costly) is skipped.
    x, w, g = normal(6, 5), normal(5, 3), normal(6, 3)
    products = []
    native_matmul = _core.matmul

    def counting_matmul(a, b, **kwargs):
        products.append(kwargs)
        return native_matmul(a, b, **kwargs)

    monkeypatch.setattr(_core, "matmul", counting_matmul)
    tx, tw = ops.convert_to_tensor(x), keras.Variable(w)
    with keras.GradientTape() as tape:
        if watch_x:
            tape.watch(tx)
        loss = ops.sum(ops.matmul(tx, tw) * g)
    products.clear()  # the backward's products only
    gx, gw = tape.gradient(loss, [tx, tw])
    np.testing.assert_allclose(gw.numpy(), x.T @ g, rtol=1e-5)
    if watch_x:
        np.testing.assert_allclose(gx.numpy(), g @ w.T, rtol=1e-5)
        assert products == [{"trans_b": True}, {"trans_a": True}]
    else:
        assert gx is None
        assert products == [{"trans_a": True}]


@pytest.mark.parametrize("watch_x", [False, True])
def test_a_binary_op_asks_its_backward_only_for_the_operands_a_tape_watches(watch_x):
    # x * mask with x a batch of data (Dropout's product): the mask's gradient is never formed.
    from pykeras.ops.core import _binary

    asked = []

    def backward(g, a, b, y, i):
        asked.append(i)
        return g * (a if i else b)

    x, w = ops.convert_to_tensor(normal(3, 2)), keras.Variable(normal(3, 2))
    with keras.GradientTape() as tape:
        if watch_x:
            tape.watch(x)
        loss = ops.sum(_binary(x, w, np.multiply, backward))
    gx, gw = tape.gradient(loss, [x, w])
    np.testing.assert_array_equal(gw.numpy(), x.numpy())
    assert asked == ([0, 1] if watch_x else [1])
    assert (gx is not None) == watch_x


def test_relu_gradient_is_zero_at_zero_and_masks_from_output():
    x = keras.Variable(np.array([-1.0, 0.0, 2.0], dtype=np.float32))
    with keras.GradientTape() as tape:
        loss = ops.sum(ops.relu(x) * np.array([5.0, 6.0, 7.0], dtype=np.float32))
    np.testing.assert_array_equal(tape.gradient(loss, x).numpy(), [0.0, 0.0, 7.0])


def test_sparse_softmax_cross_entropy_value_and_gradient():
    logits = normal(6, 4) * 3
    labels = np.array([0, 3, 1, 2, 3, 0])
    log_p = np.log(_softmax(logits.astype(np.float64)))
    expected = -log_p[np.arange(6), labels].mean()
    check_op(lambda z: ops.sparse_softmax_cross_entropy(labels, z), [logits])
    variable = keras.Variable(logits)
    with keras.GradientTape() as tape:
        value = ops.sparse_softmax_cross_entropy(labels, variable)
    np.testing.assert_allclose(value.numpy(), expected, rtol=1e-5)
    onehot = np.eye(4)[labels]
    grad = tape.gradient(value, variable).numpy()
    np.testing.assert_allclose(grad, (_softmax(logits) - onehot) / 6, rtol=1e-4, atol=1e-7)


def test_tape_records_nothing_without_a_tape_and_unconnected_sources_get_none():
    v, w = keras.Variable(normal(2)), keras.Variable(normal(2))
    ops.sum(v * v)  # outside any tape: nothing recorded, nothing to leak
    with keras.GradientTape() as tape:
        loss = ops.sum(v * v)
    grads = tape.gradient(loss, {"v": v, "w": w})
    np.testing.assert_allclose(grads["v"].numpy(), 2 * v.numpy(), rtol=1e-6)
    assert grads["w"] is None


def test_tape_watch_tensor_and_persistent_reuse():
    x = ops.convert_to_tensor(normal(3))
    with keras.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = ops.sum(ops.exp(x))
        z = ops.sum(x * 3.0)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), np.exp(x.numpy()), rtol=1e-6)
    np.testing.assert_allclose(tape.gradient(z, x).numpy(), [3, 3, 3])


def test_non_persistent_tape_refuses_second_gradient():
    v = keras.Variable(normal(2))
    with keras.GradientTape() as tape:
        loss = ops.sum(v)
    tape.gradient(loss, v)
    with pytest.raises(RuntimeError, match="non-persistent"):
        tape.gradient(loss, v)


def test_stop_recording_and_frozen_variable():
    v = keras.Variable(normal(2))
    frozen = keras.Variable(normal(2), trainable=False)
    with keras.GradientTape() as tape:
        with tape.stop_recording():
            hidden = v * 2.0
        loss = ops.sum(hidden + v * frozen)
    gv, gf = tape.gradient(loss, [v, frozen])
    np.testing.assert_allclose(gv.numpy(), frozen.numpy())
    assert gf is None


def test_matmul_shape_error_names_both_shapes():
    with pytest.raises(ValueError, match=r"a.shape=\(2, 3\), b.shape=\(4, 5\)"):
        ops.matmul(np.ones((2, 3), np.float32), np.ones((4, 5), np.float32))


def test_constructors_and_numpy_interop():
    assert ops.full((2, 3), 7.0).numpy().tolist() == [[7.0] * 3] * 2
    assert ops.zeros((2,)).dtype == "float32" and ops.ones((1, 2)).shape == (1, 2)
    t = ops.convert_to_tensor(np.arange(6, dtype=np.float64).reshape(2, 3))
    assert t.dtype == "float32"
    assert np.asarray(t).dtype == np.float32
    total = np.ones((2, 3), np.float32) + t  # numpy defers to the Tensor
    assert isinstance(total, keras.Tensor)
    labels = ops.convert_to_tensor(np.array([1, 2]))
    assert labels.dtype == "int64"


def test_saturating_activations_stay_finite_far_from_zero():
    x = keras.Variable(np.array([-200.0, -90.0, 0.0, 90.0, 200.0], np.float32))
    for op in (ops.sigmoid, ops.softplus, ops.silu):
        with keras.GradientTape() as tape:
            loss = ops.sum(op(x))
        grad = tape.gradient(loss, x).numpy()
        assert np.all(np.isfinite(grad)) and np.all(np.isfinite(op(x).numpy())), op.__name__


def test_variable_never_shares_memory_with_its_initial_array():
    source = np.zeros(3, np.float32)
    variable = keras.Variable(source)
    variable.assign_add(np.ones(3, np.float32))
    np.testing.assert_array_equal(source, np.zeros(3))


def test_a_tape_records_only_its_own_thread():
    import threading

    v = keras.Variable(normal(4))
    seen = []
    with keras.GradientTape() as tape:
        loss = ops.sum(v * v)
        worker = threading.Thread(target=lambda: seen.append(ops.sum(v * 3.0)))
        worker.start()
        worker.join()
    assert len(tape._records) == 2  # multiply and sum from this thread only
    np.testing.assert_allclose(tape.gradient(loss, v).numpy(), 2 * v.numpy(), rtol=1e-6)


def test_errors_raised_inside_an_op_name_it():
    with pytest.raises(ValueError, match=r"^add: operands could not be broadcast.*Received: shape=\(2,\)"):
        ops.add(np.ones(2, np.float32), np.ones(3, np.float32))
    with pytest.raises(ValueError, match=r"^reshape: cannot reshape"):
        ops.reshape(np.ones(6, np.float32), (4,))
    with pytest.raises(ValueError, match=r"^sum: axis 5"):
        ops.sum(np.ones(3, np.float32), axis=5)


def test_gelu_keeps_float32_relative_precision_into_the_tails():
    x = np.linspace(-12, 12, 4001).astype(np.float32)
    exact = np.array([float(v) * 0.5 * math.erfc(-float(v) / math.sqrt(2)) for v in x])
    got = ops.gelu(x, approximate=False).numpy().astype(np.float64)
    kept = np.abs(exact) > np.finfo(np.float32).tiny
    assert np.max(np.abs(got[kept] - exact[kept]) / np.abs(exact[kept])) < 4e-7


def test_views_of_a_variable_do_not_follow_its_later_assigns():
    v = keras.Variable(np.arange(6, dtype=np.float32).reshape(2, 3))
    views = [ops.reshape(v, (3, 2)), v[0], ops.expand_dims(v, 0), ops.squeeze(ops.expand_dims(v, 0))]
    before = [t.numpy() for t in views]
    v.assign(np.zeros((2, 3), np.float32))
    for tensor, value in zip(views, before):
        np.testing.assert_array_equal(tensor.numpy(), value)


def test_index_results_are_int32_as_in_keras():
    x = np.array([[1.0, 3.0, 2.0], [0.0, -1.0, 5.0]], np.float32)
    assert ops.argmax(x, axis=1).dtype == "int32" and list(ops.argmax(x, axis=1).numpy()) == [1, 2]
    assert ops.argmin(x).dtype == "int32" and int(ops.argmin(x)) == 4
    assert ops.arange(5).dtype == "int32" and ops.arange(0.0, 1.0, 0.5).dtype == "float32"
    assert ops.arange(3, dtype="int64").dtype == "int64"


def test_convert_to_numpy_copies_a_tensor_and_converts_the_rest():
    variable = keras.Variable(np.ones((2, 2), np.float32))
    array = ops.convert_to_numpy(variable)
    variable.assign(np.zeros((2, 2), np.float32))
    np.testing.assert_array_equal(array, np.ones((2, 2)))  # a copy, not a view of the variable
    assert ops.convert_to_numpy([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert ops.convert_to_numpy(ops.convert_to_tensor([1.5])).dtype == np.float32


@pytest.mark.parametrize("value", [np.float32(1.25), np.array(-0.5, np.float32), 2, -3.0])
def test_activations_computed_in_place_take_scalars_and_0d_arrays(value):
    x = float(value)
    exact = 0.5 * x * math.erfc(-x / math.sqrt(2))
    tanh_form = 0.5 * x * (1 + math.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    assert float(ops.gelu(value, approximate=False)) == pytest.approx(exact, rel=1e-6)
    assert float(ops.gelu(value)) == pytest.approx(tanh_form, rel=1e-4)  # 1 + tanh cancels in float32
    assert float(ops.sigmoid(value)) == pytest.approx(1 / (1 + math.exp(-x)), rel=1e-6)
    variable = keras.Variable(np.array(x, np.float32))
    with keras.GradientTape() as tape:
        out = ops.gelu(variable, approximate=False)
    slope = 0.5 * math.erfc(-x / math.sqrt(2)) + x * math.exp(-x * x / 2) / math.sqrt(2 * math.pi)
    assert float(tape.gradient(out, variable)) == pytest.approx(slope, rel=1e-5)
