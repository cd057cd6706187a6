"""Callbacks driven by a real fit: hooks, stopping, learning rate, logging, output."""
import re

import numpy as np
import pytest

import pykeras as keras

rng = np.random.default_rng(11)
X = rng.normal(size=(40, 3)).astype(np.float32)
Y = (X @ np.array([[1.0], [2.0], [-1.0]])).astype(np.float32)


def _model(learning_rate=0.05):
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate), loss="mse")
    return model


def test_hooks_are_called_in_keras_order_with_logs():
    calls = []
    callback = keras.callbacks.LambdaCallback(
        on_train_begin=lambda logs: calls.append("train_begin"),
        on_epoch_begin=lambda epoch, logs: calls.append(f"epoch_begin {epoch}"),
        on_train_batch_end=lambda batch, logs: calls.append(f"batch_end {batch} {sorted(logs)}"),
        on_epoch_end=lambda epoch, logs: calls.append(f"epoch_end {epoch} {sorted(logs)}"),
        on_train_end=lambda logs: calls.append("train_end"),
    )
    _model().fit(X, Y, batch_size=20, epochs=2, validation_data=(X[:8], Y[:8]), callbacks=[callback], verbose=0)
    assert calls == [
        "train_begin",
        "epoch_begin 0", "batch_end 0 ['loss']", "batch_end 1 ['loss']", "epoch_end 0 ['loss', 'val_loss']",
        "epoch_begin 1", "batch_end 0 ['loss']", "batch_end 1 ['loss']", "epoch_end 1 ['loss', 'val_loss']",
        "train_end",
    ]


def test_early_stopping_stops_and_restores_the_best_weights():
    model = _model(learning_rate=0.05)
    snapshots = []
    record = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: snapshots.append(
        (logs["loss"], model.get_weights())))
    # A loss that only rises after epoch 1: make training diverge by raising the rate.
    bump = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: setattr(model.optimizer, "learning_rate", 1.5) if epoch == 1 else None)
    stop = keras.callbacks.EarlyStopping(monitor="loss", patience=2, restore_best_weights=True)
    history = model.fit(X, Y, batch_size=40, epochs=50, callbacks=[record, bump, stop], verbose=0, shuffle=False)
    epochs_run = len(history.history["loss"])
    assert epochs_run < 50
    best = int(np.argmin([loss for loss, _ in snapshots]))
    assert epochs_run == best + 1 + 2  # patience 2 after the best epoch
    for restored, expected in zip(model.get_weights(), snapshots[best][1]):
        np.testing.assert_array_equal(restored, expected)


def test_reduce_lr_on_plateau_lowers_the_optimizer_rate():
    model = _model(learning_rate=1e-9)  # the loss barely moves: a plateau from the start
    reduce = keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1)
    history = model.fit(X, Y, batch_size=40, epochs=4, callbacks=[reduce], verbose=0)
    # Logged before each epoch's decision; reduced after epochs 1, 2 and 3.
    np.testing.assert_allclose(history.history["learning_rate"], [1e-9, 1e-9, 5e-10, 2.5e-10], rtol=1e-6)
    assert float(model.optimizer.learning_rate) == pytest.approx(1.25e-10, rel=1e-6)


def test_terminate_on_nan_stops_at_the_first_bad_batch(capsys):
    model = _model(learning_rate=1e6)  # explodes within a few steps
    history = model.fit(X * 1e3, Y, batch_size=4, epochs=5, callbacks=[keras.callbacks.TerminateOnNaN()],
                        verbose=0)
    assert len(history.history["loss"]) == 1
    assert re.search(r"Batch \d+: Invalid loss, terminating training", capsys.readouterr().out)


def test_csv_logger_writes_one_row_per_epoch(tmp_path):
    path = tmp_path / "log.csv"
    _model().fit(X, Y, epochs=3, callbacks=[keras.callbacks.CSVLogger(str(path))], verbose=0)
    rows = path.read_text().splitlines()
    assert rows[0] == "epoch,loss" and len(rows) == 4
    assert [row.split(",")[0] for row in rows[1:]] == ["0", "1", "2"]


