"""Metrics against numpy over several weighted batches, with reset."""
import numpy as np
import pytest

import pykeras as keras
from pykeras import losses, metrics

rng = np.random.default_rng(0)


def batches(make, count=3, batch=8, seed=0):
    generator = np.random.default_rng(seed)
    return [make(generator, batch + i) for i in range(count)]


def weighted_mean(values, weights):
    values = np.concatenate(values).astype(np.float64)
    if weights is None:
        return values.mean()
    weights = np.concatenate(weights).astype(np.float64)
    return (values * weights).sum() / weights.sum()


def check_streaming(metric, data, per_sample, weighted):
    """Feeds ``data`` batch by batch and compares with the weighted mean of
    ``per_sample`` (a numpy reference); then resets and checks one batch."""
    values, weights = [], []
    for index, (y_true, y_pred) in enumerate(data):
        w = np.random.default_rng(index).uniform(0, 2, size=len(y_true)) if weighted else None
        metric.update_state(y_true, y_pred, sample_weight=w)
        values.append(per_sample(y_true, y_pred))
        weights.append(w)
    expected = weighted_mean(values, None if not weighted else weights)
    np.testing.assert_allclose(float(metric.result()), expected, rtol=1e-5)
    metric.reset_state()
    assert float(metric.result()) == 0.0
    assert all(float(v.numpy()) == 0 for v in metric.variables)
    y_true, y_pred = data[0]
    metric.update_state(y_true, y_pred)
    np.testing.assert_allclose(float(metric.result()), per_sample(y_true, y_pred).mean(), rtol=1e-5)


def binary_data(generator, n):
    return (generator.integers(0, 2, size=(n, 1)).astype(np.float32),
            generator.uniform(size=(n, 1)).astype(np.float32))


def categorical_data(generator, n, classes=5):
    labels = generator.integers(0, classes, size=n)
    return np.eye(classes, dtype=np.float32)[labels], generator.normal(size=(n, classes)).astype(np.float32)


def sparse_data(generator, n, classes=5):
    return generator.integers(0, classes, size=n), generator.normal(size=(n, classes)).astype(np.float32)


def regression_data(generator, n):
    return generator.normal(size=(n, 3)).astype(np.float32), generator.normal(size=(n, 3)).astype(np.float32)


CASES = [
    ("binary", lambda: metrics.BinaryAccuracy(), binary_data,
     lambda t, p: ((p[:, 0] > 0.5) == t[:, 0]).astype(float)),
    ("binary_threshold", lambda: metrics.BinaryAccuracy(threshold=0.8), binary_data,
     lambda t, p: ((p[:, 0] > 0.8) == t[:, 0]).astype(float)),
    ("categorical", lambda: metrics.CategoricalAccuracy(), categorical_data,
     lambda t, p: (t.argmax(-1) == p.argmax(-1)).astype(float)),
    ("sparse", lambda: metrics.SparseCategoricalAccuracy(), sparse_data,
     lambda t, p: (t == p.argmax(-1)).astype(float)),
    ("sparse_column", lambda: metrics.SparseCategoricalAccuracy(),
     lambda g, n: (lambda t, p: (t[:, None].astype(np.float32), p))(*sparse_data(g, n)),
     lambda t, p: (t[:, 0] == p.argmax(-1)).astype(float)),
    ("accuracy", lambda: metrics.Accuracy(),
     lambda g, n: (g.integers(0, 3, size=n), g.integers(0, 3, size=n)),
     lambda t, p: (t == p).astype(float)),
    ("mse", lambda: metrics.MeanSquaredError(), regression_data,
     lambda t, p: ((t.astype(np.float64) - p) ** 2).mean(-1)),
    ("mae", lambda: metrics.MeanAbsoluteError(), regression_data,
     lambda t, p: np.abs(t.astype(np.float64) - p).mean(-1)),
    ("wrapper", lambda: metrics.MeanMetricWrapper(losses.mean_squared_error, name="mse_fn"),
     regression_data, lambda t, p: ((t.astype(np.float64) - p) ** 2).mean(-1)),
]


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("name, make, data, per_sample", CASES, ids=[c[0] for c in CASES])
def test_metric_streams_match_numpy(name, make, data, per_sample, weighted):
    check_streaming(make(), batches(data), per_sample, weighted)


