"""Hessian benchmark: logistic regression, f(w) = mean(log(1 + exp(X w)) - y * (X w)), X of N x D, float64.

For each size: time per call of the closed form X.T @ (p(1-p)[:, None] * X) / N (p = sigmoid(X w)
included), of wengert's generated Hessian (forward over reverse, all D directions at once) and, when
installed (pip install -e '.[bench]'), of jax.jit(jax.hessian), autograd.hessian and PyTorch's
torch.autograd.functional.hessian (plain and vectorize=True); each as a ratio to the closed form (goal:
wengert <= 1.5x at every size). Then wengert's Hessian-vector product against one wengert gradient (goal
<= 3x). Every Hessian is checked against the closed form before it is timed.
Run: make bench (or python benchmarks/hessian.py [--sizes 1000x100,5000x500] [--rounds 9] [--threads 1]).
"""

import argparse
import os
import platform
import sys
from importlib.metadata import version


HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _timing import blas_threads, format_time, per_call, table  # noqa: E402

THREADS = blas_threads(sys.argv[1:])

import numpy as np  # noqa: E402

import wengert  # noqa: E402

SIZES = ((1000, 100), (5000, 500))
CLOSED = "closed form (NumPy)"
WENGERT = "wengert.hessian"
HESSIAN_GOAL = 1.5
HVP_GOAL = 3.0


def logistic_nll(w, X, y):
    z = X @ w
    return np.mean(np.logaddexp(0.0, z) - y * z)


def closed_form(w, X, y):
    """The Hessian by hand: X.T diag(p (1 - p)) X / N."""
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    return X.T @ ((p * (1.0 - p))[:, None] * X) / X.shape[0]


def data(N, D, seed=0):
    rng = np.random.default_rng([seed, N, D])
    X = rng.normal(size=(N, D)) / np.sqrt(D)
    return 0.5 * rng.normal(size=D), X, (rng.random(N) > 0.5).astype(float)


