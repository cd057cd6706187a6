"""Callbacks, driven through CallbackList exactly as the fit loop drives them, on a stand-in model."""
import math

import numpy as np
import pytest

from pykeras.callbacks import (
    Callback,
    CallbackList,
    CSVLogger,
    EarlyStopping,
    History,
    LambdaCallback,
    ModelCheckpoint,
    ProgbarLogger,
    ReduceLROnPlateau,
    TerminateOnNaN,
)


class FakeOptimizer:
    def __init__(self, learning_rate):
        self._learning_rate = learning_rate

    @property
    def learning_rate(self):
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self._learning_rate = float(value)


class FakeModel:
    """The parts of Model the callbacks use. Its weight is the index of the epoch that set it."""

    def __init__(self, learning_rate=1.0):
        self.stop_training = False
        self.optimizer = FakeOptimizer(learning_rate)
        self.weights = [np.full((2,), -1.0, np.float32)]

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w, np.float32) for w in weights]

    def save(self, path):
        with open(path, "w") as f:
            f.write(f"model {self.weights[0][0]:g}")

    def save_weights(self, path):
        with open(path, "w") as f:
            f.write(f"weights {self.weights[0][0]:g}")


def fit(model, callbacks, epoch_logs, steps=2, batch_logs=None, verbose=0):
    """The trainer's loop from the callback contract.

    ``epoch_logs[e]`` are epoch e's end logs (which also fixes ``epochs``);
    ``batch_logs(epoch, step)`` gives the batch logs (default: the epoch's train keys).
    At each epoch start the model's weights become the epoch index.
    """
    epochs = len(epoch_logs)
    cbs = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, verbose=verbose,
                       epochs=epochs, steps=steps, model=model)
    model.stop_training = False
    cbs.on_train_begin()
    logs = None
    for epoch in range(epochs):
        cbs.on_epoch_begin(epoch)
        model.weights = [np.full((2,), epoch, np.float32)]
        logs = {}
        for step in range(steps):
            cbs.on_train_batch_begin(step)
            if batch_logs is not None:
                logs = batch_logs(epoch, step)
            else:
                logs = {k: v for k, v in epoch_logs[epoch].items() if not k.startswith("val_")}
            cbs.on_train_batch_end(step, logs)
            if model.stop_training:
                break
        epoch_logs_now = dict(logs)
        epoch_logs_now.update({k: v for k, v in epoch_logs[epoch].items() if k.startswith("val_")})
        cbs.on_epoch_end(epoch, epoch_logs_now)
        logs = epoch_logs_now
        if model.stop_training:
            break
    cbs.on_train_end(logs)
    return cbs.history


def val_losses(*values):
    return [{"loss": 1.0, "val_loss": v} for v in values]


def epochs_run(history):
    return len(history.history["val_loss"])


# ------------------------------------------------------------------ Callback, CallbackList, History


def test_base_callback_hooks_exist_and_train_batch_hooks_call_the_old_aliases():
    seen = []

    class Old(Callback):
        def on_batch_begin(self, batch, logs=None):
            seen.append(("begin", batch))

        def on_batch_end(self, batch, logs=None):
            seen.append(("end", batch, logs))

    fit(FakeModel(), [Old()], [{"loss": 0.5}], steps=2)
    assert seen == [("begin", 0), ("end", 0, {"loss": 0.5}), ("begin", 1), ("end", 1, {"loss": 0.5})]
    base = Callback()
    for hook in ("train", "test", "predict"):
        getattr(base, f"on_{hook}_begin")()
        getattr(base, f"on_{hook}_end")({})
        getattr(base, f"on_{hook}_batch_begin")(0)
        getattr(base, f"on_{hook}_batch_end")(0, {})
    base.on_epoch_begin(0)
    base.on_epoch_end(0, {})
    assert base.model is None and base.params is None


def test_callback_list_sets_model_and_params_and_adds_defaults_once():
    model = FakeModel()
    mine = History()
    cbs = CallbackList([[mine], Callback()], add_history=True, add_progbar=True, model=model,
                       verbose=1, epochs=3, steps=7)
    assert cbs.history is mine and model.history is mine
    assert sum(isinstance(c, History) for c in cbs.callbacks) == 1
    assert isinstance(cbs.callbacks[-1], ProgbarLogger)
    for c in cbs.callbacks:
        assert c.model is model
        assert c.params == {"verbose": 1, "epochs": 3, "steps": 7}
    bare = CallbackList(None, model=model, verbose=0, epochs=1, steps=1)
    assert bare.callbacks == [] and bare.history is None
    with pytest.raises(TypeError, match="Received: 3"):
        CallbackList([3])


