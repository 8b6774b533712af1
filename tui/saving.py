"""Saving from the app: the dialog, what it saves, and --save at a run's end.

A save writes a snapshot (never the arrays being trained) together with the
settings those weights were trained with, taken when the dialog opens; the
dialog says which weights they are. Training pauses while it is open.
"""

from core import save_model
from core.class_names import DIGIT_NAMES
from core.errors import DigitTuiError
from core.model_io import PIXEL_SCALE
from data.inputs import input_files

from .dialogs import SaveScreen
from .run_state import Phase


def weights_note(run):
    """Which weights a save would write, in one line."""
    record, unit = run.weights_record, run.unit
    if run.phase is Phase.OPENED:
        return f"The weights of the opened model {run.model_path}."
    if record is None:
        return f"The initial weights: no {unit} has finished yet."
    accuracy = f"val acc {record.val_accuracy:.2%}"
    if record.partial:
        return (
            f"The stopped weights: {unit} {record.epoch}, {record.batches_done}/{record.batches_per_epoch} "
            f"batches, {accuracy}."
        )
    if run.phase.running:
        return (
            f"The weights after {unit} {record.epoch}/{run.config.epochs}, the latest finished, {accuracy}; "
            "training is paused meanwhile."
        )
    if run.kept_epoch == record.epoch and record is not run.latest:
        return f"The best weights, those of {unit} {record.epoch} (kept at the end of the run), {accuracy}."
    return f"The weights after {unit} {record.epoch}, {accuracy}."


class SaveMixin:
    """The app's save action."""

    def action_save(self):
        run = self.state
        if run.snapshot is None:
            self.notify("Nothing to save yet: the first weights come with the first epoch.", severity="warning")
            return
        paused_here = run.phase is Phase.TRAINING
        if paused_here:
            self.action_pause()
        weights = (run.snapshot, run.snapshot_config, run.weights_record, run.source, run.pixel_scale, run.class_names)

        def done(path):
            if path is not None:
                self.save_weights(path, *weights)
            if paused_here and self.state.phase is Phase.PAUSED:
                self.action_resume()

        inputs = [("--data", name) for name in input_files(self.data_path)]  # a folder's file, IDX labels...
        screen = SaveScreen(self.last_save_name, weights_note(run), inputs=inputs)
        self.push_screen(screen, done)

    def save_weights(self, path, snapshot, config, record, source, pixel_scale=PIXEL_SCALE, classes=DIGIT_NAMES):
        info = {"data": source}
        if record is not None:
            info.update(epoch=record.epoch, partial=record.partial, val_accuracy=record.val_accuracy)
        try:
            save_model(path, snapshot, config.to_dict(), info, pixel_scale, classes)
        except DigitTuiError as error:
            self.notify(str(error), severity="error", timeout=8, markup=False)
            return False
        self.last_save_name = path
        self.notify(f"Saved the model to {path}", markup=False)
        return True

    def autosave(self):
        """--save: the model of every run that ends, completed or stopped."""
        run = self.state
        if self.save_path and run.snapshot is not None and run.phase is not Phase.OPENED:
            self.save_weights(
                self.save_path,
                run.snapshot,
                run.snapshot_config,
                run.weights_record,
                run.source,
                run.pixel_scale,
                run.class_names,
            )
