"""A subclassed model's training call, traced early in each ``fit``, recognized as a dense chain.

The tutorial's way of writing a model, custom layers computing ``ops.matmul(x, w) + b`` and a
``Model`` whose ``call`` applies them with ``ops.relu`` in between (or ``Dense`` layers), trains on
the general path: every step runs ``call`` in Python and records one op per product, sum and ReLU.
Keras compiles that step (``jit_compile``): ``call`` runs when the step is traced, and the traced
computation runs from then on. pykeras does the same for the one computation it runs faster: a step
early in each ``fit`` (the first whose compiled loss is built, and again after the model's
attributes change) runs ``call`` on the general path with a trace on (``tape.state.trace``); if the
ops it recorded from the input to the output are exactly layers of ``matmul`` by a trainable weight,
an optional ``add`` of a trainable bias and an optional ``relu`` (or the op of a ``Dense`` layer, or
that of a ``Sequential`` of them, which runs as one op), each feeding the next, perhaps through a
``Dropout`` layer, the later steps on batches of that size are the fused step of that chain
(fused_step.py): the same arithmetic, and the same masks drawn in the same order, so the same bits.
A batch of another size runs ``call``, as Keras traces again for a new input shape.

As in Keras, what ``call`` does besides computing (a Python counter, a print) happens when it is
traced, not at every step; ``compile(run_eagerly=True)`` runs it at every step. A call that assigns
a variable, adds a loss, reads a tensor's value in Python (``float(t)``, ``t.numpy()``: its branches
may depend on it), draws random numbers other than a Dropout layer's or computes anything else is
not recognized and keeps the general path.
"""
import contextlib

import numpy as np

from pykeras.layers.dropout import Dropout
from pykeras.ops.tape import state
from pykeras.tensor import Variable, value_reads


@contextlib.contextmanager
def tracing(trace):
    """Appends every op run inside the block to ``trace`` (tape.record), and every value read in
    Python (tensor.value_reads), which no chain has."""
    outer, state.trace = state.trace, trace
    outer_reads, value_reads.trace = value_reads.trace, trace
    try:
        yield trace
    finally:
        state.trace, value_reads.trace = outer, outer_reads


def dense_chain_layers(trace, x, output):
    """``([(kernel, bias, activation), ...], dropouts)`` when ``trace`` (the ``(kind, output,
    inputs)`` records of one call, in order) computes ``output`` from the input array ``x`` as a
    dense chain and nothing else, ``dropouts`` holding the Dropout layer applied to each hidden
    layer's output (None where none); otherwise None."""
    producer = {id(out): (kind, inputs) for kind, out, inputs in trace}
    if len(producer) != len(trace):
        return None
    layers, dropouts, used, tensor = [], [], 0, output
    dropout = None  # the Dropout applied to the output of the layer the walk reaches next
    while id(tensor) in producer:  # from the output back to the input, one op's layers at a time
        made, tensor, ops = _layers_making(tensor, producer)
        if not made or tensor is None:
            return None
        for layer in reversed(made):
            layers.append(layer)
            dropouts.append(dropout)
            dropout = None  # within an op's layers there is none
        used += ops
        dropout, tensor = _dropout_making(tensor, producer)
        used += dropout is not None
    # Every recorded op is one of the layers', and the first layer reads the input as given.
    if not layers or used != len(trace) or dropout is not None or tensor._value is not x:
        return None
    layers.reverse()
    dropouts.reverse()
    shapes = [kernel.shape for kernel, _, _ in layers]
    if any(a[1] != b[0] for a, b in zip(shapes, shapes[1:])):
        return None
    return layers, dropouts[:-1]  # the last layer's output has none: it would have been the output's op


def _dropout_making(tensor, producer):
    """``(layer, its input)`` when ``tensor`` is a Dropout layer's output (its mask drawn as
    ``Dropout.draw_keep`` draws it, of the input's shape), else ``(None, tensor)``."""
    kind, inputs = producer.get(id(tensor), (None, None))
    if type(kind) is tuple and kind[0] == "dropout" and type(kind[1]) is Dropout and inputs[0] is not None:
        return kind[1], inputs[0]
    return None, tensor


