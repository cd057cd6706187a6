"""Metrics from confusion counts at thresholds: Precision, Recall and AUC.

A prediction counts as positive above a threshold (``y_pred > t``), a label as positive when it
is not 0, as in Keras. The counts are kept in float64 (Keras's float32 stops counting single
samples past 2**24 of them).
"""
import numpy as np

from pykeras.metrics.base import Metric, _array, squeeze_or_expand_to_same_rank
from pykeras.ops.nn import _sigmoid
from pykeras.tensor import Tensor

_EPSILON = 1e-7


def _thresholds(thresholds, default):
    values = [default] if thresholds is None else list(np.ravel(thresholds))
    bad = [t if t is None else float(t) for t in values if t is None or not 0 <= t <= 1]
    if thresholds is not None and bad:
        raise ValueError(f"Threshold values must be in [0, 1]. Received: {bad}")
    return np.asarray(values, dtype=np.float32)


def _ratio(numerator, denominator):
    """numerator / denominator, 0 where the denominator is 0."""
    return np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator != 0)


def confusion_counts(y_true, y_pred, thresholds, sample_weight=None, top_k=None, class_id=None):
    """``(tp, fp, tn, fn)``, float64 arrays with one entry per threshold."""
    y_pred = _array(y_pred, np.float32)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, _array(y_true, np.float32))
    if y_true.shape != y_pred.shape:
        raise ValueError(f"`y_true` and `y_pred` must have the same shape. "
                         f"Received: y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}")
    weight = np.ones(y_pred.shape, np.float64)
    if sample_weight is not None:
        per_sample = _array(sample_weight, np.float32)[..., None]
        _, per_sample = squeeze_or_expand_to_same_rank(y_true, per_sample, expand_rank_1=False)
        weight = np.broadcast_to(per_sample, y_pred.shape).astype(np.float64)
    if top_k is not None:
        # Keep each row's k largest predictions; the rest can never be above a threshold.
        kth = -np.sort(-y_pred, axis=-1)[..., top_k - 1: top_k]
        y_pred = np.where(y_pred >= kth, y_pred, -np.inf)
    if class_id is not None:
        if y_pred.ndim < 2:
            raise ValueError("When class_id is provided, y_pred must be a 2D array with shape "
                             f"(num_samples, num_classes), found shape: {y_pred.shape}")
        y_true, y_pred, weight = y_true[..., class_id], y_pred[..., class_id], weight[..., class_id]
    positive = (y_true != 0).ravel()
    scores = y_pred.ravel()
    if sample_weight is None and len(thresholds) == 1:
        # Precision's and Recall's default: one threshold, unit weights. Counting gives the same
        # (whole) numbers as the cumulative sums below, in a third of the numpy calls.
        above = scores > thresholds[0]  # NaN > t is False: never predicted positive
        tp = np.count_nonzero(above & positive)
        fp = np.count_nonzero(above) - tp
        positives = np.count_nonzero(positive)
        negatives = positive.size - positives
        return tuple(np.array([v], np.float64) for v in (tp, fp, negatives - fp, positives - tp))
    weight = weight.ravel()
    # Predictions in ascending order; the weight above threshold t is the total less the
    # cumulative weight up to the last prediction <= t: one sort, not a thresholds x samples table.
    scores = np.where(np.isnan(scores), -np.inf, scores)  # NaN > t is False: never predicted positive
    order = np.argsort(scores, kind="stable")
    ranked = scores[order]
    at_or_below = np.searchsorted(ranked, thresholds, side="right")
    counts = []
    for weights in (weight * positive, weight * ~positive):
        cumulative = np.concatenate([[0.0], np.cumsum(weights[order])])
        counts.append(cumulative[-1] - cumulative[at_or_below])
    (tp, fp), positives, negatives = counts, np.sum(weight * positive), np.sum(weight * ~positive)
    return tp, fp, negatives - fp, positives - tp


class _ThresholdMetric(Metric):
    """Two confusion counts per threshold, named as Keras names them."""

    _counts = ()  # of ("true_positives", "false_positives", "true_negatives", "false_negatives")

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k, self.class_id = top_k, class_id
        # With top_k every kept prediction is positive: a threshold below any value.
        self.thresholds = _thresholds(thresholds, 0.5 if top_k is None else -np.inf)
        for count in self._counts:
            setattr(self, count, self.add_variable((len(self.thresholds),), dtype="float64", name=count))

    def update_state(self, y_true, y_pred, sample_weight=None):
        tp, fp, tn, fn = confusion_counts(y_true, y_pred, self.thresholds, sample_weight, self.top_k,
                                          self.class_id)
        counts = {"true_positives": tp, "false_positives": fp, "true_negatives": tn, "false_negatives": fn}
        for count in self._counts:
            getattr(self, count)._value[...] += counts[count]

    def _result(self, value):
        value = value.astype(np.float32)
        return Tensor(value[0] if self.init_thresholds is None or np.ndim(self.init_thresholds) == 0 else value)

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


class Precision(_ThresholdMetric):
    """``tp / (tp + fp)``: the share of positive predictions that were right (0 before any).

    Args:
        thresholds: one float in [0, 1] (default 0.5; the result is a scalar) or a list (the
            result has one value per threshold).
        top_k: count only each row's k largest predictions as positive.
        class_id: look at one column of a multi-class prediction.

    Example:
        >>> m = keras.metrics.Precision()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
        >>> round(float(m.result()), 4)
        0.6667
    """

    _counts = ("true_positives", "false_positives")

    def result(self):
        return self._result(_ratio(self.true_positives._value, self.true_positives._value
                                   + self.false_positives._value))


