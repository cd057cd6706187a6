"""Global pooling over the steps of ``(batch, steps, features)`` sequences."""
import numpy as np

from pykeras.layers.input_rank import check_rank
from pykeras.layers.layer import Layer
from pykeras.ops import core


class _GlobalPooling1D(Layer):
    """Reduces the steps axis (1 for ``channels_last``, 2 for ``channels_first``) of 3-D inputs,
    keeping it with size 1 if ``keepdims``."""

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last", "channels_first"):
            raise ValueError(f"{type(self).__name__} '{self.name}': `data_format` must be 'channels_last' or "
                             f"'channels_first'. Received: data_format={data_format!r}")
        if not isinstance(keepdims, (bool, np.bool_)):
            raise ValueError(f"{type(self).__name__} '{self.name}': `keepdims` must be a bool. "
                             f"Received: keepdims={keepdims!r}")
        self.data_format = data_format or "channels_last"
        self.keepdims = bool(keepdims)

    @property
    def _steps_axis(self):
        return 1 if self.data_format == "channels_last" else 2

    def compute_output_shape(self, input_shape):
        check_rank(self, input_shape, 3)
        shape = list(input_shape)
        if self.keepdims:
            shape[self._steps_axis] = 1
        else:
            del shape[self._steps_axis]
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class GlobalAveragePooling1D(_GlobalPooling1D):
    """The mean over the steps of each sequence: ``(batch, steps, features)`` becomes
    ``(batch, features)`` (``(batch, 1, features)`` with ``keepdims``).

    Call arguments:
        inputs: a 3-D tensor.
        mask: optional ``(batch, steps)``; steps where it is 0 (False) are left out of the mean.
    """

    def call(self, inputs, mask=None):
        check_rank(self, inputs.shape, 3)
        axis = self._steps_axis
        if mask is None:
            return core.mean(inputs, axis=axis, keepdims=self.keepdims)
        mask = np.asarray(mask.numpy() if hasattr(mask, "numpy") else mask).astype(bool)
        steps_shape = (inputs.shape[0], inputs.shape[axis])
        if mask.shape != steps_shape:
            raise ValueError(f"{type(self).__name__} '{self.name}': the `mask` must have shape (batch, steps) = "
                             f"{steps_shape}. Received: mask.shape={mask.shape}")
        mask = np.expand_dims(mask, 3 - axis)  # against the features axis
        total = core.sum(core.where(mask, inputs, 0.0), axis=axis, keepdims=self.keepdims)
        return core.divide(total, np.sum(mask, axis=axis, keepdims=self.keepdims).astype(np.float32))


class GlobalMaxPooling1D(_GlobalPooling1D):
    """The maximum over the steps of each sequence: ``(batch, steps, features)`` becomes
    ``(batch, features)`` (``(batch, 1, features)`` with ``keepdims``)."""

    def call(self, inputs):
        check_rank(self, inputs.shape, 3)
        return core.max(inputs, axis=self._steps_axis, keepdims=self.keepdims)


GlobalAvgPool1D = GlobalAveragePooling1D
GlobalMaxPool1D = GlobalMaxPooling1D
