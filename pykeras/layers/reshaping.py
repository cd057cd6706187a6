"""Permute (reorders the axes of each sample) and RepeatVector (repeats a vector n times)."""
import numpy as np

from pykeras.layers.input_rank import check_rank
from pykeras.layers.layer import Layer
from pykeras.ops import core


class Permute(Layer):
    """Reorders the axes after the batch: ``dims`` is a permutation of ``1 .. rank - 1``, e.g.
    ``Permute((2, 1))`` turns ``(batch, 10, 64)`` into ``(batch, 64, 10)``."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        try:
            axes = tuple(dims)
        except TypeError:
            axes = None
        integers = axes is not None and all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) for d in axes)
        if not integers or sorted(axes) != list(range(1, len(axes) + 1)):
            raise ValueError(f"Permute '{self.name}': `dims` must be a permutation of 1 .. n (the axes after the "
                             f"batch, numbered from 1). Received: dims={dims!r}")
        self.dims = tuple(int(d) for d in axes)

    def call(self, inputs):
        check_rank(self, inputs.shape, len(self.dims) + 1)
        return core.transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape):
        check_rank(self, input_shape, len(self.dims) + 1)
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}


class RepeatVector(Layer):
    """Repeats each sample ``n`` times: ``(batch, features)`` becomes ``(batch, n, features)``."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
            raise ValueError(f"RepeatVector '{self.name}': `n` must be a positive integer. Received: n={n!r}")
        self.n = int(n)

    def call(self, inputs):
        check_rank(self, inputs.shape, 2)
        # Times ones of shape (1, n, 1): exact copies, and broadcasting's backward sums the n
        # gradients back onto the vector.
        return core.multiply(core.expand_dims(inputs, 1), np.ones((1, self.n, 1), inputs.dtype))

    def compute_output_shape(self, input_shape):
        check_rank(self, input_shape, 2)
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}
