"""Bad model files: truncated, bit-flipped, wrong members, zip bombs, configs naming arbitrary
Python modules and classes. Each load gives a clear error (ValueError / TypeError, or loads the
very same model when a flip hit a byte nothing reads) and runs no code from the file."""
import json
import os
import random
import struct
import sys
import time
import tracemalloc
import zipfile

import numpy as np
import pytest

import pykeras as keras

PROBE = np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3)
CLEAR = (ValueError, TypeError)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(PROBE, np.zeros((4, 2), np.float32), epochs=1, verbose=0)  # optimizer state saved too
    path = str(tmp_path_factory.mktemp("good") / "model.keras")
    model.save(path)
    with open(path, "rb") as handle:
        data = handle.read()
    return path, data, model.predict(PROBE, verbose=0)


def _load_or_clear_error(path, expected):
    """The load either fails with a clear error or returns exactly the saved model."""
    try:
        model = keras.saving.load_model(path)
    except CLEAR as error:
        assert str(error), "an error without a message"
        return "error"
    np.testing.assert_array_equal(model.predict(PROBE, verbose=0), expected)
    return "loaded"


def test_truncated_at_every_twentieth(saved, tmp_path):
    _, data, expected = saved
    for i in range(20):
        path = tmp_path / f"cut{i}.keras"
        path.write_bytes(data[: len(data) * i // 20])
        with pytest.raises(CLEAR):
            keras.saving.load_model(str(path))


def test_bit_flips(saved, tmp_path):
    _, data, expected = saved
    chooser = random.Random(0)
    outcomes = {"error": 0, "loaded": 0}
    positions = sorted({chooser.randrange(len(data)) for _ in range(150)} | set(range(0, len(data), max(1, len(data) // 50))))
    for position in positions:
        flipped = bytearray(data)
        flipped[position] ^= 1 << chooser.randrange(8)
        path = tmp_path / "flip.keras"
        path.write_bytes(bytes(flipped))
        outcomes[_load_or_clear_error(str(path), expected)] += 1
    assert outcomes["error"] > len(positions) // 2  # CRCs catch flips in the members


def _rezip(path, members, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, payload in members.items():
            archive.writestr(name, payload)


def _members(saved):
    with zipfile.ZipFile(saved[0]) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.mark.parametrize("change", [
    "no_config", "no_weights", "no_metadata_only", "config_not_json", "config_a_list", "config_empty",
    "weights_garbage", "weights_empty", "extra_member", "path_traversal_member", "not_a_zip", "empty_file",
])
def test_wrong_members(saved, tmp_path, change):
    members = _members(saved)
    path = str(tmp_path / "bad.keras")
    if change == "no_config":
        del members["config.json"]
    elif change == "no_weights":
        del members["model.weights.h5"]
    elif change == "no_metadata_only":
        del members["metadata.json"]
    elif change == "config_not_json":
        members["config.json"] = b"{not json"
    elif change == "config_a_list":
        members["config.json"] = b"[1, 2]"
    elif change == "config_empty":
        members["config.json"] = b"{}"
    elif change == "weights_garbage":
        members["model.weights.h5"] = os.urandom(4096)
    elif change == "weights_empty":
        members["model.weights.h5"] = b""
    elif change == "extra_member":
        members["evil.py"] = b"raise SystemExit('ran')"
    elif change == "path_traversal_member":
        members["../../escaped.txt"] = b"x"
    if change == "not_a_zip":
        with open(path, "wb") as handle:
            handle.write(b"\x89HDF\r\n\x1a\n" + os.urandom(1000))
    elif change == "empty_file":
        open(path, "wb").close()
    else:
        _rezip(path, members)
    outcome = _load_or_clear_error(path, saved[2])
    if change in ("no_metadata_only", "extra_member", "path_traversal_member"):
        assert not os.path.exists(tmp_path / "escaped.txt")  # members are never extracted
    else:
        assert outcome == "error"


def test_a_member_claiming_gigabytes_is_refused_quickly(saved, tmp_path):
    """A weights member whose headers claim 64 GiB (ZIP64) but store a few bytes."""
    members = _members(saved)
    path = str(tmp_path / "claims.keras")
    with zipfile.ZipFile(path, "w") as archive:
        for name in ("metadata.json", "config.json"):
            archive.writestr(name, members[name])
        info = zipfile.ZipInfo("model.weights.h5")
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as handle:
            handle.write(bytes(1 << 20))
    with open(path, "rb") as handle:
        raw = bytearray(handle.read())
    # Patch the ZIP64 extra fields (local and central) to declare 64 GiB uncompressed.
    claim = struct.pack("<Q", 64 << 30)
    start = 0
    while True:
        at = raw.find(b"\x01\x00\x10\x00", start)  # ZIP64 extra: id 1, 16 bytes (sizes)
        if at < 0:
            break
        raw[at + 4: at + 12] = claim
        start = at + 4
    with open(path, "wb") as handle:
        handle.write(bytes(raw))
    began = time.perf_counter()
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="bomb|too large|corrupt"):
            keras.saving.load_model(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - began < 2
    assert peak < 64 << 20


def _bomb(saved, tmp_path, size):
    members = _members(saved)
    path = str(tmp_path / "bomb.keras")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name in ("metadata.json", "config.json"):
            archive.writestr(name, members[name])
        with archive.open("model.weights.h5", "w", force_zip64=True) as handle:
            chunk = bytes(1 << 22)
            for _ in range(size >> 22):
                handle.write(chunk)
    return path


def test_config_bomb_is_refused_by_its_size_limit(saved, tmp_path):
    members = _members(saved)
    path = str(tmp_path / "config_bomb.keras")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("metadata.json", members["metadata.json"])
        with archive.open("config.json", "w", force_zip64=True) as handle:
            for _ in range(300):
                handle.write(b" " * (1 << 20))  # 300 MiB of whitespace: valid JSON padding
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="too large|bomb"):
            keras.saving.load_model(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20


def test_weights_bomb_is_refused_before_decompressing(saved, tmp_path):
    path = _bomb(saved, tmp_path, 64 << 20)
    assert os.path.getsize(path) < 1 << 20
    tracemalloc.start()
    try:
        with pytest.raises(ValueError):
            keras.saving.load_model(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20, f"decompressed {peak >> 20} MiB of a {os.path.getsize(path) >> 10} KiB file"


# ----------------------------------------------------------------------------- no code runs

SENTINEL_MODULE = "pykeras_test_sentinel_module"


@pytest.fixture
def sentinel(tmp_path, monkeypatch):
    """A module that, if ever imported, writes a file: proof that a load ran code."""
    marker = tmp_path / "IMPORTED"
    (tmp_path / f"{SENTINEL_MODULE}.py").write_text(
        f"open({str(marker)!r}, 'w').write('ran')\n"
        "class Evil:\n"
        f"    def __init__(self, *a, **k): open({str(marker)!r}, 'w').write('ran')\n"
        "def evil(*a, **k):\n"
        f"    open({str(marker)!r}, 'w').write('ran')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield marker
    sys.modules.pop(SENTINEL_MODULE, None)


def _with_config(saved, tmp_path, mutate):
    members = _members(saved)
    config = json.loads(members["config.json"])
    mutate(config)
    members["config.json"] = json.dumps(config).encode()
    path = str(tmp_path / "hostile.keras")
    _rezip(path, members)
    return path


HOSTILE = {
    "model_is_os_system": lambda c: c.update(module="os", class_name="system", registered_name="os>system",
                                              config={"command": "touch /tmp/pwned"}),
    "model_is_sentinel_class": lambda c: c.update(module=SENTINEL_MODULE, class_name="Evil",
                                                   registered_name=None),
    "registered_name_sentinel": lambda c: c.update(registered_name=f"{SENTINEL_MODULE}>Evil", class_name="Evil"),
    "layer_is_subprocess_popen": lambda c: c["config"]["layers"][1].update(
        module="subprocess", class_name="Popen", registered_name=None, config={"args": ["touch", "/tmp/pwned"]}),
    "layer_is_sentinel": lambda c: c["config"]["layers"][1].update(module=SENTINEL_MODULE, class_name="Evil"),
    "layer_builtins_eval": lambda c: c["config"]["layers"][1].update(module="builtins", class_name="eval"),
    "activation_is_sentinel_function": lambda c: c["config"]["layers"][1]["config"].update(
        activation={"module": SENTINEL_MODULE, "class_name": "function", "config": "evil",
                    "registered_name": "evil"}),
    "activation_is_os_system": lambda c: c["config"]["layers"][1]["config"].update(
        activation={"module": "os", "class_name": "function", "config": "system", "registered_name": "system"}),
    "initializer_is_sentinel": lambda c: c["config"]["layers"][1]["config"].update(
        kernel_initializer={"module": SENTINEL_MODULE, "class_name": "Evil", "config": {}}),
    "lambda_bytecode": lambda c: c["config"]["layers"][1]["config"].update(
        activation={"class_name": "__lambda__", "config": {"code": "4wEAAAAAAAAA", "defaults": None,
                                                            "closure": None}}),
    "compile_loss_is_sentinel": lambda c: c.update(compile_config={
        "optimizer": "adam", "loss": {"module": SENTINEL_MODULE, "class_name": "evil", "config": {}}}),
    "optimizer_is_sentinel": lambda c: c.update(compile_config={
        "optimizer": {"module": SENTINEL_MODULE, "class_name": "Evil", "config": {}}, "loss": "mse"}),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_configs_run_no_code(saved, tmp_path, sentinel, name):
    path = _with_config(saved, tmp_path, HOSTILE[name])
    before = set(sys.modules)
    with pytest.raises(CLEAR) as info:
        keras.saving.load_model(path)
    assert str(info.value)
    assert not sentinel.exists(), "loading ran code from the file"
    assert SENTINEL_MODULE not in sys.modules
    assert not os.path.exists("/tmp/pwned")
    assert set(sys.modules) - before <= {"h5py._debian_compat"} | {m for m in set(sys.modules) - before
                                                                   if m.startswith(("h5py", "pykeras"))}
    # safe_mode=False does not open the door either
    with pytest.raises(CLEAR):
        keras.saving.load_model(path, safe_mode=False)
    assert not sentinel.exists()
