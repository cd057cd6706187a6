"""Metrics with Keras 3's names, state variables and weighting rules.

A metric keeps its state in non-trainable float32 Variables (``total``,
``count`` under the metric's name, as in Keras) and computes in numpy: metrics
are never differentiated, so they stay off the tape and cost little per batch.
"""
import numpy as np

from pykeras.losses import function_config, function_from_config
from pykeras.naming import name_scope, to_snake_case, unique_name
from pykeras.tensor import Tensor, Variable


def _array(x, dtype=None):
    value = x._value if isinstance(x, Tensor) else np.asarray(x)
    return value if dtype is None else value.astype(dtype, copy=False)


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """numpy twin of ``losses.squeeze_or_expand_to_same_rank``."""
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
        """A non-trainable state Variable with path ``<metric>/<name>``."""
        if initializer not in ("zeros", None):
            raise ValueError(f"{type(self).__name__}.add_variable: only 'zeros' is supported. "
                             f"Received: initializer={initializer!r}")
        with name_scope(self.name, owner=self):
            variable = Variable(np.zeros(shape, dtype=dtype or self.dtype), trainable=False, name=name)
        self._variables.append(variable)
        return variable

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


class MeanMetricWrapper(Mean):
    """The mean of a per-sample function ``fn(y_true, y_pred, **kwargs)``.

    Example:
        >>> m = keras.metrics.MeanMetricWrapper(my_fn, name="my_metric")
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", None), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self._fn is sparse_categorical_accuracy and sample_weight is None:
            counted = _count_sparse_matches(y_true, y_pred)
            if counted is not None:
                self.accumulate(*counted)
                return
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        from pykeras.losses import _get_mask  # a loss function may mask entries (ignore_class)

        mask = _get_mask(values)
        if mask is not None:
            mask = np.asarray(mask, np.float32)
            if sample_weight is None:
                sample_weight = mask
            else:
                mask, sample_weight = squeeze_or_expand_to_same_rank(
                    mask, _array(sample_weight, np.float32))
                sample_weight = sample_weight * mask
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        return function_config(super().get_config(), self._fn, self._fn_kwargs)

    @classmethod
    def from_config(cls, config):
        return function_from_config(cls, config, _FUNCTIONS)


# ---------------------------------------------------------------- functions

def accuracy(y_true, y_pred):
    """1.0 where ``y_true == y_pred`` elementwise."""
    y_pred = _array(y_pred, np.float32)
    y_true = _array(y_true, np.float32)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return (y_true == y_pred).astype(np.float32)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 where ``(y_pred > threshold) == y_true`` elementwise."""
    y_pred = _array(y_pred, np.float32)
    y_true = _array(y_true)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    predicted = (y_pred > threshold).astype(y_true.dtype)
    return (y_true == predicted).astype(np.float32)


def categorical_accuracy(y_true, y_pred):
    """1.0 where ``argmax(y_true) == argmax(y_pred)`` over the last axis."""
    y_true = np.argmax(_array(y_true), axis=-1)
    y_pred = _array(y_pred, np.float32)
    original_shape = y_true.shape
    reshape = y_true.ndim == y_pred.ndim
    if reshape:
        y_true = np.squeeze(y_true, -1)
    matches = (y_true == np.argmax(y_pred, axis=-1)).astype(np.float32)
    return matches.reshape(original_shape) if reshape else matches


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where the integer label equals ``argmax(y_pred)``; labels shaped
    ``(batch,)`` or ``(batch, 1)``."""
    y_pred = _array(y_pred, np.float32)
    y_true = _array(y_true, np.float32)
    original_shape = y_true.shape
    reshape = y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1
    if reshape:
        y_true = np.squeeze(y_true, -1)
    matches = (y_true == np.argmax(y_pred, axis=-1).astype(np.float32)).astype(np.float32)
    if reshape:
        matches = matches.reshape(original_shape)
    if matches.ndim > 1 and matches.shape[-1] == 1:
        matches = np.squeeze(matches, -1)
    return matches


def _count_sparse_matches(y_true, y_pred):
    """(matches, samples) for integer labels (batch,) and scores (batch, classes), or None for
    other shapes. The same sums as averaging ``sparse_categorical_accuracy``, without its arrays."""
    labels = y_true._value if isinstance(y_true, Tensor) else y_true
    scores = y_pred._value if isinstance(y_pred, Tensor) else y_pred
    if (type(labels) is not np.ndarray or type(scores) is not np.ndarray or labels.dtype.kind not in "iu"
            or labels.ndim != 1 or scores.ndim != 2 or scores.shape[0] != labels.shape[0]
            or scores.dtype != np.float32):
        return None
    return np.count_nonzero(scores.argmax(axis=-1) == labels), labels.shape[0]


def mean_squared_error(y_true, y_pred):
    y_pred = _array(y_pred, np.float32)
    y_true, y_pred = squeeze_or_expand_to_same_rank(_array(y_true, np.float32), y_pred)
    return np.mean(np.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true, y_pred):
    y_pred = _array(y_pred, np.float32)
    y_true, y_pred = squeeze_or_expand_to_same_rank(_array(y_true, np.float32), y_pred)
    return np.mean(np.abs(y_true - y_pred), axis=-1)


# ------------------------------------------------------------------ classes

def _wrapper_class(class_name, fn, default_name, doc):
    def __init__(self, name=default_name, dtype=None):
        MeanMetricWrapper.__init__(self, fn, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    cls = type(class_name, (MeanMetricWrapper,), {
        "__init__": __init__, "get_config": get_config,
        "from_config": classmethod(lambda cls, config: cls(**config)),
        "__doc__": doc, "__module__": __name__,
    })
    return cls


Accuracy = _wrapper_class("Accuracy", accuracy, "accuracy",
                          "How often predictions equal labels exactly.")
CategoricalAccuracy = _wrapper_class(
    "CategoricalAccuracy", categorical_accuracy, "categorical_accuracy",
    "How often argmax(y_pred) matches the one-hot label's argmax.")
SparseCategoricalAccuracy = _wrapper_class(
    "SparseCategoricalAccuracy", sparse_categorical_accuracy, "sparse_categorical_accuracy",
    "How often argmax(y_pred) matches the integer label.")
MeanSquaredError = _wrapper_class("MeanSquaredError", mean_squared_error, "mean_squared_error",
                                  "The mean of square(y_true - y_pred).")
MeanAbsoluteError = _wrapper_class("MeanAbsoluteError", mean_absolute_error,
                                   "mean_absolute_error", "The mean of abs(y_true - y_pred).")


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` matches the binary label.

    Example:
        >>> m = keras.metrics.BinaryAccuracy(threshold=0.5)
    """

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "threshold": self.threshold}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


