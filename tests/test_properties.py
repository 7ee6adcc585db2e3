"""Property tests on random straight-line scalar programs: forward = reverse = finite differences, and
the generated source is byte-identical across independent compilations."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, reject, settings
from hypothesis import strategies as st

import wengert
from wengert.api import generate

from conftest import central_difference, load_file, primal_of, run_module_text

SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LIMIT = 1e4  # programs whose value or gradient exceeds this are skipped: finite differences lose accuracy

# Expressions over an operand a (always a variable) and b (a variable or a small constant); each is defined
# for every real input. {m} is the module spelling, math or np.
UNARY = {
    "sin": "{m}.sin({a})",
    "cos": "{m}.cos({a})",
    "tanh": "{m}.tanh({a})",
    "arctan": "{atan}({a})",
    "exp": "{m}.exp(-{a} ** 2)",
    "exp_bounded": "{m}.exp({m}.sin({a}))",
    "log": "{m}.log(1 + {a} ** 2)",
    "sqrt": "{m}.sqrt(1 + {a} ** 2)",
}
BINARY = {
    "add": "{a} + {b}",
    "sub": "{a} - {b}",
    "mul": "{a} * {b}",
    "div": "{a} / (1.5 + {b} ** 2)",
    "div_const": "{b} / 4.0 - {a} / -2",
    "square": "{a} ** 2",
    "cube": "{a} ** 3",
    "neg_square": "-{a} ** 2 + {b}",
    "variable_power": "(1 + {a} ** 2) ** {b}",
}
TEMPLATES = sorted(UNARY.values()) + sorted(BINARY.values())
AUGMENTED = ["+=", "-=", "*="]
CONSTANTS = ["0.5", "2", "1.5", "-0.75"]
_file_numbers = itertools.count()


@st.composite
def programs(draw):
    """(source, number of parameters) of a random straight-line function `prog`."""
    n_params = draw(st.integers(1, 3))
    params = [f"x{i}" for i in range(n_params)]
    names = list(params)
    temporaries = []
    lines = []

    def expression(scope, templates=TEMPLATES):
        m = draw(st.sampled_from(["math", "np"]))
        a = draw(st.sampled_from(scope))
        b = draw(st.sampled_from(scope) | st.sampled_from(CONSTANTS))
        template = draw(st.sampled_from(templates))
        return template.format(m=m, a=a, b=b, atan="math.atan" if m == "math" else "np.arctan")

    # Sometimes a module-level helper that the program calls (it is inlined).
    helper = ""
    if draw(st.booleans()):
        helper = f"def helper(p, q):\n    r = {expression(['p', 'q'])}\n    return {expression(['r', 'p', 'q'])}\n\n\n"
    templates = TEMPLATES + ["helper({a}, {b})"] if helper else TEMPLATES

    for i in range(draw(st.integers(1, 7))):
        kind = draw(st.sampled_from(["assign", "assign", "assign", "reassign", "augment", "unpack"]))
        if kind == "reassign" and temporaries:
            target = draw(st.sampled_from(temporaries))
            lines.append(f"{target} = {expression(names, templates)}")
        elif kind == "augment" and temporaries:
            target = draw(st.sampled_from(temporaries))
            lines.append(f"{target} {draw(st.sampled_from(AUGMENTED))} {expression(names, templates)}")
        elif kind == "unpack":
            first, second = f"t{i}", f"u{i}"
            lines.append(f"{first}, {second} = {expression(names, templates)}, {expression(names, templates)}")
            temporaries += [first, second]
            names += [first, second]
        else:
            target = f"t{i}"
            lines.append(f"{target} = {expression(names, templates)}")
            temporaries.append(target)
            names.append(target)
    result = draw(st.sampled_from(temporaries)) if temporaries else params[0]
    # Every parameter reaches the result, so each has a (possibly zero) derivative.
    lines.append(f"return {result} + 0.25 * ({' + '.join(params)})")
    body = "".join(f"    {line}\n" for line in lines)
    source = f"import math\nimport numpy as np\n\n\n{helper}def prog({', '.join(params)}):\n{body}"
    return source, n_params


def points(n):
    return st.tuples(*[st.floats(-2.0, 2.0, allow_nan=False) for _ in range(n)])


@st.composite
def programs_and_points(draw):
    source, n = draw(programs())
    return source, draw(points(n)), draw(points(n))


@pytest.fixture(scope="module")
def program_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("programs")


def load_program(directory, source):
    path = directory / f"program_{next(_file_numbers)}.py"
    path.write_text(source, encoding="utf-8")
    return load_file(path).prog


def close(a, b, rel):
    return math.isclose(a, b, rel_tol=rel, abs_tol=rel)


def evaluate(fn, *args):
    """fn(*args), rejecting the example when float arithmetic overflows (x ** 3 ** 3 ... can)."""
    try:
        with np.errstate(all="ignore"):
            return fn(*args)
    except OverflowError:
        reject()


def bounded(*numbers):
    return all(math.isfinite(x) and abs(x) < LIMIT for x in numbers)


@SETTINGS
@given(case=programs_and_points())
def test_forward_equals_reverse_equals_finite_differences(program_dir, case):
    source, point, direction = case
    prog = load_program(program_dir, source)
    wrt = tuple(range(len(point)))
    value_and_grad = wengert.value_and_grad(prog, wrt=wrt)
    forward_grad = wengert.grad(prog, wrt=wrt, mode="forward")
    jvp, vjp = wengert.jvp(prog), wengert.vjp(prog)

    value = evaluate(prog, *point)
    value_reverse, reverse = evaluate(value_and_grad, *point)
    forward = evaluate(forward_grad, *point)
    assume(bounded(value, *reverse))

    assert close(value_reverse, value, 1e-12), source
    for i, (r, f) in enumerate(zip(reverse, forward)):
        assert close(f, r, 1e-9), (source, point, reverse, forward)
        numeric = central_difference(lambda *x: evaluate(prog, *x), point, i, h=1e-4)
        # Skip points where finite differences themselves are unreliable (two step sizes disagree).
        assume(close(central_difference(lambda *x: evaluate(prog, *x), point, i, h=1e-3), numeric, 1e-6))
        assert close(r, numeric, 1e-5), (source, point, i, r, numeric)

    # jvp is the gradient dotted with the tangent; vjp scales the gradient by the cotangent.
    _, along = evaluate(jvp, *point, *direction)
    assert close(along, sum(g * d for g, d in zip(reverse, direction)), 1e-9), source
    _, pulled = evaluate(vjp, *point, -1.5)
    pulled = pulled if isinstance(pulled, tuple) else (pulled,)
    assert all(close(p, -1.5 * g, 1e-9) for p, g in zip(pulled, reverse)), source


@SETTINGS
@given(case=programs())
def test_generated_source_is_byte_identical(case):
    source, n = case
    for kind, mode in [("grad", "reverse"), ("grad", "forward"), ("jvp", "forward"), ("vjp", "reverse")]:
        first = generate(primal_of(source, "prog", "program.py"), kind, None, mode)
        second = generate(primal_of(source, "prog", "program.py"), kind, None, mode)
        assert first == second, source
        assert "wengert" not in first
        run_module_text(first, f"prog_{kind}")  # standalone: runs with nothing but its own imports
