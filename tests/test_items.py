"""Item assignment (issue 14): y[i] = e, y[i, :] = e, y[1:3] = e, y[mask] = e, y[idx] = e, y[i] += e, on new
arrays and on parameters (copied once: the caller's array stays), in loops too; every mode agrees with central
differences, the Hessian path too, and the generated code updates in place (no copy of the array per pass)."""

import math
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest

import wengert
from wengert.errors import WengertError

from conftest import ROOT


def numeric_grad(f, args, wrt=0, h=1e-6):
    args = list(args)
    x = np.asarray(args[wrt], dtype=float)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        up, down = list(args), list(args)
        up[wrt], down[wrt] = x + e, x - e
        g[i] = (f(*up) - f(*down)) / (2 * h)
    return g if g.shape else float(g)


def every_mode(f, args, wrt=0):
    """The gradient by reverse mode, forward mode, jvp (one direction per element) and vjp, checked equal."""
    kept = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]
    reverse = wengert.grad(f, wrt=wrt)(*args)
    forward = wengert.grad(f, wrt=wrt, mode="forward")(*args)
    _, pulled = wengert.vjp(f, wrt=wrt)(*args, 1.0)
    x = np.asarray(args[wrt], dtype=float)
    pushed = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = 1.0
        pushed[i] = wengert.jvp(f, wrt=wrt)(*args, e if e.shape else 1.0)[1]
    for other in (forward, pulled, pushed):
        np.testing.assert_allclose(np.asarray(reverse), np.asarray(other), rtol=1e-12, atol=1e-12)
    for a, k in zip(args, kept):  # the caller's arrays are never changed
        np.testing.assert_array_equal(a, k)
    return reverse


def numeric_hessian(f, x, h=1e-4):
    n = x.size
    H = np.zeros((n, n))
    for i in range(n):
        e = np.zeros(n)
        e[i] = h
        H[i] = (numeric_grad(f, (x + e,)) - numeric_grad(f, (x - e,))) / (2 * h)
    return H


# ---- the programs -------------------------------------------------------------------------------------------

def straight(x):
    y = np.zeros(3)
    y[0] = x[0] * 2.0
    y[1] = np.sin(x[1])
    y[1] += x[0] * x[2]
    y[2] = y[1] * y[0]
    return np.sum(y * y)


def overwrite(x):
    y = np.zeros(2)
    y[0] = x[0] ** 3       # overwritten below: its cotangent is 0
    y[1] = y[0] * x[1]     # read before it is overwritten
    y[0] = np.cos(x[1])
    return y[0] * y[1] + np.sum(y)


def ring(x):
    n = x.shape[0]
    out = np.zeros(n)
    for i in range(n):
        out[i] = x[i] * np.sin(x[i + 1 - n])
    return np.sum(out ** 2)


def recurrence(x):
    n = x.shape[0]
    y = np.empty(n)
    y[0] = x[0]
    for i in range(1, n):
        y[i] = 0.5 * y[i - 1] + np.tanh(x[i]) * y[i - 1]
    return np.sum(y * x)


def parameter(x):
    x[0] = 3.0 * x[1]
    x[2] *= x[0]
    return np.sum(x ** 2)


def rows(X):
    Y = np.zeros_like(X)
    for i in range(X.shape[0]):
        Y[i, :] = X[i, :] * np.sum(X[i, :])
    Y[:, 1] *= 2.0
    return np.sum(Y * X)


def column_scale(W):
    W[:, 1] *= 2.0
    return np.sum(np.tanh(W) ** 2)


def slices(x):
    y = x.copy()
    y[1:3] = y[0:2] * x[3]
    y[-1] += 1.0
    return np.sum(y ** 3)


def masked(x):
    y = np.copy(x)
    mask = x > 0
    y[mask] = np.sqrt(x[mask]) * x[0]
    return np.sum(y * x)


def scattered(x, idx):
    y = np.zeros(5)
    y[idx] = x * x
    y[idx] += x
    return np.sum(y * y * 1.5)


def branchy(x):
    y = np.zeros(x.shape[0])
    for i in range(x.shape[0]):
        if x[i] > 0:
            y[i] = x[i] ** 2
        else:
            y[i] = -x[i]
    return np.sum(y * x)


def aliased(x):
    y = x * 2.0
    z = y
    z[0] = x[1] * x[2]
    return np.sum(y ** 2)


