"""The built-in training step of a plain dense classifier or regression, as one native call.

A Sequential or functional chain of Dense layers (dense_stack.py) compiled with sparse categorical
cross-entropy (or categorical, against class probabilities; or binary), from logits or from the last
layer's softmax (sigmoid for the binary loss), which the loss computes from its logits
(losses/crossentropy.py), or with the mean squared or mean absolute error of its output
(losses/regression.py), trains, on the generic path, through a GradientTape: the chain op, the
loss op, the tape walk and their Python around three native calls. Here forward, loss and every
gradient are one call into buffers reused from step to step (``DenseChain.loss_gradients``); the
optimizer and the metrics then run exactly as on the generic path. A Dropout right after a
hidden layer is part of the step: its mask is drawn as the layer itself would draw it, in layer
order, and applied inside the native call. The arithmetic is the same, so the weights, losses and
metrics are bitwise those of the generic step (tests compare them).

Weight regularizers add their penalties to the loss and their gradients to the chain's, taken
on a tape of their own ops: the same ops, so the same bits, as the generic step's tape. The
common case, one L2 penalty per weight, skips the tape: one native call reads every penalized
weight once, adding its gradient ``w * (2 * l2)`` into the chain's (rounded as the tape's
``grad + w * (2 * g)`` is) and summing its squares (as the penalty op does); the penalties' values
are then summed with the ops' float32 steps without the ops (W6's L2 model, 784-256-128-10, at
batch 32: 58,000 -> 88,000-94,000 samples/s, the same model without L2 109,000-116,000).

Sample weights, one per row (``class_weight`` gives those), weigh the rows' losses inside the call,
as the loss op weighs them on the generic path.

BatchNormalization after a hidden Dense (and before its activation layer, if any) is part of the
step: the chain normalizes with the batch's statistics and moves the layer's moving mean and
variance with them, as the layer's own training call does, in the same native call (W6's model,
784-256-128-10 with two such layers, per step at batch 128: 1,010 -> 860 us; at batch 32: 450 ->
320 us, and about 10 us less with the moving statistics moved natively). So is a LayerNormalization
over the features in its place, each row normalized with its own statistics.

A subclassed model whose call is such a chain (custom layers' ``matmul(x, w) + b`` and ``relu``, or
Dense layers; Dropout between them) gets the same step once a traced call has shown it
(traced_chain.py).

Anything else (another loss or model, other sample weights, activity regularizers, frozen layers,
Dropout elsewhere or with a noise_shape, an overridden train_step or compute_loss) takes the
generic path.
"""
import numpy as np

from pykeras import _core
from pykeras.layers import tracking
from pykeras.losses import (BinaryCrossentropy, CategoricalCrossentropy, MeanAbsoluteError, MeanSquaredError,
                            SparseCategoricalCrossentropy)
from pykeras.losses.fused import FUSED_REDUCTIONS, fused_row_weights, output_targets
from pykeras.models import traced_chain
from pykeras.models.dense_stack import apply_output_activation, flat_rows
from pykeras.ops.dense_chain import DenseChain
from pykeras.regularizers import L1L2
from pykeras.ops.tape import GradientTape
from pykeras.tensor import FLOAT, Tensor, Variable

# The native loss of each compiled loss type the step takes.
_NATIVE_LOSS = {SparseCategoricalCrossentropy: "softmax", CategoricalCrossentropy: "softmax",
                BinaryCrossentropy: "sigmoid", MeanSquaredError: "squared", MeanAbsoluteError: "absolute"}


