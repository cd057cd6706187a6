"""TerminateOnNaN: stop training at the first batch whose loss is NaN or infinite."""
import math

from pykeras.callbacks.callback import Callback
from pykeras.progbar import print_msg


class TerminateOnNaN(Callback):
    """Stops training when a batch's loss is NaN or +/-inf.

    It prints ``Batch <n>: Invalid loss, terminating training`` and sets
    ``model.stop_training = True``, so the loop ends and ``on_train_end`` still runs.

    Args:
        raise_error: raise a ``RuntimeError`` at once instead (other callbacks'
            ``on_train_end`` then does not run).

    Example:
        >>> model.fit(x, y, callbacks=[keras.callbacks.TerminateOnNaN()])
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(float(loss)):
            return
        if self.raise_error:
            raise RuntimeError(
                f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. "
                "Terminating training immediately."
            )
        print_msg(f"Batch {batch}: Invalid loss, terminating training\n")
        self.model.stop_training = True
