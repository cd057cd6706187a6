"""A model that is a plain stack of Dense layers runs as one op (ops.DenseChain).

Through ``Layer.__call__``, three Dense layers cost about 12 us of Python for one sample, as
much as the arithmetic, and a training step records and replays one tape entry per layer.
A stack of plain ``Dense`` layers with fused activations (and ``Dropout``, the identity at
inference; in training, fused_step.py applies it inside its one call) needs none of that:
one native call forward, one backward (ReLU and tanh are fused into the layers). The other
elementwise activations (the sigmoid, SiLU, ELU, SELU, leaky ReLU, the exact GELU, softplus, mish,
log_sigmoid, relu6, hard_sigmoid, hard_silu, softsign) the native chain applies after each layer's
product, in inference, in the fused training step and under a GradientTape alike (64-128-64-10 at
batch 32, interleaved with the chain run layer by layer: sigmoid 200,000-227,000 -> 283,000-313,000
samples/s, ELU 204,000-292,000 -> 295,000-398,000, relu6 209,000-318,000 -> 301,000-450,000; with the
former numpy functions of softplus 98,000 -> 240,000 and mish 59,000-70,000 -> 175,000-186,000; ReLU
340,000-440,000).
The last layer may have a softmax or a sigmoid: the chain then computes its logits, and the
activation is applied after, as the layer itself applies it. A ReLU or Activation layer after a
Dense without activation is that Dense's activation (not tanh: the tanh op is numpy's).
A Dense (without activation, or with a ReLU or tanh) followed by BatchNormalization (over the
features, trainable) and optionally a ReLU or Activation layer is one batch-normalized layer of the
chain. In training (fused_step.py) it normalizes with the batch statistics between the product and
the activation; in inference the layer's moving statistics, folded into a scale and a shift as the
layer folds them, are applied after the product (W6's BatchNormalization model: model(x) of one
sample 99-128 -> 22-23 us, predict of 10,000 rows 196,000-216,000 -> 404,000-411,000 samples/s).
A LayerNormalization over the features in its place makes a layer-normalized layer: each row
normalized with its own statistics, in training and inference alike.
Leading Flatten layers (Keras's MNIST quickstart starts with one) are a reshape of the input's
rows, free on a C-contiguous array. Sequential models and functional models whose graph is a
single chain from one input to one output qualify.
"""
import sys

import numpy as np

from pykeras import activations
from pykeras.layers import tracking
from pykeras.layers.activation import Activation, ReLU
from pykeras.layers.batch_normalization import BatchNormalization
from pykeras.layers.dense import FUSED_ACTIVATION_NAMES, RULE_ACTIVATION_NAMES, Dense
from pykeras.layers.dropout import Dropout
from pykeras.layers.flatten import Flatten
from pykeras.layers.layer import _call_context
from pykeras.nest import flatten
from pykeras.ops import DenseChain

# The last layer's activations the chain leaves out and applies after, by their loss's name.
_OUTPUT_ACTIVATIONS = {activations.softmax: "softmax", activations.sigmoid: "sigmoid"}


class DenseStack:
    """The DenseChain of a list of layers, rebuilt whenever any layer structure or attribute
    changes (tracking's structure version); None when the layers are not all plain."""

    __slots__ = ("_version", "chain", "output_activation", "has_dropout", "dropouts", "flattens", "input_rank")

    def __init__(self):
        self._version = -1
        self.chain = None
        # The last layer's "softmax" or "sigmoid" left out (the chain's output is its logits), or None.
        self.output_activation = None
        self.has_dropout = False  # Dropout was left out: the chain is right only when not training
        # In training: the Dropout after each hidden layer (None where there is none), or None
        # when the Dropouts sit where the fused step cannot apply them.
        self.dropouts = None
        self.flattens = False  # the chain's layers start with Flatten: the input is reshaped to rows
        self.input_rank = None  # the rank of the model's declared input, if it has one

    def get(self, model, layers):
        """The chain of ``model``'s ``layers``, or None."""
        version = tracking.structure_version()
        if version != self._version:
            # Built aside and then published: a concurrent caller sees the old chain or the new one.
            flattens = _leading_flattens(layers)
            chain, output_activation, has_dropout, dropouts = _chain_of(layers[flattens:])
            rank = model._declared_input_rank()
            if not flattens and rank not in (None, 2):
                chain = None  # Dense on the last axis of a 3-D input: not rows
            self.chain = chain
            self.output_activation, self.has_dropout, self.dropouts = output_activation, has_dropout, dropouts
            self.flattens, self.input_rank = flattens > 0, rank
            self._version = version
        return self.chain


def _leading_flattens(layers):
    count = 0
    while count < len(layers) and type(layers[count]) is Flatten and "call" not in layers[count].__dict__:
        count += 1
    return count


def flat_rows(x, rank):
    """``x``, an array of ``rank`` dimensions (of 2 or more when ``rank`` is None), as the rows a
    leading Flatten makes of it: a view, so only a C-contiguous array qualifies; else None."""
    if type(x) is not np.ndarray or x.ndim < 2 or (rank is not None and x.ndim != rank) or not x.flags.c_contiguous:
        return None
    return x.reshape(x.shape[0], -1)


