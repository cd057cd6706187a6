"""Losses a layer adds while it runs: ``add_loss`` in ``call``, and activity regularizers.

As in Keras, they belong to the latest call: the outermost layer of a call clears its own and its
sublayers' before running, so ``model.losses`` after ``model(x)`` holds that call's losses only.
Until some layer uses them (``enable``), a layer call pays nothing for this but one flag test.
"""
import threading

from pykeras import ops
from pykeras.nest import flatten
from pykeras.tensor import Tensor

enabled = False
_depth = threading.local()  # how many layer calls are running on this thread


def enable():
    global enabled
    enabled = True


def call_collecting(layer, call, args, kwargs):
    """``call(layer, *args, **kwargs)``, clearing the losses first when it is the outermost call,
    and adding the layer's activity regularization of its outputs after it."""
    depth = getattr(_depth, "value", 0)
    if depth == 0:
        for sublayer in layer._flatten_layers():
            sublayer._call_losses.clear()
    _depth.value = depth + 1
    try:
        outputs = call(layer, *args, **kwargs)
    finally:
        _depth.value = depth
    regularizer = layer.activity_regularizer
    if regularizer is not None:
        for output in flatten(outputs):
            if isinstance(output, Tensor):
                loss = regularizer(output)
                if output.ndim and output.shape[0]:
                    # Keras divides by the batch size: the same strength whatever the batch.
                    loss = ops.divide(loss, float(output.shape[0]))
                layer._call_losses.append(loss)
    return outputs
