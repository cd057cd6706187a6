"""Cross-entropy losses: per-sample functions and their classes."""
import warnings

import numpy as np

from pykeras import ops
from pykeras.ops.nn import logits_behind
from pykeras.losses.base import (
    EPSILON,
    BuiltinLoss,
    array_of,
    builtin_function,
    check_same_shape,
    float_pair,
    float_tensor,
    set_mask,
    softplus,
)
from pykeras.losses.fused import FUSED_REDUCTIONS, fused_row_weights, output_targets


def _logits_if_known(y_pred, from_logits, activation, loss_name):
    """``(y_pred, from_logits)``, or ``(logits, True)`` when ``y_pred`` is the output of
    ``activation`` over ``logits``. As in Keras's TensorFlow backend: the loss of probabilities
    clipped to [1e-7, 1 - 1e-7] has no gradient for a sample past the clip (the confidently wrong
    ones, which most need it), while the loss from the logits is exact everywhere."""
    logits = logits_behind(y_pred, activation)
    if logits is None:
        return y_pred, from_logits
    if from_logits:
        warnings.warn(
            f"`{loss_name}` received `from_logits=True`, but `y_pred` is the output of a {activation} "
            "activation and so does not hold logits; the loss is computed from that activation's input.",
            stacklevel=3,
        )
    return float_tensor(logits), True


