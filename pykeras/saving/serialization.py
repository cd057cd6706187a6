"""Keras 3's object configs: ``{"module", "class_name", "config",
"registered_name", "build_config"}``, and the class registry behind them.

Deserializing only ever looks classes up in this registry (built-ins, classes
registered with ``register_keras_serializable``, and ``custom_objects``): a
config can never name an arbitrary importable object.
"""
_BUILTIN = {}  # class_name -> (module, class)
_REGISTERED = {}  # "package>name" -> class


def register_builtin(module, cls):
    _BUILTIN[cls.__name__] = (module, cls)
    return cls


def register_keras_serializable(package="Custom", name=None):
    """Decorator: makes a custom class loadable by name from saved configs."""

    def decorate(cls):
        key = f"{package}>{name or cls.__name__}"
        if key in _REGISTERED and _REGISTERED[key] is not cls:
            raise ValueError(f"{key} has already been registered to {_REGISTERED[key]}")
        if not hasattr(cls, "get_config"):
            raise ValueError("Cannot register a class that does not have a get_config() method.")
        _REGISTERED[key] = cls
        cls._registered_name = key
        return cls

    return decorate


def get_registered_name(cls):
    return cls.__dict__.get("_registered_name") or cls.__name__


def serialize_layer(layer):
    """A layer's config in Keras's schema (with ``build_config`` once built)."""
    cls = type(layer)
    builtin = _BUILTIN.get(cls.__name__)
    is_builtin = builtin is not None and builtin[1] is cls
    config = {
        "module": builtin[0] if is_builtin else cls.__module__,
        "class_name": cls.__name__,
        "config": layer.get_config(),
        "registered_name": None if is_builtin else get_registered_name(cls),
    }
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
    custom_objects = custom_objects or {}
    for key in (registered, class_name):
        if key and key in custom_objects:
            return custom_objects[key]
    if registered and registered in _REGISTERED:
        return _REGISTERED[registered]
    if class_name in _BUILTIN and (registered in (None, class_name)):
        return _BUILTIN[class_name][1]
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
    inner = dict(config.get("config", {}))
    if "custom_objects" in cls.from_config.__code__.co_varnames:
        layer = cls.from_config(inner, custom_objects=custom_objects)
    else:
        layer = cls.from_config(inner)
    build_config = config.get("build_config")
    if build_config and not layer.built and build_config.get("input_shape") is not None:
        shape = build_config["input_shape"]
        layer._build_once(shape if isinstance(shape[0], list) else tuple(shape))
    return layer
