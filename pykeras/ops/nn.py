"""Neural-network ops: activations, softmax, and the fused dense and
cross-entropy ops the layers and losses run on."""
import math
import warnings

import numpy as np

from pykeras import _core
from pykeras.ops.core import _array_operand, _operand, _unary, add, exp, log, squeeze, subtract, wrap
from pykeras.ops.core import sum as reduce_sum
from pykeras.ops.errors import name_errors
from pykeras.ops.tape import needs_gradient, record, state
from pykeras.tensor import FLOAT, Tensor

__all__ = [
    "relu", "sigmoid", "tanh", "softplus", "silu", "leaky_relu", "elu", "selu", "gelu", "relu6", "softsign",
    "hard_sigmoid", "hard_silu", "mish", "log_sigmoid",
    "softmax", "log_softmax", "logsumexp", "dense", "sparse_softmax_cross_entropy", "softmax_cross_entropy",
    "sigmoid_cross_entropy", "squared_error", "absolute_error", "batch_normalization", "layer_normalization",
]

FUSED_ACTIVATIONS = ("linear", "relu", "tanh")
_NATIVE_LABELS = (np.dtype(np.int32), np.dtype(np.int64))


def relu(x):
    """max(x, 0); the gradient at exactly 0 is 0 (the mask is taken from the output)."""
    tx, vx = _array_operand(x)
    if vx.dtype != FLOAT:
        vx = vx.astype(FLOAT)
    out = np.empty_like(vx)
    _core.relu(vx, out)
    result = wrap(out)
    if state.tapes and tx is not None:

        def backward(g):
            g = np.asarray(g, dtype=FLOAT, order="C")  # ascontiguousarray would make 0-d (1,)
            grad = np.empty_like(g)
            _core.relu_backward(g, out, grad)
            return (grad,)

        record(result, (tx,), backward, "relu")
    return result


def _float_array(v):
    """``v`` as a floating array (Python numbers, ints and bools as float32), so that in-place
    steps, which need an array even for 0-d values, keep its precision."""
    return v if isinstance(v, np.ndarray) and v.dtype.kind == "f" else np.asarray(v, dtype=FLOAT)


def _native_or(v, native, fallback):
    """``native(v, out)`` into a new array for float32 ``v`` (one vectorised pass), else
    ``fallback(v)`` in numpy (float64 inputs keep their precision)."""
    v = _float_array(v)
    if v.dtype != FLOAT:
        return fallback(v)
    v = np.asarray(v, order="C")  # ascontiguousarray would make 0-d (1,)
    out = np.empty_like(v)
    native(v, out)
    return out


def _native_grad_or(arrays, native, fallback):
    """``native(*arrays, out)`` into a new array when ``arrays`` (the upstream gradient first) are
    float32 arrays of one shape, in any layout (a strided one, a transpose's gradient, is copied to
    C order: the kernel's bits, not the fallback's), else ``fallback()`` in numpy."""
    first = arrays[0]
    if not all(type(a) is np.ndarray and a.dtype == FLOAT and a.shape == first.shape for a in arrays):
        return fallback()
    arrays = [np.asarray(a, order="C") for a in arrays]  # ascontiguousarray would make 0-d (1,)
    out = np.empty_like(arrays[0])
    native(*arrays, out)
    return out


def _sigmoid(v):
    """1 / (1 + exp(-v)): float32 in one native pass (within 2.5 ulp, subnormal results included);
    float64 in four numpy passes (below v = -709 exp(-v) overflows and the result is 0)."""
    return _native_or(v, _core.sigmoid, _sigmoid_float64)


def _sigmoid_float64(v):
    out = np.negative(v, out=np.empty_like(v))
    with np.errstate(over="ignore"):
        np.exp(out, out=out)
    out += 1
    return np.reciprocal(out, out=out)


def _keep_logits(out, x, activation):
    """Marks ``out`` as ``activation(x)``: the cross-entropies then compute from ``x`` (see
    ``logits_behind``), as Keras's TensorFlow backend does."""
    out._logits = (activation, x if isinstance(x, Tensor) else Tensor(x))
    return out


def logits_behind(y_pred, activation):
    """The input of the ``activation`` ("softmax" or "sigmoid") that produced ``y_pred``, or None."""
    marked = getattr(y_pred, "_logits", None) if isinstance(y_pred, Tensor) else None
    return marked[1] if marked is not None and marked[0] == activation else None


