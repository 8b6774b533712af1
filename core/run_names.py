"""A run's name: when it started, the preset it is nearest to and each
setting that differs from that preset (``core.run_record`` makes the folder)."""

import re
from datetime import datetime

from .config import PRESETS, TrainConfig

NAME_LIMIT = 100  # characters; a run with many changed settings gets a cut name
_UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9._+-]")
# Shorter words for the settings whose field names are long, in run names.
_NAME_WORDS = {"batch_size": "batch", "val_fraction": "val", "step_every": "every"}
_NAME_WORDS |= {"elastic_alpha": "alpha", "elastic_sigma": "sigma"}


def differing_settings(config: TrainConfig, base: TrainConfig) -> list[str]:
    """The field names of the settings in which ``config`` differs from ``base``, in their order."""
    return [item.name for item in TrainConfig.settings() if getattr(config, item.name) != getattr(base, item.name)]


def nearest_preset(config: TrainConfig, named: str | None = None) -> str:
    """The preset ``config`` differs least from: the fewest settings changed.
    A tie goes to ``named`` (the preset the user started from), else to the
    first in PRESETS' order. A run is named after it, whichever preset the
    user picked and then changed most of."""
    order = sorted(PRESETS, key=lambda name: name != named)  # stable: the named one first, the rest in order
    return min(order, key=lambda name: len(differing_settings(config, PRESETS[name])))


def run_name(config: TrainConfig, now: datetime, named: str | None = None) -> str:
    """``20261126-0152-default-lr-0.01-dropout-0.3``: the start (to the
    minute), the nearest preset (``nearest_preset``) and each setting that
    differs from it, as its name and value."""
    base = nearest_preset(config, named)
    parts = [now.strftime("%Y%m%d-%H%M"), base]
    for name in differing_settings(config, PRESETS[base]):
        parts.append(_UNSAFE_IN_NAME.sub("_", _name_part(name, getattr(config, name))))
    return "-".join(parts)[:NAME_LIMIT].rstrip("-")


def _name_part(name: str, value: object) -> str:
    """``lr-0.01``, ``hidden-512x256``, ``hidden-none``, ``augment-affine``."""
    if isinstance(value, tuple):
        shown = "x".join(str(size) for size in value) or "none"
    else:
        shown = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{_NAME_WORDS.get(name, name)}-{shown}"