def test_callback_list_batch_logs_are_sorted_python_floats():
    got = []
    cb = LambdaCallback(on_train_batch_end=lambda batch, logs: got.append(logs))
    cbs = CallbackList([cb], model=FakeModel(), verbose=0, epochs=1, steps=1)
    cbs.on_train_batch_end(0, {"loss": np.float32(0.5), "accuracy": np.array(0.25)})
    assert list(got[0]) == ["accuracy", "loss"]
    assert all(type(v) is float for v in got[0].values())
    assert got[0] == {"accuracy": 0.25, "loss": 0.5}


def test_callback_list_epoch_and_end_logs_are_sorted_with_val_keys_last():
    got = []
    cb = LambdaCallback(on_epoch_end=lambda epoch, logs: got.append(logs),
                        on_test_end=lambda logs: got.append(logs),
                        on_train_end=lambda logs: got.append(logs))
    cbs = CallbackList([cb], model=FakeModel())
    logs = {"val_loss": 1.0, "loss": np.float32(2.0), "val_accuracy": 3.0, "zeta": 4.0, "accuracy": 5.0}
    cbs.on_epoch_end(0, logs)
    cbs.on_test_end(logs)
    cbs.on_train_end(logs)
    for seen in got:
        assert list(seen) == ["accuracy", "loss", "zeta", "val_accuracy", "val_loss"]
        assert type(seen["loss"]) is float


def test_history_records_every_epoch_and_is_the_models_history():
    model = FakeModel()
    logs = [{"loss": 1.0 / (e + 1), "accuracy": 0.1 * e, "val_loss": 2.0 - e} for e in range(3)]
    history = fit(model, [], logs)
    assert isinstance(history, History) and model.history is history
    assert history.epoch == [0, 1, 2]
    assert history.history == {
        "loss": [1.0, 0.5, 1.0 / 3],
        "accuracy": [0.0, 0.1, 0.2],
        "val_loss": [2.0, 1.0, 0.0],
    }


# ------------------------------------------------------------------ EarlyStopping


@pytest.mark.parametrize(
    "kwargs, values, stopped_at",
    [
        ({}, (1.0, 0.9, 0.95, 0.8), 2),                       # patience 0: first non-improving epoch
        ({"patience": 2}, (1.0, 0.9, 0.95, 0.96, 0.5), 3),    # two epochs without improvement
        ({"patience": 2}, (1.0, 0.9, 0.95, 0.85, 0.9, 0.9), 5),  # an improvement resets the count
        ({"patience": 1, "min_delta": 0.1}, (1.0, 0.95, 0.5), 1),  # 0.05 is not enough
        ({"patience": 1, "min_delta": 0.01}, (1.0, 0.95, 0.96, 0.5), 2),
        ({"mode": "max"}, (1.0, 0.9, 2.0), 1),
        ({"patience": 2, "baseline": 0.5}, (1.0, 0.9, 0.9, 0.9), 2),  # never beats the baseline
        ({"patience": 2}, (1.0, 0.9, 0.9, 0.9), 3),
        ({"start_from_epoch": 2}, (1.0, 2.0, 3.0, 4.0), 3),   # epochs 0 and 1 are ignored
        ({}, (1.0, 2.0, 3.0, 4.0), 1),
    ],
)
def test_early_stopping_stops_at_the_right_epoch(kwargs, values, stopped_at):
    model = FakeModel()
    stop = EarlyStopping(**kwargs)
    history = fit(model, [stop], val_losses(*values))
    assert stop.stopped_epoch == stopped_at
    assert epochs_run(history) == stopped_at + 1
    assert model.stop_training


def test_early_stopping_runs_to_the_end_without_a_plateau():
    stop = EarlyStopping(patience=1)
    history = fit(FakeModel(), [stop], val_losses(1.0, 0.9, 0.8, 0.7))
    assert epochs_run(history) == 4 and stop.stopped_epoch == 0


