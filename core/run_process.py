"""Telling a run still being written from one whose process died.

A run's config.json names the process that writes it: its pid, host, the
machine's boot and the process's start time (in clock ticks since boot, as
/proc/<pid>/stat has it). A pid alone is not enough: once its process
dies, the kernel hands the number to another, and a dead run would show
as "running" for as long as that one lives. Where /proc is missing (not
Linux) only the pid can be asked about.
"""

import os
import socket
from datetime import datetime
from typing import Any

from .run_files import whole

PROC = "/proc"
BOOT_ID = "/proc/sys/kernel/random/boot_id"
# A folder written before the start time was recorded: its process started
# before the run's "started" (to the second; /proc/stat's boot time is whole seconds).
SLACK_SECONDS = 2.0


def writer_identity() -> dict[str, Any]:
    """This process, as config.json records it."""
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "pid_start": process_start(os.getpid()),
        "boot": boot_id(),
    }


def writer_alive(config: dict[str, Any] | None, started: datetime | None) -> bool:
    """Whether the process that wrote ``config`` still runs, on this machine;
    ``started``: when the run began (for folders without ``pid_start``)."""
    if not config or config.get("host") != socket.gethostname():
        return False
    pid = whole(config.get("pid"))
    if pid is None or pid <= 0:
        return False
    boot = config.get("boot")
    if isinstance(boot, str) and boot_id() not in (None, boot):
        return False  # the machine restarted since: every process of then is gone
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except PermissionError:
        pass  # it exists, owned by someone else
    except (OSError, OverflowError):  # ProcessLookupError: gone
        return False
    return _same_process(pid, whole(config.get("pid_start")), started)


def _same_process(pid: int, recorded_start: int | None, started: datetime | None) -> bool:
    """Whether the live ``pid`` is still the run's process, not a later one given its number."""
    now_start = process_start(pid)
    if now_start is None:
        return True  # no /proc (or not this process's entry): the pid is all there is
    if recorded_start is not None:
        return now_start == recorded_start
    began = _started_at(now_start)
    if started is None or began is None:
        return True
    try:
        return began <= started.timestamp() + SLACK_SECONDS
    except (ValueError, OverflowError, OSError):
        return True


def process_start(pid: int) -> int | None:
    """When ``pid`` started, in clock ticks since boot (/proc/<pid>/stat's
    22nd field); None without /proc or without such a process."""
    try:
        with open(os.path.join(PROC, str(pid), "stat"), "rb") as stream:
            text = stream.read(4096)
    except OSError:
        return None
    # The 2nd field, the command's name in parentheses, may hold spaces and ')': split after the last.
    fields = text[text.rfind(b")") + 1 :].split()
    try:
        return int(fields[19])  # field 22, counted from the 3rd
    except (IndexError, ValueError):
        return None


def boot_id() -> str | None:
    """This boot of the machine (Linux); None elsewhere."""
    try:
        with open(BOOT_ID, "rb") as stream:
            return stream.read(64).decode("ascii").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def _started_at(ticks: int) -> float | None:
    """A start in clock ticks since boot as a Unix time."""
    try:
        with open(os.path.join(PROC, "stat"), "rb") as stream:
            lines = stream.read(1 << 16).splitlines()
        boot = next(int(line.split()[1]) for line in lines if line.startswith(b"btime "))
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None
