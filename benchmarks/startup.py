"""Import benchmark: what `import wengert` adds to `import numpy` in a fresh interpreter.

Each round starts two interpreters, one running `import numpy`, one `import numpy, wengert`, and reads
their CPU time (user + system, from the operating system's accounting of finished children); the added
cost is the median over rounds of the difference. Also listed: whether SymPy, astor, SciPy or Graphviz
were loaded (none should be: SymPy loads only for `check` and `trace --sympy`, astor only to print source).
Goal: <= 150 ms. Run: make bench (or python benchmarks/startup.py [--rounds 15]).
"""

import argparse
import os
import resource
import subprocess
import sys

GOAL_MS = 150
HEAVY = ("sympy", "astor", "scipy", "graphviz")


def cpu_seconds(code, env):
    """CPU seconds (user + system) of a fresh interpreter running code."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=15)
    opts = ap.parse_args()
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")])))
    cpu_seconds("import numpy, wengert", env)  # warm the file cache and the bytecode caches
    numpy_only, both = [], []
    for _ in range(opts.rounds):
        numpy_only.append(cpu_seconds("import numpy", env))
        both.append(cpu_seconds("import numpy, wengert", env))
    added = sorted(b - a for a, b in zip(numpy_only, both))[opts.rounds // 2]
    loaded = subprocess.run([sys.executable, "-c", "import sys, numpy, wengert\n"
                             f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"],
                            check=True, env=env, capture_output=True, text=True).stdout.split()
    print("`import wengert` after `import numpy`, fresh interpreters, CPU time (median of "
          f"{opts.rounds} rounds)\n")
    print(f"import numpy:           {1000 * sorted(numpy_only)[opts.rounds // 2]:.0f} ms")
    print(f"import numpy, wengert:  {1000 * sorted(both)[opts.rounds // 2]:.0f} ms")
    print(f"loaded by import wengert: {', '.join(loaded) if loaded else 'none of ' + ', '.join(HEAVY)}")
    print(f"\nResult: import wengert adds {1000 * added:.0f} ms (goal <= {GOAL_MS} ms)")


if __name__ == "__main__":
    main()
