"""The ``digit-tui`` command: bare, it opens the app; ``train``, ``evaluate``
and ``predict`` run headless.

Only argparse is imported at start-up; the app (textual) and the headless
front end (rich) are imported by the command that needs them.
Exit codes: 0 success, 2 bad input or usage (one line on stderr), 1 a bug,
130 interrupted.
"""

import argparse
import sys

from core.config import PRESETS, preset
from core.errors import DigitTuiError
from core.activations import ACTIVATIONS
from core.network import INITIALISERS
from core.optim import OPTIMIZERS
from core.schedules import SCHEDULES

PROGRAM = "digit-tui"


class OneLineParser(argparse.ArgumentParser):
    """Usage errors as a single line and exit status 2, like every bad input."""

    def error(self, message):
        sys.stderr.write(f"{self.prog}: error: {message} (see --help)\n")
        sys.exit(2)


def parse_hidden(text):
    """'10' -> (10,), '256,128' -> (256, 128), 'none' -> () (softmax regression)."""
    if text.strip().lower() in ("none", "0", ""):
        return ()
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of layer sizes") from None
    if any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError(f"{text!r}: layer sizes must be at least 1")
    return sizes


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: must be at least 1")
    return value


def add_training_flags(parser):
    group = parser.add_argument_group("training")
    group.add_argument("--data", metavar="PATH", help="dataset file or folder (default: the bundled 5,000-digit sample)")
    group.add_argument("--preset", choices=sorted(PRESETS), default="default",
                       help="starting settings, changed by the flags below (default: %(default)s)")
    group.add_argument("--hidden", type=parse_hidden, metavar="SIZES", help="hidden layers: 10, 256,128 or none")
    group.add_argument("--activation", choices=sorted(ACTIVATIONS))
    group.add_argument("--init", choices=INITIALISERS)
    group.add_argument("--optimizer", choices=OPTIMIZERS, help="gd = full-batch gradient descent")
    group.add_argument("--lr", type=float, metavar="X", help="learning rate")
    group.add_argument("--momentum", type=float, metavar="X", help="SGD momentum")
    group.add_argument("--batch-size", type=int, metavar="N")
    group.add_argument("--epochs", type=int, metavar="N", help="epochs (iterations for gd)")
    group.add_argument("--schedule", choices=SCHEDULES, help="learning-rate schedule")
    group.add_argument("--l2", type=float, metavar="X", help="L2 weight decay")
    group.add_argument("--dropout", type=float, metavar="X", help="dropout rate on hidden layers")
    group.add_argument("--val-fraction", type=float, metavar="X", help="share held out for validation")
    group.add_argument("--seed", type=int, metavar="N")
    group.add_argument("--blas-threads", type=positive_int, metavar="N",
                       help="threads for matrix products (default: by the size of a step; 1 in the app)")


def config_from_args(args):
    """The preset, changed by every training flag given; validated."""
    base = preset(args.preset)
    return base.with_changes(
        hidden=args.hidden, activation=args.activation, init=args.init, optimizer=args.optimizer,
        lr=args.lr, momentum=args.momentum, batch_size=args.batch_size, epochs=args.epochs,
        schedule=args.schedule, l2=args.l2, dropout=args.dropout, val_fraction=args.val_fraction,
        seed=args.seed).validate()


def build_parser():
    parser = OneLineParser(prog=PROGRAM, description=(
        "Watch a from-scratch NumPy network learn handwritten digits. "
        "With no command, opens the terminal app and starts training."))
    add_training_flags(parser)
    parser.add_argument("--model", metavar="M", help="open a saved model instead of training")
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
        sys.stderr.write(f"{PROGRAM}: error: {error}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROGRAM}: interrupted\n")
        return 130
    except Exception as error:  # a bug: say so in one line, keep the details for a report
        sys.stderr.write(f"{PROGRAM}: unexpected error: {type(error).__name__}: {error}\n"
                         "please report it with the command you ran\n")
        return 1


def run_command(args):
    if args.command is None:
        from .app_main import run_app

        return run_app(args)
    from . import headless

    return {"train": headless.train_command, "evaluate": headless.evaluate_command,
            "predict": headless.predict_command}[args.command](args)
