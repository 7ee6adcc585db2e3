"""NumPy functions of issue 15, one by one: both modes against central differences (check_gradients: grad,
value_and_grad, jvp == <grad, v>, vjp), Hessians (vector mode) against differences of the gradient, the SymPy
check on scalar programs, and located refusals of what NumPy itself refuses."""

import numpy as np
import pytest

import wengert
from wengert import WengertError

from programs import numpy_functions as F
from programs.gradcheck import check_gradients, numeric_grad


def rng(*salt):
    return np.random.default_rng([1515, *salt])


def grad_error(tmp_path, source):
    """The WengertError of wengert.grad(f) called on two vectors, f in the module text source (a file)."""
    path = tmp_path / "case.py"
    path.write_text(source)
    namespace = {}
    exec(compile(source, str(path), "exec"), namespace)
    with pytest.raises(WengertError) as info:
        wengert.grad(namespace["f"])(np.ones(3), np.ones(3))
    return info.value


def uniform(shape, low, high, seed):
    return rng(seed).uniform(low, high, size=shape)


def away_from_zero(shape, seed, low=0.4, high=2.0):
    x = uniform(shape, low, high, seed)
    return x * np.where(rng(seed, 1).random(shape) < 0.5, -1.0, 1.0)


UNARY = {  # function -> argument draw (shape, seed) -> x
    F.u_log10: lambda s, k: uniform(s, 0.5, 2, k), F.u_log2: lambda s, k: uniform(s, 0.5, 2, k),
    F.u_exp2: lambda s, k: uniform(s, -2, 2, k), F.u_arcsinh: lambda s, k: uniform(s, -2, 2, k),
    F.u_arccosh: lambda s, k: uniform(s, 1.2, 3, k), F.u_arctanh: lambda s, k: uniform(s, -0.8, 0.8, k),
    F.u_reciprocal: away_from_zero, F.u_cbrt: away_from_zero, F.u_fabs: away_from_zero,
    F.u_positive: lambda s, k: uniform(s, -2, 2, k), F.u_deg2rad: lambda s, k: uniform(s, -2, 2, k),
    F.u_rad2deg: lambda s, k: uniform(s, -2, 2, k), F.u_radians: lambda s, k: uniform(s, -2, 2, k),
    F.u_degrees: lambda s, k: uniform(s, -2, 2, k), F.u_nan_to_num: lambda s, k: uniform(s, -2, 2, k),
    F.u_negative: lambda s, k: uniform(s, -2, 2, k),
}


def off_integers(shape, seed):
    """Values at least 0.1 from every integer and half-integer: floor, round, ... are locally constant there."""
    return np.floor(uniform(shape, -6, 6, seed) * 2) / 2 + uniform(shape, 0.1, 0.4, seed + 1)


STEPS = [F.st_floor, F.st_ceil, F.st_trunc, F.st_rint, F.st_round, F.st_around]


def binary_args(fn, sa, sb, seed):
    if fn in (F.b_mod, F.b_fmod, F.b_remainder):  # the quotient a / b well away from integers (the jumps)
        b = away_from_zero(sb, seed + 1, 0.8, 1.2)
        a = np.broadcast_to(b, np.broadcast_shapes(sa, sb)) * off_integers(sa if sa else (), seed)
        return np.asarray(a if np.shape(a) == sa else a[(0,) * (np.ndim(a) - len(sa))]), b
    if fn is F.b_float_power:
        return uniform(sa, 0.5, 2, seed), uniform(sb, -1.5, 1.5, seed + 1)
    if fn in (F.b_fmax, F.b_fmin):  # no ties
        a = uniform(sa, -2, 2, seed)
        return a, uniform(sb, -2, 2, seed + 1) + 0.05
    if fn is F.b_heaviside:
        return away_from_zero(sa, seed), uniform(sb, -2, 2, seed + 1)
    if fn is F.b_true_divide:
        return uniform(sa, -2, 2, seed), away_from_zero(sb, seed + 1)
    return away_from_zero(sa, seed), away_from_zero(sb, seed + 1)


BINARY = [F.b_float_power, F.b_logaddexp2, F.b_hypot, F.b_arctan2, F.b_fmax, F.b_fmin, F.b_heaviside, F.b_mod,
          F.b_fmod, F.b_remainder, F.b_true_divide]


