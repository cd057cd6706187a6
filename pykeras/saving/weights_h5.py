"""Keras 3's HDF5 weight tree: where each layer's and the optimizer's variables live.

The tree mirrors Keras's ``_save_state`` walk. Every layer (and the
optimizer) gets a group ``<path>/vars``, with a ``name`` attribute, holding its
own variables as datasets ``0``, ``1``, ... (trainable ones first, in creation
order). Paths are:

- ``layers/<snake_case class name>[_1, _2, ...]`` for the layers of a
  Sequential or Functional model (and for ``model.layers`` of a subclassed
  model), numbered per class in ``model.layers`` order;
- the attribute name for a sublayer held in an attribute (``dense``, ``block/inner``),
  or ``<attribute>/<snake_case class name>`` for one inside a list or dict;
- ``optimizer`` for a compiled model's optimizer;

attributes visited in sorted order, private (``_x``) ones last, each object
once, at the first path that reaches it.
"""
import math
import warnings

import numpy as np

from pykeras.layers.layer import Layer
from pykeras.naming import to_snake_case
from pykeras.optimizers.optimizer import Optimizer
from pykeras.tensor import Variable

# Imported on first use: h5py costs ~30 ms and ~20 MB, which `import pykeras` should not pay.
h5py = None

# pykeras's own bookkeeping attributes: never part of the saved tree
# (Keras skips the attributes every Layer has in the same way).
_INTERNAL = frozenset({
    "_trainable_variables", "_non_trainable_variables", "_trainable", "built", "_building",
    "_losses", "_call_losses", "activity_regularizer", "name", "_declared_input_shape", "_build_input_shape",
    "_flat_layers_cache", "_weights_cache", "compiled", "optimizer", "stop_training", "history", "_compiled",
    "_compile_config", "_train_variables", "_stack", "_input_layer", "_output_shapes",
    "_inputs_structure", "_outputs_structure", "_flat_inputs", "_flat_outputs", "_nodes",
    "_graph_layers", "output_names", "input_names", "layers", "_inbound_nodes", "_built_nodes",
})
# A dataset may not declare far more bytes than the file stores (a "shape bomb").
_BOMB_FLOOR_BYTES = 1 << 32
_MAX_EXPANSION = 1000


class CorruptWeightsError(ValueError):
    """The HDF5 data itself cannot be read (truncated or damaged file)."""


def _require_h5py():
    global h5py
    if h5py is None:
        try:
            import h5py as module
        except ImportError:  # pragma: no cover - h5py is a dependency
            raise ImportError("Saving and loading weights needs h5py: `pip install h5py`.") from None
        h5py = module


def _is_saveable(value):
    return isinstance(value, (Layer, Optimizer))


def _name_key(name):
    return f"~{name}" if name.startswith("_") else name


def _model_kind(obj):
    from pykeras.models.functional import Functional
    from pykeras.models.sequential import Sequential

    if isinstance(obj, Functional):
        return "Functional"
    if isinstance(obj, Sequential):
        return "Sequential"
    return "Model" if hasattr(obj, "_init_trainer") else "Layer"


def _children(obj):
    """``(attribute name, value)`` pairs in the order Keras's walk visits them."""
    if isinstance(obj, Optimizer):
        return []
    kind = _model_kind(obj)
    children = []
    if kind in ("Sequential", "Functional"):
        children.append(("layers", obj.layers))
    attributes = {
        name: value for name, value in vars(obj).items()
        if name not in _INTERNAL and not name.startswith("__")
        and (_is_saveable(value) or isinstance(value, (list, tuple, dict)))
    }
    if kind == "Model":
        attributes["layers"] = obj.layers
    if kind != "Layer" and getattr(obj, "optimizer", None) is not None:
        attributes["optimizer"] = obj.optimizer
    children.extend((name, attributes[name]) for name in sorted(attributes, key=_name_key))
    return children


