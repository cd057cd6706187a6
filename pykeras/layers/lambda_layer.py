"""Lambda: a function of the inputs as a layer (no weights)."""
from pykeras.layers.layer import Layer
from pykeras.saving import serialization


class Lambda(Layer):
    """``function(inputs, **arguments)`` as a layer, for a quick expression in a model.

    The function should be made of ``keras.ops`` so that it is differentiable. A model with a
    Lambda saves only when the function is a named one (registered with
    ``keras.saving.register_keras_serializable``, or passed in ``custom_objects`` when loading):
    Keras writes a Python lambda as bytecode, which pykeras never runs from a file.

    Args:
        function: the callable.
        output_shape: the output shape without the batch axis, when it cannot be inferred.
        arguments: keyword arguments passed to ``function``.

    Example:
        >>> doubled = keras.layers.Lambda(lambda x: x * 2)(keras.Input((3,)))
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise ValueError(f"Lambda '{self.name}': `function` must be callable. Received: {function!r}")
        if mask is not None:
            raise ValueError(f"Lambda '{self.name}': `mask` is not supported (pykeras has no masking).")
        self.function = function
        self.output_shape = tuple(output_shape) if output_shape is not None else None
        self.arguments = dict(arguments or {})
        self.built = True

    def call(self, inputs):
        return self.function(inputs, **self.arguments)

    def compute_output_shape(self, input_shape):
        if self.output_shape is None:
            return super().compute_output_shape(input_shape)
        return (tuple(input_shape)[0],) + self.output_shape

    def get_config(self):
        if getattr(self.function, "__name__", "<lambda>") == "<lambda>":
            raise ValueError(
                f"Lambda '{self.name}' holds a Python lambda, which pykeras cannot save: loading it would mean "
                "running code from the file. Use a named function registered with "
                "`keras.saving.register_keras_serializable()`."
            )
        config = super().get_config()
        config.update(function=serialization.serialize_object(self.function, None, {}),
                      output_shape=None if self.output_shape is None else list(self.output_shape),
                      arguments=self.arguments)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        function = config.pop("function")
        if isinstance(function, dict):
            function = serialization.deserialize_object(function, {}, "Lambda function")
        return cls(function, **config)
