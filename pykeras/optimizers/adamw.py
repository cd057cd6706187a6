"""AdamW: Adam with decoupled weight decay (applied by the base class)."""
from pykeras.optimizers.adam import Adam


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter).

    Before each Adam step, every variable not excluded with
    ``exclude_from_weight_decay`` does ``w -= w * weight_decay * lr``.

    Args:
        learning_rate: float or schedule. Defaults to 0.001.
        weight_decay: a float (required). Defaults to 0.004.
        beta_1, beta_2, epsilon, amsgrad: as for ``Adam``.
        **kwargs: the base ``Optimizer`` arguments.

    Raises:
        ValueError: if ``weight_decay`` is None.

    Example:
        >>> opt = keras.optimizers.AdamW(learning_rate=1e-3, weight_decay=1e-2)
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(
            learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
            amsgrad=amsgrad, weight_decay=weight_decay, clipnorm=clipnorm,
            clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
            ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs,
        )
        if self.weight_decay is None:
            raise ValueError("AdamW: `weight_decay` must be a float. Received: weight_decay=None")
