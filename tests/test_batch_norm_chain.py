"""BatchNormalization inside the dense chain's training step.

Dense (with no activation, a ReLU or tanh) -> BatchNormalization [-> an activation layer] trains as
one batch-normalized layer of the native chain. The native pass is checked against the formulas in float64 numpy, the
fused step against the generic step (bitwise: the same kernels in the same order), and the models
the chain must leave alone are checked to stay on the generic path.
"""
import numpy as np
import pytest

import pykeras as keras
from generic_path import GenericSequential, count_chain_inferences, count_native_calls, fit_fused_and_generic
from kernel_paths import supported_isas
from normalized_chain import batch_norm, batch_norm_grad, call_native_pass, check_native_pass, normalized_mlp
from pykeras import _core, ops

RNG = np.random.default_rng(11)


def _count_fused_steps(monkeypatch):
    return count_native_calls(monkeypatch, "dense_chain_loss_gradients")


def _normalized_model(kind, activation, dropout=False, center=True, scale=True, use_bias=True, before=None):
    return normalized_mlp(kind, lambda **options: keras.layers.BatchNormalization(momentum=0.9, **options), activation,
                          dropout, center, scale, use_bias, before)


@pytest.mark.parametrize("before, activation", [
    (None, "ReLU"), (None, "relu"), (None, "gelu"), (None, "elu"), (None, "sigmoid"), (None, "linear"), (None, "none"),
    ("relu", "none"), ("tanh", "none"), ("relu", "ReLU")])
@pytest.mark.parametrize("dropout", [False, True])
def test_batch_normalized_layers_train_on_the_fused_step_with_the_generic_steps_bits(before, activation, dropout,
                                                                                     monkeypatch):
    x = RNG.normal(size=(60, 20)).astype(np.float32)
    y = RNG.integers(0, 4, 60)
    # The weights compared include the moving statistics, moved by the fused step as by the layer.
    steps = fit_fused_and_generic(lambda kind: _normalized_model(kind, activation, dropout, before=before), x, y,
                                  monkeypatch, batch_size=8, epochs=3, validation_split=0.2)
    # 6 steps an epoch: the first builds the compiled loss on the generic path, the rest are fused.
    assert steps == [17, 0]


@pytest.mark.parametrize("center, scale, use_bias", [(False, True, True), (True, False, False), (False, False, True)])
def test_batch_normalization_without_gamma_or_beta_trains_fused_with_the_generic_bits(center, scale, use_bias,
                                                                                     monkeypatch):
    x = RNG.normal(size=(40, 20)).astype(np.float32)
    y = RNG.integers(0, 4, 40)
    steps = fit_fused_and_generic(
        lambda kind: _normalized_model(kind, "ReLU", center=center, scale=scale, use_bias=use_bias), x, y,
        monkeypatch, batch_size=10, epochs=2)
    assert steps == [7, 0]


def test_a_functional_chain_with_batch_normalization_trains_fused_with_the_generic_bits(monkeypatch):
    x = RNG.normal(size=(40, 20)).astype(np.float32)
    y = RNG.integers(0, 4, 40)
    generic = _normalized_model(GenericSequential, "gelu")
    generic.fit(x, y, batch_size=10, epochs=2, shuffle=False, verbose=0)
    inputs = keras.Input(shape=(20,))
    outputs = inputs
    for layer in _normalized_model(keras.Sequential, "gelu").layers:
        outputs = layer(outputs)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(1e-2),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    steps = _count_fused_steps(monkeypatch)
    model.fit(x, y, batch_size=10, epochs=2, shuffle=False, verbose=0)
    assert len(steps) == 7
    for got, want in zip(model.get_weights(), generic.get_weights()):
        np.testing.assert_array_equal(got, want)


def test_changes_to_the_normalization_between_fits_are_seen(monkeypatch):
    x = RNG.normal(size=(48, 20)).astype(np.float32)
    y = RNG.integers(0, 4, 48)

    def build(kind):
        model = _normalized_model(kind, "ReLU")
        model.fit(x, y, batch_size=16, shuffle=False, verbose=0)
        normalization = model.layers[1]
        normalization.epsilon, normalization.momentum = 0.5, 0.5  # the chain is rebuilt with them
        model.fit(x, y, batch_size=16, shuffle=False, verbose=0)
        normalization.trainable = False  # frozen: inference mode in training, the moving statistics kept
        model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        return model

    # Frozen, the layer's statistics are the moving ones: the generic path, which leaves them be.
    assert fit_fused_and_generic(build, x, y, monkeypatch, batch_size=16) == [0, 0]


