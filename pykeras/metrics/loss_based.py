"""Metrics that average a loss function per sample, as Keras offers them: the cross-entropies,
divergences and hinges, and the regression errors that are not in per_sample.py."""
from pykeras import ops
from pykeras.losses import regression
from pykeras.losses.crossentropy import binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy
from pykeras.losses.hinge import categorical_hinge, hinge, squared_hinge
from pykeras.losses.probabilistic import kl_divergence, poisson
from pykeras.losses.regression import log_cosh, mean_absolute_percentage_error, mean_squared_logarithmic_error
from pykeras.metrics.per_sample import FUNCTIONS, _wrapper_class, _WrapperWithOptions


def cosine_similarity(y_true, y_pred, axis=-1):
    """The cosine of the angle between the two along ``axis`` (1 for equal directions): the
    loss of that name negated, as Keras's metric is."""
    return ops.negative(regression.cosine_similarity(y_true, y_pred, axis=axis))


class BinaryCrossentropy(_WrapperWithOptions):
    """The mean binary cross-entropy; see ``keras.losses.binary_crossentropy``."""

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False, label_smoothing=0):
        super().__init__(binary_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)


class CategoricalCrossentropy(_WrapperWithOptions):
    """The mean categorical cross-entropy; see ``keras.losses.categorical_crossentropy``."""

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False, label_smoothing=0, axis=-1):
        super().__init__(categorical_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(_WrapperWithOptions):
    """The mean sparse categorical cross-entropy; see ``keras.losses.sparse_categorical_crossentropy``."""

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False, ignore_class=None,
                 axis=-1):
        super().__init__(sparse_categorical_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, ignore_class=ignore_class, axis=axis)


class CosineSimilarity(_WrapperWithOptions):
    """The mean cosine similarity along ``axis`` (Keras leaves ``axis`` out of its config, so its
    reloaded metric forgets it; this one keeps it)."""

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=axis)


KLDivergence = _wrapper_class("KLDivergence", kl_divergence, "kl_divergence",
                              "The mean Kullback-Leibler divergence; see ``keras.losses.kl_divergence``.")
Poisson = _wrapper_class("Poisson", poisson, "poisson",
                         "The mean Poisson loss; see ``keras.losses.poisson``.")
Hinge = _wrapper_class("Hinge", hinge, "hinge", "The mean hinge loss; see ``keras.losses.hinge``.")
SquaredHinge = _wrapper_class("SquaredHinge", squared_hinge, "squared_hinge",
                              "The mean squared hinge loss; see ``keras.losses.squared_hinge``.")
CategoricalHinge = _wrapper_class("CategoricalHinge", categorical_hinge, "categorical_hinge",
                                  "The mean categorical hinge loss; see ``keras.losses.categorical_hinge``.")
MeanSquaredLogarithmicError = _wrapper_class(
    "MeanSquaredLogarithmicError", mean_squared_logarithmic_error, "mean_squared_logarithmic_error",
    "The mean of square(log(1 + y_true) - log(1 + y_pred)).")
MeanAbsolutePercentageError = _wrapper_class(
    "MeanAbsolutePercentageError", mean_absolute_percentage_error, "mean_absolute_percentage_error",
    "The mean of 100 * abs((y_true - y_pred) / y_true).")
LogCoshError = _wrapper_class("LogCoshError", log_cosh, "logcosh",
                              "The mean of log(cosh(y_pred - y_true)).")

CLASSES = [BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, CosineSimilarity,
           KLDivergence, Poisson, Hinge, SquaredHinge, CategoricalHinge, MeanSquaredLogarithmicError,
           MeanAbsolutePercentageError, LogCoshError]
# Registered with the accuracies, where MeanMetricWrapper.from_config and saving look functions up.
FUNCTIONS.update({f.__name__: f for f in (
    binary_crossentropy, categorical_crossentropy,
    sparse_categorical_crossentropy, kl_divergence, poisson, hinge,
    squared_hinge, categorical_hinge, mean_squared_logarithmic_error,
    mean_absolute_percentage_error, log_cosh, cosine_similarity)})
