"""Activation functions and their generated derivatives, checked against the lectures' formulas.

sigmoid, tanh, ReLU, leaky ReLU and ELU (lectures 000 and 003), written in NumPy; wengert
generates each derivative (reverse mode, wengert.vjp with cotangent 1, which for an
elementwise function is its derivative at every point), and the example compares them with
  sigmoid' = s (1 - s),   tanh' = 1 - tanh^2,   ReLU' = 0 (x < 0), 1 (x > 0),
  leaky ReLU' = alpha (x < 0), 1 (x > 0),   ELU' = 1 (x >= 0), alpha e^x = y + alpha (x < 0).
At the kink x = 0 wengert uses the midpoint of the Clarke subdifferential: relu'(0) = 1/2 and
leaky'(0) = (1 + alpha)/2; ELU's np.where takes the x >= 0 branch there, so ELU'(0) = 1.

Run: python examples/activations.py [--out DIR]
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wengert  # noqa: E402
from _figures import has_matplotlib, output_folder, save  # noqa: E402

ALPHA = 0.1  # leaky ReLU's slope and ELU's scale (larger than the usual 0.01 so it shows in the plot)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def tanh(x):
    return np.tanh(x)


def relu(x):
    return np.maximum(x, 0)


def leaky_relu(x, alpha):
    return np.maximum(alpha * x, x)


def elu(x, alpha):
    return np.where(x >= 0, x, alpha * (np.exp(x) - 1))


def lecture_derivative(name, x, y):
    """The lectures' formula for the derivative, from x and the activation's value y (undefined at kinks: nan)."""
    if name == "sigmoid":
        return y * (1 - y)
    if name == "tanh":
        return 1 - y ** 2
    kink = np.where(x == 0, np.nan, 1.0)
    if name == "relu":
        return np.where(x > 0, 1.0, 0.0) * kink
    if name == "leaky_relu":
        return np.where(x > 0, 1.0, ALPHA) * kink
    return np.where(x >= 0, 1.0, y + ALPHA)  # elu


ACTIVATIONS = {"sigmoid": (sigmoid, ()), "tanh": (tanh, ()), "relu": (relu, ()),
               "leaky_relu": (leaky_relu, (ALPHA,)), "elu": (elu, (ALPHA,))}


def derivatives(x):
    """{name: (values, generated derivative, lecture formula, generated source)} on the grid x."""
    out = {}
    for name, (fn, extra) in ACTIVATIONS.items():
        pullback = wengert.vjp(fn, wrt="x")
        y, dy = pullback(x, *extra, np.ones_like(x))
        out[name] = (y, dy, lecture_derivative(name, x, y), wengert.source(pullback, x, *extra, np.ones_like(x)))
    return out


def plot(x, results, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 5, figsize=(15, 3.4), dpi=80, sharex=True)
    step = max(1, len(x) // 24)
    for ax, (name, (y, dy, formula, _)) in zip(axes, results.items()):
        ax.plot(x, y, color="tab:blue", lw=2, label="f(x)")
        ax.plot(x, dy, color="tab:red", lw=2, label="f'(x), generated")
        ax.plot(x[::step], formula[::step], "o", mfc="none", color="black", ms=5, label="f'(x), lecture formula")
        zero = np.flatnonzero(x == 0)
        if zero.size and name in ("relu", "leaky_relu"):
            ax.plot([0], [dy[zero[0]]], "s", color="tab:red", ms=6)
            ax.annotate(f"f'(0) = {dy[zero[0]]:g}", (0, dy[zero[0]]), xytext=(8, -14), textcoords="offset points",
                        fontsize=9, color="tab:red")
        ax.axhline(0, color="gray", lw=0.5)
        ax.axvline(0, color="gray", lw=0.5)
        ax.set_title(name.replace("_", " ") + (f" (alpha = {ALPHA})" if name in ("leaky_relu", "elu") else ""))
        ax.set_xlabel("x")
        ax.set_ylim(-1.2, 2.2)
        ax.grid(True, alpha=0.3)
    axes[0].legend(loc="upper left", fontsize=8)
    fig.suptitle("Activations (blue), their wengert-generated derivatives (red) and the lectures' formulas (circles)")
    return save(fig, path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=None, help="directory for the picture (default: a temporary one)")
    args = parser.parse_args(argv)
    x = np.arange(-300, 301) / 100.0  # -3 .. 3 in steps of 0.01, with x = 0 exactly
    results = derivatives(x)
    zero = int(np.flatnonzero(x == 0)[0])
    print(f"{'activation':<12} {'max |generated - lecture formula|':>34}  {'generated derivative at x = 0':>30}")
    worst = 0.0
    for name, (y, dy, formula, _) in results.items():
        away = ~np.isnan(formula)
        difference = float(np.max(np.abs(dy[away] - formula[away])))
        worst = max(worst, difference)
        print(f"{name:<12} {difference:>34.1e}  {dy[zero]:>30g}")
    print(f"largest difference over all five: {worst:.1e}")
    print(f"at the kink: relu'(0) = {results['relu'][1][zero]:g}, leaky_relu'(0) = {results['leaky_relu'][1][zero]:g} "
          f"(wengert's midpoint subgradient convention: the middle of [0, 1] and of [alpha, 1]); "
          f"elu'(0) = {results['elu'][1][zero]:g} (np.where picks x >= 0)")
    for name in ("sigmoid", "relu", "elu"):
        print(f"\nThe generated derivative of {name} (reverse mode, cotangent g):\n")
        print(results[name][3])
    if has_matplotlib():
        out = output_folder(args.out, "wengert-activations-")
        print(f"wrote {plot(x, results, os.path.join(out, 'activations.png'))}")


if __name__ == "__main__":
    main()
