"""Second derivatives and Jacobians (tests/programs/higher.py): Hessians against SymPy and closed forms, the
shape of the generated Hessian code (A + A.T, one matrix product, no loops), hvp against H @ v, Jacobians by
both modes against finite differences and each other, jvp/vjp of vector-valued functions, control flow and
helpers, matrix and float parameters, the CLI, and bad input. Bugs found here have a minimal reproducer
in tests/programs/higher.py and a test of their own."""

import ast
import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import sympy

import wengert
from wengert import WengertError
from wengert.cli import main

from conftest import ROOT, run_module_text
from programs import higher as P

HIGHER = str(ROOT / "tests" / "programs" / "higher.py")


def rng(*salt):
    return np.random.default_rng([5, *salt])


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def numeric_hessian(f, x, h=1e-3):
    """d2 f / dx dx by central differences of f (error O(h^2)), shaped x.shape + x.shape."""
    x = np.asarray(x, dtype=float)
    flat = x.ravel()

    def at(i, j, si, sj):
        shifted = flat.copy()
        shifted[i] += si * h
        shifted[j] += sj * h
        return f(shifted.reshape(x.shape))

    n = flat.size
    H = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            H[i, j] = (at(i, j, 1, 1) - at(i, j, 1, -1) - at(i, j, -1, 1) + at(i, j, -1, -1)) / (4 * h * h)
    return H.reshape(x.shape + x.shape)


def numeric_jacobian(f, x, h=1e-6):
    """d f / dx by central differences, shaped f(x).shape + x.shape."""
    x = np.asarray(x, dtype=float)
    columns = []
    for k in range(x.size):
        step = np.zeros(x.size)
        step[k] = h
        step = step.reshape(x.shape)
        columns.append((np.asarray(f(x + step)) - np.asarray(f(x - step))) / (2 * h))
    return np.moveaxis(np.array(columns), 0, -1).reshape(np.shape(f(x)) + x.shape)


def hessian_by_differences(f, args, i=0, h=1e-6):
    """Central differences of wengert.grad w.r.t. argument i: a reference Hessian through control flow."""
    grad = wengert.grad(f, wrt=i)
    return numeric_jacobian(lambda z: grad(*args[:i], z, *args[i + 1:]), args[i], h)


def sympy_hessian_at(expr, symbols, point):
    """sympy.hessian of expr w.r.t. the flat list `symbols`, evaluated at `point`, as a float array."""
    H = sympy.hessian(expr, symbols).subs(dict(zip(symbols, point)))
    return np.array(H.evalf(30).tolist(), dtype=float)


def function_body(text, name):
    """The ast.FunctionDef `name` in a generated module."""
    return next(n for n in ast.walk(ast.parse(text)) if isinstance(n, ast.FunctionDef) and n.name == name)


def count(tree, kind):
    return sum(isinstance(n, kind) for n in ast.walk(tree))


def logistic_data(N, D, salt=0):
    r = rng(N, D, salt)
    return 0.5 * r.normal(size=D), r.normal(size=(N, D)), (r.random(N) > 0.5).astype(float)


def logistic_closed_form(w, X, y):
    p = sigmoid(X @ w)
    return X.T @ ((p * (1 - p))[:, None] * X) / len(X)


# ---- Rosenbrock against SymPy ----------------------------------------------------------------------------

def rosenbrock_sympy(n):
    xs = sympy.symbols(f"x0:{n}")
    return sum(100 * (xs[i + 1] - xs[i] ** 2) ** 2 + (1 - xs[i]) ** 2 for i in range(n - 1)), list(xs)


@pytest.mark.parametrize("n", [2, 5])
def test_rosenbrock_hessian_matches_sympy(n):
    x = rng(n).normal(size=n)
    expr, symbols = rosenbrock_sympy(n)
    H = wengert.hessian(P.rosenbrock, wrt="x")(x)
    assert H.shape == (n, n)
    np.testing.assert_allclose(H, sympy_hessian_at(expr, symbols, x), rtol=1e-12, atol=1e-10)


def test_rosenbrock_hessian_at_the_minimum_is_the_textbook_matrix():
    H = wengert.hessian(P.rosenbrock, wrt="x")(np.ones(2))
    np.testing.assert_array_equal(H, [[802.0, -400.0], [-400.0, 200.0]])


