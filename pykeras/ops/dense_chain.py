"""DenseChain: ``dense`` applied layer after layer, prepared once, run as one native call."""
import numpy as np

from pykeras import _core
from pykeras.ops.core import _unary, wrap
from pykeras.ops.nn import ACTIVATION_RULES, FUSED_ACTIVATIONS, dense, loss_scalar
from pykeras.ops.tape import needs_gradient, record, state
from pykeras.tensor import FLOAT, Tensor

_ndarray = np.ndarray
_new_tensor = Tensor.__new__  # the native output is float32 and C-contiguous: nothing for wrap to do
_ACTIVATIONS = FUSED_ACTIVATIONS + tuple(ACTIVATION_RULES)


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

    An activation may also be one of ``keras.activations``' other elementwise functions by name
    (``ops.nn.ACTIVATION_RULES``: "sigmoid", "elu", "gelu", ...): the native chain applies it
    after the layer's product with the kernels of the activation op, keeping the pre-activation
    for the backward pass, so the bits are those of ``dense`` followed by the op.

    A layer may be ``(kernel, bias, activation, norm)`` with ``norm`` a tuple ``(gamma, beta,
    epsilon[, before[, moving_mean, moving_variance[, momentum]]])`` (gamma and beta may be None):
    batch normalization between the product and the activation, as ``BatchNormalization`` computes
    it after a ``Dense`` and before an activation layer; ``before`` ("linear", the default, "relu"
    or "tanh") is the Dense's own activation, applied to the product before the normalization. Such
    a chain trains with the batch statistics (``loss_gradients``; given a momentum, it moves the
    moving statistics with them, as the layer's training call does) and infers with the moving
    ones, folded natively as the layer folds them (``forward_or_none``); calling it raises. With
    ``norm`` a tuple ``(gamma, beta, epsilon, before, "layer")`` the layer is normalized as
    ``LayerNormalization`` over its features computes it: each row with its own statistics, in
    training and inference alike.

    Kernels and biases are read in place: later updates to the Variables (``assign``, an
    optimizer step) are seen; replacing a Variable needs a new DenseChain.
    """

    __slots__ = ("_layers", "_steps", "_rules", "_norms", "_native", "input_width", "output_width", "_buffers",
                 "normalized")

    def __init__(self, layers):
        self._layers = [tuple(layer) for layer in layers]
        if not self._layers:
            raise ValueError("DenseChain: at least one (kernel, bias, activation) is needed. Received: []")
        steps, rules, width = [], [], None
        norms = []
        for index, entry in enumerate(self._layers):
            if len(entry) not in (3, 4):
                raise ValueError(f"DenseChain: layer {index} must be (kernel, bias, activation) or (kernel, bias, "
                                 f"activation, norm). Received: a tuple of length {len(entry)}")
            kernel, bias, activation = entry[:3]
            norm = entry[3] if len(entry) == 4 else None
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
            steps.append((k, b, activation))
            rules.append(ACTIVATION_RULES.get(activation))  # None for the fused ones
            norms.append(None if norm is None else _norm_arrays(norm, index))
            width = k.shape[1]
        self._steps = steps
        self._rules = rules
        self._norms = norms  # per layer, None or its norm entry with arrays
        self.normalized = any(norm is not None for norm in norms)
        # Checked once, not on every call.
        self._native = _core.DenseLayers([step + (norm,) for step, norm in zip(steps, norms)] if self.normalized
                                         else steps)
        self.input_width = self._steps[0][0].shape[0]
        self.output_width = self._steps[-1][0].shape[1]
        self._buffers = None  # loss_gradients' arrays, for one batch size

    @property
    def layers(self):
        """The ``(kernel, bias, activation)`` entries, as given."""
        return list(self._layers)

    def __call__(self, x):
        if self.normalized:
            raise ValueError("DenseChain: a chain with batch-normalized layers is called through loss_gradients "
                             "(training, the batch statistics) or forward_or_none (inference, the moving ones)")
        tx = x if isinstance(x, Tensor) else None
        array = x._value if tx is not None else np.asarray(x)
        if array.ndim != 2 or array.dtype != FLOAT or not array.flags.c_contiguous:
            # dense and the activation op handle the rest: casting, more than two dimensions, errors.
            for (kernel, bias, activation), rule in zip(self._steps, self._rules):
                x = dense(x, kernel, bias, "linear" if rule else activation)
                if rule is not None:
                    x = _unary(x, *rule())
            return x
        if state.tapes:
            return self._recorded(tx, array)
        return wrap(_core.dense_chain_forward(array, self._native))

    def _recorded(self, tx, rows):
        steps, batch = self._steps, rows.shape[0]
        hidden = [np.empty((batch, kernel.shape[1]), FLOAT) for kernel, _, _ in steps[:-1]]
        # The pre-activations of the layers whose activation the chain applies after the product.
        pre = [None if rule is None else np.empty((batch, kernel.shape[1]), FLOAT)
               for (kernel, _, _), rule in zip(steps, self._rules)]
        out = _core.dense_chain_forward(rows, self._native, hidden, pre)
        result = wrap(out)
        inputs = (tx,) + tuple(t if isinstance(t, Tensor) else None for layer in self._layers for t in layer[:2])
        need_dx = needs_gradient(tx)

        def backward(g):
            if g.dtype != FLOAT or not g.flags.c_contiguous:
                g = np.ascontiguousarray(g, dtype=FLOAT)
            dx = np.empty_like(rows) if need_dx else None
            grads = [(np.empty_like(kernel), None if bias is None else np.empty_like(bias))
                     for kernel, bias, _ in steps]
            _core.dense_chain_backward(rows, self._native, hidden + [out], g, dx, grads, pre)
            return (dx,) + tuple(grad for pair in grads for grad in pair)

        record(result, inputs, backward, ("chain", self))
        return result

    def forward_or_none(self, x):
        """``self(x)`` when ``x`` (an array or a Tensor) holds C-contiguous float32 rows of
        ``input_width`` features, else None: the caller then takes its general path, which
        converts or rejects ``x`` as a layer would. The model-call fast path: no more checks
        than that.

        A chain with batch-normalized layers infers with their moving statistics (given in the
        norm entries); not under a recording tape (gamma's and beta's gradients go through the
        layers' ops)."""
        kind = type(x)
        rows = x if kind is _ndarray else x._value if kind is Tensor else None
        if rows is None:
            return None
        if state.tapes:
            # `is not`: numpy's float32 is one object; any other (byte-swapped) goes the general path.
            if (self.normalized or rows.dtype is not FLOAT or rows.ndim != 2 or rows.shape[1] != self.input_width
                    or not rows.flags.c_contiguous):
                return None
            return self._recorded(None if rows is x else x, rows)
        value = self._native.infer(rows)  # the same checks, made natively in a fraction of the time
        if value is None:
            return None
        out = _new_tensor(Tensor)
        out._value = value
        return out

    def loss_gradients(self, rows, labels, keep=None, loss="softmax", sample_weight=None):
        """One training pass under a mean loss of the last layer's output, in one native call and
        without a tape: by default the softmax cross-entropy of the output as logits.

        ``rows``: a C-contiguous float32 (batch, input_width) array; ``labels``: int32 or int64
        (batch,), or C-contiguous float32 (batch, output_width) class probabilities; with
        ``loss="sigmoid"`` (the binary cross-entropy), ``"squared"`` or ``"absolute"`` (the mean
        squared or absolute error), float32 (batch, output_width) targets. Returns
        ``(loss, outputs, grads)``: the loss as a float32 scalar, the last layer's output, and one
        gradient per kernel, bias, gamma and beta in layer order (those that are None are left out);
        the batch-normalized layers' moving statistics, where a momentum is given, are moved. The
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
        batch = rows.shape[0]
        buffers = self._buffers
        if buffers is None or buffers[0] != batch:
            buffers = self._buffers = self._training_buffers(batch)
        _, hidden, logits, dlogits, grads, flat, dropped, stats = buffers
        dropout = None if keep is None else [None if k is None else (k, d) for k, d in zip(keep, dropped)]
        value = _core.dense_chain_loss_gradients(rows, self._native, labels, hidden, logits, dlogits, grads, dropout,
                                                 loss, sample_weight, stats)
        return loss_scalar(value), logits, flat

    def _training_buffers(self, batch):
        """loss_gradients' arrays for ``batch`` rows, reused from call to call."""
        hidden = [np.empty((batch, kernel.shape[1]), FLOAT) for kernel, _, _ in self._steps[:-1]]
        classes = self._steps[-1][0].shape[1]
        logits, dlogits = np.empty((batch, classes), FLOAT), np.empty((batch, classes), FLOAT)
        grads, stats = [], None
        if self.normalized:
            # The batch's statistics per feature, or each row's own (LayerNormalization, the one
            # entry of five items: _norm_arrays).
            stats = [None if norm is None else np.empty((3, batch if len(norm) == 5 else kernel.shape[1]), FLOAT)
                     for norm, (kernel, _, _) in zip(self._norms, self._steps)]
        for (kernel, bias, _), norm in zip(self._steps, self._norms):
            entry = (np.empty_like(kernel), None if bias is None else np.empty_like(bias))
            if norm is not None:
                entry += tuple(None if v is None else np.empty(kernel.shape[1], FLOAT) for v in norm[:2])
            grads.append(entry)
        flat = [grad for entry in grads for grad in entry if grad is not None]
        dropped = [np.empty_like(h) for h in hidden]
        return batch, hidden, logits, dlogits, grads, flat, dropped, stats


def _norm_arrays(norm, index):
    """A layer's ``(gamma, beta, epsilon[, before[, moving_mean, moving_variance[, momentum]]])`` or
    ``(gamma, beta, epsilon, before, "layer")`` with the vectors as float32 arrays (gamma and beta may
    be None)."""
    per_row = isinstance(norm, tuple) and len(norm) == 5 and isinstance(norm[4], str) and norm[4] == "layer"
    if not isinstance(norm, tuple) or len(norm) not in (3, 4, 6, 7) and not per_row:
        raise ValueError(f"DenseChain: layer {index}'s norm must be None, (gamma, beta, epsilon[, before[, "
                         f"moving_mean, moving_variance[, momentum]]]) or (gamma, beta, epsilon, before, 'layer'). "
                         f"Received: {norm!r}")
    gamma, beta, epsilon = norm[:3]
    for name, value in (("epsilon", epsilon), ("momentum", norm[6] if len(norm) == 7 else 0.0)):
        if not isinstance(value, (int, float, np.floating)) or isinstance(value, bool):
            raise ValueError(f"DenseChain: layer {index}'s {name} must be a number. Received: {value!r}")
    moving = () if per_row else tuple(_array_of(vector, f"layer {index}'s {name}")
                                      for vector, name in zip(norm[4:6], ("moving_mean", "moving_variance")))
    return ((None if gamma is None else _array_of(gamma, f"layer {index}'s gamma"),
             None if beta is None else _array_of(beta, f"layer {index}'s beta"), float(epsilon)) + norm[3:4] + moving
            + tuple(float(momentum) for momentum in norm[6:]) + (("layer",) if per_row else ()))
