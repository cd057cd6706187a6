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