_NOT_A_LAYER = (None, None, 0)


def _layers_making(tensor, producer):
    """``([(kernel, bias, activation), ...], their input, the op count)`` for the layers whose
    output is ``tensor``: ``dense`` (a Dense layer's op), ``matmul`` by a weight, optionally ``+`` a
    bias, or ``chain`` (a Sequential of Dense layers inferring as one op, dense_stack.py); each
    optionally followed by ``relu``. ``_NOT_A_LAYER`` otherwise."""
    kind, inputs = producer[id(tensor)]
    ops, activation = 0, "linear"
    if kind == "relu":
        (tensor,), ops, activation = inputs, 1, "relu"
        kind, inputs = producer.get(id(tensor), (None, None))
    if type(kind) is tuple and kind[0] == "chain":
        layers = list(kind[1].layers)
        if not all(len(entry) == 3 and _is_weight(entry[0], 2) and (entry[1] is None or _is_weight(entry[1], 1))
                   for entry in layers) or (activation != "linear" and layers[-1][2] != "linear"):
            return _NOT_A_LAYER
        if activation != "linear":
            layers[-1] = layers[-1][:2] + (activation,)
        return layers, inputs[0], ops + 1
    if type(kind) is str and kind.startswith("dense:"):
        rows, kernel, bias = inputs
        own = kind[len("dense:"):]
        if (own != "linear" and activation != "linear") or not _is_weight(kernel, 2) or not (
                bias is None or _is_weight(bias, 1)):
            return _NOT_A_LAYER
        return [(kernel, bias, own if activation == "linear" else activation)], rows, ops + 1
    bias = None
    if kind == "add":
        tensor, bias = _product_and_bias(inputs, producer)
        if bias is None:
            return _NOT_A_LAYER
        ops += 1
        kind, inputs = producer.get(id(tensor), (None, None))
    if kind != "matmul":
        return _NOT_A_LAYER
    rows, kernel = inputs
    if not _is_weight(kernel, 2) or (bias is not None and bias.shape != (kernel.shape[1],)):
        return _NOT_A_LAYER
    return [(kernel, bias, activation)], rows, ops + 1


def _product_and_bias(inputs, producer):
    """An add's operands as (the product, the bias), in either order; (None, None) if not that."""
    for product, bias in (inputs, inputs[::-1]):
        if producer.get(id(product), (None,))[0] == "matmul" and _is_weight(bias, 1):
            return product, bias
    return None, None


def chain_of_call(model, trace, x, output, before):
    """``dense_chain_layers(trace, x, output)`` when the traced call added no loss and left the
    model's non-trainable state (``before``, its snapshot) as it was, else None: what a native
    chain call cannot reproduce."""
    found = dense_chain_layers(trace, x, output)
    if found is None or adds_call_losses(model) or not state_unchanged(before):
        return None
    return found


def adds_call_losses(model):
    """Whether a layer adds losses when called (activity regularizers, ``add_loss``): those need
    the forward pass's Tensors, which a chain's native call does not make."""
    return any(layer._call_losses or layer.activity_regularizer is not None for layer in model._flatten_layers())


def _is_weight(tensor, ndim):
    return type(tensor) is Variable and tensor.trainable and tensor._value.ndim == ndim


# Past this many floats of non-trainable state (a large frozen table), a copy per traced call costs
# more than the fused step could save: such a model is not traced into a chain.
_SNAPSHOT_MAX_FLOATS = 1 << 22


def state_snapshot(model):
    """Copies of the model's non-trainable variables (a traced call must leave them as they were),
    or None when they are too large to copy."""
    variables = model.non_trainable_weights
    if sum(variable._value.size for variable in variables) > _SNAPSHOT_MAX_FLOATS:
        return None
    return [(variable, np.array(variable._value)) for variable in variables]


def state_unchanged(snapshot):
    return snapshot is not None and all(np.array_equal(variable._value, value, equal_nan=True)
                                        for variable, value in snapshot)
