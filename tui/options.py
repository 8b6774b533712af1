"""Command-line flags made from the training settings' one declaration
(``core.config.TrainConfig``), and the settings read back from them.

Both the app and the headless commands import this module; it imports
neither, so there is no cycle.
"""

import argparse

from core.config import PRESETS, TrainConfig, preset
from core.errors import ConfigError


def add_training_flags(parser, default_preset="default"):
    """One flag per setting, plus --data, --preset and --blas-threads."""
    group = parser.add_argument_group("training")
    group.add_argument(
        "--data", metavar="PATH", help="dataset file or folder (default: the bundled 5,000-digit sample)"
    )
    group.add_argument(
        "--preset",
        choices=list(PRESETS),
        default=default_preset,
        help="starting settings, changed by the flags below (default: %(default)s)",
    )
    for item in TrainConfig.settings():
        group.add_argument(
            item.flag,
            dest=item.name,
            type=_parser_for(item),
            metavar=item.metavar,
            choices=item.choices or None,
            help=f"{item.help}: {item.range_text()}",
        )
    group.add_argument(
        "--blas-threads",
        type=_parser_for_threads(),
        metavar="N",
        help="threads for matrix products (default: chosen as the run goes, 2 only while the machine is idle "
        "and they are faster; 1 in the app on 2 cores); fixing it makes a run repeatable bit for bit",
    )
    group.add_argument(
        "--no-record",
        action="store_true",
        help="keep no record of this run in the runs folder (DIGIT_TUI_RECORD=off: never; see digit-tui runs)",
    )


def _parser_for(item):
    """An argparse type that checks the value the way the form does."""
    if item.kind == "choice":
        return str  # argparse's own choices= check names the allowed values

    def parse(text):
        try:
            return item.parse(text)
        except ConfigError as error:  # argparse names the flag: drop the label
            raise argparse.ArgumentTypeError(str(error).removeprefix(f"{item.label}: ")) from None

    parse.__name__ = item.name  # argparse names the type in some messages
    return parse


def _parser_for_threads():
    def blas_threads(text):
        try:
            value = int(text)
        except ValueError:
            value = 0
        if not 1 <= value <= 1024:
            raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a whole number of threads in [1, 1024]")
        return value

    return blas_threads


def config_from_args(args):
    """The preset, changed by every training flag given; validated."""
    changes = {item.name: getattr(args, item.name, None) for item in TrainConfig.settings()}
    return preset(args.preset).with_changes(**changes).validate()
