"""End to end through the public API: the lecture's numbers (REFERENCE.md sections 1 and 2)."""

import math

import pytest

import wengert
from wengert import WengertError

from conftest import assert_close

F_VALUE = 11.652071455223084
F_GRAD = (5.5, 1.7163378145367738)
POINTS = [(2.0, 5.0), (0.5, -1.25), (3.7, 0.1), (1e-3, 40.0)]


def f(x1, x2):
    """Griewank's example, a local copy so the decorator tests below can use it too."""
    return math.log(x1) + x1 * x2 - math.sin(x2)


@wengert.grad
def f_decorated(x1, x2):
    """The same function, differentiated by the bare decorator."""
    return math.log(x1) + x1 * x2 - math.sin(x2)


@wengert.grad(wrt=("x1",))
def f_decorated_x1(x1, x2):
    """The same function, differentiated w.r.t. x1 only by the decorator with arguments."""
    return math.log(x1) + x1 * x2 - math.sin(x2)


def exact_gradient(x1, x2):
    return (1 / x1 + x2, x1 - math.cos(x2))


# ---- helpers in the same module are inlined ---------------------------------------------------------

def square(t):
    return t * t


def energy(a, b):
    s = square(a) + math.sin(b)
    return s * b


def calls_helpers(x, y):
    """(x^2 + sin y) y + y^2, through a helper that calls another helper."""
    z = energy(x, y)
    return z + square(y)


def countdown(n):
    return countdown(n - 1.0) + 1.0


def ping(n):
    return pong(n) + 1.0


def pong(n):
    return ping(n) * 2.0


def two_outputs(x, y):
    return x * y, x + y


def ignores_y(x, y):
    return x * 2.0


def constant(x):
    return 5.0


# ---- section 1: the evaluation-trace example ------------------------------------------------------------

def test_grad_reproduces_the_lecture_numbers():
    result = wengert.grad(f)(2.0, 5.0)
    assert isinstance(result, tuple) and len(result) == 2
    assert result == pytest.approx(F_GRAD, rel=1e-12, abs=0)
    assert all(isinstance(g, float) for g in result)


def test_grad_of_the_example_file_matches(lecture):
    assert wengert.grad(lecture.f)(2.0, 5.0) == pytest.approx(F_GRAD, rel=1e-12, abs=0)


@pytest.mark.parametrize("point", POINTS)
def test_grad_matches_the_exact_gradient_elsewhere(point):
    assert_close(wengert.grad(f)(*point), exact_gradient(*point), rel=1e-12)


def test_wrt_name_gives_one_float():
    result = wengert.grad(f, wrt="x1")(2.0, 5.0)
    assert isinstance(result, float)
    assert result == pytest.approx(5.5, rel=1e-12)


def test_wrt_one_tuple_gives_one_tuple():
    result = wengert.grad(f, wrt=("x1",))(2.0, 5.0)
    assert isinstance(result, tuple) and len(result) == 1
    assert result[0] == pytest.approx(5.5, rel=1e-12)


@pytest.mark.parametrize("wrt, expected", [(0, F_GRAD[0]), (1, F_GRAD[1]), (-1, F_GRAD[1]), ("x2", F_GRAD[1])])
def test_wrt_index_or_name_picks_that_parameter(wrt, expected):
    assert wengert.grad(f, wrt=wrt)(2.0, 5.0) == pytest.approx(expected, rel=1e-12)


def test_wrt_order_is_the_order_given():
    result = wengert.grad(f, wrt=(1, "x1"))(2.0, 5.0)
    assert result == pytest.approx((F_GRAD[1], F_GRAD[0]), rel=1e-12)


@pytest.mark.parametrize("point", POINTS)
@pytest.mark.parametrize("wrt", [None, "x1", "x2", ("x2",)])
def test_forward_mode_equals_reverse_mode(point, wrt):
    forward = wengert.grad(f, wrt=wrt, mode="forward")(*point)
    reverse = wengert.grad(f, wrt=wrt, mode="reverse")(*point)
    assert type(forward) is type(reverse)
    assert_close(forward, reverse, rel=1e-13, abs_=0)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_value_and_grad(mode):
    value, gradient = wengert.value_and_grad(f, mode=mode)(2.0, 5.0)
    assert value == pytest.approx(F_VALUE, rel=1e-12)
    assert gradient == pytest.approx(F_GRAD, rel=1e-12)


