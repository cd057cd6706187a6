"""LayerNormalization inside the dense chain.

Dense (with no activation, a ReLU or tanh) -> LayerNormalization over the features [-> an activation
layer] is one layer-normalized layer of the native chain, in training and inference alike. The
native pass is checked against the formulas in float64 numpy, the fused step and the chain's
inference against the generic path (bitwise: the same kernels in the same order), and the
normalizations the chain must leave alone are checked to stay on the generic path.
"""
import numpy as np
import pytest

import pykeras as keras
from generic_path import GenericSequential, count_chain_inferences, count_native_calls, fit_fused_and_generic
from kernel_paths import supported_isas
from normalized_chain import call_native_pass, check_native_pass, layer_norm, layer_norm_grad, normalized_mlp

RNG = np.random.default_rng(17)


def _layer_normalized_model(kind, activation="ReLU", before=None, dropout=False, center=True, scale=True):
    return normalized_mlp(kind, keras.layers.LayerNormalization, activation, dropout, center, scale, before=before)


@pytest.mark.parametrize("before, activation", [
    (None, "ReLU"), (None, "gelu"), (None, "sigmoid"), (None, "none"), ("relu", "none"), ("tanh", "ReLU")])
@pytest.mark.parametrize("dropout", [False, True])
def test_layer_normalized_layers_train_on_the_fused_step_with_the_generic_steps_bits(before, activation, dropout,
                                                                                     monkeypatch):
    x = RNG.normal(size=(60, 20)).astype(np.float32)
    y = RNG.integers(0, 4, 60)
    steps = fit_fused_and_generic(
        lambda kind: _layer_normalized_model(kind, activation, before, dropout), x, y, monkeypatch, batch_size=8,
        epochs=3, validation_split=0.2)
    # 6 steps an epoch: the first builds the compiled loss on the generic path, the rest are fused.
    assert steps == [17, 0]


@pytest.mark.parametrize("center, scale", [(False, True), (True, False), (False, False)])
def test_layer_normalization_without_gamma_or_beta_trains_fused_with_the_generic_bits(center, scale, monkeypatch):
    x = RNG.normal(size=(40, 20)).astype(np.float32)
    y = RNG.integers(0, 4, 40)
    steps = fit_fused_and_generic(lambda kind: _layer_normalized_model(kind, center=center, scale=scale), x, y,
                                  monkeypatch, batch_size=10, epochs=2)
    assert steps == [7, 0]


@pytest.mark.parametrize("rows", [1, 7, 600])
def test_inference_of_a_layer_normalized_model_runs_in_the_chain_with_the_layers_bits(rows, monkeypatch):
    model = _layer_normalized_model(keras.Sequential, "gelu", dropout=True)
    generic = _layer_normalized_model(GenericSequential, "gelu", dropout=True)
    x = RNG.normal(size=(rows, 20)).astype(np.float32)
    chained = count_chain_inferences(monkeypatch)
    np.testing.assert_array_equal(model(x).numpy(), generic(x).numpy())
    np.testing.assert_array_equal(model.predict(x, batch_size=rows, verbose=0), generic(x).numpy())
    assert len(chained) == 2
    model(x, training=True)  # Dropout: the layers, not the chain
    assert len(chained) == 2


@pytest.mark.parametrize("isa", supported_isas())
@pytest.mark.parametrize("threads", [1, 2])
def test_native_layer_normalized_pass_equals_the_numpy_formulas(isa, threads):
    out, inferred = check_native_pass(RNG, isa, threads, layer_norm, layer_norm_grad,
                                      lambda *entry: entry + ("layer",), per_row=True)
    np.testing.assert_array_equal(inferred, out)  # inference normalizes the rows as training does


