"""``digit-tui download NAME``: a Rich progress bar per file on stderr (bytes,
speed, ETA) while it runs, then where the files are, how to use them, and the dataset's
licence and citation on stdout. The work itself is data.download's."""

import argparse
import math
import os

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from core.errors import DigitTuiError
from core.text import printable
from data.datasets import DEFAULT_NAME
from data.download import Event, Result, Settings, download

from .cli import writing_stdout


def download_command(args: argparse.Namespace) -> int:
    settings = Settings(timeout=_checked_timeout(args.timeout))
    console = Console(stderr=True)
    with _ProgressView(console) as view:
        try:
            result = download(args.name or DEFAULT_NAME, args.dir, args.mirror or (), view.report, settings)
        except KeyboardInterrupt:
            view.interrupted()
            raise
    with writing_stdout():
        _print_result(result, args.dir)
    return 0


def _checked_timeout(value: float) -> float:
    # not NaN, not 0: a socket timeout of 0 means "never wait", which fails every read
    if not (math.isfinite(value) and 0 < value <= 3600):
        raise DigitTuiError(f"--timeout {printable(value)}: must be a number of seconds in (0, 3600]")
    return value


class _ProgressView:
    """Turns data.download's events into one bar per file, and its notes
    (a retry, a checksum mismatch) into lines above the bars."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,  # once done, the summary says it all; a failure ends as its one line
            disable=not console.is_terminal,  # bars in a log are noise (and Rich adds a blank line)
        )
        self.tasks: dict[str, TaskID] = {}
        self.current: str | None = None  # the file a Ctrl+C would interrupt
        self.folder: str | None = None

    def __enter__(self) -> "_ProgressView":
        self.progress.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.progress.stop()

    def report(self, event: Event) -> None:
        if event.kind in ("start", "progress", "done"):
            self._show(event)
        elif event.kind == "retry":  # on the bar, not a line: a dead network must end as one line
            self.progress.update(self._task(event), description=f"{event.file} ({event.message}, trying again)")
        elif event.kind == "mismatch":
            self._note(event.message)
        # "present": the summary counts those files

    def _show(self, event: Event) -> None:
        self.current = event.file if event.kind != "done" else None
        task = self._task(event)
        if event.kind == "start":
            self.progress.update(task, description=event.file)
        self.progress.update(task, total=event.total, completed=event.done)

    def _task(self, event: Event) -> TaskID:
        if event.file not in self.tasks:
            self.tasks[event.file] = self.progress.add_task(event.file, total=event.total)
        return self.tasks[event.file]

    def _note(self, text: str) -> None:
        self.progress.console.print(printable(text, 240), markup=False, highlight=False, soft_wrap=True)

    def interrupted(self) -> None:
        """What a Ctrl+C leaves: the hidden part file, which the next run resumes."""
        if self.current is not None:
            self._note(f"{self.current}: partial download kept (hidden .part file); run the same command to resume")


def _print_result(result: Result, chosen_dir: str | None) -> None:
    entry = result.dataset
    counts = f"{len(result.downloaded)} downloaded, {len(result.present)} already present"
    print(f"{entry.name}: {entry.title}, 4 files in {printable(result.folder, 200)} ({counts})")
    use = printable(os.path.abspath(result.folder), 200) if chosen_dir else entry.name
    print(f"use it with: digit-tui train --data {use}")
    print(f"licence: {entry.licence}")
    print(f"cite: {entry.citation}")
