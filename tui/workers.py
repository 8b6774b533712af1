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

from .feed import throttled_messages
from .messages import DataReady, ModelOpened, RunFailed
from .session import choose_blas_threads, load_split, model_split, saved_config


def data_description(data_path):
    return printable(data_path, 60) if data_path else "the bundled sample"


class WorkerMixin:
    """Start and stop runs; the app's side of the workers."""

    def start_training(self, config):
        self.control.stop()  # ends a running worker within one batch
        self.control = RunControl()
        self.state.begin(config)
        self.state.source = data_description(self.data_path)
        self.show_run({"phase"})
        self.refresh_bindings()
        self.train_worker(self.state.run_id, config, self.data_path, self.control)

    def open_model(self, path):
        self.control.stop()
        self.control = RunControl()
        self.state.begin(self.state.config)
        self.state.source = printable(path, 60)
        self.show_run({"phase"})
        self.refresh_bindings()
        self.open_worker(self.state.run_id, path, self.data_path)

    def _post(self, run_id, message):
        message.run_id = run_id
        self.post_message(message)

    @work(thread=True, exclusive=True, group="training", exit_on_error=False)
    def train_worker(self, run_id, config, data_path, control):
        worker = get_current_worker()
        with self._failures_reported(run_id):
            dataset, split = load_split(data_path, config)
            self._post(run_id, DataReady(split.val_images, split.y_val, dataset.source))
            choose_blas_threads(self.blas_threads, config, len(split.y_train), ui=True)
            events = train(config, split.x_train, split.y_train, split.x_val, split.y_val, control)
            for message in throttled_messages(events, self.feed_interval, cancelled=lambda: worker.is_cancelled):
                self._post(run_id, message)

    @work(thread=True, exclusive=True, group="training", exit_on_error=False)
    def open_worker(self, run_id, path, data_path):
        with self._failures_reported(run_id):
            saved = load_model(path)
            saved_config(saved, path)  # damaged settings are named before the data is read
            config, dataset, split = model_split(saved, data_path, path)
            self._post(run_id, DataReady(split.val_images, split.y_val, dataset.source))
            probs = probabilities(saved.snapshot, split.x_val)
            val_accuracy = accuracy(split.y_val, probs.argmax(axis=1))
            self._post(run_id, ModelOpened(path, saved.snapshot, config, probs, val_accuracy))

    @contextmanager
    def _failures_reported(self, run_id):
        """In a worker: any error becomes a RunFailed message for the UI."""
        try:
            yield
        except DigitTuiError as error:
            self._post(run_id, RunFailed(printable(error, 300)))
        except Exception as error:  # a bug; show it in the app rather than crash the screen
            self._post(run_id, RunFailed(f"unexpected error: {type(error).__name__}: {printable(error, 200)}"))

    def on_worker_state_changed(self, event: Worker.StateChanged):
        if event.state == WorkerState.ERROR and self.state.phase.active:  # a worker escaped its own handler
            self._post(self.state.run_id, RunFailed(f"unexpected error: {printable(event.worker.error, 200)}"))
