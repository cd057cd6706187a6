"""Softmax, LeakyReLU, PReLU, ELU, Rescaling, Identity, Permute, RepeatVector, UnitNormalization,
ActivityRegularization, global 1-D pooling, AlphaDropout, SpatialDropout1D and the merge functions:
values against numpy, gradients against finite differences, shapes, Keras's configs, saving, and bad
arguments."""
import numpy as np
import pytest

import pykeras as keras
from op_check import check_op, numeric_gradient
from philox_reference import dropout_mask
from test_more_layers_interop import every_new_layer

L = keras.layers
rng = np.random.default_rng(31)
# Kept away from 0, where the piecewise activations have their kink.
X = rng.normal(size=(3, 5, 4)).astype(np.float32)
X = (np.sign(X) * (np.abs(X) + 0.1)).astype(np.float32)
V = X[:, 0, :]  # (3, 4)


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _alpha_dropout(x, keep, rate):
    alpha_p = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - rate) * (1 + rate * alpha_p ** 2)) ** -0.5
    return a * np.where(keep, x, alpha_p) - a * alpha_p * rate


# ----------------------------------------------------------------------------- values, gradients

VALUE_CASES = [
    ("softmax", lambda: L.Softmax(), lambda x: _softmax(x, -1)),
    ("softmax_axis1", lambda: L.Softmax(axis=1), lambda x: _softmax(x, 1)),
    ("softmax_two_axes", lambda: L.Softmax(axis=[1, 2]), lambda x: _softmax(x, (1, 2))),
    ("leaky_relu", lambda: L.LeakyReLU(), lambda x: np.where(x > 0, x, 0.3 * x)),
    ("leaky_relu_0.05", lambda: L.LeakyReLU(negative_slope=0.05), lambda x: np.where(x > 0, x, 0.05 * x)),
    ("elu", lambda: L.ELU(), lambda x: np.where(x > 0, x, np.expm1(x))),
    ("elu_0.7", lambda: L.ELU(alpha=0.7), lambda x: np.where(x > 0, x, 0.7 * np.expm1(x))),
    ("rescaling", lambda: L.Rescaling(1 / 255), lambda x: x / 255),
    ("rescaling_per_channel", lambda: L.Rescaling([0.5, 2.0, -1.0, 3.0], offset=-1.0),
     lambda x: x * np.array([0.5, 2.0, -1.0, 3.0]) - 1),
    ("identity", lambda: L.Identity(), lambda x: x),
    ("permute", lambda: L.Permute((2, 1)), lambda x: x.transpose(0, 2, 1)),
    ("unit_normalization", lambda: L.UnitNormalization(),
     lambda x: x / np.sqrt((x.astype(np.float64) ** 2).sum(-1, keepdims=True))),
    ("unit_normalization_two_axes", lambda: L.UnitNormalization(axis=[1, 2]),
     lambda x: x / np.sqrt((x.astype(np.float64) ** 2).sum((1, 2), keepdims=True))),
    ("global_average", lambda: L.GlobalAveragePooling1D(), lambda x: x.mean(1)),
    ("global_average_keepdims", lambda: L.GlobalAveragePooling1D(keepdims=True), lambda x: x.mean(1, keepdims=True)),
    ("global_average_channels_first", lambda: L.GlobalAveragePooling1D(data_format="channels_first"),
     lambda x: x.mean(2)),
    ("global_max", lambda: L.GlobalMaxPooling1D(), lambda x: x.max(1)),
    ("global_max_channels_first_keepdims", lambda: L.GlobalMaxPooling1D(data_format="channels_first", keepdims=True),
     lambda x: x.max(2, keepdims=True)),
]


@pytest.mark.parametrize("make, reference", [case[1:] for case in VALUE_CASES], ids=[case[0] for case in VALUE_CASES])
def test_values_and_gradients(make, reference):
    layer = make()
    check_op(layer, [X], reference)
    assert layer.compute_output_shape((None,) + X.shape[1:]) == (None,) + reference(X).shape[1:]


def test_permute_of_rank_four_and_repeat_vector():
    x4 = rng.normal(size=(2, 3, 4, 5)).astype(np.float32)
    check_op(L.Permute((3, 1, 2)), [x4], lambda x: x.transpose(0, 3, 1, 2))
    assert L.Permute((3, 1, 2)).compute_output_shape((None, 3, 4, 5)) == (None, 5, 3, 4)
    check_op(L.RepeatVector(3), [V], lambda v: np.repeat(v[:, None, :], 3, axis=1))
    assert L.RepeatVector(3).compute_output_shape((None, 4)) == (None, 3, 4)
    ints = L.RepeatVector(2)(np.arange(6).reshape(2, 3))
    assert ints.dtype == "int64" and ints.numpy().tolist()[1] == [[3, 4, 5], [3, 4, 5]]


