"""More of ``keras.ops``'s math: element-wise functions, logical tests, statistics and norms,
products and cumulative ops, and contractions (einsum, tensordot, dot, outer).

Same conventions as ``core``: numpy forward, backward rule beside it, results float32 for
floating input. Gradients of integer or boolean results are None.
"""
import math
from collections import Counter

import numpy as np

from pykeras.ops.core import (
    _array_operand, _expand_reduced, _non_differentiable, _operand, cast, mean, multiply, reshape, wrap,
)
from pykeras.ops.core import abs as _abs
from pykeras.ops.core import max as _max
from pykeras.ops.core import min as _min
from pykeras.ops.core import squeeze as _squeeze
from pykeras.ops.core import sum as _sum
from pykeras.ops.errors import name_errors
from pykeras.ops.extra_array import _accumulator, _axis_tuple, _float_unary
from pykeras.ops.nn import _erfc
from pykeras.ops.tape import needs_gradient, record, state
from pykeras.tensor import FLOAT, as_array

__all__ = [
    "sin", "cos", "tan", "log1p", "expm1", "log2", "log10", "erf", "ceil",
    "isinf", "logical_and", "logical_or", "logical_not", "logical_xor", "all", "any", "count_nonzero",
    "std", "var", "moments", "norm", "prod", "cumsum", "cumprod",
    "einsum", "tensordot", "dot", "outer",
]


# Element-wise.

def sin(x):
    return _float_unary(x, np.sin, lambda g, x, y: g * np.cos(x))


def cos(x):
    return _float_unary(x, np.cos, lambda g, x, y: -g * np.sin(x))


def tan(x):
    return _float_unary(x, np.tan, lambda g, x, y: g * (1 + y * y))


def log1p(x):
    return _float_unary(x, np.log1p, lambda g, x, y: g / (1 + x))


def expm1(x):
    return _float_unary(x, np.expm1, lambda g, x, y: g * (y + 1))


def log2(x):
    return _float_unary(x, np.log2, lambda g, x, y: g / (x * math.log(2)))


def log10(x):
    return _float_unary(x, np.log10, lambda g, x, y: g / (x * math.log(10)))


def _erf(v):
    v = np.asarray(v, dtype=np.float64)
    a = np.abs(v)
    # Near 0, 1 - erfc(a) would lose erf's relative precision: use the Taylor series there.
    s = np.minimum(a, 0.5)
    s2 = s * s
    series = s * (1 + s2 * (-1 / 3 + s2 * (1 / 10 + s2 * (-1 / 42 + s2 * (
        1 / 216 + s2 * (-1 / 1320 + s2 / 9360)))))) * (2 / math.sqrt(math.pi))
    return np.sign(v) * np.where(a < 0.5, series, 1 - _erfc(a))


def erf(x):
    """The error function (relative error below 1e-6; no scipy needed)."""
    return _float_unary(x, _erf, lambda g, x, y: g * (2 / math.sqrt(math.pi)) * np.exp(-x * x))


def ceil(x):
    """Ceiling; integer input gives float32, as in Keras. No gradient."""
    v = as_array(_operand(x)[1])
    return wrap(np.ceil(v if v.dtype.kind == "f" else v.astype(FLOAT)))


isinf = _non_differentiable(np.isinf)
logical_and = _non_differentiable(np.logical_and)
logical_or = _non_differentiable(np.logical_or)
logical_not = _non_differentiable(np.logical_not)
logical_xor = _non_differentiable(np.logical_xor)


def all(x, axis=None, keepdims=False):  # noqa: A001 - the Keras name
    v = as_array(_operand(x)[1])
    return wrap(np.asarray(np.all(v, axis=_axis_tuple(axis, v.ndim, "all"), keepdims=keepdims)))


def any(x, axis=None, keepdims=False):  # noqa: A001 - the Keras name
    v = as_array(_operand(x)[1])
    return wrap(np.asarray(np.any(v, axis=_axis_tuple(axis, v.ndim, "any"), keepdims=keepdims)))


def count_nonzero(x, axis=None):
    """The number of non-zero elements, int32 as in Keras."""
    v = as_array(_operand(x)[1])
    return wrap(np.asarray(np.count_nonzero(v, axis=_axis_tuple(axis, v.ndim, "count_nonzero"))).astype(np.int32))


# Statistics and norms.