# Elementwise activations as rules: a function giving a (forward(v), backward(g, x, y)) pair of
# functions, fresh for each use (the approximate GELU's pair keeps its forward's intermediate for the
# backward), native for float32. The ops apply them through _unary; the dense chains call the same
# kernels from their native code (csrc/dense/activation.cpp), so both give the same bits.


def _sigmoid_rule():
    return _sigmoid, lambda g, x, y: g * y * (1 - y)


def _tanh_rule():
    return np.tanh, lambda g, x, y: g * (1 - y * y)


def _leaky_relu_rule(negative_slope=0.2):
    def forward(v):
        return _native_or(v, lambda a, out: _core.leaky_relu(a, out, negative_slope),
                          lambda a: np.where(a > 0, a, a * negative_slope))

    def backward(g, x, y):
        return _native_grad_or((g, x), lambda d, a, out: _core.leaky_relu_backward(d, a, out, negative_slope),
                               lambda: np.where(x > 0, g, g * negative_slope))

    return forward, backward


def _elu_forward(alpha, scale):
    """scale * (v if v > 0 else alpha * (exp(v) - 1)): native for float32 (within 3 ulp)."""
    def forward(v):
        return _native_or(v, lambda a, out: _core.elu(a, out, alpha, scale),
                          lambda a: scale * np.where(a > 0, a, alpha * np.expm1(np.minimum(a, 0))))

    return forward


def _elu_backward(shift, scale):
    """dy * scale where x > 0, else dy * (y + shift): native for float32 (the same float32 steps)."""
    def backward(g, x, y):
        return _native_grad_or((g, x, y), lambda d, a, b, out: _core.elu_backward(d, a, b, out, shift, scale),
                               lambda: np.where(x > 0, g * scale, g * (y + shift)))

    return backward


def _elu_rule(alpha=1.0):
    return _elu_forward(alpha, 1.0), _elu_backward(alpha, 1.0)


_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def _selu_rule():
    return _elu_forward(_SELU_ALPHA, _SELU_SCALE), _elu_backward(_SELU_SCALE * _SELU_ALPHA, _SELU_SCALE)


def sigmoid(x):
    return _keep_logits(_unary(x, *_sigmoid_rule()), x, "sigmoid")


def tanh(x):
    return _unary(x, *_tanh_rule())


def softplus(x):
    return _unary(x, *_softplus_rule())


def silu(x):
    return _unary(x, *_silu_rule())


def leaky_relu(x, negative_slope=0.2):
    return _unary(x, *_leaky_relu_rule(negative_slope))


def elu(x, alpha=1.0):
    return _unary(x, *_elu_rule(alpha))


def selu(x):
    """``scale * elu(x, alpha)`` with the self-normalizing constants."""
    return _unary(x, *_selu_rule())


def _erfc(z):
    """erfc(z) for z >= 0 in float64, relative error below 1.2e-7 (the Chebyshev fit of
    Numerical Recipes, section 6.2): the tails keep their precision, as float32 needs. Horner's
    scheme in place: no array per step."""
    t = z * 0.5
    t += 1.0
    np.divide(1.0, t, out=t)
    poly = t * 0.17087277
    for coefficient in (-0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196,
                        1.00002368):
        poly += coefficient
        poly *= t
    poly += -1.26551223
    exponent = np.negative(z)
    exponent *= z
    exponent += poly
    np.exp(exponent, out=exponent)
    exponent *= t
    return exponent


_GELU_C = math.sqrt(2.0 / math.pi)


def gelu(x, approximate=True):
    """``x * Phi(x)``, Phi the standard normal CDF; ``approximate=True`` (the default of
    ``keras.ops.gelu``; ``keras.activations.gelu`` defaults to the exact form) uses the tanh form.
    The forward keeps its tanh (or Phi) for the gradient."""
    return _unary(x, *_gelu_rule(approximate))


