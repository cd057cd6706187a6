"""ProgbarLogger: drives the progress bar from the loop's hooks."""
from pykeras.callbacks.callback import Callback
from pykeras.progbar import Progbar, print_msg


class ProgbarLogger(Callback):
    """Prints the progress bar and metrics to stdout.

    ``fit``, ``evaluate`` and ``predict`` add one when ``verbose`` is not 0; its
    settings come from the loop's params (``verbose``, ``epochs``, ``steps``).
    Inside ``fit`` the validation pass is silent: its results appear, with a
    ``val_`` prefix, on the epoch's final line.
    """

    def __init__(self):
        super().__init__()
        self.seen = 0
        self.progbar = None
        self.target = None
        self.verbose = 1
        self.epochs = 1
        self._called_in_fit = False
        self._batch_logs_read = True  # False between draws_next_batch() saying no and the batch's end

    def set_params(self, params):
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else verbose
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def on_train_begin(self, logs=None):
        self._called_in_fit = True  # validation inside fit draws nothing

    def on_train_end(self, logs=None):
        self._called_in_fit = False

    def on_test_begin(self, logs=None):
        if not self._called_in_fit:
            self._reset_progbar()

    def on_predict_begin(self, logs=None):
        self._reset_progbar()

    def on_epoch_begin(self, epoch, logs=None):
        self._reset_progbar()
        if self.verbose and self.epochs > 1:
            print_msg(f"Epoch {epoch + 1}/{self.epochs}\n")

    def on_train_batch_end(self, batch, logs=None):
        if self._batch_logs_read:
            self._update_progbar(batch, logs)
        else:  # counted; the next batch whose logs are read redraws
            self.seen = batch + 1
        self._batch_logs_read = True

    def draws_next_batch(self):
        """Whether the training batch now ending redraws the bar. The loop asks before it reads
        the batch's logs, and reads them only then."""
        self._maybe_init_progbar()
        self._batch_logs_read = self.progbar.due()
        return self._batch_logs_read

    def on_test_batch_end(self, batch, logs=None):
        if not self._called_in_fit:
            self._update_progbar(batch, logs)

    def draws_test_batches(self):
        """Whether evaluation batches redraw the bar: not those of a fit's validation."""
        return not self._called_in_fit

    def on_predict_batch_end(self, batch, logs=None):
        self._update_progbar(batch, None)  # never show the predicted outputs

    def on_epoch_end(self, epoch, logs=None):
        self._finalize_progbar(logs)

    def on_test_end(self, logs=None):
        if not self._called_in_fit:
            self._finalize_progbar(logs)

    def on_predict_end(self, logs=None):
        self._finalize_progbar(logs)

    def _reset_progbar(self):
        """A fresh bar, its clock started now (the epoch's or pass's start)."""
        self.seen = 0
        self.progbar = None
        self._maybe_init_progbar()

    def _maybe_init_progbar(self):
        if self.progbar is None:
            # The loop already passes running means: show them as given.
            self.progbar = Progbar(target=self.target, verbose=self.verbose,
                                   stateless_metrics=(), unit_name="step")

    def _update_progbar(self, batch, logs):
        self._maybe_init_progbar()
        self.seen = batch + 1
        if self.verbose == 1:
            self.progbar.update(self.seen, list((logs or {}).items()), finalize=False)

    def _finalize_progbar(self, logs):
        self._maybe_init_progbar()
        if self.target is None:  # learned from the first epoch, used by the next ones
            self.target = self.seen
            self.progbar.target = self.target
        self.progbar.update(self.progbar.target, list((logs or {}).items()), finalize=True)
