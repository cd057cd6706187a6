"""Losses against numpy float64 formulas; gradients against finite differences;
the fused sparse cross-entropy against the composed one."""
import numpy as np
import pytest
from op_check import check_op

import pykeras as keras
from pykeras import losses, ops

EPS = 1e-7
# Keras clips float32 probabilities to [1e-7, 1 - 1e-7] in float32, where
# 1 - 1e-7 rounds to 1 - 2**-23; the references clip to the same bounds.
LOW, HIGH = float(np.float32(EPS)), float(np.float32(1) - np.float32(EPS))
rng = np.random.default_rng(0)


def probabilities(shape, seed=0):
    x = np.random.default_rng(seed).uniform(0.05, 1.0, size=shape)
    return (x / x.sum(-1, keepdims=True)).astype(np.float32)


def one_hot(labels, classes):
    return np.eye(classes, dtype=np.float32)[labels]


# ---------------------------------------------------------- numpy references

def np_mse(t, p):
    return np.mean((t.astype(np.float64) - p) ** 2, axis=-1)


def np_mae(t, p):
    return np.mean(np.abs(t.astype(np.float64) - p), axis=-1)


def np_bce(t, p, from_logits=False, smoothing=0.0):
    t = t.astype(np.float64) * (1 - smoothing) + 0.5 * smoothing
    p = p.astype(np.float64)
    if from_logits:
        per = np.logaddexp(0, p) - t * p
    else:
        p = np.clip(p, LOW, HIGH)
        per = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    return per.mean(-1)


def np_log_softmax(x):
    x = x.astype(np.float64)
    shifted = x - x.max(-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))


def np_log_probs(p, from_logits):
    if from_logits:
        return np_log_softmax(p)
    p = p.astype(np.float64)
    return np.log(np.clip(p / p.sum(-1, keepdims=True), LOW, HIGH))


def np_cce(t, p, from_logits=False, smoothing=0.0):
    t = t.astype(np.float64)
    t = t * (1 - smoothing) + smoothing / t.shape[-1]
    return -(t * np_log_probs(p, from_logits)).sum(-1)


def np_scce(labels, p, from_logits=False):
    labels = np.asarray(labels).reshape(p.shape[:-1]).astype(int)
    log_p = np_log_probs(p, from_logits)
    return -np.take_along_axis(log_p, labels[..., None], -1)[..., 0]


def reduce(per, weights=None, reduction="sum_over_batch_size"):
    per = per.astype(np.float64)
    if weights is not None:
        per = per * weights
    if reduction in (None, "none"):
        return per
    if reduction == "sum":
        return per.sum()
    if reduction == "mean_with_sample_weight" and weights is not None:
        return per.sum() / np.sum(weights)
    return per.sum() / per.size


# ------------------------------------------------------------- value checks

BATCH, CLASSES = 6, 4
Y_REG = rng.normal(size=(BATCH, 3)).astype(np.float32)
P_REG = rng.normal(size=(BATCH, 3)).astype(np.float32)
Y_BIN = rng.integers(0, 2, size=(BATCH, 3)).astype(np.float32)
P_BIN = rng.uniform(0.01, 0.99, size=(BATCH, 3)).astype(np.float32)
LOGITS = rng.normal(scale=3, size=(BATCH, CLASSES)).astype(np.float32)
LABELS = rng.integers(0, CLASSES, size=BATCH)
P_CAT = probabilities((BATCH, CLASSES))
WEIGHTS = rng.uniform(0, 2, size=BATCH)