def _spread(x, axis, keepdims, root, op):
    """Variance (or, with ``root``, standard deviation) over ``axis``, from the deviations."""
    axes = _axis_tuple(axis, _array_operand(x)[1].ndim, op)

    def deviation(v):
        v = v if v.dtype.kind == "f" else v.astype(FLOAT)
        count = math.prod(v.shape[a] for a in axes)
        return v - np.sum(v, axis=axes, keepdims=True) / count, count  # NaN if empty, quietly

    def forward(v):
        d, count = deviation(v)
        result = np.sum(d * d, axis=axes, keepdims=keepdims) / count
        return np.sqrt(result) if root else result

    def backward(g, x, y):
        d, count = deviation(x)
        g = _expand_reduced(g, x.shape, axes, keepdims)
        if not root:
            return 2 * g * d / count
        y = _expand_reduced(y, x.shape, axes, keepdims)
        # At zero spread the gradient is 0 (a subgradient), not NaN.
        return np.where(y > 0, g * d / (count * np.where(y > 0, y, 1)), 0).astype(g.dtype)

    return _float_unary(x, forward, backward)


def var(x, axis=None, keepdims=False):
    """Population variance (divides by N)."""
    return _spread(x, axis, keepdims, root=False, op="var")


def std(x, axis=None, keepdims=False):
    """Population standard deviation; its gradient where it is 0 is 0 (JAX gives NaN)."""
    return _spread(x, axis, keepdims, root=True, op="std")


def moments(x, axes, keepdims=False, synchronized=False):
    """``(mean, variance)`` over ``axes``. ``synchronized`` has no effect: one device."""
    axes = _axis_tuple(axes, _array_operand(x)[1].ndim, "moments")
    return mean(x, axis=axes, keepdims=keepdims), var(x, axis=axes, keepdims=keepdims)


def _two_norm(x, axes, keepdims):
    def backward(g, x, y):
        g = _expand_reduced(g, x.shape, axes, keepdims)
        y = _expand_reduced(y, x.shape, axes, keepdims)
        return np.where(y > 0, g * x / np.where(y > 0, y, 1), 0).astype(g.dtype)  # 0 at 0, not NaN

    return _float_unary(x, lambda v: np.sqrt(np.sum(v * v, axis=axes, keepdims=keepdims)), backward)


def norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002 - the Keras name
    """Vector norms ``ord`` in None (2), 2, 1, inf, -inf; matrix norms (``axis`` a pair, or
    ``x`` 2-D) ``ord`` in None ("fro"), "fro", 1, -1, inf, -inf. Others are refused."""
    vx = _array_operand(x)[1]
    if vx.dtype.kind != "f":
        x, vx = cast(vx, FLOAT), vx.astype(FLOAT)
    if axis is None and ord is None:
        return _two_norm(x, tuple(range(vx.ndim)), keepdims)
    if axis is None and vx.ndim not in (1, 2):
        raise ValueError(f"norm: with an `ord` and no `axis`, x must be 1-D or 2-D. Received: shape={vx.shape}")
    axes = _axis_tuple(axis, vx.ndim, "norm")
    if len(axes) == 1:
        if ord is None or (not isinstance(ord, str) and ord == 2):
            return _two_norm(x, axes, keepdims)
        if not isinstance(ord, str) and ord in (1, np.inf, -np.inf):
            reduce = {1: _sum, np.inf: _max, -np.inf: _min}[ord]
            return reduce(_abs(x), axis=axes, keepdims=keepdims)
        raise ValueError(f"norm: unsupported vector `ord`; pykeras supports None, 2, 1, inf, -inf. Received: ord={ord!r}")
    if len(axes) != 2:
        raise ValueError(f"norm: `axis` must be an int or a pair of ints. Received: axis={axis}")
    if ord is None or ord == "fro":
        return _two_norm(x, axes, keepdims)
    if isinstance(ord, str) or ord not in (1, -1, np.inf, -np.inf):
        raise ValueError(
            f"norm: unsupported matrix `ord`; pykeras supports None, 'fro', 1, -1, inf, -inf. Received: ord={ord!r}"
        )
    # ord=+-1: the largest (smallest) column sum of |x|; ord=+-inf: the same over rows.
    summed, reduced = axes if ord in (1, -1) else axes[::-1]
    sums = _sum(_abs(x), axis=summed, keepdims=True)
    result = (_max if ord > 0 else _min)(sums, axis=reduced, keepdims=True)
    return result if keepdims else _squeeze(result, axes)


