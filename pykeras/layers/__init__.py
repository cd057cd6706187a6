"""``pykeras.layers``: the Layer base class and the built-in layers."""
from pykeras.layers.activation import Activation, ReLU
from pykeras.layers.dense import Dense
from pykeras.layers.input_layer import InputLayer
from pykeras.layers.layer import Layer
from pykeras.layers.symbolic import Input, KerasTensor

__all__ = ["Activation", "Dense", "Input", "InputLayer", "KerasTensor", "Layer", "ReLU"]
