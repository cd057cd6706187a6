"""Normalization: standardizes features with a mean and variance learned by ``adapt`` (or given)."""
import numpy as np

from pykeras.layers.axes import known_sizes, resolve_axes
from pykeras.layers.layer import Layer
from pykeras.ops import core
from pykeras.tensor import Tensor

_EPSILON = 1e-7


class Normalization(Layer):
    """``(x - mean) / max(sqrt(variance), 1e-7)`` per feature (``invert``: ``mean + x * std``).

    ``adapt(data)`` computes the mean and (population) variance of ``data`` over every axis
    except ``axis``, in float64, and keeps them as the non-trainable weights ``mean``,
    ``variance`` (and ``count``, the samples seen), so they are saved with the model. Or pass
    ``mean`` and ``variance`` (then they are in the config and there are no weights), as in Keras.

    Example:
        >>> norm = keras.layers.Normalization()
        >>> norm.adapt(x_train)
        >>> model = keras.Sequential([keras.Input((8,)), norm, keras.layers.Dense(1)])
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        self.axis = () if axis is None else (axis,) if isinstance(axis, int) else tuple(axis)
        if (mean is None) != (variance is None):
            raise ValueError(f"Normalization '{self.name}': give both `mean` and `variance` or neither. "
                             f"Received: mean={mean}, variance={variance}")
        self.input_mean, self.input_variance, self.invert = mean, variance, invert

    def _kept(self, ndim):
        return resolve_axes(f"Normalization '{self.name}'", self.axis, ndim)

    def build(self, input_shape):
        _, shape = known_sizes(f"Normalization '{self.name}'", self.axis, input_shape)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(shape=shape, initializer="zeros", trainable=False, name="mean")
            self.adapt_variance = self.add_weight(shape=shape, initializer="ones", trainable=False, name="variance")
            self.count = self.add_weight(shape=(), initializer="zeros", dtype="int32", trainable=False, name="count")

    def adapt(self, data):
        """Sets the mean and variance to those of ``data`` (an array of samples)."""
        values = np.asarray(data._value if isinstance(data, Tensor) else data)
        if values.dtype.kind not in "iuf":
            raise ValueError(f"Normalization '{self.name}': `adapt` needs numbers. Received: dtype {values.dtype}")
        if values.ndim < 1 or values.shape[0] == 0:
            raise ValueError(f"Normalization '{self.name}': `adapt` needs at least one sample. "
                             f"Received: shape {values.shape}")
        if self.input_mean is not None:
            raise ValueError(f"Normalization '{self.name}': `adapt` cannot change a mean and variance "
                             "given to the constructor.")
        if not self.built:
            self.build((None,) + values.shape[1:])
        reduced = tuple(a for a in range(values.ndim) if a not in self._kept(values.ndim))
        # float64 accumulators, without a float64 copy of the data.
        self.adapt_mean.assign(values.mean(axis=reduced, dtype=np.float64).astype(np.float32))
        self.adapt_variance.assign(values.var(axis=reduced, dtype=np.float64).astype(np.float32))
        self.count.assign(np.int32(values.shape[0]))

    def _statistics(self, ndim, shape):
        kept = self._kept(ndim)
        broadcast = tuple(shape[a] if a in kept else 1 for a in range(ndim))
        if self.input_mean is None:
            return [core.reshape(v, broadcast) for v in (self.adapt_mean, self.adapt_variance)]
        # Given statistics fill the kept axes from the right, as Keras broadcasts them.
        statistics = []
        for name, value in (("mean", self.input_mean), ("variance", self.input_variance)):
            value = np.asarray(value, np.float32)
            try:
                statistics.append(np.broadcast_to(value.reshape((1,) * (ndim - value.ndim) + value.shape), broadcast))
            except ValueError:
                raise ValueError(f"Normalization '{self.name}': the given {name} of shape {value.shape} does not fit "
                                 f"the normalized axes of an input of shape {tuple(shape)}") from None
        return statistics

    def call(self, inputs):
        mean, variance = self._statistics(len(inputs.shape), inputs.shape)
        scale = core.maximum(core.sqrt(variance), _EPSILON)
        if self.invert:
            return core.add(mean, core.multiply(inputs, scale))
        return core.divide(core.subtract(inputs, mean), scale)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        given = self.input_mean is not None
        config.update(axis=self.axis, invert=self.invert,
                      mean=np.asarray(self.input_mean).tolist() if given else None,
                      variance=np.asarray(self.input_variance).tolist() if given else None)
        return config