@pytest.mark.parametrize("layers", [
    pytest.param(lambda: [keras.layers.Dense(8), keras.layers.LayerNormalization(rms_scaling=True)], id="rms scaling"),
    pytest.param(lambda: [keras.layers.Dense(8), keras.layers.LayerNormalization(trainable=False)], id="frozen"),
    pytest.param(lambda: [keras.layers.Dense(8), keras.layers.LayerNormalization(activity_regularizer="l2")],
                 id="activity regularizer"),
    pytest.param(lambda: [keras.layers.Dense(8, activation="gelu"), keras.layers.LayerNormalization()],
                 id="after an activation applied after the product"),
])
def test_layer_normalizations_the_chain_cannot_compute_keep_the_generic_path(layers, monkeypatch):
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input(shape=(6,))] + layers() + [keras.layers.ReLU(), keras.layers.Dense(3)])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    steps = count_native_calls(monkeypatch, "dense_chain_loss_gradients")
    chained = count_chain_inferences(monkeypatch)
    x = RNG.normal(size=(16, 6)).astype(np.float32)
    model.fit(x, RNG.integers(0, 3, 16), batch_size=8, epochs=2, verbose=0)
    model(x)
    assert not steps and not chained


def test_normalized_logits_keep_the_generic_path(monkeypatch):
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input(shape=(6,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(3),
                              keras.layers.LayerNormalization()])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    steps = count_native_calls(monkeypatch, "dense_chain_loss_gradients")
    model.fit(RNG.normal(size=(16, 6)).astype(np.float32), RNG.integers(0, 3, 16), batch_size=8, verbose=0)
    assert not steps


def _native_args(rows=4):
    return {"x": RNG.normal(size=(rows, 3)).astype(np.float32), "labels": RNG.integers(0, 2, rows),
            "layers": [(RNG.normal(size=(3, 2)).astype(np.float32), None, "relu",
                        (np.ones(2, np.float32), np.zeros(2, np.float32), 1e-3, "linear", "layer")),
                       (RNG.normal(size=(2, 2)).astype(np.float32), None, "linear")],
            "hidden": [np.empty((rows, 2), np.float32)], "logits": np.empty((rows, 2), np.float32),
            "dlogits": np.empty((rows, 2), np.float32),
            "grads": [(np.empty((3, 2), np.float32), None, np.empty(2, np.float32), np.empty(2, np.float32)),
                      (np.empty((2, 2), np.float32), None)],
            "norm_stats": [np.empty((3, rows), np.float32), None]}


def _set_stats(stats):
    return lambda args: args.update(norm_stats=stats)


def _first_norm(norm):
    def change(args):
        args["layers"][0] = args["layers"][0][:3] + (norm,)
    return change


@pytest.mark.parametrize("change, message", [
    (_set_stats([np.empty((3, 2), np.float32), None]),
     r"norm_stats\[0\] must have shape \(3, 4\) \(the layer normalizes each of the batch's rows\)"),
    (_set_stats([None, None]), r"norm_stats\[0\] must be a \(3, batch\) array: the layer is layer-normalized"),
    (_first_norm((np.ones(2, np.float32), None, 1e-3, "linear", "rows")), r"fifth item must be 'layer'"),
    (_first_norm((np.ones(2, np.float32), None, 0.0, "linear", "layer")), "epsilon must be > 0"),
    (_first_norm((np.ones(3, np.float32), None, 1e-3, "linear", "layer")), r"gamma must have shape \(2,\)"),
    (_first_norm((None, None, 1e-3, "gelu", "layer")), "must be one of 'linear', 'relu', 'tanh'"),
])
@pytest.mark.parametrize("prepared", [False, True])
def test_native_layer_normalized_pass_checks_its_arguments(change, message, prepared):
    args = _native_args()
    change(args)
    with pytest.raises(ValueError, match=message):
        call_native_pass(args, prepared)


def test_a_layer_normalized_chain_checks_its_norm_entries():
    kernel = RNG.normal(size=(3, 2)).astype(np.float32)
    with pytest.raises(ValueError, match=r"norm must be None, .* or \(gamma, beta, epsilon, before, 'layer'\)"):
        keras.ops.DenseChain([(kernel, None, "relu", (None, None, 1e-3, "linear", "rows"))])
    chain = keras.ops.DenseChain([(kernel, None, "relu", (None, None, 1e-3, "linear", "layer"))])
    x = RNG.normal(size=(5, 3)).astype(np.float32)
    z = x.astype(np.float64) @ kernel
    want = np.maximum((z - z.mean(1, keepdims=True)) / np.sqrt(z.var(1, keepdims=True) + 1e-3), 0)
    np.testing.assert_allclose(chain.forward_or_none(x).numpy(), want, rtol=1e-5, atol=1e-6)
