"""The accepted scalar subset of Python: each construct parses, and its gradient matches finite differences."""

import math

import pytest

from wengert.parse import Module, parse, with_shapes
from wengert.trace import Trace

from conftest import ROOT, assert_close, generated, numeric_gradient, primal_of, run_module_text

HEADER = "import math\nimport numpy as np\n\n"


def check_gradient(source, point, name="f", rel=1e-6):
    """Reverse and forward gradients of `name` agree with each other and with central differences."""
    primal_fn = run_module_text(source, name)
    expected = numeric_gradient(primal_fn, point)
    _, reverse = generated(source, name, mode="reverse")
    _, forward = generated(source, name, mode="forward")
    got_reverse, got_forward = reverse(*point), forward(*point)
    if len(point) == 1:
        got_reverse, got_forward = (got_reverse,), (got_forward,)
    assert_close(got_reverse, expected, rel=rel, abs_=1e-7)
    assert_close(got_forward, got_reverse, rel=1e-12, abs_=1e-14)
    return got_reverse


# ---- the trace itself -----------------------------------------------------------------------------

def test_lecture_trace_has_one_op_per_primitive():
    path = ROOT / "examples" / "lecture.py"
    module = Module(path.read_text(), str(path))
    trace = parse(module, module.function("f"))
    assert trace.params == ("x1", "x2")
    assert [op.prim for op in trace.ops] == ["log", "mul", "add", "sin", "sub"]
    assert [op.kw.get("lib") for op in trace.ops] == ["math", None, None, "math", None]
    assert len(trace.outputs) == 1 and trace.outputs[0].name == trace.ops[-1].outs[0]


def test_user_names_name_the_ops():
    trace = primal_of(HEADER + "def f(x1, x2):\n    z = x1 * x2\n    w = math.sin(z)\n    return w\n", "f")
    assert [op.outs for op in trace.ops] == [("z",), ("w",)]
    assert trace.ops[1].args[0].name == "z"


def test_reassigned_name_gets_a_fresh_name():
    trace = primal_of(HEADER + "def f(x):\n    y = x * x\n    y = y + x\n    return y\n", "f")
    outs = [op.outs[0] for op in trace.ops]
    assert len(set(outs)) == len(outs) == 2
    assert trace.ops[1].args[0].name == outs[0]


def test_with_shapes_keeps_what_it_derived_from_the_same_ops_and_keys():
    trace = primal_of(HEADER + "def f(x, a):\n    y = a * x\n    for i in range(3):\n        y = y * a\n"
                      "    return np.sum(y)\n", "f")
    keys = {"x": ("n",), "a": ()}
    shaped = with_shapes(trace, keys)
    derived = dict(shaped.shapes)
    assert with_shapes(Trace(trace.name, trace.params, list(trace.ops), trace.outputs), keys).shapes == derived
    shaped.shapes.clear()  # the trace's own dict; what with_shapes kept is its copy
    assert with_shapes(shaped, keys).shapes == derived
    assert with_shapes(shaped, {"x": (), "a": ()}).shapes != derived
    shaped.ops.pop()
    assert with_shapes(shaped, keys).shapes != derived

# ---- statements -----------------------------------------------------------------------------------

def test_plain_assignments():
    source = HEADER + "def f(x1, x2):\n    a = x1 * x2\n    b = a + x1\n    c = b * a\n    return c\n"
    x1, x2 = 1.5, -0.7
    a = x1 * x2
    # c = (a + x1) a with a = x1 x2
    exact = ((x2 + 1) * a + (a + x1) * x2, x1 * a + (a + x1) * x1)
    assert_close(check_gradient(source, (x1, x2)), exact, rel=1e-12)


def test_tuple_unpacking():
    source = HEADER + "def f(x1, x2):\n    a, b = x1 * 2, x2\n    return a * b + math.sin(a)\n"
    x1, x2 = 0.4, 1.7
    exact = (2 * x2 + 2 * math.cos(2 * x1), 2 * x1)
    assert_close(check_gradient(source, (x1, x2)), exact, rel=1e-12)


def test_tuple_unpacking_swaps():
    source = HEADER + "def f(x1, x2):\n    a, b = x1, x2\n    a, b = b, a * b\n    return a * a + b\n"
    x1, x2 = 0.4, 1.7
    assert_close(check_gradient(source, (x1, x2)), (x2, 2 * x2 + x1), rel=1e-12)


def test_unpacking_a_helper_returning_a_tuple():
    source = HEADER + ("def both(t):\n    return t * t, t + 1.0\n\n"
                       "def f(x):\n    s, p = both(x)\n    return s * p\n")
    x = 0.8
    assert_close(check_gradient(source, (x,)), (2 * x * (x + 1) + x * x,), rel=1e-12)