@pytest.mark.parametrize("isa", supported_isas())
@pytest.mark.parametrize("threads", [1, 2])
def test_native_batch_normalized_pass_equals_the_numpy_formulas(isa, threads):
    check_native_pass(RNG, isa, threads, batch_norm, batch_norm_grad, lambda *entry: entry, per_row=False)


def _fused_chain(model):
    step = model.__dict__.get("_fused_step")
    return None if step is None else step._chain


@pytest.mark.parametrize("layers", [
    pytest.param(lambda: [keras.layers.Dense(8, activation="gelu"), keras.layers.BatchNormalization()],
                 id="normalization after an activation applied after the product"),
    pytest.param(lambda: [keras.layers.Dense(8), keras.layers.BatchNormalization(), keras.layers.Activation("tanh")],
                 id="tanh op (numpy's) after the normalization"),
    pytest.param(lambda: [keras.layers.Dense(8), keras.layers.BatchNormalization(trainable=False),
                          keras.layers.ReLU()], id="frozen normalization"),
    pytest.param(lambda: [keras.layers.Dense(8), keras.layers.Dropout(0.2), keras.layers.BatchNormalization()],
                 id="dropout before the normalization"),
    pytest.param(lambda: [keras.layers.Dense(8), keras.layers.BatchNormalization(), keras.layers.ReLU(max_value=6)],
                 id="capped ReLU"),
    pytest.param(lambda: [keras.layers.Dense(8), keras.layers.BatchNormalization(), keras.layers.ReLU(),
                          keras.layers.ReLU()], id="two activation layers"),
])
def test_models_the_chain_cannot_compute_keep_the_generic_path(layers, monkeypatch):
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input(shape=(6,))] + layers() + [keras.layers.Dense(3)])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    steps = _count_fused_steps(monkeypatch)
    model.fit(RNG.normal(size=(16, 6)).astype(np.float32), RNG.integers(0, 3, 16), batch_size=8, epochs=2, verbose=0)
    assert not steps and _fused_chain(model) is None


def test_normalization_of_the_logits_keeps_the_generic_path(monkeypatch):
    model = keras.Sequential([keras.Input(shape=(6,)), keras.layers.Dense(8), keras.layers.BatchNormalization(),
                              keras.layers.ReLU(), keras.layers.Dense(3), keras.layers.BatchNormalization()])
    model.compile(optimizer="adam", loss="mse")
    steps = _count_fused_steps(monkeypatch)
    model.fit(RNG.normal(size=(16, 6)).astype(np.float32), RNG.normal(size=(16, 3)).astype(np.float32),
              batch_size=8, verbose=0)
    assert not steps


