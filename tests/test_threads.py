"""The BLAS thread policy, driven by made-up step times and load readings:
no clock, no timing, the same decisions every time."""

import math

import numpy as np
import pytest

from core import TrainConfig, train
from core.blas import PARALLEL_WORK, blas_threads
from core.events import BatchDone, RunStarted, ThreadsChanged
from core.threads import (
    BASELINE_STEPS,
    CHECK_SECONDS,
    FIRST_LOOK_SECONDS,
    MAX_RETRY_SECONDS,
    RETRY_SECONDS,
    CompetingLoad,
    ThreadPolicy,
    thread_policy,
)

LARGE = PARALLEL_WORK  # a step large enough for two threads to be tried
ONE_THREAD = 0.004  # seconds a step takes on one thread in these stories


class FakeLoad:
    """A load reading the test sets; counts how often the policy looks."""

    def __init__(self, others=0.0):
        self.others, self.reads = others, 0

    def __call__(self):
        self.reads += 1
        return self.others


class Machine:
    """Runs steps through a policy: each step takes ``step_time(threads)``
    seconds, and the policy's switches are applied as a trainer would."""

    def __init__(self, policy, two_threads=0.003, one_thread=ONE_THREAD):
        self.policy, self.times = policy, {1: one_thread, 2: two_threads}
        self.history = []  # threads in use at each step

    def run(self, seconds, rows=128):
        """Steps until ``seconds`` of step time have passed."""
        spent = 0.0
        while spent < seconds:
            step = self.times[self.policy.threads]
            self.history.append(self.policy.threads)
            switch = self.policy.after_step(step, rows)
            assert switch is None or switch == self.policy.threads
            spent += step
        return self.policy.threads


def adaptive(load, cores=2):
    return ThreadPolicy(cores, None, LARGE, load)


def reasons(policy):
    return [decision.reason for decision in policy.decisions]


def test_the_users_count_wins_and_nothing_is_measured():
    load = FakeLoad(0.0)
    policy = ThreadPolicy(2, 2, LARGE, load)
    machine = Machine(policy, two_threads=0.5)  # dreadful on two threads: kept all the same
    assert machine.run(30) == 2 and set(machine.history) == {2}
    assert load.reads == 0
    assert reasons(policy) == ["--blas-threads 2: 2 threads"]


@pytest.mark.parametrize(
    ("cores", "work", "why"),
    [(1, LARGE, "1 core: 1 thread"), (2, LARGE - 1, "small steps"), (8, 7_960 * 32, "small steps")],
)
def test_one_core_or_small_steps_stay_on_one_thread(cores, work, why):
    load = FakeLoad(0.0)
    policy = ThreadPolicy(cores, None, work, load)
    assert Machine(policy, two_threads=0.001).run(60) == 1
    assert load.reads == 0 and len(policy.decisions) == 1
    assert policy.decisions[0].reason.startswith(why) and policy.decisions[0].step == 0


def test_an_idle_machine_tries_two_threads_and_keeps_them_when_faster():
    load = FakeLoad(0.1)
    policy = adaptive(load)
    machine = Machine(policy, two_threads=0.003)
    assert policy.threads == 1  # always starts on one
    # One thread's steps first: no look before they are known and a tenth of
    # a second has passed (what /proc/stat can tell apart), then at once: a
    # short run gets its trial too.
    first_look = max(BASELINE_STEPS, math.ceil(FIRST_LOOK_SECONDS / ONE_THREAD - 1e-9))
    for _ in range(first_look - 1):
        assert policy.after_step(ONE_THREAD, rows=128) is None
    assert load.reads == 0
    assert policy.after_step(ONE_THREAD, rows=128) == 2
    assert load.reads == 1
    assert machine.run(60) == 2
    assert [(d.threads, d.reason) for d in policy.decisions[1:]] == [
        (2, "machine idle, other programs use 0.1 of 2 cores: try 2 threads"),
        (2, "2 threads faster, 3.0 ms against 4.0 ms a step: kept"),
    ]
    assert policy.decisions[1].step == first_look  # decided after the step before the first on two
    assert set(machine.history) == {2}


