"""The lecture MLP's gradient: wengert vs the hand-written NumPy gradient (and autograd, JAX, PyTorch
when the bench extra is installed). Prints medians of interleaved rounds and ratios to the
hand-written gradient. Run: make bench (or python benchmarks/mlp.py [--sizes iris,medium,large]).
"""
import argparse
import os
import platform
import statistics
import sys
import time

import numpy as np

import importlib.util

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import wengert  # noqa: E402
from wengert.compile import _cache as compiled_sources  # noqa: E402
from _timing import format_time, once, paired_ratios, samples, table  # noqa: E402

_spec = importlib.util.spec_from_file_location("lecture_mlp", os.path.join(HERE, "..", "examples", "mlp.py"))
lecture_mlp = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lecture_mlp)
cost, gradients = lecture_mlp.cost, lecture_mlp.gradients

SIZES = {"iris": (150, 3, 16, 3), "medium": (10_000, 100, 256, 10), "large": (100_000, 784, 512, 10)}


def data(N, D, M, C, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, D))
    Y = np.eye(C)[rng.integers(0, C, N)]
    return X, Y, rng.normal(scale=0.1, size=(M, C)), rng.normal(scale=0.1, size=(D, M))


def optional(X, Y, W, V):
    """name -> (fn, args) for the AD systems that are installed; and the names of the missing ones."""
    found, missing = {}, []
    try:
        import autograd
        import autograd.numpy as anp

        def cost_ag(W, V):
            Z = 1 / (1 + anp.exp(-anp.dot(X, V)))
            U = anp.dot(Z, W)
            Umax = anp.max(U, axis=1, keepdims=True)
            lse = Umax[:, 0] + anp.log(anp.sum(anp.exp(U - Umax), axis=1))
            return -anp.mean(anp.sum(U * Y, 1) - lse)
        found["autograd"] = (autograd.grad(cost_ag, argnum=(0, 1)), (W, V))
    except ImportError:
        missing.append("autograd")
    try:
        import jax
        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp

        def cost_jax(W, V, X, Y):
            Z = 1 / (1 + jnp.exp(-jnp.dot(X, V)))
            U = jnp.dot(Z, W)
            Umax = jnp.max(U, axis=1, keepdims=True)
            lse = Umax[:, 0] + jnp.log(jnp.sum(jnp.exp(U - Umax), axis=1))
            return -jnp.mean(jnp.sum(U * Y, 1) - lse)
        jgrad = jax.jit(jax.grad(cost_jax, argnums=(0, 1)))
        jargs = tuple(jnp.asarray(a) for a in (W, V, X, Y))
        found["jax.jit(grad)"] = (lambda *a: jax.block_until_ready(jgrad(*a)), jargs)
    except ImportError:
        missing.append("jax")
    try:
        import torch
        torch.set_num_threads(os.cpu_count())
        tX, tY = torch.from_numpy(X), torch.from_numpy(Y)

        def torch_grad(W, V):
            W = torch.from_numpy(W).requires_grad_()
            V = torch.from_numpy(V).requires_grad_()
            Z = torch.sigmoid(tX @ V)
            U = Z @ W
            loss = -torch.mean(torch.sum(U * tY, 1) - torch.logsumexp(U, 1))
            return torch.autograd.grad(loss, (W, V))
        found["pytorch"] = (torch_grad, (W, V))
    except ImportError:
        missing.append("torch")
    return found, missing


def compile_time(clock):
    def fresh():
        compiled_sources.clear()
    X, Y, W, V = data(*SIZES["iris"])
    return once(lambda: wengert.grad(cost, wrt=("W", "V"))(X, Y, W, V), fresh, clock=clock)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="iris,medium,large")
    ap.add_argument("--rounds", type=int, default=None)
    ap.add_argument("--no-others", action="store_true",
                    help="time only the hand-written gradient, wengert's and the cost (no autograd, JAX, PyTorch: "
                         "steadier on a busy machine, where PyTorch's spinning threads slow what runs next)")
    opts = ap.parse_args()
    print("MLP gradient benchmark (lecture cost, w.r.t. W and V), float64")
    print(f"Python {platform.python_version()}, NumPy {np.__version__}, {os.cpu_count()} cores. "
          "Goal: wengert <= 1.05x hand-written; compile <= 50 ms.")
    grad = wengert.grad(cost, wrt=("W", "V"))
    missing = []
    for size in opts.sizes.split(","):
        N, D, M, C = SIZES[size]
        X, Y, W, V = data(N, D, M, C)
        dW, dV = grad(X, Y, W, V)
        hW, hV = gradients(X, Y, W, V)
        assert np.allclose(dW, hW) and np.allclose(dV, hV), "wengert disagrees with the hand-written gradient"
        candidates = {"hand-written": (gradients, (X, Y, W, V)), "wengert": (grad, (X, Y, W, V)),
                      "cost (f)": (cost, (X, Y, W, V))}
        if not opts.no_others:
            extra, missing = optional(X, Y, W, V)
            candidates.update(extra)
        # Rounds of a few milliseconds at Iris size: a busy spell of the machine then lasts several rounds
        # of every candidate alike, where 20 ms rounds let it land on one candidate's whole measurement.
        rounds = opts.rounds or (101 if N <= 1_000 else 15 if N <= 10_000 else 5)
        target = 0.002 if N <= 1_000 else 0.02 if N <= 10_000 else 0.0
        runs = samples(candidates, rounds=rounds, target=target)
        ratios = paired_ratios(runs, "hand-written")
        print(f"\n{size}: N={N}, D={D}, M={M}, C={C} ({rounds} interleaved rounds, median; "
              "ratio: median of the rounds' ratios)")
        print(table(("", "time/call", "vs hand-written"),
                    [(name, format_time(statistics.median(t)), f"{ratios[name]:.2f}x") for name, t in runs.items()]))
    wall, cpu = compile_time(time.perf_counter), compile_time(time.process_time)
    print(f"\nwengert compile (parse + differentiate + emit + compile, uncached, first call included): "
          f"{wall * 1e3:.1f} ms ({cpu * 1e3:.1f} ms CPU)")
    if missing:
        print(f"not installed: {', '.join(missing)} (pip install -e '.[bench]')")


if __name__ == "__main__":
    main()