@pytest.mark.parametrize("before, activation", [(None, "ReLU"), ("relu", "none"), ("tanh", "gelu"), (None, "sigmoid")])
def test_inference_of_a_normalized_model_folds_the_moving_statistics_in_the_chain(before, activation, monkeypatch):
    model = _normalized_model(keras.Sequential, activation, dropout=True, before=before)
    x = RNG.normal(size=(40, 20)).astype(np.float32)
    model.fit(x, RNG.integers(0, 4, 40), batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert _fused_chain(model) is not None and _fused_chain(model).normalized
    h = x
    for layer in model.layers:  # each layer on its own, in inference: the moving statistics
        h = layer(h, training=False)
    calls = count_chain_inferences(monkeypatch)
    for rows in (x, x[:1]):
        np.testing.assert_array_equal(model(rows).numpy(), h.numpy()[:len(rows)])
    np.testing.assert_array_equal(model.predict(x, batch_size=64, verbose=0), h.numpy())
    assert len(calls) == 3
    # In training the layers run (Dropout, the batch statistics, the moving ones moved): not the chain.
    model(x, training=True)
    assert len(calls) == 3


def test_a_tape_through_a_normalized_model_reaches_gamma_and_beta():
    model = _normalized_model(keras.Sequential, "ReLU")
    x = RNG.normal(size=(12, 20)).astype(np.float32)
    normalization = model.layers[1]
    with ops.GradientTape() as tape:
        value = ops.sum(ops.square(model(x)))
    grads = tape.gradient(value, [normalization.gamma, normalization.beta])
    assert all(grad is not None and np.any(grad.numpy() != 0) for grad in grads)


def test_a_normalized_chain_infers_with_its_moving_statistics():
    kernel, gamma = RNG.normal(size=(3, 2)).astype(np.float32), np.float32([0.5, 2.0])
    last = RNG.normal(size=(2, 1)).astype(np.float32)
    mean, variance = np.float32([0.25, -1.0]), np.float32([4.0, 0.5])
    chain = ops.DenseChain([(kernel, None, "relu", (gamma, None, 1e-3, "tanh", mean, variance)),
                            (last, None, "linear")])
    x = RNG.normal(size=(4, 3)).astype(np.float32)
    with pytest.raises(ValueError, match="is called through loss_gradients"):
        chain(x)
    scale = gamma.astype(np.float64) / np.sqrt(variance.astype(np.float64) + 1e-3)
    hidden = np.maximum((np.tanh(x.astype(np.float64) @ kernel) - mean) * scale, 0)
    np.testing.assert_allclose(chain.forward_or_none(x).numpy(), hidden @ last, rtol=1e-5, atol=1e-6)
    mean[:] = [1.0, 2.0]  # read in place: an assign or a training step is seen
    hidden = np.maximum((np.tanh(x.astype(np.float64) @ kernel) - mean) * scale, 0)
    np.testing.assert_allclose(chain.forward_or_none(x).numpy(), hidden @ last, rtol=1e-5, atol=1e-6)
    with ops.GradientTape():
        assert chain.forward_or_none(x) is None  # gamma's and beta's gradients: the layers' ops
    with pytest.raises(ValueError, match=r"norm must be None, \(gamma, beta, epsilon\[, before\[, moving_mean"):
        ops.DenseChain([(kernel, None, "relu", (gamma, None))])
    with pytest.raises(ValueError, match="layer 0's epsilon must be a number. Received: 'x'"):
        ops.DenseChain([(kernel, None, "relu", (gamma, None, "x"))])
    with pytest.raises(ValueError, match="layer 0's moving_variance must be a float32"):
        ops.DenseChain([(kernel, None, "relu", (gamma, None, 1e-3, "linear", mean, np.ones(2)))])
    with pytest.raises(ValueError, match="layer 0's momentum must be a number. Received: None"):
        ops.DenseChain([(kernel, None, "relu", (gamma, None, 1e-3, "linear", mean, variance, None))])
    with pytest.raises(ValueError, match="is batch-normalized: inference needs its moving statistics"):
        _core.dense_chain_forward(x, [(kernel, None, "relu", (gamma, None, 1e-3))])


def test_the_native_fold_has_the_layers_bits():
    # Moving statistics and gamma/beta spanning many binades, zeros, a negative and an infinite
    # variance: the chain's native fold against the layer's own inference, bit for bit.
    rng = np.random.default_rng(8)
    units = 64
    layer = keras.layers.BatchNormalization(epsilon=1e-3)
    layer.build((None, units))
    variance = np.exp(rng.uniform(-30, 30, units)).astype(np.float32)
    variance[:4] = [0.0, -1e-3, np.inf, 1e-45]
    for variable, value in ((layer.moving_variance, variance),
                            (layer.moving_mean, rng.normal(scale=1e3, size=units).astype(np.float32)),
                            (layer.gamma, rng.normal(size=units).astype(np.float32)),
                            (layer.beta, rng.normal(size=units).astype(np.float32))):
        variable.assign(value)
    kernel = np.eye(units, dtype=np.float32)  # the product is x itself
    chain = ops.DenseChain([(kernel, None, "linear", (layer.gamma, layer.beta, layer.epsilon, "linear",
                                                      layer.moving_mean, layer.moving_variance))])
    x = rng.normal(size=(5, units)).astype(np.float32)
    with np.errstate(all="ignore"):
        want = layer(x, training=False).numpy()
    got = chain.forward_or_none(x).numpy()
    np.testing.assert_array_equal(got.view(np.int32), want.view(np.int32))


def _native_args():
    x = np.ones((4, 3), np.float32)
    layers = [(np.ones((3, 2), np.float32), None, "relu", (np.ones(2, np.float32), np.zeros(2, np.float32), 1e-3)),
              (np.ones((2, 2), np.float32), None, "linear")]
    return {"x": x, "layers": layers, "labels": np.zeros(4, np.int64), "hidden": [np.empty((4, 2), np.float32)],
            "logits": np.empty((4, 2), np.float32), "dlogits": np.empty((4, 2), np.float32),
            "grads": [(np.empty((3, 2), np.float32), None, np.empty(2, np.float32), np.empty(2, np.float32)),
                      (np.empty((2, 2), np.float32), None)],
            "norm_stats": [np.empty((3, 2), np.float32), None]}


def _set(key, value):
    return lambda args: args.update({key: value})


def _first_layer(norm, extra=()):
    def change(args):
        args["layers"][0] = args["layers"][0][:3] + (norm,) + extra
    return change


def _gamma_grad_in_stats(args):  # the layer's dgamma is a row of its statistics array
    args["grads"][0] = args["grads"][0][:2] + (args["norm_stats"][0][0], args["grads"][0][3])


_GAMMA, _BETA = np.ones(2, np.float32), np.zeros(2, np.float32)
_READ_ONLY = np.ones(2, np.float32)
_READ_ONLY.flags.writeable = False


def _moving_is_a_gradient(args):  # moved in place by the training pass, which also writes dgamma there
    args["layers"][0] = args["layers"][0][:3] + ((_GAMMA, _BETA, 1e-3, "relu", args["grads"][0][2],
                                                   np.ones(2, np.float32), 0.99),)


@pytest.mark.parametrize("change, message", [
    (_set("norm_stats", None), "'norm_stats' must be a list of 2 entries"),
    (_set("norm_stats", [None, None]), r"norm_stats\[0\] must be a \(3, n\) array"),
    (_set("norm_stats", [np.empty((3, 2), np.float32)] * 2), r"norm_stats\[1\] must be None"),
    (_set("norm_stats", [np.empty((2, 2), np.float32), None]), r"norm_stats\[0\] must have shape \(3, 2\)"),
    (_set("grads", [(np.empty((3, 2), np.float32), None), (np.empty((2, 2), np.float32), None)]),
     r"grads\[0\] must be a tuple \(dw, db, dgamma, dbeta\). Received: a tuple of length 2"),
    (_set("grads", [(np.empty((3, 2), np.float32), None, None, np.empty(2, np.float32)),
                    (np.empty((2, 2), np.float32), None)]), "exactly where the layer has gamma and beta"),
    (_set("grads", [(np.empty((3, 2), np.float32), None, np.empty(3, np.float32), np.empty(2, np.float32)),
                    (np.empty((2, 2), np.float32), None)]), r"grads\[0\] dgamma must have shape \(2,\)"),
    (_first_layer((_GAMMA, _BETA, 0.0)), "epsilon must be > 0"),
    (_first_layer((_GAMMA, _BETA, "1e-3")), "epsilon must be a number"),
    (_first_layer((np.ones(3, np.float32), _BETA, 1e-3)), r"layers\[0\] gamma must have shape \(2,\)"),
    (_first_layer((_GAMMA, _BETA)), r"norm must be None, a tuple \(gamma, beta, epsilon\[, before\[, moving_mean"),
    (_first_layer((_GAMMA, _BETA, 1e-3, "relu", _GAMMA)),
     r"norm's fifth item must be 'layer' \(LayerNormalization\). Received: an object of type ndarray"),
    (_first_layer((_GAMMA, _BETA, 1e-3, "relu", "batch")), r"fifth item must be 'layer'.*Received: 'batch'"),
    (_first_layer((_GAMMA, _BETA, 1e-3, "relu", _GAMMA, np.ones(3, np.float32))),
     r"layers\[0\] moving_variance must have shape \(2,\)"),
    (_first_layer((_GAMMA, _BETA, 1e-3, "relu", np.ones(2), _BETA)), r"'moving_mean' must have dtype float32"),
    (_first_layer((_GAMMA, _BETA, 1e-3, "relu", np.ones(2, np.float32), np.ones(2, np.float32), "0.99")),
     "momentum must be a number"),
    (_first_layer((_GAMMA, _BETA, 1e-3, "relu", np.ones(2, np.float32), _READ_ONLY, 0.99)),
     "'moving_variance' is an output and must be writeable"),
    (_moving_is_a_gradient, "must not share memory"),
    (_first_layer((_GAMMA, _BETA, 1e-3, "gelu")), "must be one of 'linear', 'relu', 'tanh'. Received: activation='gelu'"),
    (_first_layer((_GAMMA, _BETA, 1e-3, 1)), "activation before must be a str"),
    (_first_layer((_GAMMA, _BETA, 1e-3), (None,)), r"or \(w, b, activation, norm\). Received: a tuple of length 5"),
    (_gamma_grad_in_stats, "must not share memory"),
])
@pytest.mark.parametrize("prepared", [False, True])
def test_native_batch_normalized_pass_checks_its_arguments(change, message, prepared):
    args = _native_args()
    change(args)
    with pytest.raises(ValueError, match=message):
        call_native_pass(args, prepared)
