"""Turning fit/evaluate/predict arguments into contiguous float32 batches.

Inputs may be numpy arrays of any numeric dtype, nested lists, pykeras
tensors, or a list/tuple/dict of those for models with several inputs.
Each batch is gathered once per step with one fancy-index per array.
"""
import math

import numpy as np

from pykeras import _core
from pykeras.tensor import Tensor


def to_arrays(data, what):
    """Converts ``data`` (array-like or a list/tuple/dict of them) to numpy arrays."""
    if data is None:
        return None
    if isinstance(data, dict):
        return {key: _to_array(value, f"{what}[{key!r}]") for key, value in data.items()}
    if isinstance(data, (list, tuple)) and any(isinstance(v, (np.ndarray, Tensor)) for v in data):
        # A list of arrays feeds a model with several inputs (or outputs).
        return [_to_array(value, f"{what}[{i}]") for i, value in enumerate(data)]
    return _to_array(data, what)


def _to_array(value, what):
    if isinstance(value, Tensor):
        value = value._value
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{what}: expected an array-like of numbers. Received: {error}") from None
    if array.dtype.kind == "f":
        return array if array.dtype == np.float32 else array.astype(np.float32)
    if array.dtype.kind in "iub":
        return array
    raise ValueError(
        f"{what}: expected numbers (float, int or bool). Received: an array of dtype {array.dtype}"
    )


def flatten(data):
    if data is None:
        return []
    if isinstance(data, dict):
        return list(data.values())
    if isinstance(data, list):
        return data
    return [data]


def num_samples(*datas):
    """The common first dimension of every array, or a ValueError naming the sizes."""
    sizes = {}
    for name, data in datas:
        for array in flatten(data):
            if array.ndim == 0:
                raise ValueError(f"{name}: expected arrays with a batch dimension. Received: a scalar")
            sizes.setdefault(name, set()).add(len(array))
    distinct = {size for group in sizes.values() for size in group}
    if len(distinct) > 1:
        detail = ", ".join(f"{name} sizes: {sorted(group)}" for name, group in sizes.items())
        raise ValueError(
            f"Data cardinality is ambiguous: all arrays must have the same number of samples. {detail}"
        )
    return distinct.pop() if distinct else 0


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """The ``data`` a step method receives, as Keras forms it: ``x`` alone (``(x,)`` when ``x``
    is itself a list or tuple of inputs), ``(x, y)``, or ``(x, y, sample_weight)``."""
    if y is None:
        return (x,) if isinstance(x, (list, tuple)) else x
    return (x, y) if sample_weight is None else (x, y, sample_weight)


def unpack_x_y_sample_weight(data):
    """``(x, y, sample_weight)`` from ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``,
    with None for what is not there."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if 1 <= len(data) <= 3:
        return data + (None,) * (3 - len(data))
    raise ValueError(
        "Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`. "
        f"Received: a tuple of length {len(data)}"
    )


def take(data, index):
    """Rows ``index`` (a slice or an index array) of every array in ``data``."""
    if data is None:
        return None
    if isinstance(data, dict):
        return {key: _rows(array, index) for key, array in data.items()}
    if isinstance(data, list):
        return [_rows(array, index) for array in data]
    return _rows(data, index)


def _rows(array, index):
    # A shuffled batch of a large dataset is a gather of rows scattered through memory: the native
    # copy runs it on every thread (a 128 x 784 float32 batch in about half numpy's time).
    if type(index) is np.ndarray and index.dtype == np.int64 and array.ndim and array.flags.c_contiguous:
        return _core.take_rows(array, index)
    return array[index]


def split_validation(x, y, sample_weight, validation_split):
    """Keras's rule: the last ``validation_split`` fraction, before any shuffling."""
    if not 0 < validation_split < 1:
        raise ValueError(
            f"`validation_split` must be between 0 and 1 (exclusive). Received: {validation_split}"
        )
    total = num_samples(("x", x), ("y", y))
    split_at = int(math.floor(total * (1.0 - validation_split)))
    if split_at == 0 or split_at == total:
        raise ValueError(
            f"Training data contains {total} samples, which is not sufficient to split it into a "
            f"validation and training set as specified by `validation_split={validation_split}`."
        )
    train = slice(0, split_at)
    valid = slice(split_at, total)
    return (
        (take(x, train), take(y, train), take(sample_weight, train)),
        (take(x, valid), take(y, valid), take(sample_weight, valid)),
    )


def class_weights_to_sample_weights(y, class_weight, sample_weight):
    """Per-sample weights from a ``{class: weight}`` dict (labels or one-hot)."""
    labels = y if isinstance(y, np.ndarray) else None
    if labels is None:
        raise ValueError("`class_weight` is only supported for models with a single output.")
    if labels.ndim > 1 and labels.shape[-1] > 1:
        labels = np.argmax(labels, axis=-1)
    elif labels.ndim > 1:
        labels = labels.reshape(len(labels), -1)[:, 0]
    labels = np.round(labels).astype(np.int64)
    largest = int(labels.max()) if labels.size else -1
    table = np.ones(max(largest + 1, 1), dtype=np.float32)
    for key, weight in class_weight.items():
        if int(key) < 0:
            raise ValueError(f"`class_weight` keys must be non-negative class indices. Received: {key}")
        if int(key) < len(table):
            table[int(key)] = weight
    weights = table[labels]
    if sample_weight is not None:
        weights = weights * np.asarray(sample_weight, dtype=np.float32).reshape(weights.shape)
    return weights


def batches(total, batch_size, shuffle, generator):
    """Yields index selections for each batch: slices in order, or shuffled index arrays."""
    if shuffle:
        order = generator.permutation(total)
        for start in range(0, total, batch_size):
            yield order[start:start + batch_size]
    else:
        for start in range(0, total, batch_size):
            yield slice(start, min(start + batch_size, total))


def check_batch_size(batch_size):
    if batch_size is None:
        return 32
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"`batch_size` must be a positive integer. Received: batch_size={batch_size!r}")
    return int(batch_size)
