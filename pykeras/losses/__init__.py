"""Losses with Keras 3's names, formulas, reductions and configs.

Every loss is built from ``pykeras.ops``, so it is differentiable on a
GradientTape. ``Loss.__call__`` returns a scalar Tensor (or per-sample values
with ``reduction=None``); the functions (``mean_squared_error``, ...) return
per-sample values. ``SparseCategoricalCrossentropy(from_logits=True)`` with no
sample weight and a mean reduction runs one fused native op that also produces
the gradient.
"""
from pykeras.losses.base import FUNCTIONS, Loss, LossFunctionWrapper
from pykeras.losses.crossentropy import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
)
from pykeras.losses.hinge import CategoricalHinge, Hinge, SquaredHinge, categorical_hinge, hinge, squared_hinge
from pykeras.losses.probabilistic import KLDivergence, Poisson, kl_divergence, poisson
from pykeras.losses.regression import (
    CosineSimilarity,
    Huber,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    cosine_similarity,
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from pykeras.naming import to_snake_case
from pykeras.saving import serialization

__all__ = [
    "BinaryCrossentropy", "CategoricalCrossentropy", "CategoricalHinge", "CosineSimilarity", "Hinge", "Huber",
    "KLDivergence", "LogCosh", "Loss", "LossFunctionWrapper", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredError", "MeanSquaredLogarithmicError", "Poisson", "SparseCategoricalCrossentropy", "SquaredHinge",
    "binary_crossentropy", "categorical_crossentropy", "categorical_hinge", "cosine_similarity", "deserialize", "get",
    "hinge", "huber", "kl_divergence", "log_cosh", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_error", "mean_squared_logarithmic_error", "poisson", "serialize", "sparse_categorical_crossentropy",
    "squared_hinge",
]

# ------------------------------------------------------------------- lookup

_CLASSES = [MeanSquaredError, MeanAbsoluteError, BinaryCrossentropy, CategoricalCrossentropy,
            SparseCategoricalCrossentropy, MeanSquaredLogarithmicError, MeanAbsolutePercentageError, Huber, LogCosh,
            CosineSimilarity, Hinge, SquaredHinge, CategoricalHinge, KLDivergence, Poisson]
_FUNCTIONS = FUNCTIONS
# As in Keras: class names give instances, function names and aliases give functions.
_BY_NAME = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update(_FUNCTIONS)
_BY_NAME.update({
    "mse": mean_squared_error, "MSE": mean_squared_error,
    "mae": mean_absolute_error, "MAE": mean_absolute_error,
    "bce": binary_crossentropy, "BCE": binary_crossentropy,
    "kld": kl_divergence, "KLD": kl_divergence,
    "mape": mean_absolute_percentage_error, "MAPE": mean_absolute_percentage_error,
    "msle": mean_squared_logarithmic_error, "MSLE": mean_squared_logarithmic_error,
})

# Each built-in function's class, whose defaults are the function's own arguments.
_CLASS_OF_FUNCTION = {_FUNCTIONS[to_snake_case(cls.__name__)]: cls for cls in _CLASSES}

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


def as_loss(loss):
    """``loss`` as the Loss object ``compile`` uses: a built-in function becomes its class with the
    defaults (the same values, and the class's fused path where it has one, as
    SparseCategoricalCrossentropy has), any other callable ``(y_true, y_pred)`` is wrapped."""
    if isinstance(loss, Loss):
        return loss
    cls = _CLASS_OF_FUNCTION.get(loss)
    return cls() if cls is not None else LossFunctionWrapper(loss)


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
    return serialization.get_object(identifier, _BY_NAME, deserialize, "loss", Loss)
