"""Element-loop benchmark: reverse mode over loops that read and write one element per step.

Three loops a user writes before vectorizing: a branch on x[i] accumulating a scalar, an item assignment
y[i] = ... into a buffer, and a double loop over X[i, j]. Each gradient is timed against the function
itself at two sizes 16x apart. Goal: grad / f <= 5x at every size, and linear: the ratio must not grow
with n (an adjoint that built a full array per step, `dx = dx + _scatter(...)`, was 69x at n = 1,000
and 105x at n = 16,000). CPU time; median of interleaved rounds. Run: make bench (or python
benchmarks/loops.py).
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

GOAL = 5.0
SOURCE = '''import numpy as np


def branchy(x):
    acc = 0.0
    for i in range(x.shape[0]):
        if x[i] > 0:
            acc = acc + x[i] ** 3
        else:
            acc = acc - 0.5 * x[i]
    return acc


def running(x):
    y = np.zeros_like(x)
    y[0] = x[0]
    for i in range(1, x.shape[0]):
        y[i] = 0.9 * y[i - 1] + np.sin(x[i])
    return np.sum(y ** 2)


def grid(X):
    acc = 0.0
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            acc = acc + X[i, j] * X[i, j] * (i - j)
    return acc
'''


def load():
    import importlib.util
    import tempfile
    path = os.path.join(tempfile.mkdtemp(), "element_loops.py")
    with open(path, "w") as out:
        out.write(SOURCE)
    spec = importlib.util.spec_from_file_location("element_loops", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def central(f, x, eps=1e-6):
    """Central differences of f at x along a random direction (a check that the timed gradient is right)."""
    d = np.random.default_rng(1).normal(size=x.shape)
    return (f(x + eps * d) - f(x - eps * d)) / (2 * eps), d


def main():
    m = load()
    rng = np.random.default_rng(0)
    cases = [("branch on x[i], scalar sum", m.branchy, lambda n: rng.normal(size=n), (1_000, 16_000)),
             ("y[i] = 0.9 y[i-1] + sin(x[i])", m.running, lambda n: rng.normal(size=n), (1_000, 16_000)),
             ("X[i, j] double loop", m.grid, lambda n: rng.normal(size=(n, 20)), (50, 800))]
    print("Reverse mode over element loops: grad / f, CPU time; goal <= 5x at each size and no growth with n.")
    print(f"{platform.processor() or platform.machine()}, NumPy {np.__version__}; indicative only.\n")
    rows, worst, growth = [], 0.0, 0.0
    for label, f, make, sizes in cases:
        df = wengert.grad(f)
        ratios = []
        for n in sizes:
            x = make(n)
            g = df(x)
            fd, d = central(f, x)
            assert np.isclose(np.sum(g * d), fd, rtol=1e-5, atol=1e-6), (label, n)
            times = samples({"f": (f, (x,)), "grad": (df, (x,))}, rounds=7, target=0.05, clock=time.process_time)
            t = {k: sorted(v)[len(v) // 2] for k, v in times.items()}
            ratios.append(t["grad"] / t["f"])
            rows.append((label, f"{x.shape}", format_time(t["f"]), format_time(t["grad"]), f"{ratios[-1]:.2f}x"))
        worst = max(worst, *ratios)
        growth = max(growth, ratios[-1] / ratios[0])
    print(table(("loop", "x", "f", "grad", "grad / f"), rows))
    print(f"\nResult: worst grad / f = {worst:.2f}x (goal <= {GOAL}x); largest growth of the ratio over a 16x "
          f"larger n = {growth:.2f}x (linear: about 1)")


if __name__ == "__main__":
    main()