def test_mean_and_sum_with_weights_and_reset():
    mean, total = metrics.Mean(), metrics.Sum()
    chunks = [rng.normal(size=5) for _ in range(3)]
    weights = [rng.uniform(0, 1, size=5) for _ in range(3)]
    for values, w in zip(chunks, weights):
        mean.update_state(values, sample_weight=w)
        total.update_state(values, sample_weight=w)
    values, w = np.concatenate(chunks), np.concatenate(weights)
    np.testing.assert_allclose(float(mean.result()), (values * w).sum() / w.sum(), rtol=1e-5)
    np.testing.assert_allclose(float(total.result()), (values * w).sum(), rtol=1e-5)
    mean.reset_state()
    total.reset_state()
    assert float(mean.result()) == 0.0 and float(total.result()) == 0.0
    mean.update_state(3.0)
    mean.update_state([1.0, 5.0])
    assert float(mean.result()) == pytest.approx(3.0)


def test_keras_documented_values():
    m = metrics.Mean()
    m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert float(m.result()) == 2.0
    m = metrics.Sum()
    m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert float(m.result()) == 4.0
    m = metrics.BinaryAccuracy()
    m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
    assert float(m.result()) == 0.75
    m.reset_state()
    m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]], sample_weight=[1, 0, 0, 1])
    assert float(m.result()) == 0.5
    m = metrics.Accuracy()
    m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]], sample_weight=[1, 1, 0, 0])
    assert float(m.result()) == 0.5
    m = metrics.SparseCategoricalAccuracy()
    m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
    assert float(m.result()) == 0.5
    m = metrics.CategoricalAccuracy()
    m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    assert float(m.result()) == 0.5


def test_multi_output_weights_average_over_the_extra_axes():
    # Keras: values (batch, 3) with weights (batch,) are averaged per sample first.
    y_true = rng.integers(0, 2, size=(4, 3)).astype(np.float32)
    y_pred = rng.uniform(size=(4, 3)).astype(np.float32)
    weights = np.array([1.0, 0.0, 2.0, 1.0])
    m = metrics.BinaryAccuracy()
    m.update_state(y_true, y_pred, sample_weight=weights)
    per_sample = ((y_pred > 0.5) == y_true).mean(-1)
    np.testing.assert_allclose(float(m.result()), (per_sample * weights).sum() / weights.sum(), rtol=1e-6)


def test_accepts_tensors():
    m = metrics.SparseCategoricalAccuracy()
    logits = keras.ops.convert_to_tensor(np.array([[0.1, 2.0], [3.0, 0.0]], np.float32))
    m.update_state(keras.ops.convert_to_tensor(np.array([1, 1])), logits)
    assert float(m.result()) == 0.5


def test_ignore_class_mask_flows_into_the_weights():
    labels = np.array([0, 1, 255, 2])
    logits = rng.normal(size=(4, 3)).astype(np.float32)
    m = metrics.MeanMetricWrapper(losses.sparse_categorical_crossentropy, name="scce",
                                  from_logits=True, ignore_class=255)
    m.update_state(labels, logits)
    keep = labels != 255
    expected = losses.sparse_categorical_crossentropy(labels[keep], logits[keep], from_logits=True).numpy().mean()
    np.testing.assert_allclose(float(m.result()), expected, rtol=1e-6)


def test_state_variables_are_non_trainable_and_named_like_keras():
    m = metrics.Mean(name="loss")
    assert [v.path for v in m.variables] == ["loss/total", "loss/count"]
    assert all(not v.trainable and v.dtype == "float32" for v in m.variables)
    assert [v.name for v in metrics.Sum().variables] == ["total"]
    assert metrics.SparseCategoricalAccuracy().name == "sparse_categorical_accuracy"


def test_call_updates_and_returns_result():
    m = metrics.MeanAbsoluteError()
    first = float(m([[1.0, 2.0]], [[0.0, 0.0]]))
    second = float(m([[0.0, 0.0]], [[0.0, 0.0]]))
    assert first == 1.5 and second == 0.75


