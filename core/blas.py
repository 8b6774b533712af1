"""How many threads NumPy's BLAS (OpenBLAS) uses, set at run time.

Environment variables such as OPENBLAS_NUM_THREADS only work before NumPy
is imported; OpenBLAS also exports a setter, which this module finds in the
process's loaded libraries and calls through ctypes. Where no OpenBLAS is
loaded (another BLAS, another OS) every function here does nothing and says
so by returning None.
"""

import ctypes
import os
from collections.abc import Callable
from typing import Any, TypeAlias

# OpenBLAS's C functions as ctypes gives them: set_num_threads(int), get_num_threads().
_Functions: TypeAlias = tuple[Callable[..., Any], Callable[..., Any]]

_SYMBOLS = [  # NumPy 2 wheels bundle scipy-openblas with 64-bit integers
    ("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
    ("openblas_set_num_threads64_", "openblas_get_num_threads64_"),
    ("openblas_set_num_threads", "openblas_get_num_threads"),
]
_functions: _Functions | tuple[()] | None = None  # () once looked for and not found


def _find() -> _Functions | None:
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


def _blas() -> _Functions | tuple[()]:
    global _functions
    if _functions is None:
        _functions = _find() or ()
    return _functions


def blas_threads() -> int | None:
    """Threads BLAS uses now, or None if it cannot be told."""
    functions = _blas()
    return int(functions[1]()) if functions else None


def set_blas_threads(count: int) -> bool:
    """Use ``count`` BLAS threads from now on; False if it cannot be set."""
    functions = _blas()
    if not functions:
        return False
    functions[0](max(1, int(count)))
    return True


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


# Below this many weight-by-sample products a step (parameters x batch
# size), a second thread is not even tried (core.threads). Measured on the
# project's 2-core AMD EPYC (bench/busy_threads.py --train ..., idle, 3
# rounds): two threads paid for 784-10-10 at batch 64 (0.5 million: the
# default preset, +5%), at batch 128 (1 million, +22%) and 784-128-10 at
# batch 32 (3.3 million, +18%), and the policy kept them in 5 of 5 trials
# there once tiny steps were measured in runs (core.threads.MEASURE_SECONDS);
# at batch 32 (0.25 million) its trials never found them faster. Above
# the limit the policy only tries two threads on an idle machine and keeps
# them only if they are faster, so a low limit costs at most a trial.
PARALLEL_WORK = 400_000

# Switching the count (set_blas_threads) while another thread of this
# process is inside a product is safe for OpenBLAS's pthreads build: the
# pool is made once at its largest and a product reads the count when it
# starts, so a running product finishes with the count it began with.