CASES = [
    ("mse", losses.MeanSquaredError, {}, Y_REG, P_REG, np_mse),
    ("mae", losses.MeanAbsoluteError, {}, Y_REG, P_REG, np_mae),
    ("bce", losses.BinaryCrossentropy, {}, Y_BIN, P_BIN, np_bce),
    ("bce_logits", losses.BinaryCrossentropy, {"from_logits": True}, Y_BIN, P_REG * 4,
     lambda t, p: np_bce(t, p, True)),
    ("bce_smooth", losses.BinaryCrossentropy, {"label_smoothing": 0.2}, Y_BIN, P_BIN,
     lambda t, p: np_bce(t, p, smoothing=0.2)),
    ("cce", losses.CategoricalCrossentropy, {}, one_hot(LABELS, CLASSES), P_CAT, np_cce),
    ("cce_logits", losses.CategoricalCrossentropy, {"from_logits": True},
     one_hot(LABELS, CLASSES), LOGITS, lambda t, p: np_cce(t, p, True)),
    ("cce_smooth", losses.CategoricalCrossentropy, {"label_smoothing": 0.1, "from_logits": True},
     one_hot(LABELS, CLASSES), LOGITS, lambda t, p: np_cce(t, p, True, 0.1)),
    ("scce", losses.SparseCategoricalCrossentropy, {}, LABELS, P_CAT, np_scce),
    ("scce_logits", losses.SparseCategoricalCrossentropy, {"from_logits": True}, LABELS, LOGITS,
     lambda t, p: np_scce(t, p, True)),
]


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean", None, "none",
                                       "mean_with_sample_weight"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("name, cls, kwargs, y_true, y_pred, reference", CASES, ids=[c[0] for c in CASES])
def test_loss_values(name, cls, kwargs, y_true, y_pred, reference, reduction, weighted):
    weights = WEIGHTS if weighted else None
    loss = cls(reduction=reduction, **kwargs)
    got = loss(y_true, y_pred, sample_weight=weights).numpy()
    expected = reduce(reference(y_true, y_pred), weights, reduction)
    np.testing.assert_allclose(got, expected, rtol=2e-6, atol=1e-6)
    if reduction not in (None, "none"):
        assert got.shape == ()


@pytest.mark.parametrize("name, cls, kwargs, y_true, y_pred, reference", CASES, ids=[c[0] for c in CASES])
def test_functions_return_per_sample_values(name, cls, kwargs, y_true, y_pred, reference):
    function = {
        losses.MeanSquaredError: losses.mean_squared_error,
        losses.MeanAbsoluteError: losses.mean_absolute_error,
        losses.BinaryCrossentropy: losses.binary_crossentropy,
        losses.CategoricalCrossentropy: losses.categorical_crossentropy,
        losses.SparseCategoricalCrossentropy: losses.sparse_categorical_crossentropy,
    }[cls]
    got = function(y_true, y_pred, **kwargs).numpy()
    assert got.shape == (BATCH,)
    np.testing.assert_allclose(got, reference(y_true, y_pred), rtol=2e-6, atol=1e-6)


