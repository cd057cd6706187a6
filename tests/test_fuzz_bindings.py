"""Fuzzing pykeras._core, the only Python <-> C++ boundary.

Each case builds a valid call, then spoils zero to two of its arguments (another dtype, a
non-contiguous / unaligned / read-only view, a wrong shape, a list, a scalar, None, an output
aliasing an input, NaN/Inf, huge sizes). The test's own oracle (the bindings' documented contract)
says whether the call is valid:

- valid: the call must succeed and match a float64 numpy reference;
- invalid: the call must raise ValueError or TypeError whose message names the function.

A crash (segfault, abort, sanitizer report) ends the process; ``tools/fuzz_count.py`` runs the
long campaign in child processes and counts cases and crashes. ``PYKERAS_FUZZ_EXAMPLES`` sets the
number of cases per test (CI default below).
"""
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pykeras import _core

EXAMPLES = int(os.environ.get("PYKERAS_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("PYKERAS_FUZZ_RANDOM") != "1",  # CI: the same cases every run
    database=None,
    suppress_health_check=list(HealthCheck),
)
CASES = {"count": 0}  # read by tools/fuzz_count.py

F32 = np.dtype(np.float32)
OTHER_DTYPES = [np.float16, np.float64, np.int32, np.int64, np.uint8, np.bool_, np.complex64, object]
# Sizes: 0, 1, primes and both sides of the register tiles (MR 4/6/12, NR 8/16/32).
DIMS = st.sampled_from([0, 1, 2, 3, 5, 7, 8, 11, 12, 13, 16, 17, 31, 32, 33])
HUGE = st.sampled_from([2**31 - 1, 2**31, 2**32 + 1, 2**40, 2**62, 2**63 - 1])


@pytest.fixture(autouse=True)
def quiet_references():
    with np.errstate(all="ignore"):  # references meet NaN/Inf on purpose
        yield


# ----------------------------------------------------------------------------- arguments


def values(data, shape, nonfinite):
    """float32 values in [-1, 1], optionally with a few NaN/+-Inf."""
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    rng = np.random.default_rng(seed)
    array = rng.uniform(-1, 1, size=shape).astype(F32)
    if nonfinite and array.size:
        flat = array.reshape(-1)
        for _ in range(data.draw(st.integers(1, 3), label="nonfinite")):
            flat[rng.integers(flat.size)] = rng.choice([np.nan, np.inf, -np.inf])
    return array


def spoil(data, array, output):
    """Returns (argument, how) where argument is `array` changed in one way, or unchanged."""
    how = data.draw(st.sampled_from([
        "dtype", "strided", "transposed", "unaligned", "readonly", "fortran", "shape", "ndim",
        "list", "scalar", "none", "string", "zero_stride",
    ]), label="spoil")
    if how == "dtype":
        dtype = data.draw(st.sampled_from(OTHER_DTYPES), label="dtype")
        with np.errstate(invalid="ignore"):  # NaN to int: any value will do
            return array.astype(dtype), how
    if how == "strided":
        wide = np.zeros(array.shape[:-1] + (2 * array.shape[-1],), array.dtype) if array.ndim \
            else np.zeros(2, array.dtype)
        if not array.ndim:
            return wide[::2], how
        wide[..., ::2] = array
        return wide[..., ::2], how
    if how == "transposed":
        return np.asarray(array.T.copy().T), how  # same shape, Fortran-ordered buffer
    if how == "unaligned":
        raw = np.zeros(array.nbytes + 1, np.uint8)
        view = raw[1:].view(array.dtype).reshape(array.shape)
        view[...] = array
        return view, how
    if how == "readonly":
        copy = array.copy()
        copy.setflags(write=False)
        return copy, how
    if how == "fortran":
        return np.asfortranarray(array), how
    if how == "shape":
        if not array.ndim:
            return np.zeros((1,), F32), how
        axis = data.draw(st.integers(0, array.ndim - 1), label="axis")
        shape = list(array.shape)
        shape[axis] = data.draw(st.sampled_from([d for d in (0, 1, 2, shape[axis] + 1, shape[axis] - 1)
                                                  if d >= 0 and d != shape[axis]]), label="dim")
        return np.ones(shape, F32), how
    if how == "ndim":
        extra = data.draw(st.booleans(), label="extra")
        return (array[None] if extra else array.reshape(-1)).copy(), how
    if how == "list":
        return array.tolist(), how
    if how == "scalar":
        return data.draw(st.sampled_from([1.5, 0, float("nan"), True, np.float32(2)]), label="scalar"), how
    if how == "none":
        return None, how
    if how == "string":
        return "x", how
    # a broadcast view with zero strides: not contiguous unless trivially small
    return np.broadcast_to(np.ones(array.shape[-1:], F32), array.shape), how


def is_array_ok(arg, dtype, output):
    return (
        isinstance(arg, np.ndarray)
        and arg.dtype == dtype
        and arg.flags.c_contiguous
        and arg.flags.aligned
        and (arg.flags.writeable or not output)
    )


def overlap(a, b):
    """Byte ranges intersect (what the bindings check); empty arrays never overlap."""
    if a.nbytes == 0 or b.nbytes == 0:
        return False
    lo_a, lo_b = a.ctypes.data, b.ctypes.data
    return lo_a < lo_b + b.nbytes and lo_b < lo_a + a.nbytes


def same_buffer(a, b):
    return a.ctypes.data == b.ctypes.data and a.nbytes == b.nbytes


def expect_error(fn_name, call):
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    assert fn_name in str(info.value), f"{fn_name}: message does not name the function: {info.value}"
    return info.value


def close(actual, expected, rtol=2e-5, atol=2e-5):
    np.testing.assert_allclose(np.asarray(actual, np.float64), expected, rtol=rtol, atol=atol, equal_nan=True)


def build_args(data, spec, shapes, nonfinite):
    """spec: name -> (role, dtype); returns a dict of arguments, some spoiled, and the spoils."""
    args = {name: values(data, shapes[name], nonfinite) for name in spec}
    for name, (_, dtype) in spec.items():
        if dtype != F32:
            args[name] = args[name].astype(dtype)
    spoiled = {}
    if data.draw(st.integers(0, 2), label="n_spoil"):
        for name in data.draw(st.lists(st.sampled_from(sorted(spec)), min_size=1, max_size=2, unique=True),
                              label="targets"):
            args[name], spoiled[name] = spoil(data, args[name], spec[name][0] == "out")
    return args, spoiled


def arrays_ok(args, spec, shapes=None):
    """Every argument in spec is an acceptable array (and, if given, has its shape in shapes)."""
    for name, (role, dtype) in spec.items():
        arg = args[name]
        if not is_array_ok(arg, dtype, role == "out"):
            return False
        if shapes is not None and arg.shape != shapes[name]:
            return False
    return True


def alias_output(data, args, out_name, in_names):
    """Sometimes makes the output the same buffer as an input, or a partly overlapping view."""
    choice = data.draw(st.sampled_from(["none", "none", "same", "partial"]), label="alias")
    source_name = data.draw(st.sampled_from(in_names), label="alias_source")
    source, out = args[source_name], args[out_name]
    if choice == "none" or not isinstance(source, np.ndarray) or not isinstance(out, np.ndarray):
        return
    if choice == "same" and source.shape == out.shape and source.dtype == out.dtype:
        args[out_name] = source
    elif choice == "partial" and out.dtype == F32 and out.size and source.dtype == F32:
        buffer = np.zeros(out.size + 1, F32)
        args[out_name] = buffer[1:].reshape(out.shape)
        src = buffer[: source.size].reshape(source.shape) if source.size <= out.size + 1 else None
        if src is not None:
            src[...] = source
            args[source_name] = src


# ----------------------------------------------------------------------------- L2 penalty


@FUZZ
@given(st.data())
def test_fuzz_l2_penalty(data):
    """l2_penalty on one weight: grads += values * scale in place, and the sum of the squares."""
    CASES["count"] += 1
    shape = tuple(data.draw(st.lists(DIMS, max_size=3), label="shape"))
    spec = {"values": ("in", F32), "grads": ("out", F32)}
    args, _ = build_args(data, spec, dict.fromkeys(spec, shape), data.draw(st.booleans()))
    alias_output(data, args, "grads", ["values"])
    w, g = args["values"], args["grads"]
    scale = np.float32(data.draw(st.sampled_from([0.0, 2e-4, 1.0, -3.5]), label="scale"))
    valid = (
        is_array_ok(w, F32, False) and is_array_ok(g, F32, True) and g.shape == w.shape and not overlap(g, w)
    )
    if not valid:
        expect_error("l2_penalty", lambda: _core.l2_penalty([w], [g], [scale]))
        return
    expected = (g + w * scale).astype(np.float64)
    want = np.sum(np.square(w.astype(np.float64)))
    (total,) = _core.l2_penalty([w], [g], [scale])
    close(g, expected, 0, 0)
    np.testing.assert_allclose(total, want, rtol=1e-12, equal_nan=True)


# ----------------------------------------------------------------------------- elementwise


@FUZZ
@given(st.data())
def test_fuzz_relu(data):
    CASES["count"] += 1
    shape = tuple(data.draw(st.lists(DIMS, max_size=3), label="shape"))
    spec = {"x": ("in", F32), "out": ("out", F32)}
    args, _ = build_args(data, spec, {"x": shape, "out": shape}, data.draw(st.booleans()))
    alias_output(data, args, "out", ["x"])
    x, out = args["x"], args["out"]
    valid = (
        is_array_ok(x, F32, False) and is_array_ok(out, F32, True) and out.size == x.size
        and (same_buffer(out, x) or not overlap(out, x))
    )
    if not valid:
        expect_error("relu", lambda: _core.relu(x, out))
        return
    expected = np.where(np.isnan(x), x, np.maximum(x, 0)).reshape(out.shape).astype(np.float64)
    _core.relu(x, out)
    close(out, expected, 0, 0)


@FUZZ
@given(st.data())
def test_fuzz_relu_backward(data):
    CASES["count"] += 1
    shape = tuple(data.draw(st.lists(DIMS, max_size=3), label="shape"))
    spec = {"dy": ("in", F32), "y": ("in", F32), "out": ("out", F32)}
    args, _ = build_args(data, spec, dict.fromkeys(spec, shape), data.draw(st.booleans()))
    alias_output(data, args, "out", ["dy", "y"])
    dy, y, out = args["dy"], args["y"], args["out"]
    valid = (
        is_array_ok(dy, F32, False) and is_array_ok(y, F32, False) and is_array_ok(out, F32, True)
        and y.size == dy.size and out.size == dy.size
        and (same_buffer(out, dy) or not overlap(out, dy))
        and (same_buffer(out, y) or not overlap(out, y))
    )
    if not valid:
        expect_error("relu_backward", lambda: _core.relu_backward(dy, y, out))
        return
    expected = np.where(y.reshape(-1) > 0, dy.reshape(-1), 0).reshape(out.shape).astype(np.float64)
    _core.relu_backward(dy, y, out)
    close(out, expected, 0, 0)


@FUZZ
@given(st.data())
def test_fuzz_bias_add_and_grad(data):
    CASES["count"] += 1
    m, n = data.draw(DIMS, label="m"), data.draw(DIMS, label="n")
    nonfinite = data.draw(st.booleans())
    spec = {"y": ("out", F32), "b": ("in", F32)}
    shapes = {"y": (m, n), "b": (n,)}
    args, _ = build_args(data, spec, shapes, nonfinite)
    alias_output(data, args, "y", ["b"])
    y, b = args["y"], args["b"]
    before = np.array(y) if isinstance(y, np.ndarray) else None
    if not (arrays_ok(args, spec) and y.ndim == 2 and b.shape == y.shape[1:] and not overlap(y, b)):
        expect_error("bias_add", lambda: _core.bias_add(y, b))
    else:
        _core.bias_add(y, b)
        close(y, (before + b).astype(np.float64), 0, 0)  # one float32 add per element

    spec = {"dy": ("in", F32), "out": ("out", F32)}
    shapes = {"dy": (m, n), "out": (n,)}
    args, _ = build_args(data, spec, shapes, nonfinite)
    alias_output(data, args, "out", ["dy"])
    dy, out = args["dy"], args["out"]
    if not (arrays_ok(args, spec) and dy.ndim == 2 and out.shape == dy.shape[1:] and not overlap(out, dy)):
        expect_error("bias_grad", lambda: _core.bias_grad(dy, out))
        return
    expected = dy.astype(np.float64).sum(axis=0)
    _core.bias_grad(dy, out)
    close(out, expected, 1e-5, 1e-5)


# ----------------------------------------------------------------------------- GEMM


def gemm_reference(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):
    a, b = a.reshape(-1).astype(np.float64), b.reshape(-1).astype(np.float64)
    out = c.reshape(-1).astype(np.float64)

    def view(buf, rows, cols, ld):
        if rows == 0 or cols == 0:
            return np.zeros((rows, cols))
        return np.array([buf[r * ld: r * ld + cols] for r in range(rows)])

    op_a = view(a, k, m, lda).T if trans_a else view(a, m, k, lda)
    op_b = view(b, n, k, ldb).T if trans_b else view(b, k, n, ldb)
    with np.errstate(all="ignore"):
        product = alpha * (op_a @ op_b) if k else np.zeros((m, n))
        for r in range(m):
            old = out[r * ldc: r * ldc + n]
            out[r * ldc: r * ldc + n] = product[r] + (beta * old if beta != 0 else 0)
    return out


@FUZZ
@given(st.data())
def test_fuzz_sgemm(data):
    CASES["count"] += 1
    trans_a, trans_b = data.draw(st.booleans(), label="ta"), data.draw(st.booleans(), label="tb")
    m, n, k = (data.draw(DIMS, label=s) for s in "mnk")
    pads = [data.draw(st.sampled_from([0, 0, 1, 3]), label="pad") for _ in range(3)]
    cols_a, cols_b = (m if trans_a else k), (k if trans_b else n)
    rows_a, rows_b = (k if trans_a else m), (n if trans_b else k)
    lda, ldb, ldc = max(1, cols_a) + pads[0], max(1, cols_b) + pads[1], max(1, n) + pads[2]
    size = lambda rows, ld: rows * ld  # noqa: E731 - the whole padded buffer
    nonfinite = data.draw(st.booleans(), label="nonfinite_data")
    alpha = data.draw(st.sampled_from([1.0, -0.5, 2.0] + ([] if nonfinite else [0.0])), label="alpha")
    beta = data.draw(st.sampled_from([0.0, 1.0, 0.5]), label="beta")
    spec = {"a": ("in", F32), "b": ("in", F32), "c": ("out", F32)}
    shapes = {"a": (size(rows_a, lda),), "b": (size(rows_b, ldb),), "c": (size(m, ldc),)}
    args, _ = build_args(data, spec, shapes, nonfinite)
    alias_output(data, args, "c", ["a", "b"])
    sizes = {"m": m, "n": n, "k": k, "lda": lda, "ldb": ldb, "ldc": ldc}
    if data.draw(st.integers(0, 4), label="bad_sizes") == 0:
        name = data.draw(st.sampled_from(sorted(sizes)), label="size_name")
        sizes[name] = data.draw(st.one_of(HUGE, st.integers(-3, 0), HUGE.map(lambda v: -v),
                                          st.just(2**64), st.just(1.5)), label="size")
    a, b, c = args["a"], args["b"], args["c"]
    m_, n_, k_, lda_, ldb_, ldc_ = (sizes[s] for s in ("m", "n", "k", "lda", "ldb", "ldc"))

    def call():
        _core.sgemm(trans_a, trans_b, m_, n_, k_, alpha, a, lda_, b, ldb_, beta, c, ldc_)

    def needed(rows, cols, ld):
        return 0 if rows == 0 or cols == 0 else (rows - 1) * ld + cols

    ints = all(isinstance(v, int) and -2**63 <= v < 2**63 for v in sizes.values())
    valid = ints and arrays_ok(args, spec)
    if valid:
        ra, ca = (k_, m_) if trans_a else (m_, k_)
        rb, cb = (n_, k_) if trans_b else (k_, n_)
        valid = (
            min(m_, n_, k_) >= 0
            and lda_ >= max(1, ca) and ldb_ >= max(1, cb) and ldc_ >= max(1, n_)
            and a.size >= needed(ra, ca, lda_) and b.size >= needed(rb, cb, ldb_)
            and c.size >= needed(m_, n_, ldc_)
            and not overlap(c, a) and not overlap(c, b)
        )
    if not valid:
        expect_error("sgemm", call)
        return
    expected = gemm_reference(trans_a, trans_b, m_, n_, k_, alpha, a, lda_, b, ldb_, beta, c, ldc_)
    call()
    close(c.reshape(-1), expected, 1e-4, 1e-4)


@FUZZ
@given(st.data())
def test_fuzz_matmul(data):
    CASES["count"] += 1
    trans_a, trans_b = data.draw(st.booleans(), label="ta"), data.draw(st.booleans(), label="tb")
    m, n, k = (data.draw(DIMS, label=s) for s in "mnk")
    spec = {"a": ("in", F32), "b": ("in", F32), "out": ("out", F32)}
    shapes = {"a": (k, m) if trans_a else (m, k), "b": (n, k) if trans_b else (k, n), "out": (m, n)}
    args, _ = build_args(data, spec, shapes, data.draw(st.booleans()))
    if data.draw(st.booleans(), label="out_none"):
        args["out"] = None
    else:
        alias_output(data, args, "out", ["a", "b"])
    if data.draw(st.integers(0, 9), label="empty_huge") == 0:
        # Empty operands whose result would be astronomically large: refused, never allocated.
        # (2**31)**2 float32s and beyond cannot be addressed: ValueError before any allocation.
        # (Merely too large results get numpy's MemoryError; not fuzzed: with overcommit the
        # allocation may succeed and zero-filling it would exhaust the machine.)
        big = data.draw(st.sampled_from([2**31, 2**40, 2**50]), label="big")
        args = {"a": np.empty((big, 0), F32), "b": np.empty((0, big), F32), "out": None}
        trans_a = trans_b = False
    a, b, out = args["a"], args["b"], args["out"]

    def call():
        return _core.matmul(a, b, trans_a=trans_a, trans_b=trans_b, out=out)

    def op(x, t):
        return x.T if t else x

    valid = (
        is_array_ok(a, F32, False) and is_array_ok(b, F32, False) and a.ndim == 2 and b.ndim == 2
        and op(a, trans_a).shape[1] == op(b, trans_b).shape[0]
    )
    if valid:
        shape = (op(a, trans_a).shape[0], op(b, trans_b).shape[1])
        valid = shape[0] * shape[1] * 4 < 2**63
        if out is not None:
            valid = valid and is_array_ok(out, F32, True) and out.shape == shape and not overlap(out, a) \
                and not overlap(out, b)
    if not valid:
        expect_error("matmul", call)
        return
    expected = op(a, trans_a).astype(np.float64) @ op(b, trans_b).astype(np.float64)
    result = call()
    if out is not None:
        assert result is out or np.shares_memory(result, out)
    close(result, expected, 1e-4, 1e-4)


# ----------------------------------------------------------------------------- dense, loss


@FUZZ
@given(st.data())
def test_fuzz_dense(data):
    CASES["count"] += 1
    m, k, n = (data.draw(DIMS, label=s) for s in "mkn")
    activation = data.draw(st.sampled_from(["linear", "relu", "relu", "tanh", "sigmoid", "", "RELU"]), label="act")
    nonfinite = data.draw(st.booleans())
    spec = {"x": ("in", F32), "w": ("in", F32), "b": ("in", F32), "out": ("out", F32)}
    shapes = {"x": (m, k), "w": (k, n), "b": (n,), "out": (m, n)}
    args, _ = build_args(data, spec, shapes, nonfinite)
    use_bias = data.draw(st.booleans(), label="bias")
    if not use_bias:
        args["b"] = None
    alias_output(data, args, "out", ["x", "w"] + (["b"] if use_bias else []))
    x, w, b, out = args["x"], args["w"], args["b"], args["out"]
    use_bias = b is not None  # a bias spoiled into None is simply no bias
    check_spec = {key: value for key, value in spec.items() if use_bias or key != "b"}
    valid = activation in ("linear", "relu", "tanh") and arrays_ok(args, check_spec) and x.ndim == 2
    if valid:
        m, k = x.shape
        n = w.shape[1] if w.ndim == 2 else -1
        shapes = {"x": (m, k), "w": (k, n), "b": (n,), "out": (m, n)}
    valid = (
        valid and arrays_ok(args, check_spec, shapes)
        and not overlap(out, x) and not overlap(out, w) and not (use_bias and overlap(out, b))
    )
    if not valid:
        expect_error("dense_forward", lambda: _core.dense_forward(x, w, b, activation, out))
        return
    with np.errstate(all="ignore"):
        z = x.astype(np.float64) @ w.astype(np.float64) + (0 if b is None else b.astype(np.float64))
    expected = np.where(np.isnan(z) | (z > 0), z, 0) if activation == "relu" else z
    if activation == "tanh":
        expected = np.tanh(z)
    _core.dense_forward(x, w, b, activation, out)
    close(out, expected, 1e-4, 1e-4)

    # backward on the forward's own output
    spec = {"dy": ("in", F32), "dx": ("out", F32), "dw": ("out", F32), "db": ("out", F32)}
    bshapes = {"dy": (m, n), "dx": (m, k), "dw": (k, n), "db": (n,)}
    bargs, _ = build_args(data, spec, bshapes, False)
    for optional in ("dx", "db"):
        if data.draw(st.booleans(), label=f"no_{optional}"):
            bargs[optional] = None
    alias_output(data, bargs, "dw", ["dy", "dx"] if bargs["dx"] is not None else ["dy"])
    dy, dx, dw, db = bargs["dy"], bargs["dx"], bargs["dw"], bargs["db"]
    present = {key: value for key, value in spec.items() if bargs[key] is not None or key in ("dy", "dw")}
    outputs = [v for key, v in bargs.items() if key != "dy" and v is not None]
    valid = arrays_ok(bargs, present, bshapes) and all(
        not overlap(o, i) for o in outputs for i in (x, w, out, dy)
    ) and all(not overlap(p, q) for i, p in enumerate(outputs) for q in outputs[:i])

    def backward():
        _core.dense_backward(x, w, out, dy, activation, dx, dw, db)

    if not valid:
        expect_error("dense_backward", backward)
        return
    y = out.astype(np.float64)
    dz = dy.astype(np.float64) * ((out > 0) if activation == "relu" else (1 - y * y) if activation == "tanh" else 1)
    backward()
    with np.errstate(all="ignore"):
        close(dw, x.astype(np.float64).T @ dz, 1e-4, 1e-4)
        if dx is not None:
            close(dx, dz @ w.astype(np.float64).T, 1e-4, 1e-4)
    if db is not None:
        close(db, dz.sum(axis=0), 1e-4, 1e-4)


@FUZZ
@given(st.data())
def test_fuzz_softmax_cross_entropy(data):
    CASES["count"] += 1
    m, c = data.draw(DIMS, label="m"), data.draw(DIMS, label="c")
    label_dtype = data.draw(st.sampled_from([np.int32, np.int64, np.int64, np.int16, np.uint32, np.float32]),
                            label="label_dtype")
    spec = {"logits": ("in", F32), "dlogits": ("out", F32)}
    shapes = {"logits": (m, c), "dlogits": (m, c)}
    args, _ = build_args(data, spec, shapes, data.draw(st.booleans()))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="label_seed"))
    labels = rng.integers(0, max(c, 1), size=m).astype(label_dtype)
    if m and labels.dtype in (np.int32, np.int64) and data.draw(st.integers(0, 4), label="bad_label") == 0:
        labels[rng.integers(m)] = data.draw(st.sampled_from([-1, c, c + 7, 2**31 - 1]), label="label")
    if data.draw(st.integers(0, 5), label="spoil_labels") == 0:
        labels, _ = spoil(data, labels, False)
    if data.draw(st.booleans(), label="no_grad"):
        args["dlogits"] = None
    else:
        alias_output(data, args, "dlogits", ["logits"])
    logits, dlogits = args["logits"], args["dlogits"]
    scale = data.draw(st.sampled_from([1.0, 0.5, -2.0]), label="scale")

    def call():
        return _core.softmax_cross_entropy(logits, labels, dlogits, scale)

    present = {key: v for key, v in spec.items() if key == "logits" or args[key] is not None}
    valid = arrays_ok(args, present) and logits.ndim == 2
    if valid:
        m, c = logits.shape
        valid = (dlogits is None or dlogits.shape == (m, c)) and (
            isinstance(labels, np.ndarray) and labels.dtype in (np.int32, np.int64)
            and labels.flags.c_contiguous and labels.flags.aligned and labels.shape == (m,)
        )
    if valid:
        valid = bool(np.all((labels >= 0) & (labels < c))) and (
            dlogits is None or same_buffer(dlogits, logits) or not overlap(dlogits, logits)
        )
    if not valid:
        expect_error("softmax_cross_entropy", call)
        return
    z = logits.astype(np.float64)
    with np.errstate(all="ignore"):
        shifted = z - z.max(axis=1, keepdims=True) if m else z
        log_sum = np.log(np.exp(shifted).sum(axis=1))
        rows = log_sum - shifted[np.arange(m), labels]
        expected = rows.mean() if m else 0.0
        grad = (np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
                - np.eye(max(c, 1))[labels][:, :c]) * scale / max(m, 1)
    loss = call()
    close(loss, expected, 1e-5, 1e-5)
    if dlogits is not None:
        close(dlogits, grad, 1e-5, 1e-6)


