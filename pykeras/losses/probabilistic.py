"""Losses between distributions and counts: KL divergence and Poisson."""
from pykeras import ops
from pykeras.losses.base import EPSILON, builtin_function, float_pair, loss_class


@builtin_function
def kl_divergence(y_true, y_pred):
    """``sum(t * log(t / p), axis=-1)``, both clipped to ``[1e-7, 1]``."""
    y_true, y_pred = float_pair(y_true, y_pred)
    t, p = ops.clip(y_true, EPSILON, 1.0), ops.clip(y_pred, EPSILON, 1.0)
    return ops.sum(ops.multiply(t, ops.log(ops.divide(t, p))), axis=-1)


@builtin_function
def poisson(y_true, y_pred):
    """``mean(y_pred - y_true * log(y_pred + 1e-7), axis=-1)``."""
    y_true, y_pred = float_pair(y_true, y_pred)
    return ops.mean(ops.subtract(y_pred, ops.multiply(y_true, ops.log(ops.add(y_pred, EPSILON)))), axis=-1)


KLDivergence = loss_class("KLDivergence", kl_divergence, "kl_divergence", "See ``kl_divergence``.")
Poisson = loss_class("Poisson", poisson, "poisson", "See ``poisson``.")
