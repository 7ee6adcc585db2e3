"""GradBench / ADBench problems side by side: wengert, autograd, jax.jit and PyTorch on the same objectives.

Each problem in benchmarks/problems/ is one plain NumPy objective. autograd and JAX run the very same source,
loaded again with `np` bound to autograd.numpy or jax.numpy; PyTorch runs it with `np` bound to a thin
namespace of torch functions (TorchNumPy below). Every derivative is timed in one run, in interleaved rounds,
and printed as a ratio to the NumPy objective (median of the rounds' ratios); before timing, every library's
derivative is checked against wengert's. The goals of issue #16 are printed next to the figures.

What is timed, by problem kind (benchmarks/problems/__init__.py):
  grad        the gradient w.r.t. WRT
  grad_hdiag  the gradient and the Hessian's diagonal (kmeans: H @ ones by a Hessian-vector product;
              jax computes both in one jvp of the gradient, PyTorch by double backward)
  jac_rows    the Jacobian blocks of a row-wise residual: two gradients, of sum(err * e0) and sum(err * e1)
  jacobian    a dense Jacobian, forward mode (jacfwd; wengert's vector mode pushes all directions at once)

Run: make bench (or python benchmarks/problems.py [--large] [--only gmm,kmeans] [--rounds 5] [--threads 1]).
"""

import argparse
import importlib.util
import os
import platform
import statistics
import sys
import time
import types
from importlib.metadata import version

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _timing import blas_threads, format_time, once, paired_ratios, samples, table  # noqa: E402

THREADS = blas_threads(sys.argv[1:])

import numpy as np  # noqa: E402

import wengert  # noqa: E402
from problems import NAMES  # noqa: E402

VECTORIZED = ("lse", "gmm", "kmeans", "ba", "lstm")  # the goal: wengert within 4x of the objective
PEERS = ("autograd", "jax.jit", "pytorch")
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
SLOW = 5.0  # seconds: a derivative whose first call takes longer is timed over two calls, not in rounds