# ----------------------------------------------------------------------------- settings


def _batch_norm_reference(x, w1, b1, gamma, beta, eps, before, w2, labels, per_row=False):
    """The float64 loss, gradients (dw1, db1, dgamma, dbeta, dw2) and statistics of a chain
    x -> before(x @ w1 + b1) -> batch normalization (or, per_row, layer normalization) -> x @ w2 ->
    softmax cross-entropy."""
    act = {"linear": lambda z: z, "relu": lambda z: np.maximum(z, 0), "tanh": np.tanh}[before]
    z = act(x @ w1 + b1)
    axis = 1 if per_row else 0
    mean, var = z.mean(axis, keepdims=True), z.var(axis, keepdims=True)
    xhat = (z - mean) / np.sqrt(var + eps)
    h = xhat * gamma + beta
    logits = h @ w2
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    m = len(labels)
    loss = -np.log(p[np.arange(m), labels]).mean()
    dlogits = (p - np.eye(w2.shape[1])[labels]) / m
    dh = dlogits @ w2.T
    d = dh * gamma
    dz = (d - d.mean(axis, keepdims=True) - xhat * (d * xhat).mean(axis, keepdims=True)) / np.sqrt(var + eps)
    dz = dz * (z > 0) if before == "relu" else dz * (1 - z * z) if before == "tanh" else dz
    grads = [x.T @ dz, dz.sum(0), (dh * xhat).sum(0), dh.sum(0), h.T @ dlogits]
    return loss, grads, [mean.ravel(), var.ravel(), 1 / np.sqrt(var.ravel() + eps)]


