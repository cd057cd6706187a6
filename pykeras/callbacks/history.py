"""History: the per-epoch record that ``fit`` returns."""
from pykeras.callbacks.callback import Callback


class History(Callback):
    """Records the epoch logs: ``history[key]`` is a list with one value per epoch.

    ``fit`` adds one to every run and returns it (it is also ``model.history``).
    Values accumulate across ``fit`` calls on the same instance, as in Keras;
    ``epoch`` lists the epoch indices of the latest run.

    Example:
        >>> history = model.fit(x, y, epochs=3, verbose=0)
        >>> history.history["loss"]
        [0.71, 0.52, 0.40]
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self