def test_early_stopping_auto_mode_maximizes_accuracy_and_minimizes_losses():
    accuracy = [{"loss": 1.0, "val_accuracy": v} for v in (0.5, 0.6, 0.55, 0.7)]
    stop = EarlyStopping(monitor="val_accuracy")
    fit(FakeModel(), [stop], accuracy)
    assert stop.stopped_epoch == 2
    stop = EarlyStopping(monitor="val_accuracy", mode="min")  # explicit mode wins
    fit(FakeModel(), [stop], accuracy)
    assert stop.stopped_epoch == 1
    mae = [{"loss": 1.0, "val_mae": v} for v in (0.5, 0.4, 0.45)]
    stop = EarlyStopping(monitor="val_mae")
    fit(FakeModel(), [stop], mae)
    assert stop.stopped_epoch == 2


def test_early_stopping_auto_mode_uses_the_models_metric_directions():
    class Metric:
        name = "score"
        _direction = "up"

    model = FakeModel()
    model.metrics = [Metric()]
    stop = EarlyStopping(monitor="score")
    fit(model, [stop], [{"loss": 1.0, "score": v} for v in (1.0, 2.0, 1.5)])
    assert stop.stopped_epoch == 2


def test_early_stopping_auto_mode_rejects_an_unknown_metric():
    with pytest.raises(ValueError, match="monitor=val_foo.*mode='max'"):
        fit(FakeModel(), [EarlyStopping(monitor="val_foo")], [{"loss": 1.0, "val_foo": 1.0}])


def test_early_stopping_unknown_mode_warns_and_falls_back_to_auto():
    with pytest.warns(UserWarning, match="mode 'sideways' is unknown"):
        stop = EarlyStopping(mode="sideways")
    assert stop.mode == "auto"


def test_early_stopping_warns_when_the_monitor_is_missing_and_does_not_stop():
    stop = EarlyStopping(monitor="val_loss")
    with pytest.warns(UserWarning, match="`val_loss` which is not available. Available metrics are: loss"):
        history = fit(FakeModel(), [stop], [{"loss": 1.0}] * 3)
    assert len(history.history["loss"]) == 3 and stop.stopped_epoch == 0


def test_early_stopping_restores_the_best_weights_when_it_stops(capsys):
    model = FakeModel()
    stop = EarlyStopping(patience=2, restore_best_weights=True, verbose=1)
    fit(model, [stop], val_losses(1.0, 0.5, 0.7, 0.8, 0.1))
    assert stop.stopped_epoch == 3 and stop.best_epoch == 1
    np.testing.assert_array_equal(model.weights[0], [1.0, 1.0])
    out = capsys.readouterr().out
    assert out == ("Epoch 4: early stopping\n"
                   "Restoring model weights from the end of the best epoch: 2.\n")


def test_early_stopping_restores_the_best_weights_even_without_stopping():
    model = FakeModel()
    fit(model, [EarlyStopping(patience=10, restore_best_weights=True)], val_losses(1.0, 0.5, 0.7, 0.8))
    np.testing.assert_array_equal(model.weights[0], [1.0, 1.0])
    model = FakeModel()
    fit(model, [EarlyStopping(patience=10)], val_losses(1.0, 0.5, 0.7, 0.8))
    np.testing.assert_array_equal(model.weights[0], [3.0, 3.0])  # left alone


def test_early_stopping_can_be_reused_for_a_second_fit():
    stop = EarlyStopping(patience=1)
    fit(FakeModel(), [stop], val_losses(0.1, 0.2, 0.3))
    assert stop.stopped_epoch == 1
    history = fit(FakeModel(), [stop], val_losses(1.0, 0.9, 0.8))  # worse than 0.1, still runs
    assert epochs_run(history) == 3 and stop.stopped_epoch == 0


# ------------------------------------------------------------------ ReduceLROnPlateau


def lr_per_epoch(history):
    """The learning rate each epoch ran with (logged before that epoch's reduction)."""
    return history.history["learning_rate"]


def test_reduce_lr_on_plateau_reduces_after_patience_epochs(capsys):
    model = FakeModel(learning_rate=1.0)
    history = fit(model, [ReduceLROnPlateau(factor=0.5, patience=1, verbose=1)], val_losses(*[1.0] * 5))
    assert lr_per_epoch(history) == [1.0, 1.0, 0.5, 0.25, 0.125]
    assert model.optimizer.learning_rate == 0.0625
    out = capsys.readouterr().out
    assert "\nEpoch 2: ReduceLROnPlateau reducing learning rate to 0.5.\n" in out
    assert out.count("ReduceLROnPlateau reducing") == 4


