"""The native L2 penalty pass (`_core.l2_penalty`, `_core.sum_of_squares`) against numpy: the
gradient term rounded as numpy's `g + w * s`, the sums against float64, on every ISA and thread count."""
import numpy as np
import pytest

from pykeras import _core
from kernel_paths import supported_isas

SHAPES = [(200_003,), (4096,), (4097,), (37, 3), (0,), (1,)]


def _terms(seed):
    rng = np.random.default_rng(seed)
    values = [rng.normal(size=shape).astype(np.float32) for shape in SHAPES]
    big = values[0]
    big[:6] = [3e19, -2e-20, 0.0, -0.0, 1e-45, -3.4e38]  # squares past float32's range, a subnormal
    values[3][0, 0] = np.inf
    values[3][1, 1] = np.nan
    grads = [rng.normal(size=shape).astype(np.float32) for shape in SHAPES]
    scales = [np.float32(2) * np.float32(l2) for l2 in (1e-4, 0.01, 0.5, 3.0, 1.0, 1e-30)]
    return values, grads, scales


def _run(values, grads, scales):
    grads = [g.copy() for g in grads]
    sums = _core.l2_penalty(values, grads, scales)
    return sums, grads


@pytest.mark.parametrize("isa", supported_isas())
@pytest.mark.parametrize("threads", [1, 2, 3])
def test_penalty_matches_numpy_on_every_isa_and_thread_count(isa, threads):
    values, grads, scales = _terms(seed=3)
    _core.set_isa(isa)  # the ISA and thread count are restored after each test (conftest.py)
    _core.set_num_threads(threads)
    sums, got = _run(values, grads, scales)
    with np.errstate(all="ignore"):
        for w, g, s, total, new in zip(values, grads, scales, sums, got):
            np.testing.assert_array_equal(new.view(np.int32), (g + w * s).view(np.int32))
            want = np.sum(np.square(w.astype(np.float64)))
            if np.isfinite(want):
                assert total == pytest.approx(want, rel=1e-14)
            else:
                assert np.isnan(want) == np.isnan(total)
    _core.set_isa("portable")
    _core.set_num_threads(1)
    portable = _run(values, grads, scales)[0]
    np.testing.assert_array_equal(np.array(portable).view(np.uint64), np.array(sums).view(np.uint64))


def test_sums_are_sum_of_squares():
    values, grads, scales = _terms(seed=4)
    sums, _ = _run(values, grads, scales)
    want = [_core.sum_of_squares(w) for w in values]
    np.testing.assert_array_equal(np.array(sums).view(np.uint64), np.array(want).view(np.uint64))


def test_the_product_is_rounded_before_the_sum():
    # (1 + 2^-23)(1 - 2^-23) = 1 - 2^-46 rounds to 1, so -1 + it is 0; a fused multiply-add would
    # give -2^-46.
    g = np.array([-1.0, -3.0, 0.5], np.float32)
    w = np.array([1 + 2.0 ** -23, 1e-30, np.inf], np.float32)
    s = np.float32(1 - 2.0 ** -23)
    want = g + w * s
    assert want[0] == 0
    for isa in supported_isas():
        _core.set_isa(isa)
        got = g.copy()
        _core.l2_penalty([w], [got], [s])
        np.testing.assert_array_equal(got.view(np.int32), want.view(np.int32))


def test_sum_of_squares_is_the_float64_sum_whatever_the_threads():
    x = np.random.default_rng(12).normal(size=300_007).astype(np.float32)
    x[:3] = [3e19, -2e-20, 0.0]
    want = np.sum(np.square(x.astype(np.float64)))
    sums = []
    for threads in (1, 2):
        _core.set_num_threads(threads)
        sums.append(_core.sum_of_squares(x))
    assert sums[0] == sums[1]
    assert sums[0] == pytest.approx(want, rel=1e-14)
    assert _core.sum_of_squares(np.zeros(0, np.float32)) == 0.0
    with pytest.raises(ValueError, match="sum_of_squares: argument 'x' must have dtype float32"):
        _core.sum_of_squares(np.ones(3))


def _ones(*shape):
    return np.ones(shape, np.float32)


SHARED = _ones(8)
ERROR_CASES = {
    "values not a list": (lambda: (_ones(3), [_ones(3)], [1.0]),
                          r"l2_penalty: argument 'values' must be a list of float32 arrays"),
    "scales not a list": (lambda: ([_ones(3)], [_ones(3)], 1.0),
                          r"l2_penalty: argument 'scales' must be a list of floats. Received: .*float"),
    "grads too short": (lambda: ([_ones(3), _ones(2)], [_ones(3)], [1.0, 1.0]),
                        r"argument 'grads' must have one entry per value \(2\). Received: 1 entries"),
    "scales too long": (lambda: ([_ones(3)], [_ones(3)], [1.0, 2.0]),
                        r"argument 'scales' must have one entry per value \(1\). Received: 2 entries"),
    "float64 value": (lambda: ([np.ones(3)], [_ones(3)], [1.0]), r"argument 'values\[0\]' must have dtype float32"),
    "grad of another shape": (lambda: ([_ones(3)], [_ones(1, 3)], [1.0]),
                              r"argument 'grads\[0\]' must have the shape of values\[0\] \(3,\)"),
    "read-only grad": (lambda: ([_ones(3)], [np.ones(3, np.float32).view()], [1.0]), None),
    "non-contiguous grad": (lambda: ([_ones(3)], [_ones(6)[::2]], [1.0]), r"'grads\[0\]' must be C-contiguous"),
    "grad is the value": (lambda: ([SHARED], [SHARED], [1.0]),
                          r"'grads\[0\]' must not share memory with 'values\[0\]' \(one of them is updated"),
    "grad overlaps another value": (lambda: ([_ones(4), SHARED[:4]], [SHARED[2:6], _ones(4)], [1.0, 1.0]),
                                    r"must not share memory"),
}


def _read_only(case):
    values, grads, scales = case
    grads[0].flags.writeable = False
    return values, grads, scales


@pytest.mark.parametrize("name", sorted(ERROR_CASES))
def test_bad_arguments_raise_a_named_error(name):
    make, pattern = ERROR_CASES[name]
    args = make()
    if pattern is None:
        args = _read_only(args)
        pattern = r"argument 'grads\[0\]' is updated in place and must be writeable"
    with pytest.raises((ValueError, TypeError), match=pattern):
        _core.l2_penalty(*args)


def test_a_rejected_call_writes_nothing():
    grads = [np.zeros(5, np.float32), np.zeros(2, np.float32)]
    with pytest.raises(ValueError, match=r"grads\[1\]"):
        _core.l2_penalty([_ones(5), _ones(3)], grads, [1.0, 1.0])
    assert not grads[0].any()
    with pytest.raises(ValueError, match=r"l2_penalty: argument 'scales\[0\]' must be a number. Received: .*str"):
        _core.l2_penalty([_ones(5)], grads[:1], ["x"])
    assert not grads[0].any()