def test_keras_documented_values():
    y = np.array([[0, 1, 0], [0, 0, 1]])
    p = np.array([[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    assert float(losses.CategoricalCrossentropy()(y, p)) == pytest.approx(1.177, abs=1e-3)
    assert float(losses.CategoricalCrossentropy()(y, p, sample_weight=[0.3, 0.7])) == pytest.approx(0.814, abs=1e-3)
    assert float(losses.CategoricalCrossentropy(reduction="sum")(y, p)) == pytest.approx(2.354, abs=1e-3)
    assert float(losses.SparseCategoricalCrossentropy()([1, 2], p)) == pytest.approx(1.177, abs=1e-3)
    np.testing.assert_allclose(losses.binary_crossentropy([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]).numpy(),
                               [0.916, 0.714], atol=1e-3)


def test_sample_weight_shapes_and_keras_rank_rules():
    per = np_mse(Y_REG, P_REG)
    column = WEIGHTS[:, None]  # (batch, 1) weights against (batch,) losses
    got = losses.MeanSquaredError()(Y_REG, P_REG, sample_weight=column)
    np.testing.assert_allclose(float(got), reduce(per, WEIGHTS), rtol=2e-6)
    scalar = losses.MeanSquaredError()(Y_REG, P_REG, sample_weight=2.0)
    np.testing.assert_allclose(float(scalar), 2 * per.mean(), rtol=2e-6)
    with pytest.raises(ValueError, match="sample_weight"):
        losses.MeanSquaredError()(Y_REG, P_REG, sample_weight=np.ones(BATCH + 1))


def test_mean_with_sample_weight_zero_weights_gives_zero():
    got = losses.MeanSquaredError(reduction="mean_with_sample_weight")(Y_REG, P_REG, sample_weight=np.zeros(BATCH))
    assert float(got) == 0.0


def test_regression_targets_of_rank_one_match_column_predictions():
    t = rng.normal(size=BATCH).astype(np.float32)
    p = rng.normal(size=(BATCH, 1)).astype(np.float32)
    got = losses.MeanSquaredError()(t, p)
    np.testing.assert_allclose(float(got), np.mean((t - p[:, 0]) ** 2), rtol=2e-6)


def test_probability_clipping_at_extremes():
    y = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    p = np.array([[0.0, 1.0], [1.0, 0.0]], np.float32)  # confidently wrong
    got = losses.binary_crossentropy(y, p).numpy()
    np.testing.assert_allclose(got, np_bce(y, p), rtol=1e-5)
    assert np.isfinite(got).all() and got[0] == pytest.approx(-(np.log(LOW) + np.log(1 - HIGH)) / 2, rel=1e-6)
    onehot = np.array([[1.0, 0.0, 0.0]], np.float32)
    got = losses.categorical_crossentropy(onehot, np.array([[0.0, 0.3, 0.7]], np.float32)).numpy()
    np.testing.assert_allclose(got, [-np.log(EPS)], rtol=1e-3)
    # Categorical rescales rows to sum to 1 before clipping.
    scaled = losses.categorical_crossentropy(onehot, np.array([[2.0, 1.0, 1.0]], np.float32)).numpy()
    np.testing.assert_allclose(scaled, [-np.log(0.5)], rtol=1e-6)


def test_binary_logits_are_exact_for_large_magnitudes():
    y = np.array([[1.0, 0.0, 1.0, 0.0]], np.float32)
    x = np.array([[-200.0, 200.0, 60.0, -60.0]], np.float32)
    got = losses.binary_crossentropy(y, x, from_logits=True).numpy()
    np.testing.assert_allclose(got, np_bce(y, x, True), rtol=1e-6)  # no clipping at 1e-7


def test_sparse_labels_shapes_and_dtypes_agree():
    expected = np_scce(LABELS, LOGITS, True).mean()
    for labels in (LABELS, LABELS[:, None], LABELS.astype(np.float32), LABELS.astype(np.int32)[:, None]):
        for from_logits_loss in (losses.SparseCategoricalCrossentropy(from_logits=True),
                                 losses.SparseCategoricalCrossentropy(from_logits=True, reduction="sum")):
            got = float(from_logits_loss(labels, LOGITS))
            scale = BATCH if from_logits_loss.reduction == "sum" else 1
            np.testing.assert_allclose(got, expected * scale, rtol=2e-6)


def test_sparse_label_errors():
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 4\)"):
        losses.SparseCategoricalCrossentropy(from_logits=True)(np.array([0, 1, 2, 3, 4, 0]), LOGITS)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 4\)"):
        losses.SparseCategoricalCrossentropy()(np.array([0, -1, 2, 3, 1, 0]), P_CAT)
    with pytest.raises(ValueError, match="y_true.shape"):
        losses.SparseCategoricalCrossentropy(from_logits=True)(np.zeros(BATCH + 1), LOGITS)


def test_ignore_class_masks_entries_out_of_the_mean():
    labels = LABELS.copy()
    labels[[1, 4]] = -1
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
    keep = labels != -1
    expected = np_scce(labels[keep], LOGITS[keep], True).mean()
    np.testing.assert_allclose(float(loss(labels, LOGITS)), expected, rtol=2e-6)
    per = losses.sparse_categorical_crossentropy(labels, LOGITS, from_logits=True, ignore_class=-1).numpy()
    assert per[1] == 0 and per[4] == 0


def test_categorical_shape_mismatch_and_single_class_warning():
    with pytest.raises(ValueError, match="same shape"):
        losses.categorical_crossentropy(np.zeros((2, 3)), np.ones((2, 4)))
    with pytest.warns(SyntaxWarning, match="binary_crossentropy"):
        losses.categorical_crossentropy(np.ones((2, 1)), np.ones((2, 1)))


def test_invalid_reduction():
    with pytest.raises(ValueError, match="reduction"):
        losses.MeanSquaredError(reduction="average")


# --------------------------------------------------------------- gradients

def _bce_logits(t):
    return lambda x: losses.binary_crossentropy(t, x, from_logits=True)


GRADIENT_CASES = [
    ("mse", lambda p: losses.MeanSquaredError()(Y_REG[:3], p), P_REG[:3]),
    ("mae", lambda p: losses.MeanAbsoluteError()(Y_REG[:3], p), P_REG[:3]),
    ("bce", lambda p: losses.BinaryCrossentropy(label_smoothing=0.1)(Y_BIN[:3], p), P_BIN[:3]),
    ("bce_logits", lambda p: losses.BinaryCrossentropy(from_logits=True)(Y_BIN[:3], p),
     np.array([[-3.0, 0.0, 2.5], [0.7, -0.2, 0.0], [5.0, -5.0, 1.0]], np.float32)),
    ("cce", lambda p: losses.CategoricalCrossentropy()(one_hot(LABELS[:3], CLASSES), p), P_CAT[:3]),
    ("cce_logits", lambda p: losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)(
        one_hot(LABELS[:3], CLASSES), p), LOGITS[:3]),
    ("scce", lambda p: losses.SparseCategoricalCrossentropy()(LABELS[:3], p,
                                                               sample_weight=WEIGHTS[:3]), P_CAT[:3]),
    ("scce_logits_fused", lambda p: losses.SparseCategoricalCrossentropy(from_logits=True)(LABELS[:3], p),
     LOGITS[:3]),
]


