"""Open the Textual app from the command line's arguments."""

from .cli import config_from_args


def run_app(args):
    config = config_from_args(args)  # bad flags fail here, before the screen changes
    from .app import DigitApp, ascii_wanted

    app = DigitApp(config, data_path=args.data, model_path=args.model, ascii_only=ascii_wanted(args.ascii),
                   blas_threads=args.blas_threads)
    app.run(mouse=not args.no_mouse)
    return app.return_code or 0
