"""Property tests on random programs with loops and branches: forward (jvp) = reverse (grad) = finite
differences, and the generated source is deterministic and standalone.

Each program is written twice: the clean text that wengert reads and the test runs, and an
instrumented copy whose conditions log their outcome and margin. Finite differences are only taken
when every point of the stencil takes the same path as the base point (and no condition is within
MARGIN of its threshold there): across a branch switch they measure a jump, not a derivative."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import wengert
from wengert.api import generate

from conftest import load_file, primal_of, run_module_text

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
LIMIT = 1e4       # values or gradients beyond this are skipped: finite differences lose accuracy
MARGIN = 1e-3     # conditions closer than this to their threshold are skipped
STEP = 1e-5       # finite-difference step (relative); fourth-order stencil
_file_numbers = itertools.count()

# Safe operations over operands a, b (each is a variable or the loop counter); all defined everywhere.
TEMPLATES = [
    "math.sin({a})", "math.cos({a})", "math.tanh({a})", "math.exp(0.5 * math.sin({a}))",
    "{a} + {b}", "{a} - {b}", "{a} * {b}", "0.5 * {a} * {b}", "math.tanh({a} * {b})", "math.sin({a}) * {b}",
    "{a} * math.cos({b})", "math.exp(-0.1 * {a} * {a}) + {b}",
]
THRESHOLDS = ["0.3", "-0.2", "0.8", "0.0", "1.1"]


def condition(a, c, instrumented):
    return f"_decide({a}, {c})" if instrumented else f"{a} > {c}"


@st.composite
def loop_programs(draw, constant_start=False):
    """A random program `prog(x, y, n)` as a list of (indent, line) where a line may be a
    ("cond", variable, threshold, keyword) tuple; render() turns it into source text.
    constant_start: the loop state starts from constants, never from (an alias of) a parameter."""
    lines = []
    state = ["s", "t"]

    def expr(scope):
        template = draw(st.sampled_from(TEMPLATES))
        return template.format(a=draw(st.sampled_from(scope)), b=draw(st.sampled_from(scope)))

    def assignment(scope, targets, indent):
        target = draw(st.sampled_from(targets))
        op = draw(st.sampled_from(["=", "=", "+=", "*="]))
        value = expr(scope)
        if op == "*=":
            value = f"math.cos({value})"  # keeps products bounded
        lines.append((indent, f"{target} {op} {value}"))

    def statements(scope, targets, indent, count):
        for _ in range(count):
            assignment(scope, targets, indent)

    def branch(scope, targets, indent):
        lines.append((indent, ("cond", draw(st.sampled_from(scope)), draw(st.sampled_from(THRESHOLDS)), "if")))
        statements(scope, targets, indent + 1, draw(st.integers(1, 2)))
        if draw(st.booleans()):
            lines.append((indent, "else:"))
            statements(scope, targets, indent + 1, draw(st.integers(1, 2)))

    # Initial state: sometimes a parameter itself, sometimes an expression of the parameters.
    for name in state:
        start = st.sampled_from(["0.5", "-0.25"]) if constant_start else \
            st.sampled_from(["x", "y", "0.5"]) | st.just(expr(["x", "y"]))
        lines.append((1, f"{name} = {draw(start)}"))

    kind = draw(st.sampled_from(["range", "range_start", "while", "nested", "nested_restart"]))
    counter = "i"
    if kind == "range":
        lines.append((1, "for i in range(n):"))
    elif kind == "range_start":
        lines.append((1, "for i in range(1, n + 1):"))
    elif kind == "nested":
        lines.append((1, "for i in range(n):"))
        lines.append((2, "for j in range(2):"))
    elif kind == "nested_restart":  # the outer pass restarts t, then an inner loop updates it
        lines.append((1, "for i in range(n):"))
        restart = st.just("0.25") if constant_start else \
            st.sampled_from(["x", "y"]) | st.just(expr(["x", "y", "s"]))
        lines.append((2, f"t = {draw(restart)}"))
        lines.append((2, "for j in range(2):"))
    else:
        counter = "k"
        lines.insert(0, (1, "k = 0"))
        lines.append((1, "while k < n:"))
        lines.append((2, "k = k + 1"))  # first, so that continue cannot skip it
    inner = 3 if kind.startswith("nested") else 2
    scope = state + ["x", "y", counter]
    statements(scope, state, inner, draw(st.integers(1, 3)))
    if draw(st.booleans()):
        branch(scope, state, inner)
    if draw(st.booleans()):
        lines.append((inner, ("cond", draw(st.sampled_from(state)), draw(st.sampled_from(THRESHOLDS)), "if")))
        lines.append((inner + 1, draw(st.sampled_from(["break", "continue"]))))
        statements(scope, state, inner, 1)
    if draw(st.booleans()):  # a branch after the loop
        branch(state + ["x", "y"], state, 1)
    lines.append((1, "return s + 0.5 * t + 0.125 * (x + y)"))
    return lines


def render(lines, instrumented):
    """Source text of the program; the instrumented copy logs every condition it evaluates."""
    out = ["import math", "", ""]
    if instrumented:
        out += ["LOG = []", "", "",
                "def _decide(a, c):",
                "    LOG.append((a > c, abs(a - c)))",
                "    return a > c", "", ""]
    out.append("def prog(x, y, n):")
    for indent, line in lines:
        if isinstance(line, tuple):
            _, a, c, keyword = line
            line = f"{keyword} {condition(a, c, instrumented)}:"
        out.append("    " * indent + line)
    return "\n".join(out) + "\n"


def path(instrumented, point, n):
    """Outcome of every condition evaluated at point, and the smallest margin among them."""
    instrumented.LOG.clear()
    instrumented.prog(*point, n)
    outcomes = tuple(o for o, _ in instrumented.LOG)
    margin = min((m for _, m in instrumented.LOG), default=math.inf)
    return outcomes, margin


@st.composite
def cases(draw, constant_start=False):
    lines = draw(loop_programs(constant_start))
    point = tuple(draw(st.floats(-2.0, 2.0, allow_nan=False)) for _ in range(2))
    direction = tuple(draw(st.floats(-1.0, 1.0, allow_nan=False)) for _ in range(2))
    return lines, point, direction, draw(st.integers(0, 5))


@pytest.fixture(scope="module")
def program_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("control_programs")


def load(directory, text):
    path_ = directory / f"control_program_{next(_file_numbers)}.py"
    path_.write_text(text, encoding="utf-8")
    return load_file(path_)


def close(a, b, rel):
    return math.isclose(a, b, rel_tol=rel, abs_tol=rel)


def finite_difference(prog, point, n, i):
    step = STEP * max(1.0, abs(point[i]))

    def at(k):
        shifted = list(point)
        shifted[i] += k * step
        return prog(*shifted, n)

    return (at(-2) - 8 * at(-1) + 8 * at(1) - at(2)) / (12 * step), \
        [tuple(point[j] + (k * step if j == i else 0.0) for j in range(2)) for k in (-2, -1, 1, 2)]


def check_derivatives(program_dir, case):
    lines, point, direction, n = case
    source = render(lines, instrumented=False)
    prog = load(program_dir, source).prog
    spy = load(program_dir, render(lines, instrumented=True))
    value = prog(*point, n)
    assume(math.isfinite(value) and abs(value) < LIMIT)
    outcomes, margin = path(spy, point, n)
    assume(margin > MARGIN)

    numeric = []
    for i in range(2):
        derivative, stencil = finite_difference(prog, point, n, i)
        assume(all(path(spy, p, n)[0] == outcomes for p in stencil))
        numeric.append(derivative)
    assume(all(math.isfinite(d) and abs(d) < LIMIT for d in numeric))

    where = f"\n{source}\nat x, y = {point!r}, n = {n}"
    value_reverse, reverse = wengert.value_and_grad(prog, wrt=("x", "y"))(*point, n)
    assert close(value_reverse, value, 1e-12), where
    for r, d in zip(reverse, numeric):
        assert close(r, d, 1e-6), (where, reverse, numeric)
    forward = wengert.grad(prog, wrt=("x", "y"), mode="forward")(*point, n)
    for f, r in zip(forward, reverse):
        assert close(f, r, 1e-9), (where, forward, reverse)
    value_forward, along = wengert.jvp(prog, wrt=("x", "y"))(*point, n, *direction)
    assert close(value_forward, value, 1e-12), where
    assert close(along, sum(g * d for g, d in zip(reverse, direction)), 1e-9), (where, along)
    _, pulled = wengert.vjp(prog, wrt=("x", "y"))(*point, n, -1.5)
    assert all(close(p, -1.5 * g, 1e-9) for p, g in zip(pulled, reverse)), (where, pulled)


@SETTINGS
@given(case=cases(constant_start=True))
def test_forward_equals_reverse_equals_finite_differences(program_dir, case):
    """Loop state starting from constants: the parameters enter inside the loop and after it."""
    check_derivatives(program_dir, case)


@SETTINGS
@given(case=cases())
def test_forward_equals_reverse_equals_finite_differences_any_start(program_dir, case):
    """Loop state may start as a parameter itself (s = x) or an expression of the parameters."""
    check_derivatives(program_dir, case)


@SETTINGS
@given(lines=loop_programs())
def test_generated_source_is_deterministic_and_standalone(lines):
    source = render(lines, instrumented=False)
    for kind, mode in [("grad", "reverse"), ("grad", "forward"), ("jvp", "forward"), ("vjp", "reverse")]:
        first = generate(primal_of(source, "prog", "program.py"), kind, ("x", "y"), mode)
        second = generate(primal_of(source, "prog", "program.py"), kind, ("x", "y"), mode)
        assert first == second, source
        assert "wengert" not in first
        fn = run_module_text(first, f"prog_{kind}")
        assert callable(fn)
