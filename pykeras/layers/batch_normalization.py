"""BatchNormalization: normalizes with batch statistics while training and
with moving averages (non-trainable weights) at inference."""
import numpy as np

from pykeras import constraints, initializers, regularizers
from pykeras.layers.layer import Layer
from pykeras.ops import core, nn


class BatchNormalization(Layer):
    """Normalizes over every axis except ``axis``, as Keras does.

    Training (``training=True`` and the layer trainable): uses the batch mean
    and (biased) variance, and moves ``moving_mean`` / ``moving_variance``
    towards them: ``moving = moving * momentum + batch * (1 - momentum)``.
    Otherwise uses the moving statistics. The moving statistics are never
    touched by the optimizer.

    Weights, in Keras's order: gamma, beta, moving_mean, moving_variance.
    """

    def __init__(
        self,
        axis=-1,
        momentum=0.99,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        moving_mean_initializer="zeros",
        moving_variance_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        synchronized=False,
        renorm=False,
        renorm_clipping=None,
        renorm_momentum=0.99,
        **kwargs,
    ):
        super().__init__(**kwargs)
        # Keras 3 writes these in every config; only their defaults have a meaning here
        # (`synchronized` is moot on one device, `renorm_momentum` unused without renorm).
        unsupported = {"renorm": renorm or None, "renorm_clipping": renorm_clipping}
        for option, value in unsupported.items():
            if value is not None:
                raise ValueError(
                    f"BatchNormalization '{self.name}': `{option}` is not supported. Received: {option}={value!r}"
                )
        self.axis, self.momentum, self.epsilon = int(axis), float(momentum), float(epsilon)
        self.center, self.scale = center, scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer, self.gamma_regularizer = regularizers.get(beta_regularizer), regularizers.get(gamma_regularizer)
        self.beta_constraint, self.gamma_constraint = constraints.get(beta_constraint), constraints.get(gamma_constraint)
        self.gamma = self.beta = None

    def build(self, input_shape):
        rank = len(input_shape)
        if not -rank <= self.axis < rank or input_shape[self.axis] is None:
            raise ValueError(
                f"BatchNormalization '{self.name}': axis {self.axis} must index a known dimension "
                f"of the input. Received: input_shape={tuple(input_shape)}"
            )
        size = (input_shape[self.axis],)
        if self.scale:
            self.gamma = self.add_weight(shape=size, initializer=self.gamma_initializer, name="gamma",
                                         regularizer=self.gamma_regularizer, constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight(shape=size, initializer=self.beta_initializer, name="beta",
                                        regularizer=self.beta_regularizer, constraint=self.beta_constraint)
        self.moving_mean = self.add_weight(
            shape=size, initializer=self.moving_mean_initializer, trainable=False, name="moving_mean"
        )
        self.moving_variance = self.add_weight(
            shape=size, initializer=self.moving_variance_initializer, trainable=False, name="moving_variance"
        )

    def _broadcast_shape(self, rank):
        shape = [1] * rank
        shape[self.axis] = -1
        return tuple(shape)

    def call(self, inputs, training=None):
        if training and self.trainable:
            outputs, mean, variance = nn.batch_normalization_training(inputs, self.gamma, self.beta, self.axis,
                                                                      self.epsilon)
            self._update_moving(mean, variance)
            return outputs
        # x * scale + shift, the per-feature factors folded first (as Keras folds them): two
        # passes over the batch.
        scale, shift = self.folded_scale_and_shift()
        shape = self._broadcast_shape(len(inputs.shape))
        return core.add(core.multiply(inputs, core.reshape(scale, shape)), core.reshape(shift, shape))

    def folded_scale_and_shift(self):
        """``(scale, shift)`` as ops (recorded under a tape, for gamma's and beta's gradients): the
        moving statistics folded with gamma and beta, so that inference computes ``x * scale +
        shift``. Each step is one correctly rounded float32 operation (``1 / sqrt``, not a power,
        which numpy computes with its own approximation), so the dense chain's native fold
        (``fold_batch_norm``) gives the same bits."""
        with np.errstate(all="ignore"):  # as the ops: an overflow gives inf, no warning
            scale = core.divide(1.0, core.sqrt(core.add(self.moving_variance._value, self.epsilon)))
            if self.gamma is not None:
                scale = core.multiply(scale, self.gamma)
            shift = core.negative(core.multiply(self.moving_mean._value, scale))
            if self.beta is not None:
                shift = core.add(shift, self.beta)
        return scale, shift

    def _update_moving(self, batch_mean, batch_variance):
        keep = np.float32(self.momentum)
        for variable, batch in ((self.moving_mean, batch_mean), (self.moving_variance, batch_variance)):
            variable.assign(variable._value * keep + batch * (1 - keep))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            axis=self.axis,
            momentum=self.momentum,
            epsilon=self.epsilon,
            center=self.center,
            scale=self.scale,
            beta_initializer=initializers.serialize(self.beta_initializer),
            gamma_initializer=initializers.serialize(self.gamma_initializer),
            moving_mean_initializer=initializers.serialize(self.moving_mean_initializer),
            moving_variance_initializer=initializers.serialize(self.moving_variance_initializer),
            beta_regularizer=regularizers.serialize(self.beta_regularizer),
            gamma_regularizer=regularizers.serialize(self.gamma_regularizer),
            beta_constraint=constraints.serialize(self.beta_constraint),
            gamma_constraint=constraints.serialize(self.gamma_constraint),
        )
        return config
