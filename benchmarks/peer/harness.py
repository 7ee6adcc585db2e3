"""The shared harness of the peer port: one case is a small program (a body over named parameters, some of
them differentiated), compiled by wengert in reverse and in forward mode and compared with central
differences. Written for wengert; no code of the peer project is used.

Each case's value (an array, a number, or a tuple of them) is reduced to a scalar with fixed random weights,
sum(W0 * out0) + sum(W1 * out1) + ..., so that every element of every output is checked.

A case's status:
  agree       both modes give the central-difference gradient for every differentiated parameter
  wrong       a mode gives another number (a disaster: each one is fixed or refused)
  refused     wengert raises a located WengertError
  internal    any other exception inside wengert
Cases NumPy itself refuses (the peer's combination product makes some) are not applicable and not counted.
"""

import importlib.util
import os
import tempfile
import traceback

import numpy as np

import wengert
from wengert import WengertError

class Case:
    """name; body (an expression, possibly a tuple); params (comma-separated names); args (their values);
    wrt (the differentiated names, default all); pre (statements before the body, one per line)."""

    def __init__(self, name, body, params, args, wrt=None, pre="", expect_zero=False, order=2):
        self.name, self.body, self.params, self.args, self.pre = name, body, params, tuple(args), pre
        self.order = order  # 1: the peer checks first derivatives only (a kink at the point)
        self.expect_zero = expect_zero  # a piecewise-constant function: its gradient is 0, not a difference
        self.names = [p.strip() for p in params.split(",")]
        self.wrt = [w.strip() for w in (wrt or params).split(",")]



def numeric(f, args, i, h=1e-6):
    x = np.asarray(args[i], dtype=float)
    g = np.zeros(x.shape)
    for pos in range(x.size):
        values = []
        for s in (1, -1):
            moved = x.copy()
            moved.reshape(-1)[pos] += s * h
            shifted = list(args)
            shifted[i] = moved if x.shape else type(args[i])(moved) if isinstance(args[i], float) else moved
            values.append(f(*shifted))
        g.reshape(-1)[pos] = (values[0] - values[1]) / (2 * h)
    return g


_FOLDER = tempfile.TemporaryDirectory(prefix="peer_cases_")  # removed when the process ends
_COUNT = [0]