def test_functions():
    np.testing.assert_array_equal(metrics.binary_accuracy([[1], [0]], [[0.7], [0.7]]), [[1.0], [0.0]])
    np.testing.assert_array_equal(metrics.categorical_accuracy([[0, 1], [1, 0]], [[0.2, 0.8], [0.3, 0.7]]),
                                  [1.0, 0.0])
    np.testing.assert_array_equal(metrics.sparse_categorical_accuracy([1, 0], [[0.2, 0.8], [0.3, 0.7]]),
                                  [1.0, 0.0])
    np.testing.assert_array_equal(metrics.sparse_categorical_accuracy([[1], [0]], [[0.2, 0.8], [0.3, 0.7]]),
                                  [1.0, 0.0])


def test_get_resolves_keras_names():
    assert isinstance(metrics.get("mse"), metrics.MeanSquaredError)
    assert isinstance(metrics.get("mae"), metrics.MeanAbsoluteError)
    assert isinstance(metrics.get("mean_squared_error"), metrics.MeanSquaredError)
    assert isinstance(metrics.get("binary_accuracy"), metrics.BinaryAccuracy)
    assert isinstance(metrics.get("categorical_accuracy"), metrics.CategoricalAccuracy)
    assert isinstance(metrics.get("sparse_categorical_accuracy"), metrics.SparseCategoricalAccuracy)
    assert isinstance(metrics.get("SparseCategoricalAccuracy"), metrics.SparseCategoricalAccuracy)
    assert metrics.get("mse") is not metrics.get("mse")
    with pytest.raises(ValueError, match="Could not interpret metric identifier.*binary_accuracy"):
        metrics.get("precision_at_k")


@pytest.mark.parametrize("name", ["accuracy", "acc"])
def test_resolve_accuracy_like_keras3_compile(name):
    def kind(y_true_shape, y_pred_shape, loss=None):
        metric = metrics.resolve_accuracy(name, loss, y_true_shape, y_pred_shape)
        assert metric.name == name
        return type(metric).__name__

    assert kind((None, 1), (None, 1)) == "BinaryAccuracy"
    assert kind((None,), (None, 1)) == "BinaryAccuracy"
    assert kind((None,), (None, 10)) == "SparseCategoricalAccuracy"
    assert kind((None, 1), (None, 10)) == "SparseCategoricalAccuracy"
    assert kind((None, 10), (None, 10)) == "CategoricalAccuracy"
    # Keras 3 decides from shapes alone, whatever the loss.
    assert kind((None, 10), (None, 10), loss="binary_crossentropy") == "CategoricalAccuracy"


def test_resolve_metric_names_history_keys_like_keras():
    assert metrics.resolve_metric("mse").name == "mse"
    assert isinstance(metrics.resolve_metric("mse"), metrics.MeanSquaredError)
    assert metrics.resolve_metric("acc", (None,), (None, 3)).name == "acc"
    wrapped = metrics.resolve_metric(losses.mean_absolute_error)
    assert isinstance(wrapped, metrics.MeanMetricWrapper) and wrapped.name == "mean_absolute_error"
    own = metrics.BinaryAccuracy(name="bin")
    assert metrics.resolve_metric(own) is own and own.name == "bin"


@pytest.mark.parametrize("metric", [
    metrics.Mean(name="m"), metrics.Sum(), metrics.BinaryAccuracy(threshold=0.3),
    metrics.CategoricalAccuracy(), metrics.SparseCategoricalAccuracy(name="sca"),
    metrics.MeanSquaredError(), metrics.MeanAbsoluteError(), metrics.Accuracy(),
    metrics.TopKCategoricalAccuracy(k=3), metrics.SparseTopKCategoricalAccuracy(k=2), metrics.RootMeanSquaredError(),
])
def test_config_round_trip(metric):
    config = metric.get_config()
    assert config["dtype"] == "float32"
    clone = type(metric).from_config(config)
    assert clone.get_config() == config
    assert metrics.deserialize(metrics.serialize(metric)).get_config() == config


