"""Hinge losses for labels in {-1, 1} (labels in {0, 1} are mapped there first, as in Keras)."""
import numpy as np

from pykeras import ops
from pykeras.losses.base import array_of, builtin_function, float_pair, loss_class


def _signed(y_true):
    labels = array_of(y_true)
    return ops.subtract(ops.multiply(y_true, 2.0), 1.0) if np.all((labels == 0) | (labels == 1)) else y_true


@builtin_function
def hinge(y_true, y_pred):
    """``mean(max(1 - y_true * y_pred, 0), axis=-1)``."""
    y_true, y_pred = float_pair(y_true, y_pred)
    return ops.mean(ops.maximum(ops.subtract(1.0, ops.multiply(_signed(y_true), y_pred)), 0.0), axis=-1)


@builtin_function
def squared_hinge(y_true, y_pred):
    """``mean(square(max(1 - y_true * y_pred, 0)), axis=-1)``."""
    y_true, y_pred = float_pair(y_true, y_pred)
    margin = ops.maximum(ops.subtract(1.0, ops.multiply(_signed(y_true), y_pred)), 0.0)
    return ops.mean(ops.square(margin), axis=-1)


@builtin_function
def categorical_hinge(y_true, y_pred):
    """``max(neg - pos + 1, 0)``: ``pos`` the score of the true class (one-hot ``y_true``), ``neg``
    the best score among the others."""
    y_true, y_pred = float_pair(y_true, y_pred)
    pos = ops.sum(ops.multiply(y_true, y_pred), axis=-1)
    neg = ops.max(ops.multiply(ops.subtract(1.0, y_true), y_pred), axis=-1)
    return ops.maximum(ops.add(ops.subtract(neg, pos), 1.0), 0.0)


Hinge = loss_class("Hinge", hinge, "hinge", "See ``hinge``.")
SquaredHinge = loss_class("SquaredHinge", squared_hinge, "squared_hinge", "See ``squared_hinge``.")
CategoricalHinge = loss_class("CategoricalHinge", categorical_hinge, "categorical_hinge", "See ``categorical_hinge``.")
