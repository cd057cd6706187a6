"""``pykeras.saving``: Keras 3's ``.keras`` format and the class registry."""
from pykeras.saving.serialization import register_keras_serializable

__all__ = ["register_keras_serializable"]
