"""``pykeras.saving``: Keras 3's ``.keras`` and ``.weights.h5`` files, and the class registry."""
from pykeras.saving.serialization import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)

__all__ = [
    "CustomObjectScope",
    "custom_object_scope",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "load_model",
    "load_weights",
    "register_keras_serializable",
    "save_model",
    "save_weights",
]

_FILE_FUNCTIONS = ("load_model", "load_weights", "save_model", "save_weights")


def __getattr__(name):
    # The file code (zip, HDF5, JSON) loads on first use, not with `import pykeras`.
    if name in _FILE_FUNCTIONS:
        from pykeras.saving import saving_api

        return getattr(saving_api, name)
    raise AttributeError(f"module 'pykeras.saving' has no attribute {name!r}")
