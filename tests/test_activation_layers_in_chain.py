"""Activation layers after a Dense without activation (``Dense(64)``, ``Activation("relu")``, the
older Keras style) are the Dense's activation in the dense chain: in training on the fused step and
in inference, with the bits of the layers run one by one."""
import numpy as np
import pytest

import pykeras as keras
from generic_path import count_chain_inferences, count_native_calls, fit_fused_and_generic

RNG = np.random.default_rng(13)


MODELS = {
    "relu, gelu and a softmax output": (
        lambda: [keras.layers.Dense(16), keras.layers.ReLU(), keras.layers.Dense(12), keras.layers.Activation("gelu"),
                 keras.layers.Dense(4), keras.layers.Activation("softmax")],
        "sparse_categorical_crossentropy", "labels"),
    "an activation layer before BatchNormalization": (
        lambda: [keras.layers.Dense(16), keras.layers.Activation("relu"), keras.layers.BatchNormalization(),
                 keras.layers.Dense(4)],
        keras.losses.SparseCategoricalCrossentropy(from_logits=True), "labels"),
    "hidden and output sigmoids": (
        lambda: [keras.layers.Dense(8), keras.layers.Activation("sigmoid"), keras.layers.Dense(1),
                 keras.layers.Activation("sigmoid")],
        "binary_crossentropy", "binary"),
    "linear and elu, regression": (
        lambda: [keras.layers.Dense(8), keras.layers.Activation("linear"), keras.layers.Dense(6),
                 keras.layers.Activation("elu"), keras.layers.Dense(3)],
        "mse", "regression"),
}


def _targets(kind, rows):
    if kind == "labels":
        return RNG.integers(0, 4, rows)
    if kind == "binary":
        return RNG.integers(0, 2, rows)
    return RNG.normal(size=(rows, 3)).astype(np.float32)


@pytest.mark.parametrize("name", list(MODELS))
def test_activation_layers_train_and_infer_in_the_chain_with_the_layers_bits(name, monkeypatch):
    layers, loss, targets = MODELS[name]
    x = RNG.normal(size=(48, 10)).astype(np.float32)
    y = _targets(targets, 48)

    def build(kind):
        keras.utils.set_random_seed(6)
        model = kind([keras.Input(shape=(10,))] + layers())
        model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=loss)
        return model

    # 6 steps an epoch: the first builds the compiled loss on the generic path, the rest are fused.
    assert fit_fused_and_generic(build, x, y, monkeypatch, batch_size=8, epochs=2) == [11, 0]
    model = build(keras.Sequential)
    inferred = count_chain_inferences(monkeypatch)
    model(x)
    assert len(inferred) == 1  # inference: one chain call


@pytest.mark.parametrize("layers", [
    pytest.param(lambda: [keras.layers.Dense(8), keras.layers.Activation("tanh")], id="tanh op (numpy's)"),
    pytest.param(lambda: [keras.layers.Dense(8), keras.layers.ReLU(max_value=6.0)], id="capped ReLU"),
    pytest.param(lambda: [keras.layers.Dense(8), keras.layers.Activation("softmax")], id="hidden softmax"),
    pytest.param(lambda: [keras.layers.Dense(8, activation="relu"), keras.layers.Activation("relu")],
                 id="a second activation"),
])
def test_activation_layers_the_chain_cannot_apply_keep_the_layers(layers, monkeypatch):
    keras.utils.set_random_seed(2)
    model = keras.Sequential([keras.Input(shape=(5,))] + layers() + [keras.layers.Dense(3)])
    model.compile(optimizer="adam", loss="mse")
    steps = count_native_calls(monkeypatch, "dense_chain_loss_gradients")
    inferred = count_chain_inferences(monkeypatch)
    model.fit(RNG.normal(size=(16, 5)).astype(np.float32), RNG.normal(size=(16, 3)).astype(np.float32),
              batch_size=8, verbose=0)
    model(RNG.normal(size=(4, 5)).astype(np.float32))
    assert not steps and not inferred
