"""GaussianNoise and GaussianDropout: random noise while training, the identity at inference."""
import math

import numpy as np

from pykeras import config
from pykeras.layers.layer import Layer
from pykeras.ops import core


class _TrainingNoise(Layer):
    """Draws from this layer's generator (``seed``) or the global one, in training only."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self._generator = None if seed is None else np.random.default_rng(seed)

    def _normal(self, shape, mean, stddev):
        generator = self._generator or config.random_generator()
        return (generator.standard_normal(shape, dtype=np.float32) * np.float32(stddev) + np.float32(mean))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


def _check(owner, name, value, upper):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < upper:
        raise ValueError(f"{owner}: `{name}` must be in [0, {upper}). Received: {name}={value!r}")
    return float(value)


class GaussianNoise(_TrainingNoise):
    """Adds zero-mean Gaussian noise of ``stddev`` to the inputs while training."""

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.stddev = _check("GaussianNoise", "stddev", stddev, math.inf)

    def call(self, inputs, training=None):
        if not training or self.stddev == 0:
            return inputs
        return core.add(inputs, self._normal(inputs.shape, 0.0, self.stddev))

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev}


class GaussianDropout(_TrainingNoise):
    """Multiplies the inputs by Gaussian noise of mean 1 and variance ``rate / (1 - rate)`` while
    training (the same mean and variance as Dropout's scaled mask)."""

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _check("GaussianDropout", "rate", rate, 1)

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        return core.multiply(inputs, self._normal(inputs.shape, 1.0, math.sqrt(self.rate / (1 - self.rate))))

    def get_config(self):
        return {**super().get_config(), "rate": self.rate}
