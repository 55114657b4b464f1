"""Timing helpers for the benchmarks: best of several runs, and the machine they ran on."""

import gc
import os
import platform
import time
from importlib import metadata

import numpy as np


def best_of(fn, repeats=5, warmup=1, setup=None):
    """The shortest wall time of ``repeats`` calls of ``fn`` (after ``warmup`` calls).

    The minimum is the figure least disturbed by other processes on a shared machine.
    ``setup``, if given, is called untimed before each call (to free the previous call's
    results, whose deallocation is no part of the next call).

    Examples
    --------
    >>> best_of(lambda: sum(range(100)), repeats=3) > 0
    True
    """
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        if setup is not None:
            setup()
        gc.collect()  # every library starts from the same heap
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def machine():
    """CPU model, core count, Python and library versions: where a table came from."""
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": platform.platform(),
    }
    import scipy

    info["scipy"] = scipy.__version__
    for name in ("autograd", "jax", "torch", "casadi", "matplotlib"):
        try:
            info[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            info[name] = None
    return info
