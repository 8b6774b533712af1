"""The app's two thread workers: one trains, one opens a saved model.

Workers only post messages (``messages``); they never touch a widget or
the run state. Each message carries the run's id, so that messages from a
run replaced by a restart are ignored.
"""

from contextlib import contextmanager

from textual import work
from textual.worker import Worker, WorkerState, get_current_worker

from core import RunControl, load_model
from core.errors import DigitTuiError
from core.inference import probabilities
from core.metrics import accuracy
from core.model_io import PIXEL_SCALE
from core.text import printable
from data import normalise

from .feed import throttled_messages
from .messages import (
    DataReady,
    ModelOpened,
    OfficialTestScored,
    OpenFailed,
    RecordingProblem,
    RunEnded,
    RunFailed,
    RunRecorded,
)
from .recording import add_test_accuracy, end_cancelled, outcome_recorded, recorded_events, start_recording
from .run_state import Phase
from .session import load_split, model_split, saved_config, score_test_part, train_split


def data_description(data_path):
    return printable(data_path, 60) if data_path else "the bundled sample"


class WorkerMixin:
    """Start and stop runs; the app's side of the workers."""

    def start_training(self, config):
        self.open_id += 1  # a model still being opened must not replace this run when it arrives
        self.control.stop()  # ends a running worker within one batch
        self.control = RunControl()
        self.state.begin(config)
        self.state.source = data_description(self.data_path)
        self.show_run({"phase"})
        self.refresh_bindings()
        self.train_worker(self.state.run_id, config, self.data_path, self.control)

    def open_model(self, path):
        """Open a model beside whatever runs: the current run and its model
        stay until the new one has loaded; a failure leaves them alone."""
        self.open_id += 1
        if self.state.phase is Phase.IDLE:
            self.state.phase, self.state.source = Phase.LOADING, printable(path, 60)
            self.show_run({"phase"})
        self.open_worker(self.open_id, path, self.data_path)

    def _post(self, run_id, message):
        message.run_id = run_id
        self.post_message(message)

    @work(thread=True, exclusive=True, group="training", exit_on_error=False)
    def train_worker(self, run_id, config, data_path, control):
        worker = get_current_worker()
        ended = recorder = None
        with self._failures_reported(run_id):
            dataset, split = load_split(data_path, config, allow_streams=False)
            self._post(run_id, DataReady(split.val_images, split.y_val, dataset.source, dataset.classes))
            recorder = None if worker.is_cancelled else self._start_recording(run_id, config, dataset)
            events, _ = train_split(config, split, control, self.blas_threads, ui=True)
            events = recorded_events(events, recorder, lambda: self.quitting)  # each epoch on disk as it ends
            with outcome_recorded(recorder):  # an error: recorded as "failed", then reported
                messages = throttled_messages(
                    events, self.feed_interval, cancelled=lambda: worker.is_cancelled, paused=lambda: control.paused
                )
                for message in messages:
                    self._post(run_id, message)
                    ended = message if isinstance(message, RunEnded) else ended
        end_cancelled(recorder, self.quitting)  # a restart, an opened model or q cut it short
        if ended is not None and not worker.is_cancelled:  # read only now: the start never waits for it
            test = self._score_test_part(run_id, ended.finished.snapshot, data_path, PIXEL_SCALE)
            add_test_accuracy(recorder, test)
        if recorder is not None:
            self._post(run_id, RunRecorded(recorder.name, ended=True))

    def _start_recording(self, run_id, config, dataset):
        """In the worker: the run's recorder (None: recording is off, or
        impossible, which is said in a warning); its problems become messages."""
        recorder = start_recording(
            self.no_record,
            config,
            dataset.source,
            self.preset_name,
            dataset.classes,
            on_problem=lambda line: self._post(run_id, RecordingProblem(line)),
        )
        if recorder is not None:
            self._post(run_id, RunRecorded(recorder.name))
        return recorder

    @work(thread=True, exclusive=True, group="open", exit_on_error=False)
    def open_worker(self, open_id, path, data_path):
        opened = None
        with self._failures_reported(open_id, OpenFailed):
            saved = load_model(path)
            saved_config(saved, path)  # damaged settings are named before the data is read
            config, dataset, split = model_split(saved, data_path, path, allow_streams=False)
            probs = probabilities(saved.snapshot, normalise(split.val_images, saved.pixel_scale))
            val_accuracy = accuracy(split.y_val, probs.argmax(axis=1))
            # The model's own class names, whatever the data calls its classes.
            data = DataReady(split.val_images, split.y_val, dataset.source, saved.classes)
            opened = ModelOpened(path, saved.snapshot, config, probs, val_accuracy, data, saved.pixel_scale)
            self._post(open_id, opened)
        if opened is not None:
            self._score_test_part(open_id, opened.snapshot, data_path, opened.pixel_scale)

    def _score_test_part(self, message_id, snapshot, data_path, pixel_scale):
        """In a worker: post the accuracy on the data's official test part,
        if it has one. A damaged test file is said, and the run stands."""
        try:
            score = score_test_part(snapshot, data_path, pixel_scale)
        except DigitTuiError as error:
            self._post(message_id, OfficialTestScored(snapshot, None, error=printable(error, 300)))
            return
        except Exception as error:  # a bug: said in the app, which goes on with the run it has
            text = f"unexpected error: {type(error).__name__}: {printable(error, 200)}"
            self._post(message_id, OfficialTestScored(snapshot, None, error=text))
            return
        if score is not None:
            self._post(message_id, OfficialTestScored(snapshot, score.accuracy, score.total))
            return score.accuracy
        return None

    @contextmanager
    def _failures_reported(self, run_id, message_class=RunFailed):
        """In a worker: any error becomes a message for the UI (RunFailed, or
        OpenFailed for the opening worker)."""
        try:
            yield
        except DigitTuiError as error:
            self._post(run_id, message_class(printable(error, 300)))
        except Exception as error:  # a bug; show it in the app rather than crash the screen
            self._post(run_id, message_class(f"unexpected error: {type(error).__name__}: {printable(error, 200)}"))

    def on_worker_state_changed(self, event: Worker.StateChanged):
        # A training or opening worker escaped its own handler (another worker's
        # error, an export's, must not fail the run).
        if event.state == WorkerState.ERROR and self.state.phase.active and event.worker.group in ("training", "open"):
            self._post(self.state.run_id, RunFailed(f"unexpected error: {printable(event.worker.error, 200)}"))