# ---- logistic regression: the closed form and the shape of the code -------------------------------------------

@pytest.mark.parametrize("N, D", [(7, 3), (60, 5)])
def test_logistic_regression_hessian_is_the_closed_form(N, D):
    w, X, y = logistic_data(N, D)
    H = wengert.hessian(P.logistic_nll, wrt="w")(w, X, y)
    assert H.shape == (D, D)
    np.testing.assert_allclose(H, logistic_closed_form(w, X, y), rtol=1e-12, atol=1e-15)


def test_logistic_regression_hessian_code_is_one_matrix_product_without_loops():
    """X.T @ (c[:, None] * X) / N in shape: X @ w for the primal and one product for H; no identity basis,
    no loop over the D directions, no call of a gradient function."""
    w, X, y = logistic_data(20, 4)
    text = wengert.source(wengert.hessian(P.logistic_nll, wrt="w"), w, X, y)
    body = function_body(text, "logistic_nll_hessian")
    assert count(body, (ast.For, ast.While, ast.ListComp, ast.GeneratorExp)) == 0, text
    assert "np.eye" not in text, text
    assert count(body, ast.MatMult) <= 2, text
    assert [n.name for n in ast.walk(ast.parse(text)) if isinstance(n, ast.FunctionDef)] == ["logistic_nll_hessian"]
    # the D x N batch of tangents (X.T) meets exactly one elementwise product: s * (work done once on N values)
    (batch,) = [a.targets[0].id for a in ast.walk(body) if isinstance(a, ast.Assign) and ast.unparse(a.value) == "X.T"]
    elementwise = [n for n in ast.walk(body) if isinstance(n, ast.BinOp) and not isinstance(n.op, ast.MatMult)
                   and batch in (ast.unparse(n.left), ast.unparse(n.right))]
    assert len(elementwise) == 1 and isinstance(elementwise[0].op, ast.Mult), text


def test_one_compiled_hessian_serves_every_batch_size():
    hess = wengert.hessian(P.logistic_nll, wrt="w")
    for N in (5, 40, 3):
        w, X, y = logistic_data(N, 3, salt=1)
        np.testing.assert_allclose(hess(w, X, y), logistic_closed_form(w, X, y), rtol=1e-12, atol=1e-15)
    assert len(hess.__wengert_cache__) == 1


# ---- quadratic forms ------------------------------------------------------------------------------------------

def test_quadratic_form_hessian_is_A_plus_A_transpose():
    r = rng(11)
    A, x = r.normal(size=(4, 4)), r.normal(size=4)
    np.testing.assert_allclose(wengert.hessian(P.quadratic_form, wrt="x")(x, A), A + A.T, rtol=1e-15)


def test_quadratic_form_hessian_code_reduces_to_A_plus_A_transpose():
    """No identity basis, no products, no loops: the code adds A and its transpose (and reshapes)."""
    r = rng(12)
    A, x = r.normal(size=(3, 3)), r.normal(size=3)
    hess = wengert.hessian(P.quadratic_form, wrt="x")
    text = wengert.source(hess, x, A)
    body = function_body(text, "quadratic_form_hessian")
    assert "np.eye" not in text and ("A.T" in text or "np.transpose(A" in text), text
    assert count(body, (ast.For, ast.While)) == 0, text
    binary = [type(n.op) for n in ast.walk(body) if isinstance(n, ast.BinOp) and "np.shape" not in ast.unparse(n)]
    assert binary.count(ast.Add) == 1 and ast.MatMult not in binary and ast.Mult not in binary, text
    assert np.array_equal(hess(x, A), hess(10 * x + 1, A))  # the Hessian of a quadratic form does not read x


def test_quadratic_with_linear_term_hessian_is_the_symmetric_part():
    r = rng(13)
    A, x, b = r.normal(size=(5, 5)), r.normal(size=5), r.normal(size=5)
    H = wengert.hessian(P.quadratic_with_linear_term, wrt="x")(x, A, b)
    np.testing.assert_allclose(H, (A + A.T) / 2, rtol=1e-14, atol=1e-15)


# ---- Hessian-vector products --------------------------------------------------------------------------------

