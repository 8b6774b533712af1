"""Training settings, their limits, and the named presets.

Every setting is declared once, below, as a field of ``TrainConfig`` with
its label, help and range (see ``settings``); the command line, the app's
form, validation and help are all made from these declarations.
"""

from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Self

from .activations import ACTIVATIONS
from .errors import ConfigError
from .network import INITIALISERS, Architecture
from .optim import OPTIMIZERS
from .schedules import SCHEDULES
from .settings import Setting, SettingValue, setting

# Cumulative: each kind of augmentation includes the one before (see data.augment).
AUGMENTATIONS = ("none", "shift", "affine", "elastic")
KEEP_CHOICES = ("best", "last")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a run. ``batch_size`` is ignored by ``gd``,
    which always uses the whole training set as one batch."""

    hidden: tuple[int, ...] = setting(
        (10,), "hidden layers", "hidden layer sizes, e.g. 10 or 256,128; none for no hidden layer", "hidden"
    )
    activation: str = setting(
        "relu", "activation", "hidden layers' activation function", "choice", choices=tuple(ACTIVATIONS)
    )
    init: str = setting(
        "he", "init", "weight initialisation (uniform is the notebook's)", "choice", choices=INITIALISERS
    )
    optimizer: str = setting(
        "adam",
        "optimiser",
        "gd = full-batch gradient descent, sgd = mini-batch SGD with momentum, adam = Adam",
        "choice",
        choices=OPTIMIZERS,
    )
    lr: float = setting(0.002, "learning rate", "step size of each update", "float", low=0.0, high=100.0, low_open=True)
    momentum: float = setting(0.9, "momentum", "SGD's momentum (sgd only)", "float", low=0.0, high=1.0, high_open=True)
    batch_size: int = setting(
        64, "batch size", "digits per update (ignored by gd, which uses them all)", "int", low=1, high=1_000_000
    )
    epochs: int = setting(
        30, "epochs", "passes over the training digits (iterations for gd)", "int", low=1, high=100_000
    )
    schedule: str = setting(
        "cosine",
        "LR schedule",
        "learning rate over the run: constant, step (times gamma every few epochs) or cosine (down to 0)",
        "choice",
        choices=SCHEDULES,
    )
    step_every: int = setting(
        10, "step every", "epochs between two steps of the step schedule", "int", low=1, high=100_000
    )
    gamma: float = setting(
        0.5, "step gamma", "the step schedule's factor at each step", "float", low=0.0, high=1.0, low_open=True
    )
    l2: float = setting(
        0.001, "L2", "L2 weight decay (adds l2/2 * sum of squared weights to the loss)", "float", low=0.0, high=1.0
    )
    dropout: float = setting(0.0, "dropout", "share of hidden units dropped in training", "float", low=0.0, high=0.95)
    augment: str = setting(
        "none",
        "augmentation",
        "new versions of each training digit every epoch: shift moves them, affine also turns, scales and slants "
        "them, elastic also bends them",
        "choice",
        choices=AUGMENTATIONS,
    )
    shift: float = setting(2.0, "shift", "augmentation: largest move, in pixels", "float", low=0.0, high=8.0)
    rotate: float = setting(
        12.0, "rotate", "augmentation (affine, elastic): largest turn, in degrees", "float", low=0.0, high=90.0
    )
    scale: float = setting(
        0.1, "scale", "augmentation (affine, elastic): largest change of size, as a share", "float", low=0.0, high=0.5
    )
    shear: float = setting(
        8.0, "shear", "augmentation (affine, elastic): largest slant, in degrees", "float", low=0.0, high=45.0
    )
    elastic_alpha: float = setting(
        0.6,
        "elastic alpha",
        "augmentation (elastic): typical displacement of a pixel, in pixels",
        "float",
        low=0.0,
        high=8.0,
    )
    elastic_sigma: float = setting(
        4.0,
        "elastic sigma",
        "augmentation (elastic): smoothness of the displacement, in pixels",
        "float",
        low=0.5,
        high=14.0,
    )
    keep: str = setting(
        "best",
        "keep",
        "the weights a run ends with: best = the epoch with the best validation accuracy, last = the last epoch",
        "choice",
        choices=KEEP_CHOICES,
    )
    patience: int = setting(
        0,
        "patience",
        "stop when validation accuracy has not improved for this many epochs (0 = never)",
        "int",
        low=0,
        high=100_000,
    )
    val_fraction: float = setting(
        0.2,
        "validation share",
        "share of the digits held out for validation",
        "float",
        low=0.0,
        high=1.0,
        low_open=True,
        high_open=True,
    )
    seed: int = setting(
        0,
        "seed",
        "random seed: the same seed gives the same run, with the same BLAS threads (--blas-threads N fixes them)",
        "int",
        low=0,
        high=2**32 - 1,
    )

    @classmethod
    def settings(cls) -> tuple[Setting, ...]:
        """Every setting, in declaration order, each knowing its field name."""
        return tuple(replace(f.metadata["setting"], name=f.name) for f in fields(cls))

    @property
    def architecture(self) -> Architecture:
        return Architecture(hidden=tuple(self.hidden), activation=self.activation, dropout=self.dropout)

    @property
    def full_batch(self) -> bool:
        return self.optimizer == "gd"

    def batch_for(self, n_train: int) -> int:
        """Digits per step on ``n_train`` training digits: all of them for gd."""
        return n_train if self.full_batch else min(self.batch_size, n_train)

    def with_changes(self, **changes: Any) -> Self:
        """A copy with the given fields replaced (None values are skipped)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def to_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["hidden"] = list(self.hidden)
        return values

    @classmethod
    def from_dict(cls, values: object) -> Self:
        """Settings read from a model file: unknown keys are ignored, every
        known one is checked (ConfigError names the first bad one)."""
        if not isinstance(values, dict):
            raise ConfigError("the settings are not a mapping")
        kept: dict[str, Any] = {}  # each value of its setting's type; validate() checks the ranges
        for item in cls.settings():
            if item.name in values:
                kept[item.name] = _from_json(item, values[item.name])
        return cls(**kept).validate()

    def validate(self) -> Self:
        """Raise ConfigError for the first setting out of range; else return self."""
        for item in self.settings():
            item.check(getattr(self, item.name))
        if self.augment == "shift" and not float(self.shift).is_integer():
            # A shift moves digits by whole pixels: 0.9 would silently be no shift at all.
            raise ConfigError(f"shift: {self.shift:g} is not a whole number of pixels, which --augment shift moves by")
        return self