@FUZZ
@given(st.data())
def test_fuzz_batch_normalized_chain(data):
    """dense_chain_loss_gradients with a batch-normalized or layer-normalized layer: its norm entry
    (gamma, beta, epsilon, the activation before[, 'layer']), its gradients and statistics spoiled."""
    CASES["count"] += 1
    m, k, n, c = (data.draw(st.sampled_from([1, 2, 3, 5, 8, 13, 17, 33]), label=s) for s in "mknc")
    per_row = data.draw(st.booleans(), label="per_row")
    spec = {"x": ("in", F32), "w1": ("in", F32), "b1": ("in", F32), "gamma": ("in", F32), "beta": ("in", F32),
            "w2": ("in", F32), "hidden": ("out", F32), "logits": ("out", F32), "dlogits": ("out", F32),
            "dw1": ("out", F32), "db1": ("out", F32), "dgamma": ("out", F32), "dbeta": ("out", F32),
            "dw2": ("out", F32), "stats": ("out", F32)}
    shapes = {"x": (m, k), "w1": (k, n), "b1": (n,), "gamma": (n,), "beta": (n,), "w2": (n, c), "hidden": (m, n),
              "logits": (m, c), "dlogits": (m, c), "dw1": (k, n), "db1": (n,), "dgamma": (n,), "dbeta": (n,),
              "dw2": (n, c), "stats": (3, m if per_row else n)}
    args, _ = build_args(data, spec, shapes, False)
    alias_output(data, args, "dgamma", ["gamma", "beta", "db1"])
    eps = data.draw(st.sampled_from([1e-3, 1e-3, 0.5, 0.0, -1.0, float("nan"), "x", None]), label="eps")
    before = data.draw(st.sampled_from(["linear", "relu", "tanh", None, "gelu", "", 3]), label="before")
    if per_row:
        norm = (args["gamma"], args["beta"], eps, "linear" if before is None else before, "layer")
    else:
        norm = (args["gamma"], args["beta"], eps) + (() if before is None else (before,))
    labels = np.random.default_rng(m * 31 + c).integers(0, c, m)
    layers = [(args["w1"], args["b1"], "linear", norm), (args["w2"], None, "linear")]
    grads = [(args["dw1"], args["db1"], args["dgamma"], args["dbeta"]), (args["dw2"], None)]

    def call():
        return _core.dense_chain_loss_gradients(args["x"], layers, labels, [args["hidden"]], args["logits"],
                                               args["dlogits"], grads, None, "softmax", None, [args["stats"], None])

    outputs = [args[name] for name, (role, _) in spec.items() if role == "out"]
    inputs = [args[name] for name, (role, _) in spec.items() if role == "in"]
    valid = (arrays_ok(args, spec, shapes) and isinstance(eps, float) and eps > 0
             and before in (None, "linear", "relu", "tanh")
             and not any(overlap(o, i) for o in outputs for i in inputs)
             and not any(overlap(p, q) for i, p in enumerate(outputs) for q in outputs[:i]))
    if not valid:
        expect_error("dense_chain_loss_gradients", call)
        return
    loss = call()
    f64 = {name: args[name].astype(np.float64) for name in ("x", "w1", "b1", "gamma", "beta", "w2")}
    want_loss, want_grads, want_stats = _batch_norm_reference(
        f64["x"], f64["w1"], f64["b1"], f64["gamma"], f64["beta"], eps, before or "linear", f64["w2"], labels, per_row)
    # A batch of one row (or a layer of one feature) has no spread: every normalized value is 0 there,
    # whatever the rounding of its tiny variance.
    tolerance = 1e-3 if (n if per_row else m) > 1 else 1e-4
    close(loss, want_loss, tolerance, tolerance)
    close(args["stats"], np.array(want_stats), tolerance, tolerance)
    for got, want in zip([args[name] for name in ("dw1", "db1", "dgamma", "dbeta", "dw2")], want_grads):
        close(got, want, tolerance, tolerance)


