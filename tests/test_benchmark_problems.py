"""The GradBench / ADBench objectives of benchmarks/problems/ stay differentiable by wengert, and right: each
problem's derivative, as benchmarks/problems.py times it, against central differences at a small size (so
the benchmark cannot silently time a refused or wrong program)."""

import importlib
import os
import sys

import numpy as np
import pytest

import wengert

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks"))
from problems import NAMES  # noqa: E402

H = 1e-6


def central(f, args, i):
    """Central differences of f (scalar or array valued) w.r.t. args[i]: shape f(args).shape + args[i].shape."""
    x = np.asarray(args[i], dtype=float)
    columns = []
    for k in range(x.size):
        step = np.zeros(x.size)
        step[k] = H
        step = step.reshape(x.shape)
        up = f(*args[:i], x + step, *args[i + 1:])
        down = f(*args[:i], x - step, *args[i + 1:])
        columns.append((np.asarray(up) - np.asarray(down)) / (2 * H))
    return np.moveaxis(np.array(columns), 0, -1).reshape(np.shape(columns[0]) + x.shape)


def close(mine, reference):
    scale = max(1.0, float(np.max(np.abs(reference))))
    np.testing.assert_allclose(mine, reference, rtol=1e-5, atol=1e-6 * scale)


def as_tuple(result):
    return result if isinstance(result, tuple) else (result,)


@pytest.mark.parametrize("name", NAMES)
def test_problem_derivative_matches_central_differences(name):
    module = importlib.import_module(f"problems.{name}")
    args = module.data(small=True)
    f = module.objective
    names = f.__code__.co_varnames[:f.__code__.co_argcount]
    where = [names.index(w) for w in module.WRT]
    if module.KIND in ("grad", "grad_hdiag"):
        mine = as_tuple(wengert.grad(f, wrt=module.WRT)(*args))
        for i, g in zip(where, mine):
            close(g, central(f, args, i))
    if module.KIND == "grad_hdiag":  # the Hessian's diagonal as H @ ones, against differences of the gradient
        i = where[0]
        grad = wengert.grad(f, wrt=module.WRT[0])
        hv = wengert.hvp(f, wrt=module.WRT[0])(*args, np.ones_like(args[i]))
        hessian = central(grad, args, i)
        close(hv, np.tensordot(hessian, np.ones_like(args[i]), axes=args[i].ndim))
    if module.KIND == "jac_rows":  # one gradient per residual column: the rows of the Jacobian blocks
        for r in (np.array([1.0, 0.0]), np.array([0.0, 1.0])):
            mine = as_tuple(wengert.grad(module.selected, wrt=module.WRT)(*args, r))
            for i, g in zip(where, mine):
                close(g, central(module.selected, args + (r,), i))
    if module.KIND == "jacobian":
        close(wengert.jacobian(f, wrt=module.WRT[0], mode="forward")(*args), central(f, args, where[0]))
