"""``pykeras.utils``: helpers Keras users reach for."""
from pykeras.config import set_random_seed

__all__ = ["set_random_seed"]
