"""The ``.keras`` zip (``metadata.json``, ``config.json``, ``model.weights.h5``)
and the atomic write every save goes through.

A save writes a temporary file beside the target, flushes and fsyncs it, and
renames it over the target (``os.replace``), so a reader, or a process killed
mid-save, sees either the old file or the new one, never half of one.
"""
import io
import json
import os
import tempfile
import zipfile

CONFIG_NAME = "config.json"
METADATA_NAME = "metadata.json"
WEIGHTS_NAME = "model.weights.h5"
# A member may not decompress to far more than it stores (a zip bomb); Keras's rule.
_BOMB_FLOOR_BYTES = 1 << 32
_MAX_EXPANSION = 100
_CONFIG_LIMIT_BYTES = 1 << 28  # a config.json is text: 256 MiB is already absurd


def _file_mode():
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


_MODE = _file_mode()


def atomic_write(filepath, write):
    """Calls ``write(fileobj)`` on a temporary file, then renames it to ``filepath``.

    On any error the temporary file is removed and ``filepath`` is untouched.
    """
    filepath = os.fspath(filepath)
    directory = os.path.dirname(os.path.abspath(filepath))
    prefix = f".{os.path.basename(filepath)}."
    _remove_orphans(directory, prefix)
    # The writer's pid is in the name, so a later save can tell an orphan
    # (its writer was killed) from a file another live process is writing.
    fd, temporary = tempfile.mkstemp(prefix=f"{prefix}{os.getpid()}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, _MODE)
        os.replace(temporary, filepath)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    _fsync_directory(directory)


def _remove_orphans(directory, prefix):
    """Deletes temporary files of earlier saves to the same target whose writer died."""
    try:
        names = [n for n in os.listdir(directory) if n.startswith(prefix) and n.endswith(".tmp")]
    except OSError:
        return
    for name in names:
        pid = name[len(prefix):].split(".", 1)[0]
        if not pid.isdigit() or _process_alive(int(pid)):
            continue
        try:
            os.unlink(os.path.join(directory, name))
        except OSError:
            pass


def _process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _fsync_directory(directory):
    """Makes the rename itself durable (where the platform allows opening a directory)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_keras_zip(handle, config_json, metadata_json, weights_bytes):
    """Writes the three members, uncompressed and in Keras's order."""
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(METADATA_NAME, metadata_json)
        archive.writestr(CONFIG_NAME, config_json)
        archive.writestr(WEIGHTS_NAME, weights_bytes)


class KerasArchive:
    """A ``.keras`` file opened for reading, with every failure a clear ``ValueError``."""

    def __init__(self, filepath):
        self.filepath = os.fspath(filepath)
        if not os.path.exists(self.filepath):
            raise ValueError(
                f"File not found: filepath={self.filepath}. Please ensure the file is an "
                "accessible `.keras` zip file."
            )
        try:
            self._zip = zipfile.ZipFile(self.filepath, "r")
        except (zipfile.BadZipFile, EOFError) as error:
            raise ValueError(
                f"The file {self.filepath} is not a valid `.keras` file: it is not a zip archive "
                f"(it may be truncated or corrupt). {error}"
            ) from None
        self.names = set(self._zip.namelist())

    def close(self):
        self._zip.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False

    def read(self, name, limit=None):
        """One member's bytes, refusing missing members, bombs and CRC errors."""
        if name not in self.names:
            raise ValueError(
                f"The file {self.filepath} is not a valid `.keras` file: it has no '{name}' "
                f"(members: {sorted(self.names)[:10]})."
            )
        info = self._zip.getinfo(name)
        if info.file_size > _BOMB_FLOOR_BYTES and info.file_size > _MAX_EXPANSION * info.compress_size:
            raise ValueError(
                f"Not allowed: '{name}' in {self.filepath} declares {info.file_size} bytes but stores "
                f"{info.compress_size}; refusing a potential decompression bomb."
            )
        if limit is not None and info.file_size > limit:
            raise ValueError(f"'{name}' in {self.filepath} is too large ({info.file_size} bytes).")
        try:
            return self._zip.read(name)
        except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, RuntimeError) as error:
            raise ValueError(
                f"The file {self.filepath} is corrupt: reading '{name}' failed ({error})."
            ) from None

    def read_json(self, name):
        data = self.read(name, limit=_CONFIG_LIMIT_BYTES)
        try:
            value = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise ValueError(f"The file {self.filepath} is corrupt: '{name}' is not valid JSON ({error}).") from None
        if not isinstance(value, dict):
            raise ValueError(f"The file {self.filepath} is not a Keras model: '{name}' is not a JSON object.")
        return value

    def weights_file(self, limit=None):
        """``model.weights.h5`` as an in-memory file for h5py, at most ``limit`` bytes.

        The zip reader never inflates more than a member declares, so refusing a
        declared size beyond what the model could need bounds memory for any file.
        """
        return io.BytesIO(self.read(WEIGHTS_NAME, limit=limit))
