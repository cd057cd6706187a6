"""Initializers against their defining formulas (moments and bounds)."""
import math

import numpy as np
import pytest

import pykeras as keras
from pykeras import initializers

SHAPE = (400, 300)  # fan_in 400, fan_out 300


def test_string_names_resolve_to_classes():
    for name, cls in [("random_normal", "RandomNormal"), ("glorot_uniform", "GlorotUniform"),
                      ("he_normal", "HeNormal"), ("zeros", "Zeros"), ("LecunUniform", "LecunUniform")]:
        assert type(initializers.get(name)).__name__ == cls
    with pytest.raises(ValueError, match="Could not interpret initializer"):
        initializers.get("nope")


@pytest.mark.parametrize("name,limit", [
    ("GlorotUniform", math.sqrt(6 / (400 + 300))),
    ("HeUniform", math.sqrt(6 / 400)),
    ("LecunUniform", math.sqrt(3 / 400)),
])
def test_uniform_variance_scaling_bounds(name, limit):
    values = getattr(keras.initializers, name)(seed=1)(SHAPE)
    assert values.dtype == np.float32 and values.shape == SHAPE
    assert np.abs(values).max() <= limit
    assert np.abs(values).max() > 0.99 * limit
    np.testing.assert_allclose(values.std(), limit / math.sqrt(3), rtol=0.02)


@pytest.mark.parametrize("name,stddev", [
    ("GlorotNormal", math.sqrt(2 / 700)),
    ("HeNormal", math.sqrt(2 / 400)),
    ("LecunNormal", math.sqrt(1 / 400)),
])
def test_truncated_normal_variance_scaling_keeps_the_variance(name, stddev):
    values = getattr(keras.initializers, name)(seed=2)(SHAPE)
    np.testing.assert_allclose(values.std(), stddev, rtol=0.02)
    # Truncated at two standard deviations of the (corrected) underlying normal.
    assert np.abs(values).max() <= 2 * stddev / 0.87962566103423978 + 1e-6


def test_defaults_and_constants():
    normal = keras.initializers.RandomNormal(seed=0)(SHAPE)
    np.testing.assert_allclose(normal.std(), 0.05, rtol=0.02)
    uniform = keras.initializers.RandomUniform(seed=0)(SHAPE)
    assert uniform.min() >= -0.05 and uniform.max() <= 0.05
    truncated = keras.initializers.TruncatedNormal(seed=0)(SHAPE)
    assert np.abs(truncated).max() <= 0.1
    np.testing.assert_array_equal(keras.initializers.Constant(3)((2,)), [3, 3])
    np.testing.assert_array_equal(keras.initializers.Ones()((2,)), [1, 1])
    np.testing.assert_array_equal(keras.initializers.Zeros()((2,)), [0, 0])


def test_seeded_initializers_repeat_and_global_seed_reproduces():
    init = keras.initializers.GlorotUniform(seed=3)
    np.testing.assert_array_equal(init((4, 4)), init((4, 4)))
    keras.utils.set_random_seed(11)
    first = keras.initializers.RandomNormal()((3,))
    second = keras.initializers.RandomNormal()((3,))
    keras.utils.set_random_seed(11)
    np.testing.assert_array_equal(keras.initializers.RandomNormal()((3,)), first)
    assert not np.array_equal(first, second)


def test_set_random_seed_seeds_pythons_and_numpys_global_generators():
    import random

    keras.utils.set_random_seed(21)
    drawn = (random.random(), np.random.random())
    random.seed(21)
    np.random.seed(21)
    assert drawn == (random.random(), np.random.random())


def test_kerass_short_aliases():
    for alias, name in (("normal", "RandomNormal"), ("uniform", "RandomUniform"), ("one", "Ones"), ("zero", "Zeros")):
        assert type(keras.initializers.get(alias)).__name__ == name
