"""Large programs: a straight-line function of 10,000 statements and expressions nested 2,000 levels
deep compile (no RecursionError) and give the right gradient; nesting beyond what Python can compile
is a WengertError with a location. benchmarks/compile.py times the compiler on such programs."""

import math

import pytest

from wengert import WengertError
from wengert.api import generate
from wengert.parse import Module, parse

from conftest import central_difference, run_module_text

STATEMENTS = 10_000
DEPTH = 2_000

# Contractions: the value stays bounded however long the chain.
STEPS = ["v{i} = 0.5 * v{j} + 0.25 * math.sin(v{j} + x)",
         "v{i} = v{j} - 0.1 * math.tanh(v{j} * y)",
         "v{i} = math.cos(v{j}) * 0.5 + y * 0.1"]


def straight_line(n):
    """Source of f(x, y) with n assignment statements, each reading the one before."""
    lines = ["import math", "", "", "def f(x, y):", "    v0 = x * y"]
    lines += ["    " + STEPS[i % len(STEPS)].format(i=i, j=i - 1) for i in range(1, n)]
    lines.append(f"    return v{n - 1}")
    return "\n".join(lines) + "\n"


def derivative(source, kind="grad", mode="reverse"):
    """(primal function, generated function) of f in source; neither comes from importing a file."""
    module = Module(source, "large.py")
    text = generate(parse(module, module.function("f")), kind, None, mode)
    primal = run_module_text(source, "f")
    return primal, run_module_text(text, f"f_{kind}")


def assert_gradient(primal, grad, point, rel=1e-6):
    for i, g in enumerate(grad(*point)):
        numeric = central_difference(primal, point, i, h=1e-4)
        assert math.isclose(g, numeric, rel_tol=rel, abs_tol=1e-8), (i, g, numeric)


def test_straight_line_function_of_ten_thousand_statements():
    primal, grad = derivative(straight_line(STATEMENTS))
    assert_gradient(primal, grad, (0.3, 0.7))


def chain(depth):
    """x * 0.5 + y - x * y + ... : a sum whose AST is `depth` BinOp levels deep (no parentheses)."""
    terms = ["x * 0.5", "y", "x * y * 0.001", "math.sin(x)"]
    return " + ".join(terms[k % len(terms)] for k in range(depth + 1))


@pytest.mark.parametrize("expression", [
    chain(DEPTH),                                   # left-nested + chain
    "- " * DEPTH + "x * y",                         # unary minus, DEPTH levels
    " * ".join(["(1.0 + 0.0001 * x * y)"] * DEPTH),  # left-nested product
    "not " * DEPTH + "x > y and x * y or math.sin(x)",
], ids=["sum", "negation", "product", "not"])
def test_expression_nested_two_thousand_levels_deep(expression):
    source = f"import math\n\n\ndef f(x, y):\n    return {expression}\n"
    assert len(expression) > DEPTH
    primal, grad = derivative(source)
    assert_gradient(primal, grad, (0.3, 0.7))


def test_helpers_inlined_two_thousand_levels_deep():
    """h0 calls h1 calls ... h1999: inlining recurses once per level (several frames each)."""
    helpers = [f"def h{k}(x):\n    return h{k + 1}(x) * 0.999 + 0.001\n" for k in range(DEPTH)]
    source = "\n\n".join(helpers + [f"def h{DEPTH}(x):\n    return x * x\n", "def f(x, y):\n    return h0(x) + y\n"])
    _, grad = derivative(source)  # the primal itself recurses 2,000 calls deep: check against the formula
    dx, dy = grad(0.3, 0.7)
    assert math.isclose(dx, 0.999 ** DEPTH * 2 * 0.3, rel_tol=1e-12) and dy == 1.0


def test_forward_mode_on_a_thousand_statements():
    primal, grad = derivative(straight_line(1_000), mode="forward")
    assert_gradient(primal, grad, (0.3, 0.7))


