import sys
from pathlib import Path

import pytest

# Test helpers (op_check, kernel_paths) live beside the tests.
sys.path.insert(0, str(Path(__file__).parent))

from pykeras import _core  # noqa: E402


@pytest.fixture(autouse=True)
def restore_kernel_settings():
    """Every test leaves the ISA and the thread count as it found them."""
    isa, threads = _core.selected_isa(), _core.get_num_threads()
    yield
    _core.set_isa(isa)
    _core.set_num_threads(threads)
