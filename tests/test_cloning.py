"""clone_model, to_json and model_from_json: the same architecture, new weights."""
import json

import numpy as np
import pytest

import pykeras as keras
from custom_models import TwoBlockNet


def _sequential():
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu", kernel_regularizer="l2"),
                             keras.layers.Dropout(0.1), keras.layers.Dense(1)])


def _functional():
    a, b = keras.Input((4,), name="a"), keras.Input((3,), name="b")
    return keras.Model([a, b], keras.layers.Dense(2)(keras.layers.Concatenate()([keras.layers.Dense(5)(a), b])))


def _subclassed():
    model = TwoBlockNet(hidden=5, outputs=2)
    model(np.zeros((1, 3), np.float32))
    return model


@pytest.mark.parametrize("make", [_sequential, _functional, _subclassed])
def test_a_clone_has_the_architecture_and_its_own_fresh_weights(make):
    model = make()
    clone = keras.models.clone_model(model)
    assert type(clone) is type(model) and clone is not model
    # A subclassed model's sublayers are created anew by its constructor, under new names (as in Keras).
    assert [type(layer) for layer in clone.layers] == [type(layer) for layer in model.layers]
    assert [w.shape for w in clone.get_weights()] == [w.shape for w in model.get_weights()]
    kernels = [(a, b) for a, b in zip(clone.get_weights(), model.get_weights()) if a.ndim == 2]
    assert kernels and all(not np.array_equal(a, b) for a, b in kernels)
    assert all(a is not b for a, b in zip(clone.weights, model.weights))
    assert clone.to_json() == model.to_json()


@pytest.mark.parametrize("make", [_sequential, _functional])
def test_json_round_trip(make):
    model = make()
    text = model.to_json(indent=1)
    assert json.loads(text)["class_name"] == type(model).__name__
    rebuilt = keras.models.model_from_json(text)
    assert rebuilt.to_json(indent=1) == text
    assert rebuilt.layers[1].get_config() == model.layers[1].get_config()


@pytest.mark.parametrize("text, message", [
    ("{not json", "expected a JSON string of a model config"),
    ('{"layers": []}', "the JSON is not a model config"),
    ('{"class_name": "Dense", "config": {"units": 2}}', "describes a Dense, not a model"),
    ('{"class_name": "Lambda", "config": {"function": {"class_name": "__lambda__"}}}', "`lambda`"),
])
def test_bad_json_is_refused(text, message):
    with pytest.raises(ValueError, match=message):
        keras.models.model_from_json(text)


def test_unsupported_clone_options_are_refused():
    with pytest.raises(ValueError, match=r"\['clone_function'\] are not supported"):
        keras.models.clone_model(_sequential(), clone_function=lambda layer: layer)
