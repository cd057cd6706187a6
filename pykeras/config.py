"""Process-wide settings: thread count, random seeds, and Keras's fixed ones (float32, epsilon).

This is the one place that sets the kernels' thread count; the native module
reads ``OMP_NUM_THREADS`` at import, and :func:`set_num_threads` overrides it.
"""
import numpy as np

from pykeras import _core

_generator = None  # created on first use: numpy.random costs ~15 ms to import


def set_num_threads(n):
    """Sets how many threads the native kernels may use (at least 1)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"set_num_threads: expected an integer >= 1. Received: {n!r}")
    _core.set_num_threads(int(n))


def get_num_threads():
    """Returns the thread count the native kernels use for large problems."""
    return _core.get_num_threads()


def set_random_seed(seed):
    """Seeds every source of randomness pykeras draws from (and Python's, numpy's global ones)."""
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"set_random_seed: expected a non-negative integer. Received: {seed!r}")
    import random  # Python's generator, loaded only to be seeded

    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)
    _generator = np.random.default_rng(int(seed))


def random_generator():
    """The generator unseeded initializers, dropout and shuffling draw from."""
    global _generator
    if _generator is None:
        _generator = np.random.default_rng()
    return _generator


def backend():
    """The backend's name, as ``keras.config.backend()`` gives "jax" or "tensorflow"."""
    return "pykeras"


def floatx():
    """The float type of weights and computation: always "float32" in pykeras."""
    return "float32"


def set_floatx(value):
    if value != "float32":
        raise ValueError(f"set_floatx: pykeras computes in float32 only. Received: {value!r}")


def epsilon():
    """The fuzz factor the losses and metrics use (Keras's default, 1e-7)."""
    return 1e-7


def image_data_format():
    return "channels_last"
