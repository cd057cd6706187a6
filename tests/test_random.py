"""keras.random: seeds, distributions (moments over many draws against their formulas), dropout's
scaling and gradient, and keras.config's fixed settings."""
import numpy as np
import pytest

import pykeras as keras
from pykeras import ops

N = 200_000


def test_an_int_seed_repeats_and_a_seed_generator_moves_on_reproducibly():
    assert np.array_equal(keras.random.normal((3, 4), seed=5).numpy(), keras.random.normal((3, 4), seed=5).numpy())
    first, second = keras.random.SeedGenerator(7), keras.random.SeedGenerator(7)
    draws = [keras.random.uniform((5,), seed=first).numpy() for _ in range(2)]
    assert not np.array_equal(draws[0], draws[1])
    np.testing.assert_array_equal(keras.random.uniform((5,), seed=second).numpy(), draws[0])
    keras.utils.set_random_seed(3)
    a = keras.random.normal((4,)).numpy()
    keras.utils.set_random_seed(3)
    np.testing.assert_array_equal(keras.random.normal((4,)).numpy(), a)
    with pytest.raises(ValueError, match="`seed` must be None, a non-negative int or a keras.random.SeedGenerator"):
        keras.random.normal((2,), seed="x")
    with pytest.raises(ValueError, match="float32 only"):
        keras.random.uniform((2,), dtype="float64")


def test_distributions_have_their_moments_and_bounds():
    x = keras.random.normal((N,), mean=2.0, stddev=3.0, seed=1).numpy()
    assert x.dtype == np.float32 and abs(x.mean() - 2.0) < 0.03 and abs(x.std() - 3.0) < 0.03
    t = keras.random.truncated_normal((N,), mean=1.0, stddev=0.5, seed=2).numpy()
    assert t.min() >= 0.0 and t.max() <= 2.0
    # The normal truncated at +-2 sigma has standard deviation 0.8796 sigma.
    assert abs(t.std() - 0.8796 * 0.5) < 0.005
    u = keras.random.uniform((N,), minval=-1.0, maxval=3.0, seed=3).numpy()
    assert u.min() >= -1.0 and u.max() < 3.0 and abs(u.mean() - 1.0) < 0.02
    r = keras.random.randint((N,), 2, 7, seed=4).numpy()
    assert r.dtype == np.int32 and set(np.unique(r)) == {2, 3, 4, 5, 6}
    logits = np.log(np.array([[0.2, 0.3, 0.5]]))
    samples = keras.random.categorical(logits, N, seed=5).numpy()
    np.testing.assert_allclose(np.bincount(samples[0], minlength=3) / N, [0.2, 0.3, 0.5], atol=0.005)
    shuffled = keras.random.shuffle(np.arange(10), seed=6).numpy()
    assert sorted(shuffled) == list(range(10)) and list(shuffled) != list(range(10))


def test_dropout_scales_the_kept_entries_and_passes_the_gradient_through_them():
    x = keras.Variable(np.ones((400, 50), np.float32))
    with ops.GradientTape() as tape:
        y = keras.random.dropout(x, 0.25, seed=keras.random.SeedGenerator(9))
        total = ops.sum(y)
    values = y.numpy()
    assert set(np.unique(values)) == {0.0, np.float32(1 / 0.75)}
    assert abs((values == 0).mean() - 0.25) < 0.01
    np.testing.assert_array_equal(tape.gradient(total, x).numpy(), values)  # d/dx of keep * x / 0.75
    with pytest.raises(ValueError, match=r"`rate` must be in \[0, 1\)"):
        keras.random.dropout(x, 1.0)


def test_the_guides_custom_dropout_layer_trains():
    class CustomDropout(keras.layers.Layer):
        def __init__(self, rate, **kwargs):
            super().__init__(**kwargs)
            self.rate = rate
            self.seed_generator = keras.random.SeedGenerator(1337)

        def call(self, inputs, training=False):
            if training:
                return keras.random.dropout(inputs, rate=self.rate, seed=self.seed_generator)
            return inputs

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8), CustomDropout(0.5), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((16, 4), np.float32)
    assert not np.array_equal(model(x, training=True).numpy(), model(x).numpy())
    history = model.fit(x, np.zeros((16, 1), np.float32), epochs=3, verbose=0).history
    assert len(history["loss"]) == 3 and np.isfinite(history["loss"]).all()


def test_config_reports_kerass_fixed_settings():
    assert keras.config.floatx() == "float32" and keras.config.epsilon() == 1e-7
    assert keras.config.backend() == "pykeras" and keras.config.image_data_format() == "channels_last"
    keras.config.set_floatx("float32")
    with pytest.raises(ValueError, match="float32 only"):
        keras.config.set_floatx("float16")