# ------------------------------------------------------------------- lookup

_CLASSES = [Mean, Sum, Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
            MeanSquaredError, MeanAbsoluteError]
_FUNCTIONS = {f.__name__: f for f in (accuracy, binary_accuracy, categorical_accuracy,
                                       sparse_categorical_accuracy, mean_squared_error,
                                       mean_absolute_error)}
# As in Keras 3: class names and their snake_case forms (and mse/mae) name classes.
_BY_NAME = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update({to_snake_case(cls.__name__): cls for cls in _CLASSES})
_BY_NAME.update({"mse": MeanSquaredError, "MSE": MeanSquaredError,
                 "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError})


def serialize(metric):
    return {"module": "keras.metrics", "class_name": type(metric).__name__,
            "config": metric.get_config(), "registered_name": None}


def deserialize(config, custom_objects=None):
    class_name = config.get("class_name")
    cls = (custom_objects or {}).get(class_name) or _BY_NAME.get(class_name)
    if cls is None:
        raise ValueError(f"Could not interpret metric config: {config!r}")
    return cls.from_config(config.get("config", {}))


def get(identifier):
    """Resolves a Keras metric name (``"mse"``, ``"binary_accuracy"``,
    ``"SparseCategoricalAccuracy"``; a new instance each time), a config dict,
    a Metric, or a callable (returned as is).

    Raises:
        ValueError: for an unknown name, listing the known ones.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier)
        if cls is None:
            raise ValueError(
                f"Could not interpret metric identifier: {identifier!r}. "
                f"Expected one of {sorted(_BY_NAME)}"
            )
        return cls()
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}")


def _last_dim(shape):
    shape = tuple(shape)
    return shape[-1] if shape else None


def resolve_accuracy(name, loss=None, y_true_shape=(), y_pred_shape=()):
    """The accuracy metric Keras 3's ``compile`` picks for ``"accuracy"``/``"acc"``.

    Keras 3 decides from the shapes alone (``loss`` is accepted but, as in
    Keras 3, not consulted): binary if y_pred's last dim is 1; sparse
    categorical if y_true has a lower rank than y_pred, or its last dim is 1
    while y_pred's is larger; categorical otherwise. The metric is named
    ``name`` (the history key).
    """
    y_true_shape, y_pred_shape = tuple(y_true_shape), tuple(y_pred_shape)
    y_pred_last = _last_dim(y_pred_shape)
    y_true_last = _last_dim(y_true_shape)
    if y_pred_last == 1:
        return BinaryAccuracy(name=str(name))
    sparse = len(y_true_shape) < len(y_pred_shape) or (
        y_true_last == 1 and y_pred_last is not None and y_pred_last > 1
    )
    if sparse:
        return SparseCategoricalAccuracy(name=str(name))
    return CategoricalAccuracy(name=str(name))


def resolve_metric(identifier, y_true_shape=(), y_pred_shape=(), loss=None):
    """One entry of ``compile(metrics=[...])`` resolved as Keras 3 does:
    ``"accuracy"``/``"acc"`` by shapes, other strings through ``get`` and
    named after the string, functions wrapped in ``MeanMetricWrapper``."""
    if identifier is None:
        raise ValueError("Expected a metric. Received: None")
    if str(identifier).lower() in ("accuracy", "acc"):
        return resolve_accuracy(identifier, loss, y_true_shape, y_pred_shape)
    metric = get(identifier)
    if not isinstance(metric, Metric):
        metric = MeanMetricWrapper(metric, name=getattr(metric, "__name__", None))
    if isinstance(identifier, str):
        metric.name = identifier
    return metric
