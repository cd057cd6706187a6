"""``keras.constraints``: projections applied to a weight after each optimizer update.

    keras.layers.Dense(64, kernel_constraint=keras.constraints.MaxNorm(3.0))

Norms are over ``axis`` (0: each output unit's incoming weights, for a Dense kernel) and divided
by ``norm + 1e-7``, as in Keras.
"""
from pykeras import ops
from pykeras.saving import serialization

_EPSILON = 1e-7


def _norms(w, axis):
    return ops.sqrt(ops.sum(ops.square(w), axis=axis, keepdims=True))


def _rescaled(w, norms, desired):
    return ops.multiply(w, ops.divide(desired, ops.add(norms, _EPSILON)))


class Constraint:
    """Base class: ``constraint(weight)`` returns the projected weight."""

    def __call__(self, w):
        return w

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class MaxNorm(Constraint):
    """Scales each slice along ``axis`` whose norm exceeds ``max_value`` back to it."""

    def __init__(self, max_value=2, axis=0):
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        return _rescaled(w, norms, ops.clip(norms, 0, self.max_value))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves each slice's norm a fraction ``rate`` of the way into ``[min_value, max_value]``."""

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        clipped = ops.clip(norms, self.min_value, self.max_value)
        desired = ops.add(ops.multiply(self.rate, clipped), ops.multiply(1 - self.rate, norms))
        return _rescaled(w, norms, desired)

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


class NonNeg(Constraint):
    """Sets negative entries to zero."""

    def __call__(self, w):
        return ops.multiply(w, ops.cast(ops.greater_equal(w, 0.0), "float32"))


class UnitNorm(Constraint):
    """Scales each slice along ``axis`` to norm 1."""

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        return ops.divide(w, ops.add(_norms(w, self.axis), _EPSILON))

    def get_config(self):
        return {"axis": self.axis}


max_norm, min_max_norm, non_neg, unit_norm = MaxNorm, MinMaxNorm, NonNeg, UnitNorm  # Keras's aliases

_CLASSES = {cls.__name__: cls for cls in (Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm)}
_BY_NAME = {**_CLASSES, "max_norm": MaxNorm, "min_max_norm": MinMaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm}
del _BY_NAME["Constraint"]


def serialize(constraint):
    """Keras's ``{"module", "class_name", "config", "registered_name"}`` form; None stays None."""
    return serialization.serialize_object(constraint, "keras.constraints", _CLASSES)


def deserialize(config):
    """The constraint of a ``serialize`` output: built-in, registered, or a custom object in scope."""
    return serialization.deserialize_object(config, _CLASSES, "constraint")


def get(identifier):
    """Resolves None, a name (default arguments), a config dict or a callable."""
    return serialization.get_object(identifier, _BY_NAME, deserialize, "constraint", Constraint)
