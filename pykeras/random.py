"""``keras.random``: random tensors, drawn from numpy's generators.

``seed`` is None (the global generator, ``keras.utils.set_random_seed``), an int (the same numbers
at every call, as Keras's stateless ops), or a ``SeedGenerator`` (a stream that moves on at every
call, as a layer's dropout needs).
"""
import numpy as np

from pykeras import config
from pykeras.ops import core
from pykeras.tensor import FLOAT, Tensor

__all__ = ["SeedGenerator", "categorical", "dropout", "normal", "randint", "shuffle", "truncated_normal", "uniform"]


class SeedGenerator:
    """A seeded stream of random numbers, for a layer that draws at every call.

    Example:
        >>> class CustomDropout(keras.layers.Layer):
        ...     def __init__(self, rate, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.rate = rate
        ...         self.seed_generator = keras.random.SeedGenerator(1337)
        ...     def call(self, inputs, training=False):
        ...         if training:
        ...             return keras.random.dropout(inputs, rate=self.rate, seed=self.seed_generator)
        ...         return inputs
    """

    def __init__(self, seed=None, name=None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
            raise ValueError(f"SeedGenerator: `seed` must be a non-negative integer or None. Received: seed={seed!r}")
        self.seed = seed
        self.name = name
        self.generator = np.random.default_rng(seed)

    def get_config(self):
        return {"seed": self.seed}


def _generator(seed, what):
    if seed is None:
        return config.random_generator()
    if isinstance(seed, SeedGenerator):
        return seed.generator
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0:
        return np.random.default_rng(int(seed))
    raise ValueError(f"{what}: `seed` must be None, a non-negative int or a keras.random.SeedGenerator. "
                     f"Received: seed={seed!r}")


def _float(dtype, what):
    if dtype not in (None, "float32", np.float32):
        raise ValueError(f"{what}: pykeras draws float32 only. Received: dtype={dtype!r}")
    return FLOAT


def _shape(shape):
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(d) for d in shape)


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples of a normal distribution."""
    values = _generator(seed, "normal").normal(mean, stddev, _shape(shape))
    return Tensor(values.astype(_float(dtype, "normal")))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal samples redrawn until within two standard deviations of the mean."""
    generator, size = _generator(seed, "truncated_normal"), _shape(shape)
    values = generator.standard_normal(size)
    outside = np.abs(values) > 2
    while outside.any():
        values[outside] = generator.standard_normal(int(outside.sum()))
        outside = np.abs(values) > 2
    return Tensor((mean + stddev * values).astype(_float(dtype, "truncated_normal")))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Samples of the uniform distribution on ``[minval, maxval)``."""
    values = _generator(seed, "uniform").uniform(minval, maxval, _shape(shape))
    return Tensor(values.astype(_float(dtype, "uniform")))


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers drawn uniformly from ``[minval, maxval)``."""
    values = _generator(seed, "randint").integers(minval, maxval, _shape(shape))
    return Tensor(values.astype(np.dtype(dtype)))


def categorical(logits, num_samples, dtype="int32", seed=None):
    """For each row of ``logits`` (batch, classes), ``num_samples`` class indices drawn with the
    softmax probabilities."""
    z = np.asarray(logits._value if isinstance(logits, Tensor) else logits, dtype=np.float64)
    if z.ndim != 2:
        raise ValueError(f"categorical: `logits` must be 2-D (batch, classes). Received: shape {z.shape}")
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    generator = _generator(seed, "categorical")
    draws = [generator.choice(z.shape[1], size=num_samples, p=row) for row in p]
    return Tensor(np.asarray(draws).reshape(z.shape[0], num_samples).astype(np.dtype(dtype)))


def dropout(inputs, rate, noise_shape=None, seed=None):
    """``inputs`` with each entry zeroed with probability ``rate`` and the rest scaled by
    ``1 / (1 - rate)`` (differentiable in ``inputs``)."""
    if not 0 <= rate < 1:
        raise ValueError(f"dropout: `rate` must be in [0, 1). Received: rate={rate!r}")
    shape = tuple(inputs.shape) if noise_shape is None else tuple(
        size if wanted is None else wanted for wanted, size in zip(noise_shape, inputs.shape))
    keep = _generator(seed, "dropout").random(shape, dtype=np.float32) >= rate
    return core.multiply(inputs, keep * np.float32(1 / (1 - rate)))


def shuffle(x, axis=0, seed=None):
    """``x`` with its entries along ``axis`` in a random order."""
    array = x._value if isinstance(x, Tensor) else np.asarray(x)
    order = _generator(seed, "shuffle").permutation(array.shape[axis])
    return Tensor(np.take(array, order, axis=axis))
