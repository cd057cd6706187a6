"""Python operators on Tensor, routed through the ops so tapes record them."""
from pykeras.ops import core
from pykeras.tensor import Tensor


def _swap(op):
    return lambda self, other: op(other, self)


def install():
    operators = {
        "__add__": core.add,
        "__radd__": _swap(core.add),
        "__sub__": core.subtract,
        "__rsub__": _swap(core.subtract),
        "__mul__": core.multiply,
        "__rmul__": _swap(core.multiply),
        "__truediv__": core.divide,
        "__rtruediv__": _swap(core.divide),
        "__pow__": core.power,
        "__rpow__": _swap(core.power),
        "__matmul__": core.matmul,
        "__rmatmul__": _swap(core.matmul),
        "__neg__": core.negative,
        "__abs__": core.abs,
        "__getitem__": core.getitem,
        "__lt__": core.less,
        "__le__": core.less_equal,
        "__gt__": core.greater,
        "__ge__": core.greater_equal,
    }
    for name, op in operators.items():
        setattr(Tensor, name, op)
    Tensor.T = property(lambda self: core.transpose(self))
