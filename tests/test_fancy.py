"""Fancy and boolean indexing (issue 14): integer-array indices in any axis and position (list literals and
index arrays), boolean masks (x[x > 0], X[mask]), np.argmax / argmin / argsort / flatnonzero as index
producers without derivative: gathers in the primal, scatter-adds in reverse (repeats accumulate)."""

import numpy as np
import pytest

import wengert
from wengert.errors import WengertError

from test_items import every_mode, numeric_grad, numeric_hessian


def positive(x):
    return np.sum(x[x > 0] ** 2) + np.sum(x[[0, 2, 0]] * x[1])


def columns(X):
    return np.sum(np.tanh(X[:, [0, 2]]) * X[[1, 1, 0], :2])


def picked(P, labels):
    rows = np.argsort(P[:, 0])
    return -np.sum(np.log(P[rows, labels]))


def producers(x):
    i = np.argmax(x)
    j = np.argmin(x)
    order = np.argsort(x)
    k = np.flatnonzero(x > 0.5)
    return x[i] * x[j] + np.sum(x[order] * np.array([1.0, 2.0, 3.0, 4.0])) + np.sum(x[k] ** 2)


def masked_rows(X):
    mask = X[:, 0] > 0
    return np.sum(X[mask] ** 2) + np.sum(np.sin(X[:, 1][X[:, 2] < 0]))


def axis_argmax(X):
    best = np.argmax(X, axis=1)
    return np.sum(X[[0, 1, 2], best] ** 2)


def nonzero_items(x):
    idx = np.nonzero(x > 0)[0]
    return np.sum(np.sin(x[idx]) * x[np.nonzero(x < 0.5)] .sum()) + np.sum(x[np.nonzero(x)] ** 3)


def nonzero_pairs(X):
    rows, cols = np.nonzero(X > 0.1)
    return np.sum(X[rows, cols] ** 2 * X[cols, rows])


X3 = np.array([[0.3, -0.7, 1.1], [-0.5, 0.2, 0.4], [1.0, 2.0, -1.0]])
VECTOR = np.array([0.3, -0.7, 1.1, 0.9])


@pytest.mark.parametrize("f, x", [(positive, VECTOR), (columns, X3), (producers, VECTOR), (masked_rows, X3),
                                  (axis_argmax, X3), (nonzero_items, VECTOR), (nonzero_pairs, X3)],
                         ids=lambda v: getattr(v, "__name__", ""))
def test_every_mode_agrees_with_central_differences(f, x):
    np.testing.assert_allclose(every_mode(f, (x.copy(),)), numeric_grad(f, (x.copy(),)), rtol=1e-6, atol=1e-7)


def test_two_index_arrays_pick_one_entry_per_row():
    P = np.array([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3], [0.3, 0.3, 0.4]])
    labels = np.array([1, 1, 2])
    g = every_mode(picked, (P, labels))
    np.testing.assert_allclose(g, numeric_grad(picked, (P, labels)), rtol=1e-6)


@pytest.mark.parametrize("f, x", [(positive, VECTOR), (producers, VECTOR), (nonzero_items, VECTOR)],
                         ids=["positive", "producers", "nonzero_items"])
def test_hessians(f, x):
    np.testing.assert_allclose(wengert.hessian(f)(x), numeric_hessian(f, x), rtol=1e-5, atol=1e-5)


def test_hessian_of_masked_rows():
    H = wengert.hessian(masked_rows)(X3)
    flat = lambda v: masked_rows(v.reshape(3, 3))  # noqa: E731
    np.testing.assert_allclose(H.reshape(9, 9), numeric_hessian(flat, X3.ravel()), rtol=1e-5, atol=1e-5)


def test_a_list_index_must_hold_integers(tmp_path):
    from wengert.parse import Module, parse
    module = Module("import numpy as np\n\ndef f(x):\n    return np.sum(x[[0, 0.5]])\n", "case.py")
    with pytest.raises(WengertError) as info:
        parse(module, module.function("f"))
    assert (info.value.line, info.value.col) == (4, 20) and "integer" in str(info.value)


def test_hessian_through_nonzero_pairs():
    H = wengert.hessian(nonzero_pairs)(X3)
    flat = lambda v: nonzero_pairs(v.reshape(3, 3))  # noqa: E731
    np.testing.assert_allclose(H.reshape(9, 9), numeric_hessian(flat, X3.ravel()), rtol=1e-5, atol=1e-5)


def test_nonzero_reads_as_written():
    text = wengert.source(wengert.grad(nonzero_items), VECTOR)
    assert "np.nonzero(x > 0)[0]" in text, text