@pytest.mark.parametrize("op, derivative", [
    ("+=", lambda x, y: (1.0, 1.0)),
    ("-=", lambda x, y: (1.0, -1.0)),
    ("*=", lambda x, y: (y, x)),
    ("/=", lambda x, y: (1 / y, -x / y ** 2)),
])
def test_augmented_assignment(op, derivative):
    source = HEADER + f"def f(x, y):\n    a = x\n    a {op} y\n    return a\n"
    point = (1.25, -0.8)
    assert_close(check_gradient(source, point), derivative(*point), rel=1e-12)


def test_repeated_augmented_assignment():
    source = HEADER + "def f(x):\n    a = x\n    a *= x\n    a *= x\n    a += 2.0 * x\n    return a\n"
    assert_close(check_gradient(source, (1.1,)), (3 * 1.1 ** 2 + 2.0,), rel=1e-12)


def test_chained_expression():
    source = HEADER + "def f(x1, x2):\n    return x1 * x2 + x1 / x2 - x2 ** 3 * x1 + (x1 - x2) * (x1 + x2)\n"
    x1, x2 = 0.9, 1.3
    exact = (x2 + 1 / x2 - x2 ** 3 + 2 * x1, x1 - x1 / x2 ** 2 - 3 * x2 ** 2 * x1 - 2 * x2)
    assert_close(check_gradient(source, (x1, x2)), exact, rel=1e-12)


@pytest.mark.parametrize("expression, derivative", [
    ("-x", -1.0),
    ("+x", 1.0),
    ("-(-x)", 1.0),
    ("-math.sin(x)", -math.cos(0.6)),
    ("-x * -x", 2 * 0.6),
    ("+(-(+x)) * 3", -3.0),
])
def test_unary_plus_and_minus(expression, derivative):
    source = HEADER + f"def f(x):\n    return {expression}\n"
    assert_close(check_gradient(source, (0.6,)), (derivative,), rel=1e-12)


def test_int_and_float_constants():
    source = HEADER + "def f(x):\n    return 3 * x ** 2 + 2.5 * x - 7 + 1 / 4 * x\n"
    assert_close(check_gradient(source, (1.2,)), (6 * 1.2 + 2.5 + 0.25,), rel=1e-12)


@pytest.mark.parametrize("expression, derivative", [
    ("x1 ** x2", lambda x1, x2: (x2 * x1 ** (x2 - 1), math.log(x1) * x1 ** x2)),
    ("2.0 ** x2 * x1", lambda x1, x2: (2.0 ** x2, math.log(2.0) * 2.0 ** x2 * x1)),
    ("x1 ** 0.5 + x2 ** -2", lambda x1, x2: (0.5 * x1 ** -0.5, -2 * x2 ** -3)),
    ("(x1 * x2) ** (x2 - x1)", None),
])
def test_power(expression, derivative):
    source = HEADER + f"def f(x1, x2):\n    return {expression}\n"
    point = (1.3, 0.7)
    result = check_gradient(source, point)
    if derivative is not None:
        assert_close(result, derivative(*point), rel=1e-12)


# ---- every required scalar function, in both spellings -----------------------------------------------

# (math spelling, NumPy spelling, derivative, a point inside the domain of u = 0.5 x + 0.1)
FUNCTIONS = [
    ("math.sin", "np.sin", math.cos, 0.7),
    ("math.cos", "np.cos", lambda u: -math.sin(u), 0.7),
    ("math.tan", "np.tan", lambda u: 1 / math.cos(u) ** 2, 0.7),
    ("math.exp", "np.exp", math.exp, -1.3),
    ("math.log", "np.log", lambda u: 1 / u, 2.2),
    ("math.sqrt", "np.sqrt", lambda u: 0.5 / math.sqrt(u), 2.2),
    ("math.tanh", "np.tanh", lambda u: 1 - math.tanh(u) ** 2, -0.4),
    ("math.atan", "np.arctan", lambda u: 1 / (1 + u * u), 1.9),
    ("math.asin", "np.arcsin", lambda u: 1 / math.sqrt(1 - u * u), 0.9),
    ("math.acos", "np.arccos", lambda u: -1 / math.sqrt(1 - u * u), -0.9),
    ("math.sinh", "np.sinh", math.cosh, 1.1),
    ("math.cosh", "np.cosh", math.sinh, 1.1),
    ("abs", "np.abs", lambda u: math.copysign(1.0, u), -1.7),
    ("math.fabs", "np.absolute", lambda u: math.copysign(1.0, u), 1.3),
    ("math.log1p", "np.log1p", lambda u: 1 / (1 + u), 0.35),
    ("math.expm1", "np.expm1", math.exp, -0.2),
]


