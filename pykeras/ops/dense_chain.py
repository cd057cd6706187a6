"""DenseChain: ``dense`` applied layer after layer, prepared once, run as one native call."""
import numpy as np

from pykeras import _core
from pykeras.ops.core import _unary, wrap
from pykeras.ops.nn import ACTIVATION_RULES, FUSED_ACTIVATIONS, dense, loss_scalar
from pykeras.ops.tape import needs_gradient, record, state
from pykeras.tensor import FLOAT, Tensor

_new_tensor = Tensor.__new__  # the native output is float32 and C-contiguous: nothing for wrap to do
_ACTIVATIONS = FUSED_ACTIVATIONS + tuple(ACTIVATION_RULES)
# The rules the native chain applies itself after a layer's GEMM, with the same kernels and float steps
# (csrc/dense/activation.hpp): a chain with only these and the fused activations is one native call.
_NATIVE_RULES = ("sigmoid", "silu", "elu", "selu", "leaky_relu", "gelu", "relu6", "hard_sigmoid", "hard_silu",
                 "softsign", "softplus", "mish", "log_sigmoid")
# The native loss of each name loss_gradients takes, for the chains it runs layer by layer.
_NATIVE_LOSSES = {"softmax": _core.softmax_cross_entropy, "sigmoid": _core.sigmoid_cross_entropy,
                  "squared": _core.squared_error, "absolute": _core.absolute_error}


def _array_of(value, what):
    array = value._value if isinstance(value, Tensor) else value
    if not isinstance(array, np.ndarray) or array.dtype != FLOAT:
        raise ValueError(
            f"DenseChain: {what} must be a float32 Tensor, Variable or array. "
            f"Received: {type(value).__name__} of dtype {getattr(array, 'dtype', None)}"
        )
    return array


