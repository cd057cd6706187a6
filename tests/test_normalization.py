"""Normalization: adapt against numpy statistics, given statistics, inversion, saving."""
import numpy as np
import pytest

import pykeras as keras

rng = np.random.default_rng(16)
DATA = (rng.normal(size=(200, 3)) * [1.0, 5.0, 10.0] + [0.0, 2.0, -3.0]).astype(np.float32)


def test_adapt_standardizes_each_feature():
    layer = keras.layers.Normalization()
    layer.adapt(DATA)
    mean, std = DATA.astype(np.float64).mean(0), DATA.astype(np.float64).std(0)
    np.testing.assert_allclose(layer(DATA).numpy(), (DATA - mean) / std, rtol=1e-5, atol=1e-5)
    assert [w.name for w in layer.weights] == ["mean", "variance", "count"]
    assert int(layer.count.numpy()) == 200 and not layer.trainable_weights


def test_invert_undoes_it_and_axes_can_be_several():
    forward, back = keras.layers.Normalization(), keras.layers.Normalization(invert=True)
    forward.adapt(DATA)
    back.adapt(DATA)
    np.testing.assert_allclose(back(forward(DATA)).numpy(), DATA, rtol=1e-5, atol=1e-4)
    cube = rng.normal(size=(20, 4, 3)).astype(np.float32) * 3 + 1
    per_cell = keras.layers.Normalization(axis=(1, 2))
    per_cell.adapt(cube)
    np.testing.assert_allclose(per_cell(cube).numpy(), (cube - cube.mean(0)) / cube.std(0), rtol=1e-4, atol=1e-4)


def test_given_statistics_are_in_the_config_and_broadcast():
    layer = keras.layers.Normalization(mean=[1.0, 2.0, 3.0], variance=[4.0, 9.0, 1.0])
    np.testing.assert_allclose(layer(DATA).numpy(), (DATA - [1, 2, 3]) / [2, 3, 1], rtol=1e-6)
    assert layer.weights == []
    config = layer.get_config()
    assert (config["mean"], config["variance"]) == ([1.0, 2.0, 3.0], [4.0, 9.0, 1.0])
    scalar = keras.layers.Normalization(mean=2.0, variance=4.0)
    np.testing.assert_allclose(scalar(DATA).numpy(), (DATA - 2) / 2, rtol=1e-6)


@pytest.mark.parametrize("call, message", [
    (lambda: keras.layers.Normalization(mean=1.0), "give both `mean` and `variance` or neither"),
    (lambda: keras.layers.Normalization(mean=1.0, variance=1.0).adapt(DATA), "cannot change a mean and variance"),
    (lambda: keras.layers.Normalization().adapt(DATA[:0]), "needs at least one sample"),
    (lambda: keras.layers.Normalization().adapt(np.array([["a"]])), "`adapt` needs numbers. Received: dtype <U1"),
    (lambda: keras.layers.Normalization(axis=2).adapt(DATA), r"must be in the range \[-ndim, ndim\)"),
    (lambda: keras.layers.Normalization(mean=[1.0, 2.0], variance=[1.0, 1.0])(DATA),
     r"the given mean of shape \(2,\) does not fit the normalized axes of an input of shape \(200, 3\)"),
])
def test_bad_use_is_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_the_adapted_statistics_are_saved_with_the_model(tmp_path):
    norm = keras.layers.Normalization()
    norm.adapt(DATA)
    model = keras.Sequential([keras.Input((3,)), norm, keras.layers.Dense(1)])
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(loaded.layers[0].adapt_mean.numpy(), norm.adapt_mean.numpy())
    np.testing.assert_array_equal(loaded.predict(DATA, verbose=0), model.predict(DATA, verbose=0))
