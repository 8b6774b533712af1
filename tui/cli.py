"""The ``digit-tui`` command: bare, it opens the app; ``train``, ``evaluate``
and ``predict`` run headless.

Only argparse is imported at start-up; the app (textual) and the headless
front end (rich) are imported by the command that needs them.
Exit codes: 0 success, 2 bad input or usage (one line on stderr), 1 a bug,
130 interrupted (Ctrl+C), 128 + the signal's number for SIGTERM (143) and
SIGHUP (129), 141 when standard output is a pipe its reader has closed (what a
C tool killed by SIGPIPE reports; nothing is printed then).
"""

import argparse
import os
import signal
import sys
import threading
from contextlib import contextmanager

from core.config import APP_PRESET
from core.errors import DigitTuiError
from core.text import printable

from .options import add_training_flags

PROGRAM = "digit-tui"


class OneLineParser(argparse.ArgumentParser):
    """Usage errors as a single line and exit status 2, like every bad input."""

    def error(self, message):
        sys.stderr.write(f"{self.prog}: error: {printable(message, 240)} (see --help)\n")
        sys.exit(2)


def build_parser():
    parser = OneLineParser(
        prog=PROGRAM,
        description=(
            "Watch a from-scratch NumPy network learn handwritten digits. "
            "With no command, opens the terminal app and starts training."
        ),
    )
    add_training_flags(parser, default_preset=APP_PRESET)
    parser.add_argument("--model", metavar="M", help="open a saved model instead of training")
    parser.add_argument("--save", metavar="PATH", help="save the model (.npz) each time a run ends")
    parser.add_argument("--ascii", action="store_true", help="draw digits with plain ASCII characters")
    parser.add_argument("--no-mouse", action="store_true", help="do not capture the mouse")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)

    train = commands.add_parser("train", help="train headless, with a progress display")
    add_training_flags(train)
    train.add_argument("--save", metavar="PATH", help="save the trained model (.npz)")
    train.add_argument("--metrics", metavar="PATH", help="write one JSON line per epoch")
    train.add_argument("--json", action="store_true", help="print one JSON summary object instead")

    evaluate = commands.add_parser("evaluate", help="accuracy, per-class table and confusion matrix")
    evaluate.add_argument("--model", required=True, metavar="M")
    evaluate.add_argument(
        "--data", metavar="PATH", help="labelled data (default: the bundled sample's validation split)"
    )
    evaluate.add_argument("--json", action="store_true")

    predict = commands.add_parser(
        "predict", help="write a Kaggle submission (ImageId,Label), or read the digit in image files"
    )
    predict.add_argument("--model", required=True, metavar="M")
    # --data with --out, or --image: argparse cannot say "one or the other", predict_command checks it
    predict.add_argument("--data", metavar="PATH", help="images, e.g. Kaggle's test.csv (with --out)")
    predict.add_argument("--out", metavar="PATH", help="submission CSV to write (with --data)")
    predict.add_argument(
        "--image",
        nargs="+",
        metavar="FILE",
        help="picture files of one digit each: PBM/PGM, or PNG, JPEG and more with the images extra",
    )
    predict.add_argument("--json", action="store_true", help="with --image: one JSON object per file")

    download = commands.add_parser("download", help="fetch a full dataset (60,000 + 10,000 images), MD5-checked")
    download.add_argument("name", nargs="?", metavar="NAME", help="mnist (default), fashion-mnist or kmnist")
    download.add_argument("--dir", metavar="DIR", help="put the files here, not in the data folder")
    download.add_argument(
        "--mirror", action="append", metavar="URL", help="a source of your own, tried first (repeatable)"
    )
    download.add_argument("--timeout", type=float, default=30.0, metavar="S", help="seconds per connect or read")

    from .inspect_cli import add_parser as add_inspect_parser  # argparse only: still a fast start

    add_inspect_parser(commands)
    from .runs_cli import add_parser as add_runs_parser  # rich only when the command runs

    add_runs_parser(commands)
    return parser


class Terminated(BaseException):
    """SIGTERM or SIGHUP (a closed SSH connection), raised like Ctrl+C's
    KeyboardInterrupt so that every cleanup runs on the way out: a save in
    progress removes its temporary file. Not an Exception, so that no
    ``except Exception`` (or ``except OSError``) on the way can swallow it."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


class StdoutError(DigitTuiError):
    """Standard output cannot be written (a full disk, an I/O error)."""


EXIT_PIPE_CLOSED = 128 + 13  # SIGPIPE's number on every POSIX system


def os_reason(error):
    """An OSError's reason as a message fragment: "no space left on device"."""
    text = error.strerror or str(error) or type(error).__name__
    return text[:1].lower() + text[1:]