def walk(root):
    """Yields ``(path, object)`` for every layer and optimizer under ``root``, each once."""
    visited = set()
    stack = [("", root)]
    while stack:
        path, obj = stack.pop()
        if id(obj) in visited:
            continue
        visited.add(id(obj))
        yield path, obj
        found = []
        for name, child in _children(obj):
            child_path = f"{path}/{name}" if path else name
            if _is_saveable(child):
                found.append((child_path, child))
            else:
                found.extend(_container_items(child, child_path, set()))
        stack.extend(reversed(found))


def _container_items(container, path, seen_containers):
    """Saveables inside a list/tuple/dict, named by snake-cased class name (``dense_1``)."""
    if id(container) in seen_containers:
        return []
    seen_containers.add(id(container))
    items = list(container.values()) if isinstance(container, dict) else list(container)
    used, found = {}, []
    for item in items:
        if _is_saveable(item):
            found.append((f"{path}/{_unique(to_snake_case(type(item).__name__), used)}", item))
        elif isinstance(item, (list, tuple, dict)):
            found.extend(_container_items(item, f"{path}/{_unique('container', used)}", seen_containers))
    return found


def _unique(name, used):
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def _own_variables(obj):
    if isinstance(obj, Optimizer):
        return obj.variables
    return obj._trainable_variables + obj._non_trainable_variables


# ---------------------------------------------------------------- writing


def write_tree(model, h5_file):
    """Writes the variables of ``model`` (and of its optimizer) into an open h5py File."""
    _require_h5py()
    # Walk the whole tree before writing, so ``walk`` order and de-duplication are final.
    for path, obj in list(walk(model)):
        group = h5_file.create_group(f"{path}/vars" if path else "vars")
        group.attrs["name"] = obj.name
        save_own = getattr(obj, "save_own_variables", None)
        if save_own is not None and not isinstance(obj, Optimizer):
            store = {}
            save_own(store)
            for key, value in store.items():
                group.create_dataset(str(key), data=np.asarray(value))
            continue
        for index, variable in enumerate(_own_variables(obj)):
            group.create_dataset(str(index), data=variable.numpy())


# ---------------------------------------------------------------- reading


class H5VarsStore:
    """The read-only ``vars`` of one object: ``store["0"]`` is a numpy array.

    Refuses links, external or virtual datasets, non-numeric data and datasets
    declaring far more bytes than the file holds.
    """

    def __init__(self, group, path):
        self._group = group
        self._path = path

    def keys(self):
        return [] if self._group is None else list(self._group.keys())

    def __len__(self):
        return len(self.keys())

    def __contains__(self, key):
        return self._group is not None and key in self._group

    def __getitem__(self, key):
        where = f"'{self._path}/vars/{key}'"
        if self._group is None or key not in self._group:
            raise KeyError(f"No dataset {where} in the weights file.")
        link = self._group.get(key, getlink=True)
        if not isinstance(link, h5py.HardLink):
            raise ValueError(f"Not allowed: H5 file with a {type(link).__name__} at {where}.")
        dataset = self._group[key]
        if not isinstance(dataset, h5py.Dataset):
            raise ValueError(f"Invalid H5 file: expected a dataset at {where}, found a {type(dataset).__name__}.")
        if dataset.external or dataset.is_virtual:
            raise ValueError(f"Not allowed: H5 file with an external or virtual dataset at {where}.")
        if dataset.dtype.kind not in "fiub":
            raise ValueError(f"Invalid H5 file: dataset {where} holds {dataset.dtype}, not numbers.")
        declared = math.prod(dataset.shape) * dataset.dtype.itemsize
        if declared > _BOMB_FLOOR_BYTES and declared > _MAX_EXPANSION * dataset.id.get_storage_size():
            raise ValueError(f"Not allowed: H5 dataset {where} declares {declared} bytes but stores almost none.")
        try:
            return np.asarray(dataset[()])
        except (OSError, RuntimeError) as error:
            raise CorruptWeightsError(f"The weights file is corrupt: reading {where} failed ({error}).") from None