class DenseChain:
    """``dense(... dense(x, k0, b0, a0) ..., kn, bn, an)`` for ``layers = [(k0, b0, a0), ...]``.

    Inference runs the whole chain in one native call: no Python, no allocation and no
    Tensor between layers, the hidden activations held in native scratch memory. Under a
    recording GradientTape the forward pass keeps the hidden activations and records one
    backward rule, itself one native call for every layer's gradients. The arithmetic is
    that of ``dense`` layer by layer: values and gradients are bitwise equal.

    An activation may also be one of ``keras.activations``' elementwise functions by name
    (``ops.nn.ACTIVATION_RULES``: "sigmoid", "elu", "gelu", ...), with the bits of ``dense``
    followed by the activation op. The native chain applies those with native kernels itself,
    in inference and in ``loss_gradients``; under a GradientTape (whose backward needs each
    layer's pre-activation later) the chain runs layer by layer: one native call per layer and the
    activation's functions between them, with no Tensor, op or tape entry per layer.

    Kernels and biases are read in place: later updates to the Variables (``assign``, an
    optimizer step) are seen; replacing a Variable needs a new DenseChain.
    """

    __slots__ = ("_layers", "_steps", "_rules", "_native", "_one_call", "input_width", "output_width", "_buffers")

    def __init__(self, layers):
        self._layers = [tuple(layer) for layer in layers]
        if not self._layers:
            raise ValueError("DenseChain: at least one (kernel, bias, activation) is needed. Received: []")
        steps, rules, width = [], [], None
        for index, (kernel, bias, activation) in enumerate(self._layers):
            if activation not in _ACTIVATIONS:
                raise ValueError(
                    f"DenseChain: layer {index}'s activation must be one of {_ACTIVATIONS}. "
                    f"Received: {activation!r}"
                )
            k = _array_of(kernel, f"layer {index}'s kernel")
            b = None if bias is None else _array_of(bias, f"layer {index}'s bias")
            if k.ndim != 2 or (width is not None and k.shape[0] != width):
                raise ValueError(
                    f"DenseChain: layer {index}'s kernel must have shape ({width}, units). "
                    f"Received: kernel.shape={k.shape}"
                )
            native = activation if activation in FUSED_ACTIVATIONS else "linear"
            steps.append((k, b, native))
            rules.append(ACTIVATION_RULES.get(activation))
            width = k.shape[1]
        self._steps = steps
        self._rules = rules if any(rules) else None  # None: the whole chain is fused
        names = [activation for _, _, activation in self._layers]
        # Inference and loss_gradients in one native call: every activation fused or native.
        self._one_call = all(name in FUSED_ACTIVATIONS or name in _NATIVE_RULES for name in names)
        native_steps = [(k, b, name) for (k, b, _), name in zip(steps, names)] if self._one_call else steps
        self._native = _core.DenseLayers(native_steps)  # checked once, not on every call
        self.input_width = self._steps[0][0].shape[0]
        self.output_width = self._steps[-1][0].shape[1]
        self._buffers = None  # loss_gradients' arrays, for one batch size

    @property
    def layers(self):
        """The ``(kernel, bias, activation)`` entries, as given."""
        return list(self._layers)

    def __call__(self, x):
        tx = x if isinstance(x, Tensor) else None
        array = x._value if tx is not None else np.asarray(x)
        if array.ndim != 2 or array.dtype != FLOAT or not array.flags.c_contiguous:
            # dense handles the rest: casting, more than two dimensions, its error messages.
            for (kernel, bias, native), rule in zip(self._steps, self._rules or [None] * len(self._steps)):
                x = dense(x, kernel, bias, native)
                if rule is not None:
                    x = _unary(x, *rule())
            return x
        if state.tapes:
            return self._recorded(tx, array)
        if not self._one_call:
            return wrap(self._forward_layers(array)[-1][2])
        return wrap(_core.dense_chain_forward(array, self._native))

    def _recorded(self, tx, rows):
        if self._rules is not None:
            return self._recorded_layers(tx, rows)
        steps = self._steps
        hidden = [np.empty((rows.shape[0], kernel.shape[1]), FLOAT) for kernel, _, _ in steps[:-1]]
        out = _core.dense_chain_forward(rows, self._native, hidden)
        result = wrap(out)
        inputs = (tx,) + tuple(t if isinstance(t, Tensor) else None for layer in self._layers for t in layer[:2])
        need_dx = needs_gradient(tx)

        def backward(g):
            if g.dtype != FLOAT or not g.flags.c_contiguous:
                g = np.ascontiguousarray(g, dtype=FLOAT)
            dx = np.empty_like(rows) if need_dx else None
            grads = [(np.empty_like(kernel), None if bias is None else np.empty_like(bias))
                     for kernel, bias, _ in steps]
            _core.dense_chain_backward(rows, self._native, hidden + [out], g, dx, grads)
            return (dx,) + tuple(grad for pair in grads for grad in pair)

        record(result, inputs, backward)
        return result

    def forward_or_none(self, x):
        """``self(x)`` when ``x`` (an array or a Tensor) holds C-contiguous float32 rows of
        ``input_width`` features, else None: the caller then takes its general path, which
        converts or rejects ``x`` as a layer would. The model-call fast path: no more checks
        than that."""
        kind = type(x)
        rows = x if kind is np.ndarray else x._value if kind is Tensor else None
        if (rows is None or rows.dtype != FLOAT or rows.ndim != 2 or rows.shape[1] != self.input_width
                or not rows.flags.c_contiguous):
            return None
        if state.tapes:
            return self._recorded(None if rows is x else x, rows)
        out = _new_tensor(Tensor)
        out._value = (_core.dense_chain_forward(rows, self._native) if self._one_call
                      else self._forward_layers(rows)[-1][2])
        return out

    def loss_gradients(self, rows, labels, keep=None, loss="softmax", sample_weight=None):
        """One training pass under a mean loss of the last layer's output, in one native call (one
        per layer with activation rules) and without a tape: by default the softmax cross-entropy
        of the output as logits.

        ``rows``: a C-contiguous float32 (batch, input_width) array; ``labels``: int32 or int64
        (batch,), or C-contiguous float32 (batch, output_width) class probabilities; with
        ``loss="sigmoid"`` (the binary cross-entropy), ``"squared"`` or ``"absolute"`` (the mean
        squared or absolute error), float32 (batch, output_width) targets. Returns
        ``(loss, outputs, grads)``: the loss as a float32 scalar, the last layer's output, and one
        gradient per kernel and bias in layer order (biases that are None are left out). The
        arithmetic is that of this chain under a GradientTape followed by the loss's op
        (``sparse_softmax_cross_entropy``, ``softmax_cross_entropy``, ``sigmoid_cross_entropy``,
        ``squared_error``, ``absolute_error``), so the numbers are bitwise the same. The arrays
        returned are reused by the next call with the same batch size.

        ``keep``: None, or one entry per hidden layer, None or a float32 (batch, width) Dropout
        mask (``Dropout.draw_keep``) applied to that layer's output, as a Dropout layer after it
        would apply it in training. ``sample_weight``: None, or one weight per row (batch,), as the
        loss op takes it.
        """
        if sample_weight is not None:
            sample_weight = np.ascontiguousarray(sample_weight, dtype=FLOAT)
        if not self._one_call:
            return self._loss_gradients_layers(rows, labels, keep, loss, sample_weight)
        batch = rows.shape[0]
        buffers = self._buffers
        if buffers is None or buffers[0] != batch:
            hidden = [np.empty((batch, kernel.shape[1]), FLOAT) for kernel, _, _ in self._steps[:-1]]
            classes = self._steps[-1][0].shape[1]
            logits, dlogits = np.empty((batch, classes), FLOAT), np.empty((batch, classes), FLOAT)
            grads = [(np.empty_like(kernel), None if bias is None else np.empty_like(bias))
                     for kernel, bias, _ in self._steps]
            flat = [grad for pair in grads for grad in pair if grad is not None]
            dropped = [np.empty_like(h) for h in hidden]
            buffers = self._buffers = (batch, hidden, logits, dlogits, grads, flat, dropped)
        _, hidden, logits, dlogits, grads, flat, dropped = buffers
        dropout = None if keep is None else [None if k is None else (k, d) for k, d in zip(keep, dropped)]
        value = _core.dense_chain_loss_gradients(rows, self._native, labels, hidden, logits, dlogits, grads, dropout,
                                                 loss, sample_weight)
        return loss_scalar(value), logits, flat

    # ---- chains with an activation rule: layer by layer

    def _forward_layers(self, rows, keep=None):
        """The forward pass one layer at a time: per layer its input, its native output, its
        output (the rule applied, as _unary applies it) and the rule's backward function. With
        ``keep``, a hidden layer's output is multiplied by its mask, as Dropout does."""
        layers, h = [], rows
        with np.errstate(all="ignore"):
            for index, ((kernel, bias, native), rule) in enumerate(zip(self._steps, self._rules)):
                z = np.empty((h.shape[0], kernel.shape[1]), FLOAT)
                _core.dense_forward(h, kernel, bias, native, z)
                y, backward = z, None
                if rule is not None:
                    forward, backward = rule()
                    y = wrap(np.asarray(forward(z)))._value
                layers.append((h, z, y, backward))
                h = y if keep is None or index >= len(keep) or keep[index] is None else np.multiply(y, keep[index])
        return layers

    def _backward_layers(self, layers, g, need_dx, keep=None):
        """The gradients of ``_forward_layers``' pass for the output gradient ``g``: dx (None
        unless ``need_dx``) and a (kernel, bias) gradient pair per layer."""
        grads = [None] * len(layers)
        with np.errstate(all="ignore"):
            for index in range(len(layers) - 1, -1, -1):
                h, z, y, backward = layers[index]
                kernel, bias, native = self._steps[index]
                if backward is not None:
                    g = backward(g, z, y)
                if g.dtype != FLOAT or not g.flags.c_contiguous:
                    g = np.ascontiguousarray(g, dtype=FLOAT)
                dx = np.empty_like(h) if index > 0 or need_dx else None
                grads[index] = (np.empty_like(kernel), None if bias is None else np.empty_like(bias))
                _core.dense_backward(h, kernel, z, g, native, dx, *grads[index])
                if index > 0 and keep is not None and keep[index - 1] is not None:
                    dx = np.multiply(dx, keep[index - 1])
                g = dx
        return g, grads

    def _recorded_layers(self, tx, rows):
        layers = self._forward_layers(rows)
        result = wrap(layers[-1][2])
        inputs = (tx,) + tuple(t if isinstance(t, Tensor) else None for layer in self._layers for t in layer[:2])
        need_dx = needs_gradient(tx)

        def backward(g):
            dx, grads = self._backward_layers(layers, g, need_dx)
            return (dx,) + tuple(grad for pair in grads for grad in pair)

        record(result, inputs, backward)
        return result

    def _loss_gradients_layers(self, rows, labels, keep, loss, sample_weight):
        layers = self._forward_layers(rows, keep)
        outputs = layers[-1][2]
        doutputs = np.empty_like(outputs)
        value = _NATIVE_LOSSES[loss](outputs, labels, doutputs, 1.0, sample_weight)
        _, grads = self._backward_layers(layers, doutputs, False, keep)
        return loss_scalar(value), outputs, [grad for pair in grads for grad in pair if grad is not None]
