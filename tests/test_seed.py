"""The seed tutorial's samples, with `import pykeras as keras` (printed numbers are random)."""
import numpy as np
import pytest

import pykeras as keras
from pykeras import ops


class LinearByHand(keras.layers.Layer):
    """Sample 1: variables created by hand in __init__."""

    def __init__(self, units=32, input_dim=32):
        super().__init__()
        w_init = keras.initializers.RandomNormal()
        self.w = keras.Variable(
            initial_value=w_init(shape=(input_dim, units), dtype="float32"), trainable=True
        )
        b_init = keras.initializers.Zeros()
        self.b = keras.Variable(initial_value=b_init(shape=(units,), dtype="float32"), trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b


class LinearAddWeight(keras.layers.Layer):
    """Sample 2: the same layer with add_weight."""

    def __init__(self, units=32, input_dim=32):
        super().__init__()
        self.w = self.add_weight(shape=(input_dim, units), initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(units,), initializer="zeros", trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b


class ComputeSum(keras.layers.Layer):
    """Sample 3: a non-trainable weight updated in call."""

    def __init__(self, input_dim):
        super().__init__()
        self.total = keras.Variable(initial_value=ops.zeros((input_dim,)), trainable=False)

    def call(self, inputs):
        self.total.assign_add(ops.sum(inputs, axis=0))
        return self.total


class Linear(keras.layers.Layer):
    """Sample 4: weights created lazily in build."""

    def __init__(self, units=32):
        super().__init__()
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True
        )
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal", trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b


class MLPBlock(keras.layers.Layer):
    """Sample 5: recursive composition."""

    def __init__(self):
        super().__init__()
        self.linear_1 = Linear(32)
        self.linear_2 = Linear(32)
        self.linear_3 = Linear(1)

    def call(self, inputs):
        x = self.linear_1(inputs)
        x = ops.relu(x)
        x = self.linear_2(x)
        x = ops.relu(x)
        return self.linear_3(x)


@pytest.mark.parametrize("layer_class", [LinearByHand, LinearAddWeight])
def test_linear_gives_equal_rows_of_four(layer_class):
    x = ops.ones((2, 2))
    layer = layer_class(4, 2)
    y = layer(x)
    assert isinstance(y, keras.Tensor)
    assert y.shape == (2, 4) and y.dtype == "float32"
    values = y.numpy()
    np.testing.assert_array_equal(values[0], values[1])
    w, b = layer.w.numpy(), layer.b.numpy()
    np.testing.assert_allclose(values, np.ones((2, 2)) @ w + b, rtol=1e-6)
    assert "shape=(2, 4), dtype=float32" in str(y)
    assert len(layer.weights) == 2 and len(layer.trainable_weights) == 2


def test_random_normal_weights_have_keras_default_spread():
    layer = LinearAddWeight(units=200, input_dim=200)
    w = layer.w.numpy()
    assert abs(w.mean()) < 0.005
    assert abs(w.std() - 0.05) < 0.002
    np.testing.assert_array_equal(layer.b.numpy(), np.zeros(200))


def test_compute_sum_accumulates_in_a_non_trainable_weight():
    x = ops.ones((2, 2))
    my_sum = ComputeSum(2)
    np.testing.assert_array_equal(my_sum(x).numpy(), [2.0, 2.0])
    np.testing.assert_array_equal(my_sum(x).numpy(), [4.0, 4.0])
    assert len(my_sum.weights) == 1
    assert len(my_sum.non_trainable_weights) == 1
    assert my_sum.trainable_weights == []


def test_non_trainable_weight_gets_no_gradient():
    layer = ComputeSum(2)
    with keras.GradientTape() as tape:
        out = layer(ops.ones((2, 2)))
        loss = ops.sum(out * out)
    assert tape.gradient(loss, [layer.total]) == [None]


def test_build_is_deferred_to_the_first_call():
    layer = Linear(32)
    assert not layer.built and layer.weights == []
    y = layer(ops.ones((5, 7)))
    assert layer.built
    assert y.shape == (5, 32)
    assert [v.shape for v in layer.weights] == [(7, 32), (32,)]
    assert [v.path for v in layer.weights] == [f"{layer.name}/variable", f"{layer.name}/variable_1"]


def test_mlp_block_tracks_its_sublayers_weights():
    mlp = MLPBlock()
    y = mlp(ops.ones(shape=(3, 64)))
    assert y.shape == (3, 1)
    assert len(mlp.weights) == 6
    assert len(mlp.trainable_weights) == 6
    assert [v.shape for v in mlp.weights] == [(64, 32), (32,), (32, 32), (32,), (32, 1), (1,)]
    assert all(layer.built for layer in (mlp.linear_1, mlp.linear_2, mlp.linear_3))
    # Sublayers built inside the outer call live under its name scope.
    assert mlp.weights[0].path.startswith(f"{mlp.name}/{mlp.linear_1.name}/")


def test_mlp_block_matches_a_numpy_forward():
    mlp = MLPBlock()
    x = np.random.default_rng(0).normal(size=(3, 64)).astype(np.float32)
    y = mlp(x).numpy()
    w1, b1, w2, b2, w3, b3 = mlp.get_weights()
    h = np.maximum(x @ w1 + b1, 0)
    h = np.maximum(h @ w2 + b2, 0)
    np.testing.assert_allclose(y, h @ w3 + b3, rtol=1e-5, atol=1e-6)
