"""Benchmark: how long `q` takes to end digit-tui while the largest preset trains.

    python bench/quit_latency.py [--runs 5]

Runs the real `digit-tui --preset deep` in a pseudo-terminal (120x40), waits
until training is under way, types `q`, and times the process until it has
exited. Prints each run and the median; the target is under one second.
"""

import argparse
import fcntl
import os
import pty
import select
import statistics
import struct
import subprocess
import sys
import termios
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def one_run(columns=120, rows=40, timeout=60.0):
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    env = dict(os.environ, TERM="xterm-256color")
    process = subprocess.Popen([sys.executable, "-m", "tui", "--preset", "deep", "--epochs", "1000"],
                               cwd=ROOT, stdin=follower, stdout=follower, stderr=follower, env=env,
                               start_new_session=True)
    os.close(follower)
    seen, deadline = b"", time.monotonic() + timeout
    try:
        while b"Training" not in seen or b"epoch" not in seen.split(b"Training")[-1][:200]:
            if time.monotonic() > deadline:
                raise RuntimeError("training never showed on the screen")
            ready, _, _ = select.select([leader], [], [], 0.1)
            if ready:
                seen = (seen + os.read(leader, 65536))[-200_000:]
        time.sleep(1.0)  # well into an epoch
        started = time.perf_counter()
        os.write(leader, b"q")
        while process.poll() is None:
            ready, _, _ = select.select([leader], [], [], 0.01)
            if ready:
                try:
                    os.read(leader, 65536)
                except OSError:
                    pass
        return time.perf_counter() - started
    finally:
        if process.poll() is None:
            process.kill()
        os.close(leader)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    times = [one_run() for _ in range(args.runs)]
    for index, seconds in enumerate(times, 1):
        print(f"run {index}: q to exit in {seconds * 1000:.0f} ms")
    print(f"median {statistics.median(times) * 1000:.0f} ms, worst {max(times) * 1000:.0f} ms "
          f"(target: under 1000 ms) with --preset deep training, {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
