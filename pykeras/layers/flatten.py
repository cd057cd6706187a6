"""Flatten: collapses every axis but the batch axis."""
import math

from pykeras.layers.layer import Layer
from pykeras.ops import core


class Flatten(Layer):
    """Reshapes ``(batch, d1, d2, ...)`` to ``(batch, d1 * d2 * ...)``."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last"):
            raise ValueError(
                f"Flatten '{self.name}': only data_format='channels_last' is supported. "
                f"Received: data_format={data_format!r}"
            )
        self.data_format = data_format or "channels_last"

    def call(self, inputs):
        if len(inputs.shape) < 1:
            raise ValueError(f"Flatten '{self.name}': expected a batch axis. Received: shape {inputs.shape}")
        return core.reshape(inputs, (inputs.shape[0], -1))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        size = None if any(d is None for d in rest) else math.prod(rest)
        return (input_shape[0], size)

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config
