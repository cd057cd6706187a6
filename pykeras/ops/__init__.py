"""``pykeras.ops``: every differentiable op, and the GradientTape that records them."""
from pykeras.ops.core import *  # noqa: F401,F403
from pykeras.ops.core import __all__ as _core_names
from pykeras.ops.nn import *  # noqa: F401,F403
from pykeras.ops.nn import __all__ as _nn_names
from pykeras.ops.extra_math import *  # noqa: F401,F403
from pykeras.ops.extra_math import __all__ as _math_names
from pykeras.ops.extra_array import *  # noqa: F401,F403
from pykeras.ops.extra_array import __all__ as _array_names
from pykeras.ops.dense_chain import DenseChain
from pykeras.ops.operators import install as _install_operators
from pykeras.ops.tape import GradientTape

__all__ = ["GradientTape", "DenseChain", *_core_names, *_nn_names]
__all__ += [*_math_names, *_array_names]

_install_operators()
