"""Training settings, their limits, and the named presets."""

from dataclasses import asdict, dataclass, fields, replace

from .activations import ACTIVATIONS
from .errors import ConfigError
from .network import INITIALISERS, Architecture
from .optim import OPTIMIZERS
from .schedules import SCHEDULES


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a run. ``batch_size`` is ignored by ``gd``,
    which always uses the whole training set as one batch."""

    hidden: tuple = (10,)
    activation: str = "relu"
    init: str = "he"
    optimizer: str = "adam"
    lr: float = 0.002
    momentum: float = 0.9
    batch_size: int = 64
    epochs: int = 30
    schedule: str = "cosine"
    step_every: int = 10
    gamma: float = 0.5
    l2: float = 0.001
    dropout: float = 0.0
    val_fraction: float = 0.2
    seed: int = 0

    @property
    def architecture(self):
        return Architecture(hidden=tuple(self.hidden), activation=self.activation, dropout=self.dropout)

    @property
    def full_batch(self):
        return self.optimizer == "gd"

    def with_changes(self, **changes):
        """A copy with the given fields replaced (None values are skipped)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def to_dict(self):
        values = asdict(self)
        values["hidden"] = list(self.hidden)
        return values

    @classmethod
    def from_dict(cls, values):
        known = {f.name for f in fields(cls)}
        kept = {k: v for k, v in values.items() if k in known}
        if "hidden" in kept:
            kept["hidden"] = tuple(int(h) for h in kept["hidden"])
        return cls(**kept)

    def validate(self):
        """Raise ConfigError for the first setting out of range; else return self."""
        _choice("activation", self.activation, ACTIVATIONS)
        _choice("init", self.init, INITIALISERS)
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        _choice("schedule", self.schedule, SCHEDULES)
        if any(size < 1 for size in self.hidden):
            raise ConfigError("hidden layer sizes must be whole numbers of at least 1")
        _check(self.lr > 0 and self.lr < float("inf"), "learning rate must be a positive number")
        _check(0 <= self.momentum < 1, "momentum must be in [0, 1)")
        _check(self.batch_size >= 1, "batch size must be at least 1")
        _check(self.epochs >= 1, "epochs must be at least 1")
        _check(self.step_every >= 1, "the step schedule's interval must be at least 1 epoch")
        _check(0 < self.gamma <= 1, "the step schedule's factor must be in (0, 1]")
        _check(self.l2 >= 0, "L2 must be zero or positive")
        _check(0 <= self.dropout < 1, "dropout must be in [0, 1)")
        _check(0 < self.val_fraction < 1, "validation fraction must be between 0 and 1 (exclusive)")
        _check(self.seed >= 0, "seed must be zero or positive")
        return self


def _choice(name, value, allowed):
    if value not in allowed:
        raise ConfigError(f"unknown {name} {value!r}; choose from {', '.join(allowed)}")


def _check(condition, message):
    if not condition:
        raise ConfigError(message)


PRESETS = {
    # The classic notebook: 784-10-10, uniform init, full-batch GD, alpha 0.10, 500 iterations.
    "seed": TrainConfig(init="uniform", optimizer="gd", lr=0.10, epochs=500,
                        schedule="constant", l2=0.0),
    # The same small network, trained the modern way: He init, Adam on
    # mini-batches of 64, a cosine schedule and a little L2 (about 91% here).
    "default": TrainConfig(),
    # A bigger network for the best accuracy the bundled sample allows.
    "deep": TrainConfig(hidden=(256, 128), optimizer="adam", lr=0.001, batch_size=128,
                        epochs=15, dropout=0.2, l2=0.0),
}


def preset(name):
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; choose from {', '.join(PRESETS)}")
    return PRESETS[name]