def test_value_and_grad_with_one_name():
    value, gradient = wengert.value_and_grad(f, wrt="x2")(2.0, 5.0)
    assert value == pytest.approx(F_VALUE, rel=1e-12)
    assert gradient == pytest.approx(F_GRAD[1], rel=1e-12)


@pytest.mark.parametrize("tangent", [(1.0, 0.0), (0.0, 1.0), (0.3, -2.0)])
def test_jvp_is_the_directional_derivative(tangent):
    value, derivative = wengert.jvp(f)(2.0, 5.0, *tangent)
    assert value == pytest.approx(F_VALUE, rel=1e-12)
    assert derivative == pytest.approx(tangent[0] * F_GRAD[0] + tangent[1] * F_GRAD[1], rel=1e-12)


def test_jvp_seeding_the_first_input_gives_the_first_partial():
    assert wengert.jvp(f)(2.0, 5.0, 1.0, 0.0) == pytest.approx((F_VALUE, 5.5), rel=1e-12)


def test_vjp_scales_the_gradient_by_the_cotangent():
    value, pulled_back = wengert.vjp(f)(2.0, 5.0, 3.0)
    assert value == pytest.approx(F_VALUE, rel=1e-12)
    assert pulled_back == pytest.approx(tuple(3.0 * g for g in F_GRAD), rel=1e-12)


def test_bare_decorator():
    assert f_decorated(2.0, 5.0) == pytest.approx(F_GRAD, rel=1e-12)


def test_decorator_with_arguments():
    result = f_decorated_x1(2.0, 5.0)
    assert isinstance(result, tuple) and len(result) == 1
    assert result[0] == pytest.approx(5.5, rel=1e-12)


def test_source_shows_the_generated_function():
    text = wengert.source(wengert.grad(f))
    assert "def f_grad(x1, x2)" in text
    assert "wengert" not in text


def test_source_of_a_plain_function_is_a_type_error():
    with pytest.raises(TypeError):
        wengert.source(f)


# ---- section 2: forward and reverse mode on a small graph --------------------------------------------

SMALL_GRAPH_POINTS = [(0.3, 0.7, 1.3), (-1.0, 2.0, 0.25), (0.0, -0.5, 3.0)]


