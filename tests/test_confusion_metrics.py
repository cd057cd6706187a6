"""Precision, Recall and AUC against counts and areas computed here from their definitions."""
import numpy as np
import pytest

import pykeras as keras

rng = np.random.default_rng(11)
LABELS = (rng.random((120, 3)) > 0.55).astype(np.float32)
SCORES = rng.random((120, 3)).astype(np.float32)
WEIGHTS = rng.random(120).astype(np.float32)


def _counts(labels, scores, threshold, weights=None):
    weights = np.ones(labels.shape) if weights is None else np.broadcast_to(weights[:, None], labels.shape)
    predicted, actual = scores > threshold, labels != 0
    return (np.sum(weights * (predicted & actual)), np.sum(weights * (predicted & ~actual)),
            np.sum(weights * (~predicted & actual)))


@pytest.mark.parametrize("weighted", [False, True])
def test_precision_and_recall_over_batches_equal_the_pooled_counts(weighted):
    precision, recall = keras.metrics.Precision(thresholds=[0.3, 0.5, 0.8]), keras.metrics.Recall()
    for start in range(0, 120, 40):
        part = slice(start, start + 40)
        weight = WEIGHTS[part] if weighted else None
        precision.update_state(LABELS[part], SCORES[part], sample_weight=weight)
        recall.update_state(LABELS[part], SCORES[part], sample_weight=weight)
    weights = WEIGHTS if weighted else None
    expected = [tp / (tp + fp) for tp, fp, _ in (_counts(LABELS, SCORES, t, weights) for t in (0.3, 0.5, 0.8))]
    np.testing.assert_allclose(precision.result().numpy(), expected, rtol=1e-6)
    tp, _, fn = _counts(LABELS, SCORES, 0.5, weights)
    assert recall.result().numpy().shape == ()
    assert float(recall.result()) == pytest.approx(tp / (tp + fn), rel=1e-6)


def test_top_k_and_class_id():
    top2 = np.argsort(-SCORES, axis=1)[:, :2]
    chosen = np.zeros_like(LABELS, dtype=bool)
    np.put_along_axis(chosen, top2, True, axis=1)
    precision = keras.metrics.Precision(top_k=2)
    precision.update_state(LABELS, SCORES)
    assert float(precision.result()) == pytest.approx(LABELS[chosen].mean(), rel=1e-6)
    recall = keras.metrics.Recall(class_id=1)
    recall.update_state(LABELS, SCORES)
    positives = LABELS[:, 1] != 0
    assert float(recall.result()) == pytest.approx(np.mean(SCORES[positives, 1] > 0.5), rel=1e-6)


def test_nothing_predicted_positive_gives_zero_not_nan():
    precision = keras.metrics.Precision()
    precision.update_state([1, 0], [0.1, 0.2])
    assert float(precision.result()) == 0.0


def test_a_nan_prediction_is_never_positive():
    recall = keras.metrics.Recall(thresholds=[0.0, 0.5])
    recall.update_state([1, 1, 1, 0], [np.nan, 0.7, 0.2, np.nan])
    np.testing.assert_allclose(recall.result().numpy(), [2 / 3, 1 / 3], rtol=1e-6)


def _rank_auc(labels, scores):
    """P(a positive scores above a negative), ties counting one half: the exact ROC area."""
    positive, negative = scores[labels != 0], scores[labels == 0]
    above = (positive[:, None] > negative[None, :]).sum() + 0.5 * (positive[:, None] == negative[None, :]).sum()
    return above / (len(positive) * len(negative))


def test_roc_auc_equals_the_rank_statistic_when_thresholds_separate_the_scores():
    # Scores on a 0.01 grid offset by 0.005, thresholds at every 0.005: the curve has a corner
    # at every distinct score, so the trapezoids are the exact area.
    labels = LABELS.ravel()
    scores = np.round(SCORES.ravel() * 99) / 100 + 0.005
    auc = keras.metrics.AUC(num_thresholds=201)
    auc.update_state(labels, scores)
    assert float(auc.result()) == pytest.approx(_rank_auc(labels, scores), abs=1e-6)


@pytest.mark.parametrize("method", ["minoring", "majoring"])
def test_pr_riemann_sums(method):
    labels, scores = LABELS.ravel(), SCORES.ravel()
    thresholds = np.concatenate([[-1e-7], np.arange(1, 10) / 10, [1 + 1e-7]]).astype(np.float32)
    tp, fp, fn = np.array([_counts(labels[:, None], scores[:, None], t) for t in thresholds]).T
    recall, precision = tp / (tp + fn), np.divide(tp, tp + fp, out=np.zeros_like(tp), where=tp + fp > 0)
    pick = np.minimum if method == "minoring" else np.maximum
    expected = np.sum((recall[:-1] - recall[1:]) * pick(precision[:-1], precision[1:]))
    auc = keras.metrics.AUC(num_thresholds=11, curve="PR", summation_method=method)
    auc.update_state(labels, scores)
    assert float(auc.result()) == pytest.approx(expected, rel=1e-5)


