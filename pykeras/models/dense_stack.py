"""A Sequential of plain Dense layers runs as one op (ops.DenseChain).

Through ``Layer.__call__``, three Dense layers cost about 12 us of Python for one sample, as
much as the arithmetic, and a training step records and replays one tape entry per layer.
A stack of plain ``Dense`` layers with fused activations (and ``Dropout``, the identity at
inference) needs none of that: one native call forward, one backward.
"""
from pykeras.layers import tracking
from pykeras.layers.dense import FUSED_ACTIVATION_NAMES, Dense
from pykeras.layers.dropout import Dropout
from pykeras.ops import DenseChain


class DenseStack:
    """The DenseChain of a list of layers, rebuilt whenever any layer structure or attribute
    changes (tracking's structure version); None when the layers are not all plain."""

    __slots__ = ("_version", "chain", "has_dropout")

    def __init__(self):
        self._version = -1
        self.chain = None
        self.has_dropout = False  # Dropout was left out: the chain is right only when not training

    def get(self, layers):
        version = tracking.structure_version()
        if version != self._version:
            # Built aside and then published: a concurrent caller sees the old chain or the new one.
            self.chain, self.has_dropout = _chain_of(layers)
            self._version = version
        return self.chain


def _chain_of(layers):
    """(DenseChain or None, whether a Dropout was left out)."""
    steps, has_dropout = [], False
    for layer in layers:
        kind = type(layer)
        if "call" in layer.__dict__:  # an instance with its own call
            return None, False
        if kind is Dropout:
            has_dropout = has_dropout or layer.rate > 0
            continue
        if kind is not Dense or not layer.built:
            return None, False
        activation = FUSED_ACTIVATION_NAMES.get(layer.activation)
        if activation is None:
            return None, False
        steps.append((layer.kernel, layer.bias, activation))
    return (DenseChain(steps) if steps else None), has_dropout
