"""More of ``keras.ops``'s array ops: shapes, splitting and tiling, gathering, padding,
sorting, triangles, diagonals and traces, and constructors.

Gradients flow to float inputs only; index, repeat and width arguments are not differentiated.
"""
import operator

import numpy as np

from pykeras.ops.core import _array_operand, _operand, _unary, reshape, wrap
from pykeras.ops.errors import name_errors
from pykeras.tensor import FLOAT, Tensor, as_array

__all__ = [
    "shape", "split", "unstack", "tile", "repeat", "take", "take_along_axis", "one_hot", "pad",
    "eye", "identity", "tri", "tril", "triu", "diag", "trace", "argsort", "sort", "top_k", "flip", "roll",
    "swapaxes", "moveaxis", "meshgrid", "linspace", "full_like",
]


# Helpers shared with extra_math.

def _float_unary(x, forward, backward):
    """``core._unary`` on an array operand, with no gradient unless input and result are floats;
    the result never shares memory with the input (Variables change in place)."""
    tx, vx = _array_operand(x)

    def copying_forward(v):
        out = forward(v)
        return out.copy() if isinstance(out, np.ndarray) and np.may_share_memory(out, v) else out

    def guarded(g, x, y):
        return backward(g, x, y) if x.dtype.kind == "f" and y.dtype.kind == "f" else None

    return _unary(vx if tx is None else tx, copying_forward, guarded)


def _axis_tuple(axis, ndim, op):
    """``axis`` (None, an int or a sequence) as a tuple of distinct non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    result = []
    for a in axes:
        a = operator.index(a)
        if not -ndim <= a < ndim:
            raise ValueError(f"{op}: axis {a} is out of bounds for a tensor of rank {ndim}. Received: axis={axis}")
        result.append(a % ndim)
    if len(set(result)) != len(result):
        raise ValueError(f"{op}: repeated axis. Received: axis={axis}")
    return tuple(result)


def _static(value):
    """A Tensor argument that is not differentiated (indices, repeats, widths) as numpy."""
    return value._value if isinstance(value, Tensor) else value


def _accumulator(dtype):
    """Keras's (JAX's) dtype for a product or trace of small integers."""
    if dtype.kind == "b" or dtype in (np.int8, np.int16):
        return np.dtype(np.int32)
    if dtype in (np.uint8, np.uint16):
        return np.dtype(np.uint32)
    return dtype


class IndexOutOfRange(IndexError, ValueError):
    """An index past the end: an IndexError as in numpy, and a ValueError as for any bad argument."""


def shape(x):
    """The shape, a tuple of Python ints."""
    return tuple(int(d) for d in np.shape(_operand(x)[1]))


def _piece(x, index):
    """``x[index]`` for a basic index; the gradient goes back into zeros of x's shape."""
    def backward(g, x, y):
        full = np.zeros(x.shape, g.dtype)
        full[index] = g
        return full

    return _float_unary(x, lambda v: v[index], backward)


def split(x, indices_or_sections, axis=0):
    """A list of pieces along ``axis``: ``numpy.split``'s sections (equal) or split indices."""
    vx = _array_operand(x)[1]
    ax = _axis_tuple(axis, vx.ndim, "split")[0]
    # Splitting the positions themselves gives each piece's bounds, with numpy's rules.
    pieces = np.split(np.arange(vx.shape[ax]), _static(indices_or_sections))
    lead = (slice(None),) * ax
    return [_piece(x, lead + (slice(p[0], p[-1] + 1) if p.size else slice(0, 0),)) for p in pieces]


def unstack(x, num=None, axis=0):
    vx = _array_operand(x)[1]
    ax = _axis_tuple(axis, vx.ndim, "unstack")[0]
    if num is not None and num != vx.shape[ax]:
        raise ValueError(f"unstack: num={num} differs from the size of axis {axis}. Received: shape={vx.shape}")
    return [_piece(x, (slice(None),) * ax + (i,)) for i in range(vx.shape[ax])]


