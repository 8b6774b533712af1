"""The NumPy network and its training: no UI, no printing.

``core`` and ``data`` never import textual or rich; a test enforces it.
"""

from .config import APP_PRESET, PRESETS, TrainConfig, preset
from .control import RunControl
from .errors import ConfigError, DataError, DigitTuiError, ModelFileError
from .events import BatchDone, Diverged, EpochDone, Finished, RunStarted
from .inference import Snapshot
from .model_io import load_model, save_model
from .network import Architecture, Network
from .training import train

__all__ = [
    "APP_PRESET",
    "PRESETS",
    "TrainConfig",
    "preset",
    "RunControl",
    "ConfigError",
    "DataError",
    "DigitTuiError",
    "ModelFileError",
    "BatchDone",
    "Diverged",
    "EpochDone",
    "Finished",
    "RunStarted",
    "Snapshot",
    "load_model",
    "save_model",
    "Architecture",
    "Network",
    "train",
]