@FUZZ
@given(st.data())
def test_fuzz_batch_norm_moving_statistics(data):
    """dense_chain_loss_gradients with a batch-normalized layer whose norm entry carries the moving
    statistics, read only or moved with a momentum: those two arrays and the momentum spoiled, or
    a moved one aliasing an output or an input."""
    CASES["count"] += 1
    m, k, n, c = (data.draw(st.sampled_from([1, 2, 3, 5, 8, 13, 17, 33]), label=s) for s in "mknc")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    x, w1, w2 = (rng.uniform(-1, 1, shape).astype(F32) for shape in ((m, k), (k, n), (n, c)))
    b1, gamma, beta = (rng.uniform(-1, 1, n).astype(F32) for _ in range(3))
    grads = [(np.empty((k, n), F32), np.empty(n, F32), np.empty(n, F32), np.empty(n, F32)),
             (np.empty((n, c), F32), None)]
    hidden, logits, dlogits, stats = [np.empty(shape, F32) for shape in ((m, n), (m, c), (m, c), (3, n))]
    moving = {"mean": rng.uniform(-1, 1, n).astype(F32), "variance": rng.uniform(0, 2, n).astype(F32)}
    moved = data.draw(st.booleans(), label="moved")
    if data.draw(st.booleans(), label="spoil"):
        name = data.draw(st.sampled_from(sorted(moving)), label="spoiled")
        moving[name], _ = spoil(data, moving[name], moved)
    alias = data.draw(st.sampled_from(["none", "none", "dgamma", "gamma"]), label="alias")
    if alias != "none":
        moving["mean"] = grads[0][2] if alias == "dgamma" else gamma
    momentum = data.draw(st.sampled_from([0.99, 0.9, 0.5, 0.0, "x", None]), label="momentum")
    mean, variance = moving["mean"], moving["variance"]
    before = np.array(mean, np.float64) if isinstance(mean, np.ndarray) and mean.dtype == F32 else None
    norm = (gamma, beta, 1e-3, "relu", mean, variance) + ((momentum,) if moved else ())
    labels = rng.integers(0, c, m)

    def call():
        return _core.dense_chain_loss_gradients(x, [(w1, b1, "linear", norm), (w2, None, "linear")], labels, [hidden],
                                               logits, dlogits, grads, None, "softmax", None, [stats, None])

    arrays_fine = all(is_array_ok(a, F32, moved) and a.shape == (n,) for a in (mean, variance))
    valid = (arrays_fine and not overlap(mean, variance) and (not moved or isinstance(momentum, float))
             and (alias == "none" or (alias == "gamma" and not moved)))  # inputs may share memory
    if not valid:
        expect_error("dense_chain_loss_gradients", call)
        return
    call()
    want_stats = _batch_norm_reference(*(a.astype(np.float64) for a in (x, w1, b1, gamma, beta)), 1e-3, "relu",
                                       w2.astype(np.float64), labels)[2]
    tolerance = 1e-3 if m > 1 else 1e-4
    want = (before * momentum + want_stats[0] * (1 - momentum)) if moved else before
    close(mean, want, tolerance if moved else 0, tolerance if moved else 0)


@FUZZ
@given(st.one_of(st.integers(-2**70, 2**70), st.floats(allow_nan=True), st.none(), st.text(max_size=3),
                 st.booleans()))
def test_fuzz_settings(value):
    CASES["count"] += 1
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 1024:
        _core.set_num_threads(value)
        assert _core.get_num_threads() == value
    elif isinstance(value, bool) and value:
        _core.set_num_threads(value)  # pybind11 accepts True as 1, as int(True) does
    else:
        expect_error("set_num_threads", lambda: _core.set_num_threads(value))
    isa = value if isinstance(value, str) else str(value)
    if isa in _core.compiled_isas():
        return
    expect_error("set_isa", lambda: _core.set_isa(isa))
