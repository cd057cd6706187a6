"""GaussianNoise and GaussianDropout: the identity at inference, the right noise in training."""
import numpy as np
import pytest

import pykeras as keras

ONES = np.ones((400, 50), np.float32)


def test_identity_at_inference():
    for layer in (keras.layers.GaussianNoise(0.5), keras.layers.GaussianDropout(0.3)):
        np.testing.assert_array_equal(layer(ONES).numpy(), ONES)


def test_gaussian_noise_adds_zero_mean_noise_of_stddev():
    noise = keras.layers.GaussianNoise(0.5, seed=2)(ONES, training=True).numpy() - 1
    assert abs(noise.mean()) < 0.02 and noise.std() == pytest.approx(0.5, rel=0.03)


def test_gaussian_dropout_has_dropouts_mean_and_variance():
    factors = keras.layers.GaussianDropout(0.2, seed=2)(ONES, training=True).numpy()
    assert factors.mean() == pytest.approx(1.0, abs=0.02)
    assert factors.var() == pytest.approx(0.2 / 0.8, rel=0.05)


def test_a_seed_repeats_the_noise_and_the_global_seed_reproduces_it():
    a = keras.layers.GaussianNoise(1.0, seed=7)(ONES[:2], training=True).numpy()
    b = keras.layers.GaussianNoise(1.0, seed=7)(ONES[:2], training=True).numpy()
    np.testing.assert_array_equal(a, b)
    keras.utils.set_random_seed(5)
    first = keras.layers.GaussianDropout(0.5)(ONES[:2], training=True).numpy()
    keras.utils.set_random_seed(5)
    np.testing.assert_array_equal(keras.layers.GaussianDropout(0.5)(ONES[:2], training=True).numpy(), first)


def test_configs_and_bad_arguments():
    layer = keras.layers.GaussianDropout(0.25, seed=3, name="g")
    assert {k: layer.get_config()[k] for k in ("rate", "seed", "name")} == {"rate": 0.25, "seed": 3, "name": "g"}
    assert keras.layers.GaussianDropout.from_config(layer.get_config()).get_config() == layer.get_config()
    with pytest.raises(ValueError, match=r"`rate` must be in \[0, 1\). Received: rate=1"):
        keras.layers.GaussianDropout(1)
    with pytest.raises(ValueError, match=r"`stddev` must be in \[0, inf\). Received: stddev=-0.1"):
        keras.layers.GaussianNoise(-0.1)


def test_a_model_trains_with_them():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(128, 4)).astype(np.float32)
    y = (x @ np.array([[1.0], [2.0], [-1.0], [0.5]], np.float32)).astype(np.float32)
    model = keras.Sequential([keras.Input((4,)), keras.layers.GaussianNoise(0.05), keras.layers.Dense(16),
                              keras.layers.GaussianDropout(0.1), keras.layers.Dense(1)])
    model.compile(keras.optimizers.Adam(0.02), "mse")
    history = model.fit(x, y, epochs=20, batch_size=32, verbose=0).history["loss"]
    assert history[-1] < 0.1 * history[0]