def others(X, y):
    """name -> Hessian function of w (returning something np.asarray accepts), the versions, the missing."""
    found, versions, missing = {}, [], []
    try:
        import jax
        jax.config.update("jax_enable_x64", True)  # float64, like the others
        import jax.numpy as jnp
        jX, jy = jnp.asarray(X), jnp.asarray(y)

        def nll_jax(w, X, y):
            z = X @ w
            return jnp.mean(jnp.logaddexp(0.0, z) - y * z)
        hess = jax.jit(jax.hessian(nll_jax))
        found["jax.jit(jax.hessian)"] = lambda w: jax.block_until_ready(hess(w, jX, jy))
        versions.append(f"jax {version('jax')}")
    except ImportError:
        missing.append("jax")
    try:
        import autograd
        import autograd.numpy as anp

        def nll_autograd(w):
            z = anp.dot(X, w)
            return anp.mean(anp.logaddexp(0.0, z) - y * z)
        found["autograd.hessian"] = autograd.hessian(nll_autograd)
        versions.append(f"autograd {version('autograd')}")
    except ImportError:
        missing.append("autograd")
    try:
        import torch
        from torch.autograd.functional import hessian as torch_hessian
        if THREADS:
            torch.set_num_threads(int(THREADS))
        tX, ty = torch.from_numpy(X), torch.from_numpy(y)

        def nll_torch(w):
            z = tX @ w
            return torch.mean(torch.logaddexp(torch.zeros((), dtype=z.dtype), z) - ty * z)
        found["torch hessian"] = lambda w: torch_hessian(nll_torch, torch.from_numpy(w))
        found["torch hessian, vectorize=True"] = lambda w: torch_hessian(nll_torch, torch.from_numpy(w),
                                                                          vectorize=True)
        versions.append(f"torch {version('torch')} (threads: {torch.get_num_threads()})")
    except ImportError:
        missing.append("torch")
    return found, versions, missing


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default=",".join(f"{n}x{d}" for n, d in SIZES), help="NxD,NxD,...")
    ap.add_argument("--rounds", type=int, default=None, help="interleaved timing rounds (default: by size)")
    ap.add_argument("--threads", default=None, help="BLAS (and PyTorch) threads; on a busy machine 1 avoids "
                    "threads waiting on each other (JAX keeps its own pool)")
    opts = ap.parse_args()
    sizes = [tuple(int(k) for k in s.split("x")) for s in opts.sizes.split(",")]

    hessian = wengert.hessian(logistic_nll, wrt="w")
    hvp = wengert.hvp(logistic_nll, wrt="w")
    grad = wengert.grad(logistic_nll, wrt="w")
    _, versions, missing = others(*data(4, 2)[1:])
    print("Logistic-regression Hessian: f(w) = mean(logaddexp(0, X w) - y * X w), w.r.t. w; float64")
    print(f"Python {platform.python_version()}, NumPy {np.__version__}, {', '.join(versions) or 'no other AD'}; "
          f"{os.cpu_count()} cores, BLAS threads {THREADS or 'default'}, load average {', '.join(f'{a:.1f}' for a in os.getloadavg())}. "
          "Median of interleaved rounds; indicative only.")
    if os.getloadavg()[0] > (os.cpu_count() or 1):
        print("The machine is busy (load average above the core count): every ratio is noisy"
              + ("." if THREADS else "; threaded BLAS suffers most (try --threads 1)."))
    print(f"Goals: wengert Hessian <= {HESSIAN_GOAL}x the closed form X.T @ (p(1-p)[:, None] * X) / N at every "
          f"size; hvp <= {HVP_GOAL}x one gradient.\n")

    all_times, hvp_rows, met = {}, [], []
    for N, D in sizes:
        w, X, y = data(N, D)
        expected = closed_form(w, X, y)
        found, _, _ = others(X, y)
        candidates = {CLOSED: (closed_form, (w, X, y)), WENGERT: (hessian, (w, X, y))}
        candidates.update({name: (fn, (w,)) for name, fn in found.items()})
        for name, (fn, args) in candidates.items():  # every candidate computes the same Hessian
            assert np.allclose(np.asarray(fn(*args)), expected, rtol=1e-9, atol=1e-12), (name, N, D)
        rounds = opts.rounds or (15 if N * D <= 10 ** 5 else 5)
        all_times[N, D] = per_call(candidates, rounds=rounds)

        v = np.random.default_rng(1).normal(size=D)
        assert np.allclose(hvp(w, X, y, v), expected @ v, rtol=1e-9, atol=1e-12)
        t = per_call({"grad": (grad, (w, X, y)), "hvp": (hvp, (w, X, y, v))}, rounds=15)
        hvp_rows.append((f"{N}x{D}", format_time(t["grad"]), format_time(t["hvp"]), f"{t['hvp'] / t['grad']:.2f}x"))
        met.append(all_times[N, D][WENGERT] / all_times[N, D][CLOSED] <= HESSIAN_GOAL)
        met.append(t["hvp"] / t["grad"] <= HVP_GOAL)

    names = list(next(iter(all_times.values())))
    rows = []
    for name in names:
        row = [name]
        for key in all_times:
            seconds = all_times[key][name]
            ratio = seconds / all_times[key][CLOSED]
            row.append(f"{format_time(seconds)} ({ratio:.{2 if ratio < 10 else 0}f}x)")
        rows.append(row)
    print(table(("Hessian: time/call (vs closed form)",) + tuple(f"N x D = {n}x{d}" for n, d in all_times), rows))
    print()
    print(table(("Hessian-vector product", "wengert.grad", "wengert.hvp", "hvp / grad"), hvp_rows))
    wengert_ratios = ", ".join(f"{all_times[k][WENGERT] / all_times[k][CLOSED]:.2f}x" for k in all_times)
    print(f"\nGoal (wengert Hessian <= {HESSIAN_GOAL}x the closed form at every size; hvp <= {HVP_GOAL}x grad): "
          f"{'met' if all(met) else 'NOT met'} (Hessian {wengert_ratios})")
    if missing:
        print(f"not installed: {', '.join(missing)} (pip install -e '.[bench]')")
    w, X, y = data(8, 3)
    print("\nThe generated Hessian:\n")
    print(wengert.source(hessian, w, X, y))


if __name__ == "__main__":
    main()