def hvp_cases():
    r = rng(20)
    w, X, y = logistic_data(30, 4)
    W, x = r.normal(size=(3, 4)), r.normal(size=4)
    return [
        pytest.param(P.rosenbrock, (r.normal(size=5),), "x", id="rosenbrock"),
        pytest.param(P.logistic_nll, (w, X, y), "w", id="logistic"),
        pytest.param(P.softplus_cost, (x, W), "x", id="softplus-helper"),
        pytest.param(P.tanh_layer_cost, (W, x), "W", id="matrix-parameter"),
    ]


@pytest.mark.parametrize("f, args, wrt", hvp_cases())
def test_hvp_equals_hessian_times_v(f, args, wrt):
    i = f.__code__.co_varnames.index(wrt)
    v = rng(21).normal(size=np.shape(args[i]))
    H = wengert.hessian(f, wrt=wrt)(*args)
    Hv = wengert.hvp(f, wrt=wrt)(*args, v)
    assert np.shape(Hv) == np.shape(v)
    np.testing.assert_allclose(Hv, np.tensordot(H, v, axes=v.ndim), rtol=1e-12, atol=1e-13)


def test_hvp_of_a_float_parameter_is_the_second_derivative_times_v():
    second = wengert.hessian(P.sin_times_x, wrt="x")(0.7)
    assert math.isclose(wengert.hvp(P.sin_times_x, wrt="x")(0.7, -2.5), -2.5 * second, rel_tol=1e-14)


def test_hvp_code_forms_no_hessian():
    """H @ v of logistic regression costs two matrix-vector products: no identity basis, no D x D matrix."""
    w, X, y = logistic_data(20, 4)
    text = wengert.source(wengert.hvp(P.logistic_nll, wrt="w"), w, X, y, w)
    assert "np.eye" not in text and "X.T" not in text, text
    assert count(function_body(text, "logistic_nll_hvp"), (ast.For, ast.While)) == 0, text


# ---- second derivatives of scalar functions against SymPy ---------------------------------------------------

s_x, s_a, s_x1, s_x2 = sympy.symbols("x a x1 x2")
SCALAR_CASES = [
    pytest.param(P.sin_times_x, sympy.sin(s_x) * s_x, "x", {s_x: 0.7}, id="sin(x)*x"),
    pytest.param(P.sin_times_x, sympy.sin(s_x) * s_x, "x", {s_x: -2.3}, id="sin(x)*x-negative"),
    pytest.param(P.exp_over_quadratic, sympy.exp(s_x) / (1 + s_x ** 2), "x", {s_x: 0.4}, id="exp/(1+x^2)"),
    pytest.param(P.log_of_hypot, sympy.log(s_a + sympy.sqrt(s_x ** 2 + 1)) * sympy.cos(s_a * s_x), "x",
                 {s_x: 0.7, s_a: 1.3}, id="log-hypot-wrt-x"),
    pytest.param(P.log_of_hypot, sympy.log(s_a + sympy.sqrt(s_x ** 2 + 1)) * sympy.cos(s_a * s_x), "a",
                 {s_x: 0.7, s_a: 1.3}, id="log-hypot-wrt-a"),
    pytest.param(P.lecture, sympy.log(s_x1) + s_x1 * s_x2 - sympy.sin(s_x2), "x1", {s_x1: 2.0, s_x2: 5.0},
                 id="lecture-x1"),
    pytest.param(P.lecture, sympy.log(s_x1) + s_x1 * s_x2 - sympy.sin(s_x2), "x2", {s_x1: 2.0, s_x2: 5.0},
                 id="lecture-x2"),
    pytest.param(P.power_times_tanh, s_x ** 3 * sympy.tanh(s_x) - 2 / s_x, "x", {s_x: 0.9}, id="x^3*tanh-2/x"),
]


@pytest.mark.parametrize("f, expr, wrt, point", SCALAR_CASES)
def test_second_derivative_of_a_scalar_function_matches_sympy(f, expr, wrt, point):
    names = f.__code__.co_varnames[:f.__code__.co_argcount]
    args = [point[sympy.Symbol(n)] for n in names]
    expected = float(sympy.diff(expr, sympy.Symbol(wrt), 2).subs(point).evalf(30))
    second = wengert.hessian(f, wrt=wrt)(*args)
    assert type(second) is float, type(second)
    assert math.isclose(second, expected, rel_tol=1e-12, abs_tol=1e-14), (second, expected)


