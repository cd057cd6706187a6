"""``keras.callbacks``: hooks into ``fit``, ``evaluate`` and ``predict`` (those ``fit`` does not
add itself are imported on first use: lazy_exports.py)."""
from pykeras.callbacks.callback import Callback
from pykeras.callbacks.callback_list import CallbackList
from pykeras.callbacks.history import History
from pykeras.callbacks.progbar_logger import ProgbarLogger
from pykeras.lazy_exports import lazy_exports

_LAZY, __getattr__ = lazy_exports(__name__, {
    "csv_logger": ("CSVLogger",),
    "early_stopping": ("EarlyStopping",),
    "lambda_callback": ("LambdaCallback",),
    "learning_rate_scheduler": ("LearningRateScheduler",),
    "model_checkpoint": ("ModelCheckpoint",),
    "monitor_callback": ("MonitorCallback",),
    "reduce_lr_on_plateau": ("ReduceLROnPlateau",),
    "terminate_on_nan": ("TerminateOnNaN",),
})

__all__ = [
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "MonitorCallback",
    "ProgbarLogger",
    "ReduceLROnPlateau",
    "TerminateOnNaN",
]


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
