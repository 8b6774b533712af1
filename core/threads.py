"""How many BLAS threads a training run uses, decided as it runs.

A second OpenBLAS thread speeds up large steps by 12-20% on an idle 2-core
machine, but when another process keeps a core busy, the two threads wait
for each other: steps then take 2.7-3.7 times as long (median), up to 22
times. So ``ThreadPolicy`` starts on one thread, tries two only for large
steps and only when the machine looks idle, and goes back to one as soon
as two stop paying. The user's --blas-threads N overrides all of it.

The policy is pure: its only inputs are each step's duration, given by the
training loop, and a load reading, given as a function (``CompetingLoad``
in a real run, a fake in the tests). Its only clock is the sum of the step
times, so the same inputs always give the same decisions. It never sets the
threads itself: ``after_step`` returns the count to switch to, and the
caller applies it (``core.blas.set_blas_threads``).

Results differ in the last bits between one and two threads, so a run
whose thread count changes is not repeatable bit for bit; --blas-threads
fixes the count and with it the run.
"""

import os
import time
from collections.abc import Callable
from enum import Enum
from typing import NamedTuple

from .blas import PARALLEL_WORK, available_cores
from .events import ThreadsChanged

TRY_THREADS = 2  # the count measured to help; on more cores the rest stay free for others
SLOW = 1.5  # a step this many times the recent best means trouble on two threads
FASTER = 0.95  # two threads are kept only for a median step 5% faster than one's
IDLE_SPARE = 0.25  # cores other processes may keep busy while we still count as alone
CHECK_SECONDS = 2.0  # seconds of training steps between looks at the load (the first: after BASELINE_STEPS)
BASELINE_STEPS = 8  # one-thread steps seen before a trial, and steps in a trial
# The first look at the load waits for this many seconds of steps: /proc/stat
# counts 10 ms ticks, so over the 10-30 ms of a run's first steps a busy loop
# next door could read as idle (then a trial's first step took 50 times one
# thread's) and a stray tick as a third of a core busy.
FIRST_LOOK_SECONDS = 0.1
RETRY_SECONDS = 1.0  # wait after a failed trial or a drop from two threads: doubled each time ...
MAX_RETRY_SECONDS = 64.0  # ... up to this, so an erratic machine seldom pays for trials
FORGET = 1.005  # the recent best rises 0.5% a step, so an old lucky step fades
STRIKES = 2  # on two threads, this many slow steps ...
STRIKE_WINDOW = 4  # ... among the latest this many mean trouble; one alone happens on an idle machine too
# Steps shorter than this are measured in runs of consecutive steps lasting
# this long together (their mean is the "step" the rules see): a 0.1 ms step
# varies by half its length from timer and cache noise alone, and the first
# product after a switch wakes OpenBLAS's second thread (tens of
# microseconds), so single tiny steps would end every trial.
MEASURE_SECONDS = 0.001


class _Mode(Enum):
    FIXED = "fixed"  # requested, one core, or small steps: never switches
    ONE = "one"  # on one thread, looking at the load now and then
    TRIAL = "trial"  # on two threads, being measured
    TWO = "two"  # on two threads, kept while steps stay fast and the machine idle


