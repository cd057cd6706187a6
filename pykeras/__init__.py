"""pykeras: the Keras Layer / Model API on a small, fast native CPU core.

    import pykeras as keras
    from pykeras import ops
"""
__version__ = "0.1.0"

import importlib

from pykeras import _openmp_env  # noqa: F401  (must run before the native module loads)
from pykeras import (
    activations,
    config,
    constraints,
    initializers,
    layers,
    losses,
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

# Imported on first use (PEP 562), as by compile(metrics=...) and fit: defining, calling or loading
# a model needs neither, and `import pykeras` is faster without them.
_ON_FIRST_USE = ("callbacks", "metrics")


def __getattr__(name):
    if name in _ON_FIRST_USE:
        return importlib.import_module(f"{__name__}.{name}")  # which also binds it here
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_ON_FIRST_USE))