def tile(x, repeats):
    repeats = _static(repeats)

    def backward(g, x, y):
        reps = tuple(np.atleast_1d(repeats).tolist())
        rank = max(x.ndim, len(reps))
        sizes = (1,) * (rank - x.ndim) + x.shape
        reps = (1,) * (rank - len(reps)) + reps
        # Each axis of the result is (copy, position): sum over the copies.
        split_axes = [n for pair in zip(reps, sizes) for n in pair]
        return g.reshape(split_axes).sum(axis=tuple(range(0, 2 * rank, 2))).reshape(x.shape)

    return _float_unary(x, lambda v: np.tile(v, repeats), backward)


def repeat(x, repeats, axis=None):
    """Repeats each element (of the flattened tensor if ``axis`` is None)."""
    repeats = _static(repeats)
    ax = None if axis is None else _axis_tuple(axis, _array_operand(x)[1].ndim, "repeat")[0]

    def backward(g, x, y):
        v = x.reshape(-1) if ax is None else x
        a = 0 if ax is None else ax
        source = np.repeat(np.arange(v.shape[a]), repeats)
        grad = np.zeros(v.shape, g.dtype)
        np.add.at(grad, (slice(None),) * a + (source,), g)
        return grad.reshape(x.shape)

    return _float_unary(x, lambda v: np.repeat(v, repeats, ax), backward)


def _indices(indices, size, op):
    """Integer indices as numpy, checked against ``size`` (negative ones count from the end)."""
    idx = np.asarray(_static(indices))
    if idx.size and idx.dtype.kind not in "iu":
        raise TypeError(f"{op}: indices must be integers. Received: dtype={idx.dtype}")
    idx = idx.astype(np.intp)
    if idx.size and (idx.min() < -size or idx.max() >= size):
        raise IndexOutOfRange(
            f"{op}: indices must be in [{-size}, {size}). Received: indices from {idx.min()} to {idx.max()}"
        )
    return idx


def take(x, indices, axis=None):
    """Elements at ``indices`` along ``axis`` (of the flattened tensor if None); repeated
    indices add their gradients. Out-of-range indices raise (Keras on JAX gives NaN there)."""
    vx = _array_operand(x)[1]
    ax = None if axis is None else _axis_tuple(axis, vx.ndim, "take")[0]
    idx = _indices(indices, vx.size if ax is None else vx.shape[ax], "take")

    def backward(g, x, y):
        grad = np.zeros(x.size if ax is None else x.shape, g.dtype)
        np.add.at(grad, idx if ax is None else (slice(None),) * ax + (idx,), g)
        return grad.reshape(x.shape)

    return _float_unary(x, lambda v: np.take(v, idx, axis=ax), backward)


def _gather_along(x, idx, ax, flatten):
    """``take_along_axis`` on checked indices; ``flatten`` for ``axis=None``."""
    def backward(g, x, y):
        v = x.reshape(-1) if flatten else x
        # One index array per axis, broadcast to g's shape (0 along x's broadcast axes).
        index = tuple(
            idx if d == ax else np.arange(g.shape[d] if v.shape[d] != 1 else 1).reshape(
                [-1 if k == d else 1 for k in range(g.ndim)])
            for d in range(g.ndim)
        )
        grad = np.zeros(v.shape, g.dtype)
        np.add.at(grad, index, g)
        return grad.reshape(x.shape)

    return _float_unary(x, lambda v: np.take_along_axis(v, idx, axis=None if flatten else ax), backward)


