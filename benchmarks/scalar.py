"""Scalar benchmark: the lecture's f(x1, x2) = log(x1) + x1*x2 - sin(x2) at (2, 5).

Time per call of f, of its wengert gradient, of a hand-written gradient and, when
installed (pip install -e '.[bench]'), of JAX, autograd and PyTorch; and the time
wengert takes to turn f's source into a gradient function. Run: make bench
"""

import math
import os
import platform
import sys
from importlib.metadata import version

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "examples"))

import wengert  # noqa: E402
from wengert.compile import _cache as compiled_sources  # noqa: E402
from _timing import format_time, once, per_call, ratio_table  # noqa: E402
from lecture import f  # noqa: E402

X = (2.0, 5.0)
GOALS = "grad <= 2x f; compile <= 20 ms"


def hand_grad(x1, x2):
    return 1 / x1 + x2, x1 - math.cos(x2)


def candidates():
    """name -> (fn, args), versions, missing: the optional libraries only when they import."""
    found = {"f": (f, X), "wengert.grad": (wengert.grad(f), X),
             "wengert.value_and_grad": (wengert.value_and_grad(f), X), "hand-written grad": (hand_grad, X)}
    versions, missing = [], []
    try:
        import jax
        import jax.numpy as jnp
        jax.config.update("jax_enable_x64", True)  # float64, like the others

        jit_grad = jax.jit(jax.grad(lambda x1, x2: jnp.log(x1) + x1 * x2 - jnp.sin(x2), argnums=(0, 1)))
        found["jax.jit(jax.grad)"] = (lambda a, b: jax.block_until_ready(jit_grad(a, b)),
                                      tuple(jnp.asarray(x) for x in X))
        versions.append(f"jax {version('jax')}")
    except ImportError:
        missing.append("jax")
    try:
        import autograd
        import autograd.numpy as anp

        found["autograd.grad"] = (autograd.grad(lambda x1, x2: anp.log(x1) + x1 * x2 - anp.sin(x2),
                                                argnum=(0, 1)), X)
        versions.append(f"autograd {version('autograd')}")
    except ImportError:
        missing.append("autograd")
    try:
        import torch

        def torch_grad(x1, x2):
            y = torch.log(x1) + x1 * x2 - torch.sin(x2)
            return torch.autograd.grad(y, (x1, x2))

        found["torch forward+backward"] = (torch_grad, tuple(torch.tensor(x, dtype=torch.float64,
                                                                          requires_grad=True) for x in X))
        versions.append(f"torch {version('torch')}")
    except ImportError:
        missing.append("torch")
    return found, versions, missing


def main():
    found, versions, missing = candidates()
    for name, (fn, args) in found.items():  # every gradient agrees with the hand-written one
        if name != "f":
            result = fn(*args)
            grad = result[1] if name == "wengert.value_and_grad" else result
            assert all(math.isclose(float(g), h) for g, h in zip(grad, hand_grad(*X))), name
    print(f"Scalar benchmark: f(x1, x2) = log(x1) + x1*x2 - sin(x2) at {X}")
    print(f"Python {platform.python_version()}, {', '.join([f'wengert {wengert.__version__}'] + versions)}")
    print(f"Goals: {GOALS}. Median of interleaved rounds; indicative only (2 cores, maybe shared).\n")
    if missing:
        print(f"Not installed: {', '.join(missing)} (pip install -e '.[bench]' adds them).\n")
    times = per_call(found)
    print(ratio_table(times, "f"))
    compile_time = once(lambda: wengert.grad(f), setup=compiled_sources.clear)
    print(f"\nwengert compile (source -> grad callable, uncached, median of 20): {format_time(compile_time)}")
    print(f"Result: grad/f = {times['wengert.grad'] / times['f']:.2f} (goal <= 2), "
          f"compile = {compile_time * 1e3:.1f} ms (goal <= 20 ms)")


if __name__ == "__main__":
    main()
