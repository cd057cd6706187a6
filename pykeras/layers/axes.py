"""Axes a layer keeps or normalizes over, checked against an input's shape."""


def resolve_axes(owner, axes, rank):
    """``axes`` (ints, negative from the end) as sorted non-negative ones; errors name ``owner``."""
    if any(not -rank <= a < rank for a in axes):
        raise ValueError(f"{owner}: all `axis` values must be in the range [-ndim, ndim). "
                         f"Received inputs with ndim={rank}, while axis={list(axes)}")
    return sorted(a % rank for a in axes)


def known_sizes(owner, axes, input_shape):
    """The resolved ``axes`` of ``input_shape`` and their sizes, which must be known."""
    resolved = resolve_axes(owner, axes, len(input_shape))
    sizes = tuple(input_shape[a] for a in resolved)
    if None in sizes:
        raise ValueError(f"{owner}: the sizes of axes {list(axes)} must be known. "
                         f"Received: input_shape={tuple(input_shape)}")
    return resolved, sizes