def test_prelu_learns_one_slope_per_position_or_per_shared_axis():
    for shared, shape in ((None, (5, 4)), ([1], (1, 4)), (2, (5, 1)), ([1, 2], (1, 1))):
        layer = L.PReLU(alpha_initializer="random_normal", shared_axes=shared)
        layer.build(X.shape)
        assert [w.name for w in layer.weights] == ["alpha"] and layer.alpha.shape == shape
        alpha = layer.alpha.numpy()
        check_op(layer, [X], lambda x: np.where(x >= 0, x, alpha * x))
        # The gradient of alpha against finite differences, through set_weights.
        upstream = rng.normal(size=X.shape).astype(np.float32)
        with keras.GradientTape() as tape:
            loss = keras.ops.sum(layer(X) * upstream)
        analytic = tape.gradient(loss, [layer.alpha])[0].numpy()

        def forward(a):
            layer.set_weights([a])
            return layer(X).numpy()

        np.testing.assert_allclose(analytic, numeric_gradient(forward, [alpha], 0, upstream), rtol=1e-2, atol=1e-3)
        layer.set_weights([alpha])


def test_prelu_default_is_relu_and_its_constraint_and_regularizer_apply():
    layer = L.PReLU(alpha_regularizer=keras.regularizers.L2(0.5), alpha_constraint="non_neg")
    np.testing.assert_array_equal(layer(X).numpy(), np.maximum(X, 0))
    layer.set_weights([np.full((5, 4), 2.0, np.float32)])
    assert float(layer.losses[0]) == pytest.approx(0.5 * 4.0 * 20)
    assert isinstance(layer.alpha.constraint, keras.constraints.NonNeg)


def test_softmax_mask_leaves_masked_entries_out():
    mask = rng.random((3, 1, 4)) > 0.3
    mask[..., 0] = True  # every row keeps one entry
    expected = np.where(mask, np.exp(X - X.max(-1, keepdims=True)), 0)
    expected = expected / expected.sum(-1, keepdims=True)
    check_op(lambda x: L.Softmax()(x, mask=mask), [X], lambda x: expected)
    np.testing.assert_allclose(L.Softmax()(X, mask=mask.astype(np.float32)).numpy(), expected, rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError, match=r"Softmax 'bad_mask': the `mask` must be broadcastable.*mask.shape=\(3, 2\)"):
        L.Softmax(name="bad_mask")(X, mask=np.ones((3, 2), bool))


def test_global_average_pooling_mask_averages_the_kept_steps():
    mask = rng.random((3, 5)) > 0.4
    mask[:, 0] = True
    expected = (X * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
    check_op(lambda x: L.GlobalAveragePooling1D()(x, mask=mask), [X], lambda x: expected)
    first = L.GlobalAveragePooling1D(data_format="channels_first", keepdims=True)
    features_first = X.transpose(0, 2, 1)
    np.testing.assert_allclose(first(features_first, mask=mask).numpy(), expected[..., None], rtol=1e-6)
    with pytest.raises(ValueError, match=r"`mask` must have shape \(batch, steps\) = \(3, 5\)"):
        L.GlobalAveragePooling1D()(X, mask=mask[:, :4])


def test_unit_normalization_of_zeros_is_zeros_with_a_finite_gradient():
    zeros = np.zeros((2, 3), np.float32)
    variable = keras.Variable(zeros)
    with keras.GradientTape() as tape:
        out = L.UnitNormalization()(variable)
        loss = keras.ops.sum(out)
    np.testing.assert_array_equal(out.numpy(), zeros)
    assert np.all(np.isfinite(tape.gradient(loss, [variable])[0].numpy()))
    np.testing.assert_allclose(np.linalg.norm(L.UnitNormalization()(X).numpy(), axis=-1), 1, rtol=1e-6)
    tiny = np.full((1, 4), 1e-8, np.float32)  # norm 2e-8: far below 1 yet above the 1e-12 cap
    np.testing.assert_allclose(L.UnitNormalization()(tiny).numpy(), np.full((1, 4), 0.5), rtol=1e-5)


def test_activity_regularization_adds_its_penalty_over_the_batch_size():
    layer = L.ActivityRegularization(l1=0.1, l2=0.02)
    np.testing.assert_array_equal(layer(X).numpy(), X)
    expected = (0.1 * np.abs(X).sum() + 0.02 * np.square(X.astype(np.float64)).sum()) / len(X)
    assert len(layer.losses) == 1 and float(layer.losses[0]) == pytest.approx(expected, rel=1e-6)

    def penalty(x):
        layer(x)
        return layer.losses[0]

    check_op(penalty, [X], lambda x: expected)
    layer(X[:1])  # the latest call's penalty only
    assert len(layer.losses) == 1 and float(layer.losses[0]) == pytest.approx(0.1 * np.abs(X[0]).sum()
                                                                               + 0.02 * np.square(X[0]).sum(), rel=1e-5)
    zero = L.ActivityRegularization()
    zero(X)
    assert [float(loss) for loss in zero.losses] == [0.0]  # as Keras, a zero loss


def test_fit_adds_the_activity_penalty_to_the_loss():
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((4,)), L.Dense(3), L.ActivityRegularization(l2=0.5), L.Dense(1)])
    x, y = V, rng.normal(size=(3, 1)).astype(np.float32)
    w1, b1, w2, b2 = (w.astype(np.float64) for w in model.get_weights())
    hidden = x @ w1 + b1
    model.compile(keras.optimizers.SGD(0.1), "mse")
    loss = model.train_on_batch(x, y, return_dict=True)["loss"]
    assert loss == pytest.approx(np.mean((hidden @ w2 + b2 - y) ** 2) + 0.5 * np.square(hidden).sum() / 3, rel=1e-5)


