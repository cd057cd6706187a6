"""A functional model's graph as Keras 3 writes it in ``config.json``.

Each layer, and each op node (``x * 2``, ``keras.ops.mean(x)``: symbolic_ops.py), lists its
``inbound_nodes``: the arguments of each call, with symbolic tensors written as
``__keras_tensor__`` entries whose ``keras_history`` is ``[layer name, node index, tensor
index]``, and slices, ``...`` and arrays as Keras writes them (``__slice__``, ``__ellipsis__``,
``__tensor__`` / ``__numpy__``).
"""
import numpy as np

from pykeras.layers.symbolic import KerasTensor
from pykeras.layers.symbolic_ops import Operation, deserialize_operation, is_operation_config, serialize_operation
from pykeras.nest import flatten, map_structure
from pykeras.saving.serialization import deserialize_layer, serialize_layer
from pykeras.tensor import Tensor


def tensor_histories(model):
    """``{id(KerasTensor): [layer name, node index, tensor index]}`` for every tensor of the graph."""
    histories = {}
    node_counts = {}
    for tensor in model._flat_inputs:
        histories[id(tensor)] = [tensor.node.layer.name, 0, 0]
    for node in model._nodes:
        index = node_counts.get(id(node.layer), 0)
        node_counts[id(node.layer)] = index + 1
        for position, tensor in enumerate(flatten(node.outputs)):
            histories[id(tensor)] = [node.layer.name, index, position]
    return histories


def functional_config(model):
    """The ``config`` of a Functional model, in Keras 3's layout."""
    histories = tensor_histories(model)

    def encode(value):
        if isinstance(value, KerasTensor):
            return {
                "class_name": "__keras_tensor__",
                "config": {"shape": list(value.shape), "dtype": value.dtype,
                           "keras_history": histories[id(value)]},
            }
        return _encode_constant(value)

    layers = []
    for layer in model.operations:
        entry = serialize_operation(layer) if isinstance(layer, Operation) else serialize_layer(layer)
        entry["name"] = layer.name
        entry["inbound_nodes"] = [
            {"args": map_structure(encode, list(node.args)), "kwargs": map_structure(encode, dict(node.kwargs))}
            for node in model._nodes
            if node.layer is layer
        ]
        layers.append(entry)

    def endpoints(structure):
        # As Keras 3 writes them: a lone tensor bare ([name, node, index]), a list as a list.
        return map_structure(lambda tensor: histories[id(tensor)], structure)

    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": layers,
        "input_layers": endpoints(model._inputs_structure),
        "output_layers": endpoints(model._outputs_structure),
    }


def _encode_constant(value):
    """A constant argument of a call (an op's ``2.0``, a GetItem key's slices) as Keras writes it."""
    if isinstance(value, slice):
        return {"class_name": "__slice__",
                "config": {"start": value.start, "stop": value.stop, "step": value.step}}
    if value is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(value, (Tensor, np.ndarray)):
        array = np.asarray(value)
        if array.ndim:
            kind = "__tensor__" if isinstance(value, Tensor) else "__numpy__"
            return {"class_name": kind, "config": {"value": array.tolist(), "dtype": array.dtype.name}}
        return array.item()
    if isinstance(value, np.generic):
        return value.item()
    return value


_CONSTANTS = ("__slice__", "__ellipsis__", "__tensor__", "__numpy__")


def _decode_constant(value):
    """The value of an entry ``_encode_constant`` writes."""
    kind, config = value.get("class_name"), value.get("config") or {}
    if kind == "__slice__":
        return slice(config.get("start"), config.get("stop"), config.get("step"))
    if kind == "__ellipsis__":
        return Ellipsis
    try:
        array = np.asarray(config["value"], dtype=np.dtype(config["dtype"]))
        return Tensor(array) if kind == "__tensor__" else array
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"Functional config has a malformed {kind} entry: {value!r}"[:500]) from None


def _is_history(value):
    return (
        isinstance(value, list) and len(value) == 3 and isinstance(value[0], str)
        and all(isinstance(v, int) for v in value[1:])
    )


def _accepted_kwargs(layer, kwargs):
    """Drops the ``None`` keyword arguments Keras records for every call (``mask=None``)
    that this layer's ``call`` does not take; any other argument goes through."""
    import inspect

    parameters = inspect.signature(layer.call).parameters
    if any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        return kwargs
    return {key: value for key, value in kwargs.items() if value is not None or key in parameters}


