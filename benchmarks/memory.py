"""Long loops in bounded memory: peak memory and time of the Elman RNN gradient (H = 64, D = 32) for
T = 10^3, 10^4, 10^5 steps (issue 17).

Candidates: wengert's default tape (one hidden state per step, the rows for the weights' products multiplied
every 128 steps), wengert with checkpoint=True (two levels: about 2 sqrt(T) states, each step run twice) and
checkpoint=N (binomial schedule, at most N states, the fewest steps run again), a hand-written BPTT that keeps
every hidden state, and, when JAX is installed, jax.checkpoint around the step of a lax.scan (jit; JAX allocates
outside tracemalloc, so only its time is shown).

Peak memory: tracemalloc's peak during one call, minus what was allocated before it (the inputs are not
counted). Time: median of interleaved rounds (benchmarks/_timing.py), CPU seconds with --clock cpu.
Run: make bench (or python benchmarks/memory.py [--steps 1000,10000,100000] [--snapshots 20] [--threads 1]).
"""

import argparse
import os
import platform
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _timing import blas_threads, format_time, samples, table  # noqa: E402

THREADS = blas_threads(sys.argv[1:])

import numpy as np  # noqa: E402

import wengert  # noqa: E402
# the RNN, the hand-written BPTT and the peak measure of benchmarks/rnn.py
from rnn import D, H, data, hand_written, peak_extra_bytes, rnn  # noqa: E402

STEPS = (1_000, 10_000, 100_000)


def jax_checkpointed():
    """jax.grad of the RNN with jax.checkpoint around the scan's step (jit), or None without JAX."""
    try:
        import jax
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    def loss(Wh, Wx, h0, xs):
        @jax.checkpoint
        def step(h, x):
            return jnp.tanh(Wh @ h + Wx @ x), None
        h, _ = jax.lax.scan(step, h0, xs)
        return jnp.sum(h * h)
    grad = jax.jit(jax.grad(loss, argnums=(0, 1)))
    return lambda Wh, Wx, h0, xs: jax.block_until_ready(grad(Wh, Wx, h0, xs))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", default=",".join(map(str, STEPS)))
    ap.add_argument("--snapshots", type=int, default=20, help="N of checkpoint=N")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", default=None, help="BLAS threads")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    opts = ap.parse_args()
    steps = [int(s) for s in opts.steps.split(",")]
    clock = time.process_time if opts.clock == "cpu" else time.perf_counter

    grads = {"wengert default": wengert.grad(rnn, wrt=("Wh", "Wx")),
             "checkpoint=True": wengert.grad(rnn, wrt=("Wh", "Wx"), checkpoint=True),
             f"checkpoint={opts.snapshots}": wengert.grad(rnn, wrt=("Wh", "Wx"), checkpoint=opts.snapshots),
             "hand-written BPTT": hand_written}
    jax_grad = jax_checkpointed()
    if jax_grad is not None:
        grads["jax.checkpoint(step), lax.scan"] = jax_grad
    threads = THREADS or os.environ.get("OPENBLAS_NUM_THREADS") or "default"
    print(f"Long loops: Elman RNN gradient w.r.t. Wh, Wx; H = {H}, D = {D}, float64. Python "
          f"{platform.python_version()}, NumPy {np.__version__}; BLAS threads: {threads}; {opts.clock} clock, "
          f"median of {opts.rounds} interleaved rounds.")
    print("Goals (issue 17): default peak <= 1.5x hand-written; checkpoint=True peak >= 10x below the default, "
          "time <= 2.5x.\n")
    rows = []
    for T in steps:
        args = data(T)
        expected = hand_written(*args)
        for name, fn in grads.items():  # every candidate computes the same gradient
            for got, e in zip(fn(*args), expected):
                assert np.allclose(np.asarray(got), e, rtol=1e-9, atol=1e-12), (name, T)
        peaks = {name: None if name.startswith("jax") else peak_extra_bytes(fn, args) for name, fn in grads.items()}
        times = samples({name: (fn, args) for name, fn in grads.items()}, rounds=opts.rounds, target=0.0,
                        clock=clock)
        times = {name: sorted(s)[len(s) // 2] for name, s in times.items()}
        base_peak, base_time = peaks["wengert default"], times["wengert default"]
        for name in grads:
            peak = peaks[name]
            rows.append((f"T={T:,}" if name == "wengert default" else "", name,
                         "-" if peak is None else f"{peak / 2 ** 20:.2f} MiB",
                         "-" if peak is None else f"{peak / base_peak:.3f}x",
                         format_time(times[name]), f"{times[name] / base_time:.2f}x"))
    print(table(("steps", "gradient", "peak memory", "vs default", "time", "vs default"), rows))
    if jax_grad is None:
        print("\nJAX is not installed: jax.checkpoint is not compared (pip install -e '.[bench]').")
    else:
        print("\nJAX allocates outside tracemalloc: its peak memory is not measured here.")


if __name__ == "__main__":
    main()
