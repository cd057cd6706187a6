"""Symbolic tensors for the functional API: ``keras.Input`` and layers called on it.

A KerasTensor has a shape (``None`` for the batch) and remembers the Node that
produced it: the layer, the call's arguments and its symbolic inputs. A
functional Model walks these nodes from its outputs back to its inputs.
"""
import numpy as np

from pykeras.nest import flatten, map_structure
from pykeras.tensor import Tensor


class Node:
    """One call of ``layer`` on symbolic ``args``; ``outputs`` is its result."""

    def __init__(self, layer, args, kwargs, outputs):
        self.layer = layer
        self.args = args
        self.kwargs = kwargs
        self.outputs = outputs

    @property
    def input_tensors(self):
        return [x for x in flatten(self.args) if isinstance(x, KerasTensor)]


class KerasTensor:
    """A placeholder with a shape and a dtype, no values."""

    def __init__(self, shape, dtype="float32", name=None, node=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = np.dtype(dtype).name
        self.name = name
        self.node = node

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        name = f", name={self.name}" if self.name else ""
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}{name}>"


def Input(shape=None, batch_size=None, dtype="float32", name=None, batch_shape=None):  # noqa: N802 - Keras's name
    """A symbolic input of the given per-sample ``shape`` (batch excluded).

    Example:
        >>> inputs = keras.Input(shape=(8,))
        >>> outputs = keras.layers.Dense(1)(inputs)
        >>> model = keras.Model(inputs, outputs)
    """
    from pykeras.layers.input_layer import InputLayer

    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name, batch_shape=batch_shape)
    return layer.output


def _concrete(structure, batch):
    """Zeros standing in for symbolic tensors, unknown sizes set to ``batch``."""

    def make(x):
        if isinstance(x, KerasTensor):
            shape = tuple(batch if d is None else d for d in x.shape)
            return Tensor(np.zeros(shape, dtype=x.dtype))
        return x

    return map_structure(make, structure)


def _run(layer, args, kwargs, batch):
    kwargs = dict(kwargs)
    if layer._accepts_training():
        kwargs["training"] = False
    return layer(*_concrete(args, batch), **_concrete(kwargs, batch))


def _merge_shapes(first, second):
    """Sizes that changed with the batch size are unknown (None)."""

    def merge(a, b):
        return KerasTensor(
            tuple(x if x == y else None for x, y in zip(a.shape, b.shape)), a.dtype
        )

    if isinstance(first, (list, tuple)):
        return type(first)(_merge_shapes(a, b) for a, b in zip(first, second))
    if isinstance(first, dict):
        return {key: _merge_shapes(first[key], second[key]) for key in first}
    return merge(first, second)


def call_symbolically(layer, args, kwargs):
    """Calls ``layer`` on KerasTensors: builds it, infers the output specs by
    running it on zeros with two batch sizes, and records the Node."""
    outputs = _merge_shapes(_run(layer, args, kwargs, 1), _run(layer, args, kwargs, 2))
    node = Node(layer, args, kwargs, outputs)
    for index, output in enumerate(flatten(outputs)):
        output.node = node
        output.name = layer.name if index == 0 else f"{layer.name}_{index}"
    record_node(layer, node)
    return outputs


def record_node(layer, node):
    """Keeps ``node`` among the layer's symbolic calls (``layer.input`` / ``layer.output`` read the
    first). Set past Layer's tracking: nodes are not state."""
    nodes = layer.__dict__.get("_inbound_nodes")
    if nodes is None:
        object.__setattr__(layer, "_inbound_nodes", [node])
    else:
        nodes.append(node)


def forget_node(node):
    """Removes ``node`` from its layer's symbolic calls (a Sequential rebuilding its graph)."""
    nodes = node.layer.__dict__.get("_inbound_nodes") or []
    nodes[:] = [other for other in nodes if other is not node]


def infer_output_shape(layer, input_shape):
    """The output shape(s) of ``layer`` for ``input_shape``, by a symbolic call."""

    def spec(shape):
        return KerasTensor(shape)

    if isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], (list, tuple)):
        inputs = [spec(s) for s in input_shape]
    else:
        inputs = spec(input_shape)
    outputs = _merge_shapes(_run(layer, (inputs,), {}, 1), _run(layer, (inputs,), {}, 2))
    return map_structure(lambda t: t.shape, outputs)