class ThreadPolicy:
    """The BLAS thread count for one run, revised after every step.

    ``cores``: the cores this process may use. ``requested``: the user's
    --blas-threads, or None to decide. ``work``: the weight-by-sample pairs
    one step multiplies (parameters x batch size), which says whether a
    second thread can help at all. ``load``: the cores other processes keep
    busy, or None when that cannot be told (then one thread it is).
    ``spare``: cores to leave to this process's other threads (the app's
    interface), out of ``cores``.
    """

    def __init__(
        self, cores: int, requested: int | None, work: int, load: Callable[[], float | None], spare: int = 0
    ) -> None:
        self.cores = max(1, cores - spare)  # the cores BLAS may use
        self._machine_cores = cores
        self._load = load
        self.decisions: list[ThreadsChanged] = []  # the first choice, each switch, each trial's verdict
        self.threads = 1
        self._step = 0
        self._clock = 0.0  # seconds of training steps so far: the policy's only clock
        self._full_rows = 0  # rows in a full batch, so that a short last batch can be ignored
        self._run_seconds, self._run_steps = 0.0, 0  # steps not yet measured (see MEASURE_SECONDS)
        self._measured = 0  # measurements so far (steps, or runs of tiny steps)
        self._best = float("inf")  # recent best step at the current count (forgets slowly)
        self._recent: list[float] = []  # this count's latest full steps, at most BASELINE_STEPS
        self._one_best = self._one_median = float("inf")  # one thread's figures, kept during a trial
        # The first look comes as soon as one thread's steps are known and
        # FIRST_LOOK_SECONDS have passed: a short run (the deep preset trains
        # for under a second) would otherwise end before it, and never try two
        # threads on an idle machine.
        self._next_check = FIRST_LOOK_SECONDS
        self._next_trial = 0.0
        self._slow_steps: list[int] = []  # on two threads: the latest slow measurements' numbers
        self._retry_wait = RETRY_SECONDS
        self._said_why_not = False  # a busy or unknown load reported, until the machine looks idle
        self._idle_limit = self.cores - TRY_THREADS + IDLE_SPARE
        if requested:
            self._mode = _Mode.FIXED
            self._decide(requested, f"--blas-threads {requested}: {_threads(requested)}")
        elif self.cores < TRY_THREADS:
            self._mode = _Mode.FIXED
            beside = f" beside the {spare} kept for the interface" if spare else ""
            self._decide(1, f"1 core{beside}: 1 thread")
        elif work < PARALLEL_WORK:
            self._mode = _Mode.FIXED
            pairs, from_pairs = f"{work / 1e6:.2f}M", f"{PARALLEL_WORK / 1e6:.1f}M"
            self._decide(1, f"small steps, {pairs} weights x samples, 2 threads pay from {from_pairs}: 1 thread")
        else:
            self._mode = _Mode.ONE
            self._decide(1, f"{self.cores} cores: 1 thread, {TRY_THREADS} tried while the machine looks idle")

    def after_step(self, seconds: float, rows: int | None = None, core_in_use: bool = False) -> int | None:
        """Note one training step of ``seconds`` over ``rows`` samples; the
        thread count to switch to now, or None to stay. A step shorter than
        the full batch (an epoch's last) counts only towards the clock;
        steps shorter than MEASURE_SECONDS are measured together.
        ``core_in_use``: another thread of this run works on the second core
        now (an evaluation aside, see core.evaluation), so no trial starts:
        its steps would be slowed by our own work, not by the machine."""
        self._step += 1
        self._clock += seconds
        if self._mode is _Mode.FIXED:
            return None
        if rows is not None:
            if rows < self._full_rows:
                return None
            self._full_rows = rows
        self._run_seconds += seconds
        self._run_steps += 1
        if self._run_seconds < MEASURE_SECONDS:
            return None
        seconds = self._run_seconds / self._run_steps  # the mean step of the run measured
        self._run_seconds, self._run_steps = 0.0, 0
        self._measured += 1
        if self._mode is _Mode.ONE:
            return self._on_one(seconds, core_in_use)
        if self._mode is _Mode.TRIAL:
            return self._in_trial(seconds)
        return self._on_two(seconds)

    def _on_one(self, seconds: float, core_in_use: bool) -> int | None:
        self._note(seconds)
        if self._clock < self._next_check or len(self._recent) < BASELINE_STEPS or core_in_use:
            return None
        self._next_check = self._clock + CHECK_SECONDS
        if self._clock < self._next_trial:  # a trial failed lately: not even a look
            return None
        others = self._load()
        if others is None or others > self._idle_limit:
            self._say_once_why_not(others)
            return None
        self._said_why_not = False
        self._one_best, self._one_median = self._best, _median(self._recent)
        self._mode = _Mode.TRIAL
        return self._switch(TRY_THREADS, f"machine idle, {self._others(others)}: try {TRY_THREADS} threads")

    def _in_trial(self, seconds: float) -> int | None:
        if seconds > SLOW * self._one_best:
            ratio = seconds / self._one_best
            return self._back_to_one(f"a {TRY_THREADS}-thread step took {ratio:.1f}x the 1-thread best", failed=True)
        self._note(seconds)
        if len(self._recent) < BASELINE_STEPS:
            return None
        two, one = _median(self._recent), self._one_median
        times = f"{_ms(two)} against {_ms(one)} a step"
        if two > FASTER * one:
            return self._back_to_one(f"{TRY_THREADS} threads no faster, {times}", failed=True)
        self._mode = _Mode.TWO
        self._retry_wait = RETRY_SECONDS
        self._next_check = self._clock + CHECK_SECONDS
        self._decide(TRY_THREADS, f"{TRY_THREADS} threads faster, {times}: kept")
        return None

    def _on_two(self, seconds: float) -> int | None:
        if seconds > SLOW * self._best:
            # Counted in measurements (a measurement may span several tiny steps).
            window = self._measured - STRIKE_WINDOW
            self._slow_steps = [measured for measured in self._slow_steps if measured > window] + [self._measured]
            if len(self._slow_steps) >= STRIKES:
                ratio = seconds / self._best
                return self._back_to_one(f"steps {ratio:.1f}x their best on {TRY_THREADS} threads", failed=True)
            return None  # a lone slow step: kept out of the best, and watched
        self._note(seconds)
        if self._clock < self._next_check:
            return None
        self._next_check = self._clock + CHECK_SECONDS
        others = self._load()
        if others is not None and others > self._idle_limit:
            self._said_why_not = True
            return self._back_to_one(f"machine busy, {self._others(others)}", failed=False)
        return None

    def _say_once_why_not(self, others: float | None) -> None:
        """Name the reason for staying on one thread, once until it changes."""
        if not self._said_why_not:
            why = "load unknown" if others is None else f"machine busy, {self._others(others)}"
            self._decide(1, f"{why}: 1 thread for now")
            self._said_why_not = True

    def _note(self, seconds: float) -> None:
        """Keep ``seconds`` in the recent best and the latest steps."""
        self._best = min(seconds, self._best * FORGET)
        if len(self._recent) == BASELINE_STEPS:
            del self._recent[0]
        self._recent.append(seconds)

    def _back_to_one(self, why: str, failed: bool) -> int:
        """Back on one thread; after a failure, the next trial waits twice as long."""
        if failed:
            self._next_trial = self._clock + self._retry_wait
            self._retry_wait = min(2 * self._retry_wait, MAX_RETRY_SECONDS)
        self._mode = _Mode.ONE
        self._next_check = self._clock + CHECK_SECONDS
        return self._switch(1, f"{why}: back to 1")

    def _switch(self, threads: int, reason: str) -> int:
        self._best, self._recent = float("inf"), []  # step times at the old count say nothing now
        self._run_seconds, self._run_steps = 0.0, 0
        self._slow_steps = []
        self._decide(threads, reason)
        return threads

    def _decide(self, threads: int, reason: str) -> None:
        self.threads = threads
        self.decisions.append(ThreadsChanged(self._step, threads, reason))

    def _others(self, others: float) -> str:
        return f"other programs use {others:.1f} of {self._machine_cores} cores"


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _threads(count: int) -> str:
    return "1 thread" if count == 1 else f"{count} threads"


