"""Saving and loading refuse what they cannot do safely, with Keras's errors,
and a save killed half-way leaves the previous file whole."""
import json
import random
import signal
import subprocess
import sys
import textwrap
import time
import zipfile

import numpy as np
import pytest
from child_process import child_env

import pykeras as keras

X = np.random.default_rng(0).normal(size=(4, 5)).astype(np.float32)


def small_model(units=3):
    return keras.Sequential([keras.Input((5,)), keras.layers.Dense(units, activation="relu"),
                             keras.layers.Dense(2)])


def rewrite_member(path, name, transform):
    """Rewrites one member of a .keras zip (the others copied as they are)."""
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info.filename) for info in archive.infolist()}
    if transform is None:
        del members[name]
    else:
        members[name] = transform(members[name])
    with zipfile.ZipFile(path, "w") as archive:
        for member, data in members.items():
            archive.writestr(member, data)


@pytest.fixture
def saved(tmp_path):
    model = small_model()
    model.save(tmp_path / "m.keras")
    return tmp_path / "m.keras"


# ------------------------------------------------------------------ suffixes


def test_bad_suffixes(tmp_path):
    model = small_model()
    with pytest.raises(ValueError, match="Invalid filepath extension for saving"):
        model.save(tmp_path / "m.zip")
    with pytest.raises(ValueError, match="legacy HDF5"):
        model.save(tmp_path / "m.h5")
    with pytest.raises(ValueError, match="The filename must end in `.weights.h5`"):
        model.save_weights(tmp_path / "m.h5")
    with pytest.raises(ValueError, match="File format not supported"):
        model.load_weights(tmp_path / "m.npz")
    with pytest.raises(ValueError, match="File format not supported"):
        keras.models.load_model(tmp_path / "m.h5")
    with pytest.raises(ValueError, match="File not found"):
        keras.models.load_model(tmp_path / "missing.keras")
    with pytest.raises(ValueError, match="not supported"):
        model.save(tmp_path / "m.keras", include_optimizer=True, unknown=1)
    assert not list(tmp_path.iterdir())


