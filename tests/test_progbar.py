"""The progress display: Keras 3's layout, verbose 1 and 2, throttling, metric formatting."""
import re
import time

import pytest

from pykeras import progbar
from pykeras.callbacks import CallbackList
from pykeras.progbar import Progbar, format_eta, format_time_per_unit, format_value

ANSI = re.compile(r"\x1b\[[0-9;]*m")
BAR = "━" * 20


class FakeClock:
    def __init__(self, t=100.0):
        self.t = t

    def __call__(self):
        return self.t


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(progbar, "_clock", fake)
    return fake


def run_fit(clock, verbose, epochs=2, steps=4, step_seconds=0.003, val=True):
    """Drives the hooks as fit does; the loss and accuracy are the loop's running means."""
    cbs = CallbackList(None, add_history=True, add_progbar=verbose != 0, verbose=verbose,
                       epochs=epochs, steps=steps)
    cbs.on_train_begin()
    logs = {}
    for epoch in range(epochs):
        cbs.on_epoch_begin(epoch)
        for step in range(steps):
            cbs.on_train_batch_begin(step)
            clock.t += step_seconds
            logs = {"loss": 0.4123 + epoch, "accuracy": 0.8}  # CallbackList sorts batch logs
            cbs.on_train_batch_end(step, logs)
        epoch_logs = dict(logs)
        if val:
            # Validation inside fit: silent.
            cbs.on_test_begin()
            cbs.on_test_batch_end(0, {"loss": 9.0})
            cbs.on_test_end({"loss": 0.5})
            epoch_logs.update(val_loss=0.5, val_accuracy=0.75)  # shown sorted, val_ last
        cbs.on_epoch_end(epoch, epoch_logs)
    cbs.on_train_end(epoch_logs)


# ------------------------------------------------------------------ formatting


@pytest.mark.parametrize("value, text", [
    (0.41234, "0.4123"),
    (0.8, "0.8000"),
    (-0.5, "-0.5000"),
    (1234.56789, "1234.5679"),
    (0.0011, "0.0011"),
    (0.001, "1.0000e-03"),
    (1e-4, "1.0000e-04"),
    (-2e-5, "-2.0000e-05"),
    (0.0, "0.0000e+00"),
    (float("nan"), "nan"),
    ("text", "text"),
])
def test_format_value(value, text):
    assert format_value(value) == text


@pytest.mark.parametrize("seconds, text", [
    (2.4, " 2s/step"),
    (1.0, " 1s/step"),
    (0.0, " 0s/step"),
    (0.0034, " 3ms/step"),
    (0.001, " 1ms/step"),
    (5e-5, " 50us/step"),
])
def test_format_time_per_unit(seconds, text):
    assert format_time_per_unit(seconds) == text


@pytest.mark.parametrize("seconds, text", [
    (0.4, "0s"), (59.9, "59s"), (60.0, "60s"), (61.0, "1:01"), (125.7, "2:05"),
    (3600.0, "60:00"), (3725.0, "1:02:05"), (36000.5, "10:00:00"),
])
def test_format_eta(seconds, text):
    assert format_eta(seconds) == text


# ------------------------------------------------------------------ fit output


def test_fit_verbose_1_without_a_terminal_prints_each_epochs_final_line(capsys, clock):
    run_fit(clock, verbose=1)
    out = capsys.readouterr().out
    assert "\r" not in out and "\x1b" not in out
    assert out.splitlines() == [
        "Epoch 1/2",
        f"4/4 {BAR} 0s 3ms/step - accuracy: 0.8000 - loss: 0.4123 - val_accuracy: 0.7500 - val_loss: 0.5000",
        "Epoch 2/2",
        f"4/4 {BAR} 0s 3ms/step - accuracy: 0.8000 - loss: 1.4123 - val_accuracy: 0.7500 - val_loss: 0.5000",
    ]


def test_fit_verbose_2_prints_one_line_per_epoch(capsys, clock):
    run_fit(clock, verbose=2, steps=32, step_seconds=0.002)
    out = capsys.readouterr().out
    assert out == (
        "Epoch 1/2\n"
        "32/32 - 0s - 2ms/step - accuracy: 0.8000 - loss: 0.4123 - val_accuracy: 0.7500 - val_loss: 0.5000\n"
        "Epoch 2/2\n"
        "32/32 - 0s - 2ms/step - accuracy: 0.8000 - loss: 1.4123 - val_accuracy: 0.7500 - val_loss: 0.5000\n"
    )


