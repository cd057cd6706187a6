"""GradientTape: reverse-mode autograd as a list of records in execution order.

An op records ``(output, inputs, backward)`` only while a tape is active and
one of its inputs is watched (a trainable Variable, a tensor passed to
``watch``, or the output of an op already recorded), so inference pays
nothing. ``gradient`` walks the list once in reverse.
"""
import threading

import numpy as np

from pykeras.nest import flatten, pack_like
from pykeras.tensor import Tensor, Variable


class _ThreadTapes(threading.local):
    """Each thread records only its own ops: one thread training while
    another predicts must not see the other's tape."""

    def __init__(self):
        self.tapes = []  # recording tapes, innermost last
        self.trace = None  # a list while a training call is traced (models/traced_chain.py)


state = _ThreadTapes()


class GradientTape:
    """Records differentiable ops run inside its ``with`` block.

    Args:
        persistent: allow several ``gradient`` calls on one recording.
        watch_accessed_variables: watch every trainable Variable automatically.

    Example:
        >>> with keras.GradientTape() as tape:
        ...     loss = ops.sum(ops.square(layer(x) - y))
        >>> grads = tape.gradient(loss, layer.trainable_weights)
    """

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self.persistent = persistent
        self.watch_accessed_variables = watch_accessed_variables
        self._records = []
        self._watched = set()
        self._keep_alive = []  # watched tensors must outlive their ids
        self._recording = False
        self._used = False

    def __enter__(self):
        self._recording = True
        state.tapes.append(self)
        return self

    def __exit__(self, *exc_info):
        self._recording = False
        state.tapes.remove(self)
        return False

    def watch(self, tensor):
        """Marks a tensor (or a nested list of them) as a source to differentiate."""
        for item in flatten(tensor):
            if not isinstance(item, Tensor):
                raise TypeError(
                    f"GradientTape.watch: expected a Tensor or Variable. Received: {type(item).__name__}"
                )
            self._watched.add(id(item))
            self._keep_alive.append(item)

    def stop_recording(self):
        """Context manager: ops run inside it are not recorded on this tape."""
        return _Paused(self)

    def _is_watched(self, tensor):
        if id(tensor) in self._watched:
            return True
        return (
            self.watch_accessed_variables
            and isinstance(tensor, Variable)
            and tensor.trainable
        )

    def _record(self, output, inputs, backward):
        watched = self._watched
        auto = self.watch_accessed_variables
        for tensor in inputs:
            if tensor is not None and (
                id(tensor) in watched or (auto and type(tensor) is Variable and tensor.trainable)
            ):
                self._records.append((output, inputs, backward))
                watched.add(id(output))
                return

    def gradient(self, target, sources, output_gradients=None):
        """Returns d(target)/d(sources), in the structure of ``sources``.

        A non-scalar target is summed first (its output gradient is ones).
        A source the target does not depend on gets ``None``.
        """
        if self._used and not self.persistent:
            raise RuntimeError(
                "GradientTape.gradient can only be called once on a non-persistent tape. "
                "Create the tape with persistent=True to call it more than once."
            )
        self._used = True
        if not isinstance(target, Tensor):
            raise TypeError(
                f"GradientTape.gradient: target must be a Tensor. Received: {type(target).__name__}"
            )
        flat_sources = flatten(sources)
        grads = self._backward(target, flat_sources, output_gradients)
        if not self.persistent:
            self._records = []
            self._watched = set()
            self._keep_alive = []
        results = [None if g is None else Tensor(g) for g in grads]
        return pack_like(sources, results)

    def _backward(self, target, flat_sources, output_gradients=None):
        """Returns a list of numpy gradients (or None), one per flat source."""
        if output_gradients is None:
            seed = np.ones(target.shape, dtype=target._value.dtype)
        else:
            seed = np.asarray(output_gradients, dtype=target._value.dtype).reshape(target.shape)
        keep = {id(s) for s in flat_sources}
        grads = {id(target): seed}
        for output, inputs, backward in reversed(self._records):
            key = id(output)
            grad = grads.get(key) if key in keep else grads.pop(key, None)
            if grad is None:
                continue
            for tensor, input_grad in zip(inputs, backward(grad)):
                if tensor is None or input_grad is None:
                    continue
                slot = id(tensor)
                previous = grads.get(slot)
                grads[slot] = input_grad if previous is None else previous + input_grad
        # Like TensorFlow: a source the tape does not watch gets no gradient.
        return [grads.get(id(s)) if self._is_watched(s) else None for s in flat_sources]


def needs_gradient(tensor):
    """Whether an active tape watches ``tensor``, so that an op recorded now must give its
    gradient. A backward rule skips the others' work: ``x @ w`` with ``x`` a batch of data needs
    only ``w``'s gradient, half the product's backward cost."""
    return tensor is not None and any(tape._is_watched(tensor) for tape in state.tapes)


def record(output, inputs, backward, kind=None):
    """Called by ops: records on every active tape that watches an input. ``kind`` names the few
    ops a traced call is recognized from ("matmul", "add", "relu", "dense:" with the activation,
    ("dropout", layer) and ("chain", DenseChain)); while a trace is on, every op is appended to it,
    the others as None."""
    for tape in state.tapes:
        if tape._recording:
            tape._record(output, inputs, backward)
    if state.trace is not None:
        state.trace.append((kind, output, inputs))


class _Paused:
    def __init__(self, tape):
        self._tape = tape

    def __enter__(self):
        self._tape._recording = False

    def __exit__(self, *exc_info):
        self._tape._recording = True
        return False