def load(name, numpy_like):
    """The problem's module, loaded afresh with `np` bound to numpy_like (its functions read np at call time)."""
    path = os.path.join(HERE, "problems", f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"problems_{name}_{id(numpy_like)}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.np = numpy_like
    return module


class TorchNumPy(types.SimpleNamespace):
    """The NumPy functions the problems call, as PyTorch functions (only what the objectives use)."""

    def __init__(self, torch):
        super().__init__(**{n: getattr(torch, n) for n in ("exp", "log", "sqrt", "sin", "cos", "tanh",
                                                             "ones_like", "zeros_like")})
        self.torch = torch

    def sum(self, x, axis=None, keepdims=False):
        return self.torch.sum(x) if axis is None else self.torch.sum(x, dim=axis, keepdim=keepdims)

    def max(self, x, axis=None, keepdims=False):
        return self.torch.amax(x) if axis is None else self.torch.amax(x, dim=axis, keepdim=keepdims)

    def min(self, x, axis=None, keepdims=False):
        return self.torch.amin(x) if axis is None else self.torch.amin(x, dim=axis, keepdim=keepdims)

    def concatenate(self, xs, axis=0):
        return self.torch.cat(xs, dim=axis)

    def stack(self, xs, axis=0):
        return self.torch.stack(xs, dim=axis)

    def transpose(self, x, axes):
        return x.permute(*axes)


def objective_of(module, large):
    return getattr(module, "objective_large", module.objective) if large else module.objective


def positions(fn, wrt):
    names = fn.__code__.co_varnames[:fn.__code__.co_argcount]
    return tuple(names.index(w) for w in wrt)


def selectors(args):
    """The two output columns of a row-wise residual with two columns (ba): e0, e1."""
    return np.array([1.0, 0.0]), np.array([0.0, 1.0])


def as_tuple(result):
    return result if isinstance(result, tuple) else (result,)


def wengert_derivative(module, large, args):
    """name of what is computed, and a function of the problem's arguments returning a tuple of arrays."""
    f = objective_of(module, large)
    if module.KIND == "grad":
        g = wengert.grad(f, wrt=module.WRT)
        return lambda *a: as_tuple(g(*a))
    if module.KIND == "grad_hdiag":
        g, hv = wengert.grad(f, wrt=module.WRT), wengert.hvp(f, wrt=module.WRT)
        i = positions(f, module.WRT)[0]
        return lambda *a: as_tuple(g(*a)) + as_tuple(hv(*a, np.ones_like(a[i])))
    if module.KIND == "jac_rows":
        g = wengert.grad(module.selected, wrt=module.WRT)
        e0, e1 = selectors(args)
        return lambda *a: as_tuple(g(*a, e0)) + as_tuple(g(*a, e1))
    if module.KIND == "jacobian":
        j = wengert.jacobian(f, wrt=module.WRT[0], mode="forward")
        return lambda *a: (j(*a),)
    raise ValueError(module.KIND)


def autograd_derivative(name, large, args):
    import autograd
    import autograd.numpy as anp
    module = load(name, anp)
    f = objective_of(module, large)
    idx = positions(f, module.WRT)
    if module.KIND == "grad":
        return autograd.grad(f, argnum=idx)
    if module.KIND == "grad_hdiag":
        g = autograd.grad(f, argnum=idx[0])
        hv = autograd.grad(lambda *a: anp.sum(g(*a[:-1]) * a[-1]), argnum=idx[0])
        return lambda *a: (g(*a), hv(*a, np.ones_like(a[idx[0]])))
    if module.KIND == "jac_rows":
        g = autograd.grad(module.selected, argnum=idx)
        e0, e1 = selectors(args)
        return lambda *a: g(*a, e0) + g(*a, e1)
    if module.KIND == "jacobian":
        j = autograd.jacobian(f, argnum=idx[0])
        return lambda *a: (j(*a),)
    raise ValueError(module.KIND)


def jax_derivative(name, large, args):
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    module = load(name, jnp)
    f = objective_of(module, large)
    idx = positions(f, module.WRT)
    static = tuple(i for i, a in enumerate(args) if isinstance(a, int))  # loop counts: unrolled by tracing
    if module.KIND == "grad":
        fn = jax.jit(jax.grad(f, argnums=idx), static_argnums=static)
    elif module.KIND == "grad_hdiag":
        i = idx[0]
        g = jax.grad(f, argnums=i)

        def both(*a):
            rest = lambda x: g(*a[:i], x, *a[i + 1:])  # noqa: E731
            return jax.jvp(rest, (a[i],), (jnp.ones_like(a[i]),))
        fn = jax.jit(both, static_argnums=static)
    elif module.KIND == "jac_rows":
        g = jax.jit(jax.grad(module.selected, argnums=idx), static_argnums=static)
        e0, e1 = (jnp.asarray(e) for e in selectors(args))

        def fn(*a):
            return g(*a, e0) + g(*a, e1)
    elif module.KIND == "jacobian":
        j = jax.jit(jax.jacfwd(f, argnums=idx[0]), static_argnums=static)

        def fn(*a):
            return (j(*a),)
    else:
        raise ValueError(module.KIND)
    return lambda *a: jax.block_until_ready(fn(*a))


def torch_derivative(name, large, args):
    import torch
    module = load(name, TorchNumPy(torch))
    f = objective_of(module, large)
    idx = positions(f, module.WRT)

    def leaves(a):
        a = list(a)
        for i in idx:
            a[i] = a[i].detach().requires_grad_()
        return a, [a[i] for i in idx]

    if module.KIND == "grad":
        def fn(*a):
            a, xs = leaves(a)
            return torch.autograd.grad(f(*a), xs)
    elif module.KIND == "grad_hdiag":
        def fn(*a):
            a, xs = leaves(a)
            g, = torch.autograd.grad(f(*a), xs, create_graph=True)
            hv, = torch.autograd.grad(g, xs, grad_outputs=torch.ones_like(g))
            return g, hv
    elif module.KIND == "jac_rows":
        e0, e1 = (torch.from_numpy(e) for e in selectors(args))

        def fn(*a):
            a, xs = leaves(a)
            return torch.autograd.grad(module.selected(*a, e0), xs) + \
                torch.autograd.grad(module.selected(*a, e1), xs)
    elif module.KIND == "jacobian":
        j = torch.func.jacfwd(f, argnums=idx[0])

        def fn(*a):
            return (j(*a),)
    else:
        raise ValueError(module.KIND)
    return fn


def convert(library, args):
    if library == "jax.jit":
        import jax.numpy as jnp
        return tuple(jnp.asarray(a) if isinstance(a, np.ndarray) else a for a in args)
    if library == "pytorch":
        import torch
        return tuple(torch.from_numpy(a) if isinstance(a, np.ndarray) else a for a in args)
    return args


def installed():
    found = []
    for library, module in (("autograd", "autograd"), ("jax.jit", "jax"), ("pytorch", "torch")):
        try:
            importlib.import_module(module)
            found.append(library)
        except ImportError:
            pass
    return found


BUILDERS = {"autograd": autograd_derivative, "jax.jit": jax_derivative, "pytorch": torch_derivative}


def agree(mine, theirs):
    """Largest relative difference between two tuples of arrays (scaled by the largest entry of each)."""
    worst = 0.0
    for a, b in zip(mine, theirs):
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        if a.shape != b.shape:
            return float("inf")
        worst = max(worst, float(np.max(np.abs(a - b), initial=0.0)) / max(1e-300, float(np.max(np.abs(a)))))
    return worst


def run_problem(name, libraries, large, rounds, target, jax_loops=False, clock=time.perf_counter):
    """One row: the objective's time, and per library the ratio (or why there is none)."""
    module = load(name, np)
    args = module.data(large)
    f = objective_of(module, large)
    cells, candidates, notes = {}, {"objective": (f, args)}, []
    first, slow = {}, {}
    try:
        start = time.perf_counter()
        mine = wengert_derivative(module, large, args)
        reference = mine(*args)
        first["wengert"] = time.perf_counter() - start
        candidates["wengert"] = (mine, args)
    except wengert.WengertError as error:
        reference = None
        cells["wengert"] = "refused"
        notes.append(f"wengert refused {name}: {str(error).splitlines()[0]}")
    for library in libraries:
        if library == "jax.jit" and getattr(module, "JAX_TRACE_UNROLLS", False) and not jax_loops:
            cells[library] = "skipped"
            continue
        try:
            start = time.perf_counter()
            theirs = BUILDERS[library](name, large, args)
            their_args = convert(library, args)
            result = theirs(*their_args)
            first[library] = time.perf_counter() - start
        except Exception as error:  # a peer that cannot run this objective: say so, time the rest
            cells[library] = "failed"
            notes.append(f"{library} failed on {name}: {type(error).__name__}: {str(error).splitlines()[0][:120]}")
            continue
        if reference is not None:
            difference = agree(reference, [np.asarray(r.detach() if hasattr(r, "detach") else r) for r in result])
            if not difference <= 1e-6:
                cells[library] = "DISAGREES"
                notes.append(f"{library} disagrees with wengert on {name}: relative difference {difference:.2g}")
                continue
        if first[library] > SLOW:
            slow[library] = (theirs, their_args)
        else:
            candidates[library] = (theirs, their_args)
    times = samples(candidates, rounds=rounds, target=target, clock=clock)
    ratios = paired_ratios(times, "objective")
    for label in candidates:
        if label != "objective":
            cells[label] = ratios[label]
    objective_time = statistics.median(times["objective"])
    for library, (fn, fn_args) in slow.items():  # seconds per call: two more calls, not rounds of them
        cells[library] = once(lambda: fn(*fn_args), repeat=2, clock=clock) / objective_time
        notes.append(f"{library} on {name}: {format_time(first[library])} for the first call; timed over 2 calls")
    return cells, objective_time, first, notes


def shape_note(name, large):
    args = load(name, np).data(large)
    return ", ".join("x".join(map(str, a.shape)) if isinstance(a, np.ndarray) and a.ndim else repr(a)
                     for a in args[:4]) + (", ..." if len(args) > 4 else "")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--large", action="store_true", help="larger sizes (minutes; JAX unrolls loops when it traces)")
    ap.add_argument("--only", default=None, help="comma-separated problem names")
    ap.add_argument("--without", default="", help="comma-separated peers to leave out (autograd,jax.jit,pytorch)")
    ap.add_argument("--jax-loops", action="store_true",
                    help="also time jax.jit on ode, lstm and det, whose loops it unrolls (ode: 3 minutes to "
                         "compile here, det 2.5, lstm over 9)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--target", type=float, default=0.02, help="seconds per measurement")
    ap.add_argument("--threads", default=None, help="BLAS threads (and PyTorch's)")
    ap.add_argument("--clock", choices=CLOCKS, default="wall",
                    help="cpu: CPU seconds of the process (all its threads), steadier on a busy machine")
    opts = ap.parse_args()
    names = opts.only.split(",") if opts.only else list(NAMES)
    libraries = [lib for lib in installed() if lib not in opts.without.split(",")]
    if THREADS and "pytorch" in libraries:
        import torch
        torch.set_num_threads(int(THREADS))
    module_names = {"autograd": "autograd", "jax.jit": "jax", "pytorch": "torch"}
    versions = [f"{lib} {version(module_names[lib])}" for lib in libraries]
    print(f"GradBench / ADBench problems: derivative time / NumPy objective time, float64, "
          f"{'large' if opts.large else 'default'} sizes")
    print(f"Python {platform.python_version()}, NumPy {np.__version__}, {', '.join(versions) or 'no other AD'}; "
          f"{os.cpu_count()} cores, BLAS threads: {THREADS or 'default'}. {opts.clock} clock; median of "
          f"{opts.rounds} interleaved rounds' ratios; indicative only.")
    print("Goals (issue #16): wengert <= autograd on every problem, <= jax.jit on at least half, "
          f"<= 4x the objective on {', '.join(VECTORIZED)}.\n")

    rows, all_notes, compile_rows = [], [], []
    wins = {"autograd": [0, 0], "jax.jit": [0, 0], "4x": [0, 0]}
    for name in names:
        cells, objective_time, first, notes = run_problem(name, libraries, opts.large, opts.rounds, opts.target,
                                                                opts.jax_loops, CLOCKS[opts.clock])
        all_notes += notes
        mine = cells.get("wengert")
        goals = []
        for library in ("autograd", "jax.jit"):
            theirs = cells.get(library)
            if isinstance(theirs, float):
                ok = isinstance(mine, float) and mine <= theirs
                wins[library][0] += ok
                wins[library][1] += 1
                goals.append(f"{'<=' if ok else '> '} {library}")
        if name in VECTORIZED:
            ok = isinstance(mine, float) and mine <= 4
            wins["4x"][0] += ok
            wins["4x"][1] += 1
            goals.append(f"{'<=' if ok else '> '} 4x")

        def cell(label):
            value = cells.get(label, "-")
            return f"{value:.{2 if value < 10 else 0}f}x" if isinstance(value, float) else value
        rows.append((name, load(name, np).KIND, format_time(objective_time), cell("wengert"),
                     *(cell(lib) for lib in libraries), "; ".join(goals)))
        compile_rows.append((name, shape_note(name, opts.large),
                             *(format_time(first[lab]) if lab in first else "-" for lab in ["wengert"] + libraries)))
        print(f"  {name} done", file=sys.stderr, flush=True)

    print(table(("problem", "kind", "objective", "wengert", *libraries, "wengert vs goals"), rows))
    print()
    print(f"wengert <= autograd on {wins['autograd'][0]}/{wins['autograd'][1]} problems (goal: all); "
          f"<= jax.jit on {wins['jax.jit'][0]}/{wins['jax.jit'][1]} (goal: at least half); "
          f"<= 4x the objective on {wins['4x'][0]}/{wins['4x'][1]} of {', '.join(VECTORIZED)} (goal: all).")
    print("\nFirst call (compile or trace, and one evaluation), with the first arguments' shapes:")
    print(table(("problem", "arguments", "wengert", *libraries), compile_rows))
    for note in all_notes:
        print(note)
    missing = [lib for lib in PEERS if lib not in installed()]
    if missing:
        print(f"not installed: {', '.join(missing)} (pip install -e '.[bench]')")


if __name__ == "__main__":
    main()
