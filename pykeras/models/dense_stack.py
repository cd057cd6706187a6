"""A model that is a plain stack of Dense layers runs as one op (ops.DenseChain).

Through ``Layer.__call__``, three Dense layers cost about 12 us of Python for one sample, as
much as the arithmetic, and a training step records and replays one tape entry per layer.
A stack of plain ``Dense`` layers with fused activations (and ``Dropout``, the identity at
inference; in training, classifier_step.py applies it inside its one call) needs none of that:
one native call forward, one backward. The last layer may have a softmax or a sigmoid: the chain
then computes its logits, and the activation is applied after, as the layer itself applies it.
Sequential models and functional models whose graph is a single chain from one input to one
output qualify.
"""
from pykeras import activations
from pykeras.layers import tracking
from pykeras.layers.dense import FUSED_ACTIVATION_NAMES, Dense
from pykeras.layers.dropout import Dropout
from pykeras.layers.layer import _call_context
from pykeras.nest import flatten
from pykeras.ops import DenseChain

# The last layer's activations the chain leaves out and applies after, by their loss's name.
_OUTPUT_ACTIVATIONS = {activations.softmax: "softmax", activations.sigmoid: "sigmoid"}


class DenseStack:
    """The DenseChain of a list of layers, rebuilt whenever any layer structure or attribute
    changes (tracking's structure version); None when the layers are not all plain."""

    __slots__ = ("_version", "chain", "output_activation", "has_dropout", "dropouts")

    def __init__(self):
        self._version = -1
        self.chain = None
        # The last layer's "softmax" or "sigmoid" left out (the chain's output is its logits), or None.
        self.output_activation = None
        self.has_dropout = False  # Dropout was left out: the chain is right only when not training
        # In training: the Dropout after each hidden layer (None where there is none), or None
        # when the Dropouts sit where the fused step cannot apply them.
        self.dropouts = None

    def get(self, layers):
        version = tracking.structure_version()
        if version != self._version:
            # Built aside and then published: a concurrent caller sees the old chain or the new one.
            self.chain, self.output_activation, self.has_dropout, self.dropouts = _chain_of(layers)
            self._version = version
        return self.chain


def _chain_of(layers):
    """(DenseChain or None, the last layer's activation left out (or None), whether a Dropout was
    left out, the Dropouts after hidden layers)."""
    steps, output_activation, has_dropout, after = [], None, False, []
    fusable = True  # each Dropout right after a hidden Dense, one at most, over the whole input
    for layer in layers:
        kind = type(layer)
        if "call" in layer.__dict__:  # an instance with its own call
            return None, None, False, None
        if kind is Dropout:
            if layer.rate > 0:
                has_dropout = True
                fusable = fusable and bool(after) and after[-1] is None and layer.noise_shape is None
                if after:
                    after[-1] = layer
            continue
        if kind is not Dense or not layer.built or output_activation or layer.activity_regularizer is not None:
            return None, None, False, None
        activation = FUSED_ACTIVATION_NAMES.get(layer.activation)
        if layer.activation in _OUTPUT_ACTIVATIONS:
            activation, output_activation = "linear", _OUTPUT_ACTIVATIONS[layer.activation]
        if activation is None:
            return None, None, False, None
        steps.append((layer.kernel, layer.bias, activation))
        after.append(None)
    if not steps:
        return None, None, has_dropout, None
    fusable = fusable and after[-1] is None  # none on the logits
    return DenseChain(steps), output_activation, has_dropout, (after[:-1] if fusable else None)


def call_on_chain(model, layers, args, kwargs):
    """``model(*args, **kwargs)`` on the dense chain of ``layers`` when the call is one it
    computes exactly as the layers would (float32 rows, no other arguments, no Dropout while
    training), else None. One-sample inference spends most of its time here and in the native
    call, so the common case is checked first and cheaply."""
    if len(args) != 1 or kwargs and (len(kwargs) != 1 or "training" not in kwargs):
        return None
    stack = model._dense_stack
    chain = stack.get(layers)
    if chain is None:
        return None
    if stack.has_dropout:
        training = kwargs.get("training") if kwargs else None
        if training is None:
            training = getattr(_call_context, "training", None)
        if training:
            return None
    result = chain.forward_or_none(args[0])
    if stack.output_activation is None or result is None:
        return result
    return apply_output_activation(stack.output_activation, result)


def apply_output_activation(name, logits):
    """The model's output from its chain's logits: the last layer's activation, as it applies it."""
    return activations.softmax(logits) if name == "softmax" else activations.sigmoid(logits)


def graph_chain(inputs, outputs, nodes, outputs_structure):
    """The layers of a functional graph that is one chain (each node a single-argument call on
    the previous node's single output, one input to one output), else None."""
    if len(inputs) != 1 or len(outputs) != 1 or outputs_structure is not outputs[0]:
        return None
    if len(inputs[0].shape) != 2 or inputs[0].shape[0] is not None:
        return None  # a fixed batch size is checked by the generic path
    current, layers = inputs[0], []
    for node in nodes:
        results = flatten(node.outputs)
        if node.kwargs or len(node.args) != 1 or node.args[0] is not current or len(results) != 1:
            return None
        if any(node.layer is seen for seen in layers):
            return None
        layers.append(node.layer)
        current = results[0]
    return layers if layers and current is outputs[0] else None

