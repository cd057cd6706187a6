"""``keras.optimizers.schedules``: learning rates as a function of the optimizer's step.

    keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(1e-3, decay_steps=10_000))

The optimizer calls ``schedule(iterations)`` before each update. The arithmetic is float32, in
Keras's order, so the rates are Keras's (to the bit, except where a power or cosine of numpy's and
of the Keras backend round apart: one unit in the last place).
"""
import math

import numpy as np

from pykeras.saving import serialization

_F = np.float32


def _positive_steps(decay_steps, name="decay_steps"):
    if isinstance(decay_steps, bool) or not isinstance(decay_steps, (int, float, np.number)) or not decay_steps > 0:
        raise ValueError(f"Argument `{name}` must be > 0. Received: {name}={decay_steps!r}")
    return decay_steps


class LearningRateSchedule:
    """Base class: ``__call__(step)`` returns the learning rate at that step; ``get_config``
    returns the constructor's arguments.

    Example:
        >>> class Halving(keras.optimizers.schedules.LearningRateSchedule):
        ...     def __call__(self, step):
        ...         return 0.1 * 0.5 ** (step // 1000)
    """

    def __call__(self, step):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(step).")

    def get_config(self):
        raise NotImplementedError(f"{type(self).__name__} must implement get_config().")

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``, the exponent floored
    when ``staircase``."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="ExponentialDecay"):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = _positive_steps(decay_steps)
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step):
        p = _F(step) / _F(self.decay_steps)
        if self.staircase:
            p = np.floor(p)
        return _F(self.initial_learning_rate) * np.power(_F(self.decay_rate), p)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class InverseTimeDecay(ExponentialDecay):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``, the quotient floored
    when ``staircase``."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="InverseTimeDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        p = _F(step) / _F(self.decay_steps)
        if self.staircase:
            p = np.floor(p)
        return _F(self.initial_learning_rate) / (_F(1) + _F(self.decay_rate) * p)


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` up to and including ``boundaries[0]``, ``values[i]`` on
    ``(boundaries[i - 1], boundaries[i]]``, ``values[-1]`` after the last boundary."""

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. Received: "
                f"boundaries={boundaries} of length {len(boundaries)}, and values={values} of length {len(values)}."
            )
        if list(boundaries) != sorted(boundaries):
            raise ValueError(f"`boundaries` must be increasing. Received: boundaries={boundaries}")
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step):
        return _F(self.values[int(np.searchsorted(self.boundaries, step, side="left"))])

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """From ``initial_learning_rate`` to ``end_learning_rate`` in ``decay_steps`` steps along
    ``(1 - step / decay_steps) ** power``; then constant, or with ``cycle`` again over the next
    multiple of ``decay_steps``."""

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0, cycle=False,
                 name="PolynomialDecay"):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = _positive_steps(decay_steps)
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step):
        step, steps = _F(step), _F(self.decay_steps)
        if self.cycle:
            steps = steps * (_F(1) if step == 0 else np.ceil(step / steps))
        else:
            step = min(step, steps)
        end = _F(self.end_learning_rate)
        return (_F(self.initial_learning_rate) - end) * np.power(_F(1) - step / steps, _F(self.power)) + end

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "end_learning_rate": self.end_learning_rate, "power": self.power, "cycle": self.cycle,
                "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Half a cosine from the rate down to ``alpha`` times it over ``decay_steps``; with a
    ``warmup_target``, first a straight line from ``initial_learning_rate`` up to it over
    ``warmup_steps``, the cosine then starting from ``warmup_target``."""

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay", warmup_target=None,
                 warmup_steps=0):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = _positive_steps(decay_steps)
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def _cosine(self, step, start):
        fraction = step / _F(self.decay_steps)
        cosine = _F(0.5) * (_F(1) + np.cos(_F(math.pi) * fraction))
        return start * ((_F(1) - _F(self.alpha)) * cosine + _F(self.alpha))

    def __call__(self, step):
        initial, step = _F(self.initial_learning_rate), _F(step)
        if self.warmup_target is None:
            return self._cosine(min(step, _F(self.decay_steps)), initial)
        target, warmup = _F(self.warmup_target), _F(self.warmup_steps)
        step = min(step, _F(self.decay_steps) + warmup)
        if step < warmup:
            return (target - initial) * (step / warmup) + initial
        return self._cosine(step - warmup, target)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "name": self.name, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps}


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR, Loshchilov & Hutter): the multiplier falls from 1 to
    ``alpha`` over ``first_decay_steps``, then restarts; each period is ``t_mul`` times longer than
    the last and its peak ``m_mul`` times the last one's (``alpha`` stays the floor).

    Args:
        initial_learning_rate: the rate at step 0.
        first_decay_steps: the length of the first period, > 0.
        t_mul: the growth factor of the periods' lengths. Defaults to 2.0.
        m_mul: the growth factor of the periods' peaks. Defaults to 1.0.
        alpha: the floor, as a fraction of ``initial_learning_rate``. Defaults to 0.0.
        name: Defaults to ``"SGDRDecay"`` (Keras's).

    Example:
        >>> schedule = keras.optimizers.schedules.CosineDecayRestarts(0.1, first_decay_steps=1000)
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0,
                 name="SGDRDecay"):
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = _positive_steps(first_decay_steps, "first_decay_steps")
        self.t_mul = t_mul
        self.m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def __call__(self, step):
        t_mul, alpha = _F(self.t_mul), _F(self.alpha)
        fraction = _F(step) / _F(self.first_decay_steps)
        if t_mul == 1:
            restart = np.floor(fraction)
            fraction = fraction - restart
        else:
            # The periods sum geometrically: invert that sum for the period holding this step.
            restart = np.floor(np.log(_F(1) - fraction * (_F(1) - t_mul)) / np.log(t_mul))
            done = (_F(1) - np.power(t_mul, restart)) / (_F(1) - t_mul)
            fraction = (fraction - done) / np.power(t_mul, restart)
        cosine = _F(0.5) * np.power(_F(self.m_mul), restart) * (_F(1) + np.cos(_F(math.pi) * fraction))
        return _F(self.initial_learning_rate) * ((_F(1) - alpha) * cosine + alpha)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "first_decay_steps": self.first_decay_steps,
                "t_mul": self.t_mul, "m_mul": self.m_mul, "alpha": self.alpha, "name": self.name}


_CLASSES = {cls.__name__: cls for cls in (LearningRateSchedule, ExponentialDecay, InverseTimeDecay,
                                          PiecewiseConstantDecay, PolynomialDecay, CosineDecay,
                                          CosineDecayRestarts)}


def serialize(schedule):
    """Keras's ``{"module", "class_name", "config", "registered_name"}`` form."""
    return serialization.serialize_object(schedule, "keras.optimizers.schedules", _CLASSES)


def deserialize(config):
    """The schedule of a ``serialize`` output: built-in, registered, or a custom object in scope."""
    return serialization.deserialize_object(config, _CLASSES, "learning-rate schedule")
