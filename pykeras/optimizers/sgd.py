"""SGD: gradient descent with optional (Nesterov) momentum, Keras 3's rule."""
import numpy as np

from pykeras import _core
from pykeras.optimizers.optimizer import Optimizer


class SGD(Optimizer):
    """Gradient descent, with momentum if ``momentum > 0``.

    Update rule (Keras 3)::

        momentum == 0:  w -= lr * g
        otherwise:      m = momentum * m - lr * g
                        w += m                          (nesterov=False)
                        w += momentum * m - lr * g      (nesterov=True)

    Args:
        learning_rate: float or schedule. Defaults to 0.01.
        momentum: float in [0, 1]. Defaults to 0.0 (no slot is created).
        nesterov: whether to use Nesterov momentum.
        **kwargs: the base ``Optimizer`` arguments (clipping, weight decay, ...).

    Example:
        >>> opt = keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(
            learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
            clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
            ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs,
        )
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1:
            raise ValueError(f"SGD: `momentum` must be a float between [0, 1]. Received: momentum={momentum!r}")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.momentums = []
        if self.momentum != 0:
            self.momentums = self.add_optimizer_variables(self._trainable_variables, "momentum")
        self._bind_slots(self.momentums)

    def _update(self, value, grad, slots, lr, step):
        step_size = self._scratch(value.shape)
        np.multiply(grad, lr, out=step_size)
        if not slots:
            value -= step_size
            return
        (m,) = slots
        m *= self.momentum
        m -= step_size
        if self.nesterov:
            look_ahead = self._scratch(value.shape, 1)
            np.multiply(m, self.momentum, out=look_ahead)
            look_ahead -= step_size
            value += look_ahead
        else:
            value += m

    def _update_native(self, values, grads, slot_lists, lr, step, options):
        momentums = slot_lists[0] if slot_lists else None
        _core.sgd_update(values, grads, momentums, lr, self.momentum, self.nesterov, **options)

    def get_config(self):
        config = super().get_config()
        config.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return config
