"""Forward mode against reverse mode (REFERENCE.md sections 2 and 6).

1. On the lecture's small graph y1 = sin(w1 x + w0), y2 = cos(w1 x + w0): one forward
   sweep seeded at w1 gives dy1/dw1 and dy2/dw1; one reverse sweep seeded at y2 gives
   dy2/dw0, dy2/dw1 and dy2/dx. The generated tangent and adjoint code, side by side.
2. The cost of a whole gradient of f(w) = sum(sin(w * x)) for n = 1 .. 1000 inputs:
   forward mode needs one sweep per input (wengert.grad(f, mode="forward") loops over
   the elements), reverse mode one sweep in all (the cheap gradient principle).

Run: python examples/forward_vs_reverse.py [--out DIR] [--max-n 1000]
"""
import argparse
import math
import os
import sys
import timeit

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wengert  # noqa: E402
from _figures import has_matplotlib, output_folder, save  # noqa: E402


def both(w0, w1, x):
    """The lecture's two outputs of one graph, as one vector (y1, y2)."""
    q = w1 * x + w0
    return np.stack((np.sin(q), np.cos(q)))


def y2(w0, w1, x):
    return math.cos(w1 * x + w0)


def model(w, x):
    """A cost with n inputs w (and data x of the same length)."""
    return np.sum(np.sin(w * x))


def side_by_side(left, right, titles, width=None):
    left, right = left.strip("\n").splitlines(), right.strip("\n").splitlines()
    width = width or max(len(line) for line in left + [titles[0]]) + 4
    rows = [f"{titles[0]:<{width}}{titles[1]}", f"{'-' * (width - 4):<{width}}{'-' * len(titles[1])}"]
    for i in range(max(len(left), len(right))):
        a = left[i] if i < len(left) else ""
        b = right[i] if i < len(right) else ""
        rows.append(f"{a:<{width}}{b}".rstrip())
    return "\n".join(rows)


def small_graph(w0=0.5, w1=2.0, x=3.0):
    q = w1 * x + w0
    tangent = wengert.jvp(both, wrt="w1")
    _, (dy1_dw1, dy2_dw1) = tangent(w0, w1, x, 1.0)
    adjoint = wengert.vjp(y2)
    _, (dy2_dw0, dy2_dw1_rev, dy2_dx) = adjoint(w0, w1, x, 1.0)
    print(f"At w0 = {w0}, w1 = {w1}, x = {x}:")
    print("one forward sweep, seeded w1dot = 1 (all other dots 0):")
    print(f"  dy1/dw1 = {dy1_dw1:.15f}   lecture: x cos(w1 x + w0)  = {x * math.cos(q):.15f}")
    print(f"  dy2/dw1 = {dy2_dw1:.15f}   lecture: -x sin(w1 x + w0) = {-x * math.sin(q):.15f}")
    print("one reverse sweep, seeded y2bar = 1:")
    print(f"  dy2/dw0 = {dy2_dw0:.15f}   lecture: -sin(w1 x + w0)    = {-math.sin(q):.15f}")
    print(f"  dy2/dw1 = {dy2_dw1_rev:.15f}   lecture: -x sin(w1 x + w0)  = {-x * math.sin(q):.15f}")
    print(f"  dy2/dx  = {dy2_dx:.15f}   lecture: -w1 sin(w1 x + w0) = {-w1 * math.sin(q):.15f}")
    print()
    print(side_by_side(wengert.source(tangent, w0, w1, x, 1.0), wengert.source(adjoint),
                       ("forward mode (tangent code, one sweep per input direction)",
                        "reverse mode (adjoint code, one sweep per output)")))
    print()


def time_call(fn, *args):
    """Seconds per call: the best of 7 rounds of enough calls to take ~10 ms."""
    fn(*args)  # the first call with new argument shapes compiles a specialized version
    number = 1
    while timeit.timeit(lambda: fn(*args), number=number) < 0.01 and number < 10 ** 6:
        number *= 4
    return min(timeit.repeat(lambda: fn(*args), number=number, repeat=7)) / number


def cost_of_gradients(max_n):
    sizes = [n for n in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000) if n <= max_n]
    forward = wengert.grad(model, wrt="w", mode="forward")
    reverse = wengert.grad(model, wrt="w")
    rng = np.random.default_rng(0)
    rows, worst = [], 0.0
    print(f"Gradient of {model.__name__}(w, x) = sum(sin(w * x)) with respect to w, n inputs:")
    print(f"{'n':>6} {'f(w, x)':>12} {'forward':>12} {'reverse':>12} {'forward/reverse':>16}")
    for n in sizes:
        w, x = rng.normal(size=n), rng.normal(size=n)
        worst = max(worst, float(np.max(np.abs(forward(w, x) - reverse(w, x)))))
        t_f, t_fwd, t_rev = time_call(model, w, x), time_call(forward, w, x), time_call(reverse, w, x)
        rows.append((n, t_f, t_fwd, t_rev))
        print(f"{n:>6} {t_f * 1e6:>10.1f}us {t_fwd * 1e6:>10.1f}us {t_rev * 1e6:>10.1f}us {t_fwd / t_rev:>15.1f}x")
    print(f"forward and reverse gradients agree: max |difference| = {worst:.1e}")
    print("The generated forward-mode gradient for arrays (one tangent sweep per element of w):\n")
    print(wengert.source(forward, w, x))
    return rows


def plot(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n, t_f, t_fwd, t_rev = (np.array(c) for c in zip(*rows))
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=100)
    ax.loglog(n, t_fwd * 1e6, "o-", label="forward mode gradient (n sweeps)")
    ax.loglog(n, t_rev * 1e6, "s-", label="reverse mode gradient (1 sweep)")
    ax.loglog(n, t_f * 1e6, "^--", color="gray", label="f itself")
    ax.set_xlabel("number of inputs n")
    ax.set_ylabel("time per call (microseconds)")
    ax.set_title("Gradient of sum(sin(w * x)): cost against the number of inputs")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return save(fig, path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=None, help="directory for the picture (default: a temporary one)")
    parser.add_argument("--max-n", type=int, default=1000, help="largest number of inputs timed (default 1000)")
    args = parser.parse_args(argv)
    small_graph()
    rows = cost_of_gradients(args.max_n)
    if has_matplotlib():
        out = output_folder(args.out, "wengert-fwdrev-")
        print(f"wrote {plot(rows, os.path.join(out, 'forward_vs_reverse.png'))}")


if __name__ == "__main__":
    main()
