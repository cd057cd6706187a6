"""The input rank a layer needs (Keras's ``InputSpec(ndim=...)``), checked on every call."""


def check_rank(layer, shape, rank):
    """Raises a ValueError naming ``layer`` unless ``shape`` has ``rank`` dimensions."""
    if len(shape) != rank:
        raise ValueError(f"{type(layer).__name__} '{layer.name}' expects inputs of rank {rank} "
                         f"(batch included). Received: input_shape={tuple(shape)}")
