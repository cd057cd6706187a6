"""Losses with Keras 3's names, formulas, reductions and configs.

Every loss is built from ``pykeras.ops``, so it is differentiable on a
GradientTape. ``Loss.__call__`` returns a scalar Tensor (or per-sample values
with ``reduction=None``); the functions (``mean_squared_error``, ...) return
per-sample values. ``SparseCategoricalCrossentropy(from_logits=True)`` with no
sample weight and a mean reduction runs one fused native op that also produces
the gradient.
"""
import math
import warnings
import weakref

import numpy as np

from pykeras import ops
from pykeras.naming import to_snake_case, unique_name
from pykeras.tensor import Tensor

EPSILON = 1e-7  # keras.backend.epsilon()

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)

# Per-sample values a loss marks as partly invalid (Keras's `_keras_mask`);
# Tensor has __slots__, so the mask lives beside it, keyed weakly by identity.
_MASKS = weakref.WeakKeyDictionary()


def _set_mask(tensor, mask):
    _MASKS[tensor] = mask


def _get_mask(tensor):
    return _MASKS.get(tensor) if isinstance(tensor, Tensor) else None


def standardize_reduction(reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"Invalid value for argument `reduction`. Expected one of {REDUCTIONS}. "
            f"Received: reduction={reduction!r}"
        )
    return reduction


def _float(x):
    """A float32 Tensor; a float32 Tensor comes back unchanged (tape identity)."""
    if isinstance(x, Tensor) and x._value.dtype.kind == "f":
        return x if x._value.dtype == np.float32 else ops.cast(x, "float32")
    return ops.convert_to_tensor(np.asarray(x if not isinstance(x, Tensor) else x._value,
                                            dtype=np.float32))


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Squeezes or expands a trailing 1-dim so the ranks agree (Keras's rule)."""
    rank1, rank2 = len(x1.shape), len(x2.shape)
    if rank1 == rank2 + 1 and x1.shape[-1] == 1:
        if rank2 == 1 and expand_rank_1:
            x2 = ops.expand_dims(x2, -1)
        else:
            x1 = ops.squeeze(x1, -1)
    if rank2 == rank1 + 1 and x2.shape[-1] == 1:
        if rank1 == 1 and expand_rank_1:
            x1 = ops.expand_dims(x1, -1)
        else:
            x2 = ops.squeeze(x2, -1)
    return x1, x2


def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    if reduction in (None, "none") or values.shape in ((), (0,)):
        return values
    loss = ops.sum(values)
    if reduction == "sum":
        return loss
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        total = float(np.sum(_value(sample_weight)))
        return ops.divide(loss, total) if total != 0 else ops.multiply(loss, 0.0)
    count = math.prod(values.shape)
    return ops.divide(loss, float(count)) if count else loss


def _value(x):
    return x._value if isinstance(x, Tensor) else np.asarray(x)


def apply_mask(sample_weight, mask, reduction):
    """Folds a per-sample validity mask into the sample weights; for mean
    reductions valid entries get ``total / valid`` so the mean is over them."""
    if mask is None:
        return sample_weight
    mask = np.asarray(mask, dtype=np.float32)
    if reduction in ("mean", "sum_over_batch_size"):
        valid = mask.sum()
        mask = mask * (mask.size / valid if valid else 0.0)
    if sample_weight is None:
        return ops.convert_to_tensor(mask)
    mask, sample_weight = squeeze_or_expand_to_same_rank(ops.convert_to_tensor(mask), sample_weight)
    return ops.multiply(sample_weight, mask)


def reduce_weighted_values(values, sample_weight=None, mask=None,
                           reduction="sum_over_batch_size"):
    """Weights per-sample ``values`` and reduces them as ``reduction`` says."""
    reduction = standardize_reduction(reduction)
    values = _float(values)
    if sample_weight is not None:
        sample_weight = _float(sample_weight)
    sample_weight = apply_mask(sample_weight, mask, reduction)
    if sample_weight is not None:
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        try:
            np.broadcast_shapes(values.shape, sample_weight.shape)
        except ValueError:
            raise ValueError(
                "Loss: `sample_weight` must broadcast to the per-sample losses. Received: "
                f"sample_weight.shape={sample_weight.shape}, losses.shape={values.shape}"
            ) from None
        values = ops.multiply(values, sample_weight)
    return reduce_values(values, sample_weight, reduction)


class Loss:
    """Base class: subclasses implement ``call(y_true, y_pred)`` returning
    per-sample losses.

    Args:
        name: the loss's name.
        reduction: ``"sum_over_batch_size"`` (default; the weighted sum divided
            by the number of elements), ``"mean"`` (the same), ``"sum"``,
            ``"mean_with_sample_weight"`` (divided by the sum of the weights),
            or ``None``/``"none"`` (per-sample values).
        dtype: only float32 is supported.

    Example:
        >>> class Squared(keras.losses.Loss):
        ...     def call(self, y_true, y_pred):
        ...         return ops.mean(ops.square(y_pred - y_true), axis=-1)
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        if dtype not in (None, "float32"):
            raise ValueError(f"{type(self).__name__}: only float32 is supported. Received: dtype={dtype!r}")
        self.name = name or unique_name(to_snake_case(type(self).__name__))
        self.reduction = standardize_reduction(reduction)
        self.dtype = "float32"

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_pred = _float(y_pred)
        y_true = _float(y_true)
        losses = self.call(y_true, y_pred)
        return reduce_weighted_values(
            losses, sample_weight=sample_weight, mask=_get_mask(losses), reduction=self.reduction
        )

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"{type(self).__name__} must implement call().")

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, reduction={self.reduction}>"


class LossFunctionWrapper(Loss):
    """Makes a ``Loss`` of a per-sample function ``fn(y_true, y_pred, **kwargs)``."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", None), reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        return function_config(super().get_config(), self.fn, self._fn_kwargs)

    @classmethod
    def from_config(cls, config):
        return function_from_config(cls, config, _FUNCTIONS)


