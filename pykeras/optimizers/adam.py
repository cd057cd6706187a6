"""Adam, with Keras 3's bias correction folded into the step size."""
import numpy as np

from pykeras import _core
from pykeras.optimizers.optimizer import Optimizer


class Adam(Optimizer):
    """Adam (Kingma & Ba), optionally AMSGrad.

    Update rule (Keras 3; t is the 1-based step)::

        lr_t = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)
        m += (g - m) * (1 - beta_1)
        v += (g**2 - v) * (1 - beta_2)
        v_hat = max(v_hat, v); v = v_hat                 (amsgrad only)
        w -= lr_t * m / (sqrt(v) + epsilon)

    Slots: ``momentum`` and ``velocity`` interleaved per variable, then
    ``velocity_hat`` per variable when ``amsgrad``.

    Args:
        learning_rate: float or schedule. Defaults to 0.001.
        beta_1, beta_2: decay rates of the first and second moments.
        epsilon: added to sqrt(v) (the uncorrected one). Defaults to 1e-7.
        amsgrad: use the running maximum of v.
        **kwargs: the base ``Optimizer`` arguments.

    Example:
        >>> opt = keras.optimizers.Adam(learning_rate=1e-3)
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(
            learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
            clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
            ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs,
        )
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.amsgrad = amsgrad

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self._momentums, self._velocities = self.add_optimizer_variables(
            self._trainable_variables, ["momentum", "velocity"]
        )
        self._velocity_hats = []
        if self.amsgrad:
            self._velocity_hats = self.add_optimizer_variables(
                self._trainable_variables, "velocity_hat"
            )
        self._bind_slots(self._momentums, self._velocities, self._velocity_hats)

    def _update(self, value, grad, slots, lr, step):
        m, v = slots[0], slots[1]
        beta_1, beta_2 = self.beta_1, self.beta_2
        # Bias correction in float32 scalars, as Keras computes it.
        one, t = np.float32(1), np.float32(step)
        alpha = (np.float32(lr) * np.sqrt(one - np.float32(beta_2) ** t)
                 / (one - np.float32(beta_1) ** t))
        tmp = self._scratch(value.shape)
        np.subtract(grad, m, out=tmp)
        tmp *= 1 - beta_1
        m += tmp
        np.square(grad, out=tmp)
        tmp -= v
        tmp *= 1 - beta_2
        v += tmp
        if self.amsgrad:
            v_hat = slots[2]
            np.maximum(v_hat, v, out=v_hat)
            v = v_hat
        np.sqrt(v, out=tmp)
        tmp += self.epsilon
        np.divide(m, tmp, out=tmp)
        tmp *= alpha
        value -= tmp

    def _update_native(self, values, grads, slot_lists, lr, step, options):
        v_hat = slot_lists[2] if self.amsgrad else None
        _core.adam_update(values, grads, slot_lists[0], slot_lists[1], v_hat, lr, float(self.beta_1),
                          float(self.beta_2), float(self.epsilon), step, **options)

    def get_config(self):
        config = super().get_config()
        config.update({
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "amsgrad": self.amsgrad,
        })
        return config
