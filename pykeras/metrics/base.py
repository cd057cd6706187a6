"""The metric base: ``Metric`` and its state, Keras's weighting rules, ``Sum`` and ``Mean``.

A metric keeps its state in non-trainable float32 Variables (``total``,
``count`` under the metric's name, as in Keras) and computes in numpy: metrics
are never differentiated, so they stay off the tape and cost little per batch.
"""
import numpy as np

from pykeras import initializers
from pykeras.naming import name_scope, to_snake_case, unique_name
from pykeras.tensor import Tensor, Variable


def _array(x, dtype=None):
    value = x._value if isinstance(x, Tensor) else np.asarray(x)
    return value if dtype is None else value.astype(dtype, copy=False)


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """numpy twin of ``losses.base.squeeze_or_expand_to_same_rank``."""
    if x1.ndim == x2.ndim + 1 and x1.shape[-1] == 1:
        if x2.ndim == 1 and expand_rank_1:
            x2 = x2[..., None]
        else:
            x1 = x1[..., 0]
    if x2.ndim == x1.ndim + 1 and x2.shape[-1] == 1:
        if x1.ndim == 1 and expand_rank_1:
            x1 = x1[..., None]
        else:
            x2 = x2[..., 0]
    return x1, x2


class Metric:
    """Base class: subclasses create state with ``add_variable`` and implement
    ``update_state`` and ``result``.

    Args:
        name: the metric's name (the history key).
        dtype: the result's dtype; only float32 is supported.

    Example:
        >>> m = keras.metrics.Mean()
        >>> m.update_state([1, 3, 5, 7])
        >>> float(m.result())
        4.0
    """

    def __init__(self, name=None, dtype=None):
        if dtype not in (None, "float32"):
            raise ValueError(f"{type(self).__name__}: only float32 is supported. Received: dtype={dtype!r}")
        self.name = name or unique_name(to_snake_case(type(self).__name__))
        self.dtype = "float32"
        self._variables = []

    def add_variable(self, shape, initializer="zeros", dtype=None, name=None):
        """A non-trainable state Variable with path ``<metric>/<name>`` (``reset_state`` sets it
        to zeros, as Keras's does)."""
        value = np.zeros(shape, dtype=dtype or self.dtype)
        if initializer not in ("zeros", None):
            value[...] = initializers.get(initializer)(value.shape, dtype="float32")
        with name_scope(self.name, owner=self):
            variable = Variable(value, trainable=False, name=name)
        self._variables.append(variable)
        return variable

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        """``add_variable``, by the name Keras 2 metrics (and Keras 3's guides) use."""
        return self.add_variable(shape, initializer, dtype, name)

    @property
    def variables(self):
        return self._variables[:]

    def update_state(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement update_state().")

    def result(self):
        raise NotImplementedError(f"{type(self).__name__} must implement result().")

    def reset_state(self):
        """Sets every state variable back to zero."""
        for variable in self._variables:
            variable._value[...] = 0

    def __call__(self, *args, **kwargs):
        """Updates the state and returns the result, as Keras does."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def reduce_to_samplewise_values(values, sample_weight, reduce_fn):
    """Keras's weighting: reduce ``values`` to one value per sample and
    return ``(weighted values, per-sample weights or None)``."""
    values = _array(values, np.float32)
    if sample_weight is not None:
        sample_weight = _array(sample_weight, np.float32)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        weight_ndim, values_ndim = sample_weight.ndim, values.ndim
        if values_ndim > weight_ndim:
            values = reduce_fn(values, axis=tuple(range(weight_ndim, values_ndim)))
        try:
            sample_weight = np.broadcast_to(sample_weight, values.shape)
        except ValueError:
            raise ValueError(
                "Metric: `sample_weight` must broadcast to the values. "
                f"Received: sample_weight.shape={sample_weight.shape}, values.shape={values.shape}"
            ) from None
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, weight_ndim)))
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


class Sum(Metric):
    """The (weighted) sum of the values seen."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), name="total")

    def update_state(self, values, sample_weight=None):
        values, _ = reduce_to_samplewise_values(values, sample_weight, np.sum)
        self.total._value += np.float32(np.sum(values, dtype=np.float64))

    def result(self):
        return Tensor(self.total._value.copy())


class Mean(Metric):
    """The (weighted) mean of the values seen: ``total / count``."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), name="total")
        self.count = self.add_variable((), name="count")

    def update_state(self, values, sample_weight=None):
        values, sample_weight = reduce_to_samplewise_values(values, sample_weight, np.mean)
        if sample_weight is not None:
            samples = np.sum(sample_weight, dtype=np.float64)
        elif values.ndim >= 1:
            samples = values.shape[0]
        else:
            samples = 1
        self.accumulate(np.sum(values, dtype=np.float64), samples)

    def accumulate(self, total, count):
        """Adds an already reduced ``total`` over ``count`` samples."""
        # On the 0-d arrays' element: `+=` on a 0-d array takes 1.3 us, this 0.3 (once a step in fit).
        self.total._value[()] += np.float32(total)
        self.count._value[()] += np.float32(count)

    def result(self):
        count = self.count._value
        return Tensor(np.float32(self.total._value / count) if count else np.float32(0.0))
