"""Learning-rate schedules: the rate to use in each epoch (counted from 0)."""

import math

SCHEDULES = ("constant", "step", "cosine")


def learning_rate(
    schedule: str, base_lr: float, epoch: int, epochs: int, step_every: int = 10, gamma: float = 0.5
) -> float:
    """The learning rate for ``epoch`` (0-based) of a run of ``epochs``.

    constant: base_lr throughout
    step:     base_lr * gamma^floor(epoch / step_every)
    cosine:   base_lr * (1 + cos(pi * epoch / epochs)) / 2, from base_lr towards 0
    """
    if schedule == "step":
        return base_lr * gamma ** (epoch // step_every)
    if schedule == "cosine":
        return base_lr * 0.5 * (1 + math.cos(math.pi * epoch / max(epochs, 1)))
    return base_lr