def _gelu_rule(approximate):
    saved = {}
    if approximate:
        def forward(v):
            v = _float_array(v)
            inner = np.square(v, out=np.empty_like(v))  # tanh(C v (1 + 0.044715 v^2))
            inner *= 0.044715
            inner += 1
            inner *= v
            inner *= _GELU_C
            np.tanh(inner, out=inner)
            saved["tanh"] = inner
            out = inner + 1
            out *= v
            out *= 0.5
            return out

        def backward(g, x, y):
            x = _float_array(x)
            inner = saved["tanh"]
            slope = np.square(x, out=np.empty_like(x))  # d/dx of C x (1 + 0.044715 x^2)
            slope *= 3 * 0.044715
            slope += 1
            slope *= _GELU_C
            grad = np.square(inner, out=np.empty_like(inner))
            np.subtract(1, grad, out=grad)
            grad *= slope
            grad *= x
            grad += inner
            grad += 1
            grad *= 0.5
            grad *= g
            return grad
    else:
        # Native: Phi in double (float32's relative precision into the tails), vectorised.
        def forward(v):
            v = np.asarray(v, dtype=FLOAT, order="C")  # ascontiguousarray would make 0-d (1,)
            out = np.empty_like(v)
            _core.gelu(v, out)
            return out

        def backward(g, x, y):
            x = np.asarray(x, dtype=FLOAT, order="C")
            grad = np.empty_like(x)
            _core.gelu_backward(np.asarray(np.broadcast_to(g, x.shape), dtype=FLOAT, order="C"), x, grad)
            return grad

    return forward, backward


def _unary_kind_rule(kind, forward, backward):
    """The rule of an activation ``_core.unary_activation`` computes: float32 in one native pass,
    other dtypes by the numpy ``forward`` and ``backward``. The native relu6, hard_sigmoid,
    hard_silu, softsign and SiLU give those formulas' bits (SiLU's with the native sigmoid);
    softplus is within 1 ulp (numpy's float32 logaddexp: 1.5), and mish and log_sigmoid are
    computed through it."""
    def native_forward(v):
        return _native_or(v, lambda a, out: _core.unary_activation(kind, a, out), forward)

    def native_backward(g, x, y):
        return _native_grad_or((g, x), lambda d, a, out: _core.unary_activation_backward(kind, d, a, out),
                               lambda: backward(g, x, y))

    return native_forward, native_backward


def _relu6_rule():
    return _unary_kind_rule("relu6", lambda v: np.clip(v, 0, 6),
                            lambda g, x, y: np.where((x > 0) & (x < 6), g, 0 * g))


def _softsign_rule():
    return _unary_kind_rule("softsign", lambda v: v / (1 + np.abs(v)),
                            lambda g, x, y: g / np.square(1 + np.abs(x)))


def _hard_sigmoid_rule():
    return _unary_kind_rule("hard_sigmoid", lambda v: np.clip(v / 6 + 0.5, 0, 1),
                            lambda g, x, y: np.where((x > -3) & (x < 3), g / 6, 0 * g))


def _hard_silu_rule():
    def backward(g, x, y):
        return np.where(x <= -3, 0 * g, np.where(x >= 3, g, g * (x / 3 + 0.5)))

    return _unary_kind_rule("hard_silu", lambda v: v * np.clip(v / 6 + 0.5, 0, 1), backward)


def _silu_rule():
    def backward(g, x, y):
        s = _sigmoid(x)
        return g * (s + x * s * (1 - s))

    return _unary_kind_rule("silu", lambda v: v * _sigmoid(v), backward)


def _softplus_rule():
    return _unary_kind_rule("softplus", lambda v: np.logaddexp(0, v), lambda g, x, y: g * _sigmoid(x))


def _mish_rule():
    def backward(g, x, y):
        t = np.tanh(np.logaddexp(0, x))
        return g * (t + x * (1 - t * t) * _sigmoid(x))

    return _unary_kind_rule("mish", lambda v: v * np.tanh(np.logaddexp(0, v)), backward)


def _log_sigmoid_rule():
    return _unary_kind_rule("log_sigmoid", lambda v: -np.logaddexp(0, -v), lambda g, x, y: g * _sigmoid(-x))


# The rules of keras.activations' elementwise functions with their default arguments, by name.
ACTIVATION_RULES = {
    "sigmoid": _sigmoid_rule, "softplus": _softplus_rule, "silu": _silu_rule,
    "leaky_relu": _leaky_relu_rule, "elu": _elu_rule, "selu": _selu_rule, "gelu": lambda: _gelu_rule(False),
    "relu6": _relu6_rule, "softsign": _softsign_rule, "hard_sigmoid": _hard_sigmoid_rule,
    "hard_silu": _hard_silu_rule, "mish": _mish_rule, "log_sigmoid": _log_sigmoid_rule,
}


