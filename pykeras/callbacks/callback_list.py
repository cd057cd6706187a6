"""CallbackList: calls every callback's hook in order, from one place in the loop."""
from pykeras.callbacks.callback import Callback
from pykeras.callbacks.history import History
from pykeras.callbacks.progbar_logger import ProgbarLogger


def _flatten(callbacks):
    if callbacks is None:
        return []
    if not isinstance(callbacks, (list, tuple)):
        return [callbacks]
    flat = []
    for item in callbacks:
        flat.extend(_flatten(item))
    return flat


def _listens(callback, hook, alias=None):
    """Whether ``callback`` does anything on ``hook`` (itself or via its old alias, if it has one)."""
    for name in (hook,) if alias is None else (hook, alias):
        method = getattr(callback, name)
        if getattr(method, "__func__", None) is not getattr(Callback, name):
            return True
    return False


def _val_last(item):
    return item[0].startswith("val_"), item[0]


def _pythonify_logs(logs, order=None):
    """Sorted by key (``order`` gives the sort key of an item), nested dicts flattened,
    numbers (numpy scalars, 0-d arrays) as Python floats."""
    result = {}
    for key, value in sorted(logs.items(), key=order):
        if isinstance(value, dict):
            result.update(_pythonify_logs(value, order))
            continue
        if not isinstance(value, (str, bytes)):
            try:
                value = float(value)
            except (TypeError, ValueError):
                pass
        result[key] = value
    return result


class CallbackList(Callback):
    """The callbacks of one ``fit``, ``evaluate`` or ``predict`` call, called as one.

    Args:
        callbacks: a Callback, or a (nested) list of them, or None.
        add_history: append a ``History`` unless ``callbacks`` has one.
        add_progbar: append a ``ProgbarLogger`` unless ``callbacks`` has one.
        model: the model, given to every callback with ``set_model``; when a History
            is present it also becomes ``model.history``.
        **params: the loop's parameters (``verbose``, ``epochs``, ``steps``), given to
            every callback with ``set_params``.

    Raises:
        TypeError: if an item of ``callbacks`` is not a ``Callback``.

    As in Keras, callbacks see logs in a fixed order whatever order the loop built
    them in: batch logs sorted by key, epoch and end-of-pass logs sorted with the
    ``val_`` keys last (``accuracy, loss, val_accuracy, val_loss``), numbers as
    Python floats. All callbacks of one hook share one logs dict, so a key one
    adds (ReduceLROnPlateau's ``learning_rate``) is seen by those after it.

    Example:
        >>> callbacks = CallbackList([EarlyStopping()], add_history=True, model=model,
        ...                          verbose=0, epochs=10, steps=32)
        >>> callbacks.on_train_begin()
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        super().__init__()
        self.callbacks = _flatten(callbacks)
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(
                    "CallbackList: every callback must be a `keras.callbacks.Callback`. "
                    f"Received: {callback!r} of type {type(callback).__name__}"
                )
        self._history = next((c for c in self.callbacks if isinstance(c, History)), None)
        self._progbar = next((c for c in self.callbacks if isinstance(c, ProgbarLogger)), None)
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)
        self.set_model(model)
        self.set_params(params)
        self._index_batch_hooks()

    def _index_batch_hooks(self):
        # The fit loop runs thousands of batches a second: call only the
        # callbacks that override a batch hook, and let the loop skip
        # computing batch logs that nobody reads.
        self._train_batch_begin = [c for c in self.callbacks
                                   if _listens(c, "on_train_batch_begin", "on_batch_begin")]
        self._train_batch_end = [c for c in self.callbacks
                                 if _listens(c, "on_train_batch_end", "on_batch_end")]
        # The built-in progress bar alone reads a batch's logs only when it redraws (a few times a
        # second, or never off a terminal); any other listener reads every batch's.
        ends = self._train_batch_end
        self._only_the_bar = len(ends) == 1 and type(ends[0]) is ProgbarLogger
        self._test_batch_begin = [c for c in self.callbacks if _listens(c, "on_test_batch_begin")]
        self._test_batch_end = [c for c in self.callbacks if _listens(c, "on_test_batch_end")]

    def wants_train_batch_logs(self):
        """True when some callback will read the logs of the training batch now ending."""
        if self._only_the_bar:
            return self._train_batch_end[0].draws_next_batch()
        return bool(self._train_batch_end)

    def wants_test_batch_logs(self):
        """True when some callback will read the logs of the evaluation batch now ending (a fit's
        progress bar draws none of its validation batches)."""
        return any(type(c) is not ProgbarLogger or c.draws_test_batches() for c in self._test_batch_end)

    @property
    def history(self):
        """The ``History`` callback in this list, or None."""
        return self._history

    def append(self, callback):
        self.callbacks.append(callback)
        self._index_batch_hooks()

    def set_params(self, params):
        self.params = params
        if params:
            for callback in self.callbacks:
                callback.set_params(params)

    def set_model(self, model):
        if model is None:
            return
        super().set_model(model)
        if self._history is not None:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self):
        return len(self.callbacks)

    # -------------------------------------------------------------- hooks

    def _call(self, hook, *args, logs=None):
        logs = logs or {}
        for callback in self.callbacks:
            getattr(callback, hook)(*args, logs)

    def on_train_begin(self, logs=None):
        self._call("on_train_begin", logs=logs)

    def on_train_end(self, logs=None):
        self._call("on_train_end", logs=_pythonify_logs(logs or {}, _val_last))

    def on_test_begin(self, logs=None):
        self._call("on_test_begin", logs=logs)

    def on_test_end(self, logs=None):
        self._call("on_test_end", logs=_pythonify_logs(logs or {}, _val_last))

    def on_predict_begin(self, logs=None):
        self._call("on_predict_begin", logs=logs)

    def on_predict_end(self, logs=None):
        self._call("on_predict_end", logs=logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._call("on_epoch_begin", epoch, logs=logs)

    def on_epoch_end(self, epoch, logs=None):
        self._call("on_epoch_end", epoch, logs=_pythonify_logs(logs or {}, _val_last))

    def on_batch_begin(self, batch, logs=None):
        self._call("on_batch_begin", batch, logs=logs)

    def on_batch_end(self, batch, logs=None):
        self._call("on_batch_end", batch, logs=_pythonify_logs(logs or {}))

    def on_train_batch_begin(self, batch, logs=None):
        for callback in self._train_batch_begin:
            callback.on_train_batch_begin(batch, logs or {})

    def on_train_batch_end(self, batch, logs=None):
        if self._train_batch_end:
            logs = _pythonify_logs(logs or {})
            for callback in self._train_batch_end:
                callback.on_train_batch_end(batch, logs)

    def on_test_batch_begin(self, batch, logs=None):
        for callback in self._test_batch_begin:
            callback.on_test_batch_begin(batch, logs or {})

    def on_test_batch_end(self, batch, logs=None):
        if self._test_batch_end:
            logs = _pythonify_logs(logs or {})
            for callback in self._test_batch_end:
                callback.on_test_batch_end(batch, logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._call("on_predict_batch_begin", batch, logs=logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._call("on_predict_batch_end", batch, logs=logs)  # outputs stay arrays