def test_unbuilt_models_are_refused_for_weights(tmp_path):
    model = keras.Sequential([keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="has not yet been built"):
        model.save_weights(tmp_path / "w.weights.h5")
    with pytest.raises(ValueError, match="has not yet been built"):
        model.load_weights(tmp_path / "w.weights.h5")


# ------------------------------------------------------------------ corrupt files


def test_a_file_that_is_not_a_zip(tmp_path):
    path = tmp_path / "m.keras"
    path.write_bytes(b"this is not a zip archive at all" * 10)
    with pytest.raises(ValueError, match="not a zip archive"):
        keras.models.load_model(path)


def test_a_truncated_keras_file(saved):
    data = saved.read_bytes()
    for cut in (len(data) // 3, len(data) - 30):
        saved.write_bytes(data[:cut])
        with pytest.raises(ValueError, match="not a valid `.keras` file|corrupt"):
            keras.models.load_model(saved)


def test_a_corrupt_member_is_caught_by_its_checksum(saved):
    data = bytearray(saved.read_bytes())
    with zipfile.ZipFile(saved) as archive:
        info = archive.getinfo("model.weights.h5")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 2048
    data[start:start + 16] = bytes(b ^ 0xFF for b in data[start:start + 16])
    saved.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="corrupt"):
        keras.models.load_model(saved)


@pytest.mark.parametrize("member", ["config.json", "model.weights.h5"])
def test_a_missing_member(saved, member):
    rewrite_member(saved, member, None)
    with pytest.raises(ValueError, match=f"has no '{member}'"):
        keras.models.load_model(saved)


def test_config_that_is_not_json_or_not_a_model(saved):
    rewrite_member(saved, "config.json", lambda data: data[: len(data) // 2])
    with pytest.raises(ValueError, match="not valid JSON"):
        keras.models.load_model(saved)
    rewrite_member(saved, "config.json", lambda data: b'{"hello": "world"}')
    with pytest.raises(ValueError, match="not a Keras model config"):
        keras.models.load_model(saved)
    rewrite_member(saved, "config.json", lambda data: json.dumps(
        {"module": "keras.layers", "class_name": "Dense", "config": {"units": 2}}).encode())
    with pytest.raises(ValueError, match="not a model"):
        keras.models.load_model(saved)


def test_a_truncated_weights_file(tmp_path):
    model = small_model()
    model.save_weights(tmp_path / "w.weights.h5")
    data = (tmp_path / "w.weights.h5").read_bytes()
    for cut in (100, len(data) // 2, len(data) - 100):
        (tmp_path / "t.weights.h5").write_bytes(data[:cut])
        with pytest.raises(ValueError, match="not a valid HDF5 weights file|corrupt"):
            model.load_weights(tmp_path / "t.weights.h5")


def test_a_truncated_weights_member_inside_a_keras_file(saved):
    rewrite_member(saved, "model.weights.h5", lambda data: data[: len(data) // 2])
    with pytest.raises(ValueError, match="not a valid HDF5 weights file|corrupt"):
        keras.models.load_model(saved)


def test_a_foreign_hdf5_file(tmp_path):
    import h5py

    with h5py.File(tmp_path / "f.weights.h5", "w") as f:
        f["vars/0"] = np.array(["text"], dtype=h5py.string_dtype())
        f.create_group("layers/dense/vars")["0"] = h5py.SoftLink("/vars/0")
    model = small_model()
    with pytest.raises(ValueError, match="could not be loaded"):
        model.load_weights(tmp_path / "f.weights.h5")


# ------------------------------------------------------------------ classes


def test_unknown_class_names_the_class(saved):
    rewrite_member(saved, "config.json", lambda data: data.replace(b'"class_name": "Dense"', b'"class_name": "Densest"', 1))
    with pytest.raises(TypeError, match="Could not locate class 'Densest'"):
        keras.models.load_model(saved)


def test_a_config_never_imports_the_module_it_names(saved, tmp_path):
    marker = tmp_path / "imported"
    module = tmp_path / "evil_module_for_pykeras_test.py"
    module.write_text(f"open({str(marker)!r}, 'w').close()\nclass Evil: pass\n")
    sys.path.insert(0, str(tmp_path))
    try:
        rewrite_member(saved, "config.json", lambda data: json.dumps({
            "module": "evil_module_for_pykeras_test", "class_name": "Evil", "config": {},
            "registered_name": "evil_module_for_pykeras_test.Evil"}).encode())
        with pytest.raises(TypeError, match="Could not locate class 'Evil'"):
            keras.models.load_model(saved)
    finally:
        sys.path.remove(str(tmp_path))
    assert not marker.exists() and "evil_module_for_pykeras_test" not in sys.modules


@pytest.mark.parametrize("safe_mode", [True, False])
def test_lambdas_are_refused(saved, safe_mode):
    def add_lambda(data):
        config = json.loads(data)
        config["config"]["layers"][1]["config"]["activation"] = {
            "module": "builtins", "class_name": "__lambda__",
            "config": {"code": "4wEAAAAAAAAAAAAAAAEAAAADAAAA", "defaults": None, "closure": None}}
        return json.dumps(config).encode()

    rewrite_member(saved, "config.json", add_lambda)
    with pytest.raises(ValueError, match="lambda"):
        keras.models.load_model(saved, safe_mode=safe_mode)


def test_files_hold_no_pickle(saved):
    with zipfile.ZipFile(saved) as archive:
        for name in archive.namelist():
            assert b"\x80\x04\x95" not in archive.read(name) and b"\x80\x05\x95" not in archive.read(name)


# ------------------------------------------------------------------ mismatches


def test_count_mismatch(tmp_path):
    small_model().save_weights(tmp_path / "w.weights.h5")
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3, activation="relu"),
                              keras.layers.Dense(2, use_bias=False)])
    with pytest.raises(ValueError, match=r"(?s)A total of 1 objects could not be loaded.*expected 1 variables, but received 2"):
        model.load_weights(tmp_path / "w.weights.h5")


def test_shape_mismatch_and_skip_mismatch(tmp_path):
    source = small_model()
    source.save_weights(tmp_path / "w.weights.h5")
    model = small_model(units=4)
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"(?s)A total of 2 objects could not be loaded.*variable.shape=\(5, 4\), Received: value.shape=\(5, 3\)"):
        model.load_weights(tmp_path / "w.weights.h5")
    for got, want in zip(model.get_weights(), before):  # nothing half-loaded
        np.testing.assert_array_equal(got, want)
    with pytest.warns(UserWarning, match="could not be loaded"):
        model.load_weights(tmp_path / "w.weights.h5", skip_mismatch=True)
    for got, want in zip(model.get_weights(), before):
        np.testing.assert_array_equal(got, want)


def test_skip_mismatch_loads_the_layers_that_fit(tmp_path):
    source = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3), keras.layers.Dense(2)])
    source.save_weights(tmp_path / "w.weights.h5")
    target = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3), keras.layers.Dense(4)])
    with pytest.warns(UserWarning, match="A total of 1 objects"):
        target.load_weights(tmp_path / "w.weights.h5", skip_mismatch=True)
    np.testing.assert_array_equal(target.layers[0].kernel.numpy(), source.layers[0].kernel.numpy())


