"""Tests of the native kernels in pykeras._core against numpy float64 references."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pykeras import _core
from kernel_paths import supported_isas

HYPOTHESIS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


ISAS = supported_isas()

# Sizes on both sides of the register tiles (MR 4/6/12, NR 8/16/32) and the cache blocks
# (MC 120/128, KC 512/1024, NC 2048; B read in place up to 512 rows), plus 0, 1 and primes.
EDGE_SIZES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 15, 16, 17, 23, 31, 32, 33, 37, 47, 48, 49, 64, 65]
BLOCK_SIZES = [119, 120, 121, 127, 128, 129, 241, 511, 512, 513, 1023, 1024, 1025]


def rand(rng, *shape):
    return rng.uniform(-1.0, 1.0, size=shape).astype(np.float32)


def gemm_reference(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):
    """float64 C = alpha op(A) op(B) + beta C on flat buffers with leading dimensions."""
    a, b, c = a.ravel().astype(np.float64), b.ravel().astype(np.float64), c.ravel().astype(np.float64)

    def view(buf, rows, cols, ld):
        if rows == 0 or cols == 0:
            return np.zeros((rows, cols))
        return np.ascontiguousarray(np.lib.stride_tricks.as_strided(buf, shape=(rows, cols), strides=(ld * 8, 8)))

    op_a = view(a, k, m, lda).T if trans_a else view(a, m, k, lda)
    op_b = view(b, n, k, ldb).T if trans_b else view(b, k, n, ldb)
    out = c.copy()
    cv = np.lib.stride_tricks.as_strided(out, shape=(m, n), strides=(ldc * 8, 8)) if m and n else None
    if cv is not None:
        prod = alpha * (op_a @ op_b)
        cv[...] = prod if beta == 0 else prod + beta * cv
    return out


def gemm_tolerance(k):
    return dict(rtol=1e-4, atol=2e-6 * (k + 8))


def run_sgemm(rng, trans_a, trans_b, m, n, k, alpha, beta, pad=(0, 0, 0), nan_c=False):
    lda = max(1, m if trans_a else k) + pad[0]
    ldb = max(1, k if trans_b else n) + pad[1]
    ldc = max(1, n) + pad[2]
    a = rand(rng, max(1, (k if trans_a else m) * lda))
    b = rand(rng, max(1, (n if trans_b else k) * ldb))
    c = np.full(max(1, m * ldc), np.nan, np.float32) if nan_c else rand(rng, max(1, m * ldc))
    ref = gemm_reference(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    _core.sgemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    return c, ref, (a, b, lda, ldb, ldc)


# ----------------------------------------------------------------------------------------- sgemm


@HYPOTHESIS
@given(
    isa=st.sampled_from(ISAS),
    trans_a=st.booleans(),
    trans_b=st.booleans(),
    m=st.sampled_from(EDGE_SIZES),
    n=st.sampled_from(EDGE_SIZES),
    k=st.sampled_from(EDGE_SIZES + [255, 256, 257]),
    alpha=st.sampled_from([1.0, -0.5, 2.0, 0.0]),
    beta=st.sampled_from([0.0, 1.0, 0.25]),
    pad=st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(0, 5)),
    seed=st.integers(0, 2**31 - 1),
)
def test_sgemm_matches_numpy(isa, trans_a, trans_b, m, n, k, alpha, beta, pad, seed):
    _core.set_isa(isa)
    c, ref, _ = run_sgemm(np.random.default_rng(seed), trans_a, trans_b, m, n, k, alpha, beta, pad,
                          nan_c=beta == 0.0)
    if m and n:
        # Only the addressed elements of C change; padding between rows is left alone.
        np.testing.assert_allclose(c, ref, **gemm_tolerance(k), equal_nan=True)


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("trans_a,trans_b", [(False, False), (True, False), (False, True), (True, True)])
def test_sgemm_cache_block_boundaries(isa, trans_a, trans_b):
    _core.set_isa(isa)
    rng = np.random.default_rng(7)
    for m, n, k in [(241, 33, 257), (121, 65, 513), (129, 97, 1025), (240, 32, 1024), (13, 2049, 3),
                    (513, 35, 1030), (7, 4099, 2)]:
        c, ref, _ = run_sgemm(rng, trans_a, trans_b, m, n, k, 1.5, 0.5, pad=(1, 2, 3))
        np.testing.assert_allclose(c, ref, **gemm_tolerance(k))


@pytest.mark.parametrize("isa", ISAS)
def test_sgemm_block_size_sweep(isa):
    _core.set_isa(isa)
    rng = np.random.default_rng(11)
    for size in BLOCK_SIZES:
        m, n, k = size, 37, 2 * size + 1
        c, ref, _ = run_sgemm(rng, False, False, m, n, k, 1.0, 0.0, nan_c=True)
        np.testing.assert_allclose(c, ref, **gemm_tolerance(k))


def test_sgemm_beta_zero_overwrites_nan():
    rng = np.random.default_rng(0)
    c, ref, _ = run_sgemm(rng, False, False, 37, 45, 19, 1.0, 0.0, nan_c=True)
    assert np.isfinite(c).all()
    np.testing.assert_allclose(c, ref, **gemm_tolerance(19))


def test_sgemm_k_zero_and_alpha_zero_scale_c():
    c = np.arange(12, dtype=np.float32)
    expect = 0.5 * c
    a = np.full(12, np.nan, np.float32)
    _core.sgemm(False, False, 3, 4, 0, 1.0, a, 1, a, 4, 0.5, c, 4)
    np.testing.assert_array_equal(c, expect)
    _core.sgemm(False, False, 3, 4, 2, 0.0, a, 2, a, 4, 2.0, c, 4)  # alpha == 0: A, B not read
    np.testing.assert_array_equal(c, 2 * expect)
    _core.sgemm(False, False, 3, 4, 0, 1.0, a, 1, a, 4, 0.0, c, 4)
    np.testing.assert_array_equal(c, np.zeros(12, np.float32))


def test_sgemm_accepts_any_ndim_buffers():
    rng = np.random.default_rng(1)
    a, b = rand(rng, 2, 3, 4), rand(rng, 4, 5)
    c = np.zeros((2, 3, 5), np.float32)
    _core.sgemm(False, False, 6, 5, 4, 1.0, a, 4, b, 5, 0.0, c, 5)
    np.testing.assert_allclose(c.reshape(6, 5), a.reshape(6, 4) @ b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("isa", ISAS)
def test_isa_matches_portable(isa):
    rng = np.random.default_rng(3)
    for trans_a, trans_b, m, n, k in [(False, False, 77, 93, 300), (True, True, 130, 41, 65), (False, True, 5, 300, 17)]:
        a = rand(rng, *((k, m) if trans_a else (m, k)))
        b = rand(rng, *((n, k) if trans_b else (k, n)))
        _core.set_isa("portable")
        want = _core.matmul(a, b, trans_a, trans_b)
        _core.set_isa(isa)
        got = _core.matmul(a, b, trans_a, trans_b)
        np.testing.assert_allclose(got, want, **gemm_tolerance(k))


@pytest.mark.parametrize("isa", ISAS)
def test_one_and_two_threads_bitwise_equal(isa):
    _core.set_isa(isa)
    rng = np.random.default_rng(5)
    # Large enough (> 2 MFLOP) that the thread policy really uses two threads.
    x, w, b = rand(rng, 250, 300), rand(rng, 300, 130), rand(rng, 130)
    results = []
    for threads in (1, 2):
        _core.set_num_threads(threads)
        out = np.empty((250, 130), np.float32)
        _core.dense_forward(x, w, b, "relu", out)
        dx, dw, db = np.empty_like(x), np.empty_like(w), np.empty_like(b)
        _core.dense_backward(x, w, out, out * 0.5 - 0.1, "relu", dx, dw, db)
        results.append((_core.matmul(x, w, False, False), out, dx, dw, db))
    for first, second in zip(*results):
        np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("trans_a,trans_b", [(False, False), (True, True)])
def test_row_split_matches_numpy_and_one_thread(isa, trans_a, trans_b):
    # Many rows: threads split them (each packing its own A) around a shared B, repacked per
    # (NC, KC) block: n > 2048 and k > 1024 cross both, and m leaves ragged MR panels.
    _core.set_isa(isa)
    rng = np.random.default_rng(13)
    for m, n, k in [(397, 2100, 40), (300, 70, 1030), (1024, 256, 784), (1000, 33, 257)]:
        a = rand(rng, k, m) if trans_a else rand(rng, m, k)
        b = rand(rng, n, k) if trans_b else rand(rng, k, n)
        results = []
        for threads in (1, 2, 3):
            _core.set_num_threads(threads)
            results.append(_core.matmul(a, b, trans_a, trans_b))
        ref = (a.T if trans_a else a).astype(np.float64) @ (b.T if trans_b else b).astype(np.float64)
        np.testing.assert_allclose(results[0], ref, **gemm_tolerance(k))
        for other in results[1:]:
            np.testing.assert_array_equal(other, results[0])


@pytest.mark.parametrize("isa", ISAS)
def test_row_bands_that_end_inside_a_panel(isa):
    # Threads take equal bands of rows, so a band may end inside an MR panel (128 rows: 64 + 64 on two
    # threads, 43 + 43 + 42 on three): that panel is computed in two parts, each by its own thread,
    # with alpha and beta applied to the same bits as one thread's whole panel.
    _core.set_isa(isa)
    rng = np.random.default_rng(17)
    for m, n, k in [(128, 600, 96), (130, 40, 300)]:
        a, b, c0 = rand(rng, m, k), rand(rng, k, n), rand(rng, m, n)
        results = []
        for threads in (1, 2, 3):
            _core.set_num_threads(threads)
            c = c0.copy()
            _core.sgemm(False, False, m, n, k, 0.75, a, k, b, n, 1.5, c, n)
            results.append(c)
        ref = 0.75 * (a.astype(np.float64) @ b.astype(np.float64)) + 1.5 * c0
        np.testing.assert_allclose(results[0], ref, **gemm_tolerance(k))
        for other in results[1:]:
            np.testing.assert_array_equal(other, results[0])


@pytest.mark.parametrize("isa", ISAS)
def test_unpacked_a_shapes(isa):
    # An unmasked A feeding at most 512 columns is read in place on ISAs with direct-A kernels, as
    # stored or transposed: ragged row panels, ragged column panels, several KC blocks (k > 1024, A
    # read from the middle of its rows or columns), padded lda, beta, the dense epilogue and the weight
    # gradient, against float64 and portable, and bitwise across thread counts.
    rng = np.random.default_rng(21)
    for i, (m, k, n) in enumerate([(5, 3, 32), (13, 1025, 33), (100, 2100, 100), (37, 300, 512), (1030, 40, 64),
                                   (24, 784, 256)]):
        alpha, beta = [(1.0, 0.0), (-0.5, 0.25), (2.0, 1.0)][i % 3]
        _core.set_isa(isa)
        for trans_a in (False, True):
            c, ref, _ = run_sgemm(rng, trans_a, False, m, n, k, alpha, beta, pad=(i % 4, 0, i % 3))
            np.testing.assert_allclose(c, ref, **gemm_tolerance(k), err_msg=str((trans_a, m, k, n)))
        x, w, bias = rand(rng, m, k), rand(rng, k, n), rand(rng, n)
        results = []
        for name, threads in ((isa, 1), (isa, 2), ("portable", 1)):
            _core.set_isa(name)
            _core.set_num_threads(threads)
            out = np.empty((m, n), np.float32)
            _core.dense_forward(x, w, bias, "relu", out)
            dw = _core.matmul(x, out, True, False)  # x^T out: A transposed
            results.append((out, dw))
        for got, want in zip(results[1], results[0]):
            np.testing.assert_array_equal(got, want)
        for got, want in zip(results[0], results[2]):
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-3 * max(1.0, float(np.abs(want).max())))
        np.testing.assert_allclose(results[0][0], dense_reference(x, w, bias, "relu"), **gemm_tolerance(k))


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("trans_a", [False, True])
def test_unpacked_a_gives_the_packed_bits(isa, trans_a):
    # 512 columns read A in place, 513 pack it (kDirectAMaxCols): the first 512 columns are the same
    # FMA chains either way, so they must agree bit for bit.
    _core.set_isa(isa)
    rng = np.random.default_rng(22)
    for m, k in [(37, 300), (1030, 1100)]:
        a = rand(rng, k, m) if trans_a else rand(rng, m, k)
        b = rand(rng, k, 513)
        wide = _core.matmul(a, b, trans_a, False)
        np.testing.assert_array_equal(_core.matmul(a, np.ascontiguousarray(b[:, :512]), trans_a, False), wide[:, :512])


# Shapes of the no-packing path (m <= 4 rows, or n below one register tile) and its blocking: column
# blocks of 256 / 160 / 112 / 96 floats for 1 / 2 / 3 / 4 rows, row blocks of 12; narrow outputs of
# many rows (over 2 MFLOP) are split between threads by rows.
SMALL_M_SHAPES = [(m, k, n) for m in (1, 2, 3, 4) for k in (0, 1, 7, 128, 784)
                  for n in (1, 10, 16, 17, 95, 96, 97, 112, 160, 255, 256, 257, 300, 513)]
SMALL_N_SHAPES = ([(m, k, n) for m in (5, 11, 12, 13, 24, 32, 100) for k in (1, 9, 256) for n in (1, 10, 15, 16, 17, 31)]
                  + [(m, 256, n) for m in (777, 1024) for n in (10, 31)])


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("trans_a", [False, True])
def test_small_matrix_shapes(isa, trans_a):
    _core.set_isa(isa)
    rng = np.random.default_rng(13)
    for i, (m, k, n) in enumerate(SMALL_M_SHAPES + SMALL_N_SHAPES):
        alpha, beta = [(1.0, 0.0), (-0.5, 0.25), (2.0, 1.0)][i % 3]
        c, ref, _ = run_sgemm(rng, trans_a, False, m, n, k, alpha, beta, pad=(i % 3, i % 5, i % 2),
                              nan_c=beta == 0.0)
        np.testing.assert_allclose(c, ref, **gemm_tolerance(k), equal_nan=True, err_msg=str((m, k, n)))


@pytest.mark.parametrize("isa", ISAS)
def test_small_matrix_dense_epilogue(isa):
    _core.set_isa(isa)
    rng = np.random.default_rng(14)
    for m, k, n in [(1, 784, 256), (1, 256, 128), (1, 128, 10), (4, 784, 10), (32, 256, 10), (3, 50, 300),
                    (2, 7, 17), (13, 5, 31), (1024, 128, 10), (500, 300, 31)]:
        x, w, b = rand(rng, m, k), rand(rng, k, n), rand(rng, n)
        for activation in ("linear", "relu"):
            out = np.full((m, n), np.nan, np.float32)
            _core.dense_forward(x, w, b, activation, out)
            np.testing.assert_allclose(out, dense_reference(x, w, b, activation), **gemm_tolerance(k))


@pytest.mark.parametrize("isa", ISAS)
def test_small_matrix_isa_matches_portable(isa):
    rng = np.random.default_rng(15)
    for m, k, n in [(1, 784, 256), (4, 300, 33), (32, 256, 10), (2, 1030, 5)]:
        a, b = rand(rng, m, k), rand(rng, k, n)
        _core.set_isa("portable")
        want = _core.matmul(a, b)
        _core.set_isa(isa)
        np.testing.assert_allclose(_core.matmul(a, b), want, **gemm_tolerance(k))


@pytest.mark.parametrize("isa", ISAS)
def test_small_matrix_one_and_two_threads_bitwise_equal(isa):
    # Threads split the small path by columns (few rows) or by rows (narrow outputs); neither the split
    # nor the choice of path may depend on the thread count.
    _core.set_isa(isa)
    rng = np.random.default_rng(16)
    for m, k, n in [(1, 784, 256), (2, 1000, 300), (4, 784, 1000), (1, 128, 10), (32, 256, 10), (1024, 128, 10),
                    (777, 300, 17)]:
        x, w, b = rand(rng, m, k), rand(rng, k, n), rand(rng, n)
        results = []
        for threads in (1, 2):
            _core.set_num_threads(threads)
            out = np.empty((m, n), np.float32)
            _core.dense_forward(x, w, b, "relu", out)
            results.append((out, _core.matmul(x, w), _core.matmul(np.ascontiguousarray(x.T), w, True, False)))
        for first, second in zip(*results):
            np.testing.assert_array_equal(first, second)


# ---------------------------------------------------------------------------------------- matmul


@pytest.mark.parametrize("trans_a,trans_b", [(False, False), (True, False), (False, True), (True, True)])
def test_matmul(trans_a, trans_b):
    rng = np.random.default_rng(2)
    a, b = rand(rng, 33, 20), rand(rng, 20, 41)
    a_in = np.ascontiguousarray(a.T) if trans_a else a
    b_in = np.ascontiguousarray(b.T) if trans_b else b
    out = _core.matmul(a_in, b_in, trans_a, trans_b)
    assert out.shape == (33, 41) and out.dtype == np.float32
    np.testing.assert_allclose(out, a.astype(np.float64) @ b, rtol=1e-5, atol=1e-5)
    given_out = np.full((33, 41), np.nan, np.float32)
    assert _core.matmul(a_in, b_in, trans_a, trans_b, out=given_out) is given_out
    np.testing.assert_array_equal(given_out, out)


def test_matmul_empty():
    assert _core.matmul(np.zeros((0, 3), np.float32), np.zeros((3, 4), np.float32)).shape == (0, 4)
    np.testing.assert_array_equal(_core.matmul(np.zeros((2, 0), np.float32), np.zeros((0, 4), np.float32)),
                                  np.zeros((2, 4), np.float32))


# ----------------------------------------------------------------------------------- elementwise


@HYPOTHESIS
@given(m=st.integers(0, 40), n=st.integers(0, 300), seed=st.integers(0, 2**31 - 1))
def test_bias_add_and_bias_grad(m, n, seed):
    rng = np.random.default_rng(seed)
    y, b = rand(rng, m, n), rand(rng, n)
    expect = y + b
    _core.bias_add(y, b)
    np.testing.assert_array_equal(y, expect)
    out = np.full(n, np.nan, np.float32)
    _core.bias_grad(y, out)
    np.testing.assert_allclose(out, y.astype(np.float64).sum(axis=0), rtol=1e-6, atol=1e-6)


def test_bias_grad_deterministic_across_threads():
    rng = np.random.default_rng(4)
    dy = rand(rng, 3000, 300)
    outs = []
    for threads in (1, 2):
        _core.set_num_threads(threads)
        out = np.empty(300, np.float32)
        _core.bias_grad(dy, out)
        outs.append(out)
    np.testing.assert_array_equal(outs[0], outs[1])


def test_relu():
    x = np.array([[-1.0, 0.0, -0.0, 2.5], [np.nan, -np.inf, np.inf, 1e-30]], np.float32)
    out = np.empty_like(x)
    _core.relu(x, out)
    np.testing.assert_array_equal(out, np.array([[0, 0, 0, 2.5], [np.nan, 0, np.inf, 1e-30]], np.float32))
    assert np.isnan(out[1, 0])  # NaN propagates
    big = np.random.default_rng(0).standard_normal(200_003).astype(np.float32)
    expect = np.maximum(big, 0)
    _core.relu(big, big)  # in place
    np.testing.assert_array_equal(big, expect)


def test_relu_backward():
    rng = np.random.default_rng(6)
    dy, y = rand(rng, 31, 17), rand(rng, 31, 17)
    y[0, :5] = [0.0, -0.0, np.nan, 1e-38, -1e-38]
    out = np.empty_like(dy)
    _core.relu_backward(dy, y, out)
    np.testing.assert_array_equal(out, np.where(y > 0, dy, 0))
    expect = np.where(y > 0, dy, 0)
    _core.relu_backward(dy, y, dy)  # out aliases dy
    np.testing.assert_array_equal(dy, expect)


# ------------------------------------------------------------------------------------------ dense


def dense_reference(x, w, b, activation):
    z = x.astype(np.float64) @ w
    if b is not None:
        z = z + b
    return np.maximum(z, 0) if activation == "relu" else z


@HYPOTHESIS
@given(
    m=st.sampled_from([0, 1, 2, 5, 12, 13, 32, 33]),
    k=st.sampled_from([0, 1, 3, 16, 17, 100, 257]),
    n=st.sampled_from([1, 2, 10, 31, 32, 33, 64, 100]),
    activation=st.sampled_from(["linear", "relu"]),
    with_bias=st.booleans(),
    with_dx=st.booleans(),
    seed=st.integers(0, 2**31 - 1),
)
def test_dense_forward_backward(m, k, n, activation, with_bias, with_dx, seed):
    rng = np.random.default_rng(seed)
    x, w = rand(rng, m, k), rand(rng, k, n)
    b = rand(rng, n) if with_bias else None
    y = np.full((m, n), np.nan, np.float32)
    _core.dense_forward(x, w, b, activation, y)
    tol = gemm_tolerance(k)
    np.testing.assert_allclose(y, dense_reference(x, w, b, activation), **tol)

    dy = rand(rng, m, n)
    dy_before = dy.copy()
    dx = np.full((m, k), np.nan, np.float32) if with_dx else None
    dw = np.full((k, n), np.nan, np.float32)
    db = np.full(n, np.nan, np.float32) if with_bias else None
    _core.dense_backward(x, w, y, dy, activation, dx, dw, db)
    np.testing.assert_array_equal(dy, dy_before)
    dz = dy.astype(np.float64) * (y > 0) if activation == "relu" else dy.astype(np.float64)
    np.testing.assert_allclose(dw, x.T.astype(np.float64) @ dz, **gemm_tolerance(m))
    if with_bias:
        np.testing.assert_allclose(db, dz.sum(axis=0), rtol=1e-5, atol=1e-5)
    if with_dx:
        np.testing.assert_allclose(dx, dz @ w.T, **gemm_tolerance(n))


def test_dense_forward_matches_composed_ops():
    rng = np.random.default_rng(8)
    x, w, b = rand(rng, 32, 784), rand(rng, 784, 256), rand(rng, 256)
    fused = np.empty((32, 256), np.float32)
    _core.dense_forward(x, w, b, "relu", fused)
    composed = _core.matmul(x, w)
    _core.bias_add(composed, b)
    _core.relu(composed, composed)
    np.testing.assert_allclose(fused, composed, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("isa", ISAS)
def test_a_rows_product_does_not_depend_on_its_batch(isa):
    # A few rows take the small kernel, more the blocked one; past one KC block of k both sum the
    # blocks alike, so a row's bits are the same in any batch.
    _core.set_isa(isa)
    rng = np.random.default_rng(25)
    for k, n in [(1025, 64), (2049, 10), (3100, 40)]:
        x, w = rand(rng, 200, k), rand(rng, k, n)
        for threads in (1, 2):
            _core.set_num_threads(threads)
            whole = _core.matmul(x, w)
            for m in (1, 2, 3, 4, 5, 13):
                np.testing.assert_array_equal(_core.matmul(x[:m], w), whole[:m], err_msg=f"k={k} m={m}")


def _half_depth_reference(x, w, b):
    """relu((x0 w0 + x1 w1) + b) over the halves of k, each product a plain matmul, summed in float32."""
    half = x.shape[1] // 2
    first = _core.matmul(np.ascontiguousarray(x[:, :half]), w[:half])
    second = _core.matmul(np.ascontiguousarray(x[:, half:]), w[half:])
    return np.maximum((first + second) + b, np.float32(0))


@pytest.mark.parametrize("isa", ISAS)
def test_deep_dense_forward_sums_two_half_depth_products(isa):
    # For a batch of up to 512 rows and k >= 512, each core reads only its half of w (the half its
    # optimizer threads update): the forward adds the products over the two halves of k. The bits
    # depend on the shape only: the same on one thread and two, and a row's output is the same in
    # any such batch.
    _core.set_isa(isa)
    rng = np.random.default_rng(23)
    for k, n in [(512, 32), (784, 256), (1001, 33), (2048, 300), (3001, 40)]:
        x, w, b = rand(rng, 512, k), rand(rng, k, n), rand(rng, n)
        want = _half_depth_reference(x, w, b)
        reference = np.maximum(x.astype(np.float64) @ w + b, 0)
        np.testing.assert_allclose(want, reference, **gemm_tolerance(k))
        for threads in (1, 2):
            _core.set_num_threads(threads)
            for m in (1, 2, 4, 5, 13, 64, 300, 512):
                got = np.empty((m, n), np.float32)
                _core.dense_forward(x[:m], w, b, "relu", got)
                np.testing.assert_array_equal(got, want[:m], err_msg=f"k={k} n={n} m={m} threads={threads}")


@pytest.mark.parametrize("m, k, n", [(64, 511, 256), (64, 784, 31), (513, 784, 256)])
def test_shallow_narrow_or_tall_dense_forward_is_one_product(m, k, n):
    rng = np.random.default_rng(24)
    x, w, b = rand(rng, m, k), rand(rng, k, n), rand(rng, n)
    got = np.empty((m, n), np.float32)
    _core.dense_forward(x, w, b, "relu", got)
    np.testing.assert_array_equal(got, np.maximum(_core.matmul(x, w) + b, np.float32(0)))
    assert not np.array_equal(got, _half_depth_reference(x, w, b))


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("m", [1, 5, 32, 128])
def test_dense_backward_relu_mask_equals_masked_dy(isa, m):
    # The mask is applied while packing dy: bitwise the same as a linear backward on dy * (y > 0),
    # including NaN in y (no gradient) and NaN in dy where y masks it out.
    _core.set_isa(isa)
    rng = np.random.default_rng(17 + m)
    for k, n in [(784, 256), (256, 128), (128, 10), (33, 47)]:
        x, w = rand(rng, m, k), rand(rng, k, n)
        y, dy = rand(rng, m, n), rand(rng, m, n)
        y[0, 0], dy.flat[-1], y.flat[-1] = np.nan, np.nan, -1.0
        got = [np.empty_like(x), np.empty_like(w), np.empty(n, np.float32)]
        want = [np.empty_like(x), np.empty_like(w), np.empty(n, np.float32)]
        _core.dense_backward(x, w, y, dy, "relu", *got)
        _core.dense_backward(x, w, y, np.where(y > 0, dy, 0).astype(np.float32), "linear", *want)
        for g, e in zip(got, want):
            np.testing.assert_array_equal(g, e)
        assert not np.isnan(got[1]).any()


@pytest.mark.parametrize("isa", ISAS)
def test_dense_tanh_is_tanh_of_linear_and_matches_portable_on_one_and_two_threads(isa):
    # Forward: tanh of the linear output, within 1.5 ulp of float64's tanh of it. Backward: bitwise a
    # linear backward on dy * (1 - y^2). One and two threads agree bitwise, and the ISA with the
    # portable kernel up to the GEMM's rounding (the tanh kernels alone agree bitwise: C++ test).
    rng = np.random.default_rng(19)
    x, w, b = rand(rng, 64, 300) * 0.3, rand(rng, 300, 700), rand(rng, 700)
    dy = rand(rng, 64, 700)
    results = []
    for name, threads in (("portable", 1), (isa, 1), (isa, 2)):
        _core.set_isa(name)
        _core.set_num_threads(threads)
        linear, y = np.empty((64, 700), np.float32), np.empty((64, 700), np.float32)
        _core.dense_forward(x, w, b, "linear", linear)
        _core.dense_forward(x, w, b, "tanh", y)
        want = np.tanh(linear.astype(np.float64))
        ulp = np.spacing(np.abs(want).astype(np.float32)).astype(np.float64)
        assert (np.abs(y - want) / ulp).max() <= 1.5
        grads = [np.empty_like(x), np.empty_like(w), np.empty_like(b)]
        linear_grads = [np.empty_like(x), np.empty_like(w), np.empty_like(b)]
        _core.dense_backward(x, w, y, dy, "tanh", *grads)
        _core.dense_backward(x, w, y, (dy * (np.float32(1) - y * y)).astype(np.float32), "linear", *linear_grads)
        for got, expected in zip(grads, linear_grads):
            np.testing.assert_array_equal(got, expected)
        results.append([y] + grads)
    for got, expected in zip(results[2], results[1]):
        np.testing.assert_array_equal(got, expected)
    for got, expected in zip(results[1], results[0]):
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


def test_dense_backward_without_dx_or_db():
    rng = np.random.default_rng(18)
    x, w, y, dy = rand(rng, 32, 784), rand(rng, 784, 256), rand(rng, 32, 256), rand(rng, 32, 256)
    full = [np.empty_like(x), np.empty_like(w), np.empty(256, np.float32)]
    _core.dense_backward(x, w, y, dy, "relu", *full)
    dw = np.empty_like(w)
    _core.dense_backward(x, w, y, dy, "relu", None, dw, None)
    np.testing.assert_array_equal(dw, full[1])


@pytest.mark.parametrize("isa", ISAS)
def test_dense_backward_mlp_shapes_one_and_two_threads_bitwise_equal(isa):
    _core.set_isa(isa)
    rng = np.random.default_rng(19)
    for m in (32, 128):
        for k, n in [(784, 256), (256, 128), (128, 10)]:
            x, w, y, dy = rand(rng, m, k), rand(rng, k, n), rand(rng, m, n), rand(rng, m, n)
            results = []
            for threads in (1, 2):
                _core.set_num_threads(threads)
                outs = [np.empty_like(x), np.empty_like(w), np.empty(n, np.float32)]
                _core.dense_backward(x, w, y, dy, "relu", *outs)
                results.append(outs)
            for first, second in zip(*results):
                np.testing.assert_array_equal(first, second)
            dz = dy.astype(np.float64) * (y > 0)
            np.testing.assert_allclose(results[0][1], x.T.astype(np.float64) @ dz, **gemm_tolerance(m))
            np.testing.assert_allclose(results[0][0], dz @ w.T, **gemm_tolerance(n))


# ------------------------------------------------------------------------------------------- loss


def softmax_ce_reference(logits, labels):
    z = logits.astype(np.float64)
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    m = len(labels)
    loss = -logp[np.arange(m), labels].mean()
    grad = np.exp(logp)
    grad[np.arange(m), labels] -= 1
    return loss, grad / m


@pytest.mark.parametrize("label_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("m,c", [(1, 1), (1, 10), (7, 3), (64, 10), (300, 1000)])
def test_softmax_cross_entropy(label_dtype, m, c):
    rng = np.random.default_rng(m * c)
    logits = (rng.standard_normal((m, c)) * 5).astype(np.float32)
    labels = rng.integers(0, c, m).astype(label_dtype)
    dlogits = np.full_like(logits, np.nan)
    loss = _core.softmax_cross_entropy(logits, labels, dlogits, 2.0)
    ref_loss, ref_grad = softmax_ce_reference(logits, labels)
    assert loss == pytest.approx(ref_loss, rel=1e-6, abs=1e-6)
    np.testing.assert_allclose(dlogits, 2.0 * ref_grad, rtol=1e-5, atol=1e-7)
    assert _core.softmax_cross_entropy(logits, labels, None, 1.0) == loss


def test_softmax_cross_entropy_has_the_same_bits_on_any_thread_count():
    # 30,000 logits: split from two threads on, however long the team has idled.
    rng = np.random.default_rng(11)
    logits = (rng.standard_normal((3000, 10)) * 5).astype(np.float32)
    labels = rng.integers(0, 10, 3000)
    results = []
    for threads in (1, 2, 3):
        _core.set_num_threads(threads)
        dlogits = np.empty_like(logits)
        results.append((_core.softmax_cross_entropy(logits, labels, dlogits, 1.0), dlogits))
    for loss, dlogits in results[1:]:
        assert loss == results[0][0]
        np.testing.assert_array_equal(dlogits, results[0][1])


def test_softmax_cross_entropy_is_stable_for_large_logits():
    logits = np.array([[1e4, 0.0, -1e4], [-5e3, 5e3, 5e3]], np.float32)
    labels = np.array([0, 1], np.int64)
    dlogits = np.empty_like(logits)
    loss = _core.softmax_cross_entropy(logits, labels, dlogits, 1.0)
    assert loss == pytest.approx(np.log(2) / 2)
    assert np.isfinite(dlogits).all()


@pytest.mark.parametrize("m,c", [(1, 1), (1, 10), (7, 3), (64, 10), (3000, 10)])
def test_softmax_cross_entropy_against_class_probabilities(m, c):
    rng = np.random.default_rng(m + c)
    logits = (rng.standard_normal((m, c)) * 5).astype(np.float32)
    # Soft targets that do not sum to one: the gradient's softmax term scales with each row's mass.
    targets = rng.uniform(0, 1, (m, c)).astype(np.float32)
    dlogits = np.full_like(logits, np.nan)
    loss = _core.softmax_cross_entropy(logits, targets, dlogits, 2.0)
    z = logits.astype(np.float64) - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    t = targets.astype(np.float64)
    assert loss == pytest.approx(-(t * logp).sum(axis=1).mean(), rel=1e-6)
    want = (np.exp(logp) * t.sum(axis=1, keepdims=True) - t) / m
    np.testing.assert_allclose(dlogits, 2.0 * want, rtol=1e-5, atol=1e-7)
    # One-hot rows are the labels themselves, to the bit.
    labels = rng.integers(0, c, m)
    onehot = np.eye(c, dtype=np.float32)[labels]
    sparse, dense = np.empty_like(logits), np.empty_like(logits)
    assert _core.softmax_cross_entropy(logits, onehot, dense, 1.0) == _core.softmax_cross_entropy(
        logits, labels, sparse, 1.0)
    np.testing.assert_array_equal(dense, sparse)


@pytest.mark.parametrize("m,c", [(1, 1), (7, 3), (128, 1), (3000, 10)])
def test_sigmoid_cross_entropy_against_numpy(m, c):
    rng = np.random.default_rng(m * 7 + c)
    logits = (rng.standard_normal((m, c)) * 6).astype(np.float32)
    targets = rng.uniform(0, 1, (m, c)).astype(np.float32)  # soft targets too
    dlogits = np.full_like(logits, np.nan)
    loss = _core.sigmoid_cross_entropy(logits, targets, dlogits, 3.0)
    z, t = logits.astype(np.float64), targets.astype(np.float64)
    assert loss == pytest.approx((np.logaddexp(0, z) - t * z).mean(), rel=1e-6)
    np.testing.assert_allclose(dlogits, 3.0 * (1 / (1 + np.exp(-z)) - t) / (m * c), rtol=1e-5, atol=1e-9)
    results = []
    for threads in (1, 2):
        _core.set_num_threads(threads)
        grad = np.empty_like(logits)
        results.append((_core.sigmoid_cross_entropy(logits, targets, grad, 1.0), grad))
    assert results[0][0] == results[1][0]
    np.testing.assert_array_equal(results[0][1], results[1][1])


def test_sigmoid_cross_entropy_is_exact_for_large_logits_and_checks_its_arguments():
    logits = np.array([[1e4, -1e4, 80.0, -80.0]], np.float32)
    targets = np.array([[1.0, 0.0, 0.0, 1.0]], np.float32)
    grad = np.empty_like(logits)
    assert _core.sigmoid_cross_entropy(logits, targets, grad, 1.0) == pytest.approx(160.0 / 4)
    np.testing.assert_allclose(grad, [[0.0, 0.0, 0.25, -0.25]], atol=1e-30)
    with pytest.raises(ValueError, match=r"float32 binary targets of shape \(1, 4\). Received: labels.dtype=int64"):
        _core.sigmoid_cross_entropy(logits, np.zeros((1, 4), np.int64), None, 1.0)
    with pytest.raises(ValueError, match=r"Received: labels.shape=\(4,\)"):
        _core.sigmoid_cross_entropy(logits, np.zeros(4, np.float32), None, 1.0)


def test_softmax_cross_entropy_bad_label():
    logits = np.zeros((4, 3), np.float32)
    with pytest.raises(ValueError, match=r"labels\[2\]=3"):
        _core.softmax_cross_entropy(logits, np.array([0, 1, 3, -1], np.int32), None, 1.0)
    with pytest.raises(ValueError, match=r"labels\[0\]=-1"):
        _core.softmax_cross_entropy(logits, np.array([-1, 1, 2, 0], np.int64), None, 1.0)


# ---------------------------------------------------------------------------- threads and ISAs


def test_threads_api():
    _core.set_num_threads(1)
    assert _core.get_num_threads() == 1
    _core.set_num_threads(3)
    assert _core.get_num_threads() == 3
    for bad in (0, -2, 10**6):
        with pytest.raises(ValueError, match="set_num_threads"):
            _core.set_num_threads(bad)


def test_isa_api():
    compiled = _core.compiled_isas()
    assert "portable" in compiled and compiled[-1] == "portable"
    assert _core.selected_isa() in compiled
    _core.set_isa("portable")
    assert _core.selected_isa() == "portable"
    with pytest.raises(ValueError, match=r"set_isa: .*Received: name='sse9'"):
        _core.set_isa("sse9")


# ---------------------------------------------------------------------------------- error paths

F32 = np.float32


def _ro(shape):
    a = np.zeros(shape, F32)
    a.setflags(write=False)
    return a


ERROR_CASES = {
    "sgemm float64": (lambda: _core.sgemm(False, False, 2, 2, 2, 1.0, np.zeros(4), 2, np.zeros(4, F32), 2, 0.0,
                                          np.zeros(4, F32), 2), r"sgemm: argument 'a' must have dtype float32.*Received: a.dtype=float64"),
    "sgemm non-contiguous": (lambda: _core.sgemm(False, False, 2, 2, 2, 1.0, np.zeros(8, F32)[::2], 2,
                                                 np.zeros(4, F32), 2, 0.0, np.zeros(4, F32), 2), r"'a' must be C-contiguous"),
    "sgemm small a": (lambda: _core.sgemm(False, False, 3, 2, 2, 1.0, np.zeros(6, F32), 3, np.zeros(4, F32), 2,
                                          0.0, np.zeros(6, F32), 2), r"'a' is too small.*needs|'a' is too small.*Received: a.size=6"),
    "sgemm small lda": (lambda: _core.sgemm(False, False, 2, 2, 3, 1.0, np.zeros(6, F32), 2, np.zeros(6, F32), 2,
                                            0.0, np.zeros(4, F32), 2), r"'lda' must be >= max\(1, 3\)=3.*Received: lda=2"),
    "sgemm small c": (lambda: _core.sgemm(False, True, 2, 3, 1, 1.0, np.zeros(2, F32), 1, np.zeros(3, F32), 1,
                                          0.0, np.zeros(5, F32), 3), r"'c' is too small.*Received: c.size=5"),
    "sgemm read-only c": (lambda: _core.sgemm(False, False, 1, 1, 1, 1.0, np.zeros(1, F32), 1, np.zeros(1, F32), 1,
                                              0.0, _ro(1), 1), r"'c' is an output and must be writeable"),
    "sgemm negative": (lambda: _core.sgemm(False, False, -1, 1, 1, 1.0, np.zeros(1, F32), 1, np.zeros(1, F32), 1,
                                           0.0, np.zeros(1, F32), 1), r"sgemm: sizes .*Received: m=-1"),
    "sgemm aliased c": (lambda: (lambda buf: _core.sgemm(False, False, 2, 2, 2, 1.0, buf, 2, np.zeros(4, F32), 2,
                                                         0.0, buf, 2))(np.zeros(4, F32)), r"'c' must not share memory with 'a'"),
    "sgemm not an array": (lambda: _core.sgemm(False, False, 1, 1, 1, 1.0, [1.0], 1, np.zeros(1, F32), 1, 0.0,
                                               np.zeros(1, F32), 1), r"'a' must be a numpy array.*Received: an object of type list"),
    "matmul inner": (lambda: _core.matmul(np.zeros((2, 3), F32), np.zeros((4, 2), F32)), r"matmul: inner dimensions"),
    "matmul ndim": (lambda: _core.matmul(np.zeros(3, F32), np.zeros((3, 2), F32)), r"matmul: argument 'a' must be 2-D"),
    "matmul out shape": (lambda: _core.matmul(np.zeros((2, 3), F32), np.zeros((3, 4), F32), out=np.zeros((4, 2), F32)),
                         r"'out' must have shape \(2, 4\). Received: out.shape=\(4, 2\)"),
    "matmul out read-only": (lambda: _core.matmul(np.zeros((2, 3), F32), np.zeros((3, 4), F32), out=_ro((2, 4))),
                             r"'out' is an output and must be writeable"),
    "bias_add shape": (lambda: _core.bias_add(np.zeros((2, 3), F32), np.zeros(4, F32)),
                       r"bias_add: argument 'b' must have shape \(3,\).*Received: b.shape=\(4,\)"),
    "bias_add read-only": (lambda: _core.bias_add(_ro((2, 3)), np.zeros(3, F32)), r"'y' is an output"),
    "relu size": (lambda: _core.relu(np.zeros(3, F32), np.zeros(4, F32)), r"relu: argument 'out' must have as many"),
    "relu dtype out": (lambda: _core.relu(np.zeros(3, F32), np.zeros(3, np.float64)), r"'out' must have dtype float32"),
    "relu_backward size": (lambda: _core.relu_backward(np.zeros(3, F32), np.zeros(2, F32), np.zeros(3, F32)),
                           r"relu_backward: arguments"),
    "bias_grad shape": (lambda: _core.bias_grad(np.zeros((2, 3), F32), np.zeros(2, F32)),
                        r"bias_grad: argument 'out' must have shape \(3,\)"),
    "dense w shape": (lambda: _core.dense_forward(np.zeros((32, 784), F32), np.zeros((100, 256), F32), None, "relu",
                                                  np.zeros((32, 256), F32)),
                      r"dense_forward: argument 'w' must have shape \(784, n\) to match x of shape \(32, 784\)\. "
                      r"Received: w.shape=\(100, 256\)"),
    "dense activation": (lambda: _core.dense_forward(np.zeros((2, 3), F32), np.zeros((3, 4), F32), None, "gelu",
                                                     np.zeros((2, 4), F32)),
                         r"'linear', 'relu', 'tanh'.*Received: activation='gelu'"),
    "dense bias shape": (lambda: _core.dense_forward(np.zeros((2, 3), F32), np.zeros((3, 4), F32), np.zeros(3, F32),
                                                     "linear", np.zeros((2, 4), F32)), r"'b' must have shape \(4,\)"),
    "dense out read-only": (lambda: _core.dense_forward(np.zeros((2, 3), F32), np.zeros((3, 4), F32), None, "linear",
                                                        _ro((2, 4))), r"'out' is an output"),
    "dense_backward dy": (lambda: _core.dense_backward(np.zeros((2, 3), F32), np.zeros((3, 4), F32), np.zeros((2, 4), F32),
                                                       np.zeros((2, 5), F32), "relu", None, np.zeros((3, 4), F32), None),
                          r"dense_backward: argument 'dy' must have shape \(2, 4\)"),
    "dense_backward dw": (lambda: _core.dense_backward(np.zeros((2, 3), F32), np.zeros((3, 4), F32), np.zeros((2, 4), F32),
                                                       np.zeros((2, 4), F32), "relu", None, np.zeros((4, 3), F32), None),
                          r"'dw' must have the shape of w \(3, 4\)"),
    "dense_backward dx aliases dw": (lambda: (lambda buf: _core.dense_backward(
        np.zeros((2, 3), F32), np.zeros((3, 4), F32), np.zeros((2, 4), F32), np.zeros((2, 4), F32), "linear",
        buf[:6].reshape(2, 3), buf.reshape(3, 4), None))(np.zeros(12, F32)), r"'dx' must not share memory with 'dw'"),
    "softmax labels dtype": (lambda: _core.softmax_cross_entropy(np.zeros((2, 3), F32), np.zeros(2, np.int16), None, 1.0),
                             r"'labels' must be int32 or int64 labels of shape \(2,\) or float32 class "
                             r"probabilities of shape \(2, 3\). Received: labels.dtype=int16"),
    "softmax labels shape": (lambda: _core.softmax_cross_entropy(np.zeros((2, 3), F32), np.zeros(3, np.int64), None, 1.0),
                             r"labels of shape \(2,\) .*Received: labels.shape=\(3,\)"),
    "softmax probabilities shape": (lambda: _core.softmax_cross_entropy(np.zeros((2, 3), F32), np.zeros(2, F32), None,
                                                                        1.0), r"Received: labels.shape=\(2,\)"),
    "softmax dlogits": (lambda: _core.softmax_cross_entropy(np.zeros((2, 3), F32), np.zeros(2, np.int64),
                                                            np.zeros((3, 2), F32), 1.0), r"'dlogits' must have the shape"),
    "squared_error targets dtype": (lambda: _core.squared_error(np.zeros((2, 3), F32), np.zeros((2, 3), np.int64),
                                                                None, 1.0),
                                    r"squared_error: argument 'labels' must be float32 targets of shape \(2, 3\)"),
    "unary_activation kind": (lambda: _core.unary_activation("swish", np.zeros(4, F32), np.zeros(4, F32)),
                              r"'kind' must be 'relu6', 'hard_sigmoid', 'hard_silu', 'softsign', 'silu', 'softplus', "
                              r"'mish' or 'log_sigmoid'. Received: kind='swish'"),
    "unary_activation_backward x size": (lambda: _core.unary_activation_backward(
        "relu6", np.zeros(4, F32), np.zeros(5, F32), np.zeros(4, F32)),
        r"'dy', 'x' and 'out' must have the same number of elements"),
    "sigmoid out size": (lambda: _core.sigmoid(np.zeros(4, F32), np.zeros(3, F32)),
                         r"sigmoid: argument 'out' must have as many elements as x \(4\)"),
    "elu_backward y size": (lambda: _core.elu_backward(np.zeros(4, F32), np.zeros(4, F32), np.zeros(3, F32),
                                                       np.zeros(4, F32), 1.0),
                            r"elu_backward: argument 'y' must have as many elements as out \(4\)"),
    "gelu_backward x size": (lambda: _core.gelu_backward(np.zeros(4, F32), np.zeros(5, F32), np.zeros(4, F32)),
                             r"'dy', 'x' and 'out' must have the same number of elements"),
    "factored_update rule": (lambda: _core.factored_update("ftrl", [np.zeros(2, F32)], [np.zeros(2, F32)], [], []),
                             r"'rule' must be 'nadam', 'adagrad', 'adamax', 'lion' or 'adadelta'. "
                             r"Received: rule='ftrl'"),
    "factored_update factors": (lambda: _core.factored_update("adagrad", [np.zeros(2, F32)], [np.zeros(2, F32)],
                                                              [[np.zeros(2, F32)]], [0.1]),
                                r"'factors' must hold 2 floats for adagrad. Received: 1 items"),
    "factored_update slots": (lambda: _core.factored_update("adamax", [np.zeros(2, F32)], [np.zeros(2, F32)],
                                                            [[np.zeros(2, F32)]], [0.1, 0.9, 1e-7, 0.1, 0.01]),
                              r"'slots' must hold 2 lists for adamax. Received: 1 items"),
    "factored_update slot shape": (lambda: _core.factored_update("adagrad", [np.zeros(2, F32)], [np.zeros(2, F32)],
                                                                 [[np.zeros(3, F32)]], [0.1, 1e-7]),
                                   r"'slots\[0\]\[0\]' must have the shape of values\[0\]"),
}


@pytest.mark.parametrize("name", sorted(ERROR_CASES))
def test_errors_raise_value_error(name):
    call, pattern = ERROR_CASES[name]
    with pytest.raises(ValueError, match=pattern):
        call()
