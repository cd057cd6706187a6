"""Where fit, evaluate and predict take their batches from: arrays, sliced here, or a
``keras.utils.PyDataset`` or a Python iterator (a generator), which yield them ready-made."""
import collections.abc
import itertools
import warnings

from pykeras import config
from pykeras.models import data as data_utils
from pykeras.models.py_dataset import PyDataset


def is_dataset(x):
    """A PyDataset or an iterator: the batches come made. (Lists, tuples and dicts are several
    inputs, not batches.)"""
    return isinstance(x, (PyDataset, collections.abc.Iterator))


def refuse_beside_dataset(what, **arguments):
    given = [name for name, value in arguments.items()
             if value is not None and not (isinstance(value, (bool, int, float)) and not value)]
    if given:
        raise ValueError(
            f"{what}: with `x` a PyDataset or a generator, the batches hold the targets and weights; "
            f"{', '.join(f'`{name}`' for name in given)} cannot be given as well."
        )


class ArrayBatches:
    """Rows of arrays, ``batch_size`` at a time, in order or shuffled."""

    def __init__(self, x, y, sample_weight, batch_size, steps=None):
        self._arrays = (x, y, sample_weight)
        self.total = data_utils.num_samples(("x", x), ("y", y), ("sample_weight", sample_weight))
        self._batch_size = batch_size
        self.steps = steps or -(-self.total // batch_size)

    def epoch(self, shuffle=False):
        x, y, sample_weight = self._arrays
        generator = config.random_generator() if shuffle else None
        selections = data_utils.batches(self.total, self._batch_size, shuffle, generator)
        for index in itertools.islice(selections, self.steps):
            yield data_utils.take(x, index), data_utils.take(y, index), data_utils.take(sample_weight, index)


class DatasetBatches:
    """The batches of a PyDataset (each index once an epoch) or of an iterator (continued from one
    epoch to the next, ``steps`` at a time, or to its end), as ``(x, y, sample_weight)`` arrays."""

    def __init__(self, data, what, steps=None, class_weight=None):
        self._data = data
        self._what = what
        self._class_weight = class_weight
        self._indexed = isinstance(data, PyDataset)
        self.steps = min(len(data), steps) if self._indexed and steps else len(data) if self._indexed else steps

    def epoch(self, shuffle=False):
        if self._indexed:
            self._data.on_epoch_begin()
            count = len(self._data)
            order = config.random_generator().permutation(count) if shuffle else range(count)
            for index in itertools.islice(order, self.steps):
                yield self._arrays(self._data[int(index)])
            self._data.on_epoch_end()
        else:
            for batch in itertools.islice(self._data, self.steps):
                yield self._arrays(batch)

    def _arrays(self, batch):
        x, y, sample_weight = data_utils.unpack_x_y_sample_weight(batch)
        what = f"{self._what}: a batch's"
        x, y = data_utils.to_arrays(x, f"{what} x"), data_utils.to_arrays(y, f"{what} y")
        sample_weight = data_utils.to_arrays(sample_weight, f"{what} sample_weight")
        if self._class_weight is not None:
            sample_weight = data_utils.class_weights_to_sample_weights(y, self._class_weight, sample_weight)
        return x, y, sample_weight


def warn_out_of_data(what):
    warnings.warn(
        f"{what}: the input ran out of data. A generator must yield at least `steps * epochs` batches "
        "(or be given for one epoch without steps).",
        UserWarning,
        stacklevel=3,
    )
