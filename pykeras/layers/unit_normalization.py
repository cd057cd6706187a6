"""UnitNormalization: scales each sample to an L2 norm of 1 over the chosen axes."""
import numpy as np

from pykeras.layers.axes import resolve_axes
from pykeras.layers.layer import Layer
from pykeras.ops import core

_EPSILON = 1e-12  # Keras's: the inverse norm is at most 1 / epsilon


class UnitNormalization(Layer):
    """``x / sqrt(sum(x ** 2))`` over ``axis`` (an int or a list of ints; the last by default),
    the inverse norm capped at 1e12 so a sample of zeros stays zeros.
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
        if not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axes):
            raise ValueError(f"UnitNormalization '{self.name}': `axis` must be an int or a list of ints. "
                             f"Received: axis={axis!r}")
        self.axis = axes if isinstance(axis, (list, tuple)) else axis

    def _axes(self, rank):
        return tuple(resolve_axes(f"UnitNormalization '{self.name}'",
                                  self.axis if isinstance(self.axis, list) else [self.axis], rank))

    def call(self, inputs):
        square_sum = core.sum(core.square(inputs), axis=self._axes(inputs.ndim), keepdims=True)
        # min(rsqrt(s), 1 / eps) as rsqrt(max(s, eps ** 2)): the same values, and a sample of
        # zeros gets a finite gradient instead of 0 * inf.
        return core.multiply(inputs, core.power(core.maximum(square_sum, _EPSILON ** 2), -0.5))

    def compute_output_shape(self, input_shape):
        self._axes(len(input_shape))
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
