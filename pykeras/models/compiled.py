"""What ``compile`` configures: one loss per output, metrics per output, and
the running mean of the loss that fit reports."""
import numpy as np

from pykeras.ops import core
from pykeras.tensor import Tensor


def _as_list(structure, names, what):
    """Spreads a per-output spec (single, list or dict) over the outputs."""
    if isinstance(structure, dict):
        unknown = set(structure) - set(names)
        if unknown:
            raise ValueError(
                f"compile: `{what}` has keys {sorted(unknown)} that are not output names. "
                f"Expected keys among {names}"
            )
        return [structure.get(name) for name in names]
    if isinstance(structure, (list, tuple)) and len(names) == 1 and len(structure) == 1 and what != "metrics":
        return list(structure)  # one output's loss (or weight) given in a list of one, as Keras allows
    if isinstance(structure, (list, tuple)) and len(names) > 1:
        if len(structure) != len(names):
            raise ValueError(
                f"compile: `{what}` should have one entry per output ({len(names)}). "
                f"Received: {len(structure)} entries"
            )
        return list(structure)
    return [structure] * len(names)


class CompiledLossAndMetrics:
    """Resolves the compile arguments on the first batch, when shapes are known."""

    def __init__(self, model, loss, loss_weights, metrics, weighted_metrics):
        from pykeras import metrics as metrics_module

        self._model = model
        self._loss_spec = loss
        self._loss_weights_spec = loss_weights
        self._metric_spec = metrics
        self._weighted_spec = weighted_metrics
        self._losses = None
        self._loss_weights = None
        self._metrics = None  # [(output index, display name, metric, weighted)]
        self.loss_tracker = metrics_module.Mean(name="loss")
        # With several outputs, as Keras: each one's unweighted loss, as "<output>_loss".
        self._output_loss_trackers = []  # [(output index, Mean)]
        self._output_losses = {}  # output index -> its loss in the latest ``loss`` call

    # --------------------------------------------------------------- building

    def _output_names(self, count):
        names = list(getattr(self._model, "output_names", None) or [])
        return names if len(names) == count else [f"output_{i}" for i in range(count)]

    def _build(self, y, y_pred):
        from pykeras import losses
        from pykeras import metrics as metrics_module

        predictions = _flatten(y_pred)
        names = self._output_names(len(predictions))
        if self._loss_spec is None:
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
        self._losses = [None if spec is None else losses.as_loss(losses.get(spec))
                        for spec in _as_list(self._loss_spec, names, "loss")]
        weights = self._loss_weights_spec
        self._loss_weights = [1.0 if w is None else float(w)
                              for w in _as_list(weights, names, "loss_weights")]
        if len(names) > 1:
            self._output_loss_trackers = [(index, metrics_module.Mean(name=f"{name}_loss"))
                                          for index, name in enumerate(names) if self._losses[index] is not None]
        targets = _flatten(y) if y is not None else [None] * len(predictions)
        self._metrics = []
        for weighted, spec in ((False, self._metric_spec), (True, self._weighted_spec)):
            if not spec:
                continue
            flat = isinstance(spec, (list, tuple)) and not any(
                isinstance(entry, (list, tuple, dict)) or entry is None for entry in spec)
            if flat:
                per_output = [list(spec)] * len(names)  # as Keras: every output gets them
            else:
                per_output = _as_list(spec, names, "metrics")
            for index, entries in enumerate(per_output):
                if entries is None:
                    continue
                entries = entries if isinstance(entries, (list, tuple)) else [entries]
                for entry in entries:
                    metric = self._resolve_metric(
                        metrics_module, entry, self._losses[index], targets[index], predictions[index]
                    )
                    display = metric.name if len(names) == 1 else f"{names[index]}_{metric.name}"
                    if weighted and display in self.names():
                        display = f"weighted_{display}"
                    self._metrics.append((index, display, metric, weighted))

    @staticmethod
    def _resolve_metric(metrics_module, entry, loss, y_true, y_pred):
        y_shape = np.shape(y_true) if y_true is not None else y_pred.shape
        return metrics_module.resolve_metric(entry, y_shape, y_pred.shape, loss)

    def names(self):
        return [display for _, display, _, _ in self._metrics or []]

    # --------------------------------------------------------------- per step

    def loss(self, y, y_pred, sample_weight):
        """The weighted sum of every output's loss, as a differentiable Tensor."""
        if self._losses is None:
            self._build(y, y_pred)
        predictions = _flatten(y_pred)
        targets = _flatten(y) if y is not None else [None] * len(predictions)
        if len(targets) != len(predictions):
            raise ValueError(
                f"The model has {len(predictions)} outputs but {len(targets)} targets were given."
            )
        total = None
        for index, (loss_fn, weight, target, prediction) in enumerate(
                zip(self._losses, self._loss_weights, targets, predictions)):
            if loss_fn is None:
                continue
            value = loss_fn(target, prediction, sample_weight=sample_weight)
            self._output_losses[index] = value
            if weight != 1.0:
                value = core.multiply(value, weight)
            total = value if total is None else core.add(total, value)
        if total is None:
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
        return total

    def update_state(self, y, y_pred, sample_weight, loss):
        """Updates every metric and the loss tracker with one batch."""
        if self._metrics is None:
            self._build(y, y_pred)
        predictions = _flatten(y_pred)
        targets = _flatten(y) if y is not None else [None] * len(predictions)
        for index, _, metric, weighted in self._metrics:
            # The Tensor itself: a cross-entropy metric reads the logits behind a softmax output.
            metric.update_state(targets[index], predictions[index], sample_weight if weighted else None)
        batch_size = len(predictions[0]) if np.ndim(predictions[0]) else 1
        # Keras's tracker: the batch-size-weighted mean of the batch losses.
        self.loss_tracker.accumulate(_float(loss) * batch_size, batch_size)
        for index, tracker in self._output_loss_trackers:
            if index in self._output_losses:
                tracker.accumulate(_float(self._output_losses[index]) * batch_size, batch_size)

    def metrics_read_predictions(self):
        """Whether ``update_state`` passes the predictions to any metric (only the batch size is
        read from them otherwise); True before the metrics are resolved."""
        return self._metrics is None or bool(self._metrics)

    def results(self):
        """The logs, in the order of Keras's lists after the loss: each output's loss, then the metrics."""
        logs = {tracker.name: tracker.result() for _, tracker in self._output_loss_trackers}
        logs.update((display, metric.result()) for _, display, metric, _ in self._metrics or [])
        logs["loss"] = self.loss_tracker.result()
        return logs

    def all_metrics(self):
        return ([metric for _, _, metric, _ in self._metrics or []] + [self.loss_tracker]
                + [tracker for _, tracker in self._output_loss_trackers])


def _flatten(structure):
    if isinstance(structure, dict):
        return list(structure.values())
    if isinstance(structure, (list, tuple)):
        return list(structure)
    return [structure]


def _float(value):
    return float(value._value if isinstance(value, Tensor) else value)
