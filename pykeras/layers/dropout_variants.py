"""AlphaDropout and SpatialDropout1D: Dropout variants, random while training, the identity at
inference. They draw from the layer's own generator (``seed``) or the global one, as Dropout."""
import numpy as np

from pykeras import config
from pykeras.layers.dropout import Dropout, keep_mask
from pykeras.layers.input_rank import check_rank
from pykeras.layers.layer import Layer
from pykeras.layers.noise import _check
from pykeras.ops import core

# SELU's constants: dropped units go to its negative saturation value, -scale * alpha.
_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def _mask_shape(layer, shape):
    if layer.noise_shape is None:
        return tuple(shape)
    if len(layer.noise_shape) != len(shape):
        raise ValueError(f"AlphaDropout '{layer.name}': `noise_shape` needs one entry per input axis. "
                         f"Received: noise_shape={layer.noise_shape}, input_shape={tuple(shape)}")
    return tuple(s if n is None else n for n, s in zip(layer.noise_shape, shape))


class AlphaDropout(Layer):
    """Dropout that keeps the mean and variance of its inputs (for SELU networks): while
    training, each input is set to SELU's saturation value ``-alpha * scale`` with probability
    ``rate``, then all are moved back to the original mean and variance by an affine map.

    Args:
        rate: the fraction to drop, in [0, 1).
        noise_shape: the mask's shape, broadcast against the input (``None`` entries take the
            input's size), e.g. ``(batch, 1, features)``.
        seed: seeds this layer's own generator; otherwise the global one.
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = _check(f"AlphaDropout '{self.name}'", "rate", rate, 1)
        if noise_shape is not None:
            if not isinstance(noise_shape, (list, tuple)) or not all(
                    n is None or (isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n > 0)
                    for n in noise_shape):
                raise ValueError(f"AlphaDropout '{self.name}': `noise_shape` must be a list of positive sizes "
                                 f"or None. Received: noise_shape={noise_shape!r}")
            noise_shape = tuple(noise_shape)
        self.noise_shape = noise_shape
        self.seed = seed
        self._generator = None if seed is None else np.random.default_rng(seed)

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        # Kept: 1, dropped: 0; drawn as a Dropout draws its mask.
        keep = keep_mask(self._generator or config.random_generator(), _mask_shape(self, inputs.shape), self.rate, 1)
        alpha_p = -_SELU_ALPHA * _SELU_SCALE
        a = ((1 - self.rate) * (1 + self.rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * self.rate
        dropped = core.add(core.multiply(inputs, keep), np.float32(alpha_p) * (1 - keep))
        return core.add(core.multiply(dropped, np.float32(a)), np.float32(b))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape}


class SpatialDropout1D(Dropout):
    """Dropout of whole feature channels of ``(batch, steps, channels)`` inputs: while training,
    one draw per sample and channel zeroes that channel at every step (with probability
    ``rate``) or scales it by ``1 / (1 - rate)``.

    Args:
        rate: the fraction of channels to drop, in [0, 1).
        seed: seeds this layer's own generator; otherwise the global one.
    """

    def __init__(self, rate, seed=None, name=None, dtype=None):
        super().__init__(_check("SpatialDropout1D", "rate", rate, 1), seed=seed, name=name, dtype=dtype)

    def call(self, inputs, training=None):
        check_rank(self, inputs.shape, 3)
        if not training or self.rate == 0:
            return inputs
        return core.multiply(inputs, self.draw_keep((inputs.shape[0], 1, inputs.shape[2])))

    def compute_output_shape(self, input_shape):
        check_rank(self, input_shape, 3)
        return tuple(input_shape)

    def get_config(self):
        # Keras's keys exactly: its SpatialDropout1D takes no `trainable` or `noise_shape`.
        return {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": "float32"}
