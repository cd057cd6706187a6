"""``pykeras.saving``: Keras 3's ``.keras`` and ``.weights.h5`` files, and the class registry."""
from pykeras.saving.saving_api import load_model, load_weights, save_model, save_weights
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
