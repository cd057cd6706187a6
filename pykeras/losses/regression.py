"""Regression losses: per-sample functions and their classes."""
import math
import numbers

from pykeras import ops
from pykeras.losses.base import EPSILON, BuiltinLoss, builtin_function, float_pair, float_tensor, loss_class, softplus
from pykeras.losses.fused import FUSED_REDUCTIONS, fused_row_weights, output_targets


@builtin_function
def mean_squared_error(y_true, y_pred):
    """``mean(square(y_true - y_pred), axis=-1)``."""
    y_true, y_pred = float_pair(y_true, y_pred)
    return ops.mean(ops.square(ops.subtract(y_true, y_pred)), axis=-1)


@builtin_function
def mean_absolute_error(y_true, y_pred):
    """``mean(abs(y_true - y_pred), axis=-1)``."""
    y_true, y_pred = float_pair(y_true, y_pred)
    return ops.mean(ops.abs(ops.subtract(y_true, y_pred)), axis=-1)


@builtin_function
def mean_squared_logarithmic_error(y_true, y_pred):
    """``mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)``."""
    y_true, y_pred = float_pair(y_true, y_pred)
    logs = [ops.log(ops.add(ops.maximum(y, EPSILON), 1.0)) for y in (y_pred, y_true)]
    return ops.mean(ops.square(ops.subtract(*logs)), axis=-1)


@builtin_function
def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean(abs((y_true - y_pred) / max(abs(y_true), eps)), axis=-1)``."""
    y_true, y_pred = float_pair(y_true, y_pred)
    ratio = ops.divide(ops.subtract(y_true, y_pred), ops.maximum(ops.abs(y_true), EPSILON))
    return ops.multiply(100.0, ops.mean(ops.abs(ratio), axis=-1))


@builtin_function
def huber(y_true, y_pred, delta=1.0):
    """``mean(e^2 / 2 if |e| <= delta else delta * |e| - delta^2 / 2, axis=-1)``, ``e = y_pred - y_true``."""
    y_true, y_pred = float_pair(y_true, y_pred)
    error = ops.subtract(y_pred, y_true)
    size = ops.abs(error)
    quadratic = ops.multiply(0.5, ops.square(error))
    linear = ops.subtract(ops.multiply(delta, size), 0.5 * delta * delta)
    return ops.mean(ops.where(ops.less_equal(size, delta), quadratic, linear), axis=-1)


@builtin_function
def log_cosh(y_true, y_pred):
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``, as ``x + softplus(-2x) - log 2`` (no overflow)."""
    y_true, y_pred = float_pair(y_true, y_pred)
    x = ops.subtract(y_pred, y_true)
    return ops.mean(ops.subtract(ops.add(x, softplus(ops.multiply(x, -2.0))), math.log(2.0)), axis=-1)


def _unit(x, axis):
    return ops.divide(x, ops.maximum(ops.sqrt(ops.sum(ops.square(x), axis=axis, keepdims=True)), EPSILON))


@builtin_function
def cosine_similarity(y_true, y_pred, axis=-1):
    """Minus the cosine of the angle between the two along ``axis`` (-1 for equal directions)."""
    y_true, y_pred = float_pair(y_true, y_pred)
    return ops.negative(ops.sum(ops.multiply(_unit(y_true, axis), _unit(y_pred, axis)), axis=axis))


class _FusedErrorLoss(BuiltinLoss):
    """A regression loss with a fused native op (``ops`` name ``_op``) for 2-D predictions under a
    mean reduction, with no sample weights or one per row: the loss and its gradient in one pass,
    as the cross-entropies have."""

    _op = None

    def __call__(self, y_true, y_pred, sample_weight=None):
        if self.reduction in FUSED_REDUCTIONS:
            y_pred = float_tensor(y_pred)
            weights = fused_row_weights(sample_weight, y_pred.shape)
            targets = None if weights is False else output_targets(y_true, y_pred.shape)
            if targets is not None:
                return getattr(ops, self._op)(targets, y_pred, weights)
        return super().__call__(y_true, y_pred, sample_weight)


MeanSquaredError = loss_class("MeanSquaredError", mean_squared_error, "mean_squared_error",
                              "``mean(square(y_true - y_pred))``. Fused: ``ops.squared_error``.", _FusedErrorLoss)
MeanSquaredError._op = "squared_error"
MeanAbsoluteError = loss_class("MeanAbsoluteError", mean_absolute_error, "mean_absolute_error",
                               "``mean(abs(y_true - y_pred))``. Fused: ``ops.absolute_error``.", _FusedErrorLoss)
MeanAbsoluteError._op = "absolute_error"
MeanSquaredLogarithmicError = loss_class("MeanSquaredLogarithmicError", mean_squared_logarithmic_error,
                                         "mean_squared_logarithmic_error", "See ``mean_squared_logarithmic_error``.")
MeanAbsolutePercentageError = loss_class("MeanAbsolutePercentageError", mean_absolute_percentage_error,
                                         "mean_absolute_percentage_error", "See ``mean_absolute_percentage_error``.")
LogCosh = loss_class("LogCosh", log_cosh, "log_cosh", "See ``log_cosh``.")


class Huber(BuiltinLoss):
    """Quadratic for errors up to ``delta``, linear beyond; see ``huber``."""

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        if isinstance(delta, bool) or not isinstance(delta, numbers.Real) or not delta > 0:
            raise ValueError(f"Huber: `delta` must be a positive number. Received: delta={delta!r}")
        super().__init__(huber, name=name, reduction=reduction, dtype=dtype, delta=float(delta))


class CosineSimilarity(BuiltinLoss):
    """See ``cosine_similarity``."""

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity", dtype=None):
        super().__init__(cosine_similarity, name=name, reduction=reduction, dtype=dtype, axis=axis)
