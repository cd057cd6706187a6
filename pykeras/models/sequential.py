"""Sequential: a plain stack of layers, each feeding the next."""
from pykeras.layers.input_layer import InputLayer, check_input_shape
from pykeras.layers.layer import Layer, _layer_scope
from pykeras.layers.symbolic import KerasTensor, forget_node
from pykeras.models.dense_stack import DenseStack, call_on_chain
from pykeras.models.model import Model
from pykeras.nest import flatten


class Sequential(Model):
    """A model whose layers run one after another.

    Args:
        layers: the initial layers; the first may be ``keras.Input(shape=...)``
            (or an InputLayer), which builds the model at once.
        trainable: whether the model's weights are trained.
        name: the model's name.

    Example:
        >>> model = keras.Sequential([
        ...     keras.Input(shape=(8,)),
        ...     keras.layers.Dense(16, activation="relu"),
        ...     keras.layers.Dense(1),
        ... ])
    """

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(trainable=trainable, name=name)
        self._stack = []
        self._input_layer = None
        self._output_shapes = {}
        object.__setattr__(self, "_dense_stack", DenseStack())
        # The layers the dense chain may stand for (dense_stack.py): all of them, unless `call` is
        # overridden. The list itself, so that layers added or popped later are seen.
        object.__setattr__(self, "_chain_layers", self._stack if type(self).call is Sequential.call else ())
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._build_from_declared_input()

    def add(self, layer, rebuild=True):
        """Appends a layer (or sets the input, for ``keras.Input``)."""
        if isinstance(layer, KerasTensor) and isinstance(layer.node.layer, InputLayer):
            layer = layer.node.layer
        if isinstance(layer, InputLayer):
            if self._stack or self._input_layer is not None:
                raise ValueError(
                    f"Sequential '{self.name}': an Input can only be the first entry. "
                    f"Received: {layer.name} after {len(self._stack)} layer(s)"
                )
            object.__setattr__(self, "_input_layer", layer)
        elif not isinstance(layer, Layer):
            raise ValueError(
                "Only instances of `keras.Layer` can be added to a Sequential model. "
                f"Received: {layer!r} (of type {type(layer).__name__})"
            )
        else:
            if any(layer is existing for existing in self._stack):
                raise ValueError(f"Sequential '{self.name}': layer '{layer.name}' is already in the model.")
            self._stack.append(layer)
        if rebuild:
            self._rebuild()

    def pop(self, rebuild=True):
        """Removes and returns the last layer."""
        if not self._stack:
            raise ValueError("There are no layers in the model.")
        layer = self._stack.pop()
        if rebuild:
            self._rebuild()
        return layer

    def _build_from_declared_input(self):
        shape = None
        if self._input_layer is not None:
            shape = self._input_layer.batch_shape
        elif self._stack and self._stack[0]._declared_input_shape is not None:
            shape = (None,) + tuple(self._stack[0]._declared_input_shape)
        if shape is not None:
            self.build(shape)

    def _rebuild(self):
        object.__setattr__(self, "built", False)
        self._output_shapes.clear()
        self._build_from_declared_input()

    @property
    def layers(self):
        return list(self._stack)

    @property
    def input_shape(self):
        return None if self._input_layer is None else self._input_layer.batch_shape

    @property
    def inputs(self):
        """``[keras.Input]`` of a Sequential built from one, as Keras lists a model's inputs."""
        return [self._symbolic("inputs")]

    @property
    def outputs(self):
        return [self._symbolic("outputs")]

    @property
    def input(self):
        return self.inputs[0]

    @property
    def output(self):
        return self.outputs[0]

    def _symbolic(self, what):
        if self._input_layer is None or self.__dict__.get("_symbolic_output") is None:
            raise AttributeError(
                f"Sequential '{self.name}' has no symbolic `{what}`: give it a `keras.Input` first."
            )
        return self._symbolic_output if what.startswith("output") else self._input_layer.output

    def build(self, input_shape=None):
        """Builds every layer by passing a symbolic input through the stack."""
        from pykeras.layers.symbolic import Input

        if input_shape is None:
            raise ValueError(f"Sequential '{self.name}': build needs an input shape.")
        input_shape = (None,) + tuple(input_shape)[1:]
        if self._input_layer is None:
            object.__setattr__(self, "_input_layer", Input(batch_shape=input_shape).node.layer)
        x = self._input_layer.output
        for node in self.__dict__.get("_built_nodes", ()):
            forget_node(node)  # the previous build's graph: `layer.output` now means this one
        built_nodes = []
        object.__setattr__(self, "_building", True)
        try:
            with _layer_scope(self):
                for layer in self._stack:
                    x = layer(x)
                    built_nodes.extend({id(t.node): t.node for t in flatten(x) if isinstance(t, KerasTensor)}.values())
                    self._output_shapes[id(layer)] = _shapes(x)
        finally:
            object.__setattr__(self, "_building", False)
            object.__setattr__(self, "_built_nodes", built_nodes)
        object.__setattr__(self, "_symbolic_output", x)
        object.__setattr__(self, "_build_input_shape", input_shape)
        object.__setattr__(self, "built", True)

    def _build_once(self, input_shape):
        self.build(input_shape)

    def __call__(self, *args, **kwargs):
        # float32 rows through plain Dense layers: one op, one native call (dense_stack.py).
        if self.built:
            result = call_on_chain(self, self._chain_layers, args, kwargs)
            if result is not None:
                return result
        return super().__call__(*args, **kwargs)

    def _declared_input_rank(self):
        """The rank of the input ``keras.Input`` declared, or None."""
        return None if self._input_layer is None else len(self._input_layer.batch_shape)

    def call(self, inputs, training=None):
        if self._input_layer is not None:
            # The rank here; the sizes where the layers check them, naming themselves (as in Keras).
            check_input_shape(self.name, self._input_layer.name, self._input_layer.batch_shape, inputs, sizes=False)
        x = inputs
        for layer in self._stack:
            x = layer(x, training=training)
        return x

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        for layer in self._stack:
            shape = layer.compute_output_shape(shape)
        return shape

    def output_shape_of(self, layer):
        return self._output_shapes.get(id(layer))

    def get_config(self):
        from pykeras.saving.serialization import serialize_layer

        layers = [serialize_layer(layer) for layer in self._stack]
        if self._input_layer is not None:
            layers.insert(0, serialize_layer(self._input_layer))
        return {"name": self.name, "trainable": self.trainable, "layers": layers}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from pykeras.saving.serialization import deserialize_layer

        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for layer_config in config["layers"]:
            model.add(deserialize_layer(layer_config, custom_objects), rebuild=False)
        model._build_from_declared_input()
        return model


def _shapes(x):
    if isinstance(x, (list, tuple)):
        return [t.shape for t in x]
    return x.shape
