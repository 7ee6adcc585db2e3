"""Literals and collections of traced values (issue 14): np.array([a, b * a, b]), nested lists, lists and
tuples passed to NumPy functions, a list appended to and stacked, tuple unpacking of arrays and shapes.
Every mode agrees with central differences; SymPy agrees on the scalar programs; Hessians too."""

import numpy as np
import pytest

import wengert
from wengert.errors import WengertError

from test_items import every_mode, numeric_grad, numeric_hessian


def literal(a, b):
    v = np.array([a, b * a, b])
    return np.sum(v ** 2) + v[1] * np.sin(v[0])


def nested(a, b, c, d):
    M = np.array([[a, b], [c, d]])
    return np.sum(M @ M) + np.sum(np.tanh(np.array((a, d))))


def appended(x):
    hs = []
    hs.append(np.sin(x))
    hs.append(x * 2.0)
    others = hs
    others.append(x * x)
    H = np.stack(hs)
    return np.sum(H ** 2) + np.sum(np.array(hs)[1]) + np.sum(np.concatenate([x, x * x])) + len(hs)


def unpacked(x, X):
    a, b = x
    n, d = X.shape
    rows = [X[0], X[1] * a]
    return a * b * n + d * np.sum(np.stack(rows) ** 2)


def joined_lists(a, b):
    v = np.array([a, b] + [a * b] + [b])
    return np.sum(v ** 2) + np.sum(v[list(range(1, 4)) + [0]] * v)


def as_vector(x):
    return np.sum(np.array([x[0] * x[1], x[1], np.sum(x)]) ** 3)


def copied(x):
    y = np.array(x)
    y[0] = 2.0 * x[1]
    return np.sum(np.asarray(y) * x)


SCALARS = (0.5, 1.5, -1.0, 2.0)


@pytest.mark.parametrize("f, n", [(literal, 2), (nested, 4), (joined_lists, 2)], ids=["literal", "nested", "joined"])
def test_scalar_literals(f, n):
    args = SCALARS[:n]
    g = wengert.grad(f)(*args)
    assert g == wengert.grad(f, mode="forward")(*args)
    np.testing.assert_allclose(g, [numeric_grad(f, args, i) for i in range(n)], rtol=1e-6)
    wengert.check(f)