def hessian_by_differences(f, args, wrt, h=1e-4):
    """The Jacobian of wengert's own gradient by central differences: a check of vector mode against reverse."""
    grad = wengert.grad(f, wrt=wrt)
    x = np.asarray(args[0], dtype=float)
    out = np.zeros(x.shape + x.shape)
    for pos in range(x.size):
        moved = [x.copy(), x.copy()]
        moved[0].reshape(-1)[pos] += h
        moved[1].reshape(-1)[pos] -= h
        out.reshape(x.size, -1)[pos] = ((grad(moved[0], *args[1:]) - grad(moved[1], *args[1:])) / (2 * h)).ravel()
    return np.moveaxis(out.reshape(x.shape + x.shape), tuple(range(x.ndim)), tuple(range(x.ndim, 2 * x.ndim))) \
        if x.ndim else out


@pytest.mark.parametrize("shape", [(3, 4), (5,), ()], ids=str)
@pytest.mark.parametrize("fn", list(UNARY), ids=lambda f: f.__name__)
def test_unary_function_both_modes(fn, shape):
    x = UNARY[fn](shape, 3)
    w = uniform(shape, -2, 2, 4)
    (gx,) = check_gradients(fn, (x, w), ("x",))
    assert np.shape(gx) == np.shape(x)