def test_load_model_reports_weights_that_do_not_fit_the_config(saved):
    def grow(data):
        return data.replace(b'"units": 2', b'"units": 5', 1)

    rewrite_member(saved, "config.json", grow)
    with pytest.raises(ValueError, match="could not be loaded"):
        keras.models.load_model(saved)


# ------------------------------------------------------------------ atomic saves

_SAVER = textwrap.dedent("""
    import sys
    import pykeras as keras
    path, ready = sys.argv[1], sys.argv[2]
    model = keras.Sequential([keras.Input((512,))] + [keras.layers.Dense(512) for _ in range(12)])
    open(ready, "w").close()
    while True:
        model.save(path)
        model.save_weights(path.replace(".keras", ".weights.h5"))
""")


def test_a_save_killed_midway_leaves_the_old_file_whole(tmp_path):
    keras.utils.set_random_seed(0)
    old = small_model()
    path = tmp_path / "model.keras"
    old.save(path)
    old.save_weights(tmp_path / "model.weights.h5")
    expected = old.predict(X, verbose=0)
    script = tmp_path / "saver.py"
    script.write_text(_SAVER)
    env = child_env()
    chooser = random.Random(1234)
    for attempt in range(5):
        ready = tmp_path / f"ready{attempt}"
        child = subprocess.Popen([sys.executable, str(script), str(path), str(ready)], env=env, cwd=tmp_path,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not ready.exists() and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.01)
        assert ready.exists(), "the saving child never started"
        time.sleep(chooser.uniform(0.0, 0.4))
        child.send_signal(signal.SIGKILL)
        child.wait()
        loaded = keras.models.load_model(path)  # whichever whole file is there: the old or a new one
        if len(loaded.layers) == 2:
            np.testing.assert_array_equal(loaded.predict(X, verbose=0), expected)
        else:
            assert len(loaded.layers) == 12
        weights_model = small_model() if len(loaded.layers) == 2 else loaded
        try:
            weights_model.load_weights(tmp_path / "model.weights.h5")
        except ValueError as error:  # a whole file of the other architecture, never a broken one
            assert "could not be loaded" in str(error)
        path_text = str(path)
        old.save(path_text)  # put the small model back for the next attempt
        old.save_weights(path_text.replace(".keras", ".weights.h5"))
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert all(name.startswith(".model.") for name in leftovers)  # only a killed save's temporary files


def test_import_does_not_load_h5py(tmp_path):
    # Nor the file code or numpy.random: `import pykeras` stays close to `import numpy`.
    heavy = ("h5py", "pykeras.saving.saving_api", "numpy.random")
    code = f"import sys, pykeras; print(any(m in sys.modules for m in {heavy!r}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=child_env(), cwd=tmp_path)
    assert out.stdout.strip() == "False"
