"""Launch the Textual app (placeholder until the app lands)."""


def run_app(args):
    from .cli import build_parser

    build_parser().print_help()
    return 0
