"""Compile-time benchmark: how long wengert takes to turn a straight-line function of 100, 1,000 and
10,000 statements into its gradient function (parse, reverse mode, simplify, emit, Python's compile),
the same numbers of statements spread over if/else branches and over short loops, and an expression
nested 2,000 levels deep. Goal: linear in the program size, <= 2 s at 10,000
statements. CPU time is printed next to wall time: on a busy machine it is the steadier figure.

The "floor" column is what the tools under wengert take for the same program on their own: Python's
parser reading the user's source and Python's compiler compiling the generated syntax tree (each timed
alone, garbage collection paused as wengert pauses it). The compile path prints no source (astor runs
only when someone reads it), so no design that compiles its output with CPython can go below it.

Run: make bench (or python benchmarks/compile.py [--sizes 100,1000,10000] [--repeat 3]).
"""

import argparse
import ast
import gc
import os
import platform
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from _timing import table  # noqa: E402

from wengert.api import compile_derivative, prepare_function  # noqa: E402
from wengert.compile import compiling  # noqa: E402
from wengert.emit import module_ast  # noqa: E402
from wengert.parse import Module, parse  # noqa: E402

GOAL = "linear in size; <= 2 s at 10,000 statements"
STEPS = ["v{i} = 0.5 * v{j} + 0.25 * math.sin(v{j} + x)",
         "v{i} = v{j} - 0.1 * math.tanh(v{j} * y)",
         "v{i} = math.cos(v{j}) * 0.5 + y * 0.1"]


def straight_line(n):
    """f(x, y) with n statements, each reading the one before (3 primitive operations per statement)."""
    lines = ["import math", "", "", "def f(x, y):", "    v0 = x * y"]
    lines += ["    " + STEPS[i % len(STEPS)].format(i=i, j=i - 1) for i in range(1, n)]
    return "\n".join(lines + [f"    return v{n - 1}"]) + "\n"


def branches(n):
    """f(x, y) with n statements, two to each branch of n / 4 if/else statements in a row."""
    lines = ["import math", "", "", "def f(x, y):", "    h = x * y"]
    for i in range(n // 4):
        lines += [f"    if h > {i % 7 * 0.1}:", "        h = 0.5 * h + 0.25 * math.sin(h + x)",
                  "    else:", "        h = h - 0.1 * math.tanh(h * y)"]
    return "\n".join(lines + ["    return h"]) + "\n"


def loops(n):
    """f(x, y) with n statements: n / 3 loops of three passes over one statement, then one more statement."""
    lines = ["import math", "", "", "def f(x, y):", "    h = x * y"]
    for _ in range(n // 3):
        lines += ["    for i in range(3):", "        h = 0.5 * h + 0.25 * math.sin(h + x)", "    h = h * y"]
    return "\n".join(lines + ["    return h"]) + "\n"


PROGRAMS = {"": straight_line, " in branches": branches, " in loops": loops}


def nested(depth):
    """f(x, y) returning one expression whose syntax tree is `depth` levels deep."""
    terms = ["x * 0.5", "y", "x * y * 0.001", "math.sin(x)"]
    return "import math\n\n\ndef f(x, y):\n    return " + " + ".join(terms[k % 4] for k in range(depth + 1)) + "\n"


def compile_once(source):
    """(wall, cpu) seconds from source text to the compiled gradient function (no cache involved)."""
    wall, cpu = time.perf_counter(), time.process_time()
    module = Module(source, "bench.py")
    fn = compile_derivative(parse(module, module.function("f")), "grad")
    fn(0.3, 0.7)
    return time.perf_counter() - wall, time.process_time() - cpu


def floor(source):
    """CPU seconds of Python's parser on source and Python's compiler on the generated syntax tree."""
    module = Module(source, "bench.py")
    _, _, emit = prepare_function(parse(module, module.function("f")), "grad")
    with compiling():
        tree = ast.fix_missing_locations(module_ast(emit()))
    steps = (lambda: ast.parse(source), lambda: compile(tree, "bench", "exec"))
    total = 0.0
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for step in steps:
            cpu = time.process_time()
            step()
            total += time.process_time() - cpu
    finally:
        if was_enabled:
            gc.enable()
    return total


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"Compile time of the reverse-mode gradient (Python {platform.python_version()}, {platform.machine()}); "
          f"goal: {GOAL}")
    rows, per_statement = [], {}
    sizes = [int(n) for n in args.sizes.split(",")]
    cases = [(kind, f"{n:,} statements{kind}", make(n), n) for kind, make in PROGRAMS.items() for n in sizes]
    cases.append(("", "expression 2,000 deep", nested(2000), None))
    for kind, label, source, n in cases:
        runs = [compile_once(source) for _ in range(args.repeat)]
        wall, cpu = statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)
        per = f"{cpu / n * 1e6:.0f} µs" if n else ""
        if n:
            per_statement.setdefault(kind, []).append(cpu / n)
        lowest = statistics.median(floor(source) for _ in range(args.repeat))
        rows.append((label, f"{wall:.3f} s", f"{cpu:.3f} s", per, f"{lowest:.3f} s"))
    print(table(("program", "wall", "cpu", "cpu/statement", "floor (parser + compiler)"), rows))
    if len(sizes) > 1:
        print("cpu per statement, largest / smallest program (1.00 = linear): " + ", ".join(
            f"{(kind.strip() or 'straight line')} {max(per) / min(per):.2f}" for kind, per in per_statement.items()))


if __name__ == "__main__":
    main()
