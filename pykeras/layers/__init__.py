"""``pykeras.layers``: the Layer base class and the built-in layers."""
from pykeras.layers.activation import Activation, ReLU
from pykeras.layers.activations_layers import ELU, LeakyReLU, PReLU, Softmax
from pykeras.layers.activity_regularization import ActivityRegularization
from pykeras.layers.batch_normalization import BatchNormalization
from pykeras.layers.dense import Dense
from pykeras.layers.dropout import Dropout
from pykeras.layers.dropout_variants import AlphaDropout, SpatialDropout1D
from pykeras.layers.embedding import Embedding
from pykeras.layers.flatten import Flatten
from pykeras.layers.input_layer import InputLayer
from pykeras.layers.lambda_layer import Lambda
from pykeras.layers.layer import Layer
from pykeras.layers.layer_normalization import LayerNormalization
from pykeras.layers.merging import (Add, Average, Concatenate, Maximum, Merge, Minimum, Multiply, Subtract, add,
                                    average, concatenate, maximum, minimum, multiply, subtract)
from pykeras.layers.noise import GaussianDropout, GaussianNoise
from pykeras.layers.normalization import Normalization
from pykeras.layers.pooling import GlobalAveragePooling1D, GlobalAvgPool1D, GlobalMaxPool1D, GlobalMaxPooling1D
from pykeras.layers.preprocessing import Identity, Rescaling
from pykeras.layers.reshape import Reshape
from pykeras.layers.reshaping import Permute, RepeatVector
from pykeras.layers.symbolic import Input, KerasTensor
from pykeras.layers.symbolic_ops import install as _install_symbolic_ops
from pykeras.layers.unit_normalization import UnitNormalization
from pykeras.saving.serialization import register_builtin

__all__ = [
    "Activation", "ActivityRegularization", "Add", "AlphaDropout", "Average", "BatchNormalization", "Concatenate",
    "Dense", "Dropout", "ELU", "Embedding", "Flatten", "GaussianDropout", "GaussianNoise", "GlobalAveragePooling1D",
    "GlobalAvgPool1D", "GlobalMaxPool1D", "GlobalMaxPooling1D", "Identity", "Input", "InputLayer", "KerasTensor",
    "Lambda", "Layer", "LayerNormalization", "LeakyReLU", "Maximum", "Merge", "Minimum", "Multiply", "Normalization",
    "PReLU", "Permute", "ReLU", "RepeatVector", "Rescaling", "Reshape", "Softmax", "SpatialDropout1D", "Subtract",
    "UnitNormalization", "add", "average", "concatenate", "maximum", "minimum", "multiply", "subtract",
]

for _cls in (Activation, ActivityRegularization, Add, AlphaDropout, Average, BatchNormalization, Concatenate, Dense,
             Dropout, ELU, Embedding, Flatten, GaussianDropout, GaussianNoise, GlobalAveragePooling1D,
             GlobalMaxPooling1D, Identity, InputLayer, Lambda, Layer, LayerNormalization, LeakyReLU, Maximum, Minimum,
             Multiply, Normalization, PReLU, Permute, ReLU, RepeatVector, Rescaling, Reshape, Softmax, SpatialDropout1D,
             Subtract, UnitNormalization):
    register_builtin("keras.layers", _cls)

_install_symbolic_ops()  # KerasTensor's operators, and keras.ops on KerasTensors