@contextmanager
def writing_stdout():
    """Around what prints the results: a full disk or an I/O error on
    standard output becomes one line naming it (status 2). A closed pipe
    (BrokenPipeError) goes on up to main, which exits quietly."""
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as error:
        raise StdoutError(f"standard output: {os_reason(error)}") from None


class SignalGuard:
    """While a command runs: Ctrl+C raises KeyboardInterrupt, SIGTERM and
    SIGHUP raise Terminated, and the first signal is remembered. Some code
    turns an exception raised inside it into its own error (pandas' C parser
    reports an interrupt as a parse error), so main trusts the record, not
    the exception, to tell an interrupted command from a bad file.

    A signal the process was started ignoring (SIGHUP under nohup, SIGINT in
    a background job) stays ignored. restore() puts the previous handlers
    back, for callers of main() in the same process."""

    NAMES = ("SIGINT", "SIGTERM", "SIGHUP")

    def __init__(self):
        self.received = None
        self._previous = {}

    def install(self):
        if threading.current_thread() is not threading.main_thread():
            return self  # only the main thread may set handlers
        for name in self.NAMES:
            number = getattr(signal, name, None)
            if number is None:
                continue
            previous = signal.getsignal(number)
            if previous == signal.SIG_IGN:
                continue
            signal.signal(number, self._handle)
            self._previous[number] = signal.SIG_DFL if previous is None else previous
        return self

    def restore(self):
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        self._previous.clear()

    def _handle(self, signum, frame):
        if self.received is None:
            self.received = signum
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise Terminated(signum)


def main(argv=None):
    for name in ("stdout", "stderr"):  # started with a stream closed (>&-): write nowhere, never crash
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w"))  # noqa: SIM115 - for the life of the process
    args = build_parser().parse_args(argv)
    signals = SignalGuard().install()
    try:
        return _run(args, signals)
    finally:
        signals.restore()


def _run(args, signals):
    try:
        code = run_command(args)
        with writing_stdout():
            sys.stdout.flush()  # a full disk or a closed pipe shows here, not at interpreter exit
        return code
    except (KeyboardInterrupt, Terminated, Exception) as error:
        signum = signals.received
        if signum is None and isinstance(error, Terminated):
            signum = error.signum
        elif signum is None and isinstance(error, KeyboardInterrupt):
            signum = signal.SIGINT
        if signum is not None:  # whatever the interrupted code turned the signal into
            return stopped_by_signal(signum)
        if isinstance(error, BrokenPipeError):
            return _pipe_closed()
        if isinstance(error, DigitTuiError):
            if isinstance(error, StdoutError):
                _silence(sys.stdout)  # what is still buffered would fail again at exit
            _say(f"{PROGRAM}: error: {printable(error, 280)}")
            return 2
        # a bug: say so in one line, keep the details for a report
        _say(
            f"{PROGRAM}: unexpected error: {type(error).__name__}: {printable(error, 280)}\n"
            "please report it with the command you ran"
        )
        return 1


def stopped_by_signal(signum):
    """Status 130 for Ctrl+C, 128 + the number for SIGTERM and SIGHUP."""
    _say(f"{PROGRAM}: interrupted" if signum == signal.SIGINT else f"{PROGRAM}: terminated")
    return 128 + int(signum)


def _pipe_closed():
    """The reader of our output went away (``| head``): nothing to say, and
    nothing left for the interpreter to flush at exit, as the Python docs
    advise for BrokenPipeError."""
    _silence(sys.stdout)
    try:
        sys.stderr.flush()
    except OSError:
        _silence(sys.stderr)
    return EXIT_PIPE_CLOSED


def _silence(stream):
    """Point ``stream``'s descriptor at /dev/null, so that flushing what it
    still buffers succeeds. Streams without a descriptor (a test's capture)
    are left alone."""
    try:
        descriptor = stream.fileno()
        devnull = os.open(os.devnull, os.O_WRONLY)
    except (OSError, ValueError, AttributeError):
        return
    try:
        os.dup2(devnull, descriptor)
    except OSError:
        pass
    finally:
        os.close(devnull)


def _say(line):
    """One line on stderr; a stderr that is gone (a dropped SSH session, a
    closed pipe) must not turn the exit into a traceback."""
    try:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def run_command(args):
    if args.command is None:
        from .app_main import run_app

        return run_app(args)
    from . import download_cli, headless, inspect_cli, runs_cli

    return {
        "inspect": inspect_cli.inspect_command,
        "train": headless.train_command,
        "evaluate": headless.evaluate_command,
        "predict": headless.predict_command,
        "download": download_cli.download_command,
        "runs": runs_cli.runs_command,
    }[args.command](args)
