"""InputLayer: the source of a functional model's graph."""
from pykeras.layers.layer import Layer
from pykeras.layers.symbolic import KerasTensor, Node


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
        self.output = KerasTensor(self.batch_shape, self.input_dtype, name=self.name)
        self.output.node = Node(self, (), {}, self.output)
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
