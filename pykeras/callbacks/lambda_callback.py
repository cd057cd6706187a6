"""LambdaCallback: a callback made of plain functions."""
from pykeras.callbacks.callback import Callback

_HOOKS = frozenset(
    name for name in vars(Callback) if name.startswith("on_") and callable(vars(Callback)[name])
)


class LambdaCallback(Callback):
    """Builds a callback from functions, one per hook.

    Each function takes the hook's arguments positionally: ``(epoch, logs)`` for
    ``on_epoch_begin``/``on_epoch_end``, ``(batch, logs)`` for batch hooks, ``(logs)``
    for ``on_train_begin``/``on_train_end`` and the other begin/end hooks. Any
    other hook of ``Callback`` (``on_test_batch_end=...``, ``on_predict_end=...``)
    can be given by keyword too.

    Raises:
        ValueError: on a keyword that is not a Callback hook.

    Example:
        >>> losses = []
        >>> keep = keras.callbacks.LambdaCallback(
        ...     on_epoch_end=lambda epoch, logs: losses.append(logs["loss"]))
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None,
                 **kwargs):
        super().__init__()
        unknown = sorted(set(kwargs) - _HOOKS)
        if unknown:
            raise ValueError(
                f"LambdaCallback: unknown hook names {unknown}; expected some of "
                f"{sorted(_HOOKS)}. Received: {sorted(kwargs)}"
            )
        hooks = dict(kwargs, on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end)
        for name, fn in hooks.items():
            if fn is not None:
                setattr(self, name, fn)
