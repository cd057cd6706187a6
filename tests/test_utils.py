"""keras.utils.to_categorical against a hand-built one-hot array."""
import numpy as np
import pytest

import pykeras as keras


def _one_hot(labels, classes):
    out = np.zeros(np.shape(labels) + (classes,), np.float32)
    for index, label in np.ndenumerate(labels):
        out[index + (label,)] = 1
    return out


@pytest.mark.parametrize("labels, classes", [
    ([0, 2, 1], None), (np.array([[1, 2], [0, 1]], np.uint8), 4), (np.array([3.0, 0.0]), None), (5, 6),
])
def test_one_hot_rows(labels, classes):
    got = keras.utils.to_categorical(labels, classes)
    want = _one_hot(np.asarray(labels, np.int64), classes or int(np.max(labels)) + 1)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, want)


def test_a_trailing_axis_of_one_is_dropped_as_keras_does():
    assert keras.utils.to_categorical(np.array([[1], [0]]), 3).shape == (2, 3)


@pytest.mark.parametrize("labels, classes, message", [
    ([0, 3], 3, r"labels must be in \[0, 3\). Received: a label 3"),
    ([0, -1], 3, r"labels must be in \[0, 3\). Received: a label -1"),
    ([0.5], 3, "expected integer class labels"),
    ([np.nan], 3, "expected integer class labels"),
    (["a"], 3, "expected integer class labels"),
    ([1], 0, "`num_classes` must be a positive integer. Received: 0"),
])
def test_bad_labels_are_refused_with_what_came(labels, classes, message):
    with pytest.raises(ValueError, match=message):
        keras.utils.to_categorical(labels, classes)


def test_normalize_divides_by_the_norm_and_leaves_zero_rows():
    x = np.array([[3.0, 4.0], [0.0, 0.0], [1.0, -1.0]])
    np.testing.assert_allclose(keras.utils.normalize(x), [[0.6, 0.8], [0.0, 0.0], [2 ** -0.5, -(2 ** -0.5)]])
    np.testing.assert_allclose(keras.utils.normalize(x, axis=0, order=1), x / np.abs(x).sum(0))


def test_the_saving_registry_is_also_under_utils_as_in_keras():
    for name in ("register_keras_serializable", "get_custom_objects", "custom_object_scope", "get_registered_name",
                 "get_registered_object"):
        assert getattr(keras.utils, name) is getattr(keras.saving, name)
