"""Math ops. Each differentiable op's backward rule sits beside its forward.

Every op accepts Tensors, Variables, numpy arrays and Python numbers, and
returns a Tensor. Backward rules receive and return numpy arrays.
"""
import numpy as np

from pykeras import _core
from pykeras.ops.errors import name_errors
from pykeras.ops.tape import needs_gradient, record, state
from pykeras.tensor import FLOAT, Tensor, Variable, as_array

__all__ = [
    "convert_to_tensor", "convert_to_numpy", "cast", "stop_gradient",
    "add", "subtract", "multiply", "divide", "power", "maximum", "minimum", "negative",
    "abs", "square", "sqrt", "exp", "log", "clip", "matmul",
    "sum", "mean", "max", "min", "reshape", "transpose", "expand_dims", "squeeze",
    "concatenate", "stack", "getitem", "where",
    "ones", "zeros", "full", "ones_like", "zeros_like", "arange",
    "argmax", "argmin", "equal", "not_equal", "greater", "greater_equal", "less",
    "less_equal", "sign", "round", "floor", "isnan", "isfinite",
]


def wrap(array):
    """Makes a Tensor from an array the caller guarantees is contiguous."""
    tensor = Tensor.__new__(Tensor)
    if array.dtype != FLOAT and array.dtype.kind == "f":
        array = array.astype(FLOAT)  # float64 from numpy, float16 from math on small ints
    tensor._value = array if array.flags.c_contiguous else np.ascontiguousarray(array)
    return tensor


def convert_to_tensor(x, dtype=None):
    """Returns ``x`` as a Tensor (unchanged if it already is one of that dtype)."""
    if isinstance(x, Tensor) and (dtype is None or np.dtype(dtype) == x._value.dtype):
        return x
    return Tensor(x, dtype)


def convert_to_numpy(x):
    """``x`` as a numpy array: a Tensor's value copied (as ``Tensor.numpy``), anything else as
    ``numpy.asarray`` makes it."""
    return x.numpy() if isinstance(x, Tensor) else np.asarray(x)


def _operand(x):
    """Splits an operand into (tensor or None for constants, value)."""
    if isinstance(x, Tensor):
        return x, x._value
    if isinstance(x, (bool, int, float)):
        return None, x  # Python scalars keep the tensor's dtype under numpy's rules
    return None, as_array(x)


def _array_operand(x):
    """Like ``_operand``, but a Python scalar becomes a 0-d array (for ops that read dtype/ndim)."""
    tx, vx = _operand(x)
    return tx, vx if isinstance(vx, np.ndarray) else as_array(vx)


def unbroadcast(grad, shape):
    """Sums ``grad`` down to ``shape``, undoing numpy broadcasting."""
    if grad.shape == shape:
        return grad
    if grad.ndim == 2 and grad.dtype == FLOAT and shape in ((grad.shape[1],), (1, grad.shape[1])):
        # A bias added to a batch of rows: summed as Dense's backward sums it (threads, double
        # accumulators), so a custom layer's x @ w + b trains with Dense's bits.
        column_sums = np.empty(grad.shape[1], FLOAT)
        _core.bias_grad(np.ascontiguousarray(grad), column_sums)
        return column_sums.reshape(shape)
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, dim in enumerate(shape) if dim == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


def _binary(a, b, forward, backward, kind=None):
    """``forward(va, vb)`` as a recorded op; ``backward(g, va, vb, y, i)`` is the gradient with
    respect to operand ``i`` (0 or 1), asked only for the operands a tape watches. ``kind``: as
    ``tape.record`` takes it."""
    ta, va = _operand(a)
    tb, vb = _operand(b)
    with np.errstate(all="ignore"):  # overflow gives inf, as in every framework: no warning
        out = wrap(np.asarray(forward(va, vb)))
    if state.tapes and (ta is not None or tb is not None):
        need_a, need_b = needs_gradient(ta), needs_gradient(tb)
        shape_a, shape_b = np.shape(va), np.shape(vb)

        def grads(g):
            y = out._value
            with np.errstate(all="ignore"):
                return (
                    unbroadcast(backward(g, va, vb, y, 0), shape_a) if need_a else None,
                    unbroadcast(backward(g, va, vb, y, 1), shape_b) if need_b else None,
                )

        record(out, (ta, tb), grads, kind)
    return out


