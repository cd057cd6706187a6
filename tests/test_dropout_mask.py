"""Dropout masks: ``_core.dropout_mask`` (Philox4x32-10) against the numpy reference in
philox_reference.py on every ISA and thread count, the rate it keeps, the layers that draw with it,
and its argument checks."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pykeras as keras
from kernel_paths import supported_isas
from philox_reference import KNOWN_ANSWERS, dropout_mask, philox_blocks
from pykeras import _core, config

KEY = 0x9E3779B97F4A7C15


def native_mask(shape, key, rate, scale):
    out = np.full(shape, np.nan, np.float32)
    _core.dropout_mask(out, key, rate, scale)
    return out


@pytest.mark.parametrize("counter, key, words", KNOWN_ANSWERS)
def test_reference_gives_the_published_known_answers(counter, key, words):
    np.testing.assert_array_equal(philox_blocks(np.array([counter]), key)[0], np.array(words, np.uint32))


@pytest.mark.parametrize("isa", supported_isas())
@pytest.mark.parametrize("threads", [1, 2])
def test_native_mask_equals_the_reference(isa, threads):
    _core.set_isa(isa)
    config.set_num_threads(threads)
    # Sizes around the kernels' groups of 64 elements and the threads' split (two threads from
    # 20,000 elements when cold).
    for size in (1, 3, 4, 5, 63, 64, 65, 200, 4099, 50_001):
        for key in (0, 1, KEY, 2**64 - 1):
            for rate in (0.0, 0.1, 0.5, 0.9):
                np.testing.assert_array_equal(native_mask((size,), key, rate, 1.5),
                                              dropout_mask((size,), key, rate, 1.5))


@settings(max_examples=80, deadline=None)
@given(shape=st.lists(st.integers(0, 40), min_size=0, max_size=3), key=st.integers(0, 2**64 - 1),
       rate=st.floats(0, 1, exclude_max=True), scale=st.floats(0.5, 100, width=32))
def test_any_shape_key_and_rate(shape, key, rate, scale):
    np.testing.assert_array_equal(native_mask(tuple(shape), key, rate, scale),
                                  dropout_mask(tuple(shape), key, rate, scale))


@pytest.mark.parametrize("rate", [0.0, 0.2, 0.5, 0.95])
def test_keeps_one_minus_rate_of_the_elements(rate):
    size = 1_000_000
    kept = np.count_nonzero(native_mask((size,), KEY, rate, 1.0)) / size
    sigma = math.sqrt(rate * (1 - rate) / size)
    assert abs(kept - (1 - rate)) <= 5 * sigma + 1e-12


def test_rate_edges_follow_the_float32_uniforms():
    # The smallest positive rate drops only a zero uniform (top 24 bits all zero); a rate that rounds
    # to 1 in float32 drops everything, as ``uniform >= float32(rate)`` would.
    np.testing.assert_array_equal(native_mask((4096,), KEY, 1e-30, 2.0), dropout_mask((4096,), KEY, 1e-30, 2.0))
    assert not native_mask((4096,), KEY, 1 - 1e-9, 2.0).any()
    assert (native_mask((4096,), KEY, 0.0, 2.0) == 2.0).all()


def test_masks_of_different_keys_are_unrelated():
    a, b = native_mask((100_000,), KEY, 0.5, 1.0), native_mask((100_000,), KEY + 1, 0.5, 1.0)
    assert abs(np.mean(a == b) - 0.5) < 0.01


def test_dropout_layers_draw_one_key_from_their_generator():
    x = np.ones((16, 300), np.float32)
    out = keras.layers.Dropout(0.25, seed=7)(x, training=True).numpy()
    key = np.random.default_rng(7).bit_generator.random_raw()
    np.testing.assert_array_equal(out, dropout_mask(x.shape, key, 0.25, 1 / 0.75))
    layer = keras.layers.Dropout(0.25, seed=7)
    first, second = layer(x, training=True).numpy(), layer(x, training=True).numpy()
    np.testing.assert_array_equal(first, out)
    assert not np.array_equal(first, second)  # the generator moved on: a new key
    keras.utils.set_random_seed(11)
    unseeded = keras.layers.Dropout(0.25)(x, training=True).numpy()
    keras.utils.set_random_seed(11)
    np.testing.assert_array_equal(keras.layers.Dropout(0.25)(x, training=True).numpy(), unseeded)


@pytest.mark.parametrize("out, key, rate, error, message", [
    (np.zeros(4, np.float64), 1, 0.5, ValueError, "'out' must have dtype float32"),
    (np.zeros((4, 4), np.float32)[:, ::2], 1, 0.5, ValueError, "'out' must be C-contiguous"),
    (np.zeros(4, np.float32), -1, 0.5, ValueError, r"'key' must be an int in \[0, 2\*\*64\). Received: key=-1"),
    (np.zeros(4, np.float32), 2**64, 0.5, ValueError, r"'key' must be an int in \[0, 2\*\*64\)"),
    (np.zeros(4, np.float32), 1.0, 0.5, ValueError, "'key' must be an int .* Received: an object of type float"),
    (np.zeros(4, np.float32), True, 0.5, ValueError, "'key' must be an int .* type bool"),
    (np.zeros(4, np.float32), 1, 1.0, ValueError, r"'rate' must be in \[0, 1\). Received: rate=1"),
    (np.zeros(4, np.float32), 1, -0.1, ValueError, r"'rate' must be in \[0, 1\)"),
    (np.zeros(4, np.float32), 1, float("nan"), ValueError, r"'rate' must be in \[0, 1\)"),
])
def test_checks_its_arguments(out, key, rate, error, message):
    with pytest.raises(error, match=message):
        _core.dropout_mask(out, key, rate, 1.0)


def test_read_only_output_is_refused():
    out = np.zeros(8, np.float32)
    out.flags.writeable = False
    with pytest.raises(ValueError, match="'out' is an output and must be writeable"):
        _core.dropout_mask(out, 1, 0.5, 1.0)