def function_config(config, fn, fn_kwargs):
    """A function wrapper's config: the base ``config``, the function's name and its arguments."""
    return {**config, "fn": getattr(fn, "__name__", repr(fn)), **fn_kwargs}


def function_from_config(cls, config, functions):
    """The wrapper ``cls`` of ``function_config``'s output, the name looked up in ``functions``."""
    config = dict(config)
    fn = config.pop("fn")
    if isinstance(fn, str):
        if fn not in functions:
            raise ValueError(f"{cls.__name__}: unknown function {fn!r}")
        fn = functions[fn]
    return cls(fn, **config)


class _BuiltinLoss(LossFunctionWrapper):
    """A built-in loss class: its config is its constructor's arguments, the function implied."""

    def get_config(self):
        return {**Loss.get_config(self), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


# ----------------------------------------------------------------- functions

def _pair(y_true, y_pred):
    y_pred = _float(y_pred)
    y_true = _float(y_true)
    return squeeze_or_expand_to_same_rank(y_true, y_pred)


def mean_squared_error(y_true, y_pred):
    """``mean(square(y_true - y_pred), axis=-1)``."""
    y_true, y_pred = _pair(y_true, y_pred)
    return ops.mean(ops.square(ops.subtract(y_true, y_pred)), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """``mean(abs(y_true - y_pred), axis=-1)``."""
    y_true, y_pred = _pair(y_true, y_pred)
    return ops.mean(ops.abs(ops.subtract(y_true, y_pred)), axis=-1)


def _softplus(x):
    """log(1 + exp(x)) without overflow, from primitives; the gradient at 0 is 1/2."""
    magnitude = ops.where(ops.greater_equal(x, 0), x, ops.negative(x))
    return ops.add(ops.maximum(x, 0.0), ops.log(ops.add(ops.exp(ops.negative(magnitude)), 1.0)))


def _check_same_shape(name, target, output):
    if target.shape != output.shape:
        raise ValueError(
            f"{name}: `y_true` and `y_pred` must have the same shape. "
            f"Received: y_true.shape={target.shape}, y_pred.shape={output.shape}"
        )


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Per-sample binary cross-entropy: the mean over ``axis`` of
    ``-(t log p + (1 - t) log(1 - p))``.

    Probabilities are clipped to ``[1e-7, 1 - 1e-7]``; with ``from_logits`` the
    exact ``softplus(x) - t * x`` is used (Keras's JAX/TF/torch backends).
    Label smoothing squeezes targets toward 0.5: ``t (1 - s) + s / 2``.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    _check_same_shape("binary_crossentropy", y_true, y_pred)
    if label_smoothing:
        y_true = ops.add(ops.multiply(y_true, 1.0 - label_smoothing), 0.5 * label_smoothing)
    if from_logits:
        elementwise = ops.subtract(_softplus(y_pred), ops.multiply(y_true, y_pred))
    else:
        p = ops.clip(y_pred, EPSILON, 1.0 - EPSILON)
        elementwise = ops.negative(ops.add(
            ops.multiply(y_true, ops.log(p)),
            ops.multiply(ops.subtract(1.0, y_true), ops.log(ops.subtract(1.0, p))),
        ))
    return ops.mean(elementwise, axis=axis)


def _log_probabilities(y_pred, from_logits, axis):
    if from_logits:
        return ops.log_softmax(y_pred, axis=axis)
    # Keras rescales so each row sums to 1, then clips.
    p = ops.divide(y_pred, ops.sum(y_pred, axis=axis, keepdims=True))
    return ops.log(ops.clip(p, EPSILON, 1.0 - EPSILON))


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Per-sample ``-sum(t * log p, axis)`` for one-hot (or soft) targets.

    Label smoothing: ``t (1 - s) + s / num_classes``.
    """
    if isinstance(axis, bool):
        raise ValueError(f"categorical_crossentropy: `axis` must be an int. Received: axis={axis}")
    y_pred = _float(y_pred)
    y_true = _float(y_true)
    if y_pred.shape and y_pred.shape[-1] == 1:
        warnings.warn(
            "In loss categorical_crossentropy, expected y_pred.shape to be "
            f"(batch_size, num_classes) with num_classes > 1. Received: y_pred.shape={y_pred.shape}. "
            "Consider using 'binary_crossentropy' if you only have 2 classes.",
            SyntaxWarning,
            stacklevel=2,
        )
    _check_same_shape("categorical_crossentropy", y_true, y_pred)
    if label_smoothing:
        classes = y_true.shape[-1]
        y_true = ops.add(ops.multiply(y_true, 1.0 - label_smoothing), label_smoothing / classes)
    log_p = _log_probabilities(y_pred, from_logits, axis)
    return ops.negative(ops.sum(ops.multiply(y_true, log_p), axis=axis))


def _sparse_labels(y_true, y_pred):
    """Integer labels shaped like ``y_pred`` minus its last axis."""
    labels = _value(y_true)
    if labels.ndim == len(y_pred.shape) and labels.ndim and labels.shape[-1] == 1:
        labels = labels.reshape(labels.shape[:-1])
    if labels.dtype.kind == "f":
        labels = labels.astype(np.int64)
    if labels.shape != tuple(y_pred.shape[:-1]):
        raise ValueError(
            "sparse_categorical_crossentropy: `y_true` must have the shape of `y_pred` without "
            "its last axis (or with a last axis of 1). "
            f"Received: y_true.shape={np.shape(_value(y_true))}, y_pred.shape={y_pred.shape}"
        )
    return labels


def _check_label_range(labels, classes, valid=None):
    checked = labels if valid is None else labels[valid]
    if checked.size and (checked.min() < 0 or checked.max() >= classes):
        raise ValueError(
            f"sparse_categorical_crossentropy: labels must lie in [0, {classes}). "
            f"Received: labels in [{checked.min()}, {checked.max()}]"
        )


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Per-sample ``-log p[label]`` for integer labels (any int or float dtype),
    shaped ``(batch,)`` or ``(batch, 1)`` for ``y_pred`` of shape ``(batch, classes)``.

    With ``ignore_class``, those entries get loss 0 and are masked out of the
    mean, as in Keras.
    """
    if axis not in (-1, len(np.shape(_value(y_pred))) - 1):
        raise ValueError(f"sparse_categorical_crossentropy: only the last axis is supported. Received: axis={axis}")
    y_pred = _float(y_pred)
    if not y_pred.shape:
        raise ValueError("sparse_categorical_crossentropy: `y_pred` must be at least rank 1. Received: a scalar")
    labels = _sparse_labels(y_true, y_pred)
    classes = y_pred.shape[-1]
    valid = None
    if ignore_class is not None:
        valid = labels != ignore_class
        labels = np.where(valid, labels, 0)
    _check_label_range(labels, classes, valid)
    log_p = _log_probabilities(y_pred, from_logits, -1)
    rows = ops.reshape(log_p, (-1, classes))
    flat = labels.reshape(-1)
    picked = ops.getitem(rows, (np.arange(flat.shape[0]), flat))
    result = ops.negative(ops.reshape(picked, labels.shape))
    if valid is not None:
        result = ops.where(valid, result, 0.0)
        _set_mask(result, valid)
    return result


# ------------------------------------------------------------------ classes

class MeanSquaredError(_BuiltinLoss):
    """``mean(square(y_true - y_pred))``."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name=name, reduction=reduction, dtype=dtype)


class MeanAbsoluteError(_BuiltinLoss):
    """``mean(abs(y_true - y_pred))``."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name=name, reduction=reduction, dtype=dtype)


class BinaryCrossentropy(_BuiltinLoss):
    """Binary cross-entropy; see ``binary_crossentropy``.

    Example:
        >>> keras.losses.BinaryCrossentropy(from_logits=True)(y, logits)
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="binary_crossentropy", dtype=None):
        super().__init__(binary_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis


class CategoricalCrossentropy(_BuiltinLoss):
    """Categorical cross-entropy for one-hot targets; see ``categorical_crossentropy``."""

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_crossentropy", dtype=None):
        super().__init__(categorical_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis


class SparseCategoricalCrossentropy(_BuiltinLoss):
    """Cross-entropy for integer labels; see ``sparse_categorical_crossentropy``.

    With ``from_logits=True``, 2-D logits, no ``ignore_class``, no sample
    weight and a mean reduction, the loss is one fused native op
    (``ops.sparse_softmax_cross_entropy``) whose gradient comes from the same pass.
    """

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
                 name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(sparse_categorical_crossentropy, name=name, reduction=reduction,
                         dtype=dtype, from_logits=from_logits, ignore_class=ignore_class)
        self.from_logits = from_logits
        self.ignore_class = ignore_class

    def call(self, y_true, y_pred):
        # Labels keep their own shape: (batch,) and (batch, 1) are both valid.
        return sparse_categorical_crossentropy(y_true, y_pred, **self._fn_kwargs)

    def __call__(self, y_true, y_pred, sample_weight=None):
        if (self.from_logits and sample_weight is None and self.ignore_class is None
                and self.reduction in ("sum_over_batch_size", "mean")):
            logits = _float(y_pred)
            if len(logits.shape) == 2 and logits.shape[0] > 0:
                # The native op checks the label range itself.
                return ops.sparse_softmax_cross_entropy(_sparse_labels(y_true, logits), logits)
        return super().__call__(y_true, y_pred, sample_weight)


# ------------------------------------------------------------------- lookup

_CLASSES = [MeanSquaredError, MeanAbsoluteError, BinaryCrossentropy, CategoricalCrossentropy,
            SparseCategoricalCrossentropy]
_FUNCTIONS = {f.__name__: f for f in (mean_squared_error, mean_absolute_error,
                                       binary_crossentropy, categorical_crossentropy,
                                       sparse_categorical_crossentropy)}
# As in Keras: class names give instances, function names and aliases give functions.
_BY_NAME = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update(_FUNCTIONS)
_BY_NAME.update({
    "mse": mean_squared_error, "MSE": mean_squared_error,
    "mae": mean_absolute_error, "MAE": mean_absolute_error,
    "bce": binary_crossentropy, "BCE": binary_crossentropy,
})

mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error


def serialize(loss):
    """Keras's dict form: a class instance, or a built-in function by name."""
    if isinstance(loss, Loss):
        return {"module": "keras.losses", "class_name": type(loss).__name__,
                "config": loss.get_config(), "registered_name": None}
    name = getattr(loss, "__name__", None)
    if name in _FUNCTIONS:
        return {"module": "keras.losses", "class_name": "function", "config": name,
                "registered_name": "function"}
    raise ValueError(f"Cannot serialize loss {loss!r}: not a Loss or a built-in loss function")


def deserialize(config, custom_objects=None):
    if isinstance(config, str):
        return get(config)
    class_name = config.get("class_name")
    if class_name == "function":
        return get(config.get("config"))
    cls = (custom_objects or {}).get(class_name) or _BY_NAME.get(class_name)
    if cls is None or not isinstance(cls, type):
        raise ValueError(f"Could not interpret loss config: {config!r}")
    return cls.from_config(config.get("config", {}))


def get(identifier):
    """Resolves a Keras loss name (``"mse"``, ``"categorical_crossentropy"``
    give functions; ``"MeanSquaredError"`` gives an instance), a config dict,
    a Loss, or any callable ``(y_true, y_pred)``.

    Raises:
        ValueError: for an unknown name, listing the known ones.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        obj = _BY_NAME.get(identifier)
        if obj is None:
            raise ValueError(
                f"Could not interpret loss identifier: {identifier!r}. "
                f"Expected one of {sorted(_BY_NAME)}"
            )
        return obj() if isinstance(obj, type) else obj
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}")