def helper_fills(x):
    return np.sum(fill(x) * x)


def fill(a):
    b = np.zeros(a.shape[0])
    for i in range(a.shape[0]):
        b[i] = a[i] * a[i - 1]
    return b


def pushed_then_changed(x):
    """The adjoint reads y after the branch changed it, so y is pushed; later passes change y: the pushed array
    must be a copy (a reference to the one buffer gave wrong gradients)."""
    n = x.shape[0]
    y = x.copy()
    acc = 0.0
    for i in range(n):
        if x[i] > 0:
            y[i] = x[i] * 2.0
            acc = acc + np.sum(y * np.sin(y))
        else:
            y[i] = 0.5
            acc = acc - x[i]
    return acc


def scalars(a, b):
    y = np.zeros(3)
    y[0] = a * b
    y[1] = math.sin(a)
    y[2] = y[0] + b
    y[0] += y[2] * a
    return np.sum(y * y)


RNG = np.random.default_rng(14)
VECTOR = np.array([0.7, -1.3, 0.4, 1.1])
MATRIX = RNG.normal(size=(3, 4))


@pytest.mark.parametrize("f, x", [(straight, VECTOR[:3]), (overwrite, VECTOR[:2]), (ring, VECTOR),
                                  (recurrence, VECTOR), (parameter, VECTOR[:3]), (slices, VECTOR),
                                  (masked, np.array([0.7, -1.3, 0.4, 1.1, 2.0])), (branchy, VECTOR),
                                  (aliased, VECTOR[:3]), (helper_fills, VECTOR), (rows, MATRIX),
                                  (pushed_then_changed, VECTOR),
                                  (column_scale, MATRIX)],
                         ids=lambda v: getattr(v, "__name__", ""))
def test_every_mode_agrees_with_central_differences(f, x):
    x = x.copy()
    g = every_mode(f, (x,))
    np.testing.assert_allclose(g, numeric_grad(f, (x.copy(),)), rtol=1e-6, atol=1e-7)


def test_overwritten_value_gets_no_cotangent():
    x = np.array([0.5, 2.0])
    # d/dx0: y[0] = x0 ** 3 only reaches the output through y[1] = y[0] * x1 (then overwritten)
    y0, y1 = np.cos(2.0), 0.5 ** 3 * 2.0
    expected0 = (y0 + 1.0) * 3 * 0.5 ** 2 * 2.0
    assert every_mode(overwrite, (x,))[0] == pytest.approx(expected0, rel=1e-12)
    assert y1  # the value read before the overwrite


def test_repeated_integer_index_keeps_the_last_write():
    x, idx = np.array([0.5, -2.0, 1.5, 3.0]), np.array([0, 3, 0, 1])
    g = every_mode(scattered, (x, idx))
    np.testing.assert_allclose(g, numeric_grad(scattered, (x, idx)), rtol=1e-6, atol=1e-7)
    assert g[0] == 0.0  # its write to y[0] is overwritten by x[2]'s


@pytest.mark.parametrize("f, x", [(straight, VECTOR[:3]), (ring, VECTOR), (recurrence, VECTOR),
                                  (parameter, VECTOR[:3]), (slices, VECTOR), (branchy, VECTOR + 0.05)],
                         ids=lambda v: getattr(v, "__name__", ""))