def test_fit_verbose_0_is_silent_and_one_epoch_has_no_header(capsys, clock):
    run_fit(clock, verbose=0)
    assert capsys.readouterr().out == ""
    run_fit(clock, verbose=2, epochs=1, steps=10, step_seconds=1.5, val=False)
    assert capsys.readouterr().out == "10/10 - 15s - 2s/step - accuracy: 0.8000 - loss: 0.4123\n"


def test_unknown_steps_learns_the_target_from_the_first_epoch(capsys, clock, monkeypatch):
    monkeypatch.setattr(progbar, "_is_interactive", lambda: True)
    cbs = CallbackList(None, add_progbar=True, verbose=1, epochs=2, steps=None)
    cbs.on_train_begin()
    for epoch in range(2):
        cbs.on_epoch_begin(epoch)
        for step in range(3):
            clock.t += 1.0
            cbs.on_train_batch_end(step, {"loss": 1.0})
        cbs.on_epoch_end(epoch, {"loss": 1.0})
    out = ANSI.sub("", capsys.readouterr().out)
    assert "\r      1/Unknown 1s 1s/step - loss: 1.0000" in out
    assert f"\r3/3 {BAR} " in out  # the first epoch's final line
    assert f"\r1/3 {'━' * 20} 2s 1s/step - loss: 1.0000" in out  # the second epoch knows


def test_evaluate_and_predict_show_one_bar(capsys, clock):
    cbs = CallbackList(None, add_progbar=True, verbose=2, epochs=1, steps=5)
    cbs.on_test_begin()
    for step in range(5):
        clock.t += 0.01
        cbs.on_test_batch_end(step, {"loss": 0.25, "accuracy": 0.5})
    cbs.on_test_end({"loss": 0.25, "accuracy": 0.5})
    assert capsys.readouterr().out == "5/5 - 0s - 10ms/step - accuracy: 0.5000 - loss: 0.2500\n"

    cbs = CallbackList(None, add_progbar=True, verbose=1, epochs=1, steps=3)
    cbs.on_predict_begin()
    for step in range(3):
        clock.t += 0.5
        cbs.on_predict_batch_end(step, {"outputs": [[1.0, 2.0]]})
    cbs.on_predict_end()
    assert capsys.readouterr().out == f"3/3 {BAR} 2s 500ms/step\n"


# ------------------------------------------------------------------ the redrawn bar


def test_dynamic_bar_layout_colours_eta_and_final_line(capsys, clock):
    bar = Progbar(target=100, dynamic_display=True, stateful_metrics=["loss", "val_loss"])
    clock.t += 10.0
    bar.update(1, [("loss", 0.5)])
    clock.t += 10.0
    bar.update(2, [("loss", 0.25)])
    out = capsys.readouterr().out
    # 2/100 steps: 0 of 20 cells done; 98 steps * 10 s/step = 980 s left.
    assert out.endswith(
        "\r\x1b[1m  2/100\x1b[0m \x1b[37m" + BAR + "\x1b[0m \x1b[1m16:20\x1b[0m 10s/step - loss: 0.2500"
    )
    clock.t += 10.0 * 23
    bar.update(25, [("loss", 0.125)])
    line = capsys.readouterr().out
    assert line.startswith("\r\x1b[1m 25/100\x1b[0m \x1b[32m" + "━" * 5 + "\x1b[0m\x1b[37m" + "━" * 15)
    assert "\x1b[1m12:30\x1b[0m" in line  # 75 steps left at 10 s each
    clock.t += 10.0 * 75
    bar.update(100, [("loss", 0.0625), ("val_loss", 0.5)])
    final = ANSI.sub("", capsys.readouterr().out)
    assert final == f"\r100/100 {BAR} 1000s 10s/step - loss: 0.0625 - val_loss: 0.5000\n"


def test_dynamic_bar_pads_a_shorter_line_over_a_longer_one(capsys, clock):
    bar = Progbar(target=10, dynamic_display=True, stateful_metrics=["loss"])
    bar.update(1, [("loss", 123456.0)])
    first = ANSI.sub("", capsys.readouterr().out)
    clock.t += 1.0
    bar.update(2, [("loss", 1.0)])
    second = ANSI.sub("", capsys.readouterr().out)
    assert len(second) == len(first) and second.endswith("loss: 1.0000     ")


