"""Loop benchmark: an Elman RNN, h = tanh(Wh @ h + Wx @ x_t), over T = 10 ... 10000 steps.

For each T: time of the primal, of wengert's generated gradient w.r.t. Wh and Wx and their ratio
(goal <= 3x, the cheap-gradient bound); the extra memory one gradient call allocates at its peak
(tracemalloc, inputs excluded) relative to one hidden state per step, H * 8 bytes * T (the stack holds
exactly that, plus list and array headers; the reverse sweep collects the popped states and a cotangent
per step as rows for the weight gradients, multiplied and cleared every 128 steps: a bounded extra);
benchmarks/memory.py compares it with checkpointing; and the length of the printed gradient source, which must not depend
on T (the loop stays a loop). autograd, PyTorch and JAX (lax.scan) when installed.
Run: make bench (or python benchmarks/rnn.py [--steps 10,100,1000,10000] [--rounds 5] [--threads 1]).
"""

import argparse
import gc
import os
import platform
import sys
import tracemalloc
from importlib.metadata import version

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _timing import blas_threads, format_time, once, per_call, table  # noqa: E402

THREADS = blas_threads(sys.argv[1:])

import numpy as np  # noqa: E402

import wengert  # noqa: E402
from wengert.compile import _cache as compiled_sources  # noqa: E402

H, D = 64, 32
STEPS = (10, 100, 1000, 10000)
MAIN = ("primal", "wengert", "hand-written BPTT")


def rnn(Wh, Wx, h0, xs):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(Wh @ h + Wx @ xs[t])
    return np.sum(h * h)


def hand_written(Wh, Wx, h0, xs):
    """Backpropagation through time as one would write it by hand: keep every state, then walk back."""
    hs = [h0]
    for t in range(xs.shape[0]):
        hs.append(np.tanh(Wh @ hs[-1] + Wx @ xs[t]))
    dWh, dWx, dh = np.zeros_like(Wh), np.zeros_like(Wx), 2 * hs[-1]
    for t in reversed(range(xs.shape[0])):
        da = dh * (1 - hs[t + 1] ** 2)
        dWh += np.outer(da, hs[t])
        dWx += np.outer(da, xs[t])
        dh = da @ Wh
    return dWh, dWx


def data(T, seed=0):
    rng = np.random.default_rng(seed)
    return (0.1 * rng.normal(size=(H, H)), 0.1 * rng.normal(size=(H, D)), rng.normal(size=H),
            rng.normal(size=(T, D)))


def others(h0, xs):
    """name -> gradient function of (Wh, Wx), for the libraries that import; and the missing names."""
    found, missing = {}, []
    try:
        import autograd
        import autograd.numpy as anp

        def rnn_ag(Wh, Wx):
            h = h0
            for t in range(xs.shape[0]):
                h = anp.tanh(anp.dot(Wh, h) + anp.dot(Wx, xs[t]))
            return anp.sum(h * h)
        found["autograd"] = (autograd.grad(rnn_ag, argnum=(0, 1)), lambda a: a)
    except ImportError:
        missing.append("autograd")
    try:
        import torch
        th0, txs = torch.from_numpy(h0), torch.from_numpy(xs)

        def torch_grad(Wh, Wx):
            Wh = torch.from_numpy(Wh).requires_grad_()
            Wx = torch.from_numpy(Wx).requires_grad_()
            h = th0
            for t in range(txs.shape[0]):
                h = torch.tanh(Wh @ h + Wx @ txs[t])
            return torch.autograd.grad(torch.sum(h * h), (Wh, Wx))
        found["pytorch"] = (torch_grad, lambda a: a)
    except ImportError:
        missing.append("torch")
    try:
        import jax
        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp

        def rnn_jax(Wh, Wx, h0, xs):
            def step(h, x):
                return jnp.tanh(Wh @ h + Wx @ x), None
            h, _ = jax.lax.scan(step, h0, xs)
            return jnp.sum(h * h)
        jgrad = jax.jit(jax.grad(rnn_jax, argnums=(0, 1)))
        jh0, jxs = jnp.asarray(h0), jnp.asarray(xs)
        found["jax.jit(grad), lax.scan"] = (lambda Wh, Wx: jax.block_until_ready(jgrad(Wh, Wx, jh0, jxs)),
                                            lambda a: tuple(jnp.asarray(x) for x in a))
    except ImportError:
        missing.append("jax")
    return found, missing


