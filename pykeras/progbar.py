"""The progress bar that ``fit``, ``evaluate`` and ``predict`` print, as Keras 3 draws it.

A verbose-1 line, redrawn in place with ``\\r`` while an epoch runs::

    12/32 ━━━━━━━━━━━━━━━━━━━━ 0s 3ms/step - accuracy: 0.8000 - loss: 0.4123

and, once the epoch is done, the same line with the elapsed time instead of the ETA.
Verbose 2 prints only that last line, in the form ``32/32 - 0s - 2ms/step - loss: 0.4123``.
"""
import math
import numbers
import os
import sys
import time

_clock = time.perf_counter  # module-level so tests can substitute a fake clock

_BOLD, _GREEN, _GREY, _RESET = "\x1b[1m", "\x1b[32m", "\x1b[37m", "\x1b[0m"


def _is_interactive():
    """Whether stdout can redraw a line in place (a terminal or a notebook)."""
    isatty = getattr(sys.stdout, "isatty", None)
    try:
        if isatty is not None and isatty():
            return True
    except ValueError:  # a closed stream
        return False
    return "ipykernel" in sys.modules or "PYCHARM_HOSTED" in os.environ


def print_msg(message):
    stream = sys.stdout  # looked up at write time, so redirection and capture work
    if stream is None:  # no console (pythonw)
        return
    stream.write(message)
    stream.flush()


