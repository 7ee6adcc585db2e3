"""Lean specialized code: the gradient of a diagonal Gaussian's negative log-likelihood against a hand-written one.

    nll(mu, log_sigma, Z) = 1/2 sum(((Z - mu) / sigma) ** 2) + N sum(log_sigma) + N D / 2 log(2 pi)

for Z of shape (N, D) = (10,000, 20). With every shape known at the call, the generated code has no helper
(_unbroadcast, _scatter) and computes no array only for its shape; goal: <= 1.1x the hand-written gradient.
Run: make bench (or python benchmarks/gaussian.py [--threads 1]).
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from _timing import blas_threads, format_time, paired_ratios, samples, table  # noqa: E402

blas_threads(sys.argv)

import numpy as np  # noqa: E402

import wengert  # noqa: E402

GOAL = 1.1
SOURCE = '''import numpy as np


def nll(mu, log_sigma, Z):
    """Negative log-likelihood of the rows of Z under a Gaussian with mean mu and standard deviations exp(log_sigma)."""
    sigma = np.exp(log_sigma)
    r = (Z - mu) / sigma
    n = Z.shape[0]
    return 0.5 * np.sum(r ** 2) + n * np.sum(log_sigma) + 0.5 * n * len(mu) * np.log(2 * np.pi)
'''


def hand_grad(mu, log_sigma, Z):
    sigma = np.exp(log_sigma)
    r = (Z - mu) / sigma
    return -np.sum(r, axis=0) / sigma, Z.shape[0] - np.sum(r * r, axis=0)


def load():
    import importlib.util
    import tempfile
    path = os.path.join(tempfile.mkdtemp(), "gaussian_nll.py")
    with open(path, "w") as out:
        out.write(SOURCE)
    spec = importlib.util.spec_from_file_location("gaussian_nll", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.nll


def main():
    rng = np.random.default_rng(0)
    args = (rng.normal(size=20), 0.1 * rng.normal(size=20), rng.normal(size=(10_000, 20)))
    nll = load()
    df = wengert.grad(nll, wrt=(0, 1))
    for g, h in zip(df(*args), hand_grad(*args)):
        np.testing.assert_allclose(g, h, rtol=1e-9, atol=1e-9)
    times = samples({"nll": (nll, args), "wengert.grad": (df, args), "hand-written gradient": (hand_grad, args)})
    ratios = paired_ratios(times, "hand-written gradient")
    print(f"Gaussian NLL gradient, Z of shape {args[2].shape}; goal: wengert.grad <= {GOAL}x the hand-written one.")
    print("Median of interleaved rounds; indicative only (2 cores, maybe shared).\n")
    print(table(("", "time/call", "vs hand-written"),
                [(k, format_time(sorted(v)[len(v) // 2]), f"{ratios[k]:.2f}x") for k, v in times.items()]))
    print("\nThe generated gradient (wengert.source):\n")
    print(wengert.source(df, *args))
    print(f"Result: wengert.grad / hand-written = {ratios['wengert.grad']:.2f} (goal <= {GOAL})")


if __name__ == "__main__":
    main()