@pytest.mark.parametrize("f", [appended, as_vector, copied])
def test_array_programs(f):
    x = np.array([0.3, -0.7, 1.1])
    np.testing.assert_allclose(every_mode(f, (x,)), numeric_grad(f, (x,)), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("f", [as_vector, copied])
def test_hessians(f):
    x = np.array([0.3, -0.7, 1.1])
    np.testing.assert_allclose(wengert.hessian(f)(x), numeric_hessian(f, x), rtol=1e-5, atol=1e-5)


def test_unpacking_arrays_and_shapes():
    x, X = np.array([0.4, -1.2]), np.arange(6.0).reshape(2, 3) / 5
    for wrt in (0, 1):
        np.testing.assert_allclose(every_mode(unpacked, (x, X), wrt), numeric_grad(unpacked, (x, X), wrt), rtol=1e-6)


def rnn(W, x0):
    hs = []
    h = x0
    for t in range(4):
        h = np.tanh(W @ h)
        hs.append(h)
    H = np.stack(hs)
    return np.sum(H ** 2) + np.sum(np.array(hs)[-1]) + len(hs)


def grows_from_its_last(x):
    hs = [x]
    for i in range(3):
        if i > 0:
            hs.append(np.sin(hs[-1]) * x)
        else:
            hs.append(hs[-1] * 2.0)
    return np.sum(np.stack(hs) ** 2)


def test_lists_appended_in_loops():
    W, x0 = np.array([[0.3, -0.5], [0.8, 0.1]]), np.array([0.4, -0.9])
    for wrt in (0, 1):
        np.testing.assert_allclose(every_mode(rnn, (W, x0), wrt), numeric_grad(rnn, (W, x0), wrt), rtol=1e-6)
    x = np.array([0.3, 1.2])
    np.testing.assert_allclose(every_mode(grows_from_its_last, (x,)), numeric_grad(grows_from_its_last, (x,)),
                               rtol=1e-6)
    source = wengert.source(wengert.grad(rnn, wrt=0), W, x0)
    assert "hs.append(h)" in source and "hs.copy()" not in source and "dH[:-1]" in source, source


def test_arithmetic_on_a_list_is_refused(tmp_path):
    from wengert.parse import Module, parse
    module = Module("import numpy as np\n\ndef f(x):\n    hs = []\n    for i in range(3):\n"
                    "        hs.append(x * i)\n    return np.sum(hs * 2)\n", "case.py")
    with pytest.raises(WengertError) as info:
        parse(module, module.function("f"))
    assert (info.value.line, info.value.col) == (7, 18) and "list" in str(info.value)


# ---- list comprehensions: a loop that appends, in both modes and in vector mode -------------------------------

def stacked_comprehension(x):
    n = x.shape[0]
    return np.sum(np.stack([np.sin(x[i]) * x[i] for i in range(n)]) ** 2)


def filtered_comprehension(x):
    n = len(x)
    return np.sum(np.array([x[i] ** 3 for i in range(n) if i % 2 == 0])) + np.mean([np.cos(v) for v in x])


def index_comprehension(A):
    n = A.shape[0]
    total = 0.0
    for j in range(n):
        cols = [k for k in range(n) if k != j]
        total = total + np.sum(A[1:, cols] ** 2) * A[0, j]
    return total


def rows_comprehension(X, w):
    H = np.stack([np.tanh(X[i] * w) for i in range(X.shape[0])])
    return np.sum(H @ w)


def trajectory(x, W):
    h = x
    hs = []
    for t in range(3):
        h = np.tanh(W @ h)
        hs.append(h * x)
    return np.stack(hs)


COMPREHENSIONS = [(stacked_comprehension, np.array([0.3, -0.5, 0.8, 0.1, 1.2])),
                  (filtered_comprehension, np.array([0.3, -0.5, 0.8, 0.1, 1.2])),
                  (index_comprehension, np.array([[0.3, -0.5, 0.8], [0.1, 1.2, -0.4], [0.7, 0.2, -1.1]]))]


@pytest.mark.parametrize("f, x", COMPREHENSIONS, ids=lambda v: getattr(v, "__name__", ""))
def test_list_comprehensions_in_every_mode(f, x):
    np.testing.assert_allclose(every_mode(f, (x,)), numeric_grad(f, (x,)), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("f, x", COMPREHENSIONS, ids=lambda v: getattr(v, "__name__", ""))
def test_hessians_through_list_comprehensions(f, x):
    flat = lambda v: f(v.reshape(x.shape))  # noqa: E731
    H = wengert.hessian(f)(x).reshape(x.size, x.size)
    np.testing.assert_allclose(H, numeric_hessian(flat, x.ravel()), rtol=1e-5, atol=1e-5)


def test_a_comprehension_over_a_run_time_range_is_a_loop():
    for f, x in COMPREHENSIONS[:2]:
        small, large = (wengert.source(wengert.grad(f), np.linspace(0.1, 1.0, n)) for n in (4, 40))
        assert small == large and "for i in range(n):" in small and ".append(" in small, small
    text = wengert.source(wengert.hessian(stacked_comprehension), np.linspace(0.1, 1.0, 4))
    assert text.count("for ") >= 2 and "_stack_batch(" in text, text


def test_hessians_and_jacobians_through_lists_appended_in_loops():
    W, x0 = np.array([[0.3, -0.5], [0.8, 0.1]]), np.array([0.4, -0.9])
    for wrt in (0, 1):
        args = [W, x0]
        flat = lambda v: rnn(*[v.reshape(args[wrt].shape) if k == wrt else a for k, a in enumerate(args)])  # noqa
        H = wengert.hessian(rnn, wrt=wrt)(W, x0).reshape(args[wrt].size, -1)
        np.testing.assert_allclose(H, numeric_hessian(flat, args[wrt].ravel()), rtol=1e-5, atol=1e-5)
    X, w = np.arange(6.0).reshape(3, 2) / 4, np.array([0.5, -1.0])
    np.testing.assert_allclose(wengert.hessian(rows_comprehension, wrt=1)(X, w),
                               numeric_hessian(lambda v: rows_comprehension(X, v), w), rtol=1e-5, atol=1e-5)
    x, W3 = np.array([0.3, -0.5, 0.8]), np.array([[0.5, 0.2, -0.3], [0.1, 0.4, 0.2], [-0.2, 0.3, 0.6]])
    expected = np.stack([(trajectory(x + e, W3) - trajectory(x - e, W3)) / 2e-6 for e in np.eye(3) * 1e-6], -1)
    for mode in ("forward", "reverse"):
        J = wengert.jacobian(trajectory, wrt=0, mode=mode)(x, W3)
        np.testing.assert_allclose(J, expected, rtol=1e-6, atol=1e-8)


def grown(x):
    y = x[:1]
    for i in range(1, x.shape[0]):
        y = np.concatenate((y, x[i:i + 1] * y[-1:]))
    return y


def test_jacobian_of_an_array_grown_by_concatenate_in_a_loop():
    x = np.array([0.3, -0.5, 0.8, 1.1])
    expected = np.stack([(grown(x + e) - grown(x - e)) / 2e-6 for e in np.eye(4) * 1e-6], -1)
    for mode in ("forward", "reverse"):
        np.testing.assert_allclose(wengert.jacobian(grown, mode=mode)(x), expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("f, shapes", [(stacked_comprehension, {"x": (3,)}), (filtered_comprehension, {"x": (3,)}),
                                       (index_comprehension, {"A": (3, 3)}), (rnn, {"W": (2, 2), "x0": (2,)})],
                         ids=lambda v: getattr(v, "__name__", ""))
def test_sympy_agrees_through_lists(f, shapes):
    assert wengert.check(f, shapes=shapes)
