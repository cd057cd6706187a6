"""Dense: ``activation(inputs @ kernel + bias)`` on one fused native kernel."""
from pykeras import activations, constraints, initializers, regularizers
from pykeras.layers.layer import Layer
from pykeras.ops import nn
from pykeras.tensor import Tensor

FUSED_ACTIVATION_NAMES = {activations.linear: "linear", activations.relu: "relu", activations.tanh: "tanh"}
# The elementwise activations a dense chain applies between its native layers, by their rule's
# name (ops.nn.ACTIVATION_RULES: keras.activations' functions with their default arguments).
RULE_ACTIVATION_NAMES = {getattr(activations, name): name
                         for name in ("sigmoid", "softplus", "silu", "leaky_relu", "elu", "selu", "gelu",
                                      "relu6", "softsign", "hard_sigmoid", "hard_silu", "mish", "log_sigmoid")}


class Dense(Layer):
    """A densely connected layer on the last axis of its input.

    Args:
        units: output size.
        activation: name or callable; ``None`` is linear. ``"relu"`` and
            linear run fused into the matrix multiply, ``"tanh"`` in the same native call.
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: initializer names or objects.
        kernel_regularizer, bias_regularizer: regularizer names or objects (``keras.regularizers``)
            whose penalties join ``losses``.
        kernel_constraint, bias_constraint: constraint names or objects (``keras.constraints``)
            applied after each update.

    Raises:
        ValueError: in ``call``, when the input's last axis differs from the
            width the layer was built for, or the input is a scalar.

    Example:
        >>> layer = keras.layers.Dense(4, activation="relu")
        >>> layer(ops.ones((2, 3))).shape
        (2, 4)
    """

    def __init__(
        self,
        units,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        lora_rank=None,
        lora_alpha=None,
        quantization_config=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        # Keras 3 writes these (null) in every Dense config; pykeras has neither LoRA nor quantization.
        for option, value in (("lora_rank", lora_rank), ("quantization_config", quantization_config)):
            if value is not None:
                raise ValueError(f"Dense '{self.name}': `{option}` is not supported. Received: {option}={value!r}")
        if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
            raise ValueError(
                f"Received an invalid value for `units`, expected a positive integer. Received: units={units!r}"
            )
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.bias = None

    def build(self, input_shape):
        if isinstance(input_shape, dict) or any(isinstance(d, (list, tuple, dict)) for d in input_shape):
            raise TypeError(
                f"Layer '{self.name}' expects one tensor as input. Received: several, of shapes {input_shape}"
            )
        if len(input_shape) < 1 or input_shape[-1] is None:
            raise ValueError(
                f"Dense '{self.name}': the last dimension of the input must be known. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            name="kernel",
        )
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.units,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                name="bias",
            )

    def call(self, inputs):
        if not isinstance(inputs, Tensor):
            raise TypeError(
                f"Layer '{self.name}' expects one tensor as input. Received: {type(inputs).__name__}"
            )
        shape = inputs.shape
        if len(shape) < 2:  # as Keras's Dense input spec: a batch of rows at least
            raise ValueError(
                f"Input 0 of layer '{self.name}' is incompatible with the layer: expected min_ndim=2, "
                f"found ndim={len(shape)}. Full shape received: {tuple(shape)}"
            )
        if shape[-1] != self.kernel.shape[0]:
            raise ValueError(
                f"Input 0 of layer '{self.name}' is incompatible with the layer: expected axis -1 "
                f"of input shape to have value {self.kernel.shape[0]}, but received input with "
                f"shape {tuple(shape)}"
            )
        fused = FUSED_ACTIVATION_NAMES.get(self.activation)
        if fused is not None:
            return nn.dense(inputs, self.kernel, self.bias, fused)
        return self.activation(nn.dense(inputs, self.kernel, self.bias, "linear"))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)[:-1] + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units,
            activation=activations.serialize(self.activation),
            use_bias=self.use_bias,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
            bias_regularizer=regularizers.serialize(self.bias_regularizer),
            kernel_constraint=constraints.serialize(self.kernel_constraint),
            bias_constraint=constraints.serialize(self.bias_constraint),
        )
        return config
