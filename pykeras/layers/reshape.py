"""Reshape: gives each sample a new shape."""
import math

from pykeras.layers.layer import Layer
from pykeras.ops import core


class Reshape(Layer):
    """Reshapes ``(batch, ...)`` to ``(batch, *target_shape)``; one entry may be -1 (inferred)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        target = tuple(target_shape)
        if any(isinstance(d, bool) or not isinstance(d, int) or (d < 1 and d != -1) for d in target) \
                or target.count(-1) > 1:
            raise ValueError(f"Reshape '{self.name}': `target_shape` must be positive integers, with at most one -1. "
                             f"Received: target_shape={target_shape!r}")
        self.target_shape = target

    def _resolved(self, input_shape):
        rest = input_shape[1:]
        if any(d is None for d in rest):
            return tuple(None if d == -1 else d for d in self.target_shape)
        size, known = math.prod(rest), math.prod(d for d in self.target_shape if d != -1)
        if (-1 in self.target_shape and size % known) or (-1 not in self.target_shape and size != known):
            raise ValueError(f"Reshape '{self.name}': a sample of shape {tuple(rest)} ({size} values) cannot be "
                             f"reshaped to {self.target_shape}")
        return tuple(size // known if d == -1 else d for d in self.target_shape)

    def call(self, inputs):
        return core.reshape(inputs, (inputs.shape[0],) + self._resolved(inputs.shape))

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self._resolved(tuple(input_shape))

    def get_config(self):
        config = super().get_config()
        config["target_shape"] = self.target_shape
        return config
