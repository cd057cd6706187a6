"""MonitorCallback: the shared "is this epoch better?" logic of the monitoring callbacks."""
import warnings

import numpy as np

from pykeras.callbacks.callback import Callback

# Directions of Keras's built-in metrics, by name, for models whose metric objects
# do not carry a `_direction`. A name not found here (nor on the model) in "auto"
# mode is an error, as in Keras: the user must say "min" or "max".
_UP = frozenset({
    "accuracy", "acc", "binary_accuracy", "categorical_accuracy",
    "sparse_categorical_accuracy", "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy", "auc", "precision", "recall", "f1_score",
    "fbeta_score", "iou", "mean_iou", "one_hot_iou", "one_hot_mean_iou", "binary_iou",
    "r2_score", "cosine_similarity", "true_positives", "true_negatives",
    "precision_at_recall", "recall_at_precision", "sensitivity_at_specificity",
    "specificity_at_sensitivity",
})
_DOWN = frozenset({
    "loss", "mean_squared_error", "mse", "mean_absolute_error", "mae",
    "mean_absolute_percentage_error", "mape", "mean_squared_logarithmic_error", "msle",
    "root_mean_squared_error", "binary_crossentropy", "categorical_crossentropy",
    "sparse_categorical_crossentropy", "kl_divergence", "kld", "poisson", "hinge",
    "squared_hinge", "categorical_hinge", "log_cosh_error", "logcosh",
    "false_positives", "false_negatives",
})

_MODES = ("auto", "min", "max")


def _model_metric_directions(model):
    """``{name: "up" | "down"}`` for the model's metric objects that declare one."""
    directions = {}
    pending = list(getattr(model, "metrics", None) or [])
    while pending:
        metric = pending.pop()
        pending.extend(getattr(metric, "metrics", None) or [])  # containers of metrics
        direction = getattr(metric, "_direction", None)
        name = getattr(metric, "name", None)
        if direction in ("up", "down") and isinstance(name, str):
            directions[name] = direction
    return directions


def _check_mode(owner, mode):
    if mode not in _MODES:
        warnings.warn(f"{owner} mode '{mode}' is unknown, fallback to auto mode.", stacklevel=3)
        return "auto"
    return mode


class MonitorCallback(Callback):
    """Base for callbacks that watch one logged quantity and act when it stops improving.

    Args:
        monitor: the logs key to watch, e.g. ``"val_loss"`` or ``"accuracy"``.
        mode: ``"min"``, ``"max"``, or ``"auto"``: minimize losses and error metrics,
            maximize accuracy-like metrics (from the model's metric objects when they
            carry a ``_direction``, else from Keras's built-in metric names).
        baseline: the initial best value; None starts from +/-inf.
        min_delta: the smallest change that counts as an improvement.

    Raises:
        ValueError: in ``"auto"`` mode, at the first epoch end, when the direction
            of ``monitor`` cannot be inferred.
    """

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        self.monitor = monitor
        self.mode = _check_mode(type(self).__name__, mode)
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None

    def _direction(self):
        if self.mode != "auto":
            return "down" if self.mode == "min" else "up"
        name = self.monitor[4:] if self.monitor.startswith("val_") else self.monitor
        if name == "loss":
            return "down"
        direction = _model_metric_directions(self.model).get(name)
        if direction is None:
            direction = "up" if name in _UP else "down" if name in _DOWN else None
        if direction is None:
            raise ValueError(
                f"{type(self).__name__} callback received monitor={self.monitor}, but "
                "pykeras isn't able to automatically determine whether that metric "
                "should be maximized or minimized. Pass `mode='max'` in order to monitor "
                "based on the highest metric value, or pass `mode='min'` in order to use "
                "the lowest value."
            )
        return direction

    def _set_monitor_op(self):
        """Fixes the comparison once the model's metrics exist (at the first epoch end)."""
        if self._direction() == "down":
            self.monitor_op = np.less
            self.min_delta = -abs(self.min_delta)
            if self.best is None:
                self.best = np.inf
        else:
            self.monitor_op = np.greater
            self.min_delta = abs(self.min_delta)
            if self.best is None:
                self.best = -np.inf

    def _is_improvement(self, value, reference):
        if reference is None:
            return True
        return bool(self.monitor_op(value - self.min_delta, reference))
