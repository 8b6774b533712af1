"""The real digit-tui in a pseudo-terminal, for the benchmarks that time what
a user sees: the first frame, the bytes sent, the time `q` takes."""

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def launch_in_pty(args, columns=120, rows=40):
    """Start the real digit-tui in a pseudo-terminal; return (process, leader fd)."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    env = dict(os.environ, TERM="xterm-256color")
    env.pop("COLORTERM", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", *args],
        cwd=ROOT,
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
        start_new_session=True,
    )
    os.close(follower)
    return process, leader


def read_for(leader, seconds):
    """Everything the app writes in the next ``seconds`` (reading all along,
    so the app never waits on a full pseudo-terminal)."""
    chunks, end = [], time.perf_counter() + seconds
    while (left := end - time.perf_counter()) > 0:
        ready, _, _ = select.select([leader], [], [], min(left, 0.05))
        if ready:
            chunks.append(os.read(leader, 65536))
    return b"".join(chunks)


def close_app(process, leader):
    if process.poll() is None:
        process.kill()
    process.wait()
    os.close(leader)


def wait_for_training(leader, epochs_marker=b"/1000", timeout=120.0):
    """Read until the status line counts epochs: the run is under way."""
    seen, started = b"", time.perf_counter()
    while epochs_marker not in seen:
        if time.perf_counter() - started > timeout:
            raise RuntimeError("the app never showed training")
        seen = (seen + read_for(leader, 0.05))[-100_000:]
