"""A subclassed model's inference in ``predict`` and ``evaluate``, traced once per batch size.

Keras compiles ``predict_step`` and ``test_step`` as it compiles the training step: ``call`` runs
when a batch shape is first seen, the traced computation after that. For the call ``fit`` traces
(traced_chain.py: products by weights, biases, ReLUs, ``Dense`` layers or a ``Sequential`` of them,
each feeding the next; a ``Dropout`` is the identity here) pykeras does the same: the first batch of
each size runs ``call`` with a trace on, and the later ones are one native call of that dense chain,
as a ``Sequential`` of the same layers infers, with the bits of the call. What ``call`` does besides
its ops (a print, a Python counter) happens when it runs, as in Keras; ``model(x)`` itself always
runs ``call`` (Keras runs it eagerly too), and so does every batch of a model compiled with
``run_eagerly=True`` or ``jit_compile=False``. The traces are dropped when the model's layers or
attributes change.
"""
import numpy as np

from pykeras.layers import tracking
from pykeras.models import traced_chain
from pykeras.ops import DenseChain
from pykeras.ops.tape import GradientTape

_UNTRACED = object()
# Batch sizes traced per model until it changes; past them a new size runs ``call`` untraced (a
# stream of batches of every size must not grow the table without end).
_MAX_SIZES = 64


class InferenceTraces:
    """The chains found for one model's inference, by batch size (None: not a chain)."""

    __slots__ = ("_version", "_chains")

    def __init__(self):
        self._version = None
        self._chains = {}

    def call(self, model, x):
        """``model(x, training=False)``; on the traced chain when ``x``'s batch size has one."""
        chains = self._current()
        rows = x.shape[0] if type(x) is np.ndarray and x.ndim == 2 else None
        chain = chains.get(rows, _UNTRACED) if rows is not None else None
        if chain is _UNTRACED:
            if len(chains) >= _MAX_SIZES:
                return model(x, training=False)
            return self._trace(model, x, rows)
        if chain is not None:
            output = chain.forward_or_none(x)
            if output is not None:
                return output
        return model(x, training=False)

    def _trace(self, model, x, rows):
        trace, before = [], traced_chain.state_snapshot(model)
        # Under a tape, as in fit: ops record only then, and the trace only what they record.
        with GradientTape(), traced_chain.tracing(trace):
            output = model(x, training=False)
        found = traced_chain.chain_of_call(model, trace, x, output, before)
        plain = found is not None and not any(found[1])  # a Dropout applied in inference: not a chain
        # Keyed by the version after the call, which may have set attributes of its own.
        self._current()[rows] = DenseChain(found[0]) if plain else None
        return output

    def _current(self):
        """The chains traced since the model's layers and attributes last changed."""
        if self._version != tracking.version[0]:
            self._version, self._chains = tracking.version[0], {}
        return self._chains


def inference_traces(model):
    """The model's InferenceTraces, or None when its inference runs ``call`` at every batch: a
    Sequential or functional model (which infer on their own chain), or one compiled with
    ``run_eagerly=True`` or ``jit_compile=False``. An uncompiled model traces, as Keras compiles
    ``predict`` for it."""
    traces = model.__dict__.get("_inference_traces")
    if traces is None:
        from pykeras.models.functional import Functional
        from pykeras.models.sequential import Sequential

        traces = False if isinstance(model, (Sequential, Functional)) else InferenceTraces()
        object.__setattr__(model, "_inference_traces", traces)  # not a tracked attribute
    return traces if traces and (model._traces_call or not model.compiled) else None