@builtin_function
def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Per-sample binary cross-entropy: the mean over ``axis`` of
    ``-(t log p + (1 - t) log(1 - p))``.

    Probabilities are clipped to ``[1e-7, 1 - 1e-7]``; with ``from_logits`` the
    exact ``softplus(x) - t * x`` is used (Keras's JAX/TF/torch backends), and so it is
    for probabilities that came out of a sigmoid (Keras's TF backend).
    Label smoothing squeezes targets toward 0.5: ``t (1 - s) + s / 2``.
    """
    y_pred, from_logits = _logits_if_known(y_pred, from_logits, "sigmoid", "binary_crossentropy")
    y_true, y_pred = float_pair(y_true, y_pred)
    check_same_shape("binary_crossentropy", y_true, y_pred)
    if label_smoothing:
        y_true = ops.add(ops.multiply(y_true, 1.0 - label_smoothing), 0.5 * label_smoothing)
    if from_logits:
        elementwise = ops.subtract(softplus(y_pred), ops.multiply(y_true, y_pred))
    else:
        p = ops.clip(y_pred, EPSILON, 1.0 - EPSILON)
        elementwise = ops.negative(ops.add(
            ops.multiply(y_true, ops.log(p)),
            ops.multiply(ops.subtract(1.0, y_true), ops.log(ops.subtract(1.0, p))),
        ))
    return ops.mean(elementwise, axis=axis)


def _log_probabilities(y_pred, from_logits, axis):
    if from_logits:
        return ops.log_softmax(y_pred, axis=axis)
    # Keras rescales so each row sums to 1, then clips.
    p = ops.divide(y_pred, ops.sum(y_pred, axis=axis, keepdims=True))
    return ops.log(ops.clip(p, EPSILON, 1.0 - EPSILON))


@builtin_function
def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Per-sample ``-sum(t * log p, axis)`` for one-hot (or soft) targets.

    Label smoothing: ``t (1 - s) + s / num_classes``. Probabilities that came out of a softmax
    over ``axis`` are taken from its logits, as ``binary_crossentropy`` says.
    """
    if isinstance(axis, bool):
        raise ValueError(f"categorical_crossentropy: `axis` must be an int. Received: axis={axis}")
    y_pred = float_tensor(y_pred)
    if axis in (-1, len(y_pred.shape) - 1):
        y_pred, from_logits = _logits_if_known(y_pred, from_logits, "softmax", "categorical_crossentropy")
    y_true = float_tensor(y_true)
    if y_pred.shape and y_pred.shape[-1] == 1:
        warnings.warn(
            "In loss categorical_crossentropy, expected y_pred.shape to be "
            f"(batch_size, num_classes) with num_classes > 1. Received: y_pred.shape={y_pred.shape}. "
            "Consider using 'binary_crossentropy' if you only have 2 classes.",
            SyntaxWarning,
            stacklevel=2,
        )
    check_same_shape("categorical_crossentropy", y_true, y_pred)
    if label_smoothing:
        classes = y_true.shape[-1]
        y_true = ops.add(ops.multiply(y_true, 1.0 - label_smoothing), label_smoothing / classes)
    log_p = _log_probabilities(y_pred, from_logits, axis)
    return ops.negative(ops.sum(ops.multiply(y_true, log_p), axis=axis))


def _sparse_labels(y_true, y_pred):
    """Integer labels shaped like ``y_pred`` minus its last axis."""
    labels = array_of(y_true)
    if labels.ndim == len(y_pred.shape) and labels.ndim and labels.shape[-1] == 1:
        labels = labels.reshape(labels.shape[:-1])
    if labels.dtype.kind == "f":
        whole = np.isfinite(labels) & (labels == np.round(labels))
        if not whole.all():
            bad = labels[~whole].ravel()[:5].tolist()
            raise ValueError(f"sparse_categorical_crossentropy: labels must be whole class numbers. "
                             f"Received: float labels including {bad}")
        labels = labels.astype(np.int64)
    if labels.shape != tuple(y_pred.shape[:-1]):
        raise ValueError(
            "sparse_categorical_crossentropy: `y_true` must have the shape of `y_pred` without "
            "its last axis (or with a last axis of 1). "
            f"Received: y_true.shape={np.shape(array_of(y_true))}, y_pred.shape={y_pred.shape}"
        )
    return labels


def _check_label_range(labels, classes, valid=None):
    checked = labels if valid is None else labels[valid]
    if checked.size and (checked.min() < 0 or checked.max() >= classes):
        raise ValueError(
            f"sparse_categorical_crossentropy: labels must lie in [0, {classes}). "
            f"Received: labels in [{checked.min()}, {checked.max()}]"
        )


@builtin_function
def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Per-sample ``-log p[label]`` for integer labels (any int or float dtype),
    shaped ``(batch,)`` or ``(batch, 1)`` for ``y_pred`` of shape ``(batch, classes)``.

    With ``ignore_class``, those entries get loss 0 and are masked out of the
    mean, as in Keras. Probabilities that came out of a softmax are taken from its logits,
    as ``binary_crossentropy`` says.
    """
    if axis not in (-1, len(np.shape(array_of(y_pred))) - 1):
        raise ValueError(f"sparse_categorical_crossentropy: only the last axis is supported. Received: axis={axis}")
    y_pred, from_logits = _logits_if_known(float_tensor(y_pred), from_logits, "softmax",
                                           "sparse_categorical_crossentropy")
    if not y_pred.shape:
        raise ValueError("sparse_categorical_crossentropy: `y_pred` must be at least rank 1. Received: a scalar")
    labels = _sparse_labels(y_true, y_pred)
    classes = y_pred.shape[-1]
    valid = None
    if ignore_class is not None:
        valid = labels != ignore_class
        labels = np.where(valid, labels, 0)
    _check_label_range(labels, classes, valid)
    log_p = _log_probabilities(y_pred, from_logits, -1)
    rows = ops.reshape(log_p, (-1, classes))
    flat = labels.reshape(-1)
    picked = ops.getitem(rows, (np.arange(flat.shape[0]), flat))
    result = ops.negative(ops.reshape(picked, labels.shape))
    if valid is not None:
        result = ops.where(valid, result, 0.0)
        set_mask(result, valid)
    return result


class _DenseTargetCrossentropy(BuiltinLoss):
    """The binary and categorical cross-entropies: Keras's shared options, and one fused native op
    (``_fused``) for 2-D logits (``from_logits=True``, or the output of ``_activation``) with no
    label smoothing, a mean reduction over the last axis and no sample weights or one per row; its
    gradient comes from the same pass."""

    _activation = None  # whose output the loss reads the logits of

    def __init__(self, fn, from_logits, label_smoothing, axis, reduction, name, dtype):
        super().__init__(fn, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def __call__(self, y_true, y_pred, sample_weight=None):
        if not self.label_smoothing and self.axis in (-1, 1) and self.reduction in FUSED_REDUCTIONS:
            y_pred = float_tensor(y_pred)
            weights = fused_row_weights(sample_weight, y_pred.shape)
            if weights is not False:
                logits, from_logits = _logits_if_known(y_pred, self.from_logits, self._activation, self.name)
                if from_logits:
                    loss = self._fused(y_true, logits, weights)
                    if loss is not None:
                        return loss
        return super().__call__(y_true, y_pred, sample_weight)

    def _fused(self, y_true, logits, weights):
        """The fused op's loss with row ``weights`` (or None), or None when ``y_true`` and
        ``logits`` do not fit it."""
        raise NotImplementedError


class BinaryCrossentropy(_DenseTargetCrossentropy):
    """Binary cross-entropy; see ``binary_crossentropy``. Fused: ``ops.sigmoid_cross_entropy``.

    Example:
        >>> keras.losses.BinaryCrossentropy(from_logits=True)(y, logits)
    """

    _activation = "sigmoid"

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="binary_crossentropy", dtype=None):
        super().__init__(binary_crossentropy, from_logits, label_smoothing, axis, reduction, name, dtype)

    def _fused(self, y_true, logits, weights):
        targets = output_targets(y_true, logits.shape)
        return None if targets is None else ops.sigmoid_cross_entropy(targets, logits, weights)


class CategoricalCrossentropy(_DenseTargetCrossentropy):
    """Categorical cross-entropy for one-hot targets; see ``categorical_crossentropy``. Fused:
    ``ops.softmax_cross_entropy`` (more than one class)."""

    _activation = "softmax"

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_crossentropy", dtype=None):
        super().__init__(categorical_crossentropy, from_logits, label_smoothing, axis, reduction, name, dtype)

    def _fused(self, y_true, logits, weights):
        targets = array_of(y_true)
        if len(logits.shape) != 2 or logits.shape[0] == 0 or logits.shape[1] < 2 or targets.shape != logits.shape:
            return None  # one class: the general path gives Keras's warning
        return ops.softmax_cross_entropy(targets, logits, weights)


class SparseCategoricalCrossentropy(BuiltinLoss):
    """Cross-entropy for integer labels; see ``sparse_categorical_crossentropy``.

    From logits (``from_logits=True``, or probabilities out of a softmax), 2-D, with no
    ``ignore_class``, a mean reduction and no sample weights or one per row, the loss is one fused
    native op (``ops.sparse_softmax_cross_entropy``) whose gradient comes from the same pass.
    """

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
                 name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(sparse_categorical_crossentropy, name=name, reduction=reduction,
                         dtype=dtype, from_logits=from_logits, ignore_class=ignore_class)
        self.from_logits = from_logits
        self.ignore_class = ignore_class

    def call(self, y_true, y_pred):
        # Labels keep their own shape: (batch,) and (batch, 1) are both valid.
        return sparse_categorical_crossentropy(y_true, y_pred, **self._fn_kwargs)

    def __call__(self, y_true, y_pred, sample_weight=None):
        if self.ignore_class is None and self.reduction in FUSED_REDUCTIONS:
            y_pred = float_tensor(y_pred)
            weights = fused_row_weights(sample_weight, y_pred.shape)
            if weights is not False:
                logits, from_logits = _logits_if_known(y_pred, self.from_logits, "softmax", self.name)
                if from_logits and len(logits.shape) == 2 and logits.shape[0] > 0:
                    # The native op checks the label range itself.
                    return ops.sparse_softmax_cross_entropy(_sparse_labels(y_true, logits), logits, weights)
        return super().__call__(y_true, y_pred, sample_weight)