@pytest.mark.parametrize("spelling", ["math", "numpy"])
@pytest.mark.parametrize("math_name, numpy_name, derivative, x", FUNCTIONS, ids=[row[1] for row in FUNCTIONS])
def test_scalar_function(spelling, math_name, numpy_name, derivative, x):
    """g(0.5 x + 0.1) * x: the chain rule and the product rule around every function."""
    call = math_name if spelling == "math" else numpy_name
    source = HEADER + f"def f(x):\n    return {call}(0.5 * x + 0.1) * x\n"
    u = 0.5 * x + 0.1
    value_of_g = run_module_text(HEADER + f"def g(u):\n    return {call}(u)\n", "g")(u)
    exact = 0.5 * derivative(u) * x + value_of_g
    assert_close(check_gradient(source, (x,)), (exact,), rel=1e-12, abs_=1e-14)


@pytest.mark.parametrize("math_name, numpy_name", [(row[0], row[1]) for row in FUNCTIONS])
def test_math_spelling_is_emitted_with_math(math_name, numpy_name):
    """A function called through math.* keeps math in the generated primal (value_and_grad)."""
    source = HEADER + f"def f(x):\n    return {math_name}(x) * x\n"
    text, _ = generated(source, "f", kind="value_and_grad")
    expected = "abs(" if math_name == "math.fabs" else math_name + "("
    assert expected in text
    assert "np." + numpy_name[3:] + "(" not in text


def test_numpy_module_alias():
    source = ("import numpy as onp\n\n"
              "def f(x, y):\n    return onp.sin(x) * onp.exp(y) + onp.arctan(x * y)\n")
    x, y = 0.3, -0.6
    exact = (math.cos(x) * math.exp(y) + y / (1 + (x * y) ** 2), math.sin(x) * math.exp(y) + x / (1 + (x * y) ** 2))
    assert_close(check_gradient(source, (x, y)), exact, rel=1e-12)


def test_from_imports_and_renamed_imports():
    source = ("from math import sin, log as ln\nfrom numpy import tanh\nimport math as m\n\n"
              "def f(x):\n    return sin(x) + ln(x) + tanh(x) + m.cos(x)\n")
    x = 0.8
    exact = math.cos(x) + 1 / x + 1 - math.tanh(x) ** 2 - math.sin(x)
    assert_close(check_gradient(source, (x,)), (exact,), rel=1e-12)


def test_module_level_constants():
    source = ("import math\nimport numpy as np\n\nSCALE = 3.0\nPOWER = 2\nSHIFT = -1.5\n\n"
              "def f(x):\n    return SCALE * x ** POWER + SHIFT * x + math.pi * x + np.pi * math.e * x\n")
    x = 0.9
    exact = 2 * 3.0 * x - 1.5 + math.pi + math.pi * math.e
    assert_close(check_gradient(source, (x,)), (exact,), rel=1e-12)


def test_a_local_name_shadows_a_module_constant():
    source = HEADER + "SCALE = 3.0\n\ndef f(x):\n    SCALE = x * x\n    return SCALE * x\n"
    assert_close(check_gradient(source, (1.5,)), (3 * 1.5 ** 2,), rel=1e-12)


def test_docstring_and_pass_are_ignored():
    source = HEADER + 'def f(x):\n    """Doc."""\n    pass\n    return x * x\n'
    assert_close(check_gradient(source, (1.5,)), (3.0,), rel=1e-12)


def test_float_annotations_are_accepted():
    source = HEADER + "def f(x: float, y: float):\n    z: float = x * y\n    return np.sin(z)\n"
    x, y = 0.5, 1.5
    assert_close(check_gradient(source, (x, y)), (y * math.cos(x * y), x * math.cos(x * y)), rel=1e-12)


@pytest.mark.parametrize("expression", ["(-0.75) ** 2 * x", "-0.75 ** 2 * x", "x * (-2) ** 3", "x * NEGATIVE ** 2",
                                        "(-x) ** 2", "-x ** 2", "2 ** -1 * x", "x - -1.5 * x"])
def test_constants_fold_with_python_precedence(expression):
    """Folding a literal expression gives what Python gives, e.g. (-0.75) ** 2 = 0.5625 but -0.75 ** 2 = -0.5625."""
    source = HEADER + f"NEGATIVE = -1.5\n\ndef f(x):\n    return {expression}\n"
    x = 1.3
    expected_value = run_module_text(source, "f")(x)
    _, value_and_grad = generated(source, "f", kind="value_and_grad")
    value, _ = value_and_grad(x)
    assert value == pytest.approx(expected_value, rel=1e-14)
    check_gradient(source, (x,))
