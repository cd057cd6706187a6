"""``pykeras.layers``: the Layer base class and the built-in layers (the less common ones are
imported on first use: lazy_exports.py)."""
from pykeras.layers.activation import Activation, ReLU
from pykeras.layers.dense import Dense
from pykeras.layers.dropout import Dropout
from pykeras.layers.flatten import Flatten
from pykeras.layers.input_layer import InputLayer
from pykeras.layers.layer import Layer
from pykeras.layers.symbolic import Input, KerasTensor
from pykeras.layers.symbolic_ops import install as _install_symbolic_ops
from pykeras.lazy_exports import lazy_exports
from pykeras.saving.serialization import register_builtin, register_builtin_lazily

_LAZY, __getattr__ = lazy_exports(__name__, {
    "activations_layers": ("ELU", "LeakyReLU", "PReLU", "Softmax"),
    "activity_regularization": ("ActivityRegularization",),
    "batch_normalization": ("BatchNormalization",),
    "dropout_variants": ("AlphaDropout", "SpatialDropout1D"),
    "embedding": ("Embedding",),
    "lambda_layer": ("Lambda",),
    "layer_normalization": ("LayerNormalization",),
    "merging": ("Add", "Average", "Concatenate", "Maximum", "Merge", "Minimum", "Multiply", "Subtract", "add",
                "average", "concatenate", "maximum", "minimum", "multiply", "subtract"),
    "noise": ("GaussianDropout", "GaussianNoise"),
    "normalization": ("Normalization",),
    "pooling": ("GlobalAveragePooling1D", "GlobalAvgPool1D", "GlobalMaxPool1D", "GlobalMaxPooling1D"),
    "preprocessing": ("Identity", "Rescaling"),
    "reshape": ("Reshape",),
    "reshaping": ("Permute", "RepeatVector"),
    "unit_normalization": ("UnitNormalization",),
})

__all__ = [
    "Activation", "ActivityRegularization", "Add", "AlphaDropout", "Average", "BatchNormalization", "Concatenate",
    "Dense", "Dropout", "ELU", "Embedding", "Flatten", "GaussianDropout", "GaussianNoise", "GlobalAveragePooling1D",
    "GlobalAvgPool1D", "GlobalMaxPool1D", "GlobalMaxPooling1D", "Identity", "Input", "InputLayer", "KerasTensor",
    "Lambda", "Layer", "LayerNormalization", "LeakyReLU", "Maximum", "Merge", "Minimum", "Multiply", "Normalization",
    "PReLU", "Permute", "ReLU", "RepeatVector", "Rescaling", "Reshape", "Softmax", "SpatialDropout1D", "Subtract",
    "UnitNormalization", "add", "average", "concatenate", "maximum", "minimum", "multiply", "subtract",
]


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


for _cls in (Activation, Dense, Dropout, Flatten, InputLayer, Layer, ReLU):
    register_builtin("keras.layers", _cls)
for _name, _module in _LAZY.items():
    # Saved files name the layer classes; the aliases and merge functions are not classes of their own.
    if _name[0].isupper() and _name not in ("GlobalAvgPool1D", "GlobalMaxPool1D", "Merge"):
        register_builtin_lazily("keras.layers", _name, _module)

_install_symbolic_ops()  # KerasTensor's operators, and keras.ops on KerasTensors