def _from_json(item: Setting, value: object) -> SettingValue:
    """A JSON value as the setting's type, refusing what would only look right
    (true as 1, 2.5 epochs, a string of digits as a number)."""
    if item.kind == "hidden":
        if not isinstance(value, list) or not all(type(v) is int for v in value):
            raise ConfigError(f"{item.label}: not a list of whole numbers")
        return tuple(value)
    if item.kind == "choice":
        if not isinstance(value, str):
            raise ConfigError(f"{item.label}: not a name")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{item.label}: not a number")
    if item.kind == "int" and isinstance(value, float):
        if not value.is_integer():  # also refuses inf and NaN
            raise ConfigError(f"{item.label}: {value!r} is not a whole number")
        return int(value)
    if item.kind == "int":
        return value
    try:
        return float(value)
    except OverflowError:  # an integer with hundreds of digits
        raise ConfigError(f"{item.label}: too large a number") from None


PRESETS: dict[str, TrainConfig] = {
    # The classic notebook: 784-10-10, uniform init, full-batch GD, alpha 0.10, 500 iterations.
    "seed": TrainConfig(init="uniform", optimizer="gd", lr=0.10, epochs=500, schedule="constant", l2=0.0),
    # The same small network, trained the modern way: He init, Adam on
    # mini-batches of 64, a cosine schedule and a little L2 (about 91% here).
    "default": TrainConfig(),
    # A bigger network for the best accuracy the bundled sample allows.
    "deep": TrainConfig(hidden=(256, 128), optimizer="adam", lr=0.001, batch_size=128, epochs=15, dropout=0.2, l2=0.0),
    # Wider and longer: the best model the bundled sample gives without
    # augmentation (about 96.8%), in 10-15 s on a 2-core machine.
    "wide": TrainConfig(hidden=(512, 256), optimizer="adam", lr=0.001, batch_size=64, epochs=80, dropout=0.3, l2=0.0),
    # The accuracy race's winner (bench/augment_race.py), and the app's first
    # run: deep's network on elastically distorted digits, new ones every
    # batch, keeping the best epoch (about 98% in 5-8 s on a 2-core machine).
    "best": TrainConfig(
        hidden=(256, 128),
        optimizer="adam",
        lr=0.002,
        batch_size=128,
        epochs=50,
        dropout=0.2,
        l2=0.0,
        augment="elastic",
    ),
}
APP_PRESET = "best"


def preset(name: str) -> TrainConfig:
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; choose from {', '.join(PRESETS)}")
    return PRESETS[name]
