"""Lambda: a function as a layer, trained through, saved by the function's registered name."""
import os

import numpy as np
import pytest

import pykeras as keras
from op_check import check_op
from pykeras import ops

rng = np.random.default_rng(15)


@keras.saving.register_keras_serializable(package="tests")
def scaled_tanh(x, scale=3.0):
    return ops.multiply(ops.tanh(x), scale)


def test_values_gradients_and_shapes():
    layer = keras.layers.Lambda(scaled_tanh, arguments={"scale": 2.0})
    check_op(layer, [rng.normal(size=(4, 3))], lambda x: 2.0 * np.tanh(x))
    assert keras.layers.Lambda(lambda x: ops.concatenate([x, x], axis=-1)).compute_output_shape((None, 3)) == (None, 6)
    assert keras.layers.Lambda(lambda x: x, output_shape=(7,)).compute_output_shape((None, 3)) == (None, 7)


def test_a_model_with_a_registered_function_trains_saves_and_loads(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.Lambda(scaled_tanh),
                              keras.layers.Dense(1)])
    x, y = rng.normal(size=(32, 3)).astype(np.float32), rng.normal(size=(32, 1)).astype(np.float32)
    model.compile("adam", "mse")
    model.fit(x, y, epochs=2, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert loaded.layers[1].function is scaled_tanh
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_an_unregistered_function_loads_through_custom_objects(tmp_path):
    def halve(x):
        return ops.multiply(x, 0.5)

    model = keras.Sequential([keras.Input((2,)), keras.layers.Lambda(halve)])
    model.save(tmp_path / "h.keras")
    with pytest.raises(ValueError, match="Could not interpret Lambda function config.*halve"):
        keras.models.load_model(tmp_path / "h.keras")
    loaded = keras.models.load_model(tmp_path / "h.keras", custom_objects={"halve": halve})
    np.testing.assert_array_equal(loaded(np.ones((1, 2), np.float32)).numpy(), [[0.5, 0.5]])


def test_a_python_lambda_is_refused_at_save_and_no_file_is_left(tmp_path):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Lambda(lambda x: x * 2)])
    with pytest.raises(ValueError, match="holds a Python lambda, which pykeras cannot save"):
        model.save(tmp_path / "l.keras")
    assert not os.path.exists(tmp_path / "l.keras")


@pytest.mark.parametrize("kwargs, message", [({"function": 3}, "`function` must be callable"),
                                             ({"function": abs, "mask": abs}, "`mask` is not supported")])
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        keras.layers.Lambda(**kwargs)
