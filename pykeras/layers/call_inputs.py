"""What a layer call receives: converting inputs to tensors, their shapes, their leaves."""
import numpy as np

from pykeras.ops.core import convert_to_tensor
from pykeras.tensor import Tensor


def shape_of(inputs):
    """The shape, or nested list of shapes, of a call's first argument."""
    if isinstance(inputs, (list, tuple)):
        return [shape_of(x) for x in inputs]
    if isinstance(inputs, dict):
        return {key: shape_of(x) for key, x in inputs.items()}
    return tuple(np.shape(inputs))


def _is_number_tree(value):
    if isinstance(value, (list, tuple)):
        return all(_is_number_tree(item) for item in value)
    return isinstance(value, (bool, int, float, np.number))


def to_tensors(inputs, owner="layer"):
    """A call's inputs as tensors: arrays and numbers convert, a nested list of
    numbers is one tensor, lists/tuples/dicts of arrays stay structures (several
    inputs); anything else is refused with a clear error."""
    if isinstance(inputs, Tensor):
        return inputs
    if isinstance(inputs, (np.ndarray, np.generic, bool, int, float)):
        return convert_to_tensor(inputs)
    if isinstance(inputs, (list, tuple)):
        if inputs and _is_number_tree(inputs):
            return convert_to_tensor(np.asarray(inputs))
        return type(inputs)(to_tensors(item, owner) for item in inputs)
    if isinstance(inputs, dict):
        return {key: to_tensors(item, owner) for key, item in inputs.items()}
    raise TypeError(
        f"Layer '{owner}' expects tensors as inputs: numpy arrays, pykeras tensors, numbers, "
        f"or lists/dicts of them. Received: {type(inputs).__name__}"
    )


def flat_inputs(inputs):
    if isinstance(inputs, (list, tuple)):
        return [leaf for x in inputs for leaf in flat_inputs(x)]
    if isinstance(inputs, dict):
        return [leaf for x in inputs.values() for leaf in flat_inputs(x)]
    return [inputs]
