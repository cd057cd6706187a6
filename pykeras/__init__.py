"""pykeras: the Keras Layer / Model API on a small, fast native CPU core.

    import pykeras as keras
    from pykeras import ops
"""
__version__ = "0.1.0"

from pykeras import _openmp_env  # noqa: F401  (must run before the native module loads)
from pykeras import (
    activations,
    callbacks,
    config,
    constraints,
    initializers,
    layers,
    losses,
    metrics,
    models,
    ops,
    optimizers,
    random,
    regularizers,
    saving,
    utils,
)
from pykeras.layers import Input, Layer
from pykeras.models import Model, Sequential
from pykeras.ops import GradientTape
from pykeras.tensor import Tensor, Variable

__all__ = [
    "GradientTape",
    "Input",
    "Layer",
    "Model",
    "Sequential",
    "Tensor",
    "Variable",
    "activations",
    "callbacks",
    "config",
    "constraints",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "models",
    "ops",
    "optimizers",
    "random",
    "regularizers",
    "saving",
    "utils",
    "__version__",
]
