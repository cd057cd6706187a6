"""Metrics that average a per-sample function: ``MeanMetricWrapper``, the accuracies and the
regression errors, with their functions."""
import numpy as np

from pykeras.losses.base import function_config, function_from_config, get_mask
from pykeras.metrics.base import Mean, _array, squeeze_or_expand_to_same_rank
from pykeras.tensor import Tensor


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
        mask = get_mask(values)  # a loss function may mask entries (ignore_class)
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
        return function_from_config(cls, config, FUNCTIONS)


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


def _in_top_k(labels, scores, k):
    """1.0 where the label's score has fewer than ``k`` scores strictly above it (ties count as in,
    as in Keras)."""
    picked = np.take_along_axis(scores, labels[..., None], axis=-1)
    return (np.sum(scores > picked, axis=-1) < k).astype(np.float32)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the one-hot label's class is among the ``k`` highest scores."""
    scores = _array(y_pred, np.float32)
    return _in_top_k(np.argmax(_array(y_true), axis=-1), scores, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the integer label is among the ``k`` highest scores."""
    scores = _array(y_pred, np.float32)
    labels = _array(y_true)
    if labels.ndim == scores.ndim and labels.shape[-1] == 1:
        labels = labels[..., 0]
    return _in_top_k(labels.astype(np.int64), scores, k)


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


class _WrapperWithOptions(MeanMetricWrapper):
    """A built-in wrapper whose config is its name, dtype and its function's options."""

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class BinaryAccuracy(_WrapperWithOptions):
    """How often ``y_pred > threshold`` matches the binary label.

    Example:
        >>> m = keras.metrics.BinaryAccuracy(threshold=0.5)
    """

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold


class TopKCategoricalAccuracy(_WrapperWithOptions):
    """How often the one-hot label's class is among the ``k`` highest scores."""

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k


class SparseTopKCategoricalAccuracy(_WrapperWithOptions):
    """How often the integer label is among the ``k`` highest scores."""

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k


class RootMeanSquaredError(Mean):
    """``sqrt`` of the (weighted) mean of ``square(y_pred - y_true)``."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = _array(y_pred, np.float32)
        y_true, y_pred = squeeze_or_expand_to_same_rank(_array(y_true, np.float32), y_pred)
        super().update_state(np.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self):
        return Tensor(np.sqrt(super().result()._value))


FUNCTIONS = {f.__name__: f for f in (accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
                                     top_k_categorical_accuracy, sparse_top_k_categorical_accuracy,
                                     mean_squared_error, mean_absolute_error)}
