"""The headless front end: ``digit-tui train``, ``evaluate`` and ``predict``,
with Rich output on the terminal, or one JSON object with ``--json``."""

import errno
import json
import os
import sys
import time
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from core import BatchDone, Diverged, EpochDone, Finished, load_model, save_model
from core.atomic import atomic_write
from core.class_names import DIGIT_NAMES
from core.errors import DigitTuiError
from core.events import ThreadsChanged
from core.inference import predict, probabilities
from core.outputs import check_output_path
from core.text import printable
from data import load_dataset, normalise
from data.inputs import input_files

from .cli import os_reason, writing_stdout
from .options import config_from_args
from .recording import add_test_accuracy, outcome_recorded, recorded_events, start_recording
from .session import evaluate_model, load_split, score_test_part, train_split, write_submission

REFRESH_SECONDS = 0.1  # progress redraws at most this often, not once per batch


class _Console(Console):
    """Rich's Console, except for a closed pipe (``| head``): Rich would exit
    with status 1 itself; this hands a BrokenPipeError to tui.cli.main,
    which exits quietly with 141 like any tool killed by SIGPIPE."""

    def on_broken_pipe(self):
        self.quiet = True
        raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))


def train_command(args):
    """Exit 0 when training ran; 2 when it diverged (the last good weights are
    still saved with --save, and the message names the learning rate)."""
    config = config_from_args(args)
    inputs = [("--data", name) for name in input_files(args.data)]  # a folder's file, IDX labels, the sample
    inputs += [("--data", name) for name in input_files(args.data, "test")]  # the test part, read at the end
    for path, what in ((args.save, "model"), (args.metrics, "metrics log")):
        if path is not None:  # checked before the run, which may take minutes
            check_output_path(path, what, inputs)
    if args.save is not None and args.metrics is not None and _same_path(args.save, args.metrics):
        raise DigitTuiError(f"--save and --metrics name the same file: {printable(args.save)}")
    dataset, split = load_split(args.data, config)
    console = _Console(stderr=True, quiet=args.json)
    recorder = start_recording(args.no_record, config, dataset.source, args.preset, dataset.classes)
    with outcome_recorded(recorder), _metrics_log(args.metrics) as metrics:
        events, threads = train_split(config, split, requested_threads=args.blas_threads)
        finished, diverged = _run_training(config, events, console, metrics, recorder)
    test = _official_test(finished.snapshot, args.data)  # read only now: training never waits for it
    add_test_accuracy(recorder, None if test is None else test.accuracy)  # the Runs view's test column
    if args.save:
        info = {"data": dataset.source, "val_accuracy": finished.val_accuracy}
        if test is not None:
            info["test_accuracy"] = test.accuracy
        save_model(args.save, finished.snapshot, config.to_dict(), info, classes=dataset.classes)
    summary = _summary(config, finished, args.save)
    if test is not None:  # absent, not null, without an official test part
        summary["test_accuracy"], summary["test_count"] = test.accuracy, test.total
    summary["blas_threads"] = threads.threads  # the count at the end (--metrics has each change)
    summary["run"] = recorder.name if recorder and recorder.problem is None else None  # digit-tui runs show NAME
    with writing_stdout():
        if args.json:
            print(json.dumps(summary))
        else:
            _print_summary(_Console(), summary)
    if diverged:
        sys.stderr.write(f"digit-tui: error: {printable(diverged.message, 280)}\n")
        return 2
    return 0


def _official_test(snapshot, data_path):
    """The score on the data's official test part, or None if it has none;
    a damaged test file is one warning line, and the run stands."""
    try:
        return score_test_part(snapshot, data_path)
    except DigitTuiError as error:
        sys.stderr.write(f"digit-tui: warning: no test accuracy: {printable(error, 280)}\n")
        return None


@contextmanager
def _metrics_log(path):
    """The --metrics file: yields a function that writes one epoch's JSON
    line and flushes it whole, so a crash or a kill keeps every finished
    epoch. A new file is written as the run goes (``tail -f`` follows it).
    An existing one is never truncated up front: the lines go to a temporary
    file beside it, which replaces it when the run ends, however it ends
    (diverged, Ctrl+C, SIGTERM). A write that fails (a full disk) ends the
    run with one line naming the file."""
    if not path:
        yield None
        return
    try:
        with _log_stream(path) as stream:

            def record(event, thread_changes=()):
                stream.write(json.dumps(event.to_record(thread_changes)) + "\n")
                stream.flush()

            yield record
    except OSError as error:
        raise DigitTuiError(f"--metrics {printable(path)}: {os_reason(error)}") from None


