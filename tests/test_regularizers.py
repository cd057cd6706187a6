"""keras.regularizers: penalties against numpy, their gradient in a training step, names and
configs, and a model that keeps them through a saved file."""
import numpy as np
import pytest

import pykeras as keras
from pykeras import ops

W = np.random.default_rng(5).normal(size=(6, 4)).astype(np.float32)


@pytest.mark.parametrize("regularizer, expected", [
    (keras.regularizers.L1(0.05), 0.05 * np.abs(W.astype(np.float64)).sum()),
    (keras.regularizers.L2(0.2), 0.2 * np.square(W.astype(np.float64)).sum()),
    (keras.regularizers.L1L2(l1=0.01, l2=0.03),
     0.01 * np.abs(W.astype(np.float64)).sum() + 0.03 * np.square(W.astype(np.float64)).sum()),
])
def test_penalties_equal_the_formulas(regularizer, expected):
    assert float(np.asarray(regularizer(ops.convert_to_tensor(W)))) == pytest.approx(expected, rel=1e-6)


def test_penalty_gradients_equal_the_formulas_at_zero_too():
    weight = W.copy()
    weight[0, 0] = 0.0  # abs has gradient 0 there, as sign(0)
    variable = keras.Variable(weight)
    with keras.GradientTape() as tape:
        penalty = keras.regularizers.L1L2(l1=0.01, l2=0.03)(variable)
    expected = 0.01 * np.sign(weight.astype(np.float64)) + 0.03 * 2 * weight.astype(np.float64)
    np.testing.assert_allclose(tape.gradient(penalty, variable).numpy(), expected, rtol=1e-6, atol=1e-9)


def test_names_give_keras_defaults_and_aliases_are_the_classes():
    assert keras.regularizers.get("l2").get_config() == {"l2": 0.01}
    assert keras.regularizers.get("L1").get_config() == {"l1": 0.01}
    assert keras.regularizers.get("l1_l2").get_config() == {"l1": 0.0, "l2": 0.0}
    assert keras.regularizers.l2 is keras.regularizers.L2 and keras.regularizers.l1_l2 is keras.regularizers.L1L2
    assert keras.regularizers.get(None) is None
    with pytest.raises(ValueError, match=r"Could not interpret regularizer identifier: 'l3'. Expected one of"):
        keras.regularizers.get("l3")
    with pytest.raises(ValueError, match="Could not interpret regularizer identifier: 3"):
        keras.regularizers.get(3)


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf"), "0.1", True])
def test_a_bad_factor_is_refused_with_its_value(bad):
    with pytest.raises(ValueError, match=r"argument l2: expected a non-negative float. Received: l2="):
        keras.regularizers.L2(bad)


def test_a_training_step_adds_the_penalty_and_its_gradient():
    # One SGD step on mse + 0.1 * sum(kernel^2) + 0.5 * sum(|bias|), derived by hand.
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(8, 3)).astype(np.float32), rng.normal(size=(8, 2)).astype(np.float32)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(
        2, kernel_regularizer=keras.regularizers.L2(0.1), bias_regularizer=keras.regularizers.L1(0.5),
        bias_initializer="ones")])
    kernel, bias = (w.astype(np.float64) for w in model.get_weights())
    model.compile(keras.optimizers.SGD(0.1), "mse")
    loss = model.train_on_batch(x, y)
    residual = x @ kernel + bias - y
    mse = np.mean(residual ** 2)
    assert loss == pytest.approx(mse + 0.1 * np.sum(kernel ** 2) + 0.5 * np.sum(np.abs(bias)), rel=1e-5)
    d_out = 2 * residual / residual.size
    new_kernel = kernel - 0.1 * (x.T @ d_out + 0.2 * kernel)
    new_bias = bias - 0.1 * (d_out.sum(0) + 0.5 * np.sign(bias))
    np.testing.assert_allclose(model.get_weights()[0], new_kernel, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.get_weights()[1], new_bias, rtol=1e-5, atol=1e-6)


def test_a_string_regularizer_on_add_weight_joins_the_losses():
    class Scaled(keras.layers.Layer):
        def build(self, input_shape):
            self.scale = self.add_weight(shape=(2,), initializer="ones", regularizer="l2")

        def call(self, inputs):
            return inputs * self.scale

    layer = Scaled()
    layer(np.ones((1, 2), np.float32))
    assert [float(np.asarray(penalty)) for penalty in layer.losses] == pytest.approx([0.02])


def test_dense_config_writes_them_as_keras_does_and_recreates_them():
    dense = keras.layers.Dense(3, kernel_regularizer="l2", bias_regularizer=keras.regularizers.L1L2(0.1, 0.2))
    config = dense.get_config()
    assert config["kernel_regularizer"] == {"module": "keras.regularizers", "class_name": "L2",
                                            "config": {"l2": 0.01}, "registered_name": None}
    assert config["bias_regularizer"]["config"] == {"l1": 0.1, "l2": 0.2}
    assert keras.layers.Dense.from_config(config).get_config() == config
    assert keras.layers.Dense(3).get_config()["kernel_regularizer"] is None


@keras.saving.register_keras_serializable(package="tests")
class Sparse(keras.regularizers.Regularizer):
    def __init__(self, factor=1e-3):
        self.factor = factor

    def __call__(self, x):
        return ops.multiply(self.factor, ops.sum(ops.abs(x)))

    def get_config(self):
        return {"factor": self.factor}


def doubled_l2(x):
    return ops.multiply(0.02, ops.sum(ops.square(x)))


def test_a_saved_model_keeps_its_regularizers(tmp_path):
    model = keras.Sequential([
        keras.Input((4,)),
        keras.layers.Dense(3, kernel_regularizer=keras.regularizers.L1L2(0.01, 0.02)),
        keras.layers.Dense(2, kernel_regularizer=Sparse(0.5), bias_regularizer=doubled_l2),
    ])
    model.save(tmp_path / "m.keras")
    with pytest.raises(ValueError, match="Could not interpret regularizer config.*doubled_l2.*custom_objects"):
        keras.models.load_model(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", custom_objects={"doubled_l2": doubled_l2})
    assert isinstance(loaded.layers[1].kernel_regularizer, Sparse)
    assert loaded.layers[1].kernel_regularizer.factor == 0.5
    assert [float(np.asarray(p)) for p in loaded.losses] == [float(np.asarray(p)) for p in model.losses]


def test_batch_normalization_takes_regularizers_and_constraints():
    layer = keras.layers.BatchNormalization(gamma_regularizer=keras.regularizers.L2(0.1), beta_constraint="non_neg")
    layer.build((None, 3))
    layer.gamma.assign(np.array([1.0, 2.0, 3.0], np.float32))
    assert [float(np.asarray(p)) for p in layer.losses] == pytest.approx([0.1 * 14])
    config = layer.get_config()
    assert config["gamma_regularizer"]["config"] == {"l2": 0.1}
    assert config["beta_constraint"]["class_name"] == "NonNeg"
    assert keras.layers.BatchNormalization.from_config(config).get_config() == config
