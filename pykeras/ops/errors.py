"""Errors from inside an op name the op, as every pykeras error should; and an op given a symbolic
tensor (``keras.Input``) goes to the functional API's handler instead of computing."""
import functools

from pykeras.nest import flatten


class _NoSymbolicTensors:
    """Stands for KerasTensor until the layers register it (ops do not import layers)."""


symbolic_type = _NoSymbolicTensors
symbolic_call = None  # (op, args, kwargs) -> the op's node in a functional graph


def register_symbolic(tensor_type, handler):
    """``pykeras.layers`` registers its KerasTensor and the handler that makes an op node of an op
    call on one."""
    global symbolic_type, symbolic_call
    symbolic_type, symbolic_call = tensor_type, handler


def _describe(value):
    shape = getattr(value, "shape", None)
    if shape is not None:
        return f"shape={tuple(shape)}, dtype={getattr(value, 'dtype', '?')}"
    return type(value).__name__


def _has_symbolic(args, kwargs):
    return symbolic_call is not None and any(type(x) is symbolic_type for x in flatten([args, kwargs]))


def name_errors(op):
    """Wraps ``op`` so a ValueError or TypeError raised inside it (often by
    numpy, which does not know the op) starts with the op's name and ends with
    what was received.

    The one check on the plain path: a positional argument that is a symbolic tensor. One inside
    a list (``concatenate([a, b])``) or given by keyword fails to convert to an array
    (KerasTensor's ``__array__`` raises), and the error path sends the call to the handler too.
    """
    name = op.__name__

    @functools.wraps(op)
    def named(*args, **kwargs):
        for arg in args:
            if type(arg) is symbolic_type:
                return symbolic_call(op, args, kwargs)
        try:
            return op(*args, **kwargs)
        except (ValueError, TypeError) as error:
            if not _has_symbolic(args, kwargs):
                message = str(error)
                if message.startswith(f"{name}:"):
                    raise
                received = "; ".join(_describe(a) for a in args)
                kind = TypeError if isinstance(error, TypeError) else ValueError
                raise kind(f"{name}: {message}. Received: {received}") from error
        # A symbolic tensor inside a list or given by keyword, which failed to convert to an array.
        return symbolic_call(op, args, kwargs)

    return named


__all__ = ["name_errors", "register_symbolic"]