def test_hessians(f, x):
    x = x.copy()
    H = wengert.hessian(f)(x)
    np.testing.assert_allclose(H, numeric_hessian(f, x.copy()), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(x, x.copy())


def test_jacobian_of_a_filled_vector():
    def J(x):
        return wengert.jacobian(fill)(x)
    x = VECTOR.copy()
    expected = np.array([numeric_grad(lambda v, k=k: fill(v)[k], (x,)) for k in range(4)])
    np.testing.assert_allclose(J(x), expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(wengert.jacobian(fill, mode="reverse")(x), expected, rtol=1e-6, atol=1e-7)


def test_sympy_agrees():
    wengert.check(scalars)
    a, b = 0.3, -1.2
    g = wengert.grad(scalars)(a, b)
    np.testing.assert_allclose(g, (numeric_grad(scalars, (a, b), 0), numeric_grad(scalars, (a, b), 1)), rtol=1e-6)


def test_loops_update_in_place():
    """A loop writing out[i] keeps one array (no copy per pass) in both sweeps, and the adjoint of reading x[i]
    accumulates into one buffer: dx[i] += g."""
    for f in (ring, recurrence, helper_fills):
        source = wengert.source(wengert.grad(f), VECTOR.copy())
        assert copies_in_loops(source) == 0, source
        assert "_scatter(" not in source.split("def " + f.__name__ + "_grad")[1], source
        assert "] += " in source, source
    forward = wengert.source(wengert.jvp(ring), VECTOR.copy(), VECTOR.copy())
    assert copies_in_loops(forward) == 0 and "out_dot[i] = " in forward, forward


def copies_in_loops(source):
    """How many .copy() calls the loops of the source make."""
    import ast
    return sum(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "copy"
               for loop in ast.walk(ast.parse(source)) if isinstance(loop, (ast.For, ast.While))
               for n in ast.walk(loop))


def test_parameter_is_copied_once():
    source = wengert.source(wengert.grad(parameter), VECTOR[:3].copy())
    body = source.split("def parameter_grad")[1]
    assert body.count("x.copy()") == 1 and body.count(".copy()") == 1, source


def test_method_cannot_change_the_instance(tmp_path):
    path = tmp_path / "model.py"
    path.write_text("import numpy as np\n\nclass M:\n    def loss(self, x):\n        self.W[0] = 1.0\n"
                    "        return np.sum(self.W * x)\n")
    result = subprocess.run([sys.executable, "-m", "wengert", "grad", f"{path}:M.loss"], capture_output=True,
                            text=True, env={"PYTHONPATH": str(ROOT / "src")})
    assert result.returncode == 2
    assert f"{path}:5:9: error:" in result.stderr and "mutates the instance" in result.stderr, result.stderr


def test_loop_changing_aliases_is_refused(tmp_path):
    def parse_error(src):
        from wengert.parse import Module, parse
        module = Module(src, "case.py")
        with pytest.raises(WengertError) as info:
            parse(module, module.function("f"))
        return info.value
    err = parse_error("import numpy as np\n\ndef f(x):\n    y = np.zeros(3)\n    z = np.ones(3)\n"
                      "    for i in range(3):\n        y[i] = x[i]\n        y = z\n    return np.sum(y)\n")
    assert err.line == 6 and "also which names refer to it" in str(err)


def test_cli(tmp_path):
    path = tmp_path / "ring.py"
    path.write_text("import numpy as np\n\ndef ring(x):\n    n = x.shape[0]\n    out = np.zeros(n)\n"
                    "    for i in range(n):\n        out[i] = x[i] * np.sin(x[i + 1 - n])\n"
                    "    return np.sum(out ** 2)\n")
    for mode in ("reverse", "forward"):
        result = subprocess.run([sys.executable, "-m", "wengert", "grad", f"{path}:ring", "--shape", "x=n",
                                 "--mode", mode], capture_output=True, text=True,
                                env={"PYTHONPATH": str(ROOT / "src")})
        assert result.returncode == 0, result.stderr
        namespace = {}
        exec(result.stdout, namespace)
        x = VECTOR.copy()
        np.testing.assert_allclose(namespace["ring_grad"](x), numeric_grad(ring, (x,)), rtol=1e-6)
        assert "out[i] = " in result.stdout


def assigned_in_a_branch(x):
    y = np.zeros(3)
    hs = []
    for i in range(3):
        if i != 1:
            y[i] = x[i] * 2.0
            hs.append(x[i] * np.sin(x[i]))
    return np.sum(y ** 2) + np.sum(np.stack(hs))


def test_an_update_in_one_branch_of_a_loop_is_in_place():
    """y[i] = e and hs.append(v) in one branch, y and hs unchanged in the other: in place in both sweeps."""
    x = np.array([0.5, -1.2, 0.7])
    np.testing.assert_allclose(every_mode(assigned_in_a_branch, (x,)), numeric_grad(assigned_in_a_branch, (x,)),
                               rtol=1e-6)
    text = wengert.source(wengert.grad(assigned_in_a_branch), x)
    body = text.split("def assigned_in_a_branch_grad")[1]
    forward, backward = body.split("reversed(")
    forward = forward.split("for i in range(3):")[1].split("dhs =")[0]  # the forward loop (one copy before it)
    assert ".copy()" not in forward and ".copy()" not in backward, text
    assert re.search(r"\bdx(_\d+)?\[i_1\] \+= ", backward), text
