"""Metrics with Keras 3's names, state variables and weighting rules, and their lookup."""
from pykeras.metrics.base import Mean, Metric, Sum
from pykeras.metrics.confusion import AUC, Precision, Recall
from pykeras.metrics.loss_based import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    KLDivergence,
    LogCoshError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    Poisson,
    SparseCategoricalCrossentropy,
    SquaredHinge,
)
from pykeras.metrics.loss_based import CLASSES as _LOSS_BASED_CLASSES
from pykeras.losses import (
    binary_crossentropy,
    categorical_crossentropy,
    categorical_hinge,
    hinge,
    kl_divergence,
    log_cosh,
    mean_absolute_percentage_error,
    mean_squared_logarithmic_error,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)
from pykeras.metrics.per_sample import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    MeanAbsoluteError,
    MeanMetricWrapper,
    MeanSquaredError,
    RootMeanSquaredError,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    mean_absolute_error,
    mean_squared_error,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from pykeras.metrics.per_sample import FUNCTIONS as _FUNCTIONS  # noqa: F401 - saving finds functions here
from pykeras.naming import to_snake_case
from pykeras.saving import serialization

__all__ = [
    "AUC", "Precision", "Recall", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "Mean", "MeanAbsoluteError", "MeanMetricWrapper",
    "MeanSquaredError", "Metric", "SparseCategoricalAccuracy", "Sum", "accuracy", "binary_accuracy",
    "categorical_accuracy", "deserialize", "get", "mean_absolute_error", "mean_squared_error", "serialize",
    "sparse_categorical_accuracy", "RootMeanSquaredError", "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy",
    "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy",
    "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "CosineSimilarity",
    "KLDivergence", "Poisson", "Hinge", "SquaredHinge", "CategoricalHinge", "MeanSquaredLogarithmicError",
    "MeanAbsolutePercentageError", "LogCoshError",
    "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy", "kl_divergence", "poisson",
    "hinge", "squared_hinge", "categorical_hinge", "mean_squared_logarithmic_error",
    "mean_absolute_percentage_error", "log_cosh",
]

# ------------------------------------------------------------------- lookup

_CLASSES = [Mean, Sum, Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
            MeanSquaredError, MeanAbsoluteError, Precision, Recall, AUC, RootMeanSquaredError,
            TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, *_LOSS_BASED_CLASSES]
# As in Keras 3: class names and their snake_case forms (and mse/mae) name classes.
_BY_NAME = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update({to_snake_case(cls.__name__): cls for cls in _CLASSES})
for _alias, _cls in (("mse", MeanSquaredError), ("mae", MeanAbsoluteError), ("bce", BinaryCrossentropy),
                     ("mape", MeanAbsolutePercentageError), ("msle", MeanSquaredLogarithmicError)):
    _BY_NAME[_alias] = _BY_NAME[_alias.upper()] = _cls


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
    return serialization.get_object(identifier, _BY_NAME, deserialize, "metric", Metric)


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
