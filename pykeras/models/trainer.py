"""compile / fit / evaluate / predict: the training loop every Model has."""
import contextlib

import numpy as np

from pykeras import _core
from pykeras.models import batch_sources, traced_chain
from pykeras.models import data as data_utils
from pykeras.models.fused_step import fused_step, traced_step
from pykeras.models.traced_inference import inference_traces
from pykeras.models.compiled import CompiledLossAndMetrics
from pykeras.models.weights_lock import WeightsLock
from pykeras.ops.core import convert_to_tensor
from pykeras.ops.tape import GradientTape
from pykeras.tensor import Variable


def _callback_list(*args, **kwargs):
    # keras.callbacks loads with the first fit, evaluate or predict that reports, not with `import pykeras`.
    from pykeras.callbacks import CallbackList

    return CallbackList(*args, **kwargs)


def _not_compiled_error(method):
    return ValueError(f"You must call `compile()` before calling `{method}()`.")


class Trainer:
    """Mixed into Model: the built-in training, evaluation and prediction loops."""

    def _init_trainer(self):
        self.compiled = False
        self.optimizer = None
        self.stop_training = False
        self.history = None
        self._compiled = None
        self._compile_config = None
        self._train_variables = None
        self._traces_call = False  # set by compile
        # Training steps write the weights alone; predict calls read them together.
        self._weights_lock = WeightsLock()

    # ------------------------------------------------------------------ compile

    def compile(
        self,
        optimizer="rmsprop",
        loss=None,
        loss_weights=None,
        metrics=None,
        weighted_metrics=None,
        run_eagerly=False,
        steps_per_execution=1,
        jit_compile="auto",
        auto_scale_loss=True,
    ):
        """Configures the model for training.

        Args:
            optimizer: a name (``"adam"``, ``"sgd"``, ...) or an Optimizer.
            loss: a name, a Loss, a callable ``(y_true, y_pred)``, or a
                list/dict of those for a model with several outputs.
            loss_weights: scalars weighting each output's loss.
            metrics: names (``"accuracy"``, ``"mae"``...), Metric objects or
                callables; a list, or a list/dict per output.
            weighted_metrics: metrics that take ``sample_weight`` into account.

            run_eagerly, jit_compile: a subclassed model's ``call`` is traced early in
                each ``fit`` and, when it is a chain of dense products (``matmul``,
                ``+ bias``, ``relu``, or Dense layers; Dropout between them), later
                steps run that chain fused, as Keras runs its compiled step
                (models/traced_chain.py); ``run_eagerly=True`` or
                ``jit_compile=False`` runs ``call`` at every step.

        The remaining arguments exist for Keras compatibility and change nothing
        here.
        """
        from pykeras import optimizers

        self.optimizer = optimizers.get(optimizer)
        self._compiled = CompiledLossAndMetrics(self, loss, loss_weights, metrics, weighted_metrics)
        self._compile_config = {
            "optimizer": optimizer,
            "loss": loss,
            "loss_weights": loss_weights,
            "metrics": metrics,
            "weighted_metrics": weighted_metrics,
        }
        self.compiled = True
        self._train_variables = None
        self._traces_call = not run_eagerly and jit_compile is not False

    @property
    def metrics(self):
        """The metric objects fit reports: compiled metrics, then the loss tracker."""
        return [] if self._compiled is None else self._compiled.all_metrics()

    @property
    def metrics_names(self):
        return [metric.name for metric in self.metrics]

    def reset_metrics(self):
        for metric in self.metrics:
            metric.reset_state()

    # ------------------------------------------------------------------ steps

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss plus the layers' regularization losses, as a Tensor."""
        return self._add_regularization(self._compiled.loss(y, y_pred, sample_weight))

    def _add_regularization(self, total):
        """``total`` plus the layers' regularization losses, in ``losses`` order."""
        if self._has_regularizers():
            for extra in self.losses:
                total = total + extra
        return total

    def _has_regularizers(self):
        """Whether ``losses`` may hold anything: weight regularizers, activity regularizers or
        losses a call added."""
        return any(layer._losses or layer._call_losses or layer.activity_regularizer is not None
                   for layer in self._flatten_layers())

    def train_step(self, data):
        """One optimizer step on ``(x, y, sample_weight)``; returns the logs.

        Override it to customise training, as in Keras; the built-in one runs
        ``_fit_batch`` and reads the metrics.
        """
        self._fit_batch(*data_utils.unpack_x_y_sample_weight(data))
        return self._compiled.results()

    def _fit_batch(self, x, y, sample_weight):
        """Forward, loss, backward, update and metric accumulation; no logs."""
        trace = None
        if self._compiled._losses is not None:
            # A plain dense classifier or regression: the same step as one native call (fused_step.py).
            step = fused_step(self, self.__dict__.get("_fused_step"))
            object.__setattr__(self, "_fused_step", step)
            if step.run(self, x, y, sample_weight):
                return
            if step.traces_call:
                trace, before = [], traced_chain.state_snapshot(self)
        with GradientTape() as tape:
            if trace is None:
                y_pred = self(x, training=True)
            else:
                with traced_chain.tracing(trace):
                    y_pred = self(x, training=True)
            loss = self.compute_loss(x, y, y_pred, sample_weight)
        self._check_loss(loss)
        variables = self._trainable_variables_cached()  # after the call, which builds a model built lazily
        grads = tape._backward(loss, variables)
        self.optimizer.apply(grads, variables)
        self._compiled.update_state(y, y_pred, sample_weight, loss)
        if trace is not None:
            # Traced once: the next steps run the chain it found, if any, or this path untraced.
            object.__setattr__(self, "_fused_step", traced_step(self, trace, x, y_pred, before))

    def test_step(self, data):
        self._test_batch(*data_utils.unpack_x_y_sample_weight(data))
        return self._compiled.results()

    def _test_batch(self, x, y, sample_weight):
        """Forward, loss and metric accumulation of one evaluation batch; no logs."""
        y_pred = self._infer(x)
        loss = self.compute_loss(x, y, y_pred, sample_weight, training=False)
        self._compiled.update_state(y, y_pred, sample_weight, loss)

    def predict_step(self, data):
        x, _, _ = data_utils.unpack_x_y_sample_weight(data)
        return self._infer(x)

    def _infer(self, x):
        """``self(x, training=False)`` for the built-in steps: traced, as Keras compiles them
        (traced_inference.py)."""
        traces = inference_traces(self)
        return self(x, training=False) if traces is None else traces.call(self, x)

    def _trainable_variables_cached(self):
        # Fixed for the length of a fit, as Keras fixes it when it compiles the
        # step; train_on_batch and a new fit see freezing changes.
        if self._train_variables is None:
            if not self.built:
                return self.trainable_weights  # not final yet: the first call creates the weights
            self._train_variables = self.trainable_weights
        return self._train_variables

    def _check_loss(self, loss):
        if loss.shape != ():
            raise ValueError(
                f"The loss must be a scalar. Received: a loss of shape {loss.shape}"
            )

    # ------------------------------------------------------------------ fit

    def fit(
        self,
        x=None,
        y=None,
        batch_size=None,
        epochs=1,
        verbose="auto",
        callbacks=None,
        validation_split=0.0,
        validation_data=None,
        shuffle=True,
        class_weight=None,
        sample_weight=None,
        initial_epoch=0,
        steps_per_epoch=None,
        validation_steps=None,
        validation_batch_size=None,
        validation_freq=1,
    ):
        """Trains for ``epochs`` passes over ``(x, y)``; returns a History.

        Follows Keras: ``validation_split`` takes the last samples before any
        shuffling; the logged loss and metrics are running means over the epoch
        weighted by batch size; ``val_`` entries come from ``validation_data``.
        """
        if not self.compiled:
            raise _not_compiled_error("fit")
        batch_size = data_utils.check_batch_size(batch_size)
        if batch_sources.is_dataset(x):
            batch_sources.refuse_beside_dataset("fit", y=y, sample_weight=sample_weight,
                                                validation_split=validation_split)
            source = batch_sources.DatasetBatches(x, "fit", steps_per_epoch, class_weight)
        else:
            x, y = data_utils.to_arrays(x, "x"), data_utils.to_arrays(y, "y")
            sample_weight = data_utils.to_arrays(sample_weight, "sample_weight")
            if x is None:
                raise ValueError("fit: `x` is required. Received: x=None")
            if validation_split and validation_data is None:
                (x, y, sample_weight), validation_data = data_utils.split_validation(
                    x, y, sample_weight, validation_split
                )
            if class_weight is not None:
                sample_weight = data_utils.class_weights_to_sample_weights(y, class_weight, sample_weight)
            source = batch_sources.ArrayBatches(x, y, sample_weight, batch_size, steps_per_epoch)
            _require_samples(source.total, "fit")
        steps = source.steps
        validation = _validation_source(validation_data, validation_batch_size or batch_size, validation_steps)
        verbose = 1 if verbose == "auto" else int(verbose)
        callback_list = _callback_list(
            callbacks, add_history=True, add_progbar=verbose != 0, model=self,
            verbose=verbose, epochs=epochs, steps=steps,
        )
        self.stop_training = False
        self._train_variables = None
        # The built-in step skips reading metrics after a batch nobody looks at.
        builtin_step = type(self).train_step is Trainer.train_step
        callback_list.on_train_begin()
        logs = {}
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            callback_list.on_epoch_begin(epoch)
            step = -1
            for step, batch in enumerate(source.epoch(shuffle)):
                callback_list.on_train_batch_begin(step)
                if builtin_step:
                    with self._weights_lock.write():
                        self._fit_batch(*batch)
                    logs = _to_floats(self._compiled.results()) if callback_list.wants_train_batch_logs() else None
                else:
                    with self._weights_lock.write():
                        step_logs = self.train_step(data_utils.pack_x_y_sample_weight(*batch))
                    logs = _to_floats(step_logs)
                callback_list.on_train_batch_end(step, logs)
                if self.stop_training:
                    break
            if step < 0:  # a generator already used up
                if epoch == initial_epoch:
                    raise ValueError("fit: the dataset gave no batches.")
                batch_sources.warn_out_of_data("fit")
                break
            if builtin_step:
                logs = _to_floats(self._compiled.results())
            epoch_logs = dict(logs)
            if validation is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._evaluate_source(validation, callback_list, "validation", not callbacks)
                epoch_logs.update({f"val_{key}": value for key, value in val_logs.items()})
            callback_list.on_epoch_end(epoch, epoch_logs)
            logs = epoch_logs
            if self.stop_training:
                break
        if epochs > 0:  # as Keras: with use_ema, the model ends up holding the moving averages
            self.optimizer.finalize_variable_values(self.trainable_weights)
        callback_list.on_train_end(logs)
        self.history = callback_list.history
        return self.history

    # ------------------------------------------------------------------ evaluate

    def evaluate(
        self,
        x=None,
        y=None,
        batch_size=None,
        verbose="auto",
        sample_weight=None,
        steps=None,
        callbacks=None,
        return_dict=False,
    ):
        """Loss and metrics on ``(x, y)``: a scalar, a list ``[loss, *metrics]``, or a dict."""
        if not self.compiled:
            raise _not_compiled_error("evaluate")
        batch_size = data_utils.check_batch_size(batch_size)
        if batch_sources.is_dataset(x):
            batch_sources.refuse_beside_dataset("evaluate", y=y, sample_weight=sample_weight)
            source = batch_sources.DatasetBatches(x, "evaluate", steps)
        else:
            x, y = data_utils.to_arrays(x, "x"), data_utils.to_arrays(y, "y")
            sample_weight = data_utils.to_arrays(sample_weight, "sample_weight")
            source = batch_sources.ArrayBatches(x, y, sample_weight, batch_size, steps)
        verbose = 1 if verbose == "auto" else int(verbose)
        callback_list = _callback_list(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1, steps=source.steps,
        )
        return _format_logs(self._evaluate_source(source, callback_list, "evaluate", not callbacks), return_dict)

    def _evaluate_source(self, source, callback_list, what, no_callers_callbacks):
        if isinstance(source, batch_sources.ArrayBatches):
            _require_samples(source.total, what)
        self.reset_metrics()
        callback_list.on_test_begin()
        logs = {}
        step = -1
        # As in fit: the built-in step reads the metrics only after a batch someone looks at.
        builtin_step = type(self).test_step is Trainer.test_step
        with _held_weights(builtin_step and no_callers_callbacks):
            for step, batch in enumerate(source.epoch()):
                callback_list.on_test_batch_begin(step)
                if builtin_step:
                    self._test_batch(*batch)
                    logs = _to_floats(self._compiled.results()) if callback_list.wants_test_batch_logs() else None
                else:
                    logs = _to_floats(self.test_step(data_utils.pack_x_y_sample_weight(*batch)))
                callback_list.on_test_batch_end(step, logs)
        if builtin_step and step >= 0:
            logs = _to_floats(self._compiled.results())
        if step < 0:
            if what != "validation":
                raise ValueError(f"{what}: the dataset gave no batches.")
            batch_sources.warn_out_of_data(what)  # a validation generator used up: no val_ logs
        callback_list.on_test_end(logs)
        return logs

    # ------------------------------------------------------------------ predict

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Runs the model on ``x`` in batches; returns numpy (a list for several outputs).

        Thread-safe: several threads may predict at once, and a thread may predict while another
        runs ``fit``; each prediction then sees the weights between two training steps.
        (``evaluate`` is not: it shares the model's compiled metrics with ``fit``.)
        """
        with self._weights_lock.read():
            return self._predict(x, batch_size, verbose, steps, callbacks)

    def _predict(self, x, batch_size, verbose, steps, callbacks):
        batch_size = data_utils.check_batch_size(batch_size)
        verbose = 1 if verbose == "auto" else int(verbose)
        if batch_sources.is_dataset(x):
            source = batch_sources.DatasetBatches(x, "predict", steps)
        else:
            x = data_utils.to_arrays(x, "x")
            single = type(x) is np.ndarray and x.ndim > 0
            total = len(x) if single else data_utils.num_samples(("x", x))
            if not callbacks and not verbose and total <= batch_size and steps is None:
                # One batch, nothing to report: no loop, and no copy unless the
                # result would alias the caller's input or a variable.
                return _owned(_to_numpy(self.predict_step(data_utils.pack_x_y_sample_weight(x))), x)
            source = batch_sources.ArrayBatches(x, None, None, batch_size, steps)
        callback_list = None
        if callbacks or verbose:
            callback_list = _callback_list(
                callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1, steps=source.steps,
            )
            callback_list.on_predict_begin()
        outputs = []
        # (A fit in another thread waits for the read lock: it cannot change the weights meanwhile.)
        with _held_weights(not callbacks and type(self).predict_step is Trainer.predict_step):
            for step, (batch_x, _, _) in enumerate(source.epoch()):
                if callback_list:
                    callback_list.on_predict_batch_begin(step)
                batch_outputs = _to_numpy(self.predict_step(data_utils.pack_x_y_sample_weight(batch_x)))
                outputs.append(batch_outputs)
                if callback_list:
                    callback_list.on_predict_batch_end(step, {"outputs": batch_outputs})
        if callback_list:
            callback_list.on_predict_end()
        return _concatenate(outputs)

    # ------------------------------------------------------------------ on_batch

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        if not self.compiled:
            raise _not_compiled_error("train_on_batch")
        x, y = data_utils.to_arrays(x, "x"), data_utils.to_arrays(y, "y")
        sample_weight = data_utils.to_arrays(sample_weight, "sample_weight")
        if class_weight is not None:
            sample_weight = data_utils.class_weights_to_sample_weights(y, class_weight, sample_weight)
        self.reset_metrics()
        self._train_variables = None
        with self._weights_lock.write():
            step_logs = self.train_step(data_utils.pack_x_y_sample_weight(x, y, sample_weight))
        logs = _to_floats(step_logs)
        return _format_logs(logs, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        if not self.compiled:
            raise _not_compiled_error("test_on_batch")
        x, y = data_utils.to_arrays(x, "x"), data_utils.to_arrays(y, "y")
        sample_weight = data_utils.to_arrays(sample_weight, "sample_weight")
        self.reset_metrics()
        logs = _to_floats(self.test_step(data_utils.pack_x_y_sample_weight(x, y, sample_weight)))
        return _format_logs(logs, return_dict)

    def predict_on_batch(self, x):
        with self._weights_lock.read():
            return _to_numpy(self.predict_step(data_utils.pack_x_y_sample_weight(data_utils.to_arrays(x, "x"))))


def _held_weights(steady):
    """The context of a loop over batches: where ``steady`` (the built-in step, no callbacks of the
    caller's: nothing of the caller's runs between batches, so the weights stay put), a dense chain
    packs its weights once for all the batches (HeldPacks), not at every batch of more than 512
    rows."""
    return _core.HeldPacks() if steady else contextlib.nullcontext()


def _require_samples(total, what):
    # Keras warns that the input "ran out of data" and reports a loss of 0 or nothing; no samples
    # is a mistake upstream (an empty file, a filter that kept nothing), so it is refused.
    if total == 0:
        raise ValueError(f"{what}: the data has no samples. Received: arrays of 0 rows")


def _validation_source(validation_data, batch_size, steps):
    if validation_data is None:
        return None
    if batch_sources.is_dataset(validation_data):
        return batch_sources.DatasetBatches(validation_data, "validation", steps)
    return batch_sources.ArrayBatches(*_unpack_validation(validation_data), batch_size, steps)


def _unpack_validation(validation_data):
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
        raise ValueError(
            "`validation_data` must be a tuple (x_val, y_val) or (x_val, y_val, val_sample_weight). "
            f"Received: {type(validation_data).__name__}"
            + (f" of length {len(validation_data)}" if isinstance(validation_data, (tuple, list)) else "")
        )
    x_val = data_utils.to_arrays(validation_data[0], "validation x")
    y_val = data_utils.to_arrays(validation_data[1], "validation y")
    weights = data_utils.to_arrays(validation_data[2], "validation sample_weight") if len(validation_data) == 3 else None
    return x_val, y_val, weights


def _to_floats(logs):
    return {key: float(np.asarray(value)) for key, value in logs.items()}


def _format_logs(logs, return_dict):
    """As Keras returns them: a dict sorted by name, or the loss then the metrics in compile order."""
    if return_dict:
        return dict(sorted(logs.items()))
    ordered = [logs["loss"]] + [value for key, value in logs.items() if key != "loss"]
    return ordered[0] if len(ordered) == 1 else ordered


def _to_numpy(outputs):
    if isinstance(outputs, (list, tuple)):
        return [_to_numpy(o) for o in outputs]
    if isinstance(outputs, dict):
        return {key: _to_numpy(o) for key, o in outputs.items()}
    if isinstance(outputs, Variable):
        return outputs.numpy()  # a copy: the caller must not hold the variable's storage
    return np.asarray(convert_to_tensor(outputs)._value)


def _owned(outputs, inputs):
    if type(outputs) is np.ndarray and type(inputs) is np.ndarray:  # the common case, kept short
        return outputs.copy() if outputs.base is not None or np.may_share_memory(outputs, inputs) else outputs
    if isinstance(outputs, list):
        return [_owned(o, inputs) for o in outputs]
    if isinstance(outputs, dict):
        return {key: _owned(o, inputs) for key, o in outputs.items()}
    if outputs.base is not None or any(np.may_share_memory(outputs, a) for a in data_utils.flatten(inputs)):
        return outputs.copy()
    return outputs


def _concatenate(outputs):
    if not outputs:
        return np.zeros((0,), dtype=np.float32)
    first = outputs[0]
    if isinstance(first, list):
        return [np.concatenate([o[i] for o in outputs]) for i in range(len(first))]
    if isinstance(first, dict):
        return {key: np.concatenate([o[key] for o in outputs]) for key in first}
    return np.concatenate(outputs)
