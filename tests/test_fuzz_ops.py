"""Fuzzing the public ops and layers: random shapes (0, mismatched), dtypes (float16/64, ints,
bool, object, complex), non-contiguous views, NaN/Inf, Python scalars and lists.

Every call either matches numpy on the same values (float input computed in float32, as pykeras
promises) or raises ValueError / TypeError. Ops on the native core (matmul, dense, relu, sparse
cross-entropy) must name themselves in the message. Under a GradientTape the backward pass must
run too, and give gradients of the sources' shapes. ``PYKERAS_FUZZ_EXAMPLES`` sets the number
of cases per test; ``tools/fuzz_count.py`` runs the long campaign.
"""
import os
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pykeras as keras
from pykeras import ops

EXAMPLES = int(os.environ.get("PYKERAS_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("PYKERAS_FUZZ_RANDOM") != "1",
    database=None,
    suppress_health_check=list(HealthCheck),
)
CASES = {"count": 0}  # read by tools/fuzz_count.py

F32 = np.float32
DTYPES = [np.float32] * 4 + [np.float16, np.float64, np.int32, np.int64, np.uint8, np.bool_, np.complex64, object]
DIMS = st.sampled_from([0, 1, 1, 2, 3, 4, 7])
# OverflowError: numpy's refusal of a Python int out of an integer array's range (uint8 + -1).
OK_ERRORS = (ValueError, TypeError, OverflowError)


@pytest.fixture(autouse=True)
def quiet_numpy():
    with np.errstate(all="ignore"):  # references meet NaN/Inf and overflow on purpose
        yield


def operand(data, shape=None):
    """An operand and the numpy value pykeras must see for it (None if it must be refused)."""
    kind = data.draw(st.sampled_from(["array"] * 6 + ["tensor", "tensor", "view", "scalar", "list", "other"]),
                     label="kind")
    if kind == "scalar":
        value = data.draw(st.sampled_from([2, -1.5, 0.0, float("nan"), float("inf"), True]), label="scalar")
        return value, value
    if kind == "other":
        return data.draw(st.sampled_from([None, "abc", object(), {1: 2}]), label="other"), None
    if shape is None:
        shape = tuple(data.draw(st.lists(DIMS, max_size=3), label="shape"))
    dtype = np.dtype(data.draw(st.sampled_from(DTYPES), label="dtype"))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    array = rng.uniform(-3, 3, size=shape)
    if array.size and data.draw(st.booleans(), label="nonfinite") and dtype.kind in "fc":
        array.reshape(-1)[rng.integers(array.size)] = rng.choice([np.nan, np.inf, -np.inf])
    array = array.astype(dtype)
    if kind == "view" and array.ndim:
        wide = np.zeros(array.shape[:-1] + (2 * array.shape[-1],), dtype)
        wide[..., ::2] = array
        array = wide[..., ::2]
    if kind == "view" and array.ndim >= 2:
        array = array.swapaxes(0, 1)  # another shape, not contiguous
    if kind == "list":
        listed = array.tolist()
        if not isinstance(listed, list):  # a 0-d array lists as a Python number: weakly typed
            return listed, None if isinstance(listed, complex) else listed
        return listed, reference(np.asarray(listed))
    seen = reference(array)
    if kind == "tensor":
        if seen is None:
            return array, None
        return keras.Variable(seen) if data.draw(st.booleans(), label="variable") else ops.convert_to_tensor(seen), seen
    return array, seen


def reference(array):
    """What pykeras promises to compute on: floats as float32, ints and bools as they are."""
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "fiub":
        return None
    return array.astype(F32) if array.dtype.kind == "f" else array


def check(result, expected):
    result = np.asarray(result)
    expected = np.asarray(expected)
    if expected.dtype == np.float64:
        expected = expected.astype(F32)
    assert result.shape == expected.shape, (result.shape, expected.shape)
    if expected.dtype.kind in "fc":
        np.testing.assert_allclose(result.astype(np.float64), expected.astype(np.float64),
                                   rtol=2e-5, atol=1e-5, equal_nan=True)
    else:
        np.testing.assert_array_equal(result, expected)


def run(call, oracle, name=None, errors=OK_ERRORS):
    """Runs call(); if oracle() can compute a numpy answer the results must agree, else an error.

    With ``name`` (an op on the native core, which takes float32 only), refusing what numpy would
    compute is allowed if the message names the op.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # numpy's "Mean of empty slice"
            expected = oracle()
    except OK_ERRORS + (ArithmeticError, IndexError):
        expected = None
    if expected is None:
        try:
            call()
        except errors:
            return None
        return None  # pykeras may accept more than numpy (e.g. casting); it must not crash
    try:
        result = call()
    except OK_ERRORS as error:
        if name and name in str(error):
            return None
        raise
    check(result, expected)
    return result


BINARY = {
    "add": np.add, "subtract": np.subtract, "multiply": np.multiply, "divide": np.true_divide,
    "maximum": np.maximum, "minimum": np.minimum, "power": np.power,
}
UNARY = {
    "negative": np.negative, "abs": np.abs, "square": np.square, "sqrt": np.sqrt, "exp": np.exp,
    "log": np.log, "sign": np.sign, "floor": np.floor, "isnan": np.isnan,
}


def _with_tape(data, function, operands):
    """Runs function under a tape when the operands are float tensors; checks gradient shapes."""
    sources = [x for x in operands if isinstance(x, keras.Variable) and x.dtype == "float32"]
    if not sources or not data.draw(st.booleans(), label="tape"):
        return function()
    with ops.GradientTape() as tape:
        result = function()
        if result is None or np.asarray(result).dtype.kind != "f":
            return result
        loss = ops.sum(result)
    grads = tape.gradient(loss, sources)
    for grad, source in zip(grads, sources):
        assert grad is None or tuple(np.shape(grad)) == tuple(source.shape)
    return result


@FUZZ
@given(st.data())
def test_fuzz_binary_ops(data):
    CASES["count"] += 1
    name = data.draw(st.sampled_from(sorted(BINARY)), label="op")
    a, va = operand(data)
    b, vb = operand(data, np.shape(va) if va is not None and data.draw(st.booleans()) else None)

    def oracle():
        if va is None or vb is None:
            return None
        return BINARY[name](va, vb)

    run(lambda: _with_tape(data, lambda: getattr(ops, name)(a, b), (a, b)), oracle)


@FUZZ
@given(st.data())
def test_fuzz_unary_ops_and_reductions(data):
    CASES["count"] += 1
    x, vx = operand(data)
    name = data.draw(st.sampled_from(sorted(UNARY) + ["sum", "mean", "max", "min", "relu", "sigmoid", "tanh"]),
                     label="op")
    ndim = np.ndim(vx) if vx is not None else 0
    axis = data.draw(st.sampled_from([None, 0, -1, 3]), label="axis")
    if name in UNARY:
        run(lambda: _with_tape(data, lambda: getattr(ops, name)(x), (x,)),
            lambda: None if vx is None else UNARY[name](vx))
        return
    if name in ("relu", "sigmoid", "tanh"):
        def oracle():
            if vx is None or np.asarray(vx).dtype.kind not in "fiub":
                return None
            v = np.asarray(vx, dtype=F32)
            if name == "relu":
                return np.where(np.isnan(v), v, np.maximum(v, 0))
            if name == "tanh":
                return np.tanh(vx)  # numpy's promotion: small ints compute in float16, as numpy does
            return 1 / (1 + np.exp(-v.astype(np.float64)))

        run(lambda: _with_tape(data, lambda: getattr(ops, name)(x), (x,)), oracle,
            "relu" if name == "relu" else None)
        return
    keepdims = data.draw(st.booleans(), label="keepdims")

    def oracle():
        if vx is None or (axis is not None and not -ndim <= axis < ndim) or (axis is not None and ndim == 0):
            return None
        v = np.asarray(vx)
        if name in ("max", "min") and (v.size == 0 or (axis is not None and v.shape[axis] == 0)):
            return None  # numpy refuses an empty reduction with ValueError: so must we
        return getattr(np, name)(v, axis=axis, keepdims=keepdims)

    run(lambda: _with_tape(data, lambda: getattr(ops, name)(x, axis=axis, keepdims=keepdims), (x,)), oracle)


@FUZZ
@given(st.data())
def test_fuzz_matmul_and_dense_ops(data):
    CASES["count"] += 1
    m, k, n = (data.draw(DIMS, label=s) for s in "mkn")
    a, va = operand(data, (m, k))
    b, vb = operand(data, (k, n) if data.draw(st.booleans()) else None)
    which = data.draw(st.sampled_from(["matmul", "dense", "dense_relu"]), label="op")

    def oracle():
        if va is None or vb is None or np.ndim(va) == 0 or np.ndim(vb) == 0:
            return None
        if which == "matmul":
            return np.matmul(va, vb)
        x, w = np.asarray(va, F32), np.asarray(vb, F32)
        if w.ndim != 2 or x.shape[-1] != w.shape[0]:
            return None
        z = (x.astype(np.float64) @ w.astype(np.float64)).astype(F32)
        return np.where(np.isnan(z) | (z > 0), z, 0) if which == "dense_relu" else z

    def call():
        if which == "matmul":
            return ops.matmul(a, b)
        return ops.dense(a, b, activation="relu" if which == "dense_relu" else "linear")

    try:
        expected = oracle()
    except OK_ERRORS:
        expected = None
    try:
        result = _with_tape(data, call, (a, b))
    except OK_ERRORS as error:
        # numpy computes on any dtype; the native ops refuse what is not float32, naming themselves
        assert expected is None or which[:5] in str(error) or "matmul" in str(error), error
        return
    if expected is None:
        return
    assert np.shape(result) == np.shape(expected)
    finite = np.isfinite(np.asarray(va, np.float64)).all() and np.isfinite(np.asarray(vb, np.float64)).all()
    if finite:  # with NaN/Inf the blocked float32 sum may differ from numpy's in which Inf wins
        np.testing.assert_allclose(np.asarray(result, np.float64), np.asarray(expected, np.float64),
                                   rtol=1e-4, atol=1e-4)


@FUZZ
@given(st.data())
def test_fuzz_sparse_cross_entropy(data):
    CASES["count"] += 1
    m, c = data.draw(DIMS, label="m"), data.draw(DIMS, label="c")
    logits, vl = operand(data, (m, c))
    labels = np.random.default_rng(m * 31 + c).integers(0, max(c, 1), size=m)
    labels = labels.astype(data.draw(st.sampled_from([np.int64, np.int32, np.uint8, np.float32]), label="ldtype"))
    if m and data.draw(st.integers(0, 4), label="bad") == 0:
        labels[0] = c  # out of range
    try:
        loss = ops.sparse_softmax_cross_entropy(labels, logits)
    except OK_ERRORS:
        return
    v = np.asarray(vl, np.float64)
    assert v.shape == (m, c) and np.all(labels >= 0) and np.all(labels < c)
    shifted = v - v.max(axis=1, keepdims=True) if m else v
    expected = np.mean(np.log(np.exp(shifted).sum(axis=1)) - shifted[np.arange(m), labels.astype(int)]) if m else 0.0
    np.testing.assert_allclose(float(loss), expected, rtol=1e-5, atol=1e-5, equal_nan=True)


@FUZZ
@given(st.data())
def test_fuzz_shape_ops(data):
    CASES["count"] += 1
    x, vx = operand(data)
    which = data.draw(st.sampled_from(["reshape", "transpose", "concatenate", "expand_dims", "squeeze", "getitem"]),
                      label="op")
    shape = tuple(data.draw(st.lists(st.sampled_from([-1, 0, 1, 2, 3, 6]), max_size=3), label="new_shape"))
    axis = data.draw(st.sampled_from([0, 1, -1, 5]), label="axis")
    y, vy = operand(data)
    index = data.draw(st.sampled_from([0, -1, 5, slice(None, None, 2), (0, 0), Ellipsis]), label="index")
    calls = {
        "reshape": (lambda: ops.reshape(x, shape), lambda: np.reshape(vx, shape)),
        "transpose": (lambda: ops.transpose(x), lambda: np.transpose(vx)),
        "concatenate": (lambda: ops.concatenate([x, y], axis=axis), lambda: np.concatenate([vx, vy], axis=axis)),
        "expand_dims": (lambda: ops.expand_dims(x, axis), lambda: np.expand_dims(vx, axis)),
        "squeeze": (lambda: ops.squeeze(x), lambda: np.squeeze(vx)),
        "getitem": (lambda: ops.getitem(x, index), lambda: np.asarray(vx)[index]),
    }
    call, numpy_call = calls[which]
    if which == "getitem" and not hasattr(x, "shape"):
        return  # a Python number or list has no items to take
    # Indexing past the end is an IndexError, as for numpy and every Python sequence.
    errors = OK_ERRORS + (IndexError,) if which == "getitem" else OK_ERRORS
    if vx is None or (which == "concatenate" and vy is None):
        run(lambda: _with_tape(data, call, (x, y)), lambda: None, errors=errors)
        return
    run(lambda: _with_tape(data, call, (x, y)), numpy_call, errors=errors)


@FUZZ
@given(st.data())
def test_fuzz_dense_layer(data):
    CASES["count"] += 1
    units = data.draw(st.sampled_from([1, 3, 8]), label="units")
    activation = data.draw(st.sampled_from([None, "relu", "tanh"]), label="activation")
    layer = keras.layers.Dense(units, activation=activation)
    width = data.draw(DIMS, label="width")
    batch = tuple(data.draw(st.lists(DIMS, max_size=2), label="batch"))
    x, vx = operand(data, batch + (width,))
    if vx is None or isinstance(x, list):
        return  # non-array inputs: see test_dense_layer_refuses_non_tensor_inputs
    try:
        y = layer(x)
    except OK_ERRORS as error:
        assert vx is None or np.ndim(vx) == 0 or np.shape(vx)[-1] == 0 or "Dense" in str(error) \
            or "dense" in str(error) or isinstance(error, TypeError), error
        return
    v = np.asarray(vx, F32)
    z = v @ layer.kernel.numpy() + layer.bias.numpy()
    if activation == "relu":
        z = np.where(np.isnan(z) | (z > 0), z, 0)
    elif activation == "tanh":
        z = np.tanh(z)
    if np.isfinite(v).all():
        np.testing.assert_allclose(np.asarray(y), z, rtol=1e-4, atol=1e-5)
    else:
        assert np.shape(y) == z.shape
    # A second call with another width is refused, naming the layer.
    built_width = layer.kernel.shape[0]
    other, vo = operand(data, batch + (built_width + 1,))
    if vo is None or isinstance(other, list) or np.ndim(vo) == 0 or np.shape(vo)[-1] == built_width:
        return
    try:
        layer(other)
    except OK_ERRORS:
        return
    raise AssertionError(f"Dense accepted width {built_width + 1} after being built for {built_width}")


@pytest.mark.parametrize("bad", [None, "abc", {1: 2}, object(), [np.ones((1, 3), F32), None]])
def test_dense_layer_refuses_non_tensor_inputs(bad):
    # (A nested list of numbers is one tensor: see test_layer.py.)
    with pytest.raises(OK_ERRORS):
        keras.layers.Dense(2)(bad)
    layer = keras.layers.Dense(2)
    layer(np.ones((1, 3), F32))
    with pytest.raises(OK_ERRORS):
        layer(bad)