def prod(x, axis=None, keepdims=False, dtype=None):
    """Product; small integers multiply in int32, as in Keras."""
    axes = _axis_tuple(axis, _array_operand(x)[1].ndim, "prod")

    def backward(g, x, y):
        k = len(axes)
        if not k:
            return g
        if not x.size:
            return np.zeros(x.shape, g.dtype)
        # Each element's gradient is the product of the others: exclusive prefix times
        # exclusive suffix products, exact where x holds zeros.
        moved = np.moveaxis(x, axes, range(-k, 0))
        flat = moved.reshape(moved.shape[:-k] + (math.prod(moved.shape[-k:]),))
        ones = np.ones(flat.shape[:-1] + (1,), flat.dtype)
        before = np.cumprod(np.concatenate([ones, flat[..., :-1]], -1), -1)
        after = np.flip(np.cumprod(np.concatenate([ones, np.flip(flat, -1)[..., :-1]], -1), -1), -1)
        others = np.moveaxis((before * after).reshape(moved.shape), range(-k, 0), axes)
        return _expand_reduced(g, x.shape, axes, keepdims) * others

    return _float_unary(
        x, lambda v: np.prod(v, axis=axes, keepdims=keepdims, dtype=dtype or _accumulator(v.dtype)), backward
    )


def _cumulative(x, axis, dtype, op):
    vx = _array_operand(x)[1]
    ax = None if axis is None else _axis_tuple(axis, vx.ndim, op)[0]
    accumulate = np.cumsum if op == "cumsum" else np.cumprod

    def forward(v):
        return accumulate(v, axis=ax, dtype=dtype or (np.int32 if v.dtype.kind == "b" else v.dtype))

    return ax, forward


def _reverse_cumsum(g, axis):
    return np.flip(np.cumsum(np.flip(g, axis), axis), axis)


def cumsum(x, axis=None, dtype=None):
    """Cumulative sum (over the flattened tensor if ``axis`` is None); booleans count in int32."""
    ax, forward = _cumulative(x, axis, dtype, "cumsum")
    return _float_unary(x, forward, lambda g, x, y: _reverse_cumsum(g, 0 if ax is None else ax).reshape(x.shape))


def cumprod(x, axis=None, dtype=None):
    ax, forward = _cumulative(x, axis, dtype, "cumprod")

    def backward(g, x, y):
        v, a = (x.reshape(-1), 0) if ax is None else (x, ax)
        if np.all(v != 0):
            return (_reverse_cumsum(g * y, a) / v).reshape(x.shape)
        # With zeros: grad_i = prefix_i * s_i, where s_i = g_i + x_{i+1} * s_{i+1}.
        gm, vm = np.moveaxis(g, a, 0), np.moveaxis(v, a, 0)
        s = np.empty_like(gm)
        s[-1] = gm[-1]
        for i in range(len(vm) - 2, -1, -1):
            s[i] = gm[i] + vm[i + 1] * s[i + 1]
        prefix = np.cumprod(np.concatenate([np.ones_like(vm[:1]), vm[:-1]]), axis=0)
        return np.moveaxis(prefix * s, 0, a).reshape(x.shape)

    return _float_unary(x, forward, backward)


# Contractions: einsum, and tensordot/dot/outer written as einsum.

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _einsum_terms(subscripts, shapes):
    """``subscripts`` made explicit, an ellipsis spelled with letters: (input terms, output term)."""
    if not isinstance(subscripts, str):
        raise TypeError(f"subscripts must be a string. Received: {type(subscripts).__name__}")
    spec = subscripts.replace(" ", "")
    inputs, arrow, output = spec.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: {subscripts!r} names {len(terms)} operands but {len(shapes)} were given")
    used = set(spec) - set(",->.")
    if not used <= set(_LETTERS):
        raise ValueError(f"einsum: subscripts must be letters. Received: {subscripts!r}")
    free = [c for c in _LETTERS if c not in used]
    width = max([len(s) - len(t) + 3 for t, s in zip(terms, shapes) if "..." in t], default=0)
    dots = "".join(free[:width])
    explicit = []
    for term, shape in zip(terms, shapes):
        if "..." in term:
            term = term.replace("...", dots[width - (len(shape) - len(term) + 3):], 1)
        if len(term) != len(shape) or "." in term:
            raise ValueError(f"einsum: subscripts {term!r} do not fit an operand of shape {shape}")
        explicit.append(term)
    if arrow:
        return explicit, output.replace("...", dots)
    counts = Counter(c for t in terms for c in t if c != ".")
    return explicit, dots + "".join(sorted(c for c, n in counts.items() if n == 1))  # numpy's implicit order


