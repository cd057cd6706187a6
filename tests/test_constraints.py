"""keras.constraints: projections against numpy, applied after each update, names and configs."""
import numpy as np
import pytest

import pykeras as keras
from pykeras import ops

W = np.random.default_rng(8).normal(size=(5, 4)).astype(np.float32)
EPSILON = 1e-7


def _norms(w, axis):
    return np.sqrt(np.sum(np.square(w.astype(np.float64)), axis=axis, keepdims=True))


@pytest.mark.parametrize("axis", [0, 1])
def test_projections_equal_the_formulas(axis):
    norms = _norms(W, axis)
    cases = [
        (keras.constraints.MaxNorm(1.5, axis=axis), W * np.clip(norms, 0, 1.5) / (norms + EPSILON)),
        (keras.constraints.MinMaxNorm(0.5, 1.2, rate=0.7, axis=axis),
         W * (0.7 * np.clip(norms, 0.5, 1.2) + 0.3 * norms) / (norms + EPSILON)),
        (keras.constraints.UnitNorm(axis=axis), W / (norms + EPSILON)),
        (keras.constraints.NonNeg(), np.where(W >= 0, W, 0.0)),
    ]
    for constraint, expected in cases:
        got = np.asarray(constraint(ops.convert_to_tensor(W)))
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7, err_msg=type(constraint).__name__)


def test_a_constraint_holds_after_every_update():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(32, 5)).astype(np.float32), rng.normal(size=(32, 3)).astype(np.float32)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(
        3, kernel_initializer=keras.initializers.RandomNormal(stddev=3.0),
        kernel_constraint=keras.constraints.MaxNorm(0.8), bias_constraint="non_neg")])
    assert _norms(model.get_weights()[0], 0).max() > 0.8  # the constraint acts on updates, not at creation
    model.compile(keras.optimizers.SGD(0.5), "mse")
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    kernel, bias = model.get_weights()
    assert _norms(kernel, 0).max() <= 0.8 * (1 + 1e-6)
    assert bias.min() >= 0


def test_names_aliases_and_configs_as_keras_writes_them():
    assert keras.constraints.get("max_norm").get_config() == {"max_value": 2, "axis": 0}
    assert keras.constraints.get("UnitNorm").get_config() == {"axis": 0}
    assert keras.constraints.non_neg is keras.constraints.NonNeg
    with pytest.raises(ValueError, match=r"Could not interpret constraint identifier: 'max'. Expected one of"):
        keras.constraints.get("max")
    dense = keras.layers.Dense(2, kernel_constraint=keras.constraints.MinMaxNorm(0.1, 2.0, 0.5, 1))
    config = dense.get_config()
    assert config["kernel_constraint"] == {
        "module": "keras.constraints", "class_name": "MinMaxNorm",
        "config": {"min_value": 0.1, "max_value": 2.0, "rate": 0.5, "axis": 1}, "registered_name": None}
    assert config["bias_constraint"] is None
    assert keras.layers.Dense.from_config(config).get_config() == config


def test_a_saved_model_keeps_its_constraints(tmp_path):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, kernel_constraint="unit_norm")])
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert isinstance(loaded.layers[0].kernel_constraint, keras.constraints.UnitNorm)
    assert loaded.layers[0].kernel.constraint is loaded.layers[0].kernel_constraint
