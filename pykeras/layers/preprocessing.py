"""Rescaling (``x * scale + offset``) and Identity."""
import numpy as np

from pykeras.layers.layer import Layer
from pykeras.ops import core


def _serialize(value):
    """As Keras writes a value in a config: a numpy array as a ``__numpy__`` object."""
    if isinstance(value, np.ndarray):
        return {"class_name": "__numpy__", "config": {"value": value.tolist(), "dtype": value.dtype.name}}
    return value.item() if isinstance(value, np.generic) else value


def _deserialize(value):
    if isinstance(value, dict) and value.get("class_name") == "__numpy__":
        return np.asarray(value["config"]["value"], dtype=value["config"].get("dtype"))
    return value


class Rescaling(Layer):
    """Multiplies the inputs by ``scale`` and adds ``offset``, in training and inference; integer
    inputs give float32 outputs.

    Args:
        scale: a float, or one per channel (broadcast against the last axis), e.g. ``1 / 255``.
        offset: a float, or one per channel. Defaults to 0.
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("scale", scale), ("offset", offset)):
            try:
                array = np.asarray(_deserialize(value), dtype=np.float32)
            except (TypeError, ValueError):
                array = None
            if array is None or isinstance(value, (bool, str)):
                raise ValueError(f"Rescaling '{self.name}': `{name}` must be a float or an array of floats. "
                                 f"Received: {name}={value!r}")
        self.scale, self.offset = _deserialize(scale), _deserialize(offset)

    def call(self, inputs):
        scale, offset = (np.asarray(v, dtype=np.float32) for v in (self.scale, self.offset))
        if inputs.dtype != "float32":
            inputs = core.cast(inputs, "float32")
        return core.add(core.multiply(inputs, scale), offset)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "scale": _serialize(self.scale), "offset": _serialize(self.offset)}


class Identity(Layer):
    """Returns its inputs unchanged: a placeholder where a layer is expected."""

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape
