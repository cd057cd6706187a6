"""The loss base: ``Loss``, function wrappers, Keras's reductions and masks, shared helpers."""
import math
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


def set_mask(tensor, mask):
    _MASKS[tensor] = mask


def get_mask(tensor):
    return _MASKS.get(tensor) if isinstance(tensor, Tensor) else None


def standardize_reduction(reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"Invalid value for argument `reduction`. Expected one of {REDUCTIONS}. "
            f"Received: reduction={reduction!r}"
        )
    return reduction


def float_tensor(x):
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
        total = float(np.sum(array_of(sample_weight)))
        return ops.divide(loss, total) if total != 0 else ops.multiply(loss, 0.0)
    count = math.prod(values.shape)
    return ops.divide(loss, float(count)) if count else loss


def array_of(x):
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
    values = float_tensor(values)
    if sample_weight is not None:
        sample_weight = float_tensor(sample_weight)
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
        y_pred = float_tensor(y_pred)
        y_true = float_tensor(y_true)
        losses = self.call(y_true, y_pred)
        return reduce_weighted_values(
            losses, sample_weight=sample_weight, mask=get_mask(losses), reduction=self.reduction
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
        return function_from_config(cls, config, FUNCTIONS)


FUNCTIONS = {}  # the built-in loss functions by name, filled by ``builtin_function``


def builtin_function(fn):
    """Registers a built-in loss function under its name (for configs and ``losses.get``)."""
    FUNCTIONS[fn.__name__] = fn
    return fn


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


class BuiltinLoss(LossFunctionWrapper):
    """A built-in loss class: its config is its constructor's arguments, the function implied."""

    def get_config(self):
        return {**Loss.get_config(self), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def loss_class(class_name, fn, default_name, doc, base=BuiltinLoss):
    """A built-in loss class of a function without options: ``Class(reduction, name, dtype)``."""

    def __init__(self, reduction="sum_over_batch_size", name=default_name, dtype=None):
        base.__init__(self, fn, name=name, reduction=reduction, dtype=dtype)

    return type(class_name, (base,), {"__init__": __init__, "__doc__": doc, "__module__": "pykeras.losses"})


def float_pair(y_true, y_pred):
    y_pred = float_tensor(y_pred)
    y_true = float_tensor(y_true)
    return squeeze_or_expand_to_same_rank(y_true, y_pred)


def softplus(x):
    """log(1 + exp(x)) without overflow, from primitives; the gradient at 0 is 1/2."""
    magnitude = ops.where(ops.greater_equal(x, 0), x, ops.negative(x))
    return ops.add(ops.maximum(x, 0.0), ops.log(ops.add(ops.exp(ops.negative(magnitude)), 1.0)))


def check_same_shape(name, target, output):
    if target.shape != output.shape:
        raise ValueError(
            f"{name}: `y_true` and `y_pred` must have the same shape. "
            f"Received: y_true.shape={target.shape}, y_pred.shape={output.shape}"
        )
