"""The front ends' side of run recording (core.run_record): where runs go,
whether to record, and marking how a run ended when it raised.

Recording never makes a run fail: a runs folder that cannot be made or
written costs one warning line on stderr, and the run goes on unrecorded.
No rich, no textual here: the app's worker can use it as the CLI does.
"""

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime

from core.config import TrainConfig
from core.errors import DigitTuiError
from core.events import Event, Finished
from core.run_record import RunRecorder, record_test_accuracy
from core.run_store import DEFAULT_KEEP_MODELS, RunsError, models_to_keep, record_setting, runs_root
from core.text import printable
from data.datasets import data_folder


def runs_folder() -> str:
    """$DIGIT_TUI_DATA_DIR/runs, else under $XDG_DATA_HOME/digit-tui or ~/.local/share/digit-tui."""
    return runs_root(data_folder())


def warn(line: str) -> None:
    """One warning line on stderr (Rich's live display, if any, keeps it above its bars)."""
    try:
        sys.stderr.write(f"digit-tui: warning: {printable(line, 280)}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # a closed stderr must not end the run


def start_recording(
    no_record: bool,
    config: TrainConfig,
    source: str,
    preset_name: str,
    classes: Sequence[str] | None = None,
    on_problem: Callable[[str], None] = warn,
) -> RunRecorder | None:
    """A recorder for this run, or None when recording is off or impossible
    (then ``on_problem`` is told why, in one line). The run is named after
    the preset nearest to ``config``; ``preset_name``, the one the user
    started from, wins a tie. A DIGIT_TUI_RECORD value not understood is
    said (once per run) and recording stays on."""
    if no_record:
        return None
    enabled, problem = record_setting(os.environ)
    if problem is not None:
        on_problem(problem)
    if not enabled:
        return None
    try:
        keep = models_to_keep(os.environ)
    except RunsError as error:
        on_problem(f"{error}; keeping the models of the last {DEFAULT_KEEP_MODELS} runs")
        keep = DEFAULT_KEEP_MODELS
    try:
        recorder = RunRecorder.create(runs_folder(), config, source, preset_name, datetime.now(), keep, classes)
    except RunsError as error:
        on_problem(f"{error}; this run is not recorded")
        return None
    recorder.on_problem = on_problem
    return recorder


@contextmanager
def outcome_recorded(recorder: RunRecorder | None) -> Iterator[None]:
    """Around the training loop: a run that raises is recorded as "failed"
    (an error; it is raised again) or "interrupted" (Ctrl+C, SIGTERM)."""
    if recorder is None:
        yield
        return
    try:
        yield
    except DigitTuiError as error:  # bad input found mid-run, a full disk under --metrics
        recorder.finish("failed", printable(error, 200))
        raise
    except Exception as error:  # a bug
        recorder.finish("failed", f"{type(error).__name__}: {printable(error, 200)}")
        raise
    except BaseException:  # KeyboardInterrupt, tui.cli.Terminated
        recorder.finish("interrupted")
        raise


def recorded_events(
    events: Iterable[Event], recorder: RunRecorder | None, quitting: Callable[[], bool] = lambda: False
) -> Iterator[Event]:
    """``events``, each recorded before it is passed on: a run's end is on
    disk before a front end says it ended. Recording a batch costs nothing.
    A run stopped because the app quits (``quitting()``) is recorded as
    "interrupted", as a Ctrl+C of ``digit-tui train`` is."""
    if recorder is None:
        yield from events
        return
    for event in events:
        if isinstance(event, Finished) and event.reason == "stopped" and quitting():
            recorder.record(replace(event, reason="interrupted"))
        else:
            recorder.record(event)
        yield event


def end_cancelled(recorder: RunRecorder | None, quitting: bool) -> None:
    """A run whose loop ended without a Finished event: the app cancelled it
    for a new run or an opened model ("stopped"), or because it quits
    ("interrupted"). Does nothing for a run already recorded as ended."""
    if recorder is not None and not recorder.ended:
        recorder.finish("interrupted" if quitting else "stopped")


def add_test_accuracy(recorder: RunRecorder | None, accuracy: float | None) -> None:
    """The run's accuracy on the data's official test part, once scored; a
    write that fails is said (``on_problem``), never raised. Called at the
    end of every run, scored or not: a folder deleted under the run is
    noticed here (``recorder.problem``), so the run is not named as recorded."""
    if recorder is None or not recorder.still_recorded() or accuracy is None:
        return
    try:
        record_test_accuracy(recorder.folder, accuracy)
    except Exception as error:  # never the run's end, whatever went wrong
        reason = error.strerror if isinstance(error, OSError) and error.strerror else printable(error, 200)
        line = f"run {printable(recorder.name, 80)}: test accuracy not recorded ({reason})"
        (recorder.on_problem or warn)(line)
