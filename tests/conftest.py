import signal
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from helpers import synthetic_digits, write_csv  # noqa: E402


@pytest.fixture
def digits():
    return synthetic_digits(60)


@pytest.fixture
def tiny_csv(tmp_path):
    """100 seeded synthetic digits as a Kaggle CSV: the app tests' data."""
    images, labels = synthetic_digits(100, seed=4)
    return str(write_csv(tmp_path / "tiny.csv", images, labels))


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    """Each test gets its own empty CSV cache, never the user's."""
    monkeypatch.setenv("DIGIT_TUI_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(autouse=True)
def private_data_folder(tmp_path_factory, monkeypatch):
    """Each test gets its own empty data folder, never the user's: the runs
    that training tests record (and any download) land there. A test may
    set DIGIT_TUI_DATA_DIR again, or DIGIT_TUI_RECORD=off."""
    monkeypatch.setenv("DIGIT_TUI_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    for name in ("DIGIT_TUI_RECORD", "DIGIT_TUI_KEEP_MODELS"):  # the developer's own settings
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def restore_blas_threads():
    """Training sets NumPy's BLAS thread count for the whole process; put it
    back after each test, so that no test runs with another's setting."""
    from core.blas import blas_threads, set_blas_threads

    before = blas_threads()
    yield
    if before is not None:
        set_blas_threads(before)


@pytest.fixture
def terminal_signals():
    """Ctrl+C, SIGTERM and SIGHUP as a terminal delivers them, for the tests
    that send them. A suite started in the background by a script (``pytest &``
    without job control) ignores SIGINT, and under nohup SIGHUP; the CLI rightly keeps a signal it
    was started ignoring, and a child inherits it ignored, so without this
    those tests would fail there (they did, and read as a hang). A child
    started meanwhile gets the defaults: a handler is reset at exec."""
    wanted = {signal.SIGINT: signal.default_int_handler, signal.SIGTERM: signal.SIG_DFL, signal.SIGHUP: signal.SIG_DFL}
    before = {number: signal.signal(number, handler) for number, handler in wanted.items()}
    yield
    for number, handler in before.items():
        signal.signal(number, handler)


@pytest.fixture(autouse=True)
def no_animations(request, monkeypatch):
    """Textual animates the tab underline and scrolls, and a Pilot key press
    waits for the animation to end: 0.3 s a view switch, an eighth of the
    suite's time. Tests run with animations off (what TEXTUAL_ANIMATIONS=none
    does), except those marked ``animations``, which check behaviour that
    an animation could change (a scroll ending short of a moving bottom)."""
    import textual.constants

    marked = request.node.get_closest_marker("animations") is not None
    monkeypatch.setattr(textual.constants, "TEXTUAL_ANIMATIONS", "full" if marked else "none")  # whatever the env says