@pytest.mark.parametrize("source, words", [
    # Python compiles at most 100 nested blocks: conditional expressions nest the derivative's branches.
    ("def f(x, y):\n    return " + " else ".join(f"x * {k}.0 if x > {k}.0" for k in range(DEPTH)) + " else y\n",
     "nested more than"),
    # Python's own parser gives up on these.
    ("def f(x, y):\n    return " + "-" * 200_000 + "x\n", "nested too deeply"),
    ("def f(x, y):\n    return " + " + ".join(["x"] * 200_000) + "\n", "nested too deeply"),
], ids=["conditional expressions", "200,000 negations", "200,000 terms"])
def test_nesting_beyond_what_python_compiles_is_a_wengert_error(source, words):
    with pytest.raises(WengertError) as info:
        module = Module(source, "large.py")
        parse(module, module.function("f"))
    err = info.value
    assert words in err.message and err.line == 2 and err.hint, str(err)[:300]


def test_the_recursion_limit_is_restored():
    import sys

    before = sys.getrecursionlimit()
    derivative("import math\n\n\ndef f(x, y):\n    return " + chain(DEPTH) + "\n")
    assert sys.getrecursionlimit() == before


def test_garbage_collection_pauses_while_compiling_and_comes_back_as_it_was():
    import gc

    from wengert.compile import compiling

    assert gc.isenabled()
    with compiling():
        with compiling():  # nested (or another thread): the outermost one restores
            pass
        assert not gc.isenabled()
    assert gc.isenabled()
    derivative(straight_line(20))
    assert gc.isenabled()
    gc.disable()  # a caller that turned collection off keeps it off
    try:
        derivative(straight_line(21))
        assert not gc.isenabled()
    finally:
        gc.enable()


class CountingSet(set):
    """A set that counts membership tests."""

    def __contains__(self, item):
        self.tests = getattr(self, "tests", 0) + 1
        return super().__contains__(item)


def test_fresh_names_for_one_variable_assigned_many_times_take_linear_work():
    """h = ... h ... ten thousand times gives h, h_1, ..., h_9999: each name must not be found by
    trying every suffix before it again (that made such a function compile in quadratic time)."""
    from wengert.trace import Names
    names = Names()
    names.taken = CountingSet(names.taken)
    made = [names.fresh("h") for _ in range(STATEMENTS)]
    assert made[:3] == ["h", "h_1", "h_2"] and made[-1] == f"h_{STATEMENTS - 1}"
    assert names.taken.tests <= 2 * STATEMENTS


def many_branches(n):
    body = []
    for i in range(n):
        body += [f"    if h > {i % 7 * 0.1}:", "        h = 0.5 * h + 0.1 * x", "    else:", "        h = h * 0.9 - y"]
    return "\n".join(["def f(x, y):", "    h = x * y", *body, "    return h"]) + "\n"


def many_loops(n):
    body = []
    for _ in range(n):
        body += ["    for i in range(3):", "        h = 0.5 * h + 0.1 * x", "    h = h + y"]
    return "\n".join(["def f(x, y):", "    h = x * y", *body, "    return h"]) + "\n"


@pytest.mark.parametrize("program", [many_branches, many_loops])
def test_branches_and_loops_are_emitted_in_linear_work(program, monkeypatch):
    """The emitter asks which names are read after each branch or loop. Building that set anew at every one
    made a function of n branches take n^2 work (4,000 branches: 112 s); count the statements it reads."""
    import wengert.emit as emit
    reads = 0

    def counted(op):
        nonlocal reads
        reads += 1
        return free_vars(op)

    from wengert.trace import free_vars
    monkeypatch.setattr(emit, "free_vars", counted)
    work = []
    for n in (100, 400):
        reads = 0
        primal, grad = derivative(program(n))
        work.append(reads)
    assert work[1] <= 6 * work[0], work
    assert_gradient(primal, grad, (0.3, 0.7))
