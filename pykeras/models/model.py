"""Model: a Layer with training, evaluation, prediction and saving on top."""
from pykeras.layers.auto_config import capture_init_arguments, with_auto_config
from pykeras.layers.layer import Layer
from pykeras.models.trainer import Trainer


class Model(Trainer, Layer):
    """A Layer you can ``fit``, ``evaluate``, ``predict`` and ``save``.

    Three ways to make one, as in Keras:

    - functional: ``keras.Model(inputs, outputs)`` on symbolic ``keras.Input``;
    - ``keras.Sequential([...])``;
    - subclassing: define layers in ``__init__`` and the forward pass in ``call``.

    Example:
        >>> class MLP(keras.Model):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.hidden = keras.layers.Dense(64, activation="relu")
        ...         self.out = keras.layers.Dense(10)
        ...     def call(self, x):
        ...         return self.out(self.hidden(x))
    """

    def __new__(cls, *args, **kwargs):
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            from pykeras.models.functional import Functional

            return object.__new__(Functional)
        instance = object.__new__(cls)
        capture_init_arguments(instance, cls, args, kwargs)
        return instance

    def __init__(self, *args, **kwargs):
        from pykeras.models.functional import Functional, functional_variant

        if _functional_arguments(args, kwargs) and not isinstance(self, Functional):
            # A subclass given (inputs, outputs), as in Keras's "customizing fit()" guide: the
            # instance becomes a functional model that keeps the subclass's methods (Keras rewrites
            # the subclass's bases instead; here the user's class is left as it is).
            object.__setattr__(self, "__class__", functional_variant(type(self)))
            Functional.__init__(self, *args, **kwargs)
            return
        if args:
            raise TypeError(
                f"{type(self).__name__}: positional arguments are only accepted for "
                "`Model(inputs, outputs)`. Received: " + repr(args)[:200]
            )
        super().__init__(**kwargs)
        self._init_trainer()

    @property
    def layers(self):
        """The model's direct sublayers, in the order they were assigned."""
        return self._layers

    def get_layer(self, name=None, index=None):
        """Returns a layer by ``name`` or by ``index`` in ``layers``."""
        if index is not None and name is not None:
            raise ValueError(
                f"Provide only a layer name or a layer index. Received: index={index}, name={name}."
            )
        layers = self.layers
        if index is not None:
            if len(layers) <= index:
                raise ValueError(
                    f"Was asked to retrieve layer at index {index} but model only has "
                    f"{len(layers)} layers."
                )
            return layers[index]
        if name is not None:
            for layer in layers:
                if layer.name == name:
                    return layer
            raise ValueError(
                f"No such layer: {name}. Existing layers are: {[layer.name for layer in layers]}."
            )
        raise ValueError("Provide either a layer name or layer index at `get_layer`.")

    def build(self, input_shape):
        """Builds the model by running it once on zeros of ``input_shape``
        (``None`` sizes taken as 1), as Keras does symbolically."""
        import numpy as np

        from pykeras.layers.layer import _layer_scope

        shapes = input_shape
        if isinstance(shapes, list) and shapes and isinstance(shapes[0], (list, tuple)):
            zeros = [np.zeros(tuple(1 if d is None else d for d in s), np.float32) for s in shapes]
        else:
            zeros = np.zeros(tuple(1 if d is None else d for d in shapes), np.float32)
        kwargs = {"training": False} if self._accepts_training() else {}
        object.__setattr__(self, "_building", True)
        try:
            with _layer_scope(self):
                from pykeras.layers.call_inputs import to_tensors

                self.call(to_tensors(zeros), **kwargs)
        finally:
            object.__setattr__(self, "_building", False)
        object.__setattr__(self, "_build_input_shape", input_shape)
        object.__setattr__(self, "built", True)

    def _build_once(self, input_shape):
        if type(self).build is Model.build:
            # Sublayers build themselves during this first call; no extra pass.
            object.__setattr__(self, "_build_input_shape", input_shape)
            object.__setattr__(self, "built", True)
        else:
            super()._build_once(input_shape)

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Prints the layers, their output shapes and parameter counts, as Keras does."""
        from pykeras.models.summary import print_summary

        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      expand_nested=expand_nested, show_trainable=show_trainable,
                      layer_range=layer_range)

    # ------------------------------------------------------------------ saving

    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Saves architecture, weights and optimizer state to a Keras 3 ``.keras`` file."""
        from pykeras.saving.saving_api import save_model

        save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def to_json(self, **kwargs):
        """The architecture as a JSON string; ``keras.models.model_from_json`` rebuilds it."""
        from pykeras.models.cloning import model_to_json

        return model_to_json(self, **kwargs)

    def save_weights(self, filepath, overwrite=True):
        """Saves the weights to a Keras 3 ``.weights.h5`` file."""
        from pykeras.saving.saving_api import save_weights

        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """Loads weights from a ``.weights.h5`` or ``.keras`` file."""
        from pykeras.saving.saving_api import load_weights

        load_weights(self, filepath, skip_mismatch=skip_mismatch, **kwargs)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """The model a config describes: a functional graph's config (``input_layers`` and
        ``output_layers``) rebuilds the graph, as a ``cls`` when ``cls`` is a subclass."""
        if isinstance(config, dict) and "input_layers" in config and "output_layers" in config:
            from pykeras.models.functional import Functional
            from pykeras.saving.functional_config import functional_from_config

            return functional_from_config(Functional if cls is Model else cls, config, custom_objects)
        return cls(**config)

    def get_config(self):
        """A subclassed model's config: its plain constructor arguments, as Keras captures them."""
        config = {"name": self.name, "trainable": self.trainable}
        if type(self).get_config is Model.get_config:
            config = with_auto_config(self, config)
        return config


def _functional_arguments(args, kwargs):
    """Whether a constructor was given a functional graph's ``(inputs, outputs)``, as Keras tells."""
    return len(args) == 2 or (len(args) == 1 and "outputs" in kwargs) or ("inputs" in kwargs and "outputs" in kwargs)
