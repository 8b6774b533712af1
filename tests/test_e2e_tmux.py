"""The real ``digit-tui`` in tmux, as a user runs it: wait for training,
switch views, browse, quit; read the screen each time. Skipped without tmux."""

import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from helpers import synthetic_digits, write_csv

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def tmux(*args):
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=False).stdout


class Terminal:
    def __init__(self, command, width=80, height=24, env=""):
        self.session = f"digit-tui-test-{uuid.uuid4().hex[:8]}"
        # No COLORTERM, like an SSH session, which does not forward it; no LINES or
        # COLUMNS, which a tmux server inherits from whoever started it and which
        # override the real window size for every program inside; and no CSV
        # cache, which would otherwise fill the user's cache folder.
        tmux(
            "new-session",
            "-d",
            "-s",
            self.session,
            "-x",
            str(width),
            "-y",
            str(height),
            f"env -u COLORTERM -u LINES -u COLUMNS DIGIT_TUI_CACHE=off {env} {command}; echo EXITED=$?; sleep 60",
        )

    def screen(self):
        return tmux("capture-pane", "-p", "-t", self.session)

    def wait_for(self, text, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared; the screen was:\n{self.screen()}")

    def keys(self, *keys):
        tmux("send-keys", "-t", self.session, *keys)

    def resize(self, width, height):
        tmux("resize-window", "-t", self.session, "-x", str(width), "-y", str(height))

    def close(self):
        tmux("kill-session", "-t", self.session)


@pytest.fixture
def command(tmp_path):
    images, labels = synthetic_digits(100, seed=4)
    data = write_csv(tmp_path / "tiny.csv", images, labels)
    script = Path(sys.executable).with_name("digit-tui")
    launcher = str(script) if script.exists() else f"{sys.executable} -m tui"
    return f"{launcher} --data {data} --epochs 5 --hidden 16 --batch-size 8"


@pytest.mark.parametrize(
    "env, size",
    [
        ("TERM=xterm-256color", (80, 24)),
        ("TERM=xterm-256color NO_COLOR=1", (120, 40)),
        ("TERM=xterm", (80, 24)),  # 16 colours
        ("TERM=linux", (80, 24)),  # the Linux console
        ("TERM=xterm-256color LANG=C LC_ALL=C", (80, 24)),  # no UTF-8
    ],
)
def test_train_browse_and_quit(command, env, size):
    terminal = Terminal(command, *size, env=env)
    try:
        screen = terminal.wait_for("Completed after 5 epochs")
        assert "val acc" in screen and "Training" in screen
        terminal.keys("b")
        screen = terminal.wait_for("/ 20   filter: all")
        assert "true" in screen and "predicted" in screen
        ascii_only = "NO_COLOR" in env or "LANG=C" in env
        if ascii_only:
            assert "\u2580" not in screen  # ASCII art, not half blocks
        screens = [screen]
        terminal.keys("Right")
        screens.append(terminal.wait_for("2 / 20"))
        terminal.keys("c")
        screens.append(terminal.wait_for("t\\p"))
        terminal.keys("t")
        screens.append(terminal.wait_for("batch loss"))
        if ascii_only:  # not one glyph that needs Unicode, on any view
            assert all(text.isascii() for text in screens), [s for s in screens if not s.isascii()]
        terminal.keys("q")
        terminal.wait_for("EXITED=0", timeout=5)
    finally:
        terminal.close()


def test_a_tiny_window_gets_a_notice_and_recovers(command):
    terminal = Terminal(command.replace("--epochs 5", "--epochs 100000"), 40, 12)
    try:
        screen = terminal.wait_for("make the window larger")
        assert "40x12" in screen and "80x24" in screen
        terminal.resize(100, 30)
        screen = terminal.wait_for("Training (t)")
        assert "make the window larger" not in screen and "Training" in screen
        terminal.resize(50, 20)
        terminal.wait_for("this one is 50x20")
        terminal.resize(80, 24)
        terminal.wait_for("batch loss")
        terminal.keys("q")
        terminal.wait_for("EXITED=0", timeout=5)
    finally:
        terminal.close()


def test_q_quits_mid_epoch_with_the_largest_preset(tmp_path):
    """Catches a hang; bench/quit_latency.py measures how fast it is."""
    script = Path(sys.executable).with_name("digit-tui")
    launcher = str(script) if script.exists() else f"{sys.executable} -m tui"
    terminal = Terminal(f"{launcher} --preset deep --epochs 1000")
    try:
        terminal.wait_for("Training epoch", timeout=60)
        terminal.keys("q")
        terminal.wait_for("EXITED=0", timeout=30)  # a hang guard; bench/quit_latency.py times it
    finally:
        terminal.close()


def test_drawing_with_the_mouse_and_with_keys(command):
    """SGR mouse sequences, as a terminal sends them: press, drag, release;
    then the keyboard: space puts the pen down, arrows draw."""
    terminal = Terminal(command, 80, 24)
    try:
        terminal.wait_for("Completed after 5 epochs")
        terminal.keys("d")
        terminal.wait_for("Nothing drawn yet")
        tmux("send-keys", "-t", terminal.session, "-l", "\x1b[<0;20;6M")
        for row in range(7, 15):
            tmux("send-keys", "-t", terminal.session, "-l", f"\x1b[<32;20;{row}M")
        tmux("send-keys", "-t", terminal.session, "-l", "\x1b[<0;20;14m")
        screen = terminal.wait_for("strokes 1")
        assert "predicted" in terminal.wait_for("predicted")
        terminal.keys("Space", "Right", "Right", "Right", "Down", "Space")
        terminal.wait_for("strokes 2")
        terminal.keys("x")
        screen = terminal.wait_for("strokes 1")
        assert "pen up" in screen
        terminal.keys("q")
        terminal.wait_for("EXITED=0", timeout=30)
    finally:
        terminal.close()


def test_the_inside_view_tiles_change_between_two_epochs_of_a_live_run(command):
    live = command.replace("--epochs 5", "--epochs 100000 --lr 0.0003")
    terminal = Terminal(live + " --ascii", 120, 40)
    try:
        terminal.wait_for("Training epoch", timeout=60)
        terminal.keys("b")
        terminal.wait_for("filter: all")
        terminal.keys("i")
        first = terminal.wait_for("first-layer weights")
        deadline = time.monotonic() + 60
        while terminal.screen() == first:  # the tiles follow each epoch's weights
            assert time.monotonic() < deadline, "the Inside view never changed while training"
            time.sleep(0.3)
        later = terminal.screen()
        tiles = [screen.split("first-layer weights")[1] for screen in (first, later)]
        assert tiles[0] != tiles[1]
        terminal.keys("q")
        terminal.wait_for("EXITED=0", timeout=30)
    finally:
        terminal.close()
