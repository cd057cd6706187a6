"""Errors from inside an op name the op, as every pykeras error should."""
import functools


def _describe(value):
    shape = getattr(value, "shape", None)
    if shape is not None:
        return f"shape={tuple(shape)}, dtype={getattr(value, 'dtype', '?')}"
    return type(value).__name__


def name_errors(op):
    """Wraps ``op`` so a ValueError or TypeError raised inside it (often by
    numpy, which does not know the op) starts with the op's name and ends with
    what was received."""
    name = op.__name__

    @functools.wraps(op)
    def named(*args, **kwargs):
        try:
            return op(*args, **kwargs)
        except (ValueError, TypeError) as error:
            message = str(error)
            if message.startswith(f"{name}:"):
                raise
            received = "; ".join(_describe(a) for a in args)
            kind = TypeError if isinstance(error, TypeError) else ValueError
            raise kind(f"{name}: {message}. Received: {received}") from error

    return named


__all__ = ["name_errors"]
