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


def as_vector(x):
    return np.sum(np.array([x[0] * x[1], x[1], np.sum(x)]) ** 3)


def copied(x):
    y = np.array(x)
    y[0] = 2.0 * x[1]
    return np.sum(np.asarray(y) * x)


SCALARS = (0.5, 1.5, -1.0, 2.0)


@pytest.mark.parametrize("f, n", [(literal, 2), (nested, 4)], ids=["literal", "nested"])
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
