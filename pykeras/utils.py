"""``pykeras.utils``: helpers Keras users reach for."""
import numpy as np

from pykeras.config import set_random_seed
from pykeras.models.data import pack_x_y_sample_weight, unpack_x_y_sample_weight
from pykeras.models.py_dataset import PyDataset, Sequence
from pykeras.saving.serialization import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)

__all__ = [
    "CustomObjectScope", "PyDataset", "Sequence", "custom_object_scope", "get_custom_objects", "get_registered_name", "get_registered_object",
    "normalize", "pack_x_y_sample_weight", "register_keras_serializable", "set_random_seed", "to_categorical",
    "unpack_x_y_sample_weight",
]


def to_categorical(x, num_classes=None):
    """One-hot rows of integer class labels: shape ``x.shape + (num_classes,)`` (a trailing axis
    of 1 is dropped first, as in Keras), float32 (Keras returns float64; pykeras trains in float32).

    Args:
        x: integer labels (or whole-valued floats) in ``[0, num_classes)``.
        num_classes: defaults to ``max(x) + 1``.

    Raises:
        ValueError: a label out of range or not a whole number (Keras maps -1 to the last class).

    Example:
        >>> keras.utils.to_categorical([0, 2], 3)
        array([[1., 0., 0.],
               [0., 0., 1.]], dtype=float32)
    """
    labels = np.asarray(x)
    if labels.dtype.kind not in "iuf" or (labels.dtype.kind == "f" and not np.all(np.mod(labels, 1) == 0)):
        raise ValueError(f"to_categorical: expected integer class labels. Received: {labels.dtype} values "
                         f"{labels.ravel()[:5].tolist()}")
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels[..., 0]
    labels = labels.astype(np.int64)
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise ValueError(f"to_categorical: `num_classes` must be a positive integer. Received: {num_classes!r}")
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        bad = labels[(labels < 0) | (labels >= num_classes)].ravel()[0]
        raise ValueError(f"to_categorical: labels must be in [0, {num_classes}). Received: a label {bad}")
    return np.eye(num_classes, dtype=np.float32)[labels]


def normalize(x, axis=-1, order=2):
    """``x`` divided by its ``order``-norm along ``axis`` (a zero norm leaves the slice as is),
    as ``keras.utils.normalize`` does for arrays."""
    array = np.asarray(x._value if hasattr(x, "_value") else x)
    norm = np.atleast_1d(np.linalg.norm(array, order, axis))
    norm[norm == 0] = 1
    return array / np.expand_dims(norm, axis)