def test_auc_of_a_perfect_ranking_is_one_on_both_curves():
    labels = np.array([0, 0, 0, 1, 1], np.float32)
    scores = np.array([0.1, 0.2, 0.3, 0.8, 0.9], np.float32)
    for curve in ("ROC", "PR"):
        auc = keras.metrics.AUC(curve=curve)
        auc.update_state(labels, scores)
        assert float(auc.result()) == pytest.approx(1.0, abs=1e-3)


def test_from_logits_applies_a_sigmoid_first():
    logits = (SCORES - 0.5) * 8
    direct, from_logits = keras.metrics.AUC(), keras.metrics.AUC(from_logits=True)
    direct.update_state(LABELS, 1 / (1 + np.exp(-logits)))
    from_logits.update_state(LABELS, logits)
    assert float(from_logits.result()) == pytest.approx(float(direct.result()), abs=1e-6)


def test_auc_clips_predictions_outside_zero_one_as_keras_does():
    # Logits given without from_logits: every score beyond 1 (or below 0) ranks as 1 (or 0), ties
    # counting one half, so the ROC area is the rank statistic of the clipped scores.
    labels = np.array([0, 1, 0, 1, 1, 0, 0, 1], np.float32)
    scores = np.array([-3.0, 2.5, 1.7, 0.4, -0.2, 0.6, 4.0, 0.9], np.float32)
    auc = keras.metrics.AUC(num_thresholds=201)
    auc.update_state(labels, scores)
    clipped = np.round(np.clip(scores, 0, 1) * 200) / 200  # on the threshold grid: the trapezoids are exact
    assert float(auc.result()) == pytest.approx(_rank_auc(labels, clipped), abs=1e-6)


@pytest.mark.parametrize("make, message", [
    (lambda: keras.metrics.Precision(thresholds=[0.5, 1.2]), r"Threshold values must be in \[0, 1\]. Received: \[1.2"),
    (lambda: keras.metrics.AUC(curve="ROCK"), 'Invalid AUC curve value: "ROCK"'),
    (lambda: keras.metrics.AUC(summation_method="simpson"), 'Invalid AUC summation method value: "simpson"'),
    (lambda: keras.metrics.AUC(num_thresholds=1), "`num_thresholds` must be an integer > 1. Received: num_thresholds=1"),
    (lambda: keras.metrics.AUC(multi_label=True), "`multi_label=True` and `label_weights` are not supported"),
])
def test_bad_arguments_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_mismatched_shapes_are_refused():
    with pytest.raises(ValueError, match=r"same shape. Received: y_true.shape=\(4, 3\), y_pred.shape=\(4, 2\)"):
        keras.metrics.Recall().update_state(LABELS[:4], SCORES[:4, :2])


def test_fit_logs_them_by_name_and_configs_round_trip():
    x = rng.normal(size=(64, 4)).astype(np.float32)
    y = (x[:, :1] > 0).astype(np.float32)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["AUC", keras.metrics.Precision(name="p"), "recall"])
    history = model.fit(x, y, epochs=1, verbose=0).history
    assert sorted(history) == ["AUC", "loss", "p", "recall"]
    for metric in (keras.metrics.AUC(curve="PR", thresholds=[0.2, 0.6]), keras.metrics.Precision(top_k=2)):
        config = metric.get_config()
        assert type(metric).from_config(config).get_config() == config


@pytest.mark.parametrize("shape", [(40,), (12, 3)])
def test_one_threshold_counts_equal_the_general_path(shape):
    # The unweighted one-threshold count (Precision's and Recall's default) against the sorted
    # cumulative sums every other case takes, with NaN and predictions exactly at the threshold.
    from pykeras.metrics.confusion import confusion_counts

    rng = np.random.default_rng(11)
    y_pred = rng.uniform(size=shape).astype(np.float32)
    y_pred.flat[:6] = [0.5, 0.5, np.nan, 0.0, 1.0, 0.5]
    y_true = rng.integers(0, 2, size=shape)
    one = confusion_counts(y_true, y_pred, np.array([0.5], np.float32))
    general = confusion_counts(y_true, y_pred, np.array([0.5, 0.9], np.float32))
    for got, want in zip(one, general):
        assert got.dtype == np.float64 and got.shape == (1,)
        assert got[0] == want[0]
    above = np.nan_to_num(y_pred, nan=-1) > 0.5
    assert one[0][0] == np.sum(above & (y_true != 0))
