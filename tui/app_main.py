"""Open the Textual app from the command line's arguments."""

import asyncio
import signal
from contextlib import contextmanager

from core.outputs import check_output_path

from .options import config_from_args

TERMINATION_SIGNALS = ("SIGTERM", "SIGHUP")
HARD_EXIT_SECONDS = 5.0


def run_app(args):
    config = config_from_args(args)  # bad flags fail here, before the screen changes
    if args.save is not None:
        from data.inputs import input_files

        inputs = [("--data", name) for name in input_files(args.data)] + [("--model", args.model)]
        check_output_path(args.save, "model", inputs)
    from .app import DigitApp, ascii_wanted

    app = DigitApp(
        config,
        data_path=args.data,
        model_path=args.model,
        ascii_only=ascii_wanted(args.ascii),
        blas_threads=args.blas_threads,
        save_path=args.save,
        no_record=args.no_record,
        preset_name=args.preset,
    )
    app.hard_exit_after = HARD_EXIT_SECONDS  # q never waits on a worker stuck in a system call
    with _quit_on_termination(app) as received:
        app.run(mouse=not args.no_mouse)
    if received:
        from .cli import stopped_by_signal

        return stopped_by_signal(received[0])  # "digit-tui: terminated", status 128 + the number
    return app.return_code or 0


@contextmanager
def _quit_on_termination(app):
    """SIGTERM or SIGHUP (a dropped SSH connection) while the app runs: stop
    training and leave through Textual's own exit, which restores the
    terminal (the alternate screen, mouse tracking, the cursor) instead of
    dying with the terminal still in the app's modes. Outside the app's event
    loop (before it starts, after it ends) the command line's own handler
    applies (tui.cli.SignalGuard: unwind, exit 128 + the number). Yields the
    list of signals received; the previous handlers come back afterwards."""
    received, previous = [], {}

    def quit_app(signum):
        app.quitting = True  # before the stop: the run's record says "interrupted"
        app.control.stop()
        app.workers.cancel_group(app, "training")
        app.exit(return_code=128 + signum)

    def handle(signum, frame):
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # the app is not running: the previous handler decides
            handler = previous.get(signum)
            if callable(handler):
                handler(signum, frame)
            elif handler == signal.SIG_DFL:
                signal.signal(signum, signal.SIG_DFL)
                signal.raise_signal(signum)
            return
        received.append(signum)
        # A signal handler runs between two bytecodes of the loop's own
        # thread: hand the exit to the loop rather than act in the middle.
        loop.call_soon_threadsafe(quit_app, signum)

    for name in TERMINATION_SIGNALS:
        number = getattr(signal, name, None)
        if number is None or signal.getsignal(number) == signal.SIG_IGN:
            continue  # nohup's SIGHUP stays ignored
        try:
            previous[number] = signal.signal(number, handle)
        except ValueError:  # not the main thread
            break
    try:
        yield received
    finally:
        for number, handler in previous.items():
            signal.signal(number, signal.SIG_DFL if handler is None else handler)