@pytest.mark.parametrize("name, function, point", GRADIENT_CASES, ids=[c[0] for c in GRADIENT_CASES])
def test_gradients_against_finite_differences(name, function, point):
    check_op(function, [point])


def test_binary_logits_gradient_at_zero_is_sigmoid_minus_target():
    x = keras.Variable(np.zeros((1, 2), np.float32))
    with keras.GradientTape() as tape:
        loss = losses.binary_crossentropy(np.array([[1.0, 0.0]]), x, from_logits=True)
    np.testing.assert_allclose(tape.gradient(loss, x).numpy(), [[(0.5 - 1) / 2, 0.5 / 2]], rtol=1e-6)


def test_loss_is_differentiable_when_y_pred_comes_from_a_layer():
    from pykeras.layers import Dense

    layer = Dense(CLASSES)
    x = rng.normal(size=(BATCH, 3)).astype(np.float32)
    with keras.GradientTape() as tape:
        loss = losses.CategoricalCrossentropy(from_logits=True)(one_hot(LABELS, CLASSES), layer(x))
    grads = tape.gradient(loss, layer.trainable_weights)
    assert all(g is not None and np.abs(g.numpy()).sum() > 0 for g in grads)


# ------------------------------------------------------- fused vs composed

def _fused_and_composed(loss, op_name, y_true, logits, weights, monkeypatch):
    """The loss and its gradient on the fused native op (checked to be taken once) and on the
    composed ops (the base class's per-sample path)."""
    calls = []
    fused_op = getattr(ops, op_name)
    monkeypatch.setattr(ops, op_name, lambda *a: calls.append(1) or fused_op(*a))
    results = []
    for call in (loss, lambda *a, **k: losses.Loss.__call__(loss, *a, **k)):
        variable = keras.Variable(logits)
        with keras.GradientTape() as tape:
            value = call(y_true, variable, sample_weight=weights)
        results += [float(value), tape.gradient(value, variable).numpy()]
    assert calls == [1], "the default reduction must take the fused op, the composed path must not"
    return results