class FusedStep:
    """One model's fused step, valid while the model, its compile and its variables stay put.
    A model that does not qualify gets one without a chain, so the check is not redone every
    step."""

    __slots__ = ("key", "_chain", "_variables", "_dropouts", "_output_activation", "_loss", "_regularized",
                 "_flatten_rank", "_rows", "traces_call")

    def __init__(self, key, chain, variables, dropouts=None, output_activation=None, loss=None, regularized=False,
                 flatten_rank=None, rows=None, traces_call=False):
        self.key = key
        self._chain = chain
        self._variables = variables
        self._flatten_rank = flatten_rank  # the input's rank when a leading Flatten makes it rows, else None
        # A chain traced from a call (traced_chain.py) runs batches of the traced size only: as Keras
        # traces its step again for a new input shape, another size runs the call.
        self._rows = rows
        self._dropouts = dropouts  # the Dropout after each hidden layer (None where none), or None
        self._output_activation = output_activation  # "softmax" or "sigmoid" applied to the logits, or None
        self._loss = loss  # the compiled loss's type
        self._regularized = regularized  # whether some weight has a regularizer
        # Without a chain: whether the general step should trace the model's call (traced_chain.py).
        self.traces_call = traces_call

    def run(self, model, x, y, sample_weight=None):
        """Trains on one batch and returns True, or returns False (nothing done) when the batch
        is not one this step handles."""
        chain = self._chain
        if chain is None:
            return False
        if self._flatten_rank is not None:
            x = flat_rows(x, self._flatten_rank)
        if not (type(x) is np.ndarray and x.dtype == FLOAT and x.ndim == 2 and x.flags.c_contiguous
                and x.shape[1] == chain.input_width and (self._rows is None or x.shape[0] == self._rows)):
            return False
        if self._loss is SparseCategoricalCrossentropy:
            labels = _labels(y, x.shape[0])
        elif self._loss is CategoricalCrossentropy:
            labels = _class_probabilities(y, x.shape[0], chain.output_width)
        else:  # binary or regression targets, converted as the loss's own fused path converts them
            labels = output_targets(y, (x.shape[0], chain.output_width)) if type(y) is np.ndarray else None
        if labels is None:
            return False
        weights = fused_row_weights(sample_weight, (x.shape[0], chain.output_width))
        if weights is False:
            return False
        keep = None
        if self._dropouts is not None:
            # Drawn in layer order, as the Dropout layers of the generic step draw them.
            keep = [None if layer is None else layer.draw_keep((x.shape[0], kernel.shape[1]))
                    for layer, (kernel, *_) in zip(self._dropouts, chain.layers)]
        # The native pass also moves the BatchNormalization layers' moving statistics, as their calls do.
        loss, logits, grads = chain.loss_gradients(x, labels, keep, _NATIVE_LOSS[self._loss], weights)
        if self._regularized:
            loss = self._add_penalties(model, loss, grads)
        model.optimizer.apply(grads, self._variables)
        output, compiled = self._output_activation, model._compiled
        if output is not None and compiled.metrics_read_predictions():
            logits = apply_output_activation(output, logits)  # what the metrics see: the model's output
        compiled.update_state(y, logits, sample_weight, loss)
        return True

    def _add_penalties(self, model, loss, grads):
        """The loss with the weight penalties added as the generic step adds them; their
        gradients added into ``grads`` (the chain's, which are this step's own buffers)."""
        l2_terms = _l2_terms(model, self._variables)
        if l2_terms is not None:
            # One native pass over each weight: the tape's gradient, from the penalty's upstream
            # g = float32(l2), w * (2 * g) added into the chain's; and the sum of squares. Then the
            # ops' float32 steps in their order: loss + float32(l2) * sum of squares, penalty by penalty.
            sums = _core.l2_penalty([self._variables[index]._value for index, _ in l2_terms],
                                    [grads[index] for index, _ in l2_terms],
                                    [FLOAT.type(2) * FLOAT.type(l2) for _, l2 in l2_terms])
            total = FLOAT.type(loss)
            for (_, l2), squares in zip(l2_terms, sums):
                total = total + FLOAT.type(l2) * FLOAT.type(squares)
            return total
        with GradientTape() as tape:
            total = model._add_regularization(Tensor(loss))
        for grad, extra in zip(grads, tape._backward(total, self._variables)):
            if extra is not None:
                np.add(grad, extra, out=grad)
        return total._value[()]


def _l2_terms(model, variables):
    """``[(index in variables, l2), ...]`` when every penalty of ``model`` is one plain L2 (an
    ``L1L2`` with no L1 term, the class itself or Keras's ``L2``) on a distinct float32 weight of
    ``variables``, else None (the tape then takes the gradients)."""
    position = {id(variable): index for index, variable in enumerate(variables)}
    terms, seen = [], set()
    for layer in model._flatten_layers():
        if layer._call_losses:
            return None
        for variable, regularizer in layer._losses:
            index = position.get(id(variable))
            if (index is None or id(variable) in seen or type(regularizer).__call__ is not L1L2.__call__
                    or regularizer.l1 or variable._value.dtype != FLOAT):
                return None
            seen.add(id(variable))
            if regularizer.l2:
                terms.append((index, regularizer.l2))
    return terms


def _labels(y, batch):
    """``y`` as the native loss's int32 or int64 labels (batch,), or None."""
    if type(y) is not np.ndarray or y.dtype.kind != "i" or y.dtype.itemsize not in (4, 8):
        return None
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.reshape(-1)
    if y.ndim != 1 or y.shape[0] != batch or batch == 0:
        return None
    return np.ascontiguousarray(y)


def _class_probabilities(y, batch, classes):
    """``y`` as the native loss's float32 (batch, classes) targets, converted as the loss converts
    them, or None."""
    if type(y) is not np.ndarray or y.dtype.kind not in "fiu" or y.shape != (batch, classes) or batch == 0:
        return None
    return np.ascontiguousarray(y, dtype=FLOAT)


