"""Dispatch benchmark: what a call of a generated gradient costs over the compiled version it runs.

wengert.grad(f) returns a dispatcher: it looks up the version compiled for the arguments' types, shapes and
dtypes and calls it. For each argument kind (Python floats, NumPy scalars, 0-d arrays, n-d arrays, Dask
arrays when installed) the dispatcher's own cost is timed with the version it finds replaced by a function
that returns at once (the difference to calling that function directly: steady, where the gradient's own
microseconds would drown it in noise), and the real gradient through the dispatcher against the compiled
version. Goal: <= 0.3 µs per call for every kind. Run: make bench (or python
benchmarks/dispatch.py).
"""

import os
import platform
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

import wengert  # noqa: E402
from _timing import format_time, samples, table  # noqa: E402

GOAL_SECONDS = 0.3e-6
CLOCK = time.process_time  # CPU time: a busy machine's other jobs do not count
SOURCE = '''import numpy as np


def f(x, y):
    return np.sum(x * y)
'''


def kinds():
    """label -> arguments of f."""
    found = {"Python floats": (2.0, 5.0), "NumPy float64 scalars": (np.float64(2.0), np.float64(5.0)),
             "0-d arrays": (np.array(2.0), np.array(5.0)), "1-d arrays (100)": (np.full(100, 2.0), np.full(100, 5.0)),
             "1-d array and a float": (np.full(100, 2.0), 5.0), "Python ints": (2, 5)}
    try:
        import dask.array as da
        found["Dask arrays (100, 1 chunk)"] = (da.full(100, 2.0, chunks=100), da.full(100, 5.0, chunks=100))
    except ImportError:
        pass
    return found


def load():
    import importlib.util
    import tempfile
    path = os.path.join(tempfile.mkdtemp(), "dispatch_bench_f.py")
    with open(path, "w") as out:
        out.write(SOURCE)
    spec = importlib.util.spec_from_file_location("dispatch_bench_f", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.f


def returns_at_once(*args):
    return None


def own_cost(df, args):
    """Seconds a call of the dispatcher df adds to the version it runs (the fastest of 31 rounds of each)."""
    df(*args)  # the version for these arguments is found and remembered
    tables = df.__wengert_versions__  # by the arguments' types, and by types, shapes and dtypes
    saved = [dict(versions) for versions in tables]
    try:
        for versions, kept in zip(tables, saved):
            for key, (_, promote) in kept.items():
                versions[key] = returns_at_once, promote
        times = samples({"dispatcher": (df, args), "direct": (returns_at_once, args)}, rounds=31, clock=CLOCK)
    finally:
        for versions, kept in zip(tables, saved):
            versions.update(kept)
    return min(times["dispatcher"]) - min(times["direct"])


def main():
    df = wengert.grad(load())
    print(f"Dispatch overhead of wengert.grad(f) for f(x, y) = sum(x * y) "
          f"(Python {platform.python_version()}); goal: <= {format_time(GOAL_SECONDS)} per call over the "
          "compiled version.\nFastest of 31 interleaved rounds (the least disturbed), in CPU time; indicative only (2 cores, maybe shared).\n")
    rows, worst = [], 0.0
    for label, args in kinds().items():
        compiled = df.__wengert_specialize__(*args)
        times = samples({"dispatcher": (df, args), "compiled": (compiled, args)}, rounds=31, clock=CLOCK)
        real = min(times["dispatcher"]) / min(times["compiled"])
        over = own_cost(df, args)
        worst = max(worst, over)
        rows.append((label, format_time(min(times["compiled"])), format_time(max(over, 0.0)), f"{real:.2f}x"))
    print(table(("arguments", "compiled version", "dispatcher's own cost", "gradient / compiled"), rows))
    print(f"\nResult: largest overhead {format_time(max(worst, 0.0))} per call (goal <= {format_time(GOAL_SECONDS)})")


if __name__ == "__main__":
    main()
