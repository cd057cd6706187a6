"""``pykeras.optimizers``: SGD, Adam, AdamW, RMSprop (native updates), Adagrad, Adamax, Nadam, Lion,
Adadelta and Ftrl (numpy), their lookup by Keras names, and learning-rate ``schedules``."""
from pykeras.optimizers import schedules
from pykeras.optimizers.adadelta import Adadelta
from pykeras.optimizers.adagrad import Adagrad
from pykeras.optimizers.adam import Adam
from pykeras.optimizers.adamax import Adamax
from pykeras.optimizers.adamw import AdamW
from pykeras.optimizers.ftrl import Ftrl
from pykeras.optimizers.lion import Lion
from pykeras.optimizers.nadam import Nadam
from pykeras.optimizers.optimizer import Optimizer
from pykeras.optimizers.rmsprop import RMSprop
from pykeras.optimizers.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adamax", "Nadam", "Lion", "Adadelta", "Ftrl",
           "get", "serialize", "deserialize", "schedules"]

_BY_NAME = {cls.__name__.lower(): cls
            for cls in (SGD, Adam, AdamW, RMSprop, Adagrad, Adamax, Nadam, Lion, Adadelta, Ftrl)}


def serialize(optimizer):
    """Keras's ``{"module", "class_name", "config", "registered_name"}`` form."""
    return {
        "module": "keras.optimizers",
        "class_name": type(optimizer).__name__,
        "config": optimizer.get_config(),
        "registered_name": None,
    }


def deserialize(config, custom_objects=None):
    """Builds an optimizer from ``serialize``'s dict (class names case-insensitive)."""
    class_name = config.get("class_name")
    cls = (custom_objects or {}).get(class_name) or _BY_NAME.get(str(class_name).lower())
    if cls is None:
        raise ValueError(
            f"Could not interpret optimizer class_name: {class_name!r}. "
            f"Expected one of {sorted(_BY_NAME)}"
        )
    return cls.from_config(config.get("config", {}), custom_objects=custom_objects)


def get(identifier):
    """Resolves an optimizer's name (``"adam"``, ``"sgd"``, ``"adagrad"``, ..., any case), a
    ``serialize`` dict, or an ``Optimizer`` (returned unchanged)."""
    if identifier is None:
        return None
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower())
        if cls is None:
            raise ValueError(
                f"Could not interpret optimizer identifier: {identifier!r}. "
                f"Expected one of {sorted(_BY_NAME)}"
            )
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(
        f"Could not interpret optimizer identifier: {identifier!r}. "
        f"Expected a name in {sorted(_BY_NAME)}, a config dict or an Optimizer"
    )