def relu6(x):
    return _unary(x, *_relu6_rule())


def softsign(x):
    return _unary(x, *_softsign_rule())


def hard_sigmoid(x):
    """``relu6(x + 3) / 6``, as Keras 3 defines it."""
    return _unary(x, *_hard_sigmoid_rule())


def hard_silu(x):
    """``x * hard_sigmoid(x)``."""
    return _unary(x, *_hard_silu_rule())


def mish(x):
    """``x * tanh(softplus(x))``."""
    return _unary(x, *_mish_rule())


def log_sigmoid(x):
    """``-softplus(-x)``, computed without overflow."""
    return _unary(x, *_log_sigmoid_rule())


def softmax(x, axis=-1):
    def forward(v):
        # In place after the first subtraction: a classifier's metrics run this once a step.
        shifted = v - v.max(axis, keepdims=True)
        if shifted.dtype.kind != "f":
            shifted = shifted.astype(FLOAT)
        np.exp(shifted, out=shifted)
        shifted /= shifted.sum(axis, keepdims=True)
        return shifted

    def backward(g, x, y):
        return y * (g - np.sum(g * y, axis=axis, keepdims=True))

    out = _unary(x, forward, backward)
    if axis == -1 or axis == out.ndim - 1:
        _keep_logits(out, x, "softmax")
    return out


def log_softmax(x, axis=-1):
    def forward(v):
        shifted = v - np.max(v, axis=axis, keepdims=True)
        return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))

    def backward(g, x, y):
        return g - np.exp(y) * np.sum(g, axis=axis, keepdims=True)

    return _unary(x, forward, backward)