def _einsum_grad(g, i, terms, out, values):
    """The gradient for operand ``i``: the einsum of the upstream gradient and the others."""
    term, shape = terms[i], values[i].shape
    sizes = {}
    for t, v in zip(terms, values):
        for c, d in zip(t, v.shape):
            if d != 1 or c not in sizes:
                sizes[c] = d
    spare = (c for c in _LETTERS if c not in set("".join(terms) + out))
    target, extra_terms, extras = [], [], []
    for c, d in zip(term, shape):
        if c in target:  # a repeated subscript reads a diagonal: the gradient lands on it alone
            f = next(spare)
            extra_terms.append(c + f)
            extras.append(np.eye(d, dtype=g.dtype))
        elif d == 1 and sizes[c] != 1:  # broadcast against the others: the gradient sums over them
            f = next(spare)
            extra_terms.append(f)
            extras.append(np.ones(1, g.dtype))
        else:
            f = c
        target.append(f)
    others = [t for k, t in enumerate(terms) if k != i]
    known = set(out + "".join(others + extra_terms))
    for c, d in zip(target, shape):
        if c not in known:  # summed within this operand alone: the gradient is constant along it
            extra_terms.append(c)
            extras.append(np.ones(d, g.dtype))
            known.add(c)
    spec = ",".join([out, *others, *extra_terms]) + "->" + "".join(target)
    rest = [v for k, v in enumerate(values) if k != i]
    return np.einsum(spec, g, *rest, *extras, optimize=True).astype(values[i].dtype, copy=False)


def _contract(terms, out, operands, **kwargs):
    pairs = [_array_operand(x) for x in operands]
    tensors = tuple(t for t, _ in pairs)
    values = [v for _, v in pairs]
    if {v.dtype for v in values} == {np.dtype(np.int8)}:
        values = [v.astype(np.int32) for v in values]  # as Keras: int8 products would overflow
    kwargs.setdefault("optimize", True)
    result = wrap(np.asarray(np.einsum(",".join(terms) + "->" + out, *values, **kwargs)))
    if state.tapes and result._value.dtype.kind == "f" and tensors.count(None) < len(tensors):
        need = [needs_gradient(t) and v.dtype.kind == "f" for t, v in pairs]

        def grads(g):
            return [_einsum_grad(g, i, terms, out, values) if n else None for i, n in enumerate(need)]

        record(result, tensors, grads)
    return result


def einsum(subscripts, *operands, **kwargs):
    """Einstein summation, numpy's grammar (ellipsis, implicit output, repeated subscripts)."""
    terms, out = _einsum_terms(subscripts, [np.shape(_operand(x)[1]) for x in operands])
    return _contract(terms, out, operands, **kwargs)


def _tensordot(x1, x2, axes, op):
    sa, sb = np.shape(_operand(x1)[1]), np.shape(_operand(x2)[1])
    if isinstance(axes, (int, np.integer)):
        if not 0 <= axes <= min(len(sa), len(sb)):
            raise ValueError(f"{op}: axes={axes} must be in [0, min(rank)]. Received: shapes {sa} and {sb}")
        axes_a, axes_b = range(len(sa) - axes, len(sa)), range(axes)
    else:
        if len(axes) != 2:
            raise ValueError(f"{op}: axes must be an int or a pair of axis lists. Received: axes={axes}")
        axes_a, axes_b = _axis_tuple(axes[0], len(sa), op), _axis_tuple(axes[1], len(sb), op)
    if [sa[a] for a in axes_a] != [sb[b] for b in axes_b]:
        raise ValueError(f"{op}: the summed dimensions differ. Received: shapes {sa} and {sb}, axes={axes}")
    letters = iter(_LETTERS)
    ta = [next(letters) for _ in sa]
    tb = [None] * len(sb)
    for a, b in zip(axes_a, axes_b):
        tb[b] = ta[a]
    tb = [c or next(letters) for c in tb]
    out = [c for k, c in enumerate(ta) if k not in axes_a] + [c for k, c in enumerate(tb) if k not in axes_b]
    return _contract(["".join(ta), "".join(tb)], "".join(out), (x1, x2))


def tensordot(x1, x2, axes=2):
    return _tensordot(x1, x2, axes, "tensordot")


def dot(x1, x2):
    """``numpy.dot``: sums the last axis of x1 with the second-to-last of x2 (its only axis if 1-D)."""
    na, nb = np.ndim(_operand(x1)[1]), np.ndim(_operand(x2)[1])
    if na == 0 or nb == 0:
        return multiply(x1, x2)
    return _tensordot(x1, x2, ([na - 1], [max(nb - 2, 0)]), "dot")


def outer(x1, x2):
    """The outer product of the flattened inputs."""
    return _contract(["i", "j"], "ij", (reshape(x1, (-1,)), reshape(x2, (-1,))))


for _name in __all__:
    globals()[_name] = name_errors(globals()[_name])