def take_along_axis(x, indices, axis=None):
    vx = _array_operand(x)[1]
    ax = 0 if axis is None else _axis_tuple(axis, vx.ndim, "take_along_axis")[0]
    idx = _indices(indices, vx.size if axis is None else vx.shape[ax], "take_along_axis")
    return _gather_along(x, idx, ax, axis is None)


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """One-hot vectors along ``axis``; values outside [0, num_classes) give all zeros."""
    if sparse:
        raise ValueError("one_hot: sparse=True is not supported: pykeras has no sparse tensors")
    v = as_array(_operand(x)[1])
    n = operator.index(num_classes)
    if n < 0:
        raise ValueError(f"one_hot: num_classes must be >= 0. Received: num_classes={num_classes}")
    ax = _axis_tuple(axis, v.ndim + 1, "one_hot")[0]
    return wrap(np.moveaxis((v[..., None] == np.arange(n)).astype(dtype or FLOAT), -1, ax))


_PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap")


def pad(x, pad_width, mode="constant", constant_values=None):
    """Pads with a constant or copies of x's elements; "linear_ramp", "maximum", "mean",
    "median", "minimum" and "empty" are not supported."""
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode must be one of {_PAD_MODES}. Received: mode={mode!r}")
    if constant_values is not None and mode != "constant":
        raise ValueError(f"pad: `constant_values` needs mode='constant'. Received: mode={mode!r}")
    widths = _static(pad_width)
    fill = {} if constant_values is None else {"constant_values": _static(constant_values)}

    def backward(g, x, y):
        # Pad the positions of x: each padded element names the one it copies (x.size: none).
        source = np.arange(x.size).reshape(x.shape)
        source = np.pad(source, widths, mode=mode, **({"constant_values": x.size} if mode == "constant" else {}))
        grad = np.bincount(source.reshape(-1), weights=g.reshape(-1), minlength=x.size + 1)[: x.size]
        return grad.reshape(x.shape).astype(g.dtype)

    return _float_unary(x, lambda v: np.pad(v, widths, mode=mode, **fill), backward)


def eye(N, M=None, k=0, dtype=None):  # noqa: N803 - the Keras names
    return wrap(np.eye(N, M, k=k, dtype=dtype or FLOAT))


def identity(n, dtype=None):
    return wrap(np.identity(n, dtype=dtype or FLOAT))


def tri(N, M=None, k=0, dtype=None):  # noqa: N803 - the Keras names
    """Ones at and below the ``k``-th diagonal."""
    return wrap(np.tri(N, M, k=k, dtype=dtype or FLOAT))


def _triangle(x, k, part, op):
    vx = _array_operand(x)[1]
    if vx.ndim < 2:
        raise ValueError(f"{op}: x must have at least 2 dimensions. Received: shape={vx.shape}")
    return _float_unary(x, lambda v: part(v, k), lambda g, x, y: part(g, k))


def tril(x, k=0):
    """The lower triangle (of the last two axes), zeros above the ``k``-th diagonal."""
    return _triangle(x, k, np.tril, "tril")


def triu(x, k=0):
    return _triangle(x, k, np.triu, "triu")


def diag(x, k=0):
    """The ``k``-th diagonal of a 2-D x, or a 2-D tensor with a 1-D x on that diagonal."""
    vx = _array_operand(x)[1]
    if vx.ndim not in (1, 2):
        raise ValueError(f"diag: x must be 1-D or 2-D. Received: shape={vx.shape}")

    def backward(g, x, y):
        if x.ndim == 1:
            return np.diagonal(g, k).copy()
        grad = np.zeros(x.shape, g.dtype)
        i = np.arange(g.shape[0])
        grad[i + max(-k, 0), i + max(k, 0)] = g
        return grad

    return _float_unary(x, lambda v: np.diag(v, k), backward)


def trace(x, offset=0, axis1=0, axis2=1):
    vx = _array_operand(x)[1]
    a1, a2 = _axis_tuple((axis1, axis2), vx.ndim, "trace")

    def backward(g, x, y):
        mask = np.eye(x.shape[a1], x.shape[a2], k=offset, dtype=g.dtype)
        return np.moveaxis(g[..., None, None] * mask, (-2, -1), (a1, a2))

    return _float_unary(
        x, lambda v: np.trace(v, offset, a1, a2, dtype=_accumulator(v.dtype)), backward
    )


