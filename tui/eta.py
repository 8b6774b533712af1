"""Time left, from how far a run has come and how long that took.

Pure arithmetic on the core's own clock (``elapsed`` excludes pauses), so
the estimate neither jumps after a pause nor resets at each epoch.
"""

import math

SMOOTHING = 0.3  # weight of the newest step time in the running average


class StepTimer:
    """A running average of seconds per training step, from successive
    (step, elapsed) readings; readings come a fraction of a second apart."""

    def __init__(self) -> None:
        self.seconds_per_step: float | None = None
        self._last: tuple[int, float] | None = None  # the previous (step, elapsed)

    def add(self, step: int, elapsed: float) -> None:
        if self._last is not None and step > self._last[0] and elapsed >= self._last[1]:
            latest = (elapsed - self._last[1]) / (step - self._last[0])
            if self.seconds_per_step is None:
                self.seconds_per_step = latest
            else:
                self.seconds_per_step += SMOOTHING * (latest - self.seconds_per_step)
        self._last = (step, elapsed)

    def remaining(self, steps_left: int) -> float | None:
        """Seconds for ``steps_left`` more steps, or None before two readings."""
        if self.seconds_per_step is None:
            return None
        return max(steps_left, 0) * self.seconds_per_step


def run_remaining(elapsed: float, steps_done: int, steps_total: int) -> float | None:
    """Seconds left in the whole run, assuming the rest goes as it went so
    far (evaluation time included, since ``elapsed`` includes it)."""
    if steps_done <= 0 or elapsed <= 0:
        return None
    return elapsed * max(steps_total - steps_done, 0) / steps_done


def format_eta(seconds: float | None) -> str:
    """'ETA 0:01:05', or 'ETA --:--:--' while unknown."""
    if seconds is None or not math.isfinite(seconds):
        return "ETA --:--:--"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"ETA {hours}:{rest // 60:02d}:{rest % 60:02d}"