class Recall(_ThresholdMetric):
    """``tp / (tp + fn)``: the share of positive labels predicted positive (0 before any).
    Arguments as ``Precision``'s."""

    _counts = ("true_positives", "false_negatives")

    def result(self):
        return self._result(_ratio(self.true_positives._value, self.true_positives._value
                                   + self.false_negatives._value))


class AUC(Metric):
    """The area under the ROC or precision-recall curve, from confusion counts at
    ``num_thresholds`` thresholds evenly spaced over [0, 1] (or at ``thresholds``).

    Args:
        num_thresholds: how many thresholds (at least 2), the end ones just outside [0, 1].
        curve: ``"ROC"`` or ``"PR"``.
        summation_method: ``"interpolation"`` (trapezoids; for PR, Davis and Goadrich's
            interpolation), ``"minoring"`` or ``"majoring"`` (left or right Riemann sums).
        thresholds: explicit thresholds in [0, 1], used instead of ``num_thresholds``.
        from_logits: ``y_pred`` are logits (a sigmoid is applied first).

    Raises:
        ValueError: a bad curve, summation method or threshold count, or ``multi_label=True``
            (not supported: every label is pooled into one curve).

    Example:
        >>> m = keras.metrics.AUC()
        >>> m.update_state([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
        >>> round(float(m.result()), 3)
        0.75
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None,
                 dtype=None, thresholds=None, multi_label=False, num_labels=None, label_weights=None,
                 from_logits=False):
        super().__init__(name=name, dtype=dtype)
        if str(curve).upper() not in ("ROC", "PR"):
            raise ValueError(f'Invalid AUC curve value: "{curve}". Expected values are ["ROC", "PR"]')
        if str(summation_method).lower() not in ("interpolation", "minoring", "majoring"):
            raise ValueError(f'Invalid AUC summation method value: "{summation_method}". Expected values are '
                             '["interpolation", "majoring", "minoring"]')
        if multi_label or label_weights is not None:
            raise ValueError("AUC: `multi_label=True` and `label_weights` are not supported; every label "
                             f"is pooled into one curve. Received: multi_label={multi_label}")
        if thresholds is not None:
            inner = np.sort(_thresholds(thresholds, None))
        else:
            if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, int) or num_thresholds <= 1:
                raise ValueError(f"Argument `num_thresholds` must be an integer > 1. "
                                 f"Received: num_thresholds={num_thresholds!r}")
            inner = np.arange(1, num_thresholds - 1, dtype=np.float64) / (num_thresholds - 1)
        self.thresholds = np.concatenate([[0.0 - _EPSILON], inner, [1.0 + _EPSILON]]).astype(np.float32)
        self.num_thresholds = len(self.thresholds)
        self.curve, self.summation_method = str(curve).upper(), str(summation_method).lower()
        self.from_logits, self.num_labels = from_logits, num_labels
        self._init_thresholds = thresholds
        for count in ("true_positives", "false_positives", "true_negatives", "false_negatives"):
            setattr(self, count, self.add_variable((self.num_thresholds,), dtype="float64", name=count))

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = _array(y_pred, np.float32)
        # As Keras: predictions outside [0, 1] (logits given without from_logits) are clipped, so
        # the outer thresholds -1e-7 and 1 + 1e-7 still bound every prediction.
        y_pred = _sigmoid(y_pred) if self.from_logits else np.clip(y_pred, 0.0, 1.0)
        tp, fp, tn, fn = confusion_counts(y_true, y_pred, self.thresholds, sample_weight)
        self.true_positives._value[...] += tp
        self.false_positives._value[...] += fp
        self.true_negatives._value[...] += tn
        self.false_negatives._value[...] += fn

    def _interpolated_pr_auc(self, tp, fp, fn):
        # Davis & Goadrich (2006): precision varies along the segment between two thresholds as
        # tp = slope * p + intercept (p = tp + fp), which integrates in closed form.
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        slope = _ratio(dtp, np.maximum(p[:-1] - p[1:], 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        p_ratio = np.where(both, _ratio(p[:-1], np.maximum(p[1:], 0)), 1.0)
        with np.errstate(divide="ignore"):
            log_ratio = np.log(np.where(p_ratio > 0, p_ratio, 1.0))
        return np.sum(_ratio(slope * (dtp + intercept * log_ratio), np.maximum(tp[1:] + fn[1:], 0)))

    def result(self):
        tp, fp = self.true_positives._value, self.false_positives._value
        tn, fn = self.true_negatives._value, self.false_negatives._value
        if self.curve == "PR" and self.summation_method == "interpolation":
            return Tensor(np.float32(self._interpolated_pr_auc(tp, fp, fn)))
        recall = _ratio(tp, tp + fn)
        x, y = (_ratio(fp, fp + tn), recall) if self.curve == "ROC" else (recall, _ratio(tp, tp + fp))
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return Tensor(np.float32(np.sum((x[:-1] - x[1:]) * heights)))

    def get_config(self):
        config = {**super().get_config(), "num_thresholds": self.num_thresholds, "curve": self.curve,
                  "summation_method": self.summation_method, "multi_label": False, "num_labels": self.num_labels,
                  "label_weights": None, "from_logits": self.from_logits}
        if self._init_thresholds is not None:
            config["thresholds"] = sorted(float(t) for t in np.ravel(self._init_thresholds))
        return config
