"""The ``digit-tui`` command: bare, it opens the app; ``train``, ``evaluate``
and ``predict`` run headless.

Only argparse is imported at start-up; the app (textual) and the headless
front end (rich) are imported by the command that needs them.
Exit codes: 0 success, 2 bad input or usage (one line on stderr), 1 a bug,
130 interrupted.
"""

import argparse
import sys

from core.config import APP_PRESET
from core.errors import DigitTuiError
from core.text import printable

from .options import add_training_flags

PROGRAM = "digit-tui"


class OneLineParser(argparse.ArgumentParser):
    """Usage errors as a single line and exit status 2, like every bad input."""

    def error(self, message):
        sys.stderr.write(f"{self.prog}: error: {printable(message, 300)} (see --help)\n")
        sys.exit(2)


def build_parser():
    parser = OneLineParser(prog=PROGRAM, description=(
        "Watch a from-scratch NumPy network learn handwritten digits. "
        "With no command, opens the terminal app and starts training."))
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
    evaluate.add_argument("--data", metavar="PATH",
                          help="labelled data (default: the bundled sample's validation split)")
    evaluate.add_argument("--json", action="store_true")

    predict = commands.add_parser("predict", help="write a Kaggle submission (ImageId,Label)")
    predict.add_argument("--model", required=True, metavar="M")
    predict.add_argument("--data", required=True, metavar="PATH", help="images, e.g. Kaggle's test.csv")
    predict.add_argument("--out", required=True, metavar="PATH", help="submission CSV to write")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return run_command(args)
    except DigitTuiError as error:
        sys.stderr.write(f"{PROGRAM}: error: {printable(error, 400)}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROGRAM}: interrupted\n")
        return 130
    except Exception as error:  # a bug: say so in one line, keep the details for a report
        sys.stderr.write(f"{PROGRAM}: unexpected error: {type(error).__name__}: {printable(error, 400)}\n"
                         "please report it with the command you ran\n")
        return 1


def run_command(args):
    if args.command is None:
        from .app_main import run_app

        return run_app(args)
    from . import headless

    return {"train": headless.train_command, "evaluate": headless.evaluate_command,
            "predict": headless.predict_command}[args.command](args)
