"""DenseChain: ``dense`` applied layer after layer, prepared once, run as one native call."""
import numpy as np

from pykeras import _core
from pykeras.ops.core import wrap
from pykeras.ops.nn import FUSED_ACTIVATIONS, dense
from pykeras.ops.tape import state
from pykeras.tensor import FLOAT, Tensor


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
    recording GradientTape it composes ``dense`` ops instead, so gradients flow as usual.
    The arithmetic is the same either way: results are bitwise equal.

    Kernels and biases are read in place: later updates to the Variables (``assign``, an
    optimizer step) are seen; replacing a Variable needs a new DenseChain.
    """

    __slots__ = ("_layers", "_steps", "input_width")

    def __init__(self, layers):
        self._layers = [tuple(layer) for layer in layers]
        if not self._layers:
            raise ValueError("DenseChain: at least one (kernel, bias, activation) is needed. Received: []")
        steps, width = [], None
        for index, (kernel, bias, activation) in enumerate(self._layers):
            if activation not in FUSED_ACTIVATIONS:
                raise ValueError(
                    f"DenseChain: layer {index}'s activation must be one of {FUSED_ACTIVATIONS}. "
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
            width = k.shape[1]
        self._steps = steps
        self.input_width = self._steps[0][0].shape[0]

    def __call__(self, x):
        if state.tapes:
            for kernel, bias, activation in self._layers:
                x = dense(x, kernel, bias, activation)
            return x
        array = x._value if isinstance(x, Tensor) else np.asarray(x)
        if array.ndim != 2 or array.dtype != FLOAT or not array.flags.c_contiguous:
            # dense handles the rest: casting, more than two dimensions, its error messages.
            for kernel, bias, activation in self._steps:
                x = dense(x, kernel, bias, activation)
            return x
        return wrap(_core.dense_chain_forward(array, self._steps))

    def forward_rows(self, rows):
        """Inference on ``rows``, a C-contiguous float32 (batch, input_width) array, with no
        tape recording (the caller has checked both); returns a Tensor."""
        return wrap(_core.dense_chain_forward(rows, self._steps))
