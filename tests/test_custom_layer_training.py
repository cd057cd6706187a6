"""A custom layer written only with ops trains with GradientTape and plain SGD."""
import numpy as np

import pykeras as keras
from pykeras import ops


class TwoLayerRegressor(keras.layers.Layer):
    def __init__(self, hidden=32):
        super().__init__()
        self.hidden = hidden

    def build(self, input_shape):
        self.w1 = self.add_weight(shape=(input_shape[-1], self.hidden), initializer="he_normal")
        self.b1 = self.add_weight(shape=(self.hidden,), initializer="zeros")
        self.w2 = self.add_weight(shape=(self.hidden, 1), initializer="glorot_uniform")
        self.b2 = self.add_weight(shape=(1,), initializer="zeros")

    def call(self, x):
        h = ops.tanh(ops.matmul(x, self.w1) + self.b1)
        return ops.matmul(h, self.w2) + self.b2


def test_custom_layer_learns_a_nonlinear_regression():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, size=(256, 2)).astype(np.float32)
    y = (np.sin(x[:, :1]) * np.cos(x[:, 1:])).astype(np.float32)
    model = TwoLayerRegressor()
    model(x)
    start = float(ops.mean(ops.square(model(x) - y)))
    for _ in range(400):
        with keras.GradientTape() as tape:
            loss = ops.mean(ops.square(model(x) - y))
        grads = tape.gradient(loss, model.trainable_weights)
        for variable, grad in zip(model.trainable_weights, grads):
            variable.assign_sub(0.1 * grad.numpy())
    final = float(ops.mean(ops.square(model(x) - y)))
    assert final < 0.01, (start, final)
    assert final < start / 10


class Linear(keras.layers.Layer):
    """The tutorial's layer: a kernel and a bias from add_weight, call = x @ w + b."""

    def __init__(self, units):
        super().__init__()
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros")

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b


class LinearMLP(keras.Model):
    def __init__(self, widths):
        super().__init__()
        self.blocks = [Linear(units) for units in widths]

    def call(self, inputs):
        for block in self.blocks[:-1]:
            inputs = ops.relu(block(inputs))
        return self.blocks[-1](inputs)


def test_custom_layers_train_with_the_bits_of_dense_layers():
    # 600 inputs: deep enough that Dense splits the first product's depth between the cores.
    rng = np.random.default_rng(3)
    x = rng.normal(size=(96, 600)).astype(np.float32)
    y = rng.integers(0, 10, size=96)
    custom = LinearMLP([32, 10])
    dense = keras.Sequential([keras.Input(shape=(600,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(10)])
    custom(x[:1])
    custom.set_weights(dense.get_weights())
    for model in (custom, dense):
        model.compile(optimizer=keras.optimizers.Adam(1e-2),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        model.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0)
    for trained, reference in zip(custom.get_weights(), dense.get_weights()):
        np.testing.assert_array_equal(trained, reference)
    assert not np.array_equal(dense.get_weights()[1], np.zeros(32, np.float32))  # it did train
