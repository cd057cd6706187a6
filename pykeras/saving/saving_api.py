"""Public saving entry points: Keras 3's ``.keras`` and ``.weights.h5`` files.

``save_model`` / ``load_model`` move a whole model (architecture, weights,
optimizer state, compile arguments); ``save_weights`` / ``load_weights`` only
the variables. Files are interchangeable with Keras 3's. Loading never
unpickles nor runs code from the file, and names only classes that pykeras
knows (built-ins, ``register_keras_serializable``, ``custom_objects``).
"""
import datetime
import io
import json
import os

import numpy as np

from pykeras.saving import keras_file, object_config, serialization, weights_h5

# The Keras file-format generation these files follow (Keras reads it from metadata.json).
KERAS_FORMAT_VERSION = "3.0.0"


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"Cannot write {type(value).__name__} to config.json: {value!r}"[:300])


def _ask_to_overwrite(filepath):
    """Keras's prompt; no answer (no terminal) means no."""
    try:
        answer = input(f"[WARNING] {filepath} already exists - overwrite? [y/n]").strip().lower()
        while answer not in ("y", "n"):
            answer = input('Enter "y" (overwrite) or "n" (cancel).').strip().lower()
    except EOFError:
        return False
    if answer == "y":
        print("[TIP] Next time specify overwrite=True!")
    return answer == "y"


def _weights_bytes(model):
    h5py = _h5py()
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5_file:
        weights_h5.write_tree(model, h5_file)
    return buffer.getvalue()


def _h5py():
    weights_h5._require_h5py()
    return weights_h5.h5py


def _model_files(model):
    from pykeras import __version__

    config_json = json.dumps(object_config.model_config(model), default=_json_default)
    metadata_json = json.dumps({
        "keras_version": KERAS_FORMAT_VERSION,
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
        "pykeras_version": __version__,
    })
    return config_json, metadata_json, _weights_bytes(model)


def save_model(model, filepath, overwrite=True, zipped=None, **kwargs):
    """Saves ``model`` as a Keras 3 ``.keras`` zip: config, weights and optimizer state.

    The file is written to a temporary file beside ``filepath`` and renamed
    into place, so an interrupted save leaves any previous file whole.

    Args:
        model: the Model to save.
        filepath: a path ending in ``.keras`` (or a directory, with ``zipped=False``).
        overwrite: if False and the file exists, ask before overwriting.
        zipped: False writes the three files into a directory instead.

    Raises:
        ValueError: a path without the ``.keras`` suffix, or an unknown argument.
    """
    kwargs.pop("include_optimizer", None)
    if kwargs.pop("save_format", None) not in (None, False, "keras"):
        raise ValueError(
            "The `save_format` argument is deprecated in Keras 3. Please remove this argument and "
            "pass a file path with a `.keras` extension."
        )
    if kwargs:
        raise ValueError(f"The following argument(s) are not supported: {list(kwargs.keys())}")
    if zipped is None:
        zipped = True
    filepath_str = os.fspath(filepath)
    if not zipped:
        if filepath_str.endswith(".keras"):
            raise ValueError(
                "When using `zipped=False`, the `filepath` argument should not end in `.keras`. "
                f"Received: filepath={filepath_str}"
            )
    elif not filepath_str.endswith(".keras"):
        if filepath_str.endswith((".h5", ".hdf5")):
            raise ValueError(
                "pykeras writes only the native Keras format, not the legacy HDF5 model format: "
                f"use a `.keras` extension. Received: filepath={filepath_str}"
            )
        raise ValueError(
            "Invalid filepath extension for saving. Please add a `.keras` extension for the native "
            f"Keras format. Received: filepath={filepath_str}."
        )
    if os.path.exists(filepath_str) and not overwrite and not _ask_to_overwrite(filepath_str):
        return
    config_json, metadata_json, weights = _model_files(model)
    if not zipped:
        os.makedirs(filepath_str, exist_ok=True)
        for name, data in ((keras_file.METADATA_NAME, metadata_json), (keras_file.CONFIG_NAME, config_json),
                           (keras_file.WEIGHTS_NAME, weights)):
            payload = data.encode() if isinstance(data, str) else data
            keras_file.atomic_write(os.path.join(filepath_str, name), lambda handle, p=payload: handle.write(p))
        return
    keras_file.atomic_write(
        filepath_str, lambda handle: keras_file.write_keras_zip(handle, config_json, metadata_json, weights)
    )


def _build_model(config, custom_objects, compile, safe_mode, where):
    object_config.check_safe(config, safe_mode, where)
    if "class_name" not in config:
        raise ValueError(f"{where} is not a Keras model config: it has no 'class_name'.")
    compile_config = config.get("compile_config")
    try:
        model = serialization.deserialize_layer(config, custom_objects)
    except (KeyError, IndexError, AttributeError) as error:
        raise ValueError(f"{where} is malformed: {type(error).__name__}: {error}"[:1000]) from None
    if not hasattr(model, "_init_trainer"):
        raise ValueError(f"{where} describes a {type(model).__name__}, not a model.")
    if compile and compile_config:
        object_config.compile_from_config(model, compile_config, custom_objects)
    return model


def _open_h5(source, where):
    h5py = _h5py()
    try:
        return h5py.File(source, "r")
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as error:
        raise ValueError(f"{where} is not a valid HDF5 weights file (it may be truncated or corrupt): {error}") from None


