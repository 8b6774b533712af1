"""How many threads NumPy's BLAS (OpenBLAS) uses, set at run time.

Environment variables such as OPENBLAS_NUM_THREADS only work before NumPy
is imported; OpenBLAS also exports a setter, which this module finds in the
process's loaded libraries and calls through ctypes. Where no OpenBLAS is
loaded (another BLAS, another OS) every function here does nothing and says
so by returning None.
"""

import ctypes
import math
import os
import time
from contextlib import contextmanager

_SYMBOLS = [  # NumPy 2 wheels bundle scipy-openblas with 64-bit integers
    ("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
    ("openblas_set_num_threads64_", "openblas_get_num_threads64_"),
    ("openblas_set_num_threads", "openblas_get_num_threads"),
]
_functions = None


def _find():
    """(setter, getter) from the first loaded library exporting them, or None."""
    import numpy  # noqa: F401  (loads the BLAS library)

    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            paths = sorted({line.split()[-1] for line in maps if "blas" in line.lower() and ".so" in line})
    except OSError:
        return None
    for path in paths:
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for setter, getter in _SYMBOLS:
            if hasattr(library, setter) and hasattr(library, getter):
                return getattr(library, setter), getattr(library, getter)
    return None


def _blas():
    global _functions
    if _functions is None:
        _functions = _find() or ()
    return _functions


def blas_threads():
    """Threads BLAS uses now, or None if it cannot be told."""
    functions = _blas()
    return int(functions[1]()) if functions else None


def set_blas_threads(count):
    """Use ``count`` BLAS threads from now on; False if it cannot be set."""
    functions = _blas()
    if not functions:
        return False
    functions[0](max(1, int(count)))
    return True


@contextmanager
def blas_threads_limited(count):
    """Run a block with ``count`` BLAS threads, then restore the previous count."""
    previous = blas_threads()
    set_blas_threads(count)
    try:
        yield
    finally:
        if previous is not None:
            set_blas_threads(previous)


def available_cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def fastest_thread_count(step, cores=None, rounds=5, span=0.003):
    """Time ``step()`` with one BLAS thread and with every core, and keep the
    faster count set. The two are timed in alternation, each timing spanning
    at least ``span`` seconds, and the best of ``rounds`` kept, so that a
    passing hiccup cannot decide. One thread wins unless more are at least
    10% faster: idle OpenBLAS threads keep spinning for a while after each
    product, so extra threads cost the rest of the machine even when they
    gain nothing."""
    cores = cores or available_cores()
    if cores == 1 or blas_threads() is None:
        return 1
    set_blas_threads(1)
    step()  # warm up caches
    repeats = max(1, math.ceil(span / max(_seconds(step), 1e-6)))
    best = {1: math.inf, cores: math.inf}
    for _ in range(rounds):
        for count in best:
            set_blas_threads(count)
            step()  # wake this many threads before timing them
            best[count] = min(best[count], _seconds(step, repeats))
    chosen = cores if best[cores] < 0.9 * best[1] else 1
    set_blas_threads(chosen)
    return chosen


def _seconds(function, repeats=1):
    started = time.perf_counter()
    for _ in range(repeats):
        function()
    return time.perf_counter() - started