def test_averaging_of_stateless_values_and_display_of_stateful_ones(capsys, clock):
    bar = Progbar(target=3, verbose=2, stateful_metrics=["acc"])
    bar.update(1, [("loss", 1.0), ("acc", 0.25)])
    bar.update(2, [("loss", 3.0), ("acc", 0.5)])
    assert bar._values["loss"] == [4.0, 2] and bar._values["acc"] == [0.5, 1]
    bar.update(3, [("loss", 5.0), ("acc", 0.75)])  # the final update shows values as given
    assert capsys.readouterr().out.endswith("- loss: 5.0000 - acc: 0.7500\n")
    with pytest.raises(ValueError, match="at most one of"):
        Progbar(3, stateful_metrics=["a"], stateless_metrics=["b"])
    with pytest.raises(ValueError, match="Received: verbose=3"):
        Progbar(3, verbose=3)


# ------------------------------------------------------------------ throttling


def test_redraws_are_throttled_to_the_interval(capsys, clock):
    bar = Progbar(target=10_000, dynamic_display=True)
    for step in range(1, 10_001):
        clock.t += 1e-4  # 10,000 steps a second: one second in all
        bar.update(step, [("loss", 0.5)])
    out = capsys.readouterr().out
    # Step 1, then one redraw per 50 ms (20 in the second), then the final line.
    assert 19 <= out.count("\r") <= 22
    assert out.endswith("\n") and out.count("\n") == 1
    assert "10000/10000" in ANSI.sub("", out)


def test_a_fast_real_loop_prints_few_redraws(capsys):
    bar = Progbar(target=10_000, dynamic_display=True)
    start = time.perf_counter()
    for step in range(1, 10_001):
        bar.update(step, [("loss", 0.5), ("accuracy", 0.5)])
    elapsed = time.perf_counter() - start
    redraws = capsys.readouterr().out.count("\r")
    assert redraws <= elapsed / 0.05 + 2


def test_without_a_terminal_verbose_1_prints_only_the_last_line(capsys, clock):
    bar = Progbar(target=50)
    for step in range(1, 51):
        clock.t += 1.0
        bar.update(step, [("loss", 0.5)])
    assert capsys.readouterr().out == f"50/50 {BAR} 50s 1s/step - loss: 0.5000\n"


class TickingClock:
    """Each reading 30 ms after the last: the bar (50 ms between redraws) is due every other batch,
    and would be between the loop's question and the batch's end."""

    def __init__(self, t=100.0, tick=0.03):
        self.t, self.tick = t, tick

    def __call__(self):
        self.t += self.tick
        return self.t


def _small_fit_model():
    import numpy as np

    import pykeras as keras

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model, x, y


def _count_metric_reads(model, monkeypatch):
    """The loss of each reading of the model's metrics during fit, in order."""
    compiled = model._compiled
    read = compiled.results
    losses = []

    def results():
        logs = read()
        losses.append(float(logs["loss"]))
        return logs

    monkeypatch.setattr(compiled, "results", results)
    return losses


def test_fit_reads_a_batchs_metrics_only_for_the_bars_redraws(capsys, monkeypatch):
    monkeypatch.setattr(progbar, "_is_interactive", lambda: True)
    monkeypatch.setattr(progbar, "_clock", TickingClock())
    model, x, y = _small_fit_model()
    losses = _count_metric_reads(model, monkeypatch)
    model.fit(x, y, batch_size=4, epochs=1, verbose=1)  # 16 batches
    drawn = re.findall(r"loss: ([0-9.]+)", ANSI.sub("", capsys.readouterr().out))
    assert 1 < len(losses) < 16
    # Each redraw shows the metrics read for it, the last the epoch's.
    assert drawn == [format_value(loss) for loss in losses]


def test_a_callback_reading_batch_logs_still_gets_every_batchs(capsys, monkeypatch):
    import pykeras as keras

    monkeypatch.setattr(progbar, "_is_interactive", lambda: True)
    monkeypatch.setattr(progbar, "_clock", TickingClock())
    model, x, y = _small_fit_model()
    losses = _count_metric_reads(model, monkeypatch)
    seen = []
    watcher = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(logs["loss"]))
    model.fit(x, y, batch_size=4, epochs=1, verbose=1, callbacks=[watcher])
    assert seen == losses[:16] and len(losses) == 17  # each batch's, then the epoch's
