"""The per-model lock that makes ``predict`` safe while another thread runs ``fit``.

Readers (``predict``, ``evaluate``, ``*_on_batch`` inference) share it and run at the same time;
a writer (one training step: forward, backward, optimizer update) has it alone, so a prediction
sees the weights between two steps, never half an update. A waiting writer holds off new readers
so that a stream of predictions cannot starve training. The thread holding the write side may
also read (a ``train_step`` that calls ``predict``).
"""
import threading


class WeightsLock:
    __slots__ = ("_mutex", "_cond", "_readers", "_writer", "_writers_waiting", "_sleepers", "_local")

    def __init__(self):
        self._mutex = threading.Lock()
        self._cond = threading.Condition(self._mutex)
        self._local = threading.local()  # this thread's read depth: nested reads pass through
        self._readers = 0
        self._writer = None  # ident of the thread inside a training step
        self._writers_waiting = 0
        self._sleepers = 0  # threads inside _cond.wait(): only then is a notify needed

    def _sleep(self):
        self._sleepers += 1
        try:
            self._cond.wait()
        finally:
            self._sleepers -= 1

    def _wake(self):
        if self._sleepers:
            self._cond.notify_all()

    def read(self):
        return _Read(self)

    def write(self):
        return _Write(self)


class _Read:
    __slots__ = ("_lock", "_counted")

    def __init__(self, lock):
        self._lock = lock

    def __enter__(self):
        lock = self._lock
        local = lock._local
        depth = getattr(local, "depth", 0)
        self._counted = not depth and lock._writer != threading.get_ident()
        if self._counted:
            with lock._mutex:  # the Condition's own lock, taken without Condition's Python wrapper
                while lock._writer is not None or lock._writers_waiting:
                    lock._sleep()
                lock._readers += 1
        local.depth = depth + 1

    def __exit__(self, *exc_info):
        lock = self._lock
        lock._local.depth -= 1
        if self._counted:
            with lock._mutex:
                lock._readers -= 1
                if not lock._readers:
                    lock._wake()
        return False


class _Write:
    __slots__ = ("_lock",)

    def __init__(self, lock):
        self._lock = lock

    def __enter__(self):
        lock = self._lock
        me = threading.get_ident()
        with lock._mutex:
            if lock._writer == me:
                raise RuntimeError("A training step of this model is already running in this thread.")
            lock._writers_waiting += 1
            try:
                while lock._writer is not None or lock._readers:
                    lock._sleep()
            finally:
                lock._writers_waiting -= 1
            lock._writer = me

    def __exit__(self, *exc_info):
        lock = self._lock
        with lock._mutex:
            lock._writer = None
            lock._wake()
        return False