def test_reduce_lr_on_plateau_patience_and_improvements():
    history = fit(FakeModel(), [ReduceLROnPlateau(factor=0.5, patience=2)],
                  val_losses(1.0, 1.0, 0.5, 0.5, 0.6, 0.7))
    # Epoch 2 improves and resets the count; epochs 3-4 make 2 in a row -> reduce at epoch 4.
    assert lr_per_epoch(history) == [1.0, 1.0, 1.0, 1.0, 1.0, 0.5]


def test_reduce_lr_on_plateau_cooldown():
    model = FakeModel()
    history = fit(model, [ReduceLROnPlateau(factor=0.5, patience=1, cooldown=2)], val_losses(*[1.0] * 7))
    # Reductions at epochs 1, 3 and 5: the epoch after a reduction is spent cooling down.
    assert lr_per_epoch(history) == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.125]


def test_reduce_lr_on_plateau_min_lr_and_min_delta():
    model = FakeModel()
    history = fit(model, [ReduceLROnPlateau(factor=0.1, patience=1, min_lr=0.05)], val_losses(*[1.0] * 5))
    assert lr_per_epoch(history) == pytest.approx([1.0, 1.0, 0.1, 0.05, 0.05])
    # A drop smaller than min_delta (1e-4 by default) is not an improvement.
    history = fit(FakeModel(), [ReduceLROnPlateau(factor=0.5, patience=1)], val_losses(1.0, 0.99995, 0.9))
    assert lr_per_epoch(history) == [1.0, 1.0, 0.5]
    history = fit(FakeModel(), [ReduceLROnPlateau(factor=0.5, patience=1, min_delta=0)],
                  val_losses(1.0, 0.99995, 0.9))
    assert lr_per_epoch(history) == [1.0, 1.0, 1.0]


def test_reduce_lr_on_plateau_max_mode_and_bad_factor():
    logs = [{"loss": 1.0, "accuracy": v} for v in (0.5, 0.6, 0.6)]
    history = fit(FakeModel(), [ReduceLROnPlateau(monitor="accuracy", factor=0.5, patience=1)], logs)
    assert lr_per_epoch(history) == [1.0, 1.0, 1.0]  # auto: accuracy rising is improvement
    model = FakeModel()
    fit(model, [ReduceLROnPlateau(monitor="accuracy", factor=0.5, patience=1)], logs)
    assert model.optimizer.learning_rate == 0.5  # the flat epoch 2 reduces
    with pytest.raises(ValueError, match="factor >= 1.0. Received factor=1.5"):
        ReduceLROnPlateau(factor=1.5)


def test_reduce_lr_on_plateau_warns_when_the_monitor_is_missing():
    with pytest.warns(UserWarning, match="`val_loss` which is not available"):
        fit(FakeModel(), [ReduceLROnPlateau(patience=0)], [{"loss": 1.0}] * 2)


# ------------------------------------------------------------------ CSVLogger


def test_csv_logger_writes_a_header_and_a_row_per_epoch(tmp_path):
    path = tmp_path / "log.csv"
    logs = [{"loss": 0.5, "accuracy": 0.25, "val_loss": 0.75}, {"loss": 0.25, "accuracy": 0.5, "val_loss": 0.5}]
    fit(FakeModel(), [CSVLogger(path)], logs)
    assert path.read_bytes() == (b"epoch,accuracy,loss,val_loss\r\n"
                                 b"0,0.25,0.5,0.75\r\n"
                                 b"1,0.5,0.25,0.5\r\n")


def test_csv_logger_append_and_overwrite(tmp_path):
    path = tmp_path / "log.csv"
    fit(FakeModel(), [CSVLogger(path)], [{"loss": 1.0}])
    fit(FakeModel(), [CSVLogger(path, append=True)], [{"loss": 2.0}, {"loss": 3.0}])
    assert path.read_text().splitlines() == ["epoch,loss", "0,1.0", "0,2.0", "1,3.0"]
    fit(FakeModel(), [CSVLogger(path)], [{"loss": 4.0}])
    assert path.read_text().splitlines() == ["epoch,loss", "0,4.0"]
    fresh = tmp_path / "fresh.csv"
    fit(FakeModel(), [CSVLogger(fresh, append=True)], [{"loss": 5.0}])
    assert fresh.read_text().splitlines() == ["epoch,loss", "0,5.0"]