def test_the_app_leaves_a_core_to_its_interface():
    load = FakeLoad(0.0)
    on_two = ThreadPolicy(2, None, LARGE, load, spare=1)
    assert Machine(on_two, two_threads=0.001).run(30) == 1 and load.reads == 0
    assert reasons(on_two) == ["1 core beside the 1 kept for the interface: 1 thread"]
    load.others = 1.0  # 4 cores, one busy elsewhere, one kept for the interface: two left for BLAS
    on_four = ThreadPolicy(4, None, LARGE, load, spare=1)
    assert Machine(on_four, two_threads=0.003).run(30) == 2
    load.others = 1.5  # no longer two whole cores
    assert Machine(on_four, two_threads=0.003).run(30) == 1
    assert reasons(on_four)[-1] == "machine busy, other programs use 1.5 of 4 cores: back to 1"


def test_a_busy_machine_never_pays_for_a_trial_and_is_looked_at_seldom():
    load = FakeLoad(1.0)  # another process keeps a core busy
    policy = adaptive(load)
    machine = Machine(policy, two_threads=0.02)
    assert machine.run(60) == 1 and set(machine.history) == {1}
    assert 0 < load.reads <= 60 / CHECK_SECONDS  # one look per CHECK_SECONDS of steps at most
    # said once, not at every look
    assert reasons(policy)[1:] == ["machine busy, other programs use 1.0 of 2 cores: 1 thread for now"]
    load.others, machine.times[2] = 0.0, 0.003  # the other process ends
    assert machine.run(10) == 2
    load.others = 1.5  # busy again: back to one, said once
    assert machine.run(10) == 1
    assert reasons(policy)[-1] == "machine busy, other programs use 1.5 of 2 cores: back to 1"
    assert sum(reason.endswith("for now") for reason in reasons(policy)) == 1


def test_more_cores_leave_room_for_a_competing_process():
    load = FakeLoad(1.0)
    policy = adaptive(load, cores=4)
    assert Machine(policy, two_threads=0.003).run(30) == 2


def test_a_trial_ends_at_its_first_slow_step_and_the_next_waits_longer():
    load = FakeLoad(0.0)  # the reading says idle, but two threads crawl (a load it cannot see)
    policy = adaptive(load)
    machine = Machine(policy, two_threads=0.03)
    machine.run(200)
    assert policy.threads == 1
    trials = [d for d in policy.decisions if d.threads == 2]
    failures = [d for d in policy.decisions[1:] if d.threads == 1]
    assert len(trials) == len(failures) >= 3
    assert all(d.reason == "a 2-thread step took 7.5x the 1-thread best: back to 1" for d in failures)
    # each failed trial cost one step on two threads ...
    assert all(failure.step == trial.step + 1 for trial, failure in zip(trials, failures))
    # ... and the waits between trials double up to the cap, so their number stays small
    gaps = [(later.step - earlier.step) * ONE_THREAD for earlier, later in zip(trials, trials[1:])]
    assert gaps[0] >= RETRY_SECONDS and gaps[-1] >= 2 * gaps[0]
    assert len(trials) <= 10
    assert max(gaps) <= MAX_RETRY_SECONDS + 2 * CHECK_SECONDS
    lost = len(failures) * (0.03 - ONE_THREAD)  # each failed trial: one slow step instead of a fast one
    assert lost / 200 < 0.005


def test_two_threads_no_faster_go_back_to_one():
    policy = adaptive(FakeLoad(0.0))
    machine = Machine(policy, two_threads=0.0039)  # 2.5% faster: not worth the risk
    machine.run(CHECK_SECONDS + 1)
    assert policy.threads == 1
    assert reasons(policy)[1:3] == [
        "machine idle, other programs use 0.0 of 2 cores: try 2 threads",
        "2 threads no faster, 3.9 ms against 4.0 ms a step: back to 1",
    ]