def fused_step(model, cached):
    """The model's FusedStep (``cached`` reused when still valid); one without a chain,
    which runs nothing, when the model does not qualify."""
    variables = model._trainable_variables_cached()
    key = (tracking.structure_version(), id(model._compiled), id(model.optimizer), id(variables))
    if cached is not None and cached.key == key:
        return cached
    if not _built_in_steps(model):
        return FusedStep(key, None, [])
    chain = _eligible_chain(model, variables)
    if chain is None:
        return FusedStep(key, None, [], traces_call=_may_trace(model))
    stack = model._dense_stack
    regularized = any(layer._losses for layer in model._flatten_layers())
    return FusedStep(key, chain, list(_chain_variables(chain)), stack.dropouts if stack.has_dropout else None,
                     stack.output_activation, type(model._compiled._losses[0]), regularized,
                     stack.input_rank if stack.flattens else None)


def traced_step(model, trace, x, output, before):
    """After the general step traced the model's call on ``x`` (giving ``output``; ``before``, the
    state snapshot taken before it): its FusedStep, with the chain ``trace`` computes if it is one
    this step can run (traced_chain.py), else without."""
    variables = model._trainable_variables_cached()
    key = (tracking.structure_version(), id(model._compiled), id(model.optimizer), id(variables))
    found = traced_chain.chain_of_call(model, trace, x, output, before)
    if found is None:
        return FusedStep(key, None, [])
    layers, dropouts = found
    chain = DenseChain(layers)
    mine = list(_chain_variables(chain))
    # Exactly the model's trainable variables, each once (a weight applied twice appears twice).
    if sorted(map(id, mine)) != sorted(map(id, variables)) or not _loss_fits(model._compiled, chain, None):
        return FusedStep(key, None, [])
    return FusedStep(key, chain, mine, dropouts if any(d is not None for d in dropouts) else None,
                     loss=type(model._compiled._losses[0]), rows=x.shape[0])


def _built_in_steps(model):
    """Whether the model trains with Trainer's own step (not one its class overrides) and has one
    compiled loss and no losses added by a call."""
    from pykeras.models.trainer import Trainer

    kind = type(model)
    compiled = model._compiled
    return (kind.train_step is Trainer.train_step and kind.compute_loss is Trainer.compute_loss
            and kind._fit_batch is Trainer._fit_batch and compiled is not None and compiled._losses is not None
            and len(compiled._losses) == 1 and not traced_chain.adds_call_losses(model))


def _may_trace(model):
    """Whether a subclassed model's call is worth tracing: compiled to (run_eagerly and jit_compile
    say so), with a loss the fused step computes and no weight penalties."""
    from pykeras.models.functional import Functional
    from pykeras.models.sequential import Sequential

    return (model._traces_call and not isinstance(model, (Sequential, Functional))
            and type(model._compiled._losses[0]) in _NATIVE_LOSS and not model._has_regularizers())


def _eligible_chain(model, variables):
    from pykeras.models.functional import Functional
    from pykeras.models.sequential import Sequential

    kind = type(model)
    if not (isinstance(model, (Sequential, Functional)) and kind.__call__ in (Sequential.__call__, Functional.__call__)):
        return None
    stack = model._dense_stack
    chain = stack.get(model, model._chain_layers)
    if chain is None or (stack.has_dropout and stack.dropouts is None):
        return None
    if not _loss_fits(model._compiled, chain, stack.output_activation):
        return None
    # The step updates exactly the chain's variables: all of them, and nothing else, trainable.
    mine = list(_chain_variables(chain))
    if not all(type(v) is Variable and v.trainable for v in mine):
        return None
    if sorted(map(id, mine)) != sorted(map(id, variables)):
        return None
    return chain


def _loss_fits(compiled, chain, output):
    """Whether the compiled loss is one the native step computes, on the chain's output as it comes
    (``output``: the activation the model applies after the chain, "softmax", "sigmoid" or None)."""
    loss = compiled._losses[0]
    kind = type(loss)
    if kind is SparseCategoricalCrossentropy:
        fits, activation = loss.ignore_class is None, "softmax"
    elif kind is CategoricalCrossentropy:
        fits, activation = not loss.label_smoothing and loss.axis in (-1, 1) and chain.output_width > 1, "softmax"
    elif kind is BinaryCrossentropy:
        fits, activation = not loss.label_smoothing and loss.axis in (-1, 1), "sigmoid"
    elif kind in (MeanSquaredError, MeanAbsoluteError):
        fits, activation = True, None
    else:
        return None
    # From the logits, or from the output of the loss's own activation (whose logits the loss reads);
    # from_logits=True on such an output is a mistake the generic path warns about. A regression
    # loss reads the chain's output itself.
    from_logits = output is None if activation is None or loss.from_logits else output == activation
    return fits and from_logits and loss.reduction in FUSED_REDUCTIONS and compiled._loss_weights == [1.0]


def _chain_variables(chain):
    """The chain's variables in layer order, as the model lists them: kernel, bias, gamma, beta."""
    for entry in chain.layers:
        kernel, bias = entry[:2]
        norm = entry[3] if len(entry) == 4 else (None, None)
        yield from (v for v in (kernel, bias) + tuple(norm[:2]) if v is not None)