class _Reading(NamedTuple):
    busy: float | None  # ticks our CPUs spent busy, None without /proc/stat
    total: float  # all their ticks, busy or idle
    own: float  # this process's CPU seconds, every thread of it
    clock: float  # seconds


class CompetingLoad:
    """A load reading for ``ThreadPolicy``: the cores other processes kept
    busy since the previous reading (or since this object was made).

    Linux's /proc/stat counts each CPU's busy and idle time; over the CPUs
    this process may run on, the busy share minus this process's own CPU
    time is the others' part. Elsewhere the 1-minute load average stands in
    (it lags); where neither exists, the reading is None."""

    def __init__(
        self,
        stat_path: str = "/proc/stat",
        cpus: set[int] | None = None,
        own_cpu: Callable[[], float] = time.process_time,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._path, self._own_cpu, self._clock = stat_path, own_cpu, clock
        self._cpus = {f"cpu{n}" for n in (cpus if cpus is not None else _affinity())}
        self._last = self._read()

    def __call__(self) -> float | None:
        now, last = self._read(), self._last
        self._last = now
        seconds = now.clock - last.clock
        if seconds <= 0:
            return None
        own = (now.own - last.own) / seconds  # the cores this process kept busy
        if now.busy is None or last.busy is None:
            try:
                return max(0.0, os.getloadavg()[0] - own)
            except (AttributeError, OSError):  # no load average either (Windows)
                return None
        total = now.total - last.total
        if total <= 0:
            return None
        cpus = len(self._cpus)
        busy_cores = cpus * (now.busy - last.busy) / total
        # /proc/stat counts whole ticks (10 ms), so each CPU's busy count may
        # be one tick off at either reading: over the 30 ms before a run's
        # first look that is a third of a core for nothing. Only what is
        # busy beyond that error counts: a machine is called busy when it
        # surely is (a trial on one that is not costs one slow step).
        uncertainty = cpus * cpus / total
        return max(0.0, busy_cores - own - uncertainty)

    def _read(self) -> _Reading:
        busy, total = self._ticks()
        return _Reading(busy, total, self._own_cpu(), self._clock())

    def _ticks(self) -> tuple[float | None, float]:
        """(busy ticks, all ticks) summed over our CPUs' lines of /proc/stat."""
        try:
            with open(self._path, encoding="ascii") as stat:
                lines = [line.split() for line in stat if line.startswith("cpu")]
        except (OSError, ValueError):
            return None, 0.0
        busy = total = 0.0
        found = False
        for fields in lines:
            if fields[0] not in self._cpus or len(fields) < 5:
                continue
            try:
                # user nice system idle [iowait irq softirq steal]; guest time is inside user
                ticks = [float(value) for value in fields[1:9]]
            except ValueError:
                return None, 0.0
            idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0.0)  # iowait waits too
            busy, total, found = busy + sum(ticks) - idle, total + sum(ticks), True
        return (busy, total) if found else (None, 0.0)


def _affinity() -> set[int]:
    try:
        return set(os.sched_getaffinity(0))
    except AttributeError:
        return set(range(os.cpu_count() or 1))


def thread_policy(requested: int | None, parameters: int, batch_size: int, spare: int = 0) -> ThreadPolicy:
    """The policy for a run of ``batch_size`` samples a step through a
    network of ``parameters`` weights, on this machine, leaving ``spare``
    cores to the rest of this process (1 in the app, for its interface)."""
    return ThreadPolicy(available_cores(), requested, parameters * batch_size, CompetingLoad(), spare)
