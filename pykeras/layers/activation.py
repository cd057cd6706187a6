"""ReLU and Activation layers."""
from pykeras import activations
from pykeras.layers.layer import Layer
from pykeras.ops import core, nn


class ReLU(Layer):
    """``min(max(x, 0), max_value)``, with ``negative_slope`` below ``threshold``.

    The default (no max, slope 0, threshold 0) runs on the native ReLU kernel.
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0:
            raise ValueError(f"ReLU '{self.name}': max_value must be >= 0. Received: max_value={max_value}")
        if negative_slope < 0:
            raise ValueError(
                f"ReLU '{self.name}': negative_slope must be >= 0. Received: negative_slope={negative_slope}"
            )
        self.max_value, self.negative_slope, self.threshold = max_value, negative_slope, threshold

    def call(self, inputs):
        if self.negative_slope == 0 and self.threshold == 0:
            outputs = nn.relu(inputs)
        else:
            above = core.greater_equal(inputs, self.threshold)
            outputs = core.where(above, inputs, core.multiply(core.subtract(inputs, self.threshold), self.negative_slope))
        if self.max_value is not None:
            outputs = core.minimum(outputs, float(self.max_value))
        return outputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(max_value=self.max_value, negative_slope=self.negative_slope, threshold=self.threshold)
        return config


class Activation(Layer):
    """Applies an activation function by name or callable."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config