def test_hessian_of_a_float_among_arrays_is_a_float_and_of_the_array_the_closed_form():
    r = rng(30)
    w, X, y, lam = r.normal(size=3), r.normal(size=(8, 3)), r.normal(size=8), 0.3
    by_lam = wengert.hessian(P.ridge_penalty, wrt="lam")(w, lam, X, y)
    assert isinstance(by_lam, float) and np.ndim(by_lam) == 0 and by_lam == 0.0
    np.testing.assert_allclose(wengert.hessian(P.ridge_penalty, wrt="w")(w, lam, X, y),
                               2 * X.T @ X / 8 + 2 * lam * np.eye(3), rtol=1e-13)


# ---- matrix parameters ------------------------------------------------------------------------------------------

def test_hessian_with_respect_to_a_matrix_has_shape_s_s_and_matches_sympy():
    m, n = 2, 3
    r = rng(40)
    W, x = r.normal(size=(m, n)), r.normal(size=n)
    symbols = sympy.symbols(f"w0:{m * n}")
    rows = sympy.Matrix(m, n, symbols) * sympy.Matrix(x)
    expr = sum(sympy.tanh(rows[i]) ** 2 for i in range(m))
    H = wengert.hessian(P.tanh_layer_cost, wrt="W")(W, x)
    assert H.shape == (m, n, m, n)
    expected = sympy_hessian_at(expr, list(symbols), W.ravel()).reshape(m, n, m, n)
    np.testing.assert_allclose(H, expected, rtol=1e-12, atol=1e-14)


# ---- Jacobians: both modes, finite differences, each other ----------------------------------------------------

def jacobian_cases():
    r = rng(50)
    x, A = r.normal(size=4), r.normal(size=(3, 4))
    return [
        pytest.param(P.scaled_tanh_layer, (x, A), "x", (3, 4), id="tanh-layer-wrt-x"),
        pytest.param(P.scaled_tanh_layer, (x, A), "A", (3, 3, 4), id="tanh-layer-wrt-A"),
        pytest.param(P.elementwise_and_coupled, (x,), "x", (4, 4), id="coupled"),
        pytest.param(P.outer_square, (x,), "x", (4, 4, 4), id="matrix-output"),
    ]