def test_rescaling_makes_integers_floats():
    out = L.Rescaling(0.5, offset=1)(np.array([[0, 255]], np.uint8))
    assert out.dtype == "float32" and out.numpy().tolist() == [[1.0, 128.5]]


# ----------------------------------------------------------------------------- dropout variants


def test_dropout_variants_are_the_identity_at_inference():
    for layer in (L.AlphaDropout(0.5), L.SpatialDropout1D(0.5)):
        np.testing.assert_array_equal(layer(X).numpy(), X)
        np.testing.assert_array_equal(layer(X, training=False).numpy(), X)
    np.testing.assert_array_equal(L.AlphaDropout(0.0)(X, training=True).numpy(), X)


def test_alpha_dropout_draws_as_dropout_and_applies_keras_formula():
    out = L.AlphaDropout(0.3, seed=4)(X, training=True).numpy()
    keep = dropout_mask(X.shape, np.random.default_rng(4).bit_generator.random_raw(), 0.3, 1) > 0
    np.testing.assert_allclose(out, _alpha_dropout(X, keep, 0.3), rtol=1e-6, atol=1e-6)
    # With the global generator: the numbers a Dropout draws after the same global seed.
    keras.utils.set_random_seed(9)
    out = L.AlphaDropout(0.3, noise_shape=(None, 1, 4))(X, training=True).numpy()
    keras.utils.set_random_seed(9)
    dropout_keep = L.Dropout(0.3, noise_shape=(None, 1, 4))(np.ones((3, 1, 4), np.float32), training=True).numpy() > 0
    np.testing.assert_allclose(out, _alpha_dropout(X, dropout_keep, 0.3), rtol=1e-6, atol=1e-6)
    # Its gradient is a times the mask (a fresh layer with the seed redraws the same mask).
    check_op(lambda x: L.AlphaDropout(0.3, seed=4)(x, training=True), [X],
             lambda x: _alpha_dropout(x, keep, 0.3), atol=1e-6)


def test_alpha_dropout_keeps_mean_and_variance():
    normal = np.random.default_rng(2).normal(size=(400, 250)).astype(np.float32)
    out = L.AlphaDropout(0.2, seed=1)(normal, training=True).numpy()
    assert abs(out.mean()) < 0.02 and out.var() == pytest.approx(1.0, abs=0.03)
    assert np.unique(out, return_counts=True)[1].max() / out.size == pytest.approx(0.2, abs=0.01)  # dropped: one value