def _read_weights(model, source, where, skip_mismatch=False):
    h5_file = _open_h5(source, where)
    try:
        weights_h5.read_tree(model, h5_file, skip_mismatch=skip_mismatch)
    except (OSError, RuntimeError) as error:
        raise ValueError(f"{where} is corrupt: {error}") from None
    finally:
        h5_file.close()


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Loads a model saved by ``save_model`` (or by Keras 3) from a ``.keras`` file.

    Args:
        filepath: the ``.keras`` file (or a directory saved with ``zipped=False``).
        custom_objects: ``{"Name": class_or_function}`` for custom layers,
            models, losses and metrics that are not registered.
        compile: restore the optimizer (and its state), loss and metrics.
        safe_mode: refuse anything that would run code from the file (a
            lambda); pykeras refuses it in any case, with a different message.

    Raises:
        ValueError: wrong suffix, missing file, not a zip, a member missing or
            corrupt, a malformed config, weights that do not fit the model.
        TypeError: a config names a class that is neither built in nor
            registered nor in ``custom_objects`` ("Could not locate class").
    """
    filepath_str = os.fspath(filepath)
    if os.path.isdir(filepath_str) and os.path.exists(os.path.join(filepath_str, keras_file.CONFIG_NAME)):
        return _load_model_from_dir(filepath_str, custom_objects, compile, safe_mode)
    if not filepath_str.endswith(".keras"):
        raise ValueError(
            f"File format not supported: filepath={filepath_str}. Keras 3 only supports V3 "
            "`.keras` files (pykeras does not read legacy `.h5` model files or SavedModels)."
        )
    with keras_file.KerasArchive(filepath_str) as archive:
        config = archive.read_json(keras_file.CONFIG_NAME)
        model = _build_model(config, custom_objects, compile, safe_mode, f"{filepath_str} (config.json)")
        weights = archive.weights_file(limit=_weights_size_limit(model))
    _read_weights(model, weights, f"{filepath_str} (model.weights.h5)")
    return model


def _weights_size_limit(model):
    """The most bytes a weights file for ``model`` could hold: its variables, up to
    five optimizer slots per trainable one (AMSGrad, EMA, accumulation), and
    generous HDF5 bookkeeping per dataset and group."""
    variables = model.weights
    data = sum(v._value.nbytes for v in variables) + 5 * sum(v._value.nbytes for v in model.trainable_weights)
    datasets = 6 * len(variables) + 64
    return data + 8192 * datasets + (1 << 20)


def _load_model_from_dir(dirpath, custom_objects, compile, safe_mode):
    config_path = os.path.join(dirpath, keras_file.CONFIG_NAME)
    with open(config_path, "rb") as handle:
        try:
            config = json.loads(handle.read().decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise ValueError(f"{config_path} is not valid JSON ({error}).") from None
    if not isinstance(config, dict):
        raise ValueError(f"{config_path} is not a Keras model config.")
    model = _build_model(config, custom_objects, compile, safe_mode, config_path)
    weights_path = os.path.join(dirpath, keras_file.WEIGHTS_NAME)
    if not os.path.exists(weights_path):
        raise ValueError(f"Expected a {keras_file.WEIGHTS_NAME} file in {dirpath}.")
    _read_weights(model, weights_path, weights_path)
    return model


def save_weights(model, filepath, overwrite=True):
    """Saves the model's variables (and its optimizer's) to a ``.weights.h5`` file, atomically.

    Raises:
        ValueError: the name does not end in ``.weights.h5``, or the model is not built.
    """
    filepath_str = os.fspath(filepath)
    if not filepath_str.endswith(".weights.h5"):
        raise ValueError(f"The filename must end in `.weights.h5`. Received: filepath={filepath_str}")
    if not model.built:
        raise ValueError(
            "You are saving a model that has not yet been built. Try building the model first by "
            "calling it on some data or by using `build()`."
        )
    if os.path.exists(filepath_str) and not overwrite and not _ask_to_overwrite(filepath_str):
        return
    data = _weights_bytes(model)
    keras_file.atomic_write(filepath_str, lambda handle: handle.write(data))


def load_weights(model, filepath, skip_mismatch=False, **kwargs):
    """Loads variables from a ``.weights.h5`` or ``.keras`` file into a built model.

    Args:
        skip_mismatch: warn about, instead of failing on, layers whose saved
            variable count or shapes differ (those layers keep their values).

    Raises:
        ValueError: an unsupported suffix, an unbuilt model, a corrupt file,
            or (without ``skip_mismatch``) Keras's "A total of N objects could
            not be loaded" listing the mismatched layers.
    """
    if kwargs:
        raise ValueError(f"Invalid keyword arguments: {kwargs}")
    filepath_str = os.fspath(filepath)
    if not filepath_str.endswith((".keras", ".weights.h5")):
        raise ValueError(
            f"File format not supported: filepath={filepath_str}. Keras 3 only supports V3 "
            "`.keras` and `.weights.h5` files (pykeras does not read legacy `.h5` files)."
        )
    if not model.built:
        raise ValueError(
            "You are loading weights into a model that has not yet been built. Try building the "
            "model first by calling it on some data or by using `build()`."
        )
    if filepath_str.endswith(".keras"):
        with keras_file.KerasArchive(filepath_str) as archive:
            weights = archive.weights_file(limit=_weights_size_limit(model))
        _read_weights(model, weights, f"{filepath_str} (model.weights.h5)", skip_mismatch)
        return
    _read_weights(model, filepath_str, filepath_str, skip_mismatch)


__all__ = ["load_model", "load_weights", "save_model", "save_weights"]