def load(source):
    """A module made of source, written to a file (wengert reads a function's source from its file)."""
    _COUNT[0] += 1
    name = f"peer_case_{_COUNT[0]}"
    path = os.path.join(_FOLDER.name, name + ".py")
    with open(path, "w") as out:
        out.write(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _indent(pre):
    return "".join(f"    {line.strip()}\n" for line in pre.strip().splitlines()) if pre.strip() else ""


def program(case, n_out):
    """The source of g(params, W...) for a case with n_out outputs (0: one array or number)."""
    head = "import numpy as np\n\n\n"
    if n_out == 0:
        ws = "W"
        tail = f"    return np.sum(W * ({case.body}))\n"
    else:
        outs = [f"o{i}" for i in range(n_out)]
        ws = ", ".join(f"W{i}" for i in range(n_out))
        tail = f"    {', '.join(outs)}{',' * (n_out == 1)} = {case.body}\n"
        tail += "    return " + " + ".join(f"np.sum(W{i} * o{i})" for i in range(n_out)) + "\n"
    return f"{head}def g({case.params}, {ws}):\n{_indent(case.pre)}{tail}"


def applicable(case):
    """The probe's outputs, or None when NumPy itself refuses the case (or its output is not real)."""
    probe = load(f"import numpy as np\n\n\ndef f({case.params}):\n{_indent(case.pre)}    return {case.body}\n")
    try:
        with np.errstate(all="ignore"):
            out = probe.f(*case.args)
    except Exception:  # noqa: BLE001 (NumPy refuses the combination)
        return None
    outs = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    if any(np.iscomplexobj(o) or np.asarray(o).dtype == bool for o in outs):
        return None
    return out


def run_case(case):
    """("agree" | "wrong" | "refused" | "internal" | None, detail); None: not applicable."""
    out = applicable(case)
    if out is None:
        return None, "NumPy refuses it"
    rng = np.random.default_rng(7)
    many = isinstance(out, (tuple, list))
    outs = tuple(out) if many else (out,)
    weights = [np.asarray(rng.standard_normal(np.shape(o))) for o in outs]
    weights = [w if w.shape else float(w) for w in weights]
    module = load(program(case, len(outs) if many else 0))
    args = case.args + tuple(weights)
    wrt = tuple(case.wrt) if len(case.wrt) > 1 else case.wrt[0]
    try:
        with np.errstate(all="ignore"):  # the generated code may meet 0 * inf on purpose (e.g. 0.0 ** y)
            grads = {mode: wengert.grad(module.g, wrt=wrt, mode=mode)(*args) for mode in ("reverse", "forward")}
    except WengertError as e:
        return "refused", str(e).splitlines()[0]
    except Exception as e:  # noqa: BLE001 (counted and reported)
        return "internal", f"{type(e).__name__}: {e}"
    for mode, got in grads.items():
        got = got if isinstance(got, tuple) else (got,)
        for name, gi in zip(case.wrt, got):
            i = case.names.index(name)
            if case.expect_zero:
                expected = np.zeros(np.shape(args[i]))
            else:
                with np.errstate(all="ignore"):
                    expected = numeric(module.g, args, i)
            scale = max(1.0, float(np.max(np.abs(expected))) if expected.size else 1.0)
            if np.shape(gi) != np.shape(args[i]) or not np.allclose(gi, expected, rtol=1e-5, atol=1e-6 * scale):
                return "wrong", f"{mode} d/d{name} differs from central differences"
    if ORDER[0] >= 2 and case.order >= 2 and not case.expect_zero:
        return second_order(case, module, args)
    return "agree", ""


ORDER = [1]  # 2: also the Hessian (vector mode) w.r.t. the first differentiated parameter (run.py --order 2)


def second_order(case, module, args):
    """The Hessian of g w.r.t. the first differentiated parameter (wengert's vector mode) against central
    differences of wengert's own reverse-mode gradient, as the peer's check_grads checks order 2."""
    name = case.wrt[0]
    i = case.names.index(name)
    try:
        with np.errstate(all="ignore"):
            hessian = np.asarray(wengert.hessian(module.g, wrt=name)(*args))
            grad = wengert.grad(module.g, wrt=name)
    except WengertError as e:
        return "refused", "Hessian: " + str(e).splitlines()[0]
    except Exception as e:  # noqa: BLE001
        return "internal", f"Hessian: {type(e).__name__}: {e}"
    x = np.asarray(args[i], dtype=float)
    h = 1e-5
    columns = []
    for pos in range(x.size):
        moved = []
        for s in (1, -1):
            shifted = x.copy()
            shifted.reshape(-1)[pos] += s * h
            values = list(args)
            values[i] = shifted if x.shape else float(shifted)
            with np.errstate(all="ignore"):
                moved.append(np.asarray(grad(*values), dtype=float))
        columns.append(((moved[0] - moved[1]) / (2 * h)).reshape(-1))
    expected = np.array(columns).T.reshape(x.shape + x.shape) if x.shape else np.array(columns).reshape(())
    scale = max(1.0, float(np.max(np.abs(expected))) if expected.size else 1.0)
    if hessian.shape != expected.shape or not np.allclose(hessian, expected, rtol=1e-4, atol=1e-5 * scale):
        return "wrong", f"Hessian d2/d{name}2 differs from differences of the gradient"
    return "agree", ""


STATUSES = ("agree", "wrong", "refused", "internal")


def run_file(cases, verbose=False, label=""):
    counts = dict.fromkeys(STATUSES, 0)
    for case in cases:
        try:
            status, detail = run_case(case)
        except Exception:  # noqa: BLE001
            status, detail = "internal", traceback.format_exc().splitlines()[-1]
        if status is None:
            continue
        counts[status] += 1
        if verbose or status in ("wrong", "internal"):
            print(f"  {label:12} {status:9} {case.name}: {detail}")
    return counts
