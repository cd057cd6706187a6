"""Activation layers: Softmax, LeakyReLU, PReLU (a learned slope) and ELU."""
import warnings

import numpy as np

from pykeras import constraints, initializers, regularizers
from pykeras.layers.axes import resolve_axes
from pykeras.layers.layer import Layer
from pykeras.ops import core, nn


def _is_number(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


class Softmax(Layer):
    """``exp(x - max(x)) / sum(exp(x - max(x)))`` over ``axis`` (an int or a list of ints).

    Call arguments:
        inputs: the logits.
        mask: optional, broadcastable to ``inputs``; 1 (True) keeps an entry, 0 masks it out
            of the normalization (its output is 0).
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
        if not axes or not all(_is_int(a) for a in axes):
            raise ValueError(f"Softmax '{self.name}': `axis` must be an int or a non-empty list of ints. "
                             f"Received: axis={axis!r}")
        self.axis = axis

    def call(self, inputs, mask=None):
        axes = resolve_axes(f"Softmax '{self.name}'", list(self.axis) if isinstance(self.axis, (list, tuple))
                            else [self.axis], inputs.ndim)
        if mask is not None:
            mask = self._mask(mask, inputs.shape)
            inputs = core.where(mask, inputs, -1e9)  # Keras's large negative logit for float32
        # One int axis keeps softmax's link to its logits (the cross-entropies compute from them).
        outputs = nn.softmax(inputs, axis=axes[0] if len(axes) == 1 else tuple(axes))
        if mask is not None:
            outputs = core.where(mask, outputs, 0.0)
        return outputs

    def _mask(self, mask, shape):
        mask = np.asarray(mask.numpy() if hasattr(mask, "numpy") else mask)
        if mask.ndim > len(shape) or any(m not in (1, i) for m, i in zip(mask.shape[::-1], shape[::-1])):
            raise ValueError(f"Softmax '{self.name}': the `mask` must be broadcastable to the inputs (each "
                             f"dimension 1 or the input's). Received: inputs.shape={tuple(shape)}, "
                             f"mask.shape={mask.shape}")
        return mask if mask.dtype == bool else mask > 0.5

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class LeakyReLU(Layer):
    """``x`` for ``x > 0``, else ``negative_slope * x``.

    Args:
        negative_slope: the slope below 0, a float >= 0 (``alpha`` is its deprecated name).
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:  # Keras 2's name, still in old files
            negative_slope = kwargs.pop("alpha")
            warnings.warn("Argument `alpha` is deprecated. Use `negative_slope` instead.", stacklevel=2)
        super().__init__(**kwargs)
        if not _is_number(negative_slope) or not negative_slope >= 0:
            raise ValueError(f"LeakyReLU '{self.name}': `negative_slope` must be a float >= 0. "
                             f"Received: negative_slope={negative_slope!r}")
        self.negative_slope = negative_slope

    def call(self, inputs):
        return nn.leaky_relu(inputs, negative_slope=self.negative_slope)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class PReLU(Layer):
    """``x`` for ``x >= 0``, else ``alpha * x``, with ``alpha`` a learned weight shaped like a
    sample (one value per position), or shared (size 1) along ``shared_axes``.

    Args:
        alpha_initializer, alpha_regularizer, alpha_constraint: for the ``alpha`` weight.
        shared_axes: an axis or a list of axes (1 is the first after the batch) along which
            one ``alpha`` serves every position, e.g. ``[1, 2]`` for one slope per channel
            of ``(batch, height, width, channels)`` feature maps.
    """

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None, shared_axes=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is not None:
            shared_axes = list(shared_axes) if isinstance(shared_axes, (list, tuple)) else [shared_axes]
            if not all(_is_int(a) and a >= 1 for a in shared_axes):
                raise ValueError(f"PReLU '{self.name}': `shared_axes` must be axes >= 1 (0 is the batch). "
                                 f"Received: shared_axes={shared_axes!r}")
        self.shared_axes = shared_axes
        self.alpha = None

    def build(self, input_shape):
        rank = len(input_shape)
        shared = self.shared_axes or []
        if any(a >= rank for a in shared):
            raise ValueError(f"PReLU '{self.name}': `shared_axes` {shared} out of range for inputs of rank {rank}. "
                             f"Received: input_shape={tuple(input_shape)}")
        shape = tuple(1 if axis in shared else input_shape[axis] for axis in range(1, rank))
        if None in shape:
            raise ValueError(f"PReLU '{self.name}': the sizes of the axes that are not shared must be known. "
                             f"Received: input_shape={tuple(input_shape)}, shared_axes={self.shared_axes}")
        self.alpha = self.add_weight(shape=shape, initializer=self.alpha_initializer, name="alpha",
                                     regularizer=self.alpha_regularizer, constraint=self.alpha_constraint)

    def call(self, inputs):
        # relu(x) - alpha * relu(-x), as Keras writes it: alpha gets the gradient -relu(-x).
        return core.subtract(nn.relu(inputs), core.multiply(self.alpha, nn.relu(core.negative(inputs))))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            alpha_initializer=initializers.serialize(self.alpha_initializer),
            alpha_regularizer=regularizers.serialize(self.alpha_regularizer),
            alpha_constraint=constraints.serialize(self.alpha_constraint),
            shared_axes=self.shared_axes,
        )
        return config


class ELU(Layer):
    """``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``.

    Args:
        alpha: the scale of the negative part. Defaults to 1.0.
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        if not _is_number(alpha):
            raise ValueError(f"ELU '{self.name}': `alpha` must be a float. Received: alpha={alpha!r}")
        self.alpha = alpha

    def call(self, inputs):
        return nn.elu(inputs, alpha=self.alpha)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}