@pytest.mark.parametrize("fn", list(UNARY) + STEPS, ids=lambda f: f.__name__)
def test_unary_function_hessian(fn):
    x = UNARY[fn]((4,), 5) if fn in UNARY else off_integers((4,), 5)
    w = uniform((4,), -2, 2, 6)
    hessian = wengert.hessian(fn, wrt="x")(x, w)
    np.testing.assert_allclose(hessian, hessian_by_differences(fn, (x, w), "x"), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("fn", STEPS, ids=lambda f: f.__name__)
def test_step_functions_have_zero_derivative(fn):
    """x * floor(x): the gradient is floor(x) (the product rule with floor' = 0), checked by differences."""
    x, w = off_integers((3, 4), 7), uniform((3, 4), -2, 2, 8)
    check_gradients(fn, (x, w), ("x",))


@pytest.mark.parametrize("sa, sb", [((3, 4), (3, 4)), ((3, 4), (4,)), ((4,), (3, 1)), ((), (3,))], ids=str)
@pytest.mark.parametrize("fn", BINARY, ids=lambda f: f.__name__)
def test_binary_function_both_modes(fn, sa, sb):
    a, b = binary_args(fn, sa, sb, 9)
    ga, gb = check_gradients(fn, (a, b), ("a", "b"))
    assert np.shape(ga) == np.shape(a) and np.shape(gb) == np.shape(b)


@pytest.mark.parametrize("fn", BINARY, ids=lambda f: f.__name__)
def test_binary_function_hessian(fn):
    a, b = binary_args(fn, (3,), (3,), 11)
    hessian = wengert.hessian(fn, wrt="a")(a, b)
    np.testing.assert_allclose(hessian, hessian_by_differences(fn, (a, b), "a"), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("fn", [F.s_unary, F.s_binary, F.s_steps, F.s_math], ids=lambda f: f.__name__)
def test_sympy_agrees(fn):
    report = wengert.check(fn)
    assert report.ok, str(report)


def test_kinks_take_the_midpoint():
    """fmax/fmin split a tie like maximum; fabs'(0) = 0; hypot at the origin gives 0 (as norm)."""
    g = wengert.grad(F.b_fmax, wrt=("a", "b"))(np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    np.testing.assert_allclose(g[0], [0.5 * np.cos(1.0), np.cos(2.0)])
    np.testing.assert_allclose(g[1], [0.5 * np.cos(1.0), 0.0])
    assert wengert.grad(F.u_fabs, wrt="x")(np.zeros(3), np.ones(3)).tolist() == [0.0, 0.0, 0.0]
    for mode in ("reverse", "forward"):
        g = wengert.grad(F.b_hypot, wrt=("a", "b"), mode=mode)(np.zeros(2), np.zeros(2))
        assert np.all(np.isfinite(g)) and np.all(np.asarray(g) == 0.0)


SOURCE = "import numpy as np\n\n\ndef f(x, y):\n    return np.sum({call})\n"


@pytest.mark.parametrize("call, words", [
    ("np.hypot(x)", "np.hypot takes 2 value arguments here (got 1)"),
    ("np.log10(x, y)", "np.log10 takes 1 value argument here (got 2)"),
    ("np.round(x, 2)", "np.round takes 1 value argument here (got 2)"),
    ("np.nan_to_num(x, nan=0.0)", "keyword 'nan' is not supported here"),
])
def test_bad_input_is_located(tmp_path, call, words):
    err = grad_error(tmp_path, SOURCE.format(call=call))
    assert words in str(err)
    assert (err.line, err.col) == (5, 18 + (call.index("nan=") + 4 if "nan=" in call else 0)), str(err)


# ---- reductions and scans ---------------------------------------------------------------------------------

REDUCTIONS = [F.r_var, F.r_std, F.r_methods, F.r_cumsum, F.r_prod, F.r_cumsum_of_a_number]


@pytest.mark.parametrize("fn", REDUCTIONS, ids=lambda f: f.__name__)
def test_reduction_both_modes(fn):
    x, w = uniform((3, 4), -2, 2, 21), uniform((3, 4), -2, 2, 22)
    check_gradients(fn, (x, w), ("x", "w"))


@pytest.mark.parametrize("fn", REDUCTIONS, ids=lambda f: f.__name__)
def test_reduction_hessian(fn):
    x, w = uniform((3, 4), -2, 2, 23), uniform((3, 4), -2, 2, 24)
    hessian = wengert.hessian(fn, wrt="x")(x, w)
    np.testing.assert_allclose(hessian, hessian_by_differences(fn, (x, w), "x"), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("fn", [F.s_moments, F.s_prod], ids=lambda f: f.__name__)
def test_reductions_agree_with_sympy(fn):
    report = wengert.check(fn)
    assert report.ok, str(report)


@pytest.mark.parametrize("zeros", [(5,), (0, 5), (0, 4, 8), (1, 2, 3, 5, 6, 9)], ids=str)
def test_prod_at_zeros_never_divides_by_them(zeros):
    """One, two and three zeros along an axis: gradients and Hessians stay exact (no 0 / 0)."""
    x = uniform((3, 4), -2, 2, 25)
    x.reshape(-1)[list(zeros)] = 0.0
    w = uniform((3, 4), -2, 2, 26)
    check_gradients(F.r_prod, (x, w), ("x",))
    hessian = wengert.hessian(F.r_prod, wrt="x")(x, w)
    assert np.all(np.isfinite(hessian))
    np.testing.assert_allclose(hessian, hessian_by_differences(F.r_prod, (x, w), "x"), rtol=1e-5, atol=1e-6)


def test_std_of_equal_elements_is_the_midpoint():
    """std is a norm of the centered x: at a constant x its kink's midpoint subgradient is 0 (not 0 / 0)."""
    for mode in ("reverse", "forward"):
        g = wengert.grad(F.r_std, wrt="x", mode=mode)(np.ones((3, 4)), np.ones((3, 4)))
        assert np.all(g == 0.0), g


@pytest.mark.parametrize("call, words, col", [
    ("np.var(x, 0, 1)", "np.var takes at most 2 positional arguments here (got 3)", 18),
    ("np.std(x, ddof=0.5)", "ddof=0.5 is not supported: ddof must be an integer", 18),
    ("np.cumsum(x, axis=(0, 1))", "axis=(0, 1) is not supported: cumsum takes one axis", 18),
    ("x.var(0, 1)", ".var() takes at most axis and keepdims=... and ddof=... here", 18),
])
def test_reduction_bad_input_is_located(tmp_path, call, words, col):
    path = tmp_path / "case.py"
    path.write_text(SOURCE.format(call=call))
    namespace = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    with pytest.raises(WengertError) as info:
        wengert.grad(namespace["f"])(np.ones((2, 3)), np.ones(3))
    assert words in str(info.value)
    assert (info.value.line, info.value.col) == (5, col), str(info.value)


# ---- constructors ---------------------------------------------------------------------------------------------

def test_constructors_both_modes_and_hessian():
    x, a = uniform((4,), -2, 2, 31), 0.7
    check_gradients(F.c_constructors, (x, a), ("x", "a"))
    hessian = wengert.hessian(F.c_constructors, wrt="x")(x, a)
    np.testing.assert_allclose(hessian, hessian_by_differences(F.c_constructors, (x, a), "x"), rtol=1e-5, atol=1e-6)


def test_linspace_is_differentiable_in_its_ends():
    a, x = 0.3, uniform((2,), -2, 2, 32)
    check_gradients(F.c_linspace, (a, x), ("a", "x"))
    hessian = wengert.hessian(F.c_linspace, wrt="a")(a, x)
    expected = (wengert.grad(F.c_linspace, wrt="a")(a + 1e-5, x) - wengert.grad(F.c_linspace, wrt="a")(a - 1e-5, x)) / 2e-5
    np.testing.assert_allclose(hessian, expected, rtol=1e-5)


def test_constructors_agree_with_sympy():
    report = wengert.check(F.s_constructors)
    assert report.ok, str(report)


@pytest.mark.parametrize("fn", [F.c_arange_of_active, F.c_full_like_of_active], ids=lambda f: f.__name__)
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_constructor_of_a_differentiated_value_is_refused(fn, mode):
    """np.arange(a, ...) moves with a and np.full_like truncates to x's dtype: refused, not a zero derivative."""
    with pytest.raises(WengertError) as info:
        wengert.grad(fn, wrt="a", mode=mode)(np.ones(3), 0.5)
    assert "cannot depend on the differentiated inputs" in str(info.value)
    assert info.value.line == fn.__code__.co_firstlineno + 1


# ---- shape and layout ---------------------------------------------------------------------------------------

LAYOUT = [F.l_flat, F.l_squeeze, F.l_clip]


@pytest.mark.parametrize("fn", LAYOUT, ids=lambda f: f.__name__)
def test_layout_both_modes(fn):
    x, w = uniform((3, 4), -2, 2, 41), uniform((3, 4), -2, 2, 42)
    check_gradients(fn, (x, w), ("x", "w"))


@pytest.mark.parametrize("fn", [F.l_flat, F.l_clip], ids=lambda f: f.__name__)
def test_layout_hessian(fn):
    x, w = uniform((3, 4), -2, 2, 43), uniform((3, 4), -2, 2, 44)
    hessian = wengert.hessian(fn, wrt="x")(x, w)
    np.testing.assert_allclose(hessian, hessian_by_differences(fn, (x, w), "x"), rtol=1e-5, atol=1e-6)


def test_squeeze_without_axis_in_vector_mode_is_refused_where_unknown():
    """x[:, :1] has a length NumPy knows only at run time: which axes np.squeeze drops is unknown to vector mode."""
    with pytest.raises(WengertError) as info:
        wengert.hessian(F.l_squeeze_unknown, wrt="x")(np.ones((3, 4)), np.ones((3, 4)))
    assert "np.squeeze without axis" in str(info.value) and "axis=" in info.value.hint


def test_layout_agrees_with_sympy():
    report = wengert.check(F.s_layout)
    assert report.ok, str(report)


@pytest.mark.parametrize("call, words, col", [
    ("np.clip(x, a_max=1.0)", "a_max= is given, but an earlier argument is missing", 29),
    ("np.expand_dims(x)", "np.expand_dims needs axis=", 18),
    ("x.ravel(0)", "this call of .ravel() is not supported", 18),
    ("x.astype(int)", "this call of .astype() is not supported", 18),
])
def test_layout_bad_input_is_located(tmp_path, call, words, col):
    path = tmp_path / "case.py"
    path.write_text(SOURCE.format(call=call))
    namespace = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    with pytest.raises(WengertError) as info:
        wengert.grad(namespace["f"])(np.ones((2, 3)), np.ones(3))
    assert words in str(info.value)
    assert (info.value.line, info.value.col) == (5, col), str(info.value)


AXES = [F.l_axes, F.l_triangles, F.l_triangle_of_vector]


@pytest.mark.parametrize("fn", AXES, ids=lambda f: f.__name__)
def test_axes_and_triangles_both_modes(fn):
    x, w = uniform((2, 3, 3), -2, 2, 45), uniform((3, 3, 2), -2, 2, 46)
    check_gradients(fn, (x, w), ("x", "w"))


@pytest.mark.parametrize("fn", [F.l_axes, F.l_triangles], ids=lambda f: f.__name__)
def test_axes_and_triangles_hessian(fn):
    x, w = uniform((2, 3, 3), -2, 2, 47), uniform((3, 3, 2), -2, 2, 48)
    hessian = wengert.hessian(fn, wrt="x")(x, w)
    np.testing.assert_allclose(hessian, hessian_by_differences(fn, (x, w), "x"), rtol=1e-5, atol=1e-6)


def test_triangle_of_a_vector_in_vector_mode_is_refused():
    with pytest.raises(WengertError) as info:
        wengert.hessian(F.l_triangle_of_vector, wrt="x")(np.ones((2, 3, 3)), np.ones((3, 3, 2)))
    assert "vector mode of np.triu of a vector" in str(info.value)


def test_axes_agree_with_sympy():
    report = wengert.check(F.s_axes)
    assert report.ok, str(report)


@pytest.mark.parametrize("call, words", [
    ("np.swapaxes(x, 0)", "np.swapaxes needs axis2="),
    ("np.moveaxis(x, source=0)", "np.moveaxis needs destination="),
    ("np.triu(x, 0.5)", "this argument must be an integer (got 0.5)"),
    ("np.swapaxes(x, 0, None)", "this argument must be an integer (got None)"),
])
def test_axes_bad_input_is_located(tmp_path, call, words):
    path = tmp_path / "case.py"
    path.write_text(SOURCE.format(call=call))
    namespace = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    with pytest.raises(WengertError) as info:
        wengert.grad(namespace["f"])(np.ones((2, 3)), np.ones(3))
    assert words in str(info.value)
    assert (info.value.line, info.value.col) == (5, 18), str(info.value)


@pytest.mark.parametrize("fn", [F.l_flips_and_rolls, F.l_roll_flattened], ids=lambda f: f.__name__)
def test_flips_and_rolls_both_modes(fn):
    x, w = uniform((3, 4), -2, 2, 51), uniform((3, 4), -2, 2, 52)
    check_gradients(fn, (x, w), ("x", "w"))


def test_flips_and_rolls_hessian_and_sympy():
    x, w = uniform((3, 4), -2, 2, 53), uniform((3, 4), -2, 2, 54)
    hessian = wengert.hessian(F.l_flips_and_rolls, wrt="x")(x, w)
    np.testing.assert_allclose(hessian, hessian_by_differences(F.l_flips_and_rolls, (x, w), "x"), rtol=1e-5,
                               atol=1e-6)
    report = wengert.check(F.s_flips_and_rolls)
    assert report.ok, str(report)


def test_roll_without_axis_in_vector_mode_is_refused():
    with pytest.raises(WengertError) as info:
        wengert.hessian(F.l_roll_flattened, wrt="x")(np.ones((3, 4)), np.ones((3, 4)))
    assert "np.roll without axis" in str(info.value)


@pytest.mark.parametrize("call, words", [
    ("np.roll(x)", "np.roll needs shift="),
    ("np.roll(x, 0.5)", "shift=0.5 is not supported"),
])
def test_roll_bad_input_is_located(tmp_path, call, words):
    path = tmp_path / "case.py"
    path.write_text(SOURCE.format(call=call))
    namespace = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    with pytest.raises(WengertError) as info:
        wengert.grad(namespace["f"])(np.ones((2, 3)), np.ones(3))
    assert words in str(info.value)
    assert (info.value.line, info.value.col) == (5, 18), str(info.value)


@pytest.mark.parametrize("fn", [F.l_diagonals, F.l_diagonals_batched], ids=lambda f: f.__name__)
def test_diagonals_both_modes(fn):
    x, w = uniform((3, 4), -2, 2, 61), uniform((3, 4), -2, 2, 62)
    check_gradients(fn, (x, w), ("x", "w"))


def test_diagonals_hessian_and_sympy():
    x, w = uniform((3, 4), -2, 2, 63), uniform((3, 4), -2, 2, 64)
    hessian = wengert.hessian(F.l_diagonals_batched, wrt="x")(x, w)
    np.testing.assert_allclose(hessian, hessian_by_differences(F.l_diagonals_batched, (x, w), "x"), rtol=1e-5,
                               atol=1e-6)
    report = wengert.check(F.s_diagonals)
    assert report.ok, str(report)
    hessian = wengert.hessian(F.l_diagonals, wrt="x")(x, w)  # np.diag both ways in vector mode
    np.testing.assert_allclose(hessian, hessian_by_differences(F.l_diagonals, (x, w), "x"), rtol=1e-5, atol=1e-6)


def test_nan_reductions_and_ptp():
    x, w = uniform((3, 4), -2, 2, 71), uniform((3, 4), -2, 2, 72)
    check_gradients(F.r_nan_and_ptp, (x, w), ("x", "w"))
    hessian = wengert.hessian(F.r_nan_and_ptp, wrt="x")(x, w)
    np.testing.assert_allclose(hessian, hessian_by_differences(F.r_nan_and_ptp, (x, w), "x"), rtol=1e-5, atol=1e-6)
    report = wengert.check(F.s_nan)
    assert report.ok, str(report)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_nan_elements_are_skipped(mode):
    """np.nansum / np.nanmean ignore nan elements: their partials are 0 there, the others as without them."""
    x, w = uniform((3, 4), -2, 2, 73), uniform((3, 4), -2, 2, 74)
    x[1, 2] = np.nan
    g = wengert.grad(F.r_nan_skipped, wrt="x", mode=mode)(x, w)
    mean = np.nanmean(x, axis=0)
    count = np.sum(~np.isnan(x), axis=0)
    expected = np.where(np.isnan(x), 0.0, w + 2 * mean / count)
    np.testing.assert_allclose(g, expected, rtol=1e-12)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("y", [0.7, np.array([[0.3, -1.2], [0.5, 2.0]])], ids=["number", "matrix"])
def test_append_flattens_and_joins(mode, y):
    x = np.array([[1.0, 2.0, 3.0], [-0.5, 0.25, 1.5]])
    grad = wengert.grad(F.append_flat, wrt=("x", "y"), mode=mode)(x, y)
    numeric = numeric_grad(F.append_flat, (x, y), ("x", "y"))
    for g, n, v in zip(grad, numeric, (x, y)):
        assert np.shape(g) == np.shape(v)
        np.testing.assert_allclose(g, n, rtol=1e-6, atol=1e-8)
    hessian = wengert.hessian(F.append_flat, wrt="x")(x, y)
    np.testing.assert_allclose(hessian, hessian_by_differences(F.append_flat, (x, y), "x"), rtol=1e-5, atol=1e-6)


def test_append_along_an_axis_is_refused_with_a_hint(tmp_path):
    path = tmp_path / "append_axis.py"
    path.write_text("import numpy as np\n\n\ndef f(x, y):\n    return np.sum(np.append(x, y, axis=0))\n")
    namespace = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    with pytest.raises(WengertError) as info:
        wengert.grad(namespace["f"])(np.ones(3), np.ones(3))
    assert "no axis" in str(info.value) and "np.concatenate" in str(info.value)
    assert (info.value.line, info.value.col) == (5, 18), str(info.value)


# ---- functions the peer port asked for (benchmarks/peer): rollaxis, diff, select, real/imag/conj/angle -------

from programs import peer_functions as P  # noqa: E402

PEER = [(P.rollaxis, lambda: (uniform((2, 3, 4), -2, 2, 81),), ("x",)),
        (P.diff, lambda: (uniform((4, 5), -2, 2, 82),), ("x",)),
        (P.select, lambda: (uniform((3, 4), -2, 2, 83), uniform((3, 4), -2, 2, 84)), ("x", "y")),
        (P.real_parts, lambda: (uniform((3, 4), -2, 2, 85),), ("x",))]


@pytest.mark.parametrize("fn, make, wrt", PEER, ids=lambda v: getattr(v, "__name__", ""))
def test_peer_functions_both_modes_and_hessian(fn, make, wrt):
    args = make()
    check_gradients(fn, args, wrt)
    for mode in ("reverse", "forward"):
        got = wengert.grad(fn, wrt=wrt, mode=mode)(*args)
        for g, n in zip(got if len(wrt) > 1 else (got,), numeric_grad(fn, args, wrt) if len(wrt) > 1 else
                        (numeric_grad(fn, args, wrt),)):
            np.testing.assert_allclose(g, n, rtol=1e-6, atol=1e-8)
    hessian = wengert.hessian(fn, wrt=wrt[0])(*args)
    np.testing.assert_allclose(hessian, hessian_by_differences(fn, args, wrt[0]), rtol=1e-5, atol=1e-6)


def test_angle_and_real_parts_agree_with_sympy():
    for x in (0.75, -1.5):
        report = wengert.check(P.angle_symbolic, at=(x,))
        assert report.ok, str(report)


@pytest.mark.parametrize("call, words", [
    ("np.rollaxis(x, -1)", "negative axis"),
    ("np.rollaxis(x)", "integer axis"),
    ("np.diff(x, n=-1)", "n >= 0"),
    ("np.diff(x, prepend=0.0)", "no prepend"),
    ("np.select([x > 0], [x, y])", "same length"),
    ("np.real(x, y)", "one array"),
])
def test_peer_functions_bad_input_is_located(tmp_path, call, words):
    path = tmp_path / "peer_bad.py"
    path.write_text(SOURCE.format(call=call), encoding="utf-8")
    namespace = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    with pytest.raises(WengertError) as info:
        wengert.grad(namespace["f"], wrt="x")(np.ones((2, 3)), np.ones((2, 3)))
    assert words in info.value.message and info.value.line == 5, str(info.value)
    assert info.value.source_line[info.value.col:].startswith(call.split("(")[0]), str(info.value)


@pytest.mark.parametrize("fn, at", [(P.rollaxis, (np.linspace(-1.0, 1.0, 24).reshape(2, 3, 4),)),
                                    (P.diff, (np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75], [1.0, 2.0, 0.5]]),)),
                                    (P.select, (np.array([[0.75, -0.5]]), np.array([[-1.0, 0.25]])))],
                         ids=["rollaxis", "diff", "select"])
def test_peer_functions_agree_with_sympy(fn, at):
    report = wengert.check(fn, at=at)
    assert report.ok, str(report)


# ---- the rest of issue 15: promotion, stacking, tiling, padding, splitting, gathering, sorting, scans ------------

REST = [F.u_sinc, F.l_atleast, F.l_stacks, F.l_stack_vectors, F.l_tile_repeat, F.l_broadcast_to, F.l_pad, F.l_split,
        F.l_take, F.l_sort, F.l_rotations, F.l_kron, F.l_concatenators, F.l_qr, F.r_cumprod, F.r_average, F.r_quantiles]


@pytest.mark.parametrize("fn", REST, ids=lambda f: f.__name__)
def test_rest_both_modes(fn):
    x, w = uniform((3, 4), -2, 2, 81), uniform((3, 4), -2, 2, 82)
    check_gradients(fn, (x, w), ("x", "w"))


@pytest.mark.parametrize("fn", REST, ids=lambda f: f.__name__)
def test_rest_hessian(fn):
    x, w = uniform((3, 4), -2, 2, 83), uniform((3, 4), -2, 2, 84)
    hessian = wengert.hessian(fn, wrt="x")(x, w)
    np.testing.assert_allclose(hessian, hessian_by_differences(fn, (x, w), "x"), rtol=1e-5, atol=1e-6)


def test_rest_agrees_with_sympy():
    report = wengert.check(F.s_rest)
    assert report.ok, str(report)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_sinc_at_zero(mode):
    """sinc'(0) = 0 and sinc''(0) = -pi^2 / 3: the slope's Taylor branch near 0 (no 0 / 0, no cancellation)."""
    x, w = np.array([0.0, 1e-9, 0.049, 0.051, 1.0]), np.ones(5)
    g = wengert.grad(F.u_sinc, wrt="x", mode=mode)(x, w)
    import mpmath
    with mpmath.workdps(50):  # the slope without cancellation: 50 digits
        slope = [0.0 if v == 0 else float(mpmath.diff(lambda t: mpmath.sin(mpmath.pi * t) / (mpmath.pi * t),
                                                      mpmath.mpf(v))) for v in x]
    np.testing.assert_allclose(g, slope, rtol=1e-12, atol=1e-300)
    hessian = wengert.hessian(F.u_sinc, wrt="x")(x, w)
    assert hessian[0, 0] == pytest.approx(-np.pi ** 2 / 3, rel=1e-12)
    np.testing.assert_allclose(np.diag(hessian)[1:], np.diag(hessian_by_differences(F.u_sinc, (x, w), "x"))[1:],
                               rtol=1e-5)


@pytest.mark.parametrize("zeros", [(1,), (0, 5), (1, 2, 6), (0, 1, 2, 3)], ids=str)
def test_cumprod_at_zeros_never_divides_by_them(zeros):
    x, w = uniform((3, 4), -2, 2, 85), uniform((3, 4), -2, 2, 86)
    x.reshape(-1)[list(zeros)] = 0.0
    check_gradients(F.r_cumprod, (x, w), ("x",))
    hessian = wengert.hessian(F.r_cumprod, wrt="x")(x, w)
    assert np.all(np.isfinite(hessian))
    np.testing.assert_allclose(hessian, hessian_by_differences(F.r_cumprod, (x, w), "x"), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_sort_at_ties_takes_the_midpoint(mode):
    """At a tie of k elements np.sort's derivative gives each of them 1/k of each tied output (the midpoint of
    the permutations that sort them, as np.max splits a tie): np.sort(x)[-1] has np.max's gradient."""
    x, w = np.array([[1.0, 1.0, 0.5, 1.0], [2.0, -1.0, 2.0, 0.0], [0.0, 0.0, 0.0, 0.0]]), uniform((3, 4), -2, 2, 87)
    g = wengert.grad(F.l_sort, wrt="x", mode=mode)(x, w)
    other = wengert.grad(F.l_sort, wrt="x", mode="forward" if mode == "reverse" else "reverse")(x, w)
    np.testing.assert_allclose(g, other, rtol=1e-12)
    single = wengert.grad(F.sorted_row, wrt="x", mode=mode)(x[0], w[0])
    order = np.argsort(x[0], kind="stable")  # 0.5, then the three 1.0
    expected = np.empty(4)
    expected[order[0]] = w[0, 0]
    expected[order[1:]] = np.mean(w[0, 1:])
    np.testing.assert_allclose(single, expected, rtol=1e-12)
    top = wengert.grad(F.largest_by_sort, wrt="x", mode=mode)(x[1])
    np.testing.assert_allclose(top, wengert.grad(F.largest, wrt="x", mode=mode)(x[1]), rtol=1e-12)
    np.testing.assert_allclose(top, [0.5, 0.0, 0.5, 0.0])


@pytest.mark.parametrize("n", [4, 5])
def test_median_takes_the_middle_elements(n):
    x = uniform((n,), -2, 2, 88)
    g = wengert.grad(F.median_of, wrt="x")(x)
    expected = np.zeros(n)
    order = np.argsort(x)
    expected[order[(n - 1) // 2]] += 0.5
    expected[order[n // 2]] += 0.5
    np.testing.assert_allclose(g, expected, rtol=1e-12)


def test_rest_without_ranks_asks_for_shapes(tmp_path):
    """Composites need the ranks of their arguments: on the command line without --shape, a located error."""
    from wengert import cli
    path = tmp_path / "stack.py"
    path.write_text("import numpy as np\n\n\ndef f(x, y):\n    return np.sum(np.hstack((x, y)) ** 2)\n")
    assert cli.main(["grad", f"{path}:f"]) == 2
    assert cli.main(["grad", f"{path}:f", "--shape", "x=n", "--shape", "y=m"]) == 0


@pytest.mark.parametrize("call, words, at", [  # at: where in the call the caret points
    ("np.tile(x, 1.5)", "reps=1.5 is not supported", "1.5"),
    ("np.repeat(x, -1)", "repeats=-1 has a negative count", "-1"),
    ("np.pad(x, 1, mode='mean')", "mode='mean' is not supported", "'mean'"),
    ("np.pad(x, (1, -1))", "pad_width=(1, -1) is not supported", "(1, -1)"),
    ("np.split(x, 0)", "np.split into 0 pieces is not possible", "0)"),
    ("np.median(x, overwrite_input=True)", "keyword 'overwrite_input' of np.median is not supported", "True"),
    ("np.percentile(x, 150)", "q=150 is not supported: it must be a number between 0 and 100", "150"),
    ("np.average(x, weights=y, returned=True)", "np.average with returned=True is not supported", "True"),
    ("np.rot90(x, axes=(1, 1))", "np.rot90 needs two different axes", "(1, 1)"),
    ("np.trace(x, offset=1, axis1=1, axis2=1)", "np.trace needs two different axes", "np."),
    ("np.take_along_axis(x)", "np.take_along_axis needs its argument indices", "np."),
    ("np.sort(x, axis=0.5)", "axis=0.5 is not supported", "0.5"),
    ("np.r_[x, 0:3]", "np.r_[...] with a slice or a string is not supported", "0:3"),
    ("np.c_['0', x]", "np.c_[...] with a slice or a string is not supported", "'0'"),
    ("np.linalg.qr(x, mode='complete')[0]", "np.linalg.qr with mode='complete' is not supported", "'complete'"),
])
def test_rest_bad_input_is_located(tmp_path, call, words, at):
    path = tmp_path / "case.py"
    path.write_text(SOURCE.format(call=call))
    namespace = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    with pytest.raises(WengertError) as info:
        wengert.grad(namespace["f"], wrt="x")(np.ones((2, 3)), np.ones(3))
    assert words in str(info.value)
    assert (info.value.line, info.value.col) == (5, 18 + call.index(at)), str(info.value)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_average_refuses_what_numpy_refuses(mode):
    """Weights of another shape need an axis (NumPy raises a TypeError): a located WengertError here."""
    with pytest.raises(WengertError) as info:
        wengert.grad(F.average_without_axis, wrt="x", mode=mode)(np.ones((2, 3)), np.ones(3))
    assert "np.average needs an axis" in str(info.value)
    assert info.value.line == F.average_without_axis.__code__.co_firstlineno + 1


def test_sorting_agrees_with_sympy_at_a_point():
    """SymPy cannot order symbols: np.argsort's permutation (like a branch) is decided at the point checked."""
    report = wengert.check(F.s_ordered, at=(0.3, 1.7))
    assert report.ok, str(report)
    with pytest.raises(WengertError) as info:
        wengert.check(F.s_ordered)
    assert "orders symbolic values" in str(info.value) and "at=" in info.value.hint
    assert info.value.line == F.s_ordered.__code__.co_firstlineno + 2