def test_model_stop_training_from_a_callback():
    model = _model()

    class StopAfterThreeBatches(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 2:
                self.model.stop_training = True

    history = model.fit(X, Y, batch_size=4, epochs=10, callbacks=[StopAfterThreeBatches()], verbose=0)
    assert len(history.history["loss"]) == 1


def test_verbose_output_has_epoch_headers_and_a_keras_style_line(capsys):
    _model().fit(X, Y, batch_size=10, epochs=2, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    assert re.search(r"4/4 ━+ \d+s \d+(ms|us|µs)/step - loss: \d", out)
    _model().fit(X, Y, batch_size=10, epochs=2, verbose=2)
    out = capsys.readouterr().out
    assert re.search(r"4/4 - \d+s - \d+(ms|us|µs)/step - loss: \d", out)
    _model().fit(X, Y, epochs=2, verbose=0)
    assert capsys.readouterr().out == ""


def test_old_batch_alias_still_receives_batch_logs():
    seen = []

    class OldStyle(keras.callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append((batch, round(logs["loss"], 6)))

    _model().fit(X, Y, batch_size=20, epochs=1, callbacks=[OldStyle()], verbose=0)
    assert [batch for batch, _ in seen] == [0, 1]


def test_a_custom_train_step_drives_the_logs():
    class Custom(keras.Sequential):
        def train_step(self, data):
            logs = super().train_step(data)
            logs["twice_loss"] = 2 * float(logs["loss"])
            return logs

    model = Custom([keras.Input(shape=(3,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    history = model.fit(X, Y, batch_size=8, epochs=2, verbose=0)
    np.testing.assert_allclose(history.history["twice_loss"], 2 * np.array(history.history["loss"]), rtol=1e-6)


def _running_means(model, batch_size):
    """The loss an evaluation reports after each batch: the batch-size-weighted mean so far, from
    numpy (the model's predictions, the squared error by batch)."""
    errors = ((model.predict(X, verbose=0) - Y) ** 2).mean(axis=1)
    sums = np.cumsum([errors[s:s + batch_size].sum() for s in range(0, len(X), batch_size)])
    counts = np.cumsum([len(errors[s:s + batch_size]) for s in range(0, len(X), batch_size)])
    return sums / counts


def test_evaluation_batch_logs_reach_the_callbacks_that_read_them():
    model = _model()
    seen = []
    record = keras.callbacks.LambdaCallback(
        on_test_batch_begin=lambda batch, logs: seen.append(("begin", batch)),
        on_test_batch_end=lambda batch, logs: seen.append((batch, logs["loss"])))
    result = model.evaluate(X, Y, batch_size=16, callbacks=[record], verbose=0, return_dict=True)
    assert [item for item in seen if item[0] == "begin"] == [("begin", 0), ("begin", 1), ("begin", 2)]
    losses = [loss for batch, loss in seen if batch != "begin"]
    np.testing.assert_allclose(losses, _running_means(model, 16), rtol=1e-5)
    assert losses[-1] == result["loss"]
    # In fit, the validation batches' logs too.
    seen.clear()
    model.fit(X, Y, batch_size=40, epochs=1, validation_data=(X, Y), validation_batch_size=16, callbacks=[record],
              verbose=0)
    assert [batch for batch, _ in seen if batch != "begin"] == [0, 1, 2]


def test_evaluation_reads_the_metrics_once_when_no_callback_reads_batch_logs(monkeypatch):
    # As fit: the built-in step leaves the logs of batches nobody looks at unread.
    from pykeras.models.compiled import CompiledLossAndMetrics

    reads = []
    results = CompiledLossAndMetrics.results
    monkeypatch.setattr(CompiledLossAndMetrics, "results", lambda self: reads.append(1) or results(self))
    model = _model()
    quiet = model.evaluate(X, Y, batch_size=16, verbose=0)
    assert len(reads) == 1
    np.testing.assert_allclose(quiet, _running_means(model, 16)[-1], rtol=1e-5)
    reads.clear()
    model.fit(X, Y, batch_size=40, epochs=1, validation_data=(X, Y), validation_batch_size=16, verbose=1)
    assert len(reads) == 2  # the epoch's and the validation's; the progress bar draws no validation batch


def test_a_custom_test_step_drives_the_evaluation_logs():
    class Constant(keras.Sequential):
        def test_step(self, data):
            return {"loss": 7.0}

    model = Constant([keras.Input(shape=(3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    seen = []
    record = keras.callbacks.LambdaCallback(on_test_batch_end=lambda batch, logs: seen.append(logs["loss"]))
    assert model.evaluate(X, Y, batch_size=16, callbacks=[record], verbose=0) == 7.0
    assert seen == [7.0, 7.0, 7.0]