@pytest.mark.parametrize("mode", ["forward", "reverse"])
@pytest.mark.parametrize("f, args, wrt, shape", jacobian_cases())
def test_jacobian_matches_finite_differences(f, args, wrt, shape, mode):
    i = f.__code__.co_varnames.index(wrt)

    def along(z):
        return f(*args[:i], z, *args[i + 1:])

    J = wengert.jacobian(f, wrt=wrt, mode=mode)(*args)
    assert J.shape == shape
    np.testing.assert_allclose(J, numeric_jacobian(along, args[i]), rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("f, args, wrt, shape", jacobian_cases())
def test_forward_and_reverse_jacobians_agree(f, args, wrt, shape):
    forward = wengert.jacobian(f, wrt=wrt, mode="forward")(*args)
    reverse = wengert.jacobian(f, wrt=wrt, mode="reverse")(*args)
    np.testing.assert_allclose(forward, reverse, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_jacobian_of_a_scalar_function_is_its_gradient(mode):
    w, X, y = logistic_data(25, 4)
    J = wengert.jacobian(P.logistic_nll, wrt="w", mode=mode)(w, X, y)
    assert J.shape == (4,)
    np.testing.assert_allclose(J, wengert.grad(P.logistic_nll, wrt="w")(w, X, y), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(J, X.T @ (sigmoid(X @ w) - y) / 25, rtol=1e-12, atol=1e-15)


def test_jvp_and_vjp_of_a_vector_valued_function():
    r = rng(60)
    x, A, t, g = r.normal(size=4), r.normal(size=(3, 4)), r.normal(size=4), r.normal(size=3)
    J = numeric_jacobian(lambda z: P.scaled_tanh_layer(z, A), x)
    value, tangent = wengert.jvp(P.scaled_tanh_layer, wrt="x")(x, A, t)
    np.testing.assert_allclose(value, P.scaled_tanh_layer(x, A), rtol=1e-15)
    np.testing.assert_allclose(tangent, J @ t, rtol=1e-7, atol=1e-9)
    value, cotangent = wengert.vjp(P.scaled_tanh_layer, wrt="x")(x, A, g)
    np.testing.assert_allclose(value, P.scaled_tanh_layer(x, A), rtol=1e-15)
    np.testing.assert_allclose(cotangent, g @ J, rtol=1e-7, atol=1e-9)


def test_jvp_and_vjp_of_a_matrix_valued_function():
    r = rng(61)
    x, t, G = r.normal(size=3), r.normal(size=3), r.normal(size=(3, 3))
    J = wengert.jacobian(P.outer_square, wrt="x", mode="reverse")(x)
    np.testing.assert_allclose(wengert.jvp(P.outer_square, wrt="x")(x, t)[1], J @ t, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(wengert.vjp(P.outer_square, wrt="x")(x, G)[1], np.tensordot(G, J, 2),
                               rtol=1e-13, atol=1e-15)


# ---- control flow and helpers ----------------------------------------------------------------------------------

@pytest.mark.parametrize("sign", [1.0,
                                  -1.0], ids=["then", "else"])
def test_hessian_through_a_branch(sign):
    x = sign * (np.abs(rng(70).normal(size=4)) + 0.1)
    H = wengert.hessian(P.branch_on_sum, wrt="x")(x)
    np.testing.assert_allclose(H, numeric_hessian(P.branch_on_sum, x), rtol=1e-5, atol=1e-6)


def test_second_derivative_through_a_value_defined_in_a_branch():
    assert math.isclose(wengert.hessian(P.fourth_power_in_branch, wrt="x")(0.7), 12 * 0.7 ** 2, rel_tol=1e-13)
    assert math.isclose(wengert.hvp(P.fourth_power_in_branch, wrt="x")(0.7, 2.0), 24 * 0.7 ** 2, rel_tol=1e-13)


def test_second_derivative_through_the_other_side_of_that_branch():
    assert wengert.hessian(P.fourth_power_in_branch, wrt="x")(-0.7) == 0.0


def test_hessian_through_a_loop_with_a_branch():
    """The loop's stack holds arrays: their tangents are popped as batches of known rank."""
    x = np.array([0.3, -0.2, 0.5, 0.1])
    H = wengert.hessian(P.loop_and_branch, wrt="x")(x, 3)
    np.testing.assert_allclose(H, hessian_by_differences(P.loop_and_branch, (x, 3)), rtol=1e-7, atol=1e-8)


def test_hessian_of_a_loop_carried_array():
    """The popped loop state had no shape (a pop has no shape rule), so vector mode lost its rank."""
    x = np.array([0.3, -0.2, 0.5])
    H = wengert.hessian(P.array_state_loop, wrt="x")(x, 2)
    np.testing.assert_allclose(H, hessian_by_differences(P.array_state_loop, (x, 2)), rtol=1e-7, atol=1e-8)


def test_hessian_hvp_and_jacobians_through_a_recurrence_of_matrix_products():
    """h = tanh(A @ h) three times (issue #5): the Hessian against SymPy's; hvp and both Jacobians agree."""
    n = 3
    r = rng(72)
    x, A, v = r.normal(size=n), 0.8 * r.normal(size=(n, n)), r.normal(size=n)
    xs = sympy.symbols(f"x0:{n}")
    h = sympy.Matrix(xs)
    for _ in range(3):
        h = (sympy.Matrix(A) * h).applyfunc(sympy.tanh)
    H = wengert.hessian(P.tanh_recurrence, wrt="x")(x, A)
    np.testing.assert_allclose(H, sympy_hessian_at(sum(e * e for e in h), list(xs), x), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(wengert.hvp(P.tanh_recurrence, wrt="x")(x, A, v), H @ v, rtol=1e-12, atol=1e-14)
    gradient = wengert.grad(P.tanh_recurrence, wrt="x")(x, A)
    for mode in ("forward", "reverse"):
        np.testing.assert_allclose(wengert.jacobian(P.tanh_recurrence, wrt="x", mode=mode)(x, A), gradient,
                                   rtol=1e-13, atol=1e-15)


def test_reverse_jacobian_through_a_loop():
    """A batch of cotangents carried backwards through a loop: the adjoint loop's state is a batch too."""
    r = rng(73)
    x, A = r.normal(size=4), 0.8 * r.normal(size=(4, 4))
    J = numeric_jacobian(lambda z: P.tanh_recurrence_state(z, A), x)
    for mode in ("forward", "reverse"):
        np.testing.assert_allclose(wengert.jacobian(P.tanh_recurrence_state, wrt="x", mode=mode)(x, A), J,
                                   rtol=1e-7, atol=1e-9)


def test_gradient_through_a_branch_in_a_loop_keeps_pushes_and_pops_paired():
    """The branch pushed a value whose pop simplification then dropped: the next pop unpacked it (issue #5)."""
    r = rng(75)
    x, A = r.normal(size=4), r.normal(size=(4, 4))
    f = P.helper_and_branch_in_a_loop
    taken = [np.sum(h) > 0 for h in _states(x, A)]
    assert any(taken) and not all(taken), taken  # both sides of the branch run
    np.testing.assert_allclose(wengert.grad(f, wrt="x")(x, A), numeric_jacobian(lambda z: f(z, A), x),
                               rtol=1e-7, atol=1e-9)
    H = wengert.hessian(f, wrt="x")(x, A)
    np.testing.assert_allclose(H, hessian_by_differences(f, (x, A)), rtol=1e-7, atol=1e-8)
    v = r.normal(size=4)
    np.testing.assert_allclose(wengert.hvp(f, wrt="x")(x, A, v), H @ v, rtol=1e-12, atol=1e-13)


def _states(x, A):
    h, states = x, []
    for _ in range(3):
        h = np.tanh(A @ h)
        states.append(h)
    return states


def test_hessian_and_jacobians_through_a_while_loop_with_a_data_dependent_exit():
    f = P.grow_until_large
    for x in (np.array([0.3, -0.2, 0.5]), np.array([1.5, 2.0, -1.0])):  # several passes, and fewer
        H = wengert.hessian(f, wrt="x")(x)
        np.testing.assert_allclose(H, hessian_by_differences(f, (x,)), rtol=1e-7, atol=1e-8)
        for mode in ("forward", "reverse"):
            np.testing.assert_allclose(wengert.jacobian(f, wrt="x", mode=mode)(x), wengert.grad(f, wrt="x")(x),
                                       rtol=1e-13, atol=1e-14)


def test_second_derivative_through_a_scalar_loop_with_a_branch():
    def second_difference(z, h=1e-4):
        return (P.scalar_loop_and_branch(z + h, 4) - 2 * P.scalar_loop_and_branch(z, 4)
                + P.scalar_loop_and_branch(z - h, 4)) / h ** 2
    second = wengert.hessian(P.scalar_loop_and_branch, wrt="x")(0.6, 4)
    assert math.isclose(second, second_difference(0.6), rel_tol=1e-5)


def test_second_derivative_of_a_cube_computed_by_a_loop():
    assert math.isclose(wengert.hessian(P.cube_by_loop, wrt="x")(0.6), 3.6, rel_tol=1e-13)


def test_hvp_through_a_loop():
    assert math.isclose(wengert.hvp(P.cube_by_loop, wrt="x")(0.6, 1.0), 3.6, rel_tol=1e-13)


def test_hessian_through_helper_calls_is_the_closed_form():
    w, X, y = logistic_data(40, 3, salt=2)
    H = wengert.hessian(P.logistic_nll_with_helper, wrt="w")(w, X, y)
    np.testing.assert_allclose(H, logistic_closed_form(w, X, y), rtol=1e-10, atol=1e-14)


def test_hessian_through_a_softplus_helper():
    r = rng(71)
    x, A = r.normal(size=3), r.normal(size=(4, 3))
    s = sigmoid(A @ x)
    expected = A.T @ ((s * (1 - s))[:, None] * A) + np.eye(3)
    np.testing.assert_allclose(wengert.hessian(P.softplus_cost, wrt="x")(x, A), expected, rtol=1e-12, atol=1e-14)


def test_hessian_of_logsumexp_with_the_max_trick_is_diag_p_minus_p_p_transpose():
    for x in (np.array([0.3, -0.2, 0.5, 1.0]), np.array([1.0, 1.0, 0.5])):  # the second has a tie in the max
        p = np.exp(x - x.max())
        p /= p.sum()
        np.testing.assert_allclose(wengert.hessian(P.logsumexp, wrt="x")(x), np.diag(p) - np.outer(p, p),
                                   rtol=1e-12, atol=1e-15)


# ---- more wengert bugs, each with a minimal reproducer ------------------------------------------------------------

def test_hessian_when_an_element_has_a_constant_cotangent():
    x = np.array([0.3, -0.2, 0.5])
    np.testing.assert_allclose(wengert.hessian(P.cubes_minus_first, wrt="x")(x), np.diag(6 * x), rtol=1e-14)


def test_hessian_through_reshapes():
    x = rng(80).normal(size=6)
    np.testing.assert_allclose(wengert.hessian(P.reshaped_product, wrt="x")(x),
                               numeric_hessian(P.reshaped_product, x), rtol=1e-6, atol=1e-6)


def test_forward_jacobian_through_a_reshape():
    x = rng(81).normal(size=6)
    np.testing.assert_allclose(wengert.jacobian(P.reshaped_cubes, wrt="x", mode="forward")(x), 3 * x ** 2,
                               rtol=1e-14)


def test_hessian_through_concatenate():
    x = rng(82).normal(size=3)
    np.testing.assert_allclose(wengert.hessian(P.concatenated_squares, wrt="x")(x), np.diag(2 + 12 * x ** 2),
                               rtol=1e-13)


def test_hessian_and_jacobians_through_concatenate_and_stack():
    """issue #5: the cotangent pieces of np.concatenate and np.stack had no rank in vector mode."""
    x = rng(84).normal(size=4)
    f = P.concatenate_and_stack
    sin, cos = np.sin(x), np.cos(x)
    np.testing.assert_allclose(wengert.hessian(f, wrt="x")(x),
                               np.diag(2 + 12 * x ** 2 + 6 * x + 6 * sin * cos ** 2 - 3 * sin ** 3), rtol=1e-13)
    for mode in ("forward", "reverse"):
        np.testing.assert_allclose(wengert.jacobian(f, wrt="x", mode=mode)(x), wengert.grad(f, wrt="x")(x),
                                   rtol=1e-14)


def test_hessian_through_the_transpose_of_a_reshape():
    """issue #5: the batched tangent of y.T had its batch axis moved (np.transpose(y_dot, (0, 1)))."""
    x = rng(85).normal(size=6)
    H = np.kron(np.eye(2), 2 * np.ones((3, 3)))  # sum(y.T @ y) = sum over rows of (row sum) ** 2
    np.testing.assert_allclose(wengert.hessian(P.gram_of_reshape, wrt="x")(x), H, rtol=1e-14)
    v = rng(86).normal(size=6)
    np.testing.assert_allclose(wengert.hvp(P.gram_of_reshape, wrt="x")(x, v), H @ v, rtol=1e-13)
    for mode in ("forward", "reverse"):
        np.testing.assert_allclose(wengert.jacobian(P.gram_of_reshape, wrt="x", mode=mode)(x),
                                   wengert.grad(P.gram_of_reshape, wrt="x")(x), rtol=1e-14)


def test_reverse_jacobian_of_a_gram_matrix():
    W = rng(83).normal(size=(2, 3))
    np.testing.assert_allclose(wengert.jacobian(P.gram, wrt="W", mode="reverse")(W),
                               wengert.jacobian(P.gram, wrt="W", mode="forward")(W), rtol=1e-13)


def test_hessian_of_a_vector_valued_function_is_a_wengert_error():
    with pytest.raises(WengertError):
        wengert.hessian(P.elementwise_and_coupled, wrt="x")(np.array([1.0, 2.0, 3.0]))


# ---- bad input ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("transform, extra", [(wengert.hessian, 0), (wengert.hvp, 1), (wengert.jacobian, 0)],
                         ids=["hessian", "hvp", "jacobian"])
def test_two_wrt_names_are_a_wengert_error(transform, extra):
    w, X, y = logistic_data(5, 2)
    with pytest.raises(WengertError, match="one parameter"):
        transform(P.logistic_nll, wrt=("w", "X"))(w, X, y, *[w] * extra)


# ---- the command line ------------------------------------------------------------------------------------------

def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def imported_modules(text):
    names = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module.split(".")[0])
    return names


LOGISTIC_SHAPES = ("--shape", "w=D", "--shape", "X=N,D", "--shape", "y=N")


def test_cli_hessian_prints_a_standalone_module_with_the_same_numbers(capsys, tmp_path):
    status, out, err = run(capsys, "hessian", f"{HIGHER}:logistic_nll", "--wrt", "w", *LOGISTIC_SHAPES)
    assert status == 0 and err == ""
    assert out.splitlines()[0] == f"# Generated by wengert from {HIGHER}:logistic_nll (hessian). Do not edit."
    assert imported_modules(out) <= {"math", "numpy"}
    (tmp_path / "hess.py").write_text(out, encoding="utf-8")
    driver = textwrap.dedent("""
        import numpy as np, hess
        r = np.random.default_rng(3)
        w, X = r.normal(size=4), r.normal(size=(30, 4))
        y = (r.random(30) > 0.5).astype(float)
        print(repr(hess.logistic_nll_hessian(w, X, y).tolist()))
    """)
    done = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n{driver}"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    r = np.random.default_rng(3)
    w, X = r.normal(size=4), r.normal(size=(30, 4))
    y = (r.random(30) > 0.5).astype(float)
    standalone = np.array(ast.literal_eval(done.stdout))
    np.testing.assert_array_equal(standalone, wengert.hessian(P.logistic_nll, wrt="w")(w, X, y))
    np.testing.assert_allclose(standalone, logistic_closed_form(w, X, y), rtol=1e-12, atol=1e-15)


def test_cli_hessian_output_is_byte_identical_across_runs(capsys):
    first = run(capsys, "hessian", f"{HIGHER}:rosenbrock", "--wrt", "x", "--shape", "x=n")[1]
    second = run(capsys, "hessian", f"{HIGHER}:rosenbrock", "--wrt", "x", "--shape", "x=n")[1]
    assert first == second and "def rosenbrock_hessian(x):" in first


def test_cli_hessian_of_a_float_function_needs_no_shape(capsys):
    status, out, err = run(capsys, "hessian", f"{HIGHER}:sin_times_x", "--wrt", "x")
    assert status == 0 and err == ""
    expected = float(sympy.diff(sympy.sin(s_x) * s_x, s_x, 2).subs(s_x, 0.7))
    assert math.isclose(run_module_text(out, "sin_times_x_hessian")(0.7), expected, rel_tol=1e-13)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_cli_jacobian_in_both_modes(capsys, mode):
    status, out, err = run(capsys, "jacobian", f"{HIGHER}:scaled_tanh_layer", "--wrt", "x", "--mode", mode,
                           "--shape", "x=n", "--shape", "A=m,n")
    assert status == 0 and err == ""
    assert out.splitlines()[0] == (f"# Generated by wengert from {HIGHER}:scaled_tanh_layer (jacobian, {mode} mode)."
                                   " Do not edit.")
    assert imported_modules(out) <= {"math", "numpy"}
    r = rng(90)
    x, A = r.normal(size=5), r.normal(size=(2, 5))
    J = run_module_text(out, "scaled_tanh_layer_jacobian")(x, A)
    np.testing.assert_allclose(J, numeric_jacobian(lambda z: P.scaled_tanh_layer(z, A), x), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(J, wengert.jacobian(P.scaled_tanh_layer, wrt="x", mode=mode)(x, A), rtol=1e-15)


@pytest.mark.parametrize("command", [["hessian", f"{HIGHER}:logistic_nll", "--wrt", "w"],
                                     ["jacobian", f"{HIGHER}:scaled_tanh_layer", "--wrt", "x", "--mode", "reverse"]],
                         ids=["hessian", "jacobian"])
def test_cli_missing_shape_is_exit_2_with_a_hint_and_no_traceback(command):
    done = subprocess.run([sys.executable, "-m", "wengert", *command], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert "error:" in done.stderr and "hint:" in done.stderr and "--shape" in done.stderr


def test_cli_missing_shape_error_names_the_file(capsys):
    """It was located at '<generated>:0:1': now the statement that needs the rank, and the parameters."""
    status, _, err = run(capsys, "hessian", f"{HIGHER}:logistic_nll", "--wrt", "w")
    line = next(i for i, text in enumerate(open(HIGHER, encoding="utf-8"), 1) if text.strip() == "z = X @ w")
    assert status == 2 and err.startswith(f"{HIGHER}:{line}:5: error:"), err
    assert "\n        z = X @ w\n        ^\n" in err and "no shape is known for w, X, y" in err, err


def test_cli_two_wrt_names_is_exit_2(capsys):
    status, out, err = run(capsys, "hessian", f"{HIGHER}:logistic_nll", "--wrt", "w,X", *LOGISTIC_SHAPES)
    assert status == 2 and out == "" and "one parameter" in err and "Traceback" not in err
