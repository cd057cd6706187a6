"""``keras.regularizers``: penalties on a weight that join the model's ``losses``.

    keras.layers.Dense(64, kernel_regularizer=keras.regularizers.L2(1e-4))
    keras.layers.Dense(64, kernel_regularizer="l2")   # L2(0.01), as in Keras

The penalties and their gradients go through the tape, on the fused training step as on the
general one. Configs are written as Keras 3 writes them, so saved files keep them.
"""
import math
import numbers

import numpy as np

from pykeras import _core, ops
from pykeras.ops.core import _unary
from pykeras.saving import serialization


# sum(abs(x)) and sum(square(x)) as single ops: the values of the composed ops, and per element
# the same gradient (sign(x) * g, 2g * x) from one or two passes over the weight instead of the
# four of a broadcast sum's gradient followed by the elementwise one.
def _sum_of_abs(x):
    def backward(g, x, y):
        grad = np.sign(x)
        grad *= g
        return grad

    return _unary(x, lambda v: np.sum(np.abs(v)), backward)


def _sum_of_squares(x):
    return _unary(x, squares_total, lambda g, x, y: x * (2 * g))


def squares_total(v):
    """sum(square(v)); for float32 one native pass in double (each square exact, a fixed order),
    rounded once, where numpy's float32 sum would take two passes and round as it goes."""
    if isinstance(v, np.ndarray) and v.dtype == np.float32:
        return np.float32(_core.sum_of_squares(np.ascontiguousarray(v)))
    return np.sum(np.square(v))


def _factor(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value < 0:
        raise ValueError(f"Invalid value for argument {name}: expected a non-negative float. Received: {name}={value!r}")
    return float(value)


class Regularizer:
    """Base class: ``regularizer(weight)`` returns a scalar penalty.

    Example:
        >>> class Sparse(keras.regularizers.Regularizer):
        ...     def __call__(self, x):
        ...         return 1e-3 * ops.sum(ops.abs(x))
    """

    def __call__(self, x):
        return 0.0

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class L1L2(Regularizer):
    """``l1 * sum(abs(x)) + l2 * sum(square(x))``; a factor of 0 leaves its term out."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _factor(l1, "l1")
        self.l2 = _factor(l2, "l2")

    def __call__(self, x):
        penalty = 0.0
        if self.l1:
            penalty = ops.multiply(self.l1, _sum_of_abs(x))
        if self.l2:
            penalty = ops.add(penalty, ops.multiply(self.l2, _sum_of_squares(x)))
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """``l1 * sum(abs(x))``."""

    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    """``l2 * sum(square(x))``."""

    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


l1, l2, l1_l2 = L1, L2, L1L2  # Keras's lower-case aliases

_CLASSES = {cls.__name__: cls for cls in (Regularizer, L1, L2, L1L2)}
_BY_NAME = {"L1": L1, "L2": L2, "L1L2": L1L2, "l1": L1, "l2": L2, "l1_l2": L1L2}


def serialize(regularizer):
    """Keras's ``{"module", "class_name", "config", "registered_name"}`` form; None stays None."""
    return serialization.serialize_object(regularizer, "keras.regularizers", _CLASSES)


def deserialize(config):
    """The regularizer of a ``serialize`` output: built-in, registered, or a custom object in scope."""
    return serialization.deserialize_object(config, _CLASSES, "regularizer")


def get(identifier):
    """Resolves None, a name (default arguments), a config dict or a callable."""
    return serialization.get_object(identifier, _BY_NAME, deserialize, "regularizer", Regularizer)