def _log_stream(path):
    if os.path.exists(os.path.realpath(path)):
        return atomic_write(path, "w", keep_partial=True)
    return open(path, "x", encoding="utf-8")  # noqa: SIM115 - the caller's with closes it


def _run_training(config, events, console, metrics, recorder=None):
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeRemainingColumn(),
    )
    finished = diverged = None
    last_draw = 0.0
    with Progress(*columns, console=console, transient=False) as progress:
        label = "iteration" if config.full_batch else "epoch"
        run_task = progress.add_task(f"{label}s", total=config.epochs, status="")
        batch_task = progress.add_task(f"{label} 1", total=None, status="")
        last_batch = None
        changes = []  # the BLAS thread decisions since the last epoch's line
        for event in recorded_events(events, recorder):
            if isinstance(event, ThreadsChanged):
                changes.append(event)
                console.print(Text(f"BLAS threads: {event.reason}", style="dim"))
            if isinstance(event, BatchDone):
                last_batch = event
                if time.monotonic() - last_draw > REFRESH_SECONDS:
                    last_draw = time.monotonic()
                    _show_batch(progress, batch_task, label, event)
            elif isinstance(event, EpochDone):
                _show_batch(progress, batch_task, label, last_batch)  # every batch drawn, even between redraws
                status = (
                    f"running loss {event.running_loss:.3f}  val acc {event.val_accuracy:.2%}  "
                    f"{event.samples_per_second:,.0f}/s"
                )
                progress.update(run_task, completed=event.epoch - event.partial, status=status)
                if metrics:
                    metrics(event, changes)
                changes = []
            elif isinstance(event, Diverged):
                diverged = event
            elif isinstance(event, Finished):
                finished = event
    return finished, diverged


def _show_batch(progress, task, label, event):
    progress.update(
        task,
        description=f"{label} {event.epoch}",
        total=event.batches_per_epoch,
        completed=event.batch,
        status=f"batch loss {event.loss:.3f}",
    )


def _same_path(first, second):
    """The same file, however it is spelled (./x, a symbolic link)."""
    return os.path.realpath(first) == os.path.realpath(second)


def _summary(config, finished, saved_path):
    return {
        "status": finished.reason,
        "architecture": config.architecture.describe(),
        "optimizer": config.optimizer,
        "epochs": finished.epochs_done,
        "kept": config.keep,
        "kept_epoch": finished.kept_epoch,
        "augment": config.augment,
        "train_accuracy": finished.train_accuracy,
        "train_loss": finished.train_loss,
        "val_accuracy": finished.val_accuracy,
        "val_loss": finished.val_loss,
        "train_seconds": finished.train_seconds,
        "samples_per_second": finished.samples_per_second,
        "model": saved_path,
    }


def _kept_words(summary):
    """Whose weights the numbers describe: "best weights, epoch 31" or "final weights"."""
    if summary["kept_epoch"] == 0:
        return "initial weights"
    if summary["kept"] == "best":
        return f"best weights, those of epoch {summary['kept_epoch']} of {summary['epochs']}"
    return "final weights"


def _print_summary(console, summary):
    table = Table(title=f"{summary['architecture']} trained with {summary['optimizer']} ({summary['status']})")
    table.add_column("")
    table.add_column("train", justify="right")
    table.add_column("validation", justify="right")
    accuracies = [f"{summary['train_accuracy']:.2%}", f"{summary['val_accuracy']:.2%}"]
    losses = [f"{summary['train_loss']:.4f}", f"{summary['val_loss']:.4f}"]
    if "test_accuracy" in summary:  # reported, never used to choose anything
        table.add_column(f"official test ({summary['test_count']:,})", justify="right")
        accuracies.append(f"{summary['test_accuracy']:.2%}")
        losses.append("-")
    table.add_row("accuracy", *accuracies)
    table.add_row("loss", *losses)
    console.print(table)
    console.print(f"Kept: the {_kept_words(summary)}.")
    console.print(
        f"{summary['epochs']} epochs, {summary['train_seconds']:.2f} s in training steps, "
        f"{summary['samples_per_second']:,.0f} samples/s, {summary['blas_threads']} BLAS thread(s)"
    )
    if summary["model"]:
        console.print(Text(f"model saved to {printable(summary['model'], 300)}"))  # never markup, never raw
    if summary.get("run"):
        console.print(Text(f"run recorded as {summary['run']} (see digit-tui runs)"), soft_wrap=True)


def evaluate_command(args):
    saved = load_model(args.model)
    evaluation = evaluate_model(saved, args.data, model_path=args.model)
    with writing_stdout():
        if args.json:
            print(json.dumps(evaluation.to_json()))
            return 0
        console = _Console()
        console.print(
            Text.assemble(
                (printable(args.model, 200), "bold"),
                f" on {printable(evaluation.source, 200)}: accuracy ",
                (f"{evaluation.accuracy:.2%}", "bold"),
                f" of {len(evaluation.labels)} digits",
            )
        )
        console.print(_per_class_table(evaluation))
        console.print(_confusion_table(evaluation.confusion))
    return 0