def _chain_of(layers):
    """(DenseChain or None, the last layer's activation left out (or None), whether a Dropout was
    left out, the Dropouts after hidden layers)."""
    steps, output_activation, has_dropout, after = [], None, False, []
    fusable = True  # each Dropout right after a hidden Dense, one at most, over the whole input
    previous = None  # the last layer taken into the chain
    layer_normalization = _loaded_layer_normalization()
    normalizations = (BatchNormalization, layer_normalization)
    for layer in layers:
        kind = type(layer)
        if "call" in layer.__dict__:  # an instance with its own call
            return None, None, False, None
        if kind in normalizations:
            # Dense -> BatchNormalization or LayerNormalization: one normalized step, the Dense's own
            # activation (linear, relu or tanh, from the Dense or an activation layer after it) before
            # the normalization.
            unnormalized = type(previous) in (Dense, ReLU, Activation) and len(steps[-1]) == 3
            before = steps[-1][2] if unnormalized else None
            if before not in ("linear", "relu", "tanh") or output_activation:
                return None, None, False, None
            if kind is BatchNormalization and _normalizes_rows(layer):
                norm = (layer.gamma, layer.beta, layer.epsilon, before, layer.moving_mean, layer.moving_variance,
                        layer.momentum)
            elif kind is layer_normalization and _normalizes_each_row(layer):
                norm = (layer.gamma, layer.beta, layer.epsilon, before, "layer")
            else:
                return None, None, False, None
            steps[-1] = steps[-1][:2] + ("linear", norm)
            previous = layer
            continue
        if kind in (ReLU, Activation) and type(previous) in (Dense,) + normalizations:
            # An activation layer after a Dense without activation, or after its normalization:
            # the step's activation, as if the Dense had it.
            function = _activation_layer_function(layer)
            if function is None or steps[-1][2] != "linear" or output_activation:
                return None, None, False, None
            if function in _OUTPUT_ACTIVATIONS and len(steps[-1]) == 3:
                output_activation = _OUTPUT_ACTIVATIONS[function]  # on the logits, if no Dense follows
            else:
                activation = FUSED_ACTIVATION_NAMES.get(function) or RULE_ACTIVATION_NAMES.get(function)
                if activation is None:
                    return None, None, False, None
                steps[-1] = steps[-1][:2] + (activation,) + steps[-1][3:]
            previous = layer
            continue
        if kind is Dropout:
            previous = layer
            if layer.rate > 0:
                has_dropout = True
                fusable = fusable and bool(after) and after[-1] is None and layer.noise_shape is None
                if after:
                    after[-1] = layer
            continue
        if output_activation == "sigmoid":  # not the last layer after all: a hidden sigmoid
            steps[-1], output_activation = steps[-1][:2] + ("sigmoid",), None
        if kind is not Dense or not layer.built or output_activation or layer.activity_regularizer is not None:
            return None, None, False, None
        activation = FUSED_ACTIVATION_NAMES.get(layer.activation) or RULE_ACTIVATION_NAMES.get(layer.activation)
        if layer.activation in _OUTPUT_ACTIVATIONS:
            activation, output_activation = "linear", _OUTPUT_ACTIVATIONS[layer.activation]
        if activation is None:
            return None, None, False, None
        steps.append((layer.kernel, layer.bias, activation))
        after.append(None)
        previous = layer
    if not steps or len(steps[-1]) == 4:  # the logits are the last Dense's
        return None, None, has_dropout, None
    fusable = fusable and after[-1] is None  # none on the logits
    return DenseChain(steps), output_activation, has_dropout, (after[:-1] if fusable else None)


def _loaded_layer_normalization():
    """The LayerNormalization class, or None while its module (imported on first use) is not loaded:
    no layer can be one then."""
    module = sys.modules.get("pykeras.layers.layer_normalization")
    return None if module is None else module.LayerNormalization


def _normalizes_each_row(layer):
    """Whether a LayerNormalization normalizes each of the (batch, features) rows over its features
    with its mean and variance, as the chain does."""
    return (layer.built and layer.trainable and layer._axis_list() in ([-1], [1]) and not layer.rms_scaling
            and layer.activity_regularizer is None)


def _normalizes_rows(layer):
    """Whether a BatchNormalization normalizes the features of (batch, features) rows with the
    batch's statistics in training, as the chain does."""
    return layer.built and layer.trainable and layer.axis in (-1, 1) and layer.activity_regularizer is None


def _activation_layer_function(layer):
    """The ``keras.activations`` function a ReLU or Activation layer applies, where the chain applies
    it with the layer's bits, else None. Not tanh: the tanh op is numpy's, the chain's (Dense's
    fused tanh) a native kernel."""
    if type(layer) is ReLU:
        plain = layer.max_value is None and layer.negative_slope == 0 and layer.threshold == 0
        return activations.relu if plain else None
    return None if layer.activation is activations.tanh else layer.activation


def call_on_chain(model, layers, args, kwargs):
    """``model(*args, **kwargs)`` on the dense chain of ``layers`` when the call is one it
    computes exactly as the layers would (float32 rows, no other arguments, no Dropout while
    training), else None. One-sample inference spends most of its time here and in the native
    call, so the common case is checked first and cheaply."""
    if len(args) != 1 or kwargs and (len(kwargs) != 1 or "training" not in kwargs):
        return None
    stack = model._dense_stack
    chain = stack.chain if stack._version == tracking.version[0] else stack.get(model, layers)
    if chain is None:
        return None
    if stack.has_dropout or chain.normalized:
        training = kwargs.get("training") if kwargs else None
        if training is None:
            training = getattr(_call_context, "training", None)
        if training:
            return None
    x = args[0]
    if stack.flattens:
        x = flat_rows(x, stack.input_rank)
        if x is None:
            return None
    result = chain.forward_or_none(x)
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
    if len(inputs[0].shape) < 2 or inputs[0].shape[0] is not None:
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
    if not layers or current is not outputs[0]:
        return None
    return layers if len(inputs[0].shape) == 2 or type(layers[0]) is Flatten else None

