"""keras.utils.PyDataset: batches computed in Python, one index at a time."""


class PyDataset:
    """A dataset of batches: subclass it with ``__len__`` (the number of batches) and
    ``__getitem__(index)`` returning a batch ``x``, ``(x, y)`` or ``(x, y, sample_weight)``; pass
    it to ``fit``, ``evaluate`` or ``predict`` as ``x``. ``fit(shuffle=True)`` visits the batches in
    a new order each epoch; ``on_epoch_begin`` and ``on_epoch_end`` run around each pass.

    ``workers``, ``use_multiprocessing`` and ``max_queue_size`` are accepted for Keras's
    signature; pykeras loads the batches on the calling thread, in order.

    Example:
        >>> class Batches(keras.utils.PyDataset):
        ...     def __init__(self, x, y, batch_size, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.x, self.y, self.batch_size = x, y, batch_size
        ...     def __len__(self):
        ...         return -(-len(self.x) // self.batch_size)
        ...     def __getitem__(self, index):
        ...         rows = slice(index * self.batch_size, (index + 1) * self.batch_size)
        ...         return self.x[rows], self.y[rows]
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    @property
    def workers(self):
        return self._workers

    @property
    def use_multiprocessing(self):
        return self._use_multiprocessing

    @property
    def max_queue_size(self):
        return self._max_queue_size

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__(index).")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __len__() (the number of batches).")

    @property
    def num_batches(self):
        return len(self)

    def on_epoch_begin(self):
        """Called before each pass over the batches."""

    def on_epoch_end(self):
        """Called after each pass over the batches (e.g. to reshuffle samples)."""


Sequence = PyDataset  # Keras 3 keeps the old name as an alias