def _per_class_table(evaluation):
    named = tuple(evaluation.classes) != DIGIT_NAMES  # digits need no second column
    table = Table(title="per class")
    table.add_column("digit", justify="right")
    if named:
        table.add_column("class")
    for name in ("precision", "recall", "support"):
        table.add_column(name, justify="right")
    for digit, precision, recall, support in evaluation.per_class():
        class_name = [Text(evaluation.classes[digit])] if named else []  # Text: a name from a file is never markup
        table.add_row(str(digit), *class_name, f"{precision:.2%}", f"{recall:.2%}", str(support))
    return table


def _confusion_table(confusion):
    table = Table(title="confusion matrix (rows: true digit, columns: predicted)")
    table.add_column("true", justify="right")
    for digit in range(10):
        table.add_column(str(digit), justify="right")
    for true in range(10):
        cells = [  # Text, not markup: counts only, but no cell is ever parsed
            Text(str(n), style="bold green") if p == true else (Text(str(n), style="red") if n else Text("·"))
            for p, n in enumerate(confusion[true])
        ]
        table.add_row(str(true), *cells)
    return table


def predict_command(args):
    """--data with --out: write a Kaggle submission. --image: each file's
    digit and probabilities, every file tried; exit 2 if any could not be read."""
    _check_predict_flags(args)
    if args.image:
        return _predict_images(args)
    inputs = [("--data", name) for name in input_files(args.data, "test")] + [("--model", args.model)]
    check_output_path(args.out, "submission", inputs)
    saved = load_model(args.model)
    dataset = load_dataset(args.data, part="test")
    predictions = predict(saved.snapshot, normalise(dataset.images, saved.pixel_scale))
    write_submission(args.out, predictions)
    print(f"wrote {len(predictions)} predictions to {printable(args.out, 300)}", file=sys.stderr)
    return 0


def _check_predict_flags(args):
    """The usage argparse cannot express: --image, or --data with --out."""
    if args.image and (args.data is not None or args.out is not None):
        raise DigitTuiError("predict takes --image, or --data with --out, not both (see --help)")
    if not args.image and (args.data is None or args.out is None):
        raise DigitTuiError("predict needs --image FILE..., or --data PATH with --out PATH (see --help)")
    if args.json and not args.image:
        raise DigitTuiError("predict --json goes with --image (see --help)")


def _predict_images(args):
    # imported here: only this use of predict needs them
    from data.images import read_image
    from data.preprocess import mnist_style

    saved = load_model(args.model)
    console = None if args.json else _Console(soft_wrap=True, highlight=False)
    failed = False
    for path in args.image:
        try:
            result = _image_result(saved, path, mnist_style(read_image(path)))
        except DigitTuiError as error:
            failed = True
            result = {"file": path, "error": str(error)}
            sys.stderr.write(f"digit-tui: error: {printable(error, 280)}\n")
        with writing_stdout():
            if console is None:
                print(json.dumps(result), flush=True)
            else:
                _print_image_result(console, result)
    return 2 if failed else 0


def _image_result(saved, path, digit):
    """One file's JSON object; ``digit`` is mnist_style's 28x28 image, None
    for a blank picture (which has no digit to predict)."""
    if digit is None:
        return {"file": path, "prediction": None, "probabilities": None, "nothing_drawn": True}
    x = normalise(digit.reshape(1, 784), saved.pixel_scale)
    shares = probabilities(saved.snapshot, x)[0]
    predicted = int(shares.argmax())
    return {
        "file": path,
        "prediction": predicted,
        "name": saved.classes[predicted],  # the model's own name for the class ("3", or "Coat")
        "probabilities": [float(p) for p in shares],
    }


def _print_image_result(console, result):
    """Two lines a file: the digit, then all ten probabilities (fits 80 columns)."""
    name = printable(result["file"], 300)
    if "error" in result:
        return  # already said on stderr
    if result["prediction"] is None:
        console.print(Text(f"{name}: nothing drawn"))
        return
    digit, shares = result["prediction"], result["probabilities"]
    shown = str(digit) if result["name"] == str(digit) else f"{digit} {result['name']}"
    console.print(Text.assemble(f"{name}: ", (shown, "bold"), f"  (probability {shares[digit]:.2f})"))
    pieces = []
    for k, share in enumerate(shares):
        pieces += [" ", (f"{k}:{share:.2f}", "bold" if k == digit else "")]
    console.print(Text.assemble(" ", *pieces))
