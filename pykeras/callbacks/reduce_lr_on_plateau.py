"""ReduceLROnPlateau: lower the learning rate when a monitored quantity stops improving."""
import warnings

import numpy as np

from pykeras.callbacks.monitor_callback import MonitorCallback
from pykeras.progbar import print_msg


class ReduceLROnPlateau(MonitorCallback):
    """Multiplies the learning rate by ``factor`` after ``patience`` epochs without improvement.

    Each epoch end it also records the current rate as ``logs["learning_rate"]``
    (so a later History or CSVLogger shows it).

    Args:
        monitor: the logs key to watch. Defaults to ``"val_loss"``.
        factor: the multiplier, below 1: ``new_lr = lr * factor``.
        patience: epochs without improvement before a reduction.
        verbose: 1 prints a line at each reduction.
        mode: ``"auto"``, ``"min"`` or ``"max"`` (see ``MonitorCallback``).
        min_delta: the smallest change that counts as an improvement.
        cooldown: epochs after a reduction during which the count is held at 0.
        min_lr: the rate is never lowered below this.

    Raises:
        ValueError: if ``factor >= 1``.

    Example:
        >>> reduce_lr = keras.callbacks.ReduceLROnPlateau(factor=0.2, patience=5, min_lr=1e-3)
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0):
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise ValueError(
                f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}"
            )
        self.factor = factor
        self.min_lr = min_lr
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self):
        self.cooldown_counter = 0
        self.wait = 0
        if self.monitor_op is not None:
            self.best = None
            self._set_monitor_op()

    def on_train_begin(self, logs=None):
        self._reset()

    def in_cooldown(self):
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        logs = logs if logs is not None else {}
        logs["learning_rate"] = float(self.model.optimizer.learning_rate)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"Learning rate reduction is conditioned on metric `{self.monitor}` which is "
                f"not available. Available metrics are: {','.join(logs.keys())}.",
                stacklevel=2,
            )
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = float(self.model.optimizer.learning_rate)
                if old_lr > np.float32(self.min_lr):
                    new_lr = max(old_lr * self.factor, self.min_lr)
                    self.model.optimizer.learning_rate = new_lr
                    if self.verbose > 0:
                        print_msg(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing "
                               f"learning rate to {new_lr}.\n")
                    self.cooldown_counter = self.cooldown
                    self.wait = 0