@pytest.mark.parametrize("w0, w1, x", SMALL_GRAPH_POINTS)
def test_forward_pass_seeded_at_w1(lecture, w0, w1, x):
    """One forward pass with w1_dot = 1 gives dy/dw1 (lecture 000)."""
    u = w1 * x + w0
    value1, dy1_dw1 = wengert.jvp(lecture.y1)(w0, w1, x, 0.0, 1.0, 0.0)
    value2, dy2_dw1 = wengert.jvp(lecture.y2)(w0, w1, x, 0.0, 1.0, 0.0)
    assert (value1, value2) == pytest.approx((math.sin(u), math.cos(u)), rel=1e-12)
    assert dy1_dw1 == pytest.approx(x * math.cos(u), rel=1e-12, abs=1e-15)
    assert dy2_dw1 == pytest.approx(-x * math.sin(u), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("w0, w1, x", SMALL_GRAPH_POINTS)
def test_forward_pass_with_only_w1_as_tangent(lecture, w0, w1, x):
    _, dy1_dw1 = wengert.jvp(lecture.y1, wrt="w1")(w0, w1, x, 1.0)
    assert dy1_dw1 == pytest.approx(x * math.cos(w1 * x + w0), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("w0, w1, x", SMALL_GRAPH_POINTS)
def test_reverse_pass_seeded_at_y2(lecture, w0, w1, x):
    """One backward pass from y2 gives all three partials: -sin(u) (1, x, w1)."""
    s = math.sin(w1 * x + w0)
    assert_close(wengert.grad(lecture.y2)(w0, w1, x), (-s, -s * x, -s * w1), rel=1e-12, abs_=1e-15)


@pytest.mark.parametrize("w, x, y", [(0.5, 2.0, 3.0), (-1.5, 0.25, 0.75), (2.0, 1.0, 2.0)])
def test_squared_loss(lecture, w, x, y):
    """L = 1/2 (y - w x)^2: dL/dw = -(y - w x) x, dL/dx = -(y - w x) w, dL/dy = y - w x."""
    r = y - w * x
    value, gradient = wengert.value_and_grad(lecture.loss)(w, x, y)
    assert value == pytest.approx(0.5 * r * r, rel=1e-12, abs=1e-15)
    assert_close(gradient, (-r * x, -r * w, r), rel=1e-12, abs_=1e-15)


def loss_in_steps(w, x, y):
    """The lecture's a1..a7 decomposition of the same loss."""
    a1 = w
    a2 = x
    a3 = y
    a4 = a1 * a2
    a5 = a4 - a3
    a6 = a5 ** 2
    a7 = 0.5 * a6
    return a7


def test_loss_in_steps_has_the_same_gradient(lecture):
    point = (0.5, 2.0, 3.0)
    assert_close(wengert.grad(loss_in_steps)(*point), wengert.grad(lecture.loss)(*point), rel=1e-12)
    assert_close(wengert.grad(loss_in_steps, mode="forward")(*point), (-4.0, -1.0, 2.0), rel=1e-12)


# ---- wrt errors, helpers, recursion -------------------------------------------------------------

@pytest.mark.parametrize("wrt", ["x3", 2, -3, ("x1", "nope"), ()])
def test_bad_wrt_is_a_wengert_error(wrt):
    with pytest.raises(WengertError) as info:
        wengert.grad(f, wrt=wrt)
    assert info.value.hint


def test_unknown_wrt_name_is_named_in_the_error():
    with pytest.raises(WengertError, match="'x3'"):
        wengert.grad(f, wrt="x3")


def test_unknown_mode_is_a_wengert_error():
    with pytest.raises(WengertError, match="mode"):
        wengert.grad(f, mode="sideways")(2.0, 5.0)


def test_grad_of_two_outputs_is_a_wengert_error():
    with pytest.raises(WengertError, match="2 values"):
        wengert.grad(two_outputs)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_helpers_are_inlined(mode):
    df = wengert.grad(calls_helpers, mode=mode)
    x, y = 1.3, 0.7
    expected = (2 * x * y, x * x + math.sin(y) + y * math.cos(y) + 2 * y)
    assert_close(df(x, y), expected, rel=1e-12)
    text = wengert.source(df)
    assert "square(" not in text and "energy(" not in text


@pytest.mark.parametrize("fn, name", [(countdown, "countdown"), (ping, "ping")])
def test_recursion_is_a_wengert_error(fn, name):
    with pytest.raises(WengertError, match="recursi") as info:
        wengert.grad(fn)
    assert info.value.filename == __file__
    assert info.value.line > 0
    assert info.value.hint


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_parameter_not_reaching_the_output_has_zero_gradient(mode):
    result = wengert.grad(ignores_y, mode=mode)(1.3, 0.7)
    assert result == (2.0, 0.0)
    assert all(isinstance(g, float) for g in result)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_constant_function_has_zero_gradient(mode):
    assert wengert.value_and_grad(constant, mode=mode)(1.3) == (5.0, 0.0)


# ---- the dispatcher: remembered by exact argument types, shapes and dtypes ------------------------------------

DOT_AND_SUM = "import numpy as np\n\n\ndef f(a, b):\n    return np.sum(a * b)\n"


def test_dispatch_tells_dtypes_of_one_shape_apart(load_source):
    """Float and integer arrays of the same shape share a compiled version, but only integer arguments
    promote the result (d(a * b)/da = b, an integer array for an integer b)."""
    np = pytest.importorskip("numpy")
    df = wengert.grad(load_source(DOT_AND_SUM).f)
    floats, ints = np.arange(6.0).reshape(2, 3), np.arange(6).reshape(2, 3)
    for _ in range(2):  # the second round runs from the remembered entries
        for a, b in ((floats, floats), (floats, ints), (ints, ints), (ints, floats)):
            da, db = df(a, b)
            assert da.dtype == db.dtype == np.float64, (a.dtype, b.dtype)
            np.testing.assert_array_equal(da, b)
            np.testing.assert_array_equal(db, a)
    assert len(df.__wengert_cache__) == 1


def test_dispatch_tells_broadcast_signatures_of_one_rank_apart(load_source):
    np = pytest.importorskip("numpy")
    df = wengert.grad(load_source(DOT_AND_SUM).f)
    a = np.arange(6.0).reshape(2, 3)

    def reduced(x, shape):  # x summed over the axes that broadcasting to it added or stretched
        x = np.sum(x, axis=tuple(range(np.ndim(x) - len(shape))))
        return np.sum(x, axis=tuple(i for i, n in enumerate(shape) if n == 1), keepdims=True)

    for _ in range(2):  # the second round runs from the remembered entries
        for b in (np.ones((2, 3)), np.ones((1, 3)), np.ones((2, 1)), np.ones(3), 2.0, np.float64(2.0)):
            da, db = df(a, b)
            assert np.shape(da) == np.shape(a) and np.shape(db) == np.shape(b)
            np.testing.assert_array_equal(db, reduced(a, np.shape(b)))


def test_parameters_named_like_the_dispatchers_own_names(load_source):
    np = pytest.importorskip("numpy")
    module = load_source("import numpy as np\n\n\ndef f(type, fast, fn, TypeError):\n"
                         "    return np.sum(type * fast * fn * TypeError)\n")
    df = wengert.grad(module.f)
    args = [np.full(3, v) for v in (1.0, 2.0, 3.0, 5.0)]
    for _ in range(2):
        grads = df(*args)
        for k, g in enumerate(grads):
            np.testing.assert_allclose(g, np.prod([a for i, a in enumerate(args) if i != k], axis=0))


def test_dispatcher_takes_the_functions_parameters(load_source):
    np = pytest.importorskip("numpy")
    df = wengert.grad(load_source(DOT_AND_SUM).f)
    a, b = np.ones(3), np.arange(3.0)
    np.testing.assert_array_equal(df(a, b=b)[0], b)
    with pytest.raises(TypeError, match="b"):
        df(a)


def test_source_of_an_array_derivative_is_the_version_for_unknown_shapes(load_source):
    """Emitted on request (decorating only derives it, for its errors), the same text every time."""
    df = wengert.grad(load_source(DOT_AND_SUM).f)
    text = wengert.source(df)
    assert "def f_grad(a, b):" in text and "_unbroadcast" in text
    assert wengert.source(df) == text


def test_a_traceback_through_a_generated_gradient_shows_the_generated_line(load_source):
    """Compiled from its syntax tree, a derivative's source is printed only when read; a traceback still
    shows the generated statement that failed."""
    import traceback
    np = pytest.importorskip("numpy")
    df = wengert.grad(load_source("import numpy as np\n\n\ndef f(x, W):\n    h = np.tanh(W @ x)\n"
                                  "    return np.sum(h ** 2)\n").f)
    with pytest.raises(ValueError) as info:
        df(np.ones(3), np.ones((4, 2)))
    frames = traceback.extract_tb(info.value.__traceback__)
    assert frames[-1].name == "f_grad" and frames[-1].line == "h = np.tanh(W @ x)"
    assert "def f_grad(x, W):" in wengert.source(df, np.ones(3), np.ones((4, 3)))


CLASHING = '''import numpy as np


def f(x, x_dot, g, v):
    return np.sum(np.sin(x) * x_dot * g * v)
'''


def test_parameters_named_like_the_derivatives_own_ones(load_source):
    """f(x, x_dot, g, v): jvp's tangent of x, vjp's cotangent and hvp's direction take other names."""
    import numpy as np
    f = load_source(CLASHING).f
    rng = np.random.default_rng(3)
    args = tuple(rng.normal(size=3) for _ in range(4))
    tangents = tuple(rng.normal(size=3) for _ in range(4))
    grads = wengert.grad(f, wrt=(0, 1, 2, 3))(*args)
    value, along = wengert.jvp(f)(*args, *tangents)
    assert math.isclose(value, f(*args))
    assert math.isclose(along, sum(np.sum(g * t) for g, t in zip(grads, tangents)), rel_tol=1e-12)
    _, pulled = wengert.vjp(f, wrt=(0, 1, 2, 3))(*args, 2.0)
    for p, g in zip(pulled, grads):
        np.testing.assert_allclose(p, 2.0 * g, rtol=1e-12)
    hv = wengert.hvp(f, wrt="x")(*args, tangents[0])
    H = wengert.hessian(f, wrt="x")(*args)
    np.testing.assert_allclose(hv, H @ tangents[0], rtol=1e-10, atol=1e-12)
