"""The app's two thread workers: one trains, one opens a saved model.

Workers only post messages (``messages``); they never touch a widget or
the run state. Each message carries the run's id, so that messages from a
run replaced by a restart are ignored.
"""

from contextlib import contextmanager

from textual import work
from textual.worker import Worker, WorkerState, get_current_worker

from core import RunControl, load_model, train
from core.errors import DigitTuiError
from core.inference import probabilities
from core.metrics import accuracy
from core.text import printable
from data import normalise

from .feed import throttled_messages
from .messages import DataReady, ModelOpened, OpenFailed, RunFailed
from .run_state import Phase
from .session import choose_blas_threads, load_split, model_split, saved_config


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
        with self._failures_reported(run_id):
            dataset, split = load_split(data_path, config, allow_streams=False)
            self._post(run_id, DataReady(split.val_images, split.y_val, dataset.source))
            choose_blas_threads(self.blas_threads, config, len(split.y_train), ui=True)
            events = train(config, split.x_train, split.y_train, split.x_val, split.y_val, control)
            for message in throttled_messages(events, self.feed_interval, cancelled=lambda: worker.is_cancelled):
                self._post(run_id, message)

    @work(thread=True, exclusive=True, group="open", exit_on_error=False)
    def open_worker(self, open_id, path, data_path):
        with self._failures_reported(open_id, OpenFailed):
            saved = load_model(path)
            saved_config(saved, path)  # damaged settings are named before the data is read
            config, dataset, split = model_split(saved, data_path, path, allow_streams=False)
            probs = probabilities(saved.snapshot, normalise(split.val_images, saved.pixel_scale))
            val_accuracy = accuracy(split.y_val, probs.argmax(axis=1))
            data = DataReady(split.val_images, split.y_val, dataset.source)
            opened = ModelOpened(path, saved.snapshot, config, probs, val_accuracy, data, saved.pixel_scale)
            self._post(open_id, opened)

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
        if event.state == WorkerState.ERROR and self.state.phase.active:  # a worker escaped its own handler
            self._post(self.state.run_id, RunFailed(f"unexpected error: {printable(event.worker.error, 200)}"))
