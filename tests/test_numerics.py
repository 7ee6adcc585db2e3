"""Numerical edge cases follow NumPy semantics in the generated code: log(0) is -inf with NumPy's
warning, division by zero and overflow give infinities, and the derivative code never raises where
the primal did not. Integer arguments give float gradients; float32 arrays give float32 gradients."""

import math
import warnings

import numpy as np
import pytest

import wengert

# ---- functions under test (wengert reads their source from this file) --------------------------------


def log_sum(x):
    return np.sum(np.log(x))


def quotient(x, y):
    return np.sum(x / y)


def exp_sum(x):
    return np.sum(np.exp(x))


def sqrt_sum(x):
    return np.sum(np.sqrt(x))


def half_power(x):
    return np.sum(x ** 0.5)


def variable_power(x, y):
    return np.sum(x ** y)


def arcsin_sum(x):
    return np.sum(np.arcsin(x))


def softplus(x):
    return np.sum(np.logaddexp(x, 0.0))


def relu_mean(x):
    return np.mean(np.maximum(x, 0.0))


def norm_of(x):
    return np.linalg.norm(x)


def tanh_square(x, y):
    return np.sum(np.tanh(x * y) ** 2)


def polynomial(x, y):
    return np.sum(x * y + x ** 2)


def unused(x, y):
    return np.sum(x * x)


def linear(x):
    return np.sum(2.0 * x)


def average(x):
    return np.mean(x)


def first(x):
    return x[0] * 3.0


def mixed(x, w):
    return np.sum(np.tanh(w @ x)) + np.max(x) + np.sum(np.where(x > 0, x, 0.5 * x))


def joined(x, y):
    return np.sum(np.concatenate((x, y)) ** 2) + np.sum(np.stack((x, y)) * 0.5)


def scalar_polynomial(x, y):
    return x * x * y + 2.0 * y


def scalar_math(x, y):
    return math.sin(x) * y + math.exp(y)


def scalar_sqrt(x):
    return math.sqrt(x) + x


def power(x, y):
    return np.sum(x ** y)


def zeroth_power(x):
    return np.sum(x ** 0 + x)


def cubes(x):
    return np.sum(x ** 3)


def doubled(x):
    return np.tanh(x) * 2.0


# ---- infinities and NaN, with NumPy's warnings ---------------------------------------------------------

def test_log_of_zero_is_minus_infinity_with_numpys_warning():
    x = np.array([0.0, 1.0])
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        value, gradient = wengert.value_and_grad(log_sum)(x)
    assert value == -np.inf
    np.testing.assert_array_equal(gradient, [np.inf, 1.0])


def test_division_by_zero_gives_infinities():
    x, y = np.array([1.0, 2.0]), np.array([0.0, 1.0])
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        dx, dy = wengert.grad(quotient)(x, y)
    np.testing.assert_array_equal(dx, [np.inf, 1.0])
    np.testing.assert_array_equal(dy, [-np.inf, -2.0])


def test_overflow_in_exp_gives_infinity():
    x = np.array([1000.0, 1.0])
    with pytest.warns(RuntimeWarning, match="overflow"):
        value, gradient = wengert.value_and_grad(exp_sum)(x)
    assert value == np.inf
    assert gradient[0] == np.inf and gradient[1] == pytest.approx(math.e)


EDGES = [0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 1e308, -1e308, 5e-324, 710.0]
ARRAY_FUNCTIONS = [(log_sum, 1), (quotient, 2), (exp_sum, 1), (sqrt_sum, 1), (half_power, 1), (variable_power, 2),
                   (arcsin_sum, 1), (softplus, 1), (relu_mean, 1), (norm_of, 1), (tanh_square, 2)]