def test_function_wrapper_config_names_the_function_and_its_arguments():
    wrapped = metrics.MeanMetricWrapper(metrics.binary_accuracy, name="acc", threshold=0.25)
    config = wrapped.get_config()
    assert config == {"name": "acc", "dtype": "float32", "fn": "binary_accuracy", "threshold": 0.25}
    assert metrics.MeanMetricWrapper.from_config(config).get_config() == config
    with pytest.raises(ValueError, match="MeanMetricWrapper: unknown function 'top_9'"):
        metrics.MeanMetricWrapper.from_config({**config, "fn": "top_9"})


@pytest.mark.parametrize("label_dtype", [np.int64, np.int32, np.uint8])
def test_sparse_accuracy_counts_like_the_numpy_definition(label_dtype):
    # Integer labels with float32 scores take a counting shortcut; check it against the
    # definition, including ties (argmax takes the first) and NaN scores, over several batches.
    rng = np.random.default_rng(3)
    m = metrics.SparseCategoricalAccuracy()
    matches = seen = 0
    for batch in (7, 1, 32, 0):
        scores = rng.integers(0, 3, size=(batch, 4)).astype(np.float32)  # many ties
        if batch:
            scores[0, 1] = np.nan
        labels = rng.integers(0, 4, size=batch).astype(label_dtype)
        m.update_state(labels, scores)
        matches += sum(int(np.argmax(row) == label) for row, label in zip(scores, labels))
        seen += batch
    assert float(m.count.numpy()) == seen
    assert float(m.total.numpy()) == matches
    assert float(m.result()) == pytest.approx(matches / seen)


def test_top_k_accuracies_count_ties_as_in_and_match_a_loop():
    rng = np.random.default_rng(2)
    scores = np.round(rng.random((60, 5)), 1).astype(np.float32)  # many ties
    labels = rng.integers(0, 5, 60)
    for k in (1, 2, 4):
        expected = np.mean([np.sum(row > row[label]) < k for row, label in zip(scores, labels)])
        sparse = metrics.SparseTopKCategoricalAccuracy(k=k)
        sparse.update_state(labels[:, None], scores)
        dense = metrics.TopKCategoricalAccuracy(k=k)
        dense.update_state(np.eye(5, dtype=np.float32)[labels], scores)
        assert float(sparse.result()) == pytest.approx(expected) and float(dense.result()) == pytest.approx(expected)
    assert metrics.get("top_k_categorical_accuracy").get_config()["k"] == 5


def test_root_mean_squared_error_weights_samples():
    y_true = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    y_pred = np.array([[1.0, 1.0], [3.0, 6.0]], np.float32)
    metric = metrics.RootMeanSquaredError()
    metric.update_state(y_true, y_pred, sample_weight=[1.0, 2.0])
    assert float(metric.result()) == pytest.approx(np.sqrt((0.5 * 1 + 2.0 * 2) / 3))
    assert metric.get_config() == {"name": "root_mean_squared_error", "dtype": "float32"}


def test_a_custom_metric_made_as_keras_guides_write_it():
    # Keras's guide: state through add_weight, update_state with sample weights, result, reset.
    class BinaryTruePositives(metrics.Metric):
        def __init__(self, name="binary_true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_weight(name="tp", initializer="zeros")
            self.offset = self.add_weight(shape=(2,), name="offset", initializer="ones")

        def update_state(self, y_true, y_pred, sample_weight=None):
            hits = (np.asarray(y_true, bool) & np.asarray(y_pred, bool)).astype(np.float32)
            if sample_weight is not None:
                hits = hits * np.asarray(sample_weight, np.float32)
            self.true_positives.assign(self.true_positives.numpy() + hits.sum())

        def result(self):
            return self.true_positives

    metric = BinaryTruePositives()
    np.testing.assert_array_equal(metric.offset.numpy(), [1.0, 1.0])
    metric.update_state([1, 1, 0, 1], [1, 0, 1, 1], sample_weight=[0.5, 1, 1, 2])
    assert float(metric.result()) == 2.5
    metric.reset_state()
    assert float(metric.result()) == 0.0 and [v.path for v in metric.variables] == ["binary_true_positives/tp",
                                                                                    "binary_true_positives/offset"]
