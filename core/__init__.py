"""The NumPy network and its training: no UI, no printing.

``core`` and ``data`` never import textual or rich; a test enforces it.
"""

from .config import PRESETS, TrainConfig, preset
from .control import RunControl
from .errors import ConfigError, DataError, DigitTuiError, ModelFileError
from .events import BatchDone, Diverged, EpochDone, Finished, RunStarted
from .model_io import load_model, save_model
from .network import Architecture, Network
from .training import train

__all__ = [
    "PRESETS", "TrainConfig", "preset", "RunControl", "ConfigError", "DataError",
    "DigitTuiError", "ModelFileError", "BatchDone", "Diverged", "EpochDone", "Finished",
    "RunStarted", "load_model", "save_model", "Architecture", "Network", "train",
]
