"""Functional: a model defined by a graph of layer calls on ``keras.Input``."""

from pykeras.layers.input_layer import InputLayer, check_input_shape
from pykeras.layers.symbolic import KerasTensor
from pykeras.layers.symbolic_ops import Operation
from pykeras.models.dense_stack import DenseStack, call_on_chain, graph_chain
from pykeras.models.model import Model
from pykeras.nest import flatten, pack_like


def _topological_nodes(outputs, inputs):
    """The nodes between ``inputs`` and ``outputs``, each after its parents.

    Iterative depth-first search, so deep graphs do not hit the recursion limit.
    """
    input_ids = {id(t) for t in inputs}
    order, done, on_path = [], set(), set()
    stack = [(t, False) for t in reversed(outputs)]
    while stack:
        tensor, expanded = stack.pop()
        if id(tensor) in input_ids:
            continue
        node = tensor.node
        if node is None or isinstance(node.layer, InputLayer):
            raise ValueError(
                f"Graph disconnected: cannot obtain value for {tensor!r}. "
                "Every path from the outputs must lead back to one of the model's inputs."
            )
        if id(node) in done:
            continue
        if expanded:
            on_path.discard(id(node))
            done.add(id(node))
            order.append(node)
            continue
        if id(node) in on_path:
            continue
        on_path.add(id(node))
        stack.append((tensor, True))
        for parent in reversed(node.input_tensors):
            stack.append((parent, False))
    return order


class Functional(Model):
    """A model built from ``inputs`` (``keras.Input``) to ``outputs`` (symbolic
    results of layer calls). Several inputs or outputs may be given as lists
    or dicts."""

    def __init__(self, inputs, outputs, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        flat_inputs, flat_outputs = flatten(inputs), flatten(outputs)
        for tensor in flat_inputs:
            if not isinstance(tensor, KerasTensor) or not isinstance(tensor.node.layer, InputLayer):
                raise ValueError(
                    "All `inputs` of a functional Model must come from `keras.Input()`. "
                    f"Received: {tensor!r}"
                )
        for tensor in flat_outputs:
            if not isinstance(tensor, KerasTensor):
                raise ValueError(
                    "All `outputs` of a functional Model must be symbolic tensors produced by "
                    f"calling layers on `keras.Input()`. Received: {type(tensor).__name__}"
                )
        self._inputs_structure = inputs
        self._outputs_structure = outputs
        self._flat_inputs = flat_inputs
        self._flat_outputs = flat_outputs
        self._nodes = _topological_nodes(flat_outputs, flat_inputs)
        from pykeras.saving.functional_config import keras_layer_order

        # Keras's order (weights follow it), without the op nodes (``x * 2``, ``keras.ops.mean(x)``), as Keras.
        operations = keras_layer_order(flat_inputs, flat_outputs)
        self._graph_layers = [op for op in operations if not isinstance(op, Operation)]
        self.output_names = [t.node.layer.name for t in flat_outputs]
        self.input_names = [t.node.layer.name for t in flat_inputs]
        self.built = True
        # The layers the dense chain may stand for (dense_stack.py): the graph's, if it is one chain
        # and `call` is not overridden.
        chain = graph_chain(flat_inputs, flat_outputs, self._nodes, outputs)
        plain = chain is not None and type(self).call is Functional.call
        object.__setattr__(self, "_chain_layers", tuple(chain) if plain else ())
        object.__setattr__(self, "_dense_stack", DenseStack())

    def __call__(self, *args, **kwargs):
        # A graph that is one chain of plain Dense layers: one op, one native call (dense_stack.py).
        result = call_on_chain(self, self._chain_layers, args, kwargs)
        return super().__call__(*args, **kwargs) if result is None else result

    def _declared_input_rank(self):
        """The rank of the first input."""
        return len(self.inputs[0].shape)

    @property
    def layers(self):
        """Every layer of the graph, inputs first, in execution order (op nodes left out, as Keras)."""
        return list(self._graph_layers)

    @property
    def operations(self):
        """Every layer and op node of the graph (``x * 2``, ``keras.ops.mean(x)``), in Keras's order."""
        from pykeras.saving.functional_config import keras_layer_order

        return keras_layer_order(self._flat_inputs, self._flat_outputs)

    @property
    def inputs(self):
        return list(self._flat_inputs)

    @property
    def outputs(self):
        return list(self._flat_outputs)

    @property
    def input(self):
        """The inputs as the model was given them (one tensor, a list or a dict)."""
        return self._inputs_structure

    @property
    def output(self):
        return self._outputs_structure

    def call(self, inputs, training=None):
        values = {}
        for spec, value in zip(self._flat_inputs, self._match_inputs(inputs)):
            values[id(spec)] = value
        for node in self._nodes:
            args = _substitute(node.args, values)
            kwargs = _substitute(node.kwargs, values)
            if training is not None:
                kwargs.setdefault("training", training)
            result = node.layer(*args, **kwargs)
            for symbolic, concrete in zip(flatten(node.outputs), flatten(result)):
                values[id(symbolic)] = concrete
        return pack_like(self._outputs_structure, [values[id(t)] for t in self._flat_outputs])

    def _match_inputs(self, inputs):
        if isinstance(inputs, dict):
            missing = [name for name in self.input_names if name not in inputs]
            if missing:
                raise ValueError(
                    f"Model '{self.name}': missing inputs {missing}. Expected keys {self.input_names}"
                )
            flat = [inputs[name] for name in self.input_names]
        else:
            flat = flatten(inputs)
        if len(flat) != len(self._flat_inputs):
            raise ValueError(
                f"Model '{self.name}' expects {len(self._flat_inputs)} input(s), "
                f"but it received {len(flat)} input tensors."
            )
        for spec, value in zip(self._flat_inputs, flat):
            check_input_shape(self.name, spec.name, spec.shape, value)
        return flat

    def compute_output_shape(self, input_shape):
        shapes = [t.shape for t in self._flat_outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    def output_shape_of(self, layer):
        for node in self._nodes:
            if node.layer is layer:
                outputs = flatten(node.outputs)
                return outputs[0].shape if len(outputs) == 1 else [t.shape for t in outputs]
        if isinstance(layer, InputLayer):
            return layer.batch_shape
        return None

    def get_config(self):
        from pykeras.saving.functional_config import functional_config

        return functional_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from pykeras.saving.functional_config import functional_from_config

        return functional_from_config(cls, config, custom_objects)


def _substitute(structure, values):
    if isinstance(structure, KerasTensor):
        return values[id(structure)]
    if isinstance(structure, dict):
        return {key: _substitute(value, values) for key, value in structure.items()}
    if isinstance(structure, (list, tuple)):
        return type(structure)(_substitute(value, values) for value in structure)
    return structure


_VARIANTS = {}  # a Model subclass -> its functional variant


def functional_variant(cls):
    """``cls`` with Functional after it: a subclass's own methods (``train_step``, ``call``...) over
    the graph's. Named, placed and registered as ``cls``, so saving and loading see ``cls``."""
    variant = _VARIANTS.get(cls)
    if variant is None:
        namespace = {"__module__": cls.__module__, "__qualname__": cls.__qualname__, "__doc__": cls.__doc__}
        if "_registered_name" in cls.__dict__:
            namespace["_registered_name"] = cls.__dict__["_registered_name"]
        variant = _VARIANTS[cls] = type(cls.__name__, (cls, Functional), namespace)
    return variant