def _vars_group(h5_file, path):
    """The ``vars`` group at ``path`` (None if absent), refusing links on the way."""
    current = h5_file
    for part in ([*path.split("/")] if path else []) + ["vars"]:
        if part not in current:
            return None
        link = current.get(part, getlink=True)
        if not isinstance(link, h5py.HardLink):
            raise ValueError(f"Not allowed: H5 file with a {type(link).__name__} at '{path}'.")
        current = current[part]
        if not isinstance(current, h5py.Group):
            raise ValueError(f"Invalid H5 file: expected a group at '{path}', found a dataset.")
    return current


def _check_layer_store(layer, store):
    variables = _own_variables(layer)
    if len(store) != len(variables):
        if not variables and not layer.built:
            raise ValueError(
                f"Layer '{layer.name}' was never built and thus it doesn't have any variables. "
                f"However the weights file lists {len(store)} variables for this layer."
            )
        raise ValueError(
            f"Layer '{layer.name}' expected {len(variables)} variables, but received "
            f"{len(store)} variables during loading. Expected: {[v.name for v in variables]}"
        )
    arrays = []
    for index, variable in enumerate(variables):
        value = store[str(index)]
        if value.shape != variable.shape:
            raise ValueError(
                "The shape of the target variable and the shape of the target value in "
                f"`variable.assign(value)` must match. variable.shape={variable.shape}, "
                f"Received: value.shape={value.shape}. Target variable: {variable.path}"
            )
        arrays.append(value)
    return arrays


def _load_layer(layer, store):
    load_own = getattr(layer, "load_own_variables", None)
    if load_own is not None:
        load_own(store)
        return
    arrays = _check_layer_store(layer, store)  # all checked before any is assigned
    for variable, value in zip(_own_variables(layer), arrays):
        variable.assign(value.astype(variable._value.dtype, copy=False))


def _load_optimizer(optimizer, store, model):
    if not store.keys():
        return  # the file has no optimizer state (saved uncompiled): nothing to restore
    if not optimizer.built and len(store) > len(optimizer.variables):
        optimizer.build(model.trainable_weights)
    variables = optimizer.variables
    # A never-trained optimizer saves its iteration count (and learning-rate variable) only: that is
    # its whole state, so it loads into the built one without Keras's "Skipping variable loading".
    unbuilt = 2 if isinstance(optimizer._learning_rate, Variable) else 1
    if len(store) == unbuilt < len(variables):
        variables = variables[:unbuilt]
    if len(store) != len(variables):
        warnings.warn(
            f"Skipping variable loading for optimizer '{optimizer.name}', because it has "
            f"{len(variables)} variables whereas the saved optimizer has {len(store)} variables.",
            stacklevel=4,
        )
        return
    arrays = []
    for index, variable in enumerate(variables):
        value = store[str(index)]
        if value.shape != variable.shape:
            raise ValueError(
                f"Optimizer '{optimizer.name}': saved variable {index} has shape {value.shape}, "
                f"expected {variable.shape} ({variable.path})."
            )
        arrays.append(value)
    for variable, value in zip(variables, arrays):
        variable.assign(value.astype(variable._value.dtype, copy=False))


def read_tree(model, h5_file, skip_mismatch=False):
    """Loads every layer's and the optimizer's variables from an open h5py File.

    Raises:
        ValueError: Keras's "A total of N objects could not be loaded" listing
            each layer whose variable count or shapes differ (a warning instead
            with ``skip_mismatch=True``; those layers keep their values).
    """
    _require_h5py()
    errors = []
    for path, obj in list(walk(model)):
        store = H5VarsStore(_vars_group(h5_file, path), path)
        try:
            if isinstance(obj, Optimizer):
                _load_optimizer(obj, store, model)
            else:
                _load_layer(obj, store)
        except CorruptWeightsError:
            raise
        except (ValueError, KeyError) as error:
            errors.append((obj, error))
    if errors:
        example, error = errors[0]
        message = (
            f"A total of {len(errors)} objects could not be loaded. Example error message for "
            f"object {example}:\n\n{error}\n\nList of objects that could not be loaded:\n"
            f"{[obj for obj, _ in errors]}"
        )
        if skip_mismatch:
            warnings.warn(message, stacklevel=3)
        else:
            raise ValueError(message)
