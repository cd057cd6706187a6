"""Metrics that average a loss function, against numpy formulas over weighted batches."""
import numpy as np
import pytest

import pykeras as keras
from pykeras import metrics
from test_metrics import batches, binary_data, categorical_data, check_streaming, regression_data, sparse_data

EPSILON = 1e-7


def _positive(generator, n):
    return generator.uniform(0.1, 2, size=(n, 3)).astype(np.float32), generator.uniform(0.1, 2, size=(n, 3)).astype(
        np.float32)


def _distributions(generator, n):
    t, p = generator.uniform(0.05, 1, size=(2, n, 4)).astype(np.float32)
    return t / t.sum(-1, keepdims=True), p / p.sum(-1, keepdims=True)


def _signs(generator, n):
    return generator.choice([-1.0, 1.0], size=(n, 3)).astype(np.float32), generator.normal(size=(n, 3)).astype(
        np.float32)


def _probabilities(generator, n, classes=5):
    labels, scores = sparse_data(generator, n, classes)
    e = np.exp(scores - scores.max(-1, keepdims=True))
    return labels, (e / e.sum(-1, keepdims=True)).astype(np.float32)


def _clipped(p):
    return np.clip(p.astype(np.float64), EPSILON, 1 - EPSILON)


def _log_softmax(z):
    z = z.astype(np.float64) - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def _unit(x):
    x = x.astype(np.float64)
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), EPSILON)


CASES = [
    ("binary_crossentropy", lambda: metrics.BinaryCrossentropy(), binary_data,
     lambda t, p: -(t * np.log(_clipped(p)) + (1 - t) * np.log(1 - _clipped(p))).mean(-1)),
    ("binary_crossentropy_logits", lambda: metrics.BinaryCrossentropy(from_logits=True), regression_data,
     lambda t, p: (np.logaddexp(0, p.astype(np.float64)) - t * p).mean(-1)),
    ("categorical_crossentropy", lambda: metrics.CategoricalCrossentropy(from_logits=True), categorical_data,
     lambda t, p: -(t * _log_softmax(p)).sum(-1)),
    ("sparse_categorical_crossentropy", lambda: metrics.SparseCategoricalCrossentropy(), _probabilities,
     lambda t, p: -np.log(_clipped(p)[np.arange(len(t)), t])),
    ("sparse_categorical_crossentropy_logits", lambda: metrics.SparseCategoricalCrossentropy(from_logits=True),
     sparse_data, lambda t, p: -_log_softmax(p)[np.arange(len(t)), t]),
    ("kl_divergence", lambda: metrics.KLDivergence(), _distributions,
     lambda t, p: (t * np.log(_clipped(t) / _clipped(p))).sum(-1)),
    ("poisson", lambda: metrics.Poisson(), _positive, lambda t, p: (p - t * np.log(p.astype(np.float64) + EPSILON)).mean(-1)),
    ("hinge", lambda: metrics.Hinge(), _signs, lambda t, p: np.maximum(1 - t * p.astype(np.float64), 0).mean(-1)),
    ("squared_hinge", lambda: metrics.SquaredHinge(), _signs,
     lambda t, p: (np.maximum(1 - t * p.astype(np.float64), 0) ** 2).mean(-1)),
    ("categorical_hinge", lambda: metrics.CategoricalHinge(), categorical_data,
     lambda t, p: np.maximum(0, 1 + ((1 - t) * p).max(-1) - (t * p).sum(-1))),
    ("msle", lambda: metrics.MeanSquaredLogarithmicError(), _positive,
     lambda t, p: ((np.log1p(t.astype(np.float64)) - np.log1p(p)) ** 2).mean(-1)),
    ("mape", lambda: metrics.MeanAbsolutePercentageError(), _positive,
     lambda t, p: (100 * np.abs((t.astype(np.float64) - p) / t)).mean(-1)),
    ("logcosh", lambda: metrics.LogCoshError(), regression_data,
     lambda t, p: np.log(np.cosh(p.astype(np.float64) - t)).mean(-1)),
    ("cosine_similarity", lambda: metrics.CosineSimilarity(), regression_data,
     lambda t, p: (_unit(t) * _unit(p)).sum(-1)),
]


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("name, make, data, per_sample", CASES, ids=[c[0] for c in CASES])
def test_loss_metric_streams_match_numpy(name, make, data, per_sample, weighted):
    check_streaming(make(), batches(data), per_sample, weighted)


@pytest.mark.parametrize("name, cls", [
    ("binary_crossentropy", "BinaryCrossentropy"), ("bce", "BinaryCrossentropy"),
    ("categorical_crossentropy", "CategoricalCrossentropy"),
    ("sparse_categorical_crossentropy", "SparseCategoricalCrossentropy"), ("kl_divergence", "KLDivergence"),
    ("poisson", "Poisson"), ("hinge", "Hinge"), ("squared_hinge", "SquaredHinge"),
    ("categorical_hinge", "CategoricalHinge"), ("msle", "MeanSquaredLogarithmicError"),
    ("MAPE", "MeanAbsolutePercentageError"), ("log_cosh_error", "LogCoshError"),
    ("cosine_similarity", "CosineSimilarity"), ("CosineSimilarity", "CosineSimilarity"),
])
def test_get_resolves_keras_names(name, cls):
    assert type(metrics.get(name)).__name__ == cls


@pytest.mark.parametrize("metric", [
    metrics.BinaryCrossentropy(from_logits=True, label_smoothing=0.1),
    metrics.CategoricalCrossentropy(label_smoothing=0.2, axis=-1),
    metrics.SparseCategoricalCrossentropy(name="sce", from_logits=True, ignore_class=0),
    metrics.CosineSimilarity(axis=0), metrics.KLDivergence(), metrics.LogCoshError(name="lc"),
])
def test_config_round_trip(metric):
    config = metric.get_config()
    assert config["name"] == metric.name and config["dtype"] == "float32"
    assert metrics.deserialize(metrics.serialize(metric)).get_config() == config


def test_keras_config_keys():
    # The keys and defaults of Keras 3's get_config, read from its source.
    assert metrics.BinaryCrossentropy().get_config() == {
        "name": "binary_crossentropy", "dtype": "float32", "from_logits": False, "label_smoothing": 0}
    assert metrics.SparseCategoricalCrossentropy().get_config() == {
        "name": "sparse_categorical_crossentropy", "dtype": "float32", "from_logits": False, "ignore_class": None,
        "axis": -1}
    assert metrics.LogCoshError().get_config() == {"name": "logcosh", "dtype": "float32"}


def test_a_cross_entropy_metric_in_fit_reports_the_loss_it_mirrors():
    # The metric reads the same softmax output as the loss, so both come from the logits: with no
    # regularizer they agree (both batch means, weighted by batch size).
    generator = np.random.default_rng(3)
    x, y = generator.normal(size=(64, 6)).astype(np.float32), generator.integers(0, 3, 64)
    keras.utils.set_random_seed(2)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["sparse_categorical_crossentropy"])
    logs = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    assert logs["sparse_categorical_crossentropy"] == pytest.approx(logs["loss"], rel=1e-6)
    probabilities = model.predict(x, verbose=0).astype(np.float64)
    assert logs["loss"] == pytest.approx(-np.log(probabilities[np.arange(64), y]).mean(), rel=1e-5)
