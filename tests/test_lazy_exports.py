"""The layers, callbacks and optimizers imported on first use (pykeras/lazy_exports.py), the
model cloning functions (with json), the less common ops, ``keras.metrics`` and
``keras.callbacks``: not imported by ``import pykeras``, yet found by attribute, by ``from ... import``, by name in a
saved config and by ``optimizers.get``, in a fresh interpreter."""
import json
import subprocess
import sys

import numpy as np

import pykeras as keras
from child_process import child_env

CHILD = r"""
import sys
import pykeras as keras

lazy = ["pykeras.layers.embedding", "pykeras.layers.layer_normalization", "pykeras.layers.merging",
        "pykeras.callbacks.early_stopping", "pykeras.optimizers.lion", "pykeras.models.cloning", "json",
        "pykeras.ops.extra_math", "pykeras.ops.extra_array", "pykeras.metrics", "pykeras.callbacks"]
before = [name for name in lazy if name in sys.modules]
import json
model = keras.models.model_from_json(open(sys.argv[1]).read())
from pykeras.callbacks import EarlyStopping
print(json.dumps({
    "imported_by_import": before,
    "layers": [type(layer).__name__ for layer in model.layers],
    "predicted": model.predict(keras.ops.convert_to_numpy(json.loads(sys.argv[2])), verbose=0).tolist(),
    "optimizer": type(keras.optimizers.get("lion")).__name__,
    "callback": EarlyStopping.__name__,
    "listed": "Embedding" in dir(keras.layers) and "Ftrl" in dir(keras.optimizers) and "cumsum" in dir(keras.ops)
              and {"metrics", "callbacks"} <= set(dir(keras)),
    "ops": [keras.ops.cumsum([1.0, 2.0]).numpy().tolist(), keras.ops.pad([1.0], 1).numpy().tolist()],
    "accuracy": keras.metrics.Accuracy.__name__,
}))
"""


def test_rarely_used_classes_load_on_first_use_in_a_fresh_interpreter(tmp_path):
    ids = keras.Input((4,), dtype="int32")
    embedded = keras.layers.Embedding(10, 3)(ids)
    x = keras.layers.GlobalAveragePooling1D()(keras.layers.LayerNormalization()(embedded))
    model = keras.Model(ids, keras.layers.add([keras.layers.Dense(2)(x), keras.layers.Dense(2)(x)]))
    path = tmp_path / "model.json"
    path.write_text(model.to_json())
    sample = [[1, 2, 3, 4], [0, 9, 9, 0]]
    out = subprocess.run([sys.executable, "-c", CHILD, str(path), json.dumps(sample)], env=child_env(), cwd=tmp_path,
                         capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    assert result["imported_by_import"] == []
    assert result["layers"] == ["InputLayer", "Embedding", "LayerNormalization", "GlobalAveragePooling1D", "Dense",
                                "Dense", "Add"]
    assert np.asarray(result["predicted"]).shape == (2, 2)
    assert (result["optimizer"], result["callback"], result["listed"]) == ("Lion", "EarlyStopping", True)
    assert result["ops"] == [[1.0, 3.0], [0.0, 1.0, 0.0]] and result["accuracy"] == "Accuracy"


def test_an_unknown_name_is_still_an_attribute_error():
    for package in (keras, keras.layers, keras.callbacks, keras.optimizers, keras.ops):
        try:
            package.NoSuchThing  # noqa: B018
        except AttributeError as error:
            assert "has no attribute 'NoSuchThing'" in str(error)
        else:
            raise AssertionError(f"{package.__name__}.NoSuchThing did not raise")
