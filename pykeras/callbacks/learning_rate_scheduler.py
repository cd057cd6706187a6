"""LearningRateScheduler: set the learning rate at the start of each epoch from a function."""
import inspect
import numbers

from pykeras.callbacks.callback import Callback
from pykeras.progbar import print_msg


def _wants_the_rate(schedule):
    """Whether ``schedule`` takes ``(epoch, lr)``; Keras's older form takes ``(epoch)`` alone."""
    try:
        parameters = list(inspect.signature(schedule).parameters.values())
    except (TypeError, ValueError):
        return True
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in parameters)


class LearningRateScheduler(Callback):
    """At each epoch's start, sets the optimizer's learning rate to ``schedule(epoch, lr)``
    (epochs count from 0, ``lr`` is the current rate) or ``schedule(epoch)``; at its end,
    records the rate as ``logs["learning_rate"]``.

    The form is read from the function's signature (Keras tries one and falls back to the other
    on a TypeError, which also hides a TypeError raised inside the function).

    Raises:
        ValueError: at an epoch's start, when ``schedule`` returns something other than a number.

    Example:
        >>> halve = keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr if epoch < 10 else lr / 2)
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        if _wants_the_rate(self.schedule):
            rate = self.schedule(epoch, float(self.model.optimizer.learning_rate))
        else:
            rate = self.schedule(epoch)
        if isinstance(rate, bool) or not isinstance(rate, numbers.Real):
            raise ValueError(f"The output of the `schedule` function should be a float. Got: {rate!r}")
        self.model.optimizer.learning_rate = float(rate)
        if self.verbose > 0:
            print_msg(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {float(rate)}.\n")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)
