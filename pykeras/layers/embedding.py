"""Embedding: a trainable vector for each integer index."""
import numpy as np

from pykeras import constraints, initializers, regularizers
from pykeras.layers.layer import Layer
from pykeras.ops import core
from pykeras.tensor import Tensor


class Embedding(Layer):
    """Maps integer indices in ``[0, input_dim)`` to rows of a trainable
    ``(input_dim, output_dim)`` matrix: input ``(batch, ...)``, output ``(batch, ..., output_dim)``.

    The gradient adds up the rows' gradients (an index seen twice gets both). Whole-valued float
    inputs are taken as indices, as in Keras; an index out of range is an error (Keras on JAX
    clips it silently).

    Args:
        weights: optional ``[matrix]`` to start from (a pretrained embedding).
        mask_zero: not supported (pykeras has no masking); must be False.

    Example:
        >>> layer = keras.layers.Embedding(1000, 16)
        >>> layer(np.array([[4, 20, 7]])).shape
        (1, 3, 16)
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, weights=None, lora_rank=None, lora_alpha=None,
                 quantization_config=None, activity_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        for option, value in (("mask_zero", mask_zero or None), ("lora_rank", lora_rank),
                              ("quantization_config", quantization_config),
                              ("activity_regularizer", activity_regularizer)):
            if value is not None:
                raise ValueError(f"Embedding '{self.name}': `{option}` is not supported. Received: {option}={value!r}")
        for option, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
                raise ValueError(f"Embedding '{self.name}': `{option}` must be a positive integer. "
                                 f"Received: {option}={value!r}")
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        if weights is not None:
            self.build(None)
            self.set_weights(weights)

    def build(self, input_shape):
        self.embeddings = self.add_weight(shape=(self.input_dim, self.output_dim), name="embeddings",
                                          initializer=self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint)
        self.built = True

    def call(self, inputs):
        values = inputs._value if isinstance(inputs, Tensor) else np.asarray(inputs)
        if values.dtype.kind == "f":
            if not np.all(np.mod(values, 1) == 0):
                raise ValueError(f"Embedding '{self.name}': expected integer indices. Received: non-whole floats")
            values = values.astype(np.int64)
        elif values.dtype.kind not in "iu":
            raise ValueError(f"Embedding '{self.name}': expected integer indices. Received: dtype {values.dtype}")
        if values.size and (values.min() < 0 or values.max() >= self.input_dim):
            bad = values[(values < 0) | (values >= self.input_dim)].ravel()[0]
            raise ValueError(f"Embedding '{self.name}': indices must be in [0, {self.input_dim}). Received: {bad}")
        return core.getitem(self.embeddings, values)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        config = super().get_config()
        config.update(
            input_dim=self.input_dim, output_dim=self.output_dim,
            embeddings_initializer=initializers.serialize(self.embeddings_initializer),
            embeddings_regularizer=regularizers.serialize(self.embeddings_regularizer),
            embeddings_constraint=constraints.serialize(self.embeddings_constraint), mask_zero=False,
        )
        return config
