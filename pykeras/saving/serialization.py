"""Keras 3's object configs: ``{"module", "class_name", "config",
"registered_name", "build_config"}``, and the class registry behind them.

Deserializing only ever looks classes up in this registry (built-ins, classes
registered with ``register_keras_serializable``, and ``custom_objects``): a
config can never name an arbitrary importable object.
"""
import importlib
import threading

_BUILTIN = {}  # class_name -> (Keras module, class, or the pykeras module to import it from)
_REGISTERED = {}  # "package>name" -> class or function
# Keras writes these classes under a private module and their own registered name.
_KERAS_PRIVATE = {"Functional": ("keras.src.models.functional", "Functional")}
_scope = threading.local()  # the custom_objects of every enclosing custom_object_scope


def register_builtin(module, cls):
    _BUILTIN[cls.__name__] = (module, cls)
    return cls


def register_builtin_lazily(module, name, source):
    """A built-in class that ``source`` (a pykeras module) defines, imported when first needed."""
    _BUILTIN[name] = (module, source)


def _builtin(name):
    """``(Keras module, class)`` of a built-in class, or None."""
    entry = _BUILTIN.get(name)
    if entry is not None and isinstance(entry[1], str):
        entry = _BUILTIN[name] = (entry[0], getattr(importlib.import_module(entry[1]), name))
    return entry


def register_keras_serializable(package="Custom", name=None):
    """Decorator: makes a custom class loadable by name from saved configs."""

    def decorate(cls):
        key = f"{package}>{name or cls.__name__}"
        if key in _REGISTERED and _REGISTERED[key] is not cls:
            raise ValueError(f"{key} has already been registered to {_REGISTERED[key]}")
        if isinstance(cls, type) and not hasattr(cls, "get_config"):
            raise ValueError("Cannot register a class that does not have a get_config() method.")
        _REGISTERED[key] = cls
        if isinstance(cls, type):
            cls._registered_name = key
        else:
            _REGISTERED_FUNCTION_NAMES[id(cls)] = key
        return cls

    return decorate


_REGISTERED_FUNCTION_NAMES = {}  # id(function) -> "package>name"


def get_registered_name(obj):
    """``"package>name"`` for a registered class or function, else its ``__name__``."""
    if isinstance(obj, type):
        return obj.__dict__.get("_registered_name") or obj.__name__
    return _REGISTERED_FUNCTION_NAMES.get(id(obj)) or getattr(obj, "__name__", str(obj))


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The class or function registered (or passed in custom_objects) under ``name``, or None."""
    for table in (*_scoped_objects(), custom_objects or {}, _REGISTERED, module_objects or {}):
        if name in table:
            return table[name]
    return None


def _scoped_objects():
    return list(getattr(_scope, "stack", []))


class custom_object_scope:  # noqa: N801 - Keras's name
    """Within ``with custom_object_scope({"Name": cls}):`` loading resolves these names too."""

    def __init__(self, custom_objects):
        self.custom_objects = dict(custom_objects or {})

    def __enter__(self):
        if not hasattr(_scope, "stack"):
            _scope.stack = []
        _scope.stack.append(self.custom_objects)
        return self

    def __exit__(self, *exc_info):
        _scope.stack.pop()
        return False


CustomObjectScope = custom_object_scope


def get_custom_objects():
    """The registry of ``register_keras_serializable`` ("package>name" -> object)."""
    return _REGISTERED


def serialize_object(obj, module, builtins):
    """Keras's config of a regularizer, constraint or the like: an instance of a class in
    ``builtins`` (name -> class) under ``module``; of another class, by its registered name; a
    plain function, by name. None stays None."""
    if obj is None:
        return None
    cls = type(obj)
    if not hasattr(cls, "get_config"):
        return {"module": "builtins", "class_name": "function", "config": get_registered_name(obj),
                "registered_name": "function"}
    builtin = builtins.get(cls.__name__) is cls
    return {"module": module if builtin else None, "class_name": cls.__name__, "config": obj.get_config(),
            "registered_name": None if builtin else get_registered_name(cls)}


def deserialize_object(config, builtins, kind):
    """The object of a ``serialize_object`` config, found among ``builtins``, the registry and
    the custom objects in scope; ``kind`` names it in errors."""
    class_name = config.get("class_name")
    name = config.get("config") if class_name == "function" else config.get("registered_name") or class_name
    found = get_registered_object(name, module_objects=builtins) if isinstance(name, str) else None
    if found is None:
        raise ValueError(f"Could not interpret {kind} config: {config!r}. Pass the class or function in "
                         "`custom_objects` or register it with `keras.saving.register_keras_serializable`."[:500])
    if class_name == "function":
        return found
    inner = config.get("config") or {}
    if not isinstance(inner, dict):
        raise ValueError(f"The 'config' of a {kind} must be a dict. Received: {config!r}"[:500])
    return found.from_config(inner)


def get_object(identifier, by_name, deserialize, kind, base=None):
    """Keras's ``get`` of a loss, metric, regularizer, constraint or the like: None; a name in
    ``by_name`` (a class gives an instance with default arguments, a function itself); a config
    dict, through ``deserialize``; a subclass of ``base`` (an instance); or any callable as is.

    Raises:
        ValueError: for an unknown name (listing the known ones) or anything else.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        if identifier not in by_name:
            raise ValueError(f"Could not interpret {kind} identifier: {identifier!r}. Expected one of {sorted(by_name)}")
        found = by_name[identifier]
        return found() if isinstance(found, type) else found
    if base is not None and isinstance(identifier, type) and issubclass(identifier, base):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret {kind} identifier: {identifier!r}")