def _unary(x, forward, backward):
    tx, vx = _operand(x)
    with np.errstate(all="ignore"):
        out = wrap(np.asarray(forward(vx)))
    if type(tx) is Variable and np.may_share_memory(out._value, vx):
        out._value = out._value.copy()  # a view (reshape, x[i]) must not follow later assigns
    if state.tapes and tx is not None:

        def grad(g):
            with np.errstate(all="ignore"):
                return (backward(g, vx, out._value),)

        record(out, (tx,), grad)
    return out


def add(a, b):
    return _binary(a, b, np.add, lambda g, a, b, y, i: g, "add")


def subtract(a, b):
    return _binary(a, b, np.subtract, lambda g, a, b, y, i: -g if i else g)


def _multiply_backward(g, a, b, y, i):
    return g * (a if i else b)


def multiply(a, b):
    return _binary(a, b, np.multiply, _multiply_backward)


def masked(x, mask, kind):
    """``multiply(x, mask)`` recorded as ``kind`` (a Dropout layer's mask: ``("dropout", layer)``),
    for a trace to recognize."""
    return _binary(x, mask, np.multiply, _multiply_backward, kind)


def divide(a, b):
    return _binary(a, b, np.true_divide, lambda g, a, b, y, i: -g * y / b if i else g / b)