def test_spatial_dropout_drops_whole_channels_with_dropouts_numbers():
    x = np.ones((64, 7, 16), np.float32) + rng.random((64, 7, 16), dtype=np.float32)
    out = L.SpatialDropout1D(0.4, seed=3)(x, training=True).numpy()
    keep = dropout_mask((64, 1, 16), np.random.default_rng(3).bit_generator.random_raw(), 0.4, 1) > 0
    np.testing.assert_allclose(out, x * keep / np.float32(0.6), rtol=1e-6)
    assert np.all((out == 0).all(axis=1) | (out != 0).all(axis=1))  # a channel is dropped at every step
    check_op(lambda v: L.SpatialDropout1D(0.4, seed=3)(v, training=True), [X],
             lambda v: v * dropout_mask((3, 1, 4), np.random.default_rng(3).bit_generator.random_raw(), 0.4, 1 / 0.6))
    keras.utils.set_random_seed(5)
    first = L.SpatialDropout1D(0.5)(x, training=True).numpy()
    keras.utils.set_random_seed(5)
    np.testing.assert_array_equal(L.Dropout(0.5, noise_shape=(None, 1, None))(x, training=True).numpy(), first)


def test_models_with_the_dropout_variants_train():
    data = np.random.default_rng(1).normal(size=(128, 6, 3)).astype(np.float32)
    y = data.mean(axis=(1, 2))[:, None].astype(np.float32) * 3
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((6, 3)), L.SpatialDropout1D(0.1), L.Dense(16, activation="selu"),
                              L.AlphaDropout(0.05), L.GlobalAveragePooling1D(), L.Dense(1)])
    model.compile(keras.optimizers.Adam(0.02), "mse")
    history = model.fit(data, y, epochs=25, batch_size=32, verbose=0).history["loss"]
    assert history[-1] < 0.3 * history[0]


# ----------------------------------------------------------------------------- merge functions


@pytest.mark.parametrize("function, layer", [
    (L.add, L.Add), (L.subtract, L.Subtract), (L.multiply, L.Multiply), (L.average, L.Average),
    (L.maximum, L.Maximum), (L.minimum, L.Minimum), (L.concatenate, L.Concatenate),
])
def test_merge_functions_make_the_layer_and_call_it(function, layer):
    a, b = X, X[::-1] * 0.5
    np.testing.assert_array_equal(function([a, b]).numpy(), layer()([a, b]).numpy())
    left, right = keras.Input((5, 4)), keras.Input((5, 4))
    out = function([left, right], name=f"{layer.__name__.lower()}_fn")
    model = keras.Model([left, right], out)
    assert isinstance(model.layers[-1], layer) and model.layers[-1].name == f"{layer.__name__.lower()}_fn"
    np.testing.assert_array_equal(model.predict([a, b], verbose=0), layer()([a, b]).numpy())


def test_concatenate_function_takes_the_axis():
    assert L.concatenate([X, X], axis=1).shape == (3, 10, 4)
    assert L.concatenate([keras.Input((5, 4)), keras.Input((2, 4))], axis=1).shape == (None, 7, 4)


# ----------------------------------------------------------------------------- configs


# The keys of each layer's get_config in Keras 3.15 (besides name, trainable, dtype).
KERAS_KEYS = {
    L.Softmax(): {"axis"}, L.LeakyReLU(): {"negative_slope"},
    L.PReLU(): {"alpha_initializer", "alpha_regularizer", "alpha_constraint", "shared_axes"},
    L.ELU(): {"alpha"}, L.Rescaling(0.5): {"scale", "offset"}, L.Identity(): set(), L.Permute((2, 1)): {"dims"},
    L.RepeatVector(2): {"n"}, L.UnitNormalization(): {"axis"},
    L.GlobalAveragePooling1D(): {"data_format", "keepdims"}, L.GlobalMaxPooling1D(): {"data_format", "keepdims"},
    L.AlphaDropout(0.1): {"rate", "noise_shape", "seed"}, L.ActivityRegularization(): {"l1", "l2"},
}


@pytest.mark.parametrize("layer, keys", list(KERAS_KEYS.items()), ids=[type(k).__name__ for k in KERAS_KEYS])
def test_config_keys_are_keras(layer, keys):
    assert set(layer.get_config()) == {"name", "trainable", "dtype"} | keys


