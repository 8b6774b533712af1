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


# Measured with bench/compare_torch.py on the project's 2-core machine: a
# second thread pays off once one training step multiplies about 20 million
# weight-by-sample pairs (784-128-10 at batch 512: +16%; 784-256-128-10 at
# batch 128: +12%; 784-10-10 on all 4,000 digits at once: +20%) and not below
# (784-128-10 at batch 128: even; 784-10-10 at batch 512: 20% slower).
PARALLEL_WORK = 20_000_000


def threads_for(parameters: int, batch_size: int, cores: int | None = None) -> int:
    """BLAS threads for a step of ``batch_size`` samples through a network
    of ``parameters`` weights: one thread for small steps, every core for
    large ones. A fixed rule rather than a timing at start-up, so that the
    same seed gives the same run: results differ in the last bits between
    thread counts."""
    cores = cores or available_cores()
    return cores if parameters * batch_size >= PARALLEL_WORK else 1
