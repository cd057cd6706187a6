"""Inference on a Sequential of Dense layers as one native call (ops.DenseChain).

Running three Dense layers through ``Layer.__call__`` costs about 12 us of Python for one
sample, as much as the arithmetic. A stack of plain ``Dense`` layers with fused activations
(and ``Dropout``, the identity at inference) needs none of that machinery.
"""
from pykeras.layers import tracking
from pykeras.layers.dense import FUSED_ACTIVATION_NAMES, Dense
from pykeras.layers.dropout import Dropout
from pykeras.ops import DenseChain


def build_chain(layers):
    """A DenseChain computing ``layers`` at inference, or None when they are not all plain Dense/Dropout."""
    steps = []
    for layer in layers:
        kind = type(layer)
        if kind is Dropout and "call" not in layer.__dict__:
            continue
        if kind is not Dense or not layer.built or "call" in layer.__dict__:
            return None
        activation = FUSED_ACTIVATION_NAMES.get(layer.activation)
        if activation is None:
            return None
        steps.append((layer.kernel, layer.bias, activation))
    return DenseChain(steps) if steps else None


class CachedChain:
    """The chain of one model, rebuilt when any layer structure or attribute changes."""

    __slots__ = ("_version", "_chain")

    def __init__(self):
        self._version = -1
        self._chain = None

    def get(self, layers):
        version = tracking.structure_version()
        if version != self._version:
            self._chain = build_chain(layers)
            self._version = version
        return self._chain