def test_config_defaults_are_keras():
    zeros = {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": None}
    expected = [
        (L.Softmax(), {"axis": -1}), (L.LeakyReLU(), {"negative_slope": 0.3}),
        (L.PReLU(), {"alpha_initializer": zeros, "alpha_regularizer": None, "alpha_constraint": None,
                     "shared_axes": None}),
        (L.ELU(), {"alpha": 1.0}), (L.Rescaling(0.5), {"scale": 0.5, "offset": 0.0}),
        (L.UnitNormalization(), {"axis": -1}),
        (L.GlobalAveragePooling1D(), {"data_format": "channels_last", "keepdims": False}),
        (L.GlobalMaxPooling1D(), {"data_format": "channels_last", "keepdims": False}),
        (L.AlphaDropout(0.1), {"rate": 0.1, "noise_shape": None, "seed": None}),
        (L.ActivityRegularization(), {"l1": 0.0, "l2": 0.0}),
    ]
    for layer, values in expected:
        config = layer.get_config()
        assert {key: config[key] for key in values} == values, type(layer).__name__
    spatial = L.SpatialDropout1D(0.2)
    assert spatial.get_config() == {"rate": 0.2, "seed": None, "name": spatial.name, "dtype": "float32"}
    assert L.GlobalAveragePooling1D().name.startswith("global_average_pooling1d")  # Keras's automatic names
    assert L.SpatialDropout1D(0.1).name.startswith("spatial_dropout1d")


ROUND_TRIPS = [
    lambda: L.Softmax(axis=[1, 2], name="s"), lambda: L.LeakyReLU(0.1, trainable=False),
    lambda: L.PReLU(alpha_initializer="ones", alpha_regularizer="l2", alpha_constraint="non_neg", shared_axes=[1, 2]),
    lambda: L.ELU(0.5), lambda: L.Rescaling([1.0, 2.0], offset=-1.0), lambda: L.Rescaling(np.array([1.0, 2.0])),
    lambda: L.Identity(name="id"), lambda: L.Permute((3, 1, 2)), lambda: L.RepeatVector(4),
    lambda: L.UnitNormalization(axis=[1, 2]), lambda: L.GlobalAveragePooling1D("channels_first", keepdims=True),
    lambda: L.GlobalMaxPooling1D(keepdims=True), lambda: L.AlphaDropout(0.2, noise_shape=(None, 1, 4), seed=3),
    lambda: L.SpatialDropout1D(0.3, seed=2, name="sd"), lambda: L.ActivityRegularization(l1=0.1, l2=0.2),
]


@pytest.mark.parametrize("make", ROUND_TRIPS)
def test_config_round_trip(make):
    layer = make()
    clone = type(layer).from_config(layer.get_config())
    assert type(clone) is type(layer) and clone.get_config() == layer.get_config()


def test_rescaling_writes_arrays_as_keras_does():
    config = L.Rescaling(np.array([1.0, 2.0], np.float32), offset=np.float32(0.5)).get_config()
    assert config["scale"] == {"class_name": "__numpy__", "config": {"value": [1.0, 2.0], "dtype": "float32"}}
    assert config["offset"] == 0.5 and type(config["offset"]) is float
    np.testing.assert_array_equal(L.Rescaling.from_config(config)(np.ones((1, 2), np.float32)).numpy(), [[1.5, 2.5]])


def test_leaky_relu_reads_keras_2s_alpha():
    with pytest.warns(UserWarning, match="`alpha` is deprecated"):
        layer = L.LeakyReLU.from_config({"name": "old", "alpha": 0.2, "trainable": True, "dtype": "float32"})
    assert layer.negative_slope == 0.2


# ----------------------------------------------------------------------------- saving


def test_a_model_of_the_new_layers_trains_saves_and_loads(tmp_path):
    keras.utils.set_random_seed(6)
    x = rng.normal(size=(32, 6, 4)).astype(np.float32)
    y = rng.normal(size=(32, 2)).astype(np.float32)
    model = every_new_layer(keras)
    model.compile(keras.optimizers.Adam(0.01), "mse")
    alpha = next(w for w in model.weights if w.name == "alpha").numpy()
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert not np.allclose(next(w for w in model.weights if w.name == "alpha").numpy(), alpha)  # alpha is trained
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert [type(layer).__name__ for layer in loaded.layers] == [type(layer).__name__ for layer in model.layers]
    assert [layer.get_config() for layer in loaded.layers] == [layer.get_config() for layer in model.layers]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    loaded(x), model(x)
    assert len(loaded.losses) == 1 and float(loaded.losses[0]) == float(model.losses[0]) > 0
    np.testing.assert_array_equal(keras.models.clone_model(model).predict(x, verbose=0).shape, (32, 2))


# ----------------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize("make, message", [
    (lambda: L.Softmax(axis="last", name="s"), r"Softmax 's': `axis` must be an int or a non-empty list of ints. "
                                               r"Received: axis='last'"),
    (lambda: L.Softmax(axis=3, name="s")(X), r"Softmax 's': all `axis` values must be in the range"),
    (lambda: L.LeakyReLU(-0.1, name="l"), r"LeakyReLU 'l': `negative_slope` must be a float >= 0. "
                                           r"Received: negative_slope=-0.1"),
    (lambda: L.LeakyReLU(None), r"`negative_slope` must be a float >= 0. Received: negative_slope=None"),
    (lambda: L.PReLU(shared_axes=[0], name="p"), r"PReLU 'p': `shared_axes` must be axes >= 1 \(0 is the batch\). "
                                                  r"Received: shared_axes=\[0\]"),
    (lambda: L.PReLU(shared_axes=3, name="p")(X), r"PReLU 'p': `shared_axes` \[3\] out of range for inputs of rank 3"),
    (lambda: L.PReLU(name="p").build((None, None, 4)), r"PReLU 'p': the sizes of the axes that are not shared"),
    (lambda: L.ELU("one", name="e"), r"ELU 'e': `alpha` must be a float. Received: alpha='one'"),
    (lambda: L.Rescaling("half", name="r"), r"Rescaling 'r': `scale` must be a float or an array of floats. "
                                             r"Received: scale='half'"),
    (lambda: L.Rescaling(1.0, offset=[1, [2]], name="r"), r"Rescaling 'r': `offset` must be a float"),
    (lambda: L.Permute((1, 3), name="p"), r"Permute 'p': `dims` must be a permutation of 1 .. n .* "
                                          r"Received: dims=\(1, 3\)"),
    (lambda: L.Permute(2, name="p"), r"Permute 'p': `dims` must be a permutation.*Received: dims=2"),
    (lambda: L.Permute((2, 1), name="p")(V), r"Permute 'p' expects inputs of rank 3 \(batch included\). "
                                             r"Received: input_shape=\(3, 4\)"),
    (lambda: L.RepeatVector(0, name="r"), r"RepeatVector 'r': `n` must be a positive integer. Received: n=0"),
    (lambda: L.RepeatVector(2.0), r"`n` must be a positive integer. Received: n=2.0"),
    (lambda: L.RepeatVector(2, name="r")(X), r"RepeatVector 'r' expects inputs of rank 2"),
    (lambda: L.UnitNormalization(axis=1.5, name="u"), r"UnitNormalization 'u': `axis` must be an int or a list"),
    (lambda: L.UnitNormalization(axis=[1, 3], name="u")(X), r"UnitNormalization 'u': all `axis` values must be in"),
    (lambda: L.GlobalAveragePooling1D(data_format="NHWC", name="g"),
     r"GlobalAveragePooling1D 'g': `data_format` must be 'channels_last' or 'channels_first'. "
     r"Received: data_format='NHWC'"),
    (lambda: L.GlobalMaxPooling1D(keepdims="yes", name="g"), r"GlobalMaxPooling1D 'g': `keepdims` must be a bool"),
    (lambda: L.GlobalMaxPooling1D(name="g")(V), r"GlobalMaxPooling1D 'g' expects inputs of rank 3"),
    (lambda: L.AlphaDropout(1.0, name="a"), r"AlphaDropout 'a': `rate` must be in \[0, 1\). Received: rate=1.0"),
    (lambda: L.AlphaDropout(0.1, noise_shape=(None, 0), name="a"), r"AlphaDropout 'a': `noise_shape` must be"),
    (lambda: L.AlphaDropout(0.1, noise_shape=(None, 1), name="a")(X, training=True),
     r"AlphaDropout 'a': `noise_shape` needs one entry per input axis"),
    (lambda: L.SpatialDropout1D(-0.5), r"SpatialDropout1D: `rate` must be in \[0, 1\). Received: rate=-0.5"),
    (lambda: L.SpatialDropout1D(0.5, name="s")(V), r"SpatialDropout1D 's' expects inputs of rank 3"),
    (lambda: L.ActivityRegularization(l1=-1.0, name="a"), r"ActivityRegularization 'a': Invalid value for argument "
                                                          r"l1: expected a non-negative float. Received: l1=-1.0"),
    (lambda: L.ActivityRegularization(l2="x"), r"argument l2: expected a non-negative float. Received: l2='x'"),
])
def test_bad_arguments_are_refused_by_name(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_unknown_keyword_arguments_are_refused():
    with pytest.raises(ValueError, match="Unrecognized keyword arguments passed to Softmax"):
        L.Softmax(axes=1)
    with pytest.raises(TypeError):
        L.SpatialDropout1D(0.5, noise_shape=(None, 1, None))  # as in Keras, which takes no noise_shape here
