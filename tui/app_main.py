"""Open the Textual app from the command line's arguments."""

from core.outputs import check_output_path

from .options import config_from_args


def run_app(args):
    config = config_from_args(args)  # bad flags fail here, before the screen changes
    if args.save is not None:
        check_output_path(args.save, "model", [("--data", args.data), ("--model", args.model)])
    from .app import DigitApp, ascii_wanted

    app = DigitApp(config, data_path=args.data, model_path=args.model, ascii_only=ascii_wanted(args.ascii),
                   blas_threads=args.blas_threads, save_path=args.save)
    app.run(mouse=not args.no_mouse)
    return app.return_code or 0