def functional_from_config(cls, config, custom_objects=None):
    """Rebuilds a Functional model by replaying each layer's calls in order."""
    try:
        layer_configs = config["layers"]
        input_spec, output_spec = config["input_layers"], config["output_layers"]
    except (KeyError, TypeError) as error:
        raise ValueError(f"Functional config is missing {error}; it is not a Keras functional model.") from None
    layers = {}
    produced = {}  # (layer name, node index) -> list of output KerasTensors
    pending = []
    for entry in layer_configs:
        # An op node's class names may be a layer's too (Add, Softmax): its module tells them apart.
        layer = deserialize_operation(entry) if is_operation_config(entry) else deserialize_layer(entry, custom_objects)
        name = entry.get("name", layer.name)
        layers[name] = layer
        if hasattr(layer, "output") and not entry.get("inbound_nodes"):
            produced[(name, 0)] = [layer.output]
        for index, node in enumerate(entry.get("inbound_nodes", [])):
            pending.append((name, index, node))

    def decode(value):
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            layer_name, node_index, tensor_index = value["config"]["keras_history"]
            outputs = produced.get((layer_name, node_index))
            if outputs is None:
                raise LookupError
            return outputs[tensor_index]
        if isinstance(value, dict) and value.get("class_name") in _CONSTANTS:
            return _decode_constant(value)
        if isinstance(value, dict):
            return {key: decode(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):  # tuples: a config not sent through JSON (clone_model)
            return type(value)(decode(item) for item in value)
        return value

    while pending:
        remaining = []
        for name, index, node in pending:
            try:
                args = decode(node.get("args", []))
                kwargs = decode(node.get("kwargs", {}))
            except LookupError:
                remaining.append((name, index, node))
                continue
            result = layers[name](*args, **_accepted_kwargs(layers[name], kwargs))
            produced[(name, index)] = flatten(result)
        if len(remaining) == len(pending):
            raise ValueError(
                "Functional config is inconsistent: some layers' inputs are never produced "
                f"({sorted({name for name, _, _ in remaining})})."
            )
        pending = remaining

    def tensor_of(history):
        layer_name, node_index, tensor_index = history
        try:
            return produced[(layer_name, node_index)][tensor_index]
        except (KeyError, IndexError):
            raise ValueError(f"Functional config names an unknown tensor {history}.") from None

    def resolve(spec):
        if _is_history(spec):
            return tensor_of(spec)
        if isinstance(spec, dict):
            return {key: resolve(value) for key, value in spec.items()}
        return [resolve(value) for value in spec]

    inputs, outputs = resolve(input_spec), resolve(output_spec)
    if isinstance(inputs, list) and len(inputs) == 1:
        inputs = inputs[0]
    if isinstance(outputs, list) and len(outputs) == 1:
        outputs = outputs[0]
    return cls(inputs=inputs, outputs=outputs, name=config.get("name"),
               trainable=config.get("trainable", True))


def node_inputs(node):
    """The symbolic tensors a node consumed (positional, then keyword), as Keras lists them."""
    return [t for t in flatten([list(node.args), dict(node.kwargs)]) if isinstance(t, KerasTensor)]


def keras_layer_order(inputs, outputs):
    """A functional graph's layers in Keras 3's ``model.layers`` order.

    Keras orders layers by depth (distance from the outputs, deepest first) and,
    within one depth, by when a depth-first walk from the outputs first met
    them. The order fixes the weight file's ``layers/<name>`` paths and the
    optimizer's slot order, so it must match Keras exactly.
    """
    from pykeras.layers.input_layer import InputLayer

    def is_input(node):
        return isinstance(node.layer, InputLayer)

    input_ids = {id(t) for t in inputs}
    finished, ordered_nodes, first_seen = set(), [], {}
    for output in outputs:
        stack = [(output, False)]
        while stack:
            tensor, expanded = stack.pop()
            node = tensor.node
            if node is None:
                continue
            if expanded:
                finished.add(id(node))
                ordered_nodes.append(node)
                continue
            if id(node) in finished:
                continue
            if not is_input(node) and id(tensor) in input_ids:
                finished.add(id(node))
                continue
            first_seen.setdefault(id(node.layer), len(first_seen))
            stack.append((tensor, True))
            if not is_input(node):
                stack.extend((parent, False) for parent in reversed(node_inputs(node)))
    in_graph = {id(node) for node in ordered_nodes}
    node_depth, layer_depth, layers = {}, {}, {}
    for node in reversed(ordered_nodes):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = node_depth[id(node)] = depth
        layers[id(node.layer)] = node.layer
        for parent in node_inputs(node):
            if parent.node is not None and id(parent.node) in in_graph:
                node_depth[id(parent.node)] = max(depth + 1, node_depth.get(id(parent.node), 0))
    for tensor in inputs:
        layer = tensor.node.layer
        if id(layer) not in layer_depth:
            layer_depth[id(layer)], first_seen[id(layer)], layers[id(layer)] = 0, -1, layer
    return sorted(layers.values(), key=lambda layer: (-layer_depth[id(layer)], first_seen[id(layer)]))