def test_a_load_that_starts_on_two_threads_sends_the_run_back_to_one_and_its_end_back_to_two():
    load = FakeLoad(0.0)
    policy = adaptive(load)
    machine = Machine(policy, two_threads=0.003)
    assert machine.run(10) == 2
    machine.times[2] = 0.003 * 1.6  # another process starts: two threads now wait on it
    load.others = 1.0
    machine.run(0.01)
    assert policy.threads == 1
    assert reasons(policy)[-1] == "steps 1.6x their best on 2 threads: back to 1"
    assert machine.run(60) == 1  # busy all along: no trial
    load.others, machine.times[2] = 0.0, 0.003  # it ends
    assert machine.run(MAX_RETRY_SECONDS + 2 * CHECK_SECONDS) == 2


def test_a_load_reading_busy_ends_two_threads_even_without_a_slow_step():
    load = FakeLoad(0.0)
    policy = adaptive(load)
    machine = Machine(policy, two_threads=0.003)
    assert machine.run(10) == 2
    load.others = 0.9
    assert machine.run(CHECK_SECONDS) == 1
    assert reasons(policy)[-1] == "machine busy, other programs use 0.9 of 2 cores: back to 1"


def test_an_unknown_load_keeps_one_thread():
    policy = adaptive(lambda: None)
    assert Machine(policy, two_threads=0.001).run(60) == 1
    assert reasons(policy)[1:] == ["load unknown: 1 thread for now"]


def test_a_short_last_batch_sets_no_record():
    """An epoch's last batch can be a quarter of the others: a quick step
    that must not become the best that later full steps are held to."""
    policy = adaptive(FakeLoad(0.0))
    machine = Machine(policy, two_threads=0.003)
    assert machine.run(10) == 2
    policy.after_step(0.0008, rows=32)  # far quicker, on a quarter of the rows
    assert machine.run(10) == 2
    assert policy.decisions[-1].reason.endswith("kept")


def test_the_recent_best_forgets_an_old_lucky_step():
    policy = adaptive(FakeLoad(0.0))
    machine = Machine(policy, two_threads=0.003)
    assert machine.run(10) == 2
    policy.after_step(0.0015, rows=128)  # once, twice as fast as ever after
    assert policy.after_step(0.003, rows=128) is None  # right after it, 2x that best is slow: one strike ...
    assert policy.after_step(0.003, rows=128) == 1  # ... two strikes ...
    machine.run(60)
    assert policy.threads == 2  # ... but the machine is fine, and the run goes back to two
    machine.run(0.1)  # a while after a new lucky step
    policy.after_step(0.0015, rows=128)
    machine.run(1.0)  # steps at the usual time, one best slowly forgotten
    assert policy.after_step(0.0035, rows=128) is None  # 17% slower than usual is no alarm


class TinySteps:
    """Steps of a small network (0.1 ms on one thread) as a real machine
    times them: every seventh step twice as long (timer and cache noise),
    and the first step after a switch slower by the 0.1 ms it takes to wake
    the other BLAS thread."""

    def __init__(self, policy, one=0.0001, two=0.00008):
        self.policy, self.times = policy, {1: one, 2: two}
        self.steps, self.since_switch = 0, 0

    def run(self, seconds):
        spent = 0.0
        while spent < seconds:
            self.steps += 1
            step = self.times[self.policy.threads] * (2 if self.steps % 7 == 0 else 1)
            if self.since_switch == 0:
                step += 0.0001
            switch = self.policy.after_step(step, rows=128)
            self.since_switch = 0 if switch is not None else self.since_switch + 1
            spent += step
        return self.policy.threads


