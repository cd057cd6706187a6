"""Losses added during a call: add_loss and activity regularizers, against hand-derived values."""
import numpy as np
import pytest

import pykeras as keras
from pykeras import ops

RNG = np.random.default_rng(17)


class _ActivitySum(keras.layers.Layer):
    """Adds rate * sum(|x|) of its input, as the Keras guide's ActivityRegularizationLayer."""

    def __init__(self, rate=1e-2, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.sum(ops.abs(inputs)))
        return inputs


def _model():
    keras.utils.set_random_seed(2)
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), _ActivitySum(0.1), keras.layers.Dense(1)])


def test_losses_hold_the_latest_call_only_and_nested_layers_report_upward():
    model = _model()
    x = RNG.normal(size=(5, 3)).astype(np.float32)
    hidden = x @ model.layers[0].kernel.numpy() + model.layers[0].bias.numpy()
    for _ in range(3):  # repeated calls do not pile up
        model(x)
        assert len(model.losses) == 1
        np.testing.assert_allclose(float(model.losses[0]), 0.1 * np.abs(hidden).sum(), rtol=1e-5)
    model(x[:2])
    np.testing.assert_allclose(float(model.losses[0]), 0.1 * np.abs(hidden[:2]).sum(), rtol=1e-5)
    assert model.layers[1].losses == model.losses  # the sublayer's own list
    with pytest.raises(ValueError, match=r"`add_loss\(\)` takes tensors computed in `call\(\)`. Received: float"):
        model.layers[1].add_loss(1.0)


def test_fit_adds_the_call_losses_to_the_compiled_loss_and_their_gradient():
    # One SGD step on mse + 0.1 * sum|h| with h = x W1 + b1: the first kernel's update against the
    # hand-derived gradient.
    model = _model()
    x = RNG.normal(size=(6, 3)).astype(np.float32)
    y = RNG.normal(size=(6, 1)).astype(np.float32)
    w1, b1, w2, b2 = (v.astype(np.float64) for v in model.get_weights())
    h = x @ w1 + b1
    out = h @ w2 + b2
    dout = 2 * (out - y) / len(y)
    dh = dout @ w2.T + 0.1 * np.sign(h)
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
    logs = model.train_on_batch(x, y, return_dict=True)
    assert logs["loss"] == pytest.approx(np.mean((out - y) ** 2) + 0.1 * np.abs(h).sum(), rel=1e-5)
    np.testing.assert_allclose(model.get_weights()[0], w1 - 0.5 * x.T @ dh, rtol=1e-4, atol=1e-6)


def test_dense_activity_regularizer_is_its_outputs_penalty_over_the_batch_size(tmp_path):
    keras.utils.set_random_seed(4)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activity_regularizer=keras.regularizers.L2(0.3))])
    x = RNG.normal(size=(8, 3)).astype(np.float32)
    out = model(x).numpy().astype(np.float64)
    assert [float(v) for v in model.losses] == pytest.approx([0.3 * np.sum(out ** 2) / 8], rel=1e-5)
    config = model.layers[0].get_config()
    assert config["activity_regularizer"]["class_name"] == "L2"
    model.compile(optimizer="sgd", loss="mse")
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    loaded(x)
    assert float(loaded.losses[0]) == pytest.approx(float(model.losses[0]), rel=1e-6)