def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))), computed stably; built from primitives."""
    _, vx = _operand(x)
    peak = np.max(vx, axis=axis, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0)
    result = add(log(reduce_sum(exp(subtract(x, peak)), axis=axis, keepdims=True)), peak)
    if not keepdims:
        result = squeeze(result, axis=axis)
    return result


def dense(x, kernel, bias=None, activation="linear"):
    """Fused ``activation(x @ kernel + bias)`` on the last axis of ``x``.

    One native call forward and one backward (dx, dkernel, dbias). ``x`` may
    have more than two dimensions; they are flattened into rows.
    """
    if activation not in FUSED_ACTIVATIONS:
        raise ValueError(
            f"dense: activation must be one of {FUSED_ACTIVATIONS}. Received: {activation!r}"
        )
    # Tensors and Variables are unwrapped inline: this op runs once per Dense call.
    tx, vx = (x, x._value) if isinstance(x, Tensor) else _array_operand(x)
    tw, vw = (kernel, kernel._value) if isinstance(kernel, Tensor) else _array_operand(kernel)
    if bias is None:
        tb = vb = None
    else:
        tb, vb = (bias, bias._value) if isinstance(bias, Tensor) else _array_operand(bias)
    if vx.dtype != FLOAT:
        vx = vx.astype(FLOAT)
    if vx.ndim < 1 or vw.ndim != 2 or vx.shape[-1] != vw.shape[0]:
        raise ValueError(
            f"dense: x's last dimension must equal kernel's first. "
            f"Received: x.shape={vx.shape}, kernel.shape={vw.shape}"
        )
    flat = vx.ndim == 2
    # Explicit row count: reshape(-1, 0) is ambiguous for empty inputs.
    rows = vx if flat else vx.reshape(math.prod(vx.shape[:-1]), vw.shape[0])
    out = np.empty((rows.shape[0], vw.shape[1]), dtype=FLOAT)
    _core.dense_forward(rows, vw, vb, activation, out)
    result = wrap(out if flat else out.reshape(vx.shape[:-1] + (vw.shape[1],)))
    if state.tapes and (tx is not None or tw is not None or tb is not None):
        need_dx = needs_gradient(tx)

        def backward(g):
            if g.dtype != FLOAT or not g.flags.c_contiguous:
                g = np.ascontiguousarray(g, dtype=FLOAT)
            if not flat:
                g = g.reshape(out.shape)
            dx = np.empty_like(rows) if need_dx else None
            dw = np.empty_like(vw)
            db = np.empty_like(vb) if vb is not None else None
            _core.dense_backward(rows, vw, out, g, activation, dx, dw, db)
            if dx is not None and not flat:
                dx = dx.reshape(vx.shape)
            return (dx, dw, db)

        record(result, (tx, tw, tb), backward, "dense:" + activation if flat else None)
    return result


def _normalize(x, gamma, beta, stat_axes, param_axes, epsilon):
    """``(x - mean) / sqrt(variance + epsilon) * gamma + beta`` as one recorded op, the
    statistics (the biased variance) over ``stat_axes`` and ``gamma``, ``beta`` (either may be
    None) varying along ``param_axes``; returns it with the statistics (kept dimensions). The
    backward pass is the closed form, a dozen array passes, where the same formula in separate
    ops records ten ops and twice the passes."""
    tx, vx = _array_operand(x)
    tg, vg = (None, None) if gamma is None else _array_operand(gamma)
    tb, vb = (None, None) if beta is None else _array_operand(beta)
    if vx.dtype != FLOAT:
        vx = vx.astype(FLOAT)
    if (vx.ndim == 2 and param_axes == (1,) and stat_axes in ((0,), (1,)) and vx.flags.c_contiguous
            and all(v is None or (v.dtype == FLOAT and v.shape == vx.shape[1:]) for v in (vg, vb))):
        return _normalize_rows(tx, vx, tg, vg, tb, vb, epsilon, per_feature=stat_axes == (0,))
    shape = tuple(vx.shape[a] if a in param_axes else 1 for a in range(vx.ndim))  # gamma's, against x
    summed = tuple(a for a in range(vx.ndim) if a not in param_axes)  # what gamma's gradient sums over
    mean = vx.mean(axis=stat_axes, keepdims=True)
    normalized = vx - mean
    variance = np.square(normalized).mean(axis=stat_axes, keepdims=True)
    inv_std = 1.0 / np.sqrt(variance + FLOAT.type(epsilon))
    normalized *= inv_std
    out = normalized * vg.reshape(shape) if vg is not None else normalized.copy()
    if vb is not None:
        out += vb.reshape(shape)
    result = wrap(out)
    if state.tapes and (tx is not None or tg is not None or tb is not None):
        need_x = needs_gradient(tx)

        def backward(g):
            g = np.asarray(g, dtype=FLOAT)
            dbeta = g.sum(axis=summed).reshape(vb.shape) if vb is not None else None
            dgamma = (g * normalized).sum(axis=summed).reshape(vg.shape) if vg is not None else None
            dx = None
            if need_x:
                dnormalized = g * vg.reshape(shape) if vg is not None else g
                # d/dx of (x - mean) * inv_std, the statistics depending on x too.
                dx = dnormalized - dnormalized.mean(axis=stat_axes, keepdims=True)
                dx -= normalized * (dnormalized * normalized).mean(axis=stat_axes, keepdims=True)
                dx *= inv_std
            return (dx, dgamma, dbeta)

        record(result, (tx, tg, tb), backward)
    return result, mean, variance


def _normalize_rows(tx, vx, tg, vg, tb, vb, epsilon, per_feature):
    """``_normalize`` of a batch of feature rows, with gamma and beta per feature: the statistics
    per feature (BatchNormalization after a Dense) or per row (LayerNormalization over the last
    axis). Two native passes each way, the sums in double."""
    m, n = vx.shape
    forward, backward_kernel = ((_core.batch_norm_forward, _core.batch_norm_backward) if per_feature
                                else (_core.layer_norm_forward, _core.layer_norm_backward))
    out, normalized = np.empty_like(vx), np.empty_like(vx)
    count = n if per_feature else m
    mean, variance, inv_std = np.empty(count, FLOAT), np.empty(count, FLOAT), np.empty(count, FLOAT)
    forward(vx, vg, vb, epsilon, out, normalized, mean, variance, inv_std)
    result = wrap(out)
    if state.tapes and (tx is not None or tg is not None or tb is not None):
        need_x = needs_gradient(tx)

        def backward(g):
            g = np.ascontiguousarray(g, dtype=FLOAT)
            dx = np.empty_like(g) if need_x else None
            dgamma = np.empty(n, FLOAT) if vg is not None else None
            dbeta = np.empty(n, FLOAT) if vb is not None else None
            backward_kernel(g, normalized, vg, inv_std, dx, dgamma, dbeta)
            return (dx, dgamma, dbeta)

        record(result, (tx, tg, tb), backward)
    shape = (1, n) if per_feature else (m, 1)
    return result, mean.reshape(shape), variance.reshape(shape)


def batch_normalization_training(x, gamma, beta, axis, epsilon):
    """BatchNormalization in training: ``(outputs, mean, variance)``, the batch statistics over
    every axis of ``x`` but ``axis`` (as 1-D arrays), ``gamma`` and ``beta`` along ``axis``."""
    ndim = np.ndim(x._value if isinstance(x, Tensor) else x)
    axis = axis % ndim
    outputs, mean, variance = _normalize(x, gamma, beta, tuple(a for a in range(ndim) if a != axis), (axis,),
                                         epsilon)
    return outputs, mean.reshape(-1), variance.reshape(-1)


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """``keras.ops.batch_normalization``: ``x`` normalized by the given statistics (1-D, along
    ``axis``), as Keras computes it: ``x * inv + (offset - mean * inv)`` with
    ``inv = scale / sqrt(variance + epsilon)``."""
    from pykeras.ops import core

    ndim = np.ndim(x._value if isinstance(x, Tensor) else x)
    shape = [1] * ndim
    shape[axis % ndim] = -1
    inv = core.power(core.add(core.reshape(variance, shape), epsilon), -0.5)
    if scale is not None:
        inv = core.multiply(inv, core.reshape(scale, shape))
    shift = core.negative(core.multiply(core.reshape(mean, shape), inv))
    if offset is not None:
        shift = core.add(shift, core.reshape(offset, shape))
    return core.add(core.multiply(x, inv), shift)


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, rms_scaling=False):
    """``keras.ops.layer_normalization``: ``x`` normalized over ``axis`` (an int or a list),
    then scaled by ``gamma`` and shifted by ``beta`` (each shaped like those axes, or None).
    ``epsilon`` defaults to ``keras.config.epsilon()``. ``rms_scaling`` is deprecated, as in
    Keras (it divides by the root of the variance, not of the mean square)."""
    from pykeras.config import epsilon as default_epsilon

    if rms_scaling:
        warnings.warn("You passed `rms_scaling=True`, which is deprecated. This argument scales the input by the "
                      "variance, not the root mean square.", UserWarning, stacklevel=3)
    ndim = np.ndim(x._value if isinstance(x, Tensor) else x)
    axes = tuple(sorted({a % ndim for a in ([axis] if isinstance(axis, int) else axis)}))
    return normalize_layer(x, gamma, beta, axes, default_epsilon() if epsilon is None else epsilon, rms_scaling)


def normalize_layer(x, gamma, beta, axes, epsilon, rms_scaling=False):
    """LayerNormalization's computation over ``axes`` (non-negative): one recorded op, or with
    ``rms_scaling`` (as Keras's layer has it) ``x / sqrt(variance + epsilon) * gamma``."""
    if not rms_scaling:
        return _normalize(x, gamma, beta, axes, axes, epsilon)[0]
    from pykeras.ops import core

    ndim = np.ndim(x._value if isinstance(x, Tensor) else x)
    shape = tuple(np.shape(x)[a] if a in axes else 1 for a in range(ndim))
    centered = core.subtract(x, core.mean(x, axis=axes, keepdims=True))
    variance = core.mean(core.square(centered), axis=axes, keepdims=True)
    outputs = core.multiply(x, core.power(core.add(variance, epsilon), -0.5))
    return outputs if gamma is None else core.multiply(outputs, core.reshape(gamma, shape))


def sparse_softmax_cross_entropy(labels, logits, sample_weight=None):
    """Mean over rows of -log softmax(logits)[label]: one fused native call.

    While a tape records, the gradient is produced in the same pass. ``sample_weight``, one
    weight per row (batch,), multiplies each row's loss before the mean over the rows, as
    Keras's default reduction weighs samples; it gets no gradient.
    """
    _, labels = _array_operand(labels)
    labels = np.ascontiguousarray(labels.reshape(-1))
    if labels.dtype not in _NATIVE_LABELS:  # uint8 labels, float labels: the kernel reads int32/int64
        labels = labels.astype(np.int64)
    return _fused_loss("sparse_softmax_cross_entropy", _core.softmax_cross_entropy, labels, logits,
                       "labels (batch,)", sample_weight)


def softmax_cross_entropy(targets, logits, sample_weight=None):
    """Mean over rows of -sum(targets * log softmax(logits)) for class probabilities ``targets``
    (one-hot or soft) shaped like ``logits``: one fused native call, as the sparse form, with
    ``sample_weight`` as there.
    """
    return _fused_loss("softmax_cross_entropy", _core.softmax_cross_entropy, _float_targets(targets), logits,
                       "targets (batch, classes)", sample_weight)


def sigmoid_cross_entropy(targets, logits, sample_weight=None):
    """Mean over every entry of ``softplus(logits) - targets * logits`` (the binary cross-entropy
    from logits) for ``targets`` shaped like the 2-D ``logits``: one fused native call, its
    gradient from the same pass. ``sample_weight`` (batch,) multiplies each row's mean, as in
    ``sparse_softmax_cross_entropy``.
    """
    return _fused_loss("sigmoid_cross_entropy", _core.sigmoid_cross_entropy, _float_targets(targets), logits,
                       "targets (batch, logits)", sample_weight)


def squared_error(targets, outputs, sample_weight=None):
    """Mean over every entry of ``(outputs - targets) ** 2`` (Keras's mean squared error under its
    default reduction) for ``targets`` shaped like the 2-D ``outputs``: one fused native call, its
    gradient from the same pass; ``sample_weight`` (batch,) as in ``sparse_softmax_cross_entropy``.
    """
    return _fused_loss("squared_error", _core.squared_error, _float_targets(targets), outputs,
                       "targets (batch, outputs)", sample_weight, "outputs (batch, outputs)")


def absolute_error(targets, outputs, sample_weight=None):
    """Mean over every entry of ``abs(outputs - targets)``, as ``squared_error``; the gradient is
    the sign of the difference (0 where it is 0)."""
    return _fused_loss("absolute_error", _core.absolute_error, _float_targets(targets), outputs,
                       "targets (batch, outputs)", sample_weight, "outputs (batch, outputs)")


def _float_targets(targets):
    """Targets of a fused loss other than labels: a C-contiguous float32 array."""
    return np.ascontiguousarray(_array_operand(targets)[1], dtype=FLOAT)


def loss_scalar(value):
    """A fused loss's value (a Python float, summed in double) as float32: past float32's range
    it is inf, as in float32 arithmetic, without numpy's overflow warning."""
    if abs(value) < 3.4e38:  # below float32's largest value: no overflow
        return FLOAT.type(value)
    with np.errstate(over="ignore"):
        return FLOAT.type(value)


def _fused_loss(name, native, targets, logits, expected, sample_weight, what="logits (batch, classes)"):
    """The loss op of one native call ``native(predictions, targets, gradient, scale, weights)``."""
    tl, vl = _array_operand(logits)
    if vl.dtype != FLOAT:
        vl = vl.astype(FLOAT)
    fits = targets.shape[:1] == vl.shape[:1] and (targets.ndim == 1 or targets.shape == vl.shape)
    if vl.ndim != 2 or not fits:
        raise ValueError(
            f"{name}: expected {what} and {expected}. "
            f"Received: {what.split()[0]}.shape={vl.shape}, {expected.split()[0]}.shape={targets.shape}"
        )
    weights = None
    if sample_weight is not None:
        weights = np.ascontiguousarray(_array_operand(sample_weight)[1], dtype=FLOAT)
        if weights.shape != vl.shape[:1]:
            raise ValueError(f"{name}: expected sample_weight of shape (batch,) = ({vl.shape[0]},), one weight "
                             f"per row. Received: sample_weight.shape={weights.shape}")
    recording = state.tapes and tl is not None
    dlogits = np.empty_like(vl) if recording else None
    result = wrap(np.asarray(loss_scalar(native(vl, targets, dlogits, 1.0, weights))))
    if recording:

        def backward(g):
            scale = float(g)  # the loss is a scalar, so is its upstream gradient
            return (dlogits if scale == 1.0 else dlogits * np.float32(scale),)

        record(result, (tl,), backward)
    return result

for _name in __all__:
    globals()[_name] = name_errors(globals()[_name])
