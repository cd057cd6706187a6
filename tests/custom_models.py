"""The custom classes the saving tests share, registered under the names Keras 3 wrote in
tests/data (tests/data/make_keras_fixtures.py defines the same two for Keras itself)."""
import pykeras as keras
from pykeras import ops


@keras.saving.register_keras_serializable(package="fixtures")
class ScaledDense(keras.layers.Layer):
    """A custom layer with a sublayer and a weight of its own."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.inner = keras.layers.Dense(units)

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(self.units,), initializer="random_uniform", name="scale")

    def call(self, inputs):
        return ops.multiply(self.inner(inputs), self.scale)

    def get_config(self):
        config = super().get_config()
        config["units"] = self.units
        return config


@keras.saving.register_keras_serializable(package="fixtures")
class TwoBlockNet(keras.Model):
    """A subclassed model with a custom layer, a list of layers and BatchNormalization.
    The Keras fixture has the defaults (its config names only ``hidden``)."""

    def __init__(self, hidden=6, outputs=2, **kwargs):
        super().__init__(**kwargs)
        self.hidden = hidden
        self.outputs = outputs
        self.encoder = keras.layers.Dense(hidden, activation="relu")
        self.block = ScaledDense(hidden)
        self.heads = [keras.layers.BatchNormalization(), keras.layers.Dense(outputs)]

    def call(self, inputs, training=None):
        x = self.block(self.encoder(inputs))
        return self.heads[1](self.heads[0](x, training=training))

    def get_config(self):
        config = super().get_config()
        config.update(hidden=self.hidden, outputs=self.outputs)
        return config
