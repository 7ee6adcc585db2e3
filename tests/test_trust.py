"""Never a silent wrong derivative (issue 13): each case here was wrong or crashed before, silently.

Repeated integer indices, tuple literals used as arrays, non-finite partials in branches a where, maximum,
clip or abs did not select, one-hot directions in forward mode, the norm at 0 and powers at 0. Every
derivative is compared across reverse mode, forward mode, jvp, vjp and the Hessian path, and with central
differences where the function is smooth at the point, or with the documented convention where it is not.
"""

import warnings

import numpy as np
import pytest

import wengert


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
    """The gradient by reverse mode, forward mode, jvp (one direction per element) and vjp: all equal."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # inf partials warn in NumPy; the values are checked
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
        np.testing.assert_array_equal(np.asarray(reverse), np.asarray(other))
    return reverse


# ---- 1. integer-array indices that repeat: the cotangents of the repeats add up ----------------------------

def gather_squares(x, idx):
    return np.sum(x[idx] ** 2)


def gather_rows(X, idx):
    return np.sum(X[idx, :] ** 2)


def gather_row_index(X, idx):
    return np.sum(np.sin(X[idx]) * X[idx])


def embedding(W, tokens):
    return np.sum(np.tanh(W[tokens]) ** 2)


def test_repeated_indices_accumulate_in_reverse_mode():
    x, idx = np.array([1.0, 2.0, -2.0, 3.0]), np.array([0, 0, 2, 0])
    np.testing.assert_allclose(every_mode(gather_squares, (x, idx)), [6.0, 0.0, -4.0, 0.0])


@pytest.mark.parametrize("f", [gather_rows, gather_row_index, embedding])
def test_repeated_row_gathers(f):
    rng = np.random.default_rng(0)
    X, idx = rng.normal(size=(4, 3)), np.array([2, 0, 2, 2, 1])
    np.testing.assert_allclose(every_mode(f, (X, idx)), numeric_grad(f, (X, idx)), rtol=1e-6, atol=1e-8)


def test_repeated_indices_in_hessians():
    x, idx = np.array([1.0, 2.0, -2.0, 3.0]), np.array([0, 0, 2, 0])
    np.testing.assert_allclose(wengert.hessian(gather_squares, wrt=0)(x, idx), np.diag([6.0, 0.0, 2.0, 0.0]))
    np.testing.assert_allclose(wengert.hvp(gather_squares, wrt=0)(x, idx, np.ones(4)), [6.0, 0.0, 2.0, 0.0])


# ---- 2. a tuple literal where an array is expected is that array, np.stack of its items ---------------------

def tuple_sum(x):
    return np.sum((x, 3.0 * x))


def tuple_mean(x):
    return np.mean((x, x + 2))


def tuple_max(x):
    return np.max((x, 2.0 * x))


def tuple_dot(x):
    return np.dot((x, x), (1.0, 2.0))


def tuple_exp(x):
    return np.sum(np.exp((x, 2.0 * x)))


def tuple_norm(x):
    return np.linalg.norm((x, x + 2))


def tuple_nested(x):
    return np.sum(np.dot(((x, 1.0), (2.0, x)), (x, x * x)))


def tuple_loop(x):
    s = 0.0
    for v in (x, 2.0 * x, x * x):
        s = s + np.sum(v)
    return s


@pytest.mark.parametrize("f", [tuple_sum, tuple_mean, tuple_max, tuple_dot, tuple_exp, tuple_norm, tuple_nested,
                               tuple_loop])
def test_tuple_literals_carry_derivatives(f):
    np.testing.assert_allclose(every_mode(f, (1.5,)), numeric_grad(f, (1.5,)), rtol=1e-6)


@pytest.mark.parametrize("f", [tuple_sum, tuple_mean, tuple_exp, tuple_norm, tuple_loop])
def test_tuple_literals_of_arrays(f):
    x = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(every_mode(f, (x,)), numeric_grad(f, (x,)), rtol=1e-6)


def tuple_repeated(x):
    t = (x, x)
    return np.sum(t * 2)


def test_tuple_arithmetic_is_refused_with_its_place(tmp_path):
    with pytest.raises(wengert.WengertError) as e:
        wengert.grad(tuple_repeated)(1.0)
    assert e.value.line == tuple_repeated.__code__.co_firstlineno + 2 and e.value.col == 18
    assert "sequence operations" in e.value.message and "np.stack" in e.value.hint


# ---- 3. what a where, maximum, minimum, clip or abs does not select stays zero ------------------------------

def masked_sqrt(x):
    return np.sum(np.where(x > 0, np.sqrt(x), 0.0))


def masked_reciprocal(x):
    return np.sum(np.where(x != 0, 1.0 / x, 0.0))


def masked_xlogx(x):
    return np.sum(np.where(x > 0, x * np.log(x), 0.0))


def clamped_sqrt(x):
    return np.sum(np.maximum(np.sqrt(x), 0.5))


def floored_log(x):
    return np.sum(np.minimum(-np.log(x), 2.0))


def clipped_sqrt(x):
    return np.sum(np.clip(np.sqrt(x), 0.25, 1.0))


def abs_sqrt(x):
    return np.sum(np.abs(np.sqrt(x)) * x)


def branch_sqrt(x):
    if x > 0:
        return np.sqrt(x)
    return 0.0


POINTS = np.array([-1.0, 0.0, 0.5, 2.0, -0.3])


@pytest.mark.parametrize("f, x, expected", [
    (masked_sqrt, POINTS, [0.0, 0.0, 0.5 / np.sqrt(0.5), 0.5 / np.sqrt(2.0), 0.0]),
    (masked_reciprocal, np.array([0.0, 2.0, -4.0]), [0.0, -0.25, -0.0625]),
    (masked_xlogx, np.array([0.0, 1.0, np.e]), [0.0, 1.0, 2.0]),
    (clamped_sqrt, np.array([0.0, 1.0, 4.0]), [0.0, 0.5, 0.25]),
    (floored_log, np.array([0.0, 1.0, 4.0]), [0.0, -1.0, -0.25]),
    (clipped_sqrt, np.array([0.0, 0.25, 4.0]), [0.0, 1.0, 0.0]),
    (abs_sqrt, np.array([0.0, 4.0]), [0.0, 3.0]),
])
def test_unselected_branches_stay_zero(f, x, expected):
    np.testing.assert_allclose(every_mode(f, (x,)), expected)


def test_an_untaken_if_branch_with_an_infinite_partial():
    for x, expected in ((0.0, 0.0), (-1.0, 0.0), (4.0, 0.25)):
        assert every_mode(branch_sqrt, (x,)) == expected


def test_masked_branches_in_the_hessian_path():
    x = np.array([-1.0, 0.0, 4.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        h = wengert.hessian(masked_sqrt, wrt=0)(x)
        v = wengert.hvp(masked_sqrt, wrt=0)(x, np.array([1.0, 0.0, 1.0]))
    np.testing.assert_allclose(np.diag(h), [0.0, 0.0, -0.25 / 8.0])
    assert np.count_nonzero(h - np.diag(np.diag(h))) == 0
    np.testing.assert_allclose(v, [0.0, 0.0, -0.25 / 8.0])


# ---- 4. the norm at the origin: the midpoint subgradient 0 -------------------------------------------------

def norm_of(w):
    return np.linalg.norm(w)


def ridge(w, X, y):
    return np.sum((X @ w - y) ** 2) + 0.1 * np.linalg.norm(w)


def test_norm_at_zero_is_zero():
    np.testing.assert_array_equal(every_mode(norm_of, (np.zeros(3),)), np.zeros(3))
    X, y = np.eye(3), np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(every_mode(ridge, (np.zeros(3), X, y)), -2 * y)
    np.testing.assert_allclose(every_mode(norm_of, (np.array([3.0, 4.0]),)), [0.6, 0.8])


# ---- 5. forward mode: one infinite partial stays in its element -------------------------------------------

def sqrt_sum(x):
    return np.sum(np.sqrt(x))


def power_sum(x, y):
    return np.sum(np.power(x, y))


def test_forward_mode_keeps_an_infinite_partial_in_its_element():
    np.testing.assert_array_equal(every_mode(sqrt_sum, (np.array([0.0, 1.0, 4.0]),)), [np.inf, 0.5, 0.25])
    np.testing.assert_array_equal(every_mode(power_sum, (np.array([0.0, 1.0, 2.0]), 0.0)), [0.0, 0.0, 0.0])
    np.testing.assert_allclose(every_mode(power_sum, (np.array([0.0, 1.0, 2.0]), 0.5)),
                               [np.inf, 0.5, 0.5 / np.sqrt(2.0)])


# ---- 6. powers at zero --------------------------------------------------------------------------------------

def power(x, y):
    return np.power(x, y)


def power_operator(x, y):
    return x ** y


@pytest.mark.parametrize("f", [power, power_operator])
def test_powers_at_zero(f):
    assert every_mode(f, (0.0, 2.0), wrt=1) == 0.0      # d/dy 0 ** y = 0 for y > 0
    assert every_mode(f, (0.0, 0.0), wrt=0) == 0.0      # d/dx x ** 0 = 0, also at 0 (no ZeroDivisionError)
    assert every_mode(f, (2.0, 0.0), wrt=0) == 0.0
    assert every_mode(f, (0.0, 3.0), wrt=0) == 0.0
    np.testing.assert_allclose(every_mode(f, (2.0, 3.0), wrt=1), 8 * np.log(2.0))
    np.testing.assert_array_equal(every_mode(power_sum, (np.zeros(2), 0.0)), [0.0, 0.0])
    np.testing.assert_array_equal(every_mode(power_sum, (np.zeros(2), 2.0), wrt=1), 0.0)
