"""InputLayer: the source of a functional model's graph."""
import numpy as np

from pykeras.layers.layer import Layer
from pykeras.layers.symbolic import KerasTensor, Node, record_node


class InputLayer(Layer):
    """Holds the symbolic input ``output`` of shape ``(batch_size, *shape)``."""

    def __init__(self, shape=None, batch_size=None, dtype="float32", name=None, batch_shape=None,
                 sparse=False, ragged=False, optional=False, **kwargs):
        if "input_shape" in kwargs and shape is None:
            shape = kwargs.pop("input_shape")
        super().__init__(name=name, **kwargs)
        for flag, value in (("sparse", sparse), ("ragged", ragged), ("optional", optional)):
            if value:  # Keras 3 writes all three (false) in every InputLayer config
                raise ValueError(f"InputLayer '{self.name}': `{flag}=True` inputs are not supported.")
        if batch_shape is None:
            if shape is None:
                raise ValueError("InputLayer: you must pass a `shape` argument.")
            if isinstance(shape, int):
                shape = (shape,)
            batch_shape = (batch_size,) + tuple(shape)
        self.batch_shape = tuple(batch_shape)
        self.input_dtype = dtype or "float32"
        output = KerasTensor(self.batch_shape, self.input_dtype, name=self.name)
        output.node = Node(self, (), {}, output)
        record_node(self, output.node)  # `self.output` is this tensor
        self.built = True

    def call(self, inputs):
        return inputs

    def get_config(self):
        return {
            "batch_shape": self.batch_shape,
            "dtype": self.input_dtype,
            "sparse": False,
            "ragged": False,
            "name": self.name,
            "optional": False,
        }


def check_input_shape(model_name, input_name, expected, value, sizes=True):
    """Raises unless ``value`` has the rank of ``expected`` and, with ``sizes``, its sizes where
    they are fixed (None, in either, matches any size)."""
    shape = tuple(value.shape) if hasattr(value, "shape") else np.shape(value)
    compatible = len(shape) == len(expected) and (not sizes or all(
        want is None or got is None or want == got for want, got in zip(expected, shape)))
    if not compatible:
        raise ValueError(
            f"Input '{input_name}' of model '{model_name}' is incompatible: expected shape "
            f"{tuple(expected)}, but received input with shape {shape}"
        )
