"""The regression, hinge and distribution losses: values against numpy, gradients against
finite differences, names, and configs."""
import numpy as np
import pytest

import pykeras as keras
from op_check import check_op

losses = keras.losses
rng = np.random.default_rng(9)
TARGET = rng.uniform(0.1, 1.0, size=(5, 4)).astype(np.float32)
PREDICTION = rng.uniform(-1.5, 2.0, size=(5, 4)).astype(np.float32)
SIGNS = np.where(rng.random((5, 4)) > 0.5, 1.0, -1.0).astype(np.float32)
ONE_HOT = np.eye(4, dtype=np.float32)[[0, 3, 1, 1, 2]]
EPS = 1e-7


def _huber(t, p, delta=1.0):
    e = np.abs(p - t)
    return np.mean(np.where(e <= delta, 0.5 * e ** 2, delta * e - 0.5 * delta ** 2), -1)


def _unit(x):
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), EPS)


CASES = [
    ("msle", losses.mean_squared_logarithmic_error, TARGET, np.abs(PREDICTION),
     lambda t, p: np.mean((np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(t, EPS) + 1)) ** 2, -1)),
    ("mape", losses.mean_absolute_percentage_error, TARGET, PREDICTION,
     lambda t, p: 100 * np.mean(np.abs((t - p) / np.maximum(np.abs(t), EPS)), -1)),
    ("huber", losses.huber, TARGET, PREDICTION, _huber),
    ("huber_delta", lambda t, p: losses.huber(t, p, delta=0.3), TARGET, PREDICTION, lambda t, p: _huber(t, p, 0.3)),
    ("log_cosh", losses.log_cosh, TARGET, PREDICTION * 3, lambda t, p: np.mean(np.log(np.cosh(p - t)), -1)),
    ("cosine_similarity", losses.cosine_similarity, TARGET, PREDICTION,
     lambda t, p: -np.sum(_unit(t) * _unit(p), -1)),
    ("hinge", losses.hinge, SIGNS, PREDICTION, lambda t, p: np.mean(np.maximum(1 - t * p, 0), -1)),
    ("hinge_01_labels", losses.hinge, (SIGNS + 1) / 2, PREDICTION, lambda t, p: np.mean(np.maximum(1 - (2 * t - 1) * p, 0), -1)),
    ("squared_hinge", losses.squared_hinge, SIGNS, PREDICTION, lambda t, p: np.mean(np.maximum(1 - t * p, 0) ** 2, -1)),
    ("categorical_hinge", losses.categorical_hinge, ONE_HOT, PREDICTION,
     lambda t, p: np.maximum(np.max((1 - t) * p, -1) - np.sum(t * p, -1) + 1, 0)),
    ("kl_divergence", losses.kl_divergence, TARGET / 4, np.abs(PREDICTION) / 8 + 0.01,
     lambda t, p: np.sum(t * np.log(t / p), -1)),
    ("poisson", losses.poisson, TARGET * 3, np.abs(PREDICTION) + 0.1, lambda t, p: np.mean(p - t * np.log(p + EPS), -1)),
]


@pytest.mark.parametrize("fn, target, prediction, reference", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_values_against_numpy_and_gradients_against_finite_differences(fn, target, prediction, reference):
    expected = reference(target.astype(np.float64), prediction.astype(np.float64))
    np.testing.assert_allclose(fn(target, prediction).numpy(), expected, rtol=2e-5, atol=1e-6)
    # Away from kinks (hinge corners, |e| = delta) the finite differences are smooth.
    check_op(lambda p: fn(target, p), [prediction], None, grad_rtol=3e-2, grad_atol=3e-3)


@pytest.mark.parametrize("name, expected", [
    ("huber", losses.huber), ("log_cosh", losses.log_cosh), ("msle", losses.mean_squared_logarithmic_error),
    ("MAPE", losses.mean_absolute_percentage_error), ("kld", losses.kl_divergence), ("poisson", losses.poisson),
    ("categorical_hinge", losses.categorical_hinge),
])
def test_names_give_the_functions(name, expected):
    assert losses.get(name) is expected


@pytest.mark.parametrize("loss", [
    losses.Huber(delta=0.5), losses.CosineSimilarity(axis=0), losses.LogCosh(), losses.Hinge(name="h"),
    losses.KLDivergence(reduction="sum"), losses.MeanSquaredLogarithmicError(),
])
def test_configs_round_trip_with_their_options(loss):
    config = loss.get_config()
    clone = losses.deserialize(losses.serialize(loss))
    assert type(clone) is type(loss) and clone.get_config() == config


def test_options_are_in_the_configs():
    # Keras 3 leaves Huber's delta and CosineSimilarity's axis out, so a reloaded loss loses them.
    assert losses.Huber(delta=0.5).get_config()["delta"] == 0.5
    assert losses.CosineSimilarity(axis=0).get_config()["axis"] == 0


def test_a_model_trains_on_huber_and_reports_it():
    x = rng.normal(size=(64, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]], np.float32) + 0.3).astype(np.float32)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.Adam(0.05), losses.Huber(delta=0.5), metrics=["mae"])
    history = model.fit(x, y, epochs=30, batch_size=16, verbose=0).history
    assert history["loss"][-1] < 0.1 * history["loss"][0]


@pytest.mark.parametrize("delta", [0.0, -1.0, "1"])
def test_huber_refuses_a_delta_that_is_not_positive(delta):
    with pytest.raises(ValueError, match="Huber: `delta` must be a positive number"):
        losses.Huber(delta=delta)