def raises(fn, *args):
    """The exception fn(*args) raises (None if none); NumPy's floating-point warnings are not exceptions."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(*args)
    except Exception as e:  # noqa: BLE001  what matters is whether anything is raised
        return e
    return None


@pytest.mark.parametrize("fn, n", ARRAY_FUNCTIONS, ids=[f.__name__ for f, _ in ARRAY_FUNCTIONS])
def test_derivative_code_never_raises_where_the_primal_did_not(fn, n):
    derivatives = {"reverse": wengert.value_and_grad(fn), "forward": wengert.grad(fn, mode="forward")}
    jvp = wengert.jvp(fn)
    for a in EDGES:
        for b in EDGES[::3]:
            args = (np.array([a, 0.5, b]), np.array([b, a, 2.0]))[:n]
            if raises(fn, *args) is not None:
                continue
            for name, derivative in derivatives.items():
                error = raises(derivative, *args)
                assert error is None, (fn.__name__, name, args, error)
            error = raises(jvp, *args, *(np.ones(3),) * n)
            assert error is None, (fn.__name__, "jvp", args, error)


@pytest.mark.xfail(strict=True, reason="scalar code runs on Python floats (math.*), which raise on division by "
                   "zero: the derivative of math.sqrt at 0 raises ZeroDivisionError where the primal returns 0.0")
def test_scalar_derivative_never_raises_where_the_primal_did_not():
    assert scalar_sqrt(0.0) == 0.0
    assert raises(wengert.grad(scalar_sqrt), 0.0) is None


# ---- dtypes ----------------------------------------------------------------------------------------

INT_CASES = [(polynomial, 2), (unused, 2), (linear, 1), (average, 1), (first, 1), (joined, 2)]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("fn, n", INT_CASES, ids=[f.__name__ for f, _ in INT_CASES])
def test_integer_arrays_give_float_gradients(fn, n, mode):
    args = (np.array([1, 2, 3]), np.array([4, 5, 6]))[:n]
    grads = wengert.grad(fn, wrt=tuple(range(n)), mode=mode)(*args)
    floats = wengert.grad(fn, wrt=tuple(range(n)), mode=mode)(*(a.astype(float) for a in args))
    for g, f in zip(grads, floats):
        assert g.dtype == np.float64, (fn.__name__, g.dtype)
        np.testing.assert_array_equal(g, f)


@pytest.mark.parametrize("fn", [scalar_polynomial, scalar_math])
def test_integer_scalars_give_float_gradients(fn):
    for mode in ("reverse", "forward"):
        grads = wengert.grad(fn, mode=mode)(2, 3)
        assert all(type(g) is float for g in grads), (fn.__name__, mode, grads)
        assert grads == wengert.grad(fn, mode=mode)(2.0, 3.0)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_an_integer_array_to_an_integer_power_including_zero(mode):
    """d(x ** y)/dx = y * x ** (y - 1): with integer x and y == 0 NumPy refuses the integer power -1, so the
    derivative raised where the primal did not."""
    x, y = np.array([1, 2, 3]), np.array([0, 1, 2])
    assert power(x, y) == 12
    dx, dy = wengert.grad(power, wrt=(0, 1), mode=mode)(x, y)
    fx, fy = wengert.grad(power, wrt=(0, 1), mode=mode)(x.astype(float), y.astype(float))
    assert dx.dtype == dy.dtype == np.float64
    np.testing.assert_array_equal(dx, [0.0, 1.0, 6.0])
    np.testing.assert_allclose(dx, fx)
    np.testing.assert_allclose(dy, fy)
    np.testing.assert_array_equal(wengert.grad(zeroth_power, mode=mode)(x), [1.0, 1.0, 1.0])
    value, along = wengert.jvp(power)(x, y, np.ones(3), np.ones(3))
    assert along == pytest.approx(np.sum(fx) + np.sum(fy))


def test_a_bool_array_is_promoted_like_an_integer_one():
    dx, dy = wengert.grad(polynomial)(np.array([True, False]), np.array([1, 2]))
    assert dx.dtype == dy.dtype == np.float64
    np.testing.assert_array_equal(dx, [3.0, 2.0])


FLOAT32_CASES = [(polynomial, 2), (unused, 2), (linear, 1), (average, 1), (first, 1), (joined, 2), (log_sum, 1),
                 (sqrt_sum, 1), (softplus, 1), (relu_mean, 1), (norm_of, 1), (tanh_square, 2)]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("fn, n", FLOAT32_CASES, ids=[f.__name__ for f, _ in FLOAT32_CASES])
def test_float32_arrays_give_float32_gradients(fn, n, mode):
    args = (np.array([0.5, 1.0, 2.0], np.float32), np.array([1.5, 0.25, 3.0], np.float32))[:n]
    grads = wengert.grad(fn, wrt=tuple(range(n)), mode=mode)(*args)
    reference = wengert.grad(fn, wrt=tuple(range(n)), mode=mode)(*(a.astype(np.float64) for a in args))
    for g, r in zip(grads, reference):
        assert g.dtype == np.float32, (fn.__name__, g.dtype)
        np.testing.assert_allclose(g, r, rtol=1e-3, atol=1e-6)  # float32 arithmetic


def test_float32_matrix_program_gives_float32_gradients():
    x, w = np.array([0.5, -1.0, 2.0], np.float32), np.full((2, 3), 0.25, np.float32)
    for mode in ("reverse", "forward"):
        dx, dw = wengert.grad(mixed, mode=mode)(x, w)
        assert dx.dtype == dw.dtype == np.float32, mode
    value, along = wengert.jvp(mixed)(x, w, np.ones(3, np.float32), np.ones((2, 3), np.float32))
    assert np.asarray(along).dtype == np.float32


def test_the_printed_module_keeps_float32():
    """The standalone source itself (not only wengert.grad) keeps float32: no float64 constants sneak in."""
    namespace = {}
    exec(wengert.source(wengert.grad(average), np.ones(3, np.float32)), namespace)
    assert namespace["average_grad"](np.ones(3, np.float32)).dtype == np.float32


def test_float32_hessians_and_jacobians_stay_float32():
    """Their unit directions are made in the argument's float type, not float64."""
    x = np.array([0.5, 1.0, 2.0], np.float32)
    assert wengert.hessian(cubes)(x).dtype == np.float32
    np.testing.assert_allclose(wengert.hessian(cubes)(x), np.diag(6.0 * x), rtol=1e-6)
    for mode in ("reverse", "forward"):
        jacobian = wengert.jacobian(doubled, mode=mode)(x)
        assert jacobian.dtype == np.float32, mode
        np.testing.assert_allclose(jacobian, np.diag(2.0 / np.cosh(x) ** 2), rtol=1e-5)
    assert wengert.hessian(cubes)(np.array([1, 2])).dtype == np.float64  # integers: float64, as NumPy would
