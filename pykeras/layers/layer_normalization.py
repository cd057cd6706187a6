"""LayerNormalization: normalizes each sample over its own features."""
from pykeras import constraints, initializers, regularizers
from pykeras.layers.axes import known_sizes, resolve_axes
from pykeras.layers.layer import Layer
from pykeras.ops import nn


class LayerNormalization(Layer):
    """``(x - mean) / sqrt(var + epsilon) * gamma + beta``, the statistics over ``axis`` (the last
    by default, or a list of axes) of each sample; no state, the same in training and inference.

    With ``rms_scaling`` (as Keras defines it): ``x / sqrt(var + epsilon) * gamma``, no centering.

    Weights: gamma (``scale``), beta (``center``), shaped like the normalized axes.
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, rms_scaling=False, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else axis
        self.epsilon, self.center, self.scale, self.rms_scaling = float(epsilon), center, scale, rms_scaling
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer, self.gamma_regularizer = regularizers.get(beta_regularizer), regularizers.get(gamma_regularizer)
        self.beta_constraint, self.gamma_constraint = constraints.get(beta_constraint), constraints.get(gamma_constraint)
        self.gamma = self.beta = None

    def _axes(self, rank):
        return resolve_axes(f"LayerNormalization '{self.name}'", self._axis_list(), rank)

    def _axis_list(self):
        return self.axis if isinstance(self.axis, list) else [self.axis]

    def build(self, input_shape):
        _, shape = known_sizes(f"LayerNormalization '{self.name}'", self._axis_list(), input_shape)
        if self.scale:
            self.gamma = self.add_weight(shape=shape, initializer=self.gamma_initializer, name="gamma",
                                         regularizer=self.gamma_regularizer, constraint=self.gamma_constraint)
        if self.center and not self.rms_scaling:
            self.beta = self.add_weight(shape=shape, initializer=self.beta_initializer, name="beta",
                                        regularizer=self.beta_regularizer, constraint=self.beta_constraint)

    def call(self, inputs):
        return nn.normalize_layer(inputs, self.gamma, self.beta, tuple(self._axes(len(inputs.shape))), self.epsilon,
                                  self.rms_scaling)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            axis=self.axis, epsilon=self.epsilon, center=self.center, scale=self.scale, rms_scaling=self.rms_scaling,
            beta_initializer=initializers.serialize(self.beta_initializer),
            gamma_initializer=initializers.serialize(self.gamma_initializer),
            beta_regularizer=regularizers.serialize(self.beta_regularizer),
            gamma_regularizer=regularizers.serialize(self.gamma_regularizer),
            beta_constraint=constraints.serialize(self.beta_constraint),
            gamma_constraint=constraints.serialize(self.gamma_constraint),
        )
        return config