def test_csv_logger_separator_missing_keys_and_expected_val_metrics(tmp_path):
    path = tmp_path / "log.csv"
    model = FakeModel()
    model.metrics_names = ["loss", "val_loss"]
    fit(model, [CSVLogger(path, separator=";")],
        [{"loss": 1.0}, {"loss": 0.5, "val_loss": 0.25}])
    assert path.read_text().splitlines() == ["epoch;loss;val_loss", "0;1.0;NA", "1;0.5;0.25"]


# ------------------------------------------------------------------ LambdaCallback


def test_lambda_callback_calls_each_hook_with_its_arguments():
    calls = []
    cb = LambdaCallback(
        on_train_begin=lambda logs: calls.append(("train_begin", logs)),
        on_epoch_begin=lambda epoch, logs: calls.append(("epoch_begin", epoch, logs)),
        on_train_batch_begin=lambda batch, logs: calls.append(("batch_begin", batch, logs)),
        on_train_batch_end=lambda batch, logs: calls.append(("batch_end", batch, logs)),
        on_epoch_end=lambda epoch, logs: calls.append(("epoch_end", epoch, logs)),
        on_train_end=lambda logs: calls.append(("train_end", logs)),
        on_test_end=lambda logs: calls.append(("test_end", logs)),
    )
    fit(FakeModel(), [cb], [{"loss": 0.5, "val_loss": 0.7}, {"loss": 0.25, "val_loss": 0.6}], steps=2)
    assert calls == [
        ("train_begin", {}),
        ("epoch_begin", 0, {}),
        ("batch_begin", 0, {}), ("batch_end", 0, {"loss": 0.5}),
        ("batch_begin", 1, {}), ("batch_end", 1, {"loss": 0.5}),
        ("epoch_end", 0, {"loss": 0.5, "val_loss": 0.7}),
        ("epoch_begin", 1, {}),
        ("batch_begin", 0, {}), ("batch_end", 0, {"loss": 0.25}),
        ("batch_begin", 1, {}), ("batch_end", 1, {"loss": 0.25}),
        ("epoch_end", 1, {"loss": 0.25, "val_loss": 0.6}),
        ("train_end", {"loss": 0.25, "val_loss": 0.6}),
    ]
    CallbackList([cb]).on_test_end({"loss": 1.0})
    assert calls[-1] == ("test_end", {"loss": 1.0})


def test_lambda_callback_leaves_other_hooks_as_no_ops_and_rejects_unknown_names():
    cb = LambdaCallback(on_epoch_end=lambda epoch, logs: None)
    cb.on_epoch_begin(0, {})
    cb.on_predict_batch_end(0, {"outputs": None})
    with pytest.raises(ValueError, match="on_epoch_ending"):
        LambdaCallback(on_epoch_ending=print)


# ------------------------------------------------------------------ TerminateOnNaN


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_terminate_on_nan_stops_at_the_bad_batch(bad, capsys):
    model = FakeModel()

    def batch_logs(epoch, step):
        return {"loss": bad if (epoch, step) == (1, 2) else 0.5}

    history = fit(model, [TerminateOnNaN()], [{"loss": 0.5}] * 4, steps=5, batch_logs=batch_logs)
    assert model.stop_training
    assert len(history.history["loss"]) == 2  # epoch 1 ends early and is the last
    assert capsys.readouterr().out == "Batch 2: Invalid loss, terminating training\n"


def test_terminate_on_nan_ignores_finite_losses_and_can_raise():
    model = FakeModel()
    history = fit(model, [TerminateOnNaN()], [{"loss": 1e30}] * 2)
    assert not model.stop_training and len(history.history["loss"]) == 2
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 0"):
        fit(FakeModel(), [TerminateOnNaN(raise_error=True)], [{"loss": math.nan}])


# ------------------------------------------------------------------ ModelCheckpoint