def test_tiny_steps_are_measured_together_so_noise_does_not_end_a_trial():
    # 20% faster on two threads, but single steps this short vary by more
    # than that: measured in runs of MEASURE_SECONDS, two threads are kept.
    policy = adaptive(FakeLoad(0.0))
    assert TinySteps(policy).run(1.0) == 2
    assert reasons(policy)[-1].endswith("kept")
    assert not [reason for reason in reasons(policy) if "back to 1" in reason]


def test_tiny_steps_that_turn_slow_on_two_threads_send_the_run_back_to_one():
    # Kept on two threads, then another process starts and the load reading
    # cannot see it: the slow runs of steps count as strikes, run by run.
    policy = adaptive(FakeLoad(0.0))
    machine = Machine(policy, two_threads=0.00008, one_thread=0.0001)
    assert machine.run(1.0) == 2
    machine.times[2] = 0.00026  # over three times the best: four of them make one measurement
    assert machine.run(0.05) == 1
    assert "their best on 2 threads: back to 1" in reasons(policy)[-1]


def test_tiny_steps_slowed_by_a_busy_core_still_send_the_run_back_to_one():
    # Two threads next to a busy process: every step three times as long.
    policy = adaptive(FakeLoad(0.0))
    assert TinySteps(policy, two=0.0003).run(1.0) == 1
    assert "back to 1" in reasons(policy)[2]


def test_no_trial_starts_while_the_run_itself_keeps_the_second_core_busy():
    # An evaluation runs aside on the other core: a trial then would measure
    # our own work, and fail for it. The look at the load waits until it ends.
    load = FakeLoad(0.0)
    policy = adaptive(load)
    for _ in range(3 * BASELINE_STEPS):
        assert policy.after_step(ONE_THREAD, rows=128, core_in_use=True) is None
    assert policy.threads == 1 and load.reads == 0
    assert policy.after_step(ONE_THREAD, rows=128) == 2  # the pass done: the trial starts at once


def write_stat(path, cpu0, cpu1):
    lines = ["cpu  0 0 0 0 0 0 0 0 0 0"]  # the all-CPU line, not used (other CPUs may be in it)
    for name, (busy, idle) in (("cpu0", cpu0), ("cpu1", cpu1)):
        lines.append(f"{name} {busy} 0 0 {idle} 0 0 0 0 0 0")
    lines.append("cpu7 999999 0 0 0 0 0 0 0 0 0")  # a CPU this process may not use
    path.write_text("\n".join(lines) + "\nintr 1 2 3\n")


def test_the_competing_load_from_proc_stat(tmp_path):
    stat = tmp_path / "stat"
    write_stat(stat, (100, 900), (50, 950))
    own, now = [10.0], [100.0]
    load = CompetingLoad(str(stat), cpus={0, 1}, own_cpu=lambda: own[0], clock=lambda: now[0])
    # 2 s later: cpu0 busy 180 of 200 ticks, cpu1 busy 20 of 200; this process used 1.0 s of CPU
    write_stat(stat, (280, 920), (70, 1130))
    own[0], now[0] = 11.0, 102.0
    tick = 2 * 2 / 400  # one tick per CPU at either reading: what /proc/stat's counts cannot tell
    assert load() == pytest.approx(2 * 200 / 400 - 0.5 - tick)  # 1 core busy in all, half of it ours
    # then a second process takes a whole core
    write_stat(stat, (480, 920), (270, 1130))
    own[0], now[0] = 12.0, 104.0
    assert load() == pytest.approx(2 - 0.5 - tick)


def test_a_reading_over_a_few_ticks_calls_the_machine_busy_only_when_it_surely_is(tmp_path):
    # 30 ms, 3 ticks a CPU: one stray tick would read as a third of a core.
    stat = tmp_path / "stat"
    write_stat(stat, (100, 900), (50, 950))
    now = [100.0]
    load = CompetingLoad(str(stat), cpus={0, 1}, own_cpu=lambda: 0.0, clock=lambda: now[0])
    write_stat(stat, (101, 902), (50, 953))  # a stray tick: idle, as far as anyone can tell
    now[0] += 0.03
    assert load() == 0.0
    write_stat(stat, (104, 902), (50, 956))  # another process on a whole core: busy
    now[0] += 0.03
    assert load() > 0.25


