"""``pykeras.layers``: the Layer base class and the built-in layers."""
from pykeras.layers.activation import Activation, ReLU
from pykeras.layers.batch_normalization import BatchNormalization
from pykeras.layers.dense import Dense
from pykeras.layers.dropout import Dropout
from pykeras.layers.embedding import Embedding
from pykeras.layers.flatten import Flatten
from pykeras.layers.input_layer import InputLayer
from pykeras.layers.lambda_layer import Lambda
from pykeras.layers.layer import Layer
from pykeras.layers.layer_normalization import LayerNormalization
from pykeras.layers.merging import Add, Average, Concatenate, Maximum, Merge, Minimum, Multiply, Subtract
from pykeras.layers.noise import GaussianDropout, GaussianNoise
from pykeras.layers.normalization import Normalization
from pykeras.layers.reshape import Reshape
from pykeras.layers.symbolic import Input, KerasTensor
from pykeras.saving.serialization import register_builtin

__all__ = [
    "Activation", "Add", "Average", "BatchNormalization", "Concatenate", "Dense", "Dropout", "Embedding", "Flatten",
    "GaussianDropout", "GaussianNoise", "Input", "InputLayer", "KerasTensor", "Lambda", "Layer", "LayerNormalization",
    "Maximum", "Merge", "Minimum", "Multiply", "Normalization", "ReLU", "Reshape", "Subtract",
]

for _cls in (Activation, Add, Average, BatchNormalization, Concatenate, Dense, Dropout, Embedding, Flatten,
             GaussianDropout, GaussianNoise, InputLayer, Lambda, Layer, LayerNormalization, Maximum, Minimum, Multiply,
             Normalization, ReLU, Reshape, Subtract):
    register_builtin("keras.layers", _cls)