def _row_weights(generator, batch, kind):
    """No weights, one per row as (batch,), or as (batch, 1) (Keras takes both)."""
    if kind is None:
        return None, np.ones((batch, 1))
    weights = generator.uniform(0, 2, size=batch).astype(np.float32)
    return (weights if kind == "rows" else weights[:, None]), weights[:, None].astype(np.float64)


WEIGHT_KINDS = [None, "rows", "column"]


@pytest.mark.parametrize("weight_kind", WEIGHT_KINDS)
@pytest.mark.parametrize("batch, classes", [(1, 2), (7, 3), (64, 10), (33, 129)])
def test_fused_sparse_cross_entropy_matches_composed(batch, classes, weight_kind, monkeypatch):
    generator = np.random.default_rng(batch)
    logits = (generator.normal(size=(batch, classes)) * 4).astype(np.float32)
    labels = generator.integers(0, classes, size=batch)
    weights, w = _row_weights(generator, batch, weight_kind)
    fused, fused_grad, composed, composed_grad = _fused_and_composed(
        losses.SparseCategoricalCrossentropy(from_logits=True), "sparse_softmax_cross_entropy", labels, logits,
        weights, monkeypatch)
    np.testing.assert_allclose(fused, composed, rtol=1e-6)
    np.testing.assert_allclose(fused, (w[:, 0] * np_scce(labels, logits, True)).mean(), rtol=1e-6)
    expected_grad = w * (np.exp(np_log_softmax(logits)) - np.eye(classes)[labels]) / batch
    np.testing.assert_allclose(fused_grad, expected_grad, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(composed_grad, fused_grad, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("weight_kind", WEIGHT_KINDS)
@pytest.mark.parametrize("batch, classes", [(1, 2), (7, 3), (64, 10), (33, 129)])
def test_fused_categorical_cross_entropy_matches_composed(batch, classes, weight_kind, monkeypatch):
    generator = np.random.default_rng(batch + 1)
    logits = (generator.normal(size=(batch, classes)) * 4).astype(np.float32)
    targets = generator.uniform(size=(batch, classes)).astype(np.float32)  # soft, of any mass
    weights, w = _row_weights(generator, batch, weight_kind)
    fused, fused_grad, composed, composed_grad = _fused_and_composed(
        losses.CategoricalCrossentropy(from_logits=True), "softmax_cross_entropy", targets, logits, weights,
        monkeypatch)
    log_softmax = np_log_softmax(logits)
    np.testing.assert_allclose(fused, -(w * targets * log_softmax).sum(-1).mean(), rtol=1e-6)
    np.testing.assert_allclose(composed, fused, rtol=1e-5)
    expected_grad = w * (np.exp(log_softmax) * targets.sum(-1, keepdims=True) - targets) / batch
    np.testing.assert_allclose(fused_grad, expected_grad, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(composed_grad, fused_grad, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("weight_kind", WEIGHT_KINDS)
@pytest.mark.parametrize("batch, outputs, column", [(1, 1, False), (9, 1, True), (16, 4, False)])
def test_fused_binary_cross_entropy_matches_composed(batch, outputs, column, weight_kind, monkeypatch):
    generator = np.random.default_rng(batch + outputs)
    logits = (generator.normal(size=(batch, outputs)) * 4).astype(np.float32)
    targets = generator.integers(0, 2, size=(batch, outputs))
    given = targets[:, 0] if column else targets  # (batch,) labels for one logit
    weights, w = _row_weights(generator, batch, weight_kind)
    fused, fused_grad, composed, composed_grad = _fused_and_composed(
        losses.BinaryCrossentropy(from_logits=True), "sigmoid_cross_entropy", given, logits, weights, monkeypatch)
    z, t = logits.astype(np.float64), targets.astype(np.float64)
    np.testing.assert_allclose(fused, (w * (np.logaddexp(0, z) - t * z)).mean(), rtol=1e-6)
    np.testing.assert_allclose(composed, fused, rtol=1e-5)
    np.testing.assert_allclose(fused_grad, w * (1 / (1 + np.exp(-z)) - t) / t.size, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(composed_grad, fused_grad, rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("weight_kind", WEIGHT_KINDS)
@pytest.mark.parametrize("batch, outputs, column", [(1, 1, False), (9, 1, True), (16, 4, False)])
@pytest.mark.parametrize("kind", ["squared", "absolute"])
def test_fused_regression_errors_match_composed(kind, batch, outputs, column, weight_kind, monkeypatch):
    generator = np.random.default_rng(batch * outputs)
    predictions = generator.normal(size=(batch, outputs)).astype(np.float32)
    targets = generator.normal(size=(batch, outputs)).astype(np.float32)
    targets[0, 0] = predictions[0, 0]  # abs has its gradient 0 there
    given = targets[:, 0] if column else targets  # (batch,) targets for one output
    weights, w = _row_weights(generator, batch, weight_kind)
    loss = losses.MeanSquaredError() if kind == "squared" else losses.MeanAbsoluteError()
    fused, fused_grad, composed, composed_grad = _fused_and_composed(
        loss, f"{kind}_error", given, predictions, weights, monkeypatch)
    d = predictions.astype(np.float64) - targets
    error, slope = (d ** 2, 2 * d) if kind == "squared" else (np.abs(d), np.sign(d))
    np.testing.assert_allclose(fused, (w * error).mean(), rtol=1e-6)
    np.testing.assert_allclose(composed, fused, rtol=1e-5)
    np.testing.assert_allclose(fused_grad, w * slope / d.size, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(composed_grad, fused_grad, rtol=1e-5, atol=1e-8)
    assert fused_grad[0, 0] == 0.0


def test_fused_regression_errors_pass_nan_and_overflow_on():
    predictions = np.array([[np.nan, 1.0], [3e38, -3e38]], np.float32)
    targets = np.zeros((2, 2), np.float32)
    variable = keras.Variable(predictions)
    with keras.GradientTape() as tape:
        value = ops.absolute_error(targets, variable)
    assert np.isnan(float(value))
    grad = tape.gradient(value, variable).numpy()
    assert np.isnan(grad[0, 0]) and grad[0, 1] == 0.25 and grad[1, 0] == 0.25 and grad[1, 1] == -0.25
    finite = np.array([[3e38, -3e38]], np.float32)
    assert float(ops.squared_error(np.zeros((1, 2), np.float32), finite)) == np.inf  # as float32 arithmetic


def test_weights_the_fused_op_cannot_take_go_the_composed_way(monkeypatch):
    """A weight per entry, and weights a tape differentiates: the per-sample path, as Keras."""
    taken = []
    fused_op = ops.sparse_softmax_cross_entropy
    monkeypatch.setattr(ops, "sparse_softmax_cross_entropy", lambda *a: taken.append(1) or fused_op(*a))
    logits = rng.normal(size=(BATCH, CLASSES)).astype(np.float32)
    loss = losses.SparseCategoricalCrossentropy(from_logits=True)
    weights = keras.Variable(np.full(BATCH, 2.0, np.float32))
    with keras.GradientTape() as tape:
        value = loss(LABELS, logits, sample_weight=weights)
    # d(mean of w * l) / dw_i = l_i / batch
    np.testing.assert_allclose(tape.gradient(value, weights).numpy(), np_scce(LABELS, logits, True) / BATCH,
                               rtol=1e-5)
    assert taken == []
    np.testing.assert_allclose(float(loss(LABELS, logits, sample_weight=np.full(BATCH, 2.0))),
                               2 * np_scce(LABELS, logits, True).mean(), rtol=1e-6)
    assert taken == [1]


def test_fused_op_refuses_weights_of_another_shape():
    logits = rng.normal(size=(BATCH, CLASSES)).astype(np.float32)
    with pytest.raises(ValueError, match=r"sample_weight of shape \(batch,\) = \(%d,\).*Received: "
                                         r"sample_weight.shape=\(%d, 2\)" % (BATCH, BATCH)):
        ops.sparse_softmax_cross_entropy(LABELS, logits, np.ones((BATCH, 2)))


# ------------------------------------------------------------ config / get

@pytest.mark.parametrize("loss", [
    losses.MeanSquaredError(reduction="sum"),
    losses.MeanAbsoluteError(name="l1"),
    losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1),
    losses.CategoricalCrossentropy(label_smoothing=0.2, axis=-1, reduction=None),
    losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=255),
])
def test_config_round_trip(loss):
    config = loss.get_config()
    clone = type(loss).from_config(config)
    assert clone.get_config() == config
    assert losses.get(losses.serialize(loss)).get_config() == config


def test_configs_match_keras_keys():
    assert losses.SparseCategoricalCrossentropy().get_config() == {
        "name": "sparse_categorical_crossentropy", "reduction": "sum_over_batch_size",
        "from_logits": False, "ignore_class": None}
    assert losses.BinaryCrossentropy().get_config() == {
        "name": "binary_crossentropy", "reduction": "sum_over_batch_size", "from_logits": False,
        "label_smoothing": 0.0, "axis": -1}
    assert losses.MeanSquaredError().get_config() == {
        "name": "mean_squared_error", "reduction": "sum_over_batch_size"}


def test_get_resolves_keras_names():
    assert losses.get("mse") is losses.mean_squared_error
    assert losses.get("mean_squared_error") is losses.mean_squared_error
    assert losses.get("mae") is losses.mean_absolute_error
    assert losses.get("binary_crossentropy") is losses.binary_crossentropy
    assert losses.get("categorical_crossentropy") is losses.categorical_crossentropy
    assert losses.get("sparse_categorical_crossentropy") is losses.sparse_categorical_crossentropy
    assert isinstance(losses.get("SparseCategoricalCrossentropy"), losses.SparseCategoricalCrossentropy)
    assert isinstance(losses.get("MeanSquaredError"), losses.MeanSquaredError)
    instance = losses.BinaryCrossentropy()
    assert losses.get(instance) is instance

    def custom(y_true, y_pred):
        return ops.mean(ops.abs(y_pred - y_true), axis=-1)

    assert losses.get(custom) is custom
    with pytest.raises(ValueError, match="Could not interpret loss identifier.*mse"):
        losses.get("msee")


def test_function_wrapper():
    wrapped = losses.LossFunctionWrapper(losses.mean_absolute_error, reduction="sum")
    assert wrapped.name == "mean_absolute_error"
    np.testing.assert_allclose(float(wrapped(Y_REG, P_REG)), np_mae(Y_REG, P_REG).sum(), rtol=2e-6)
    config = wrapped.get_config()
    assert config == {"name": "mean_absolute_error", "reduction": "sum", "fn": "mean_absolute_error"}
    assert losses.LossFunctionWrapper.from_config(config).get_config() == config
    with pytest.raises(ValueError, match="LossFunctionWrapper: unknown function 'mean_cubed_error'"):
        losses.LossFunctionWrapper.from_config({**config, "fn": "mean_cubed_error"})


def test_custom_loss_subclass():
    class Squared(losses.Loss):
        def call(self, y_true, y_pred):
            return ops.sum(ops.square(y_pred - y_true), axis=-1)

    loss = Squared(reduction="sum")
    np.testing.assert_allclose(float(loss(Y_REG, P_REG)), ((Y_REG - P_REG.astype(np.float64)) ** 2).sum(), rtol=2e-6)
