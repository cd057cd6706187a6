"""The layers of test_more_layers.py move between Keras 3 and pykeras: a model of them saved by
either library loads in the other and predicts the same; each layer computes what Keras's computes.
Runs only where ``keras`` is importable (KERAS_BACKEND defaults to jax)."""
import os

import numpy as np
import pytest

import pykeras as keras

# A lone input is written bare, as Keras writes it: Keras's loaded model takes a bare array without
# its "structure of `inputs` doesn't match" warning, which fails these tests.
pytestmark = pytest.mark.filterwarnings(
    "error:.*The structure of `inputs` doesn't match the expected structure:UserWarning",
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")


@pytest.fixture(scope="module")
def reference_keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    return pytest.importorskip("keras", reason="Keras 3 is the optional reference")


def every_new_layer(library):
    """A functional model of every layer test_more_layers.py covers, in ``library`` (pykeras or Keras)."""
    layers = library.layers
    inputs = library.Input((6, 4))
    x = layers.Rescaling([0.5, 1.0, 2.0, -1.0], offset=0.25)(inputs)
    x = layers.PReLU(alpha_initializer="random_normal", shared_axes=[1])(x)
    x = layers.ELU(0.8)(layers.LeakyReLU(0.2)(x))
    x = layers.Permute((2, 1))(layers.Permute((2, 1))(x))
    x = layers.UnitNormalization(axis=[1, 2])(layers.AlphaDropout(0.2)(layers.SpatialDropout1D(0.3)(x)))
    pooled = layers.concatenate([layers.GlobalAveragePooling1D()(x),
                                 layers.GlobalMaxPooling1D(data_format="channels_first", keepdims=False)(x)])
    repeated = layers.RepeatVector(3)(layers.Identity()(layers.Dense(5)(pooled)))
    repeated = layers.ActivityRegularization(l1=0.01, l2=0.1)(repeated)
    merged = [layers.add([repeated, repeated]), layers.subtract([repeated, repeated]),
              layers.multiply([repeated, repeated]), layers.average([repeated, repeated]),
              layers.maximum([repeated, repeated]), layers.minimum([repeated, repeated])]
    scores = layers.Softmax(axis=[1, 2])(layers.concatenate(merged, axis=1))
    return library.Model(inputs, layers.Dense(2)(layers.Flatten()(scores)))


def test_a_model_of_the_new_layers_moves_both_ways(reference_keras, tmp_path):
    x = np.random.default_rng(14).normal(size=(5, 6, 4)).astype(np.float32)
    for source, target in ((reference_keras, keras), (keras, reference_keras)):
        model = every_new_layer(source)
        model.save(tmp_path / "model.keras")
        loaded = target.models.load_model(tmp_path / "model.keras")
        assert [type(layer).__name__ for layer in loaded.layers] == [type(layer).__name__ for layer in model.layers]
        np.testing.assert_allclose(np.asarray(loaded.predict(x, verbose=0)), np.asarray(model.predict(x, verbose=0)),
                                   atol=1e-6, rtol=1e-6)
        # The activity penalty of the same call, in both.
        loaded(x), model(x)
        np.testing.assert_allclose([float(v) for v in loaded.losses], [float(v) for v in model.losses], rtol=1e-5)


def _same(reference_keras, make, x, **call):
    ours, theirs = make(keras), make(reference_keras)
    theirs_out = np.asarray(theirs(x, **call))
    if theirs.weights:
        ours.build(x.shape)
        ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    np.testing.assert_allclose(ours(x, **call).numpy(), theirs_out, rtol=1e-6, atol=1e-6)
    assert ours.compute_output_shape((None,) + x.shape[1:]) == tuple(theirs.compute_output_shape((None,) + x.shape[1:]))
    config = {key: value for key, value in theirs.get_config().items() if key != "dtype"}
    assert type(ours).from_config(config).get_config() == {**config, "dtype": "float32"}


@pytest.mark.parametrize("make", [
    lambda k: k.layers.Softmax(axis=1), lambda k: k.layers.Softmax(axis=[1, 2]), lambda k: k.layers.LeakyReLU(0.1),
    lambda k: k.layers.PReLU(alpha_initializer="random_normal", shared_axes=2), lambda k: k.layers.ELU(0.4),
    lambda k: k.layers.Rescaling([1.0, -2.0, 0.5, 3.0], offset=1.5), lambda k: k.layers.Identity(),
    lambda k: k.layers.Permute((2, 1)), lambda k: k.layers.UnitNormalization(axis=[1, 2]),
    lambda k: k.layers.GlobalAveragePooling1D(keepdims=True), lambda k: k.layers.GlobalMaxPooling1D("channels_first"),
    lambda k: k.layers.AlphaDropout(0.3, noise_shape=(None, 1, 4), seed=2), lambda k: k.layers.SpatialDropout1D(0.3),
    lambda k: k.layers.ActivityRegularization(l1=0.5),
])
def test_each_layer_computes_and_configures_as_keras(reference_keras, make):
    _same(reference_keras, make, np.random.default_rng(15).normal(size=(3, 5, 4)).astype(np.float32))


def test_softmax_mask_and_pooling_mask_and_repeat_vector_as_keras(reference_keras):
    x = np.random.default_rng(16).normal(size=(3, 5, 4)).astype(np.float32)
    mask = np.random.default_rng(17).random((3, 5)) > 0.3
    mask[:, 0] = True
    _same(reference_keras, lambda k: k.layers.Softmax(axis=1), x, mask=mask[..., None])
    _same(reference_keras, lambda k: k.layers.GlobalAveragePooling1D(), x, mask=mask)
    _same(reference_keras, lambda k: k.layers.RepeatVector(3), x[:, 0])


def test_the_normalization_ops_compute_what_keras_computes(reference_keras):
    rng = np.random.default_rng(4)
    x = rng.normal(1.0, 2.0, size=(4, 3, 5)).astype(np.float32)
    gamma, beta = rng.uniform(0.5, 2, size=(3, 5)).astype(np.float32), rng.normal(size=(3, 5)).astype(np.float32)
    ours = keras.ops.layer_normalization(x, gamma, beta, axis=[1, 2], epsilon=0.01)
    theirs = reference_keras.ops.layer_normalization(x, gamma, beta, axis=[1, 2], epsilon=0.01)
    np.testing.assert_allclose(ours.numpy(), np.asarray(theirs), rtol=1e-5, atol=1e-5)
    with pytest.warns(UserWarning, match="deprecated"):
        ours = keras.ops.layer_normalization(x, gamma, axis=[1, 2], rms_scaling=True)
    with pytest.warns(UserWarning, match="deprecated"):
        theirs = reference_keras.ops.layer_normalization(x, gamma, axis=[1, 2], rms_scaling=True)
    np.testing.assert_allclose(ours.numpy(), np.asarray(theirs), rtol=1e-5, atol=1e-5)
    mean, variance = rng.normal(size=3).astype(np.float32), rng.uniform(0.5, 2, size=3).astype(np.float32)
    ours = keras.ops.batch_normalization(x, mean, variance, axis=1, offset=beta[:, 0], scale=gamma[:, 0])
    theirs = reference_keras.ops.batch_normalization(x, mean, variance, axis=1, offset=beta[:, 0], scale=gamma[:, 0])
    np.testing.assert_allclose(ours.numpy(), np.asarray(theirs), rtol=1e-5, atol=1e-5)
