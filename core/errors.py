"""Errors a user can cause and fix: bad files, bad flags, bad model files.

Front ends print these as one line (the CLI exits with status 2; the app shows
a message). Anything that is not a ``DigitTuiError`` is a bug.
"""


class DigitTuiError(Exception):
    """A problem with the user's input, explained in one line."""


class DataError(DigitTuiError):
    """A dataset file that cannot be used; the message names the file."""


class ModelFileError(DigitTuiError):
    """A model file that cannot be loaded or saved; the message names the file."""


class ConfigError(DigitTuiError):
    """A training setting outside its allowed range."""
