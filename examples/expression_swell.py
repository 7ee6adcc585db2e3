"""Expression swell: symbolic differentiation against an evaluation trace.

y0 = y, y_{k+1} = sin(y_k) * y_k. Written out as one expression, y_k's tree doubles at
each step (y_k appears twice in y_{k+1}), and so does its symbolic derivative: SymPy's
unsimplified d y_k / d y grows exponentially with the depth k (common subexpression
elimination, sympy.cse, takes most of it back, at a price). wengert differentiates the
straight-line program instead, whose adjoint trace grows by a fixed number of ops per
step: linear in k, a few times the program itself (the cheap gradient principle).

Run: python examples/expression_swell.py [--out DIR] [--max-depth 20] [--budget 5]
"""
import argparse
import os
import sys
import time

import sympy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wengert.api import derive, generate  # noqa: E402
from wengert.compile import compile_function  # noqa: E402
from wengert.parse import Module, parse  # noqa: E402
from _figures import has_matplotlib, output_folder, save  # noqa: E402


def program(depth):
    """Source text of the straight-line program computing y_depth from y0."""
    lines = ["import math", "", "", "def swell(y0):"]
    lines += [f"    y{k + 1} = math.sin(y{k}) * y{k}" for k in range(depth)]
    lines.append(f"    return y{depth}")
    return "\n".join(lines) + "\n"


def wengert_sizes(depth):
    """(ops in the primal trace, ops in the reverse-mode gradient trace) of the depth-k program."""
    module = Module(program(depth), f"<swell depth {depth}>")
    primal = parse(module, module.function("swell"))
    adjoint = derive(primal, "grad", None, "reverse")[0]
    return len(primal.ops), len(adjoint.ops), primal


def sympy_sizes(expression, y):
    """(count_ops of d expression / dy, count_ops after cse, seconds taken, the cse form of the derivative)."""
    start = time.perf_counter()
    derivative = expression.diff(y)
    size = sympy.count_ops(derivative)
    replacements, reduced = sympy.cse(derivative)
    shared = sum(sympy.count_ops(v) for _, v in replacements) + sympy.count_ops(reduced[0])
    return size, shared, time.perf_counter() - start, (replacements, reduced[0])


def evaluate_cse(form, y, at):
    """A derivative in cse form at y = at, one replacement at a time (30 digits)."""
    replacements, reduced = form
    values = {y: sympy.Float(at, 30)}
    for symbol, expression in replacements:
        values[symbol] = expression.xreplace(values).evalf(30)
    return float(reduced.xreplace(values).evalf(30))


def table(max_depth, budget):
    y = sympy.Symbol("y")
    expression = y
    rows = []
    print(f"{'depth':>5} {'wengert f ops':>14} {'wengert grad ops':>17} {'SymPy d/dy ops':>15} "
          f"{'after cse':>10} {'SymPy seconds':>14}")
    for depth in range(1, max_depth + 1):
        primal_ops, grad_ops, primal = wengert_sizes(depth)
        expression = sympy.sin(expression) * expression
        size, shared, seconds, derivative = sympy_sizes(expression, y)
        rows.append((depth, primal_ops, grad_ops, size, shared, seconds))
        print(f"{depth:>5} {primal_ops:>14} {grad_ops:>17} {size:>15} {shared:>10} {seconds:>14.2f}", flush=True)
        last_derivative, last_primal = derivative, primal
        if seconds > budget:
            print(f"(stopped: one SymPy step took more than {budget:g} s)")
            break
    depth = rows[-1][0]
    generated = compile_function(generate(last_primal, "grad"), "swell_grad")
    at = 2.0  # y_k tends to pi/2, where sin = 1: neither overflow nor underflow at any depth
    symbolic = evaluate_cse(last_derivative, y, at)
    print(f"depth {depth} at y = {at}: wengert gradient {generated(at)!r}, SymPy derivative {symbolic!r}, "
          f"relative difference {abs(generated(at) - symbolic) / abs(symbolic):.1e}")
    if len(rows) > 1:
        print(f"last step: wengert's gradient trace grew by {rows[-1][2] - rows[-2][2]} ops (linear in k), "
              f"SymPy's derivative by a factor of {rows[-1][3] / rows[-2][3]:.2f} (exponential), its cse form by "
              f"{rows[-1][4] - rows[-2][4]} ops (growing with k: quadratic)")
    return rows


def plot(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    depth, primal_ops, grad_ops, size, shared, _ = zip(*rows)
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=100)
    ax.semilogy(depth, size, "o-", color="tab:red", label=r"SymPy: $dy_k/dy$, unsimplified (count_ops)")
    ax.semilogy(depth, shared, "s-", color="tab:orange", label="SymPy: after common subexpression elimination")
    ax.semilogy(depth, grad_ops, "^-", color="tab:blue", label="wengert: reverse-mode gradient trace (ops)")
    ax.semilogy(depth, primal_ops, "v--", color="tab:gray", label="wengert: the program itself (ops)")
    ax.set_xlabel(r"depth $k$ of $y_{k+1} = \sin(y_k)\,y_k$")
    ax.set_ylabel("size (operations, log scale)")
    ax.set_title("Expression swell: symbolic derivative vs adjoint trace")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=9)
    return save(fig, path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=None, help="directory for the picture (default: a temporary one)")
    parser.add_argument("--max-depth", type=int, default=20, help="deepest program tried (default 20)")
    parser.add_argument("--budget", type=float, default=5.0,
                        help="stop growing once one SymPy step takes longer than this many seconds (default 5)")
    args = parser.parse_args(argv)
    print(f"The depth-3 program:\n\n{program(3)}")
    rows = table(args.max_depth, args.budget)
    if has_matplotlib():
        out = output_folder(args.out, "wengert-swell-")
        print(f"wrote {plot(rows, os.path.join(out, 'expression_swell.png'))}")


if __name__ == "__main__":
    main()