def format_value(value):
    """A metric value as Keras shows it: 4 decimals, or scientific when |value| <= 1e-3."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        try:
            value = float(value)
        except (TypeError, ValueError):
            return f"{value}"
    value = float(value)
    return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"


def format_time_per_unit(seconds, unit_name="step"):
    """``" 3ms/step"``: whole seconds, milliseconds or microseconds per unit."""
    if seconds >= 1 or seconds == 0:
        return f" {seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f" {seconds * 1e3:.0f}ms/{unit_name}"
    return f" {seconds * 1e6:.0f}us/{unit_name}"


def format_eta(seconds):
    """``"7s"``, ``"2:05"`` or ``"1:02:05"``."""
    whole = int(seconds)
    if seconds > 3600:
        return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
    if seconds > 60:
        return f"{whole // 60}:{whole % 60:02d}"
    return f"{whole}s"


class Progbar:
    """Displays a progress bar.

    Args:
        target: total number of steps expected, or None if unknown.
        width: the bar's width in characters.
        verbose: 0 (silent), 1 (a bar redrawn in place), 2 (one line when done).
        interval: minimum time in seconds between two redraws; the final update is
            always drawn, so a loop of thousands of steps a second prints a few lines.
        stateful_metrics: names of values shown as given. Every other value is
            averaged over the steps seen (Keras's default). Give at most one of
            ``stateful_metrics`` and ``stateless_metrics``.
        stateless_metrics: names of values averaged over the steps seen; every
            other value is shown as given. ``()`` shows every value as given.
        unit_name: the unit in the time per step (``"step"``, ``"sample"``).
        dynamic_display: whether to redraw one line in place with ``\\r`` and ANSI
            colours. Defaults to whether stdout is a terminal or a notebook. When
            False, verbose 1 prints only the final line of the bar.

    Raises:
        ValueError: if both ``stateful_metrics`` and ``stateless_metrics`` are given,
            or ``verbose`` is not 0, 1 or 2.

    Example:
        >>> bar = Progbar(target=100)
        >>> for step in range(100):
        ...     bar.update(step + 1, [("loss", 0.5)])
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None,
                 stateless_metrics=None, unit_name="step", dynamic_display=None):
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError(
                "Progbar: give at most one of `stateful_metrics` and `stateless_metrics`. "
                f"Received: stateful_metrics={stateful_metrics!r}, "
                f"stateless_metrics={stateless_metrics!r}"
            )
        if verbose not in (0, 1, 2):
            raise ValueError(f"Progbar: `verbose` must be 0, 1 or 2. Received: verbose={verbose!r}")
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = None if stateful_metrics is None else set(stateful_metrics)
        self.stateless_metrics = None if stateless_metrics is None else set(stateless_metrics)
        if self.stateful_metrics is None and self.stateless_metrics is None:
            self.stateful_metrics = set()
        self._dynamic_display = _is_interactive() if dynamic_display is None else bool(dynamic_display)
        self._values = {}  # name -> [weighted sum, weight]; insertion order is display order
        self._seen_so_far = 0
        self._start = _clock()
        self._last_update = -math.inf
        self._time_after_first_step = None
        self._prev_total_width = 0

    def _is_stateless(self, name):
        if self.stateful_metrics is not None:
            return name not in self.stateful_metrics
        return name in self.stateless_metrics

    def update(self, current, values=None, finalize=None):
        """Records step ``current`` (1-based) and redraws if it is time to.

        Args:
            current: the index of the current step, counting from 1.
            values: a list of ``(name, value)`` pairs for this step.
            finalize: whether this is the last update; defaults to
                ``current >= target``.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for name, value in values or ():
            if finalize or not self._is_stateless(name):
                self._values[name] = [value, 1]
                continue
            weight = max(current - self._seen_so_far, 1)
            entry = self._values.get(name)
            if entry is None:
                self._values[name] = [value * weight, weight]
            else:
                entry[0] += value * weight
                entry[1] += weight
        self._seen_so_far = current

        now = _clock()
        if current == 1:
            self._time_after_first_step = now
        if self.verbose == 1:
            if not finalize and (now - self._last_update < self.interval or not self._dynamic_display):
                return
        elif self.verbose == 2:
            if not (finalize and self.target):
                return
        else:
            return
        time_per_unit = self._estimate_step_duration(current, now)
        if self.verbose == 1:
            self._draw_bar(current, now, time_per_unit, finalize)
        else:
            self._draw_summary(current, now, time_per_unit)
        self._last_update = now

    def due(self):
        """Whether a (not final) update now would redraw: a verbose-1 bar on an interactive
        display whose interval has passed since the last redraw."""
        return self.verbose == 1 and self._dynamic_display and _clock() - self._last_update >= self.interval

    def add(self, n, values=None):
        """Advances the bar by ``n`` steps."""
        self.update(self._seen_so_far + n, values)

    # ------------------------------------------------------------- drawing

    def _metrics_text(self):
        parts = []
        for name, (total, count) in self._values.items():
            if isinstance(total, numbers.Real) and not isinstance(total, bool):
                shown = format_value(total / max(1, count))
            else:
                shown = format_value(total)
            parts.append(f" - {name}: {shown}")
        return "".join(parts)

    def _draw_bar(self, current, now, time_per_unit, finalize):
        color = self._dynamic_display
        segments = []  # (text, ansi code or None)
        if self.target:
            digits = int(math.log10(self.target)) + 1
            segments.append((f"{current:{digits}d}/{self.target}", _BOLD))
            segments.append((" ", None))
            done = min(int(self.width * current / self.target), self.width)
            if done > 0:
                segments.append(("━" * done, _GREEN))
            segments.append(("━" * (self.width - done), _GREY))
        else:
            segments.append((f"{current:7d}/Unknown", None))
        if self.target and not finalize:
            clock_text = format_eta(time_per_unit * (self.target - current))
        else:
            clock_text = f"{now - self._start:.0f}s"
        segments.append((" ", None))
        segments.append((clock_text, _BOLD))
        segments.append((format_time_per_unit(time_per_unit, self.unit_name), None))
        segments.append((self._metrics_text(), None))

        plain = "".join(text for text, _ in segments)
        if color:
            line = "".join(f"{code}{text}{_RESET}" if code and text else text
                           for text, code in segments)
        else:
            line = plain
        width = len(plain)
        message = ""
        if self._dynamic_display:
            message = "\r" + line + " " * max(self._prev_total_width - width, 0)
        else:
            message = line
        if finalize:
            message += "\n"
        print_msg(message)
        self._prev_total_width = width

    def _draw_summary(self, current, now, time_per_unit):
        digits = int(math.log10(self.target)) + 1
        line = (f"{current:{digits}d}/{self.target} - {now - self._start:.0f}s -"
                f"{format_time_per_unit(time_per_unit, self.unit_name)}{self._metrics_text()}\n")
        print_msg(line)

    def _estimate_step_duration(self, current, now):
        """Seconds per step, leaving out the first (warm-up) step once there are others."""
        if not current:
            return 0.0
        if self._time_after_first_step is not None and current > 1:
            return (now - self._time_after_first_step) / (current - 1)
        return (now - self._start) / current
