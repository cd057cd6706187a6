"""Merge layers: values and gradients against numpy and finite differences, shape checks, and
a branched functional model that trains, saves and loads."""
import numpy as np
import pytest

import pykeras as keras
from op_check import check_op

rng = np.random.default_rng(3)
A, B, C = (rng.normal(size=(4, 3)).astype(np.float32) + offset for offset in (0.0, 0.31, -0.27))

LAYERS = [
    ("add", keras.layers.Add, lambda a, b, c: a + b + c),
    ("multiply", keras.layers.Multiply, lambda a, b, c: a * b * c),
    ("average", keras.layers.Average, lambda a, b, c: (a + b + c) / 3),
    ("maximum", keras.layers.Maximum, lambda a, b, c: np.maximum(np.maximum(a, b), c)),
    ("minimum", keras.layers.Minimum, lambda a, b, c: np.minimum(np.minimum(a, b), c)),
    ("concatenate", keras.layers.Concatenate, lambda a, b, c: np.concatenate([a, b, c], axis=-1)),
    ("concatenate_axis0", lambda: keras.layers.Concatenate(axis=0), lambda a, b, c: np.concatenate([a, b, c])),
]


@pytest.mark.parametrize("make, reference", [case[1:] for case in LAYERS], ids=[case[0] for case in LAYERS])
def test_values_and_gradients(make, reference):
    layer = make()
    check_op(lambda a, b, c: layer([a, b, c]), [A, B, C], reference)


def test_subtract_takes_exactly_two():
    check_op(lambda a, b: keras.layers.Subtract()([a, b]), [A, B], np.subtract)
    with pytest.raises(ValueError, match="`Subtract` layer should be called on exactly 2 inputs. Received: 3"):
        keras.layers.Subtract()([A, B, C])


@pytest.mark.parametrize("call, message", [
    (lambda: keras.layers.Add()([A]), "should be called on at least 2 inputs. Received: 1"),
    (lambda: keras.layers.Add()(A), "should be called on a list of inputs"),
    (lambda: keras.layers.Add()([A, A[:, :2]]), r"needs inputs of one shape. Received: input_shape=\[\(4, 3\), \(4, 2\)\]"),
    (lambda: keras.layers.Concatenate()([A, A[:2]]), "matching shapes except for the concatenation axis"),
    (lambda: keras.layers.Concatenate(axis=2)([A, B]), "axis 2 in range"),
])
def test_bad_inputs_are_refused_with_their_shapes(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_symbolic_shapes():
    a, b = keras.Input((5,)), keras.Input((3,))
    assert keras.layers.Concatenate()([a, b]).shape == (None, 8)
    assert keras.layers.Add()([a, keras.layers.Dense(5)(b)]).shape == (None, 5)


def _branched_model():
    wide, deep = keras.Input((4,), name="wide"), keras.Input((3,), name="deep")
    hidden = keras.layers.Dense(6, activation="relu")(deep)
    joined = keras.layers.Concatenate()([wide, keras.layers.Add()([hidden, keras.layers.Dense(6)(wide)])])
    return keras.Model([wide, deep], keras.layers.Dense(1)(joined))


def test_a_branched_model_trains_saves_and_loads(tmp_path):
    keras.utils.set_random_seed(4)
    x = [rng.normal(size=(32, 4)).astype(np.float32), rng.normal(size=(32, 3)).astype(np.float32)]
    y = (x[0][:, :1] - x[1][:, 1:2]).astype(np.float32)
    model = _branched_model()
    model.compile(keras.optimizers.Adam(0.02), "mse")
    history = model.fit(x, y, batch_size=8, epochs=20, verbose=0).history["loss"]
    assert history[-1] < 0.2 * history[0]
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert [type(layer).__name__ for layer in loaded.layers].count("Concatenate") == 1
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
