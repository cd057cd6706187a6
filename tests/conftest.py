import sys
from pathlib import Path

# Test helpers (op_check, layer_check) live beside the tests.
sys.path.insert(0, str(Path(__file__).parent))
