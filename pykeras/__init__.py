"""pykeras: the Keras Layer / Model API on a small, fast native CPU core.

    import pykeras as keras
    from pykeras import ops
"""
__version__ = "0.1.0"

from pykeras import activations, config, initializers, layers, ops, utils
from pykeras.layers import Input, Layer
from pykeras.ops import GradientTape
from pykeras.tensor import Tensor, Variable

__all__ = [
    "GradientTape",
    "Input",
    "Layer",
    "Tensor",
    "Variable",
    "activations",
    "config",
    "initializers",
    "layers",
    "ops",
    "utils",
    "__version__",
]
