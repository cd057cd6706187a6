"""The Callback base class: every hook the training, evaluation and predict loops call."""


class Callback:
    """Base class for objects that hook into ``fit``, ``evaluate`` and ``predict``.

    Subclass it and override the hooks you need. The loops call them with the
    0-based epoch or batch index and a ``logs`` dict of floats: running means of
    the loss and metrics in batch hooks; the epoch's results (validation ones
    prefixed with ``val_``) in ``on_epoch_end``.

    Attributes:
        model: the model being trained, set by ``set_model``.
        params: a dict of loop parameters (``verbose``, ``epochs``, ``steps``), set by
            ``set_params``.

    Example:
        >>> class PrintLoss(keras.callbacks.Callback):
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         print(epoch, logs["loss"])
        >>> model.fit(x, y, callbacks=[PrintLoss()])
    """

    def __init__(self):
        self.params = None
        self._model = None

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self._model = model

    @property
    def model(self):
        return self._model

    # Older names kept by Keras: the train-batch hooks call them by default.
    def on_batch_begin(self, batch, logs=None):
        """Alias of ``on_train_batch_begin``, kept for backward compatibility."""

    def on_batch_end(self, batch, logs=None):
        """Alias of ``on_train_batch_end``, kept for backward compatibility."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of an epoch (training only)."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of an epoch with its results, validation ones prefixed ``val_``."""

    def on_train_batch_begin(self, batch, logs=None):
        """Called before a training batch."""
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        """Called after a training batch with the epoch's running results."""
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        """Called before a batch of ``evaluate`` (or of validation in ``fit``)."""

    def on_test_batch_end(self, batch, logs=None):
        """Called after a batch of ``evaluate`` with the running results."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before a batch of ``predict``."""

    def on_predict_batch_end(self, batch, logs=None):
        """Called after a batch of ``predict``; ``logs["outputs"]`` holds its outputs."""

    def on_train_begin(self, logs=None):
        """Called once before training."""

    def on_train_end(self, logs=None):
        """Called once after training with the last epoch's logs."""

    def on_test_begin(self, logs=None):
        """Called once before evaluation or validation."""

    def on_test_end(self, logs=None):
        """Called once after evaluation or validation with its results."""

    def on_predict_begin(self, logs=None):
        """Called once before prediction."""

    def on_predict_end(self, logs=None):
        """Called once after prediction."""
