"""Batch gathering: ``_core.take_rows`` (the copy fit uses for shuffled batches) against numpy's
fancy indexing, on 1 and 2 threads, and its argument checks."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pykeras import _core, config
from pykeras.models import data

RNG = np.random.default_rng(5)


@pytest.fixture(autouse=True)
def restore_threads():
    threads = config.get_num_threads()
    yield
    config.set_num_threads(threads)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize(
    "shape, dtype",
    # The first and the odd-width uint8 rows are copied in bands of bytes per thread (>= 64 rows).
    [((3000, 784), np.float32), ((600, 2053), np.uint8), ((500, 7), np.float64), ((4000,), np.int64),
     ((300, 2, 5), np.uint8), ((50, 3), np.bool_), ((40, 0), np.float32), ((20, 3), np.complex64)],
)
def test_take_rows_equals_numpy_indexing(shape, dtype, threads):
    config.set_num_threads(threads)
    x = (RNG.normal(size=shape) * 100).astype(dtype)
    for count in (0, 1, 33, 200):
        index = RNG.integers(0, shape[0], count)  # repeats allowed, as in any index
        got = _core.take_rows(x, index)
        assert got.dtype == x.dtype and got.shape == (count,) + shape[1:]
        np.testing.assert_array_equal(got, x[index])
        assert not np.shares_memory(got, x)


@settings(max_examples=60, deadline=None)
@given(rows=st.integers(1, 300), width=st.integers(0, 70), count=st.integers(0, 300), seed=st.integers(0, 99))
def test_take_rows_on_random_shapes(rows, width, count, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, width)).astype(np.float32)
    index = rng.integers(0, rows, count)
    np.testing.assert_array_equal(_core.take_rows(x, index), x[index])


def test_fit_batches_are_the_rows_numpy_would_take():
    x = RNG.normal(size=(1000, 20)).astype(np.float32)
    y = RNG.integers(0, 4, 1000)
    order = RNG.permutation(1000)[:128]
    xs, ys = data.take([x, y], order)
    np.testing.assert_array_equal(xs, x[order])
    np.testing.assert_array_equal(ys, y[order])
    columns = data.take({"a": x[:, :3], "b": x}, order)  # a strided view: numpy's own indexing
    np.testing.assert_array_equal(columns["a"], x[order, :3])
    np.testing.assert_array_equal(columns["b"], x[order])
    np.testing.assert_array_equal(data.take(x, slice(5, 9)), x[5:9])


@pytest.mark.parametrize(
    "x, index, error, message",
    [
        (np.ones((5, 2), np.float32), np.array([0, 5]), IndexError, r"in \[0, 5\)\. Received: index\[1\]=5"),
        (np.ones((5, 2), np.float32), np.array([-1]), IndexError, r"Received: index\[0\]=-1"),
        (np.ones((5, 2), np.float32), np.array([0], np.int32), ValueError, "must have dtype int64"),
        (np.ones((5, 2), np.float32), np.array([[0]]), ValueError, "'index' must be 1-D"),
        (np.ones((5, 2), np.float32).T, np.array([0]), ValueError, "must be C-contiguous"),
        (np.array(["a", "b"], object), np.array([0]), ValueError, "must hold numbers"),
        (np.float32(1), np.array([0]), ValueError, "must be a numpy array"),
        (np.array(1.0, np.float32), np.array([0]), ValueError, "batch dimension"),
        ([1, 2], np.array([0]), ValueError, "must be a numpy array"),
    ],
)
def test_take_rows_checks_its_arguments(x, index, error, message):
    with pytest.raises(error, match=message):
        _core.take_rows(x, index)