def test_the_competing_load_without_proc_stat(tmp_path):
    load = CompetingLoad(str(tmp_path / "missing"), cpus={0})
    reading = load()
    assert reading is None or reading >= 0.0  # the load average, or nothing where there is none


def test_the_competing_load_with_a_damaged_file(tmp_path):
    stat = tmp_path / "stat"
    stat.write_text("cpu0 many ticks\n")
    load = CompetingLoad(str(stat), cpus={0}, clock=iter([1.0, 2.0]).__next__)
    reading = load()
    assert reading is None or reading >= 0.0


def test_a_run_reports_its_thread_decisions_and_applies_them():
    images = np.random.default_rng(0).random((40, 784), dtype=np.float32)
    labels = np.arange(40) % 10
    config = TrainConfig(hidden=(8,), epochs=2, batch_size=10)
    policy = ThreadPolicy(2, 1, LARGE, FakeLoad(0.0))
    events = list(train(config, images[:30], labels[:30], images[30:], labels[30:], threads=policy))
    assert isinstance(events[0], RunStarted)
    assert events[1] == ThreadsChanged(0, 1, "--blas-threads 1: 1 thread")
    assert sum(isinstance(event, ThreadsChanged) for event in events) == 1
    assert sum(isinstance(event, BatchDone) for event in events) == 6
    if blas_threads() is not None:
        assert blas_threads() == 1


def test_a_trainer_applies_a_switch():
    """The switch a policy returns reaches BLAS, and its event comes before
    the step's BatchDone."""
    images = np.random.default_rng(0).random((40, 784), dtype=np.float32)
    labels = np.arange(40) % 10

    class SwitchAtStepThree(ThreadPolicy):
        def after_step(self, seconds, rows=None, core_in_use=False):
            self._step += 1
            if self._step == 3:
                self._decide(2, "a test's wish")
                return 2
            return None

    policy = SwitchAtStepThree(2, None, LARGE, FakeLoad(0.0))
    config = TrainConfig(hidden=(8,), epochs=1, batch_size=10)
    events = list(train(config, images[:30], labels[:30], images[30:], labels[30:], threads=policy))
    kinds = [(type(event).__name__, getattr(event, "step", None)) for event in events[:6]]
    assert kinds[1:] == [
        ("ThreadsChanged", 0),
        ("BatchDone", 1),
        ("BatchDone", 2),
        ("ThreadsChanged", 3),
        ("BatchDone", 3),
    ]
    if blas_threads() is not None:
        assert blas_threads() == 2


def test_the_policy_for_this_machine():
    policy = thread_policy(None, 7_960, 32)
    assert policy.threads == 1 and "small steps" in policy.decisions[0].reason
    assert thread_policy(3, 7_960, 32).threads == 3


def test_a_lone_slow_step_on_two_threads_is_tolerated_two_close_together_are_not():
    """An idle machine has its odd slow step too (6 in 3,100 measured): one
    alone keeps two threads; a second among the next few ends them."""
    policy = adaptive(FakeLoad(0.0))
    machine = Machine(policy, two_threads=0.003)
    assert machine.run(10) == 2
    assert policy.after_step(0.009, rows=128) is None  # 3x, alone
    machine.run(0.1)
    assert policy.threads == 2
    assert policy.after_step(0.009, rows=128) is None
    assert policy.after_step(0.003, rows=128) is None
    assert policy.after_step(0.009, rows=128) == 1  # two slow steps within STRIKE_WINDOW
    assert reasons(policy)[-1] == "steps 3.0x their best on 2 threads: back to 1"
