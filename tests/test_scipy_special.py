"""scipy.special (an optional extra): both modes against central differences, Hessians (vector mode) against
differences of the gradient, the SymPy check where SymPy has the function, softmax and logsumexp finite at
ties and large values, and located refusals."""

import numpy as np
import pytest

scipy_special = pytest.importorskip("scipy.special")

import wengert  # noqa: E402

from programs import scipy_special as S  # noqa: E402
from programs.gradcheck import check_gradients  # noqa: E402
from test_numpy_functions import grad_error, hessian_by_differences  # noqa: E402


def rng(*salt):
    return np.random.default_rng([1516, *salt])


def uniform(shape, low, high, seed):
    return rng(seed).uniform(low, high, size=shape)


UNARY = {S.u_expit: (-4, 4), S.u_log_expit: (-4, 4), S.u_gammaln: (0.3, 5), S.u_digamma: (0.3, 5),
         S.u_polygamma: (0.5, 5), S.u_erf: (-2, 2), S.u_erfc: (-2, 2), S.u_log1p: (-0.5, 2)}
BINARY = [S.b_xlogy, S.b_xlog1py]
ARRAYS = [S.softmax_rows, S.softmax_all, S.log_softmax_columns, S.lse_rows, S.lse_keepdims, S.lse_all,
          S.lse_weighted, S.lse_weighted_positional]


def unary_args(fn, shape, seed):
    low, high = UNARY[fn]
    return uniform(shape, low, high, seed), uniform(shape, -1, 1, seed + 1)


def binary_args(fn, shape, seed):
    return uniform(shape, -2, 2, seed), uniform(shape, 0.3, 2, seed + 1)