def argsort(x, axis=-1):
    """Indices that sort x (stable), int32 as in Keras; a 0-d x or ``axis=None`` sorts the flattened x."""
    v = as_array(_operand(x)[1])
    if axis is None or v.ndim == 0:
        v, axis = v.reshape(-1), 0
    return wrap(np.argsort(v, axis=_axis_tuple(axis, v.ndim, "argsort")[0], kind="stable").astype(np.int32))


def sort(x, axis=-1):
    """Sorted along ``axis`` (the flattened x if None); the gradient follows each element."""
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    vx = _array_operand(x)[1]
    ax = _axis_tuple(axis, vx.ndim, "sort")[0]
    return _gather_along(x, np.argsort(vx, axis=ax, kind="stable"), ax, False)


def top_k(x, k, sorted=True):  # noqa: A002 - the Keras name
    """The ``k`` largest values along the last axis and their int32 indices, largest first
    (ties: lowest index first). ``sorted=False`` also returns them sorted, as JAX does."""
    vx = _array_operand(x)[1]
    k = operator.index(k)
    if vx.ndim == 0 or not 0 <= k <= vx.shape[-1]:
        raise ValueError(f"top_k: k must be in [0, size of the last axis]. Received: k={k}, shape={vx.shape}")
    n = vx.shape[-1]
    # A stable ascending sort of the reversed axis, read backwards: descending, ties by index.
    order = (n - 1 - np.flip(np.argsort(np.flip(vx, -1), axis=-1, kind="stable"), -1))[..., :k]
    return _gather_along(x, order, vx.ndim - 1, False), wrap(order.astype(np.int32))


def flip(x, axis=None):
    vx = _array_operand(x)[1]
    axes = None if axis is None else _axis_tuple(axis, vx.ndim, "flip")
    return _float_unary(x, lambda v: np.flip(v, axes), lambda g, x, y: np.flip(g, axes))


def roll(x, shift, axis=None):
    shift = _static(shift)
    return _float_unary(x, lambda v: np.roll(v, shift, axis), lambda g, x, y: np.roll(g, np.negative(shift), axis))


def swapaxes(x, axis1, axis2):
    return _float_unary(x, lambda v: np.swapaxes(v, axis1, axis2), lambda g, x, y: np.swapaxes(g, axis1, axis2))


def moveaxis(x, source, destination):
    return _float_unary(
        x, lambda v: np.moveaxis(v, source, destination), lambda g, x, y: np.moveaxis(g, destination, source)
    )


def meshgrid(*x, indexing="xy"):
    """A list of coordinate grids from 1-D tensors (others are flattened)."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij'. Received: indexing={indexing!r}")
    grids = np.meshgrid(*[_array_operand(v)[1].reshape(-1) for v in x], indexing=indexing)
    outputs = []
    for i, (v, grid) in enumerate(zip(x, grids)):
        along = 1 - i if indexing == "xy" and len(x) > 1 and i < 2 else i  # "xy" swaps the first two
        others = tuple(d for d in range(grid.ndim) if d != along)
        outputs.append(_float_unary(
            v, lambda _, grid=grid: grid, lambda g, x, y, others=others: g.sum(axis=others).reshape(x.shape)
        ))
    return outputs


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``num`` evenly spaced values (float32 by default); with ``retstep``, (values, step)."""
    result = np.linspace(
        _static(start), _static(stop), num=num, endpoint=endpoint, retstep=retstep, dtype=dtype, axis=axis
    )
    if retstep:
        return wrap(np.asarray(result[0])), wrap(np.asarray(result[1]))
    return wrap(np.asarray(result))


def full_like(x, fill_value, dtype=None):
    return wrap(np.full_like(as_array(_operand(x)[1]), _static(fill_value), dtype=dtype))


for _name in __all__:
    globals()[_name] = name_errors(globals()[_name])
