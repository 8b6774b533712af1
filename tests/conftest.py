import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from helpers import synthetic_digits  # noqa: E402


@pytest.fixture
def digits():
    return synthetic_digits(60)