def array_args(fn, seed):
    W = uniform((3, 4), -1, 1, seed + 1) if fn not in (S.lse_weighted, S.lse_weighted_positional) \
        else uniform((3, 4), 0.2, 1.5, seed + 1)
    return uniform((3, 4), -3, 3, seed), W


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("fn", list(UNARY), ids=lambda f: f.__name__)
def test_unary_both_modes(fn, mode):
    x, w = unary_args(fn, (4,), 1)
    check_gradients(fn, (x, w), ("x", "w"))
    np.testing.assert_allclose(wengert.grad(fn, wrt="x", mode=mode)(x, w), wengert.grad(fn, wrt="x")(x, w),
                               rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("fn", list(UNARY), ids=lambda f: f.__name__)
def test_unary_hessian(fn):
    x, w = unary_args(fn, (3,), 2)
    hessian = wengert.hessian(fn, wrt="x")(x, w)
    np.testing.assert_allclose(hessian, hessian_by_differences(fn, (x, w), "x"), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("fn", BINARY, ids=lambda f: f.__name__)
def test_binary_both_modes_and_hessian(fn):
    x, y = binary_args(fn, (4,), 3)
    check_gradients(fn, (x, y), ("x", "y"))
    for mode in ("reverse", "forward"):
        np.testing.assert_allclose(wengert.grad(fn, wrt=("x", "y"), mode=mode)(x, y),
                                   wengert.grad(fn, wrt=("x", "y"))(x, y), rtol=1e-12, atol=1e-14)
    hessian_x = wengert.hessian(fn, wrt="x")(x, y)
    np.testing.assert_allclose(hessian_x, hessian_by_differences(fn, (x, y), "x"), rtol=1e-5, atol=1e-6)
    hessian_y = wengert.hessian(fn, wrt="y")(x, y)
    grad_y = wengert.grad(fn, wrt="y")
    h = 1e-4
    numeric = np.stack([(grad_y(x, y + h * e) - grad_y(x, y - h * e)) / (2 * h) for e in np.eye(4)], axis=1)
    np.testing.assert_allclose(hessian_y, numeric, rtol=1e-5, atol=1e-6)


def test_xlogy_is_zero_where_x_is():
    """xlogy(0, y) = 0 for every y, also y == 0: d/dy is 0 there; d/dx is log(y) (-inf at y == 0, where the
    function jumps from 0 to -inf)."""
    x, y = np.array([0.0, 0.0, 1.5]), np.array([0.0, 2.0, 3.0])
    for mode in ("reverse", "forward"):
        with np.errstate(divide="ignore"):
            gx, gy = wengert.grad(S.b_xlogy, wrt=("x", "y"), mode=mode)(x, y)
        np.testing.assert_allclose(gy, [0.0, 0.0, np.cos(3.0) * 1.5 / 3.0 - np.sin(3.0) * 1.5 * np.log(3.0)],
                                   rtol=1e-14, atol=0)
        assert gx[0] == -np.inf
        np.testing.assert_allclose(gx[1:], [np.cos(2.0) * np.log(2.0), np.cos(3.0) * np.log(3.0)], rtol=1e-14)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("fn", ARRAYS, ids=lambda f: f.__name__)
def test_softmax_and_logsumexp_both_modes(fn, mode):
    U, W = array_args(fn, 4)
    check_gradients(fn, (U, W), ("U", "W"))
    np.testing.assert_allclose(wengert.grad(fn, wrt=("U", "W"), mode=mode)(U, W),
                               wengert.grad(fn, wrt=("U", "W"))(U, W), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("fn", ARRAYS, ids=lambda f: f.__name__)
def test_softmax_and_logsumexp_hessian(fn):
    U, W = array_args(fn, 5)
    hessian = wengert.hessian(fn, wrt="U")(U, W)
    np.testing.assert_allclose(hessian, hessian_by_differences(fn, (U, W), "U"), rtol=1e-5, atol=1e-6)


def test_logsumexp_hessian_is_diag_p_minus_p_p_transpose():
    x = np.array([0.5, -1.0, 2.0, 2.0])
    p = scipy_special.softmax(x)
    np.testing.assert_allclose(wengert.hessian(S.lse_all, wrt="U")(x, np.ones(1)), np.diag(p) - np.outer(p, p),
                               rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("scale", [1.0, 1e3, 1e6])
def test_ties_and_large_values_stay_finite(scale):
    """At ties the max's split cotangent cancels (the max trick's shift has derivative 0): the gradient of
    logsumexp is the softmax, equal on the tied entries, and finite for huge logits."""
    U = scale * np.array([[1.0, 1.0, -1.0, 0.5], [2.0, 2.0, 2.0, 2.0], [0.0, -3.0, 0.0, 1.0]])
    W = np.ones((3, 4))
    for mode in ("reverse", "forward"):
        gU = wengert.grad(S.lse_rows, wrt="U", mode=mode)(U, W)
        np.testing.assert_allclose(gU, scipy_special.softmax(U, axis=1), rtol=1e-12, atol=1e-300)
        g = wengert.grad(S.softmax_rows, wrt="U", mode=mode)(U, uniform((3, 4), -1, 1, 6))
        assert np.all(np.isfinite(g))
        g = wengert.grad(S.log_softmax_columns, wrt="U", mode=mode)(U, uniform((3, 4), -1, 1, 7))
        assert np.all(np.isfinite(g))
    assert np.all(np.isfinite(wengert.hessian(S.lse_rows, wrt="U")(U, W)))


@pytest.mark.parametrize("fn", [S.s_special, S.s_math], ids=lambda f: f.__name__)
def test_sympy_agrees(fn):
    report = wengert.check(fn)
    assert report.ok, str(report)


def test_generated_module_imports_scipy_only_where_used():
    text = wengert.source(wengert.value_and_grad(S.lse_rows, wrt="U"), np.ones((3, 4)), np.ones((3, 4)))
    assert "import scipy.special" in text and "scipy.special.logsumexp(U, axis=1)" in text
    namespace = {}
    exec(compile(text, "generated", "exec"), namespace)
    plain = wengert.source(wengert.grad(lambda_free_function), np.ones(3))
    assert "scipy" not in plain


def lambda_free_function(x):
    return np.sum(np.sin(x))


SOURCE = "import numpy as np\nimport scipy.special as sc\n\n\ndef f(x, y):\n    return np.sum({call})\n"


@pytest.mark.parametrize("call, words, at", [
    ("sc.j0(x)", "call to unsupported function 'scipy.special.j0'", "sc.j0"),
    ("sc.logsumexp(x, return_sign=True)", "return_sign=True is not supported", "True"),
    ("sc.softmax(x, axis=1.5)", "axis=1.5 is not supported", "1.5"),
    ("sc.polygamma(-1, x)", "the order must be an integer >= 0", "-1"),
    ("sc.erf(x, y)", "sc.erf takes 1 value argument here (got 2)", "sc.erf"),
    ("sc.logsumexp(x, keepdims=1)", "keepdims must be True or False", "1)"),
])
def test_bad_input_is_located(tmp_path, call, words, at):
    col = len("    return np.sum(") + call.index(at)
    err = grad_error(tmp_path, SOURCE.format(call=call))
    assert words in str(err)
    assert (err.line, err.col) == (6, col), str(err)
    if "j0" in call:
        assert "@wengert.primitive" in str(err) and "logsumexp" in str(err)


def test_logsumexp_weights_broadcast_the_array_up():
    """b shaped (2, 3) against a of shape (3,): the reduction runs over the broadcast shape, as SciPy's."""
    x, B = uniform((3,), -1, 1, 8), uniform((2, 3), 0.2, 2, 9)
    check_gradients(S.lse_weights_grow, (x, B), ("x", "B"))
    forward = wengert.grad(S.lse_weights_grow, wrt=("x", "B"), mode="forward")(x, B)
    for g, h in zip(forward, wengert.grad(S.lse_weights_grow, wrt=("x", "B"))(x, B)):
        np.testing.assert_allclose(g, h, rtol=1e-12, atol=1e-14)
    hessian = wengert.hessian(S.lse_weights_grow, wrt="x")(x, B)
    np.testing.assert_allclose(hessian, hessian_by_differences(S.lse_weights_grow, (x, B), "x"), rtol=1e-5, atol=1e-6)


def test_scalar_chain_both_modes_and_hessian():
    check_gradients(S.s_scalar_chain, (0.7,), "x")
    assert wengert.grad(S.s_scalar_chain, mode="forward")(0.7) == pytest.approx(wengert.grad(S.s_scalar_chain)(0.7),
                                                                                rel=1e-12)
    h = 1e-4
    grad = wengert.grad(S.s_scalar_chain)
    assert wengert.hessian(S.s_scalar_chain)(0.7) == pytest.approx((grad(0.7 + h) - grad(0.7 - h)) / (2 * h),
                                                                   rel=1e-6)