def power(a, b):
    def backward(g, a, b, y, i):
        if i == 0:
            return g * b * np.power(a, b - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_a = np.where(a > 0, np.log(np.where(a > 0, a, 1)), 0)
        return g * y * log_a

    return _binary(a, b, np.power, backward)


def maximum(a, b):
    return _binary(a, b, np.maximum, lambda g, a, b, y, i: g * ((a < b) if i else (a >= b)))


def minimum(a, b):
    return _binary(a, b, np.minimum, lambda g, a, b, y, i: g * ((a > b) if i else (a <= b)))


def negative(x):
    return _unary(x, np.negative, lambda g, x, y: -g)


def abs(x):  # noqa: A001 - the Keras name
    return _unary(x, np.abs, lambda g, x, y: g * np.sign(x))


def square(x):
    return _unary(x, np.square, lambda g, x, y: 2 * g * x)


def sqrt(x):
    return _unary(x, np.sqrt, lambda g, x, y: g / (2 * y))


def exp(x):
    return _unary(x, np.exp, lambda g, x, y: g * y)


def log(x):
    """Natural log; the gradient at 0 is ``inf`` (times the upstream gradient)."""
    return _unary(x, np.log, lambda g, x, y: g / x)


def clip(x, x_min, x_max):
    return _unary(
        x,
        lambda v: np.clip(v, x_min, x_max),
        lambda g, x, y: g * ((x >= x_min) & (x <= x_max)),
    )


def matmul(a, b):
    """Matrix product; 2-D float32 operands run on the native SGEMM."""
    ta, va = _array_operand(a)
    tb, vb = _array_operand(b)
    native = va.ndim == 2 and vb.ndim == 2 and va.dtype == FLOAT and vb.dtype == FLOAT
    if native:
        if va.shape[1] != vb.shape[0]:
            raise ValueError(
                f"matmul: inner dimensions must agree. Received: a.shape={va.shape}, b.shape={vb.shape}"
            )
        # Dense's product: a deep weight times a few hundred rows is split in depth, so each core
        # reads only the half of w it updates in training, and matmul(x, w) + b has Dense's bits.
        product = np.empty((va.shape[0], vb.shape[1]), FLOAT)
        _core.dense_forward(va, vb, None, "linear", product)
        out = wrap(product)
    else:
        out = wrap(np.asarray(np.matmul(va, vb)))  # vector @ vector is a numpy scalar
    if state.tapes and (ta is not None or tb is not None):
        need_a, need_b = needs_gradient(ta), needs_gradient(tb)

        def grads(g):
            g = np.asarray(g, dtype=FLOAT, order="C")  # ascontiguousarray makes 0-d (1,)
            if native:
                ga = _core.matmul(g, vb, trans_b=True) if need_a else None
                gb = _core.matmul(va, g, trans_a=True) if need_b else None
                return ga, gb
            ga = gb = None
            if need_a:
                ga = np.matmul(g, np.swapaxes(vb, -1, -2)) if vb.ndim > 1 else np.multiply.outer(g, vb)
                ga = unbroadcast(ga, va.shape)
            if need_b:
                gb = np.matmul(np.swapaxes(va, -1, -2), g) if va.ndim > 1 else np.multiply.outer(va, g)
                gb = unbroadcast(gb, vb.shape)
            return ga, gb

        record(out, (ta, tb), grads, "matmul" if native else None)
    return out


def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return tuple(int(a) % ndim if ndim else int(a) for a in axes)


def _expand_reduced(g, shape, axis, keepdims):
    if not keepdims:
        g = np.expand_dims(g, _axes(axis, len(shape)))
    return np.broadcast_to(g, shape)


def sum(x, axis=None, keepdims=False):  # noqa: A001 - the Keras name
    return _unary(
        x,
        lambda v: np.sum(v, axis=axis, keepdims=keepdims),
        lambda g, x, y: np.array(_expand_reduced(g, x.shape, axis, keepdims)),
    )


def mean(x, axis=None, keepdims=False):
    def backward(g, x, y):
        count = x.size // y.size if y.size else 1
        return _expand_reduced(g, x.shape, axis, keepdims) / count

    def forward(v):
        if np.size(v):  # v may be a Python number
            return np.mean(v, axis=axis, keepdims=keepdims)
        # numpy warns "Mean of empty slice"; the mean of nothing is NaN, quietly, as in Keras
        return np.sum(v, axis=axis, keepdims=keepdims) * np.nan

    return _unary(x, forward, backward)


def _extremum(x, axis, keepdims, reduce):
    def backward(g, x, y):
        peak = _expand_reduced(y, x.shape, axis, keepdims)
        mask = x == peak
        ties = np.sum(mask, axis=_axes(axis, x.ndim), keepdims=True)
        return _expand_reduced(g, x.shape, axis, keepdims) * mask / ties

    return _unary(x, lambda v: reduce(v, axis=axis, keepdims=keepdims), backward)


def max(x, axis=None, keepdims=False):  # noqa: A001 - the Keras name
    """Maximum; ties share the gradient equally."""
    return _extremum(x, axis, keepdims, np.max)


def min(x, axis=None, keepdims=False):  # noqa: A001 - the Keras name
    return _extremum(x, axis, keepdims, np.min)


def reshape(x, new_shape):
    return _unary(x, lambda v: np.reshape(v, new_shape), lambda g, x, y: g.reshape(x.shape))


def transpose(x, axes=None):
    def backward(g, x, y):
        return np.transpose(g, None if axes is None else np.argsort(axes))

    return _unary(x, lambda v: np.transpose(v, axes), backward)


def expand_dims(x, axis):
    return _unary(x, lambda v: np.expand_dims(v, axis), lambda g, x, y: g.reshape(x.shape))


def squeeze(x, axis=None):
    return _unary(x, lambda v: np.squeeze(v, axis), lambda g, x, y: g.reshape(x.shape))


def _gather_many(xs, forward, split):
    pairs = [_operand(x) for x in xs]
    values = [v for _, v in pairs]
    out = wrap(np.asarray(forward(values)))
    tensors = tuple(t for t, _ in pairs)
    if state.tapes and any(t is not None for t in tensors):
        record(out, tensors, lambda g: split(g, values))
    return out


def concatenate(xs, axis=0):
    def split(g, values):
        bounds = np.cumsum([v.shape[axis] for v in values])[:-1]
        return np.split(g, bounds, axis=axis)

    return _gather_many(xs, lambda vs: np.concatenate(vs, axis=axis), split)


def stack(xs, axis=0):
    def split(g, values):
        return [np.take(g, i, axis=axis) for i in range(len(values))]

    return _gather_many(xs, lambda vs: np.stack(vs, axis=axis), split)


def getitem(x, index):
    """``x[index]`` with the gradient scattered back (repeated indices add up)."""
    if isinstance(index, Tensor):
        index = index._value

    def backward(g, x, y):
        full = np.zeros(x.shape, dtype=g.dtype)
        if _taken_rows(index, full, g):
            # An Embedding's lookup: numpy's add.at, a hundred times faster, with its bits.
            _core.scatter_add_rows(full, index.reshape(-1).astype(np.int64, copy=False),
                                   np.ascontiguousarray(g).reshape(index.size, -1))
        else:
            np.add.at(full, index, g)
        return full

    if type(index) is np.ndarray and index.dtype.kind in "iu":
        return _unary(x, lambda v: np.take(v, index, axis=0), backward)  # v[index], four times faster
    return _unary(x, lambda v: v[index], backward)


def _taken_rows(index, full, g):
    """Whether ``x[index]`` took whole float32 rows of ``x`` by an array of row numbers, each in
    range (a negative one counts from the end, which the native scatter does not do)."""
    return (type(index) is np.ndarray and index.dtype.kind in "iu" and full.ndim >= 1 and full.dtype == FLOAT
            and g.dtype == FLOAT and index.size > 0 and index.min() >= 0 and index.max() < full.shape[0])


def where(condition, x1=None, x2=None):
    """``x1`` where ``condition`` holds, else ``x2``; with the condition alone, a tuple of int32
    tensors, the indices of its true elements per axis (as Keras)."""
    if x1 is None and x2 is None:
        condition = as_array(condition)
        if condition.ndim == 0:
            raise ValueError("where: a 0-d condition has no indices; give x1 and x2, or a 1-D condition")
        return tuple(wrap(indices.astype(np.int32)) for indices in np.nonzero(condition))
    if x1 is None or x2 is None:
        raise ValueError(
            "where: `x1` and `x2` must be both given or both None. "
            f"Received: x1={'None' if x1 is None else 'a value'}, x2={'None' if x2 is None else 'a value'}"
        )
    condition = as_array(condition).astype(bool)
    return _binary(
        x1, x2, lambda a, b: np.where(condition, a, b),
        lambda g, a, b, out, i: g * (~condition if i else condition),
    )


def stop_gradient(x):
    return wrap(np.array(_operand(x)[1]))


def cast(x, dtype):
    """Casts; the gradient flows through float-to-float casts only."""
    tx, vx = _operand(x)
    out = wrap(np.asarray(vx).astype(dtype))
    if state.tapes and tx is not None and out._value.dtype.kind == "f":
        record(out, (tx,), lambda g: (g.astype(vx.dtype),))
    return out


def _constant(fill):
    def make(shape, dtype="float32"):
        return wrap(np.full(shape, fill, dtype=dtype))

    return make


ones = _constant(1)
zeros = _constant(0)


def full(shape, fill_value, dtype="float32"):
    return wrap(np.full(shape, fill_value, dtype=dtype))


def ones_like(x, dtype=None):
    return wrap(np.ones_like(_operand(x)[1], dtype=dtype))


def zeros_like(x, dtype=None):
    return wrap(np.zeros_like(_operand(x)[1], dtype=dtype))


def arange(start, stop=None, step=1, dtype=None):
    """``numpy.arange``; whole-number bounds give int32, as Keras's ``arange`` (numpy gives int64)."""
    values = np.arange(start, stop, step, dtype=dtype)
    if dtype is None and values.dtype.kind == "i":
        values = values.astype(np.int32)
    return wrap(values)


def _non_differentiable(function):
    def op(*args, **kwargs):
        values = [_operand(a)[1] for a in args]
        return wrap(np.asarray(function(*values, **kwargs)))

    op.__name__ = function.__name__
    op.__doc__ = f"``numpy.{function.__name__}`` on tensors (no gradient)."
    return op




def _int32(function):
    """An index-valued numpy function giving int32, as Keras's does (numpy gives int64)."""
    def indices(*args, **kwargs):
        return function(*args, **kwargs).astype(np.int32)

    indices.__name__ = function.__name__
    return indices


argmax = _non_differentiable(_int32(np.argmax))
argmin = _non_differentiable(_int32(np.argmin))
equal = _non_differentiable(np.equal)
not_equal = _non_differentiable(np.not_equal)
greater = _non_differentiable(np.greater)
greater_equal = _non_differentiable(np.greater_equal)
less = _non_differentiable(np.less)
less_equal = _non_differentiable(np.less_equal)
sign = _non_differentiable(np.sign)
round = _non_differentiable(np.round)  # noqa: A001 - the Keras name
floor = _non_differentiable(np.floor)
isnan = _non_differentiable(np.isnan)
isfinite = _non_differentiable(np.isfinite)

for _name in __all__:
    globals()[_name] = name_errors(globals()[_name])