def test_model_checkpoint_rejects_wrong_suffixes_and_save_freq():
    with pytest.raises(ValueError, match=r"must end in `\.weights\.h5`.*Received: filepath=w\.h5"):
        ModelCheckpoint("w.h5", save_weights_only=True)
    with pytest.raises(ValueError, match=r"must end in `\.keras`.*Received: filepath=m\.weights"):
        ModelCheckpoint("m.weights")
    with pytest.raises(ValueError, match="Unrecognized save_freq: batch"):
        ModelCheckpoint("m.keras", save_freq="batch")
    ModelCheckpoint("m.keras")
    ModelCheckpoint("m.h5")
    ModelCheckpoint("w.weights.h5", save_weights_only=True)


def test_model_checkpoint_formats_epoch_and_logs_into_the_name(tmp_path):
    pattern = str(tmp_path / "ckpt" / "m-{epoch:02d}-{loss:.2f}.keras")
    fit(FakeModel(), [ModelCheckpoint(pattern)], [{"loss": 0.5}, {"loss": 0.25}, {"loss": 0.125}])
    names = sorted(p.name for p in (tmp_path / "ckpt").iterdir())
    assert names == ["m-01-0.50.keras", "m-02-0.25.keras", "m-03-0.12.keras"]
    assert (tmp_path / "ckpt" / "m-02-0.25.keras").read_text() == "model 1"


def test_model_checkpoint_save_best_only(tmp_path, capsys):
    pattern = str(tmp_path / "m-{epoch}.keras")
    fit(FakeModel(), [ModelCheckpoint(pattern, save_best_only=True, verbose=1)],
        val_losses(1.0, 0.5, 0.7, 0.3))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m-1.keras", "m-2.keras", "m-4.keras"]
    out = capsys.readouterr().out
    assert f"\nEpoch 2: val_loss improved from 1.00000 to 0.50000, saving model to {tmp_path}/m-2.keras\n" in out
    assert "\nEpoch 3: val_loss did not improve from 0.50000\n" in out
    assert "\nEpoch 1: val_loss improved from inf to 1.00000" in out


def test_model_checkpoint_overwrites_one_file_with_the_best_weights(tmp_path):
    path = tmp_path / "best.weights.h5"
    ckpt = ModelCheckpoint(path, save_weights_only=True, save_best_only=True,
                           monitor="val_accuracy")
    fit(FakeModel(), [ckpt], [{"loss": 1.0, "val_accuracy": v} for v in (0.5, 0.9, 0.7, 0.8)])
    assert [p.name for p in tmp_path.iterdir()] == ["best.weights.h5"]
    assert path.read_text() == "weights 1"  # epoch 1 had the highest val_accuracy


def test_model_checkpoint_initial_value_threshold(tmp_path):
    pattern = str(tmp_path / "m-{epoch}.keras")
    fit(FakeModel(), [ModelCheckpoint(pattern, save_best_only=True, initial_value_threshold=0.6)],
        val_losses(1.0, 0.5, 0.55))
    assert [p.name for p in tmp_path.iterdir()] == ["m-2.keras"]


def test_model_checkpoint_every_n_batches(tmp_path):
    pattern = str(tmp_path / "b-{epoch}-{batch}.keras")
    fit(FakeModel(), [ModelCheckpoint(pattern, save_freq=2)], [{"loss": 1.0}] * 2, steps=3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b-1-2.keras", "b-2-1.keras", "b-2-3.keras"]


def test_model_checkpoint_errors_at_save_time(tmp_path):
    class NoSave(FakeModel):
        save = None

    with pytest.raises(NotImplementedError, match="has no `save` method"):
        fit(NoSave(), [ModelCheckpoint(str(tmp_path / "m.keras"))], [{"loss": 1.0}])
    with pytest.raises(KeyError, match="Failed to format this callback filepath"):
        fit(FakeModel(), [ModelCheckpoint(str(tmp_path / "{val_acc}.keras"))], [{"loss": 1.0}])
    (tmp_path / "d.keras").mkdir()
    with pytest.raises(IOError, match="non-directory filepath"):
        fit(FakeModel(), [ModelCheckpoint(str(tmp_path / "d.keras"))], [{"loss": 1.0}])


def test_model_checkpoint_save_best_only_without_the_monitor_warns_and_saves(tmp_path):
    path = tmp_path / "m.keras"
    with pytest.warns(UserWarning, match="Can save best model only with val_loss available"):
        fit(FakeModel(), [ModelCheckpoint(path, save_best_only=True)], [{"loss": 1.0}])
    assert path.exists()