def serialize_layer(layer):
    """A layer's config in Keras's schema (with ``build_config`` once built)."""
    cls = type(layer)
    builtin = _builtin(cls.__name__)
    is_builtin = builtin is not None and builtin[1] is cls
    config = {
        "module": builtin[0] if is_builtin else cls.__module__,
        "class_name": cls.__name__,
        "config": layer.get_config(),
        "registered_name": None if is_builtin else get_registered_name(cls),
    }
    if is_builtin and cls.__name__ in _KERAS_PRIVATE:
        config["module"], config["registered_name"] = _KERAS_PRIVATE[cls.__name__]
    elif not is_builtin and "_registered_name" in cls.__dict__:
        config["module"] = None  # as Keras: a registered class is found by its registered name
    build_shape = getattr(layer, "_build_input_shape", None)
    if build_shape is not None:
        config["build_config"] = {"input_shape": _to_json_shape(build_shape)}
    return config


def _to_json_shape(shape):
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return [_to_json_shape(s) for s in shape]
    return [None if d is None else int(d) for d in shape]


def resolve_class(config, custom_objects=None):
    """The class a config names, from custom_objects, the registry or the built-ins."""
    class_name = config.get("class_name")
    registered = config.get("registered_name")
    if not isinstance(class_name, str) or not isinstance(registered, (str, type(None))):
        raise ValueError(f"An object config needs a string 'class_name'. Received: {config!r}"[:500])
    scoped = {}
    for table in _scoped_objects():
        scoped.update(table)
    custom_objects = {**scoped, **(custom_objects or {})}
    for key in (registered, class_name):
        if key and key in custom_objects:
            return custom_objects[key]
    if registered and registered in _REGISTERED:
        return _REGISTERED[registered]
    if class_name in _BUILTIN and (registered in (None, class_name)):
        return _builtin(class_name)[1]
    for key, cls in _REGISTERED.items():
        if key.split(">")[-1] == class_name and registered is None:
            return cls
    raise TypeError(
        f"Could not locate class '{class_name}'. Make sure custom classes are decorated with "
        "`@keras.saving.register_keras_serializable()` or passed in `custom_objects`. "
        f"Full object config: {config}"
    )


def deserialize_layer(config, custom_objects=None):
    """Recreates a layer from its Keras config (and builds it if the config says how)."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Expected a layer config dict with a 'class_name'. Received: {config!r}"[:500])
    cls = resolve_class(config, custom_objects)
    if not isinstance(cls, type) or not hasattr(cls, "from_config"):
        raise ValueError(f"'{config['class_name']}' does not name a layer class. Received: {cls!r}")
    inner = config.get("config", {})
    if not isinstance(inner, dict):
        raise ValueError(f"The 'config' of a {config['class_name']} must be a dict. Received: {inner!r}"[:500])
    inner = dict(inner)
    with custom_object_scope(custom_objects):
        try:
            if "custom_objects" in cls.from_config.__code__.co_varnames:
                layer = cls.from_config(inner, custom_objects=custom_objects)
            else:
                layer = cls.from_config(inner)
        except TypeError as error:
            raise TypeError(
                f"{cls.__name__}.from_config could not recreate the object from its config: {error}. "
                f"Config: {inner!r}"[:1000]
            ) from None
        build_from_config(layer, config.get("build_config"))
    return layer


def _to_shape(shape):
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return [_to_shape(s) for s in shape]
    if not isinstance(shape, (list, tuple)) or any(
        d is not None and (isinstance(d, bool) or not isinstance(d, int) or d < 0) for d in shape
    ):
        raise ValueError(f"A build_config input_shape must be a list of sizes. Received: {shape!r}"[:300])
    return tuple(shape)


def build_from_config(layer, build_config):
    """Creates a layer's weights from its ``build_config``, as Keras's ``build_from_config``.

    A Model runs its ``call`` on zeros; a layer runs ``build``, and then, if
    some of its sublayers are still unbuilt, its ``call`` on zeros too.
    """
    if not build_config or layer.built:
        return
    if not isinstance(build_config, dict) or build_config.get("input_shape") is None:
        return
    shape = _to_shape(build_config["input_shape"])
    if hasattr(layer, "_init_trainer"):  # a Model
        layer.build(shape)
        return
    layer._build_once(shape)
    if any(not sub.built for sub in layer._flatten_layers(include_self=False)):
        _run_on_zeros(layer, shape)


def _run_on_zeros(layer, shape):
    import numpy as np

    from pykeras.layers.call_inputs import to_tensors
    from pykeras.layers.layer import _layer_scope

    def zeros(s):
        return np.zeros(tuple(1 if d is None else d for d in s), np.float32)

    inputs = [zeros(s) for s in shape] if isinstance(shape, list) else zeros(shape)
    kwargs = {"training": False} if layer._accepts_training() else {}
    with _layer_scope(layer):
        layer.call(to_tensors(inputs), **kwargs)
