"""The gradient of a row lookup: ``_core.scatter_add_rows`` against numpy's ``add.at`` (bit for
bit, repeated rows included), its argument checks, and the lookup op and Embedding that use it."""
import numpy as np
import pytest

import pykeras as keras
from pykeras import _core, ops

RNG = np.random.default_rng(8)


@pytest.mark.parametrize("rows, row_shape, count", [(50, (7,), 300), (3, (2, 4), 40), (1000, (16,), 8192),
                                                    (4, (), 9), (5, (3,), 0)])
def test_scatter_add_rows_has_add_ats_bits(rows, row_shape, count):
    index = RNG.integers(0, rows, count)
    src = RNG.normal(size=(count,) + row_shape).astype(np.float32)
    start = RNG.normal(size=(rows,) + row_shape).astype(np.float32)
    expected = start.copy()
    np.add.at(expected, index, src)
    got = start.copy()
    _core.scatter_add_rows(got, index, src.reshape(count, int(np.prod(row_shape))))
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("dst, index, src, error, message", [
    (np.zeros((5, 2), np.float32), np.array([0, 5]), np.ones((2, 2), np.float32), IndexError,
     r"in \[0, 5\)\. Received: index\[1\]=5"),
    (np.zeros((5, 2), np.float32), np.array([-1]), np.ones((1, 2), np.float32), IndexError, r"index\[0\]=-1"),
    (np.zeros((5, 2), np.float32), np.array([0, 1]), np.ones((1, 2), np.float32), ValueError,
     "one row of dst's shape per index: 4 floats. Received: 2"),
    (np.zeros((5, 2), np.float64), np.array([0]), np.ones((1, 2), np.float32), ValueError, "must have dtype float32"),
    (np.zeros((5, 2), np.float32), np.array([0], np.int32), np.ones((1, 2), np.float32), ValueError,
     "must have dtype int64"),
    (np.zeros((5, 2), np.float32)[:, :1], np.array([0]), np.ones((1, 1), np.float32), ValueError,
     "must be C-contiguous"),
    (np.float32(0), np.array([0]), np.ones(1, np.float32), ValueError, "must be a numpy array"),
])
def test_scatter_add_rows_checks_its_arguments_before_writing(dst, index, src, error, message):
    before = np.array(dst, copy=True)
    with pytest.raises(error, match=message):
        _core.scatter_add_rows(dst, index, src)
    np.testing.assert_array_equal(dst, before)  # nothing written, even the rows before the bad index


def test_scatter_add_rows_refuses_a_read_only_or_overlapping_destination():
    table = np.zeros((4, 2), np.float32)
    table.flags.writeable = False
    with pytest.raises(ValueError, match="must be writeable"):
        _core.scatter_add_rows(table, np.array([0]), np.ones((1, 2), np.float32))
    table = np.zeros((4, 2), np.float32)
    with pytest.raises(ValueError, match="must not share memory"):
        _core.scatter_add_rows(table, np.array([0]), table[1:2])


@pytest.mark.parametrize("index", [np.array([[0, 3, 3], [5, 0, 3]]), np.array([1, -1, 1]), np.array([2], np.uint8)])
def test_a_lookups_gradient_sums_repeated_rows(index):
    # Negative row numbers take numpy's path; the others the native scatter. Both against add.at.
    table = keras.Variable(RNG.normal(size=(6, 4)).astype(np.float32))
    upstream = RNG.normal(size=index.shape + (4,)).astype(np.float32)
    with keras.GradientTape() as tape:
        taken = ops.getitem(table, index)
        target = ops.sum(taken * upstream)
    np.testing.assert_array_equal(taken.numpy(), table.numpy()[index])
    expected = np.zeros((6, 4), np.float32)
    np.add.at(expected, index, upstream)
    np.testing.assert_array_equal(tape.gradient(target, table).numpy(), expected)


def test_embedding_trains_through_the_native_scatter(monkeypatch):
    calls = []
    native = _core.scatter_add_rows
    monkeypatch.setattr(_core, "scatter_add_rows", lambda *args: calls.append(1) or native(*args))
    model = keras.Sequential([keras.Input((5,), dtype="int32"), keras.layers.Embedding(20, 3),
                              keras.layers.GlobalAveragePooling1D(), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
    ids, y = RNG.integers(0, 20, (8, 5)), RNG.normal(size=(8, 1)).astype(np.float32)
    table = model.layers[0].embeddings.numpy().copy()
    model.train_on_batch(ids, y)
    assert calls == [1]
    changed = np.flatnonzero(np.any(model.layers[0].embeddings.numpy() != table, axis=1))
    np.testing.assert_array_equal(changed, np.unique(ids))  # only the rows looked up move