def peak_extra_bytes(fn, args):
    """Peak bytes allocated during fn(*args) beyond what was allocated before the call (NumPy reports
    its buffers to tracemalloc; PyTorch and JAX allocate outside it, so they are not measured)."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        result = fn(*args)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del result
    return peak - before


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", default=",".join(map(str, STEPS)))
    ap.add_argument("--rounds", type=int, default=None, help="interleaved timing rounds (default: by T)")
    ap.add_argument("--threads", default=None, help="BLAS threads; on a busy machine 1 avoids oversubscription "
                    "(the product after the loop is the only call large enough to be split)")
    opts = ap.parse_args()
    steps = [int(s) for s in opts.steps.split(",")]

    grad = wengert.grad(rnn, wrt=("Wh", "Wx"))
    _, missing = others(*data(2)[2:])
    versions = [f"{name} {version(name)}" for name in ("autograd", "torch", "jax") if name not in missing]
    print(f"Elman RNN benchmark: h = tanh(Wh @ h + Wx @ x_t), loss = sum(h_T^2); gradient w.r.t. Wh, Wx; "
          f"H = {H}, D = {D}, float64")
    threads = THREADS or os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS") or "default"
    print(f"Python {platform.python_version()}, NumPy {np.__version__}, {', '.join(versions) or 'no other AD'}; "
          f"{os.cpu_count()} cores, BLAS threads: {threads}. Median of interleaved rounds; indicative only.")
    print("Goals: grad <= 3x primal; stack = one hidden state (H floats) per step (with the array headers and the "
          "rows gathered for the weight gradients, about 1.25 in all at T = 10000); source length independent of T.\n")

    rows, speed_rows, sources = [], [], {}
    for T in steps:
        args = data(T)
        Wh, Wx, h0, xs = args
        found, _ = others(h0, xs)
        wengert_grad = grad(*args)
        for mine, hand in zip(wengert_grad, hand_written(*args)):
            assert np.allclose(mine, hand, rtol=1e-10, atol=1e-14), ("hand-written", T)
        for name, (fn, convert) in found.items():  # every library computes the same gradient
            theirs = fn(*convert((Wh, Wx)))
            for mine, other in zip(wengert_grad, theirs):
                assert np.allclose(mine, np.asarray(other), rtol=1e-8, atol=1e-12), (name, T)
        candidates = {"primal": (rnn, args), "wengert": (grad, args), "hand-written BPTT": (hand_written, args)}
        candidates.update({name: (fn, convert((Wh, Wx))) for name, (fn, convert) in found.items()})
        rounds = opts.rounds or (15 if T <= 100 else 7 if T <= 1000 else 3)
        times = per_call(candidates, rounds=rounds, target=0.02 if T <= 1000 else 0.0)

        stack_unit = H * 8 * T
        extra = peak_extra_bytes(grad, args)
        extra_ag = peak_extra_bytes(found["autograd"][0], (Wh, Wx)) if "autograd" in found else None
        text = wengert.source(grad, *args)
        sources[T] = text
        rows.append((T, format_time(times["primal"]), format_time(times["wengert"]),
                     f"{times['wengert'] / times['primal']:.2f}x",
                     f"{times['hand-written BPTT'] / times['primal']:.2f}x",
                     f"{extra / 1024:.0f} KiB", f"{extra / stack_unit:.2f}",
                     "-" if extra_ag is None else f"{extra_ag / stack_unit:.1f}", len(text)))
        speed_rows.append((T,) + tuple(f"{format_time(t)} ({t / times['primal']:.1f}x)"
                                       for name, t in times.items() if name not in MAIN))
        other_names = [name for name in times if name not in MAIN]

    print(table(("T", "primal", "wengert grad", "grad/primal", "hand-written/primal", "peak extra", "/ (H*8*T)", "autograd / (H*8*T)",
                 "source chars"), rows))
    if speed_rows and other_names:
        print("\nOther AD systems, gradient w.r.t. Wh, Wx (time per call, and vs the primal):")
        print(table(("T",) + tuple(other_names), speed_rows))
    same = len(set(sources.values())) == 1
    print(f"\nPrinted gradient source identical for every T: {'yes' if same else 'NO'} "
          f"({len(next(iter(sources.values())))} characters)")
    compile_time = once(lambda: wengert.grad(rnn, wrt=("Wh", "Wx"))(*data(3)), setup=compiled_sources.clear, repeat=5)
    print(f"wengert compile (parse + differentiate + emit + compile, uncached): {compile_time * 1e3:.1f} ms")
    if missing:
        print(f"not installed: {', '.join(missing)} (pip install -e '.[bench]')")
    print("\nThe generated gradient (the same for every T):\n")
    print(next(iter(sources.values())))


if __name__ == "__main__":
    main()
