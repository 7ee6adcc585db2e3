"""Control flow (tests/programs/control.py): branches, for/while loops, break/continue, helpers and early
returns, against central finite differences (with value_and_grad, jvp == <grad, v> and vjp); forward-mode
gradients equal reverse-mode ones. Then the shape of the generated code: loops stay loops, the RNN's
reverse sweep stores one hidden state per step, output is deterministic and standalone. Then bad input."""

import ast
import inspect
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import wengert
from wengert import WengertError
from wengert.api import generate
from wengert.parse import Module, parse

from conftest import ROOT, primal_of, run_module_text
from programs import control as C
from programs.gradcheck import check_gradients, numeric_grad, param_index

CONTROL = ROOT / "tests" / "programs" / "control.py"


def rng(*salt):
    return np.random.default_rng([4, *salt])


def is_scalar(x):
    return np.ndim(x) == 0 and not isinstance(x, np.ndarray)


def check(f, args, wrt):
    """check_gradients (finite differences, value_and_grad, jvp, vjp), and for scalar parameters the
    forward-mode gradient too. Returns the reverse-mode gradient as a tuple."""
    grads = check_gradients(f, args, wrt)
    names = (wrt,) if isinstance(wrt, str) else tuple(wrt)
    if all(is_scalar(args[param_index(f, n)]) for n in names):
        forward = wengert.grad(f, wrt=wrt, mode="forward")(*args)
        forward = (forward,) if isinstance(wrt, str) else forward
        np.testing.assert_allclose(forward, grads, rtol=1e-10, atol=1e-12, err_msg="forward vs reverse mode")
    return grads


def rnn_data(T=6, H=4, D=3, seed=0):
    r = rng(seed)
    return 0.5 * r.normal(size=(H, H)), 0.5 * r.normal(size=(H, D)), r.normal(size=H), r.normal(size=(T, D))


def primal_from_file(name):
    module = Module.from_file(str(CONTROL))
    return parse(module, module.function(name))


# ---- branches ---------------------------------------------------------------------------------------------

W3 = rng(1).normal(size=(3, 3))
X3 = np.abs(rng(2).normal(size=3)) + 0.1

BRANCH_CASES = [
    pytest.param(C.branch, (0.9,), "x", id="if-taken"),
    pytest.param(C.branch, (-0.7,), "x", id="else-taken"),
    pytest.param(C.elif_chain, (-1.5, 0.7), ("x", "a"), id="elif-first"),
    pytest.param(C.elif_chain, (0.3, 0.7), ("x", "a"), id="elif-middle"),
    pytest.param(C.elif_chain, (1.7, 0.7), ("x", "a"), id="elif-else"),
    pytest.param(C.branch_on_array_sum, (X3, W3), ("x", "W"), id="array-sum-positive"),
    pytest.param(C.branch_on_array_sum, (-X3, W3), ("x", "W"), id="array-sum-negative"),
    pytest.param(C.branch_assigns_one_side, (X3, np.abs(W3)), ("x", "W"), id="one-sided-taken"),
    pytest.param(C.branch_assigns_one_side, (0.01 * X3, W3), ("x", "W"), id="one-sided-skipped"),
    pytest.param(C.conditional_expression, (1.3, 0.4), ("x", "y"), id="ifexp-true"),
    pytest.param(C.conditional_expression, (0.2, 0.4), ("x", "y"), id="ifexp-false"),
    pytest.param(C.conditional_expression_array, (X3, np.abs(W3)), ("x", "W"), id="ifexp-array-true"),
    pytest.param(C.conditional_expression_array, (-X3, np.abs(W3)), ("x", "W"), id="ifexp-array-false"),
    pytest.param(C.compound_condition, (0.5, 0.7), ("x", "y"), id="and-true"),
    pytest.param(C.compound_condition, (0.5, -0.7), ("x", "y"), id="and-false"),
    pytest.param(C.compound_condition, (-2.5, -0.7), ("x", "y"), id="or-not-true"),
    pytest.param(C.early_return, (1.5,), "x", id="return-in-if"),
    pytest.param(C.early_return, (0.5,), "x", id="return-in-else"),
    pytest.param(C.early_return_falls_through, (1.5, 2.0), ("x", "y"), id="return-early"),
    pytest.param(C.early_return_falls_through, (0.3, 2.0), ("x", "y"), id="return-late"),
]


@pytest.mark.parametrize("f, args, wrt", BRANCH_CASES)
def test_branches(f, args, wrt):
    check(f, args, wrt)


def test_branches_give_different_gradients_on_each_side():
    """The two sides of `branch` really are different programs: x*x*3 + x versus -3 sin(x) + x."""
    g = wengert.grad(C.branch)
    assert g(0.9) == pytest.approx(6 * 0.9 + 1, rel=1e-12)
    assert g(-0.7) == pytest.approx(-3 * np.cos(-0.7) + 1, rel=1e-12)


# ---- for loops ----------------------------------------------------------------------------------------------

LOOP_CASES = [
    pytest.param(C.sum_of_sines, (0.7, 0), "x", id="accumulate-0"),
    pytest.param(C.sum_of_sines, (0.7, 1), "x", id="accumulate-1"),
    pytest.param(C.sum_of_sines, (0.7, 25), "x", id="accumulate-25"),
    pytest.param(C.repeated_product, (0.7, 0), "x", id="carried-0"),
    pytest.param(C.repeated_product, (0.7, 1), "x", id="carried-1"),
    pytest.param(C.repeated_product, (0.7, 9), "x", id="carried-9"),
    pytest.param(C.sum_over_rows, (X3, rng(3).normal(size=(5, 3))), ("w", "xs"), id="range-shape"),
    pytest.param(C.sum_over_rows, (X3, np.zeros((0, 3))), ("w", "xs"), id="range-shape-empty"),
    pytest.param(C.stepped_range, (0.3, 1, 9, 3), "x", id="range-step"),
    pytest.param(C.stepped_range, (0.3, 5, 1, 1), "x", id="range-empty"),
    pytest.param(C.stepped_range, (0.3, 7, -2, -2), "x", id="range-negative-step"),
    pytest.param(C.downward_range, (0.3, 5), "x", id="range-downward"),
    pytest.param(C.downward_range, (0.3, 0), "x", id="range-downward-empty"),
    pytest.param(C.for_over_rows, (W3, rng(4).normal(size=(5, 3))), ("W", "X"), id="for-x-in-xs"),
    pytest.param(C.for_over_rows, (W3, rng(4).normal(size=(1, 3))), ("W", "X"), id="for-x-in-xs-1"),
    pytest.param(C.nested_loops, (0.3, 3, 4), "x", id="nested"),
    pytest.param(C.nested_loops, (0.3, 0, 4), "x", id="nested-outer-0"),
    pytest.param(C.nested_loops, (0.3, 3, 0), "x", id="nested-inner-0"),
    pytest.param(C.nested_loops_with_break, (0.4, 4, 5), "x", id="nested-break"),
    pytest.param(C.nested_loops_with_break, (0.1, 3, 2), "x", id="nested-break-never"),
    pytest.param(C.nested_loops_with_break, (1.9, 3, 5), "x", id="nested-break-first-pass"),
    pytest.param(C.loop_with_continue, (0.9, 8), "x", id="continue"),
    pytest.param(C.loop_with_break, (0.4, 10), "x", id="break"),
    pytest.param(C.loop_with_break, (0.01, 10), "x", id="break-never"),
    pytest.param(C.branch_in_loop, (0.8, 6), "x", id="branch-in-loop"),
    pytest.param(C.array_branch_in_loop, (0.5 * W3, X3, 5), ("W", "h0"), id="array-branch-in-loop"),
    pytest.param(C.sum_over_vector_entries, (rng(8).normal(size=5),), "w", id="for-v-in-vector"),
    pytest.param(C.scalar_start_becomes_array, (W3, rng(9).normal(size=(4, 3))), ("W", "X"),
                 id="scalar-start-becomes-array"),
    pytest.param(C.conditional_expression_in_loop, (0.7, 6), "x", id="ifexp-in-loop"),
]


@pytest.mark.parametrize("f, args, wrt", LOOP_CASES)
def test_for_loops(f, args, wrt):
    check(f, args, wrt)


def test_zero_iterations_give_the_derivative_of_the_start():
    assert wengert.grad(C.sum_of_sines, wrt="x")(0.7, 0) == 0.0
    assert wengert.grad(C.repeated_product, wrt="x")(0.7, 0) == 0.5
    assert wengert.jvp(C.repeated_product, wrt="x")(0.7, 0, 1.0) == (0.35, 0.5)


def test_branches_inside_a_loop_take_both_sides():
    """branch_in_loop at 0.8 halves on some passes and squares on others: both adjoint branches run."""
    s, sides = 0.8, set()
    for _ in range(6):
        sides.add(s > 1.0)
        s = s * 0.5 if s > 1.0 else s * s + np.exp(0.3 * s)
    assert sides == {True, False}
    check(C.branch_in_loop, (0.8, 6), "x")


def test_break_stops_the_gradient_where_the_loop_stopped():
    """loop_with_break: s = x (1 + 2 + ... + k) until s > 3; f = s^2, f' = 2 s (1 + ... + k).
    At 0.4 the loop breaks after k = 4 passes (s = 4); at 0.01 it runs all 10 (s = 0.55)."""
    g = wengert.grad(C.loop_with_break, wrt="x")
    assert g(0.4, 10) == pytest.approx(2 * 4.0 * 10, rel=1e-12)
    assert g(0.01, 10) == pytest.approx(2 * 0.55 * 55, rel=1e-12)


def test_continue_skips_the_update_on_negative_passes():
    """loop_with_continue adds c x only where c = sin(x (i + 1)) >= 0; the gradient sums those terms."""
    x, n = 0.9, 8
    terms = [(np.sin(x * (i + 1)), np.cos(x * (i + 1)) * (i + 1)) for i in range(n)]
    assert any(c < 0 for c, _ in terms) and any(c > 0 for c, _ in terms)
    expected = sum(c + x * dc for c, dc in terms if c >= 0)
    assert wengert.grad(C.loop_with_continue, wrt="x")(x, n) == pytest.approx(expected, rel=1e-12)


# ---- while loops -----------------------------------------------------------------------------------------

WHILE_CASES = [
    pytest.param(C.newton_sqrt_with_start, (2.0,), "a", id="newton"),
    pytest.param(C.newton_sqrt_with_start, (0.3,), "a", id="newton-small"),
    pytest.param(C.halve_until_small, (1.7,), "x", id="halving"),
    pytest.param(C.halve_until_small, (0.2,), "x", id="halving-0-passes"),
    pytest.param(C.while_with_counter, (0.6,), "x", id="counter"),
    pytest.param(C.while_true_with_break, (0.7,), "x", id="while-true-break"),
    pytest.param(C.while_true_with_break, (6.0,), "x", id="while-true-break-first-pass"),
    pytest.param(C.while_on_an_array_norm, (0.8 * W3, X3), ("W", "h0"), id="while-array-condition"),
    pytest.param(C.while_inside_for, (0.95, 3), "x", id="while-inside-for"),
]


@pytest.mark.parametrize("f, args, wrt", WHILE_CASES)
def test_while_loops(f, args, wrt):
    check(f, args, wrt)


@pytest.mark.parametrize("a", [0.3, 2.0, 17.0])
def test_newton_iteration_differentiates_to_the_derivative_of_sqrt(a):
    """The while loop's trip count depends on a; the gradient is that of sqrt at the fixed point."""
    assert wengert.grad(C.newton_sqrt_with_start)(a) == pytest.approx(0.5 / np.sqrt(a), rel=1e-8)


# ---- loop-carried arrays: the Elman RNN and power iteration --------------------------------------------

@pytest.mark.parametrize("T", [0, 1, 6, 40])
def test_elman_rnn_gradients(T):
    check(C.elman_rnn, rnn_data(T), ("Wh", "Wx", "h0", "xs"))


def test_elman_rnn_weights_only():
    """wrt the weights only: the same numbers as with every parameter."""
    args = rnn_data(8, seed=1)
    gWh, gWx = check(C.elman_rnn, args, ("Wh", "Wx"))
    everything = wengert.grad(C.elman_rnn, wrt=("Wh", "Wx", "h0", "xs"))(*args)
    np.testing.assert_allclose(gWh, everything[0], rtol=1e-12)
    np.testing.assert_allclose(gWx, everything[1], rtol=1e-12)


def test_elman_rnn_with_zero_steps_is_the_derivative_of_the_start():
    args = rnn_data(0)
    gWh, gWx, gh0 = wengert.grad(C.elman_rnn, wrt=("Wh", "Wx", "h0"))(*args)
    assert not gWh.any() and not gWx.any()
    np.testing.assert_allclose(gh0, 2 * args[2], rtol=1e-14)


def test_elman_rnn_over_rows_and_with_a_loss_per_step():
    Wh, Wx, h0, xs = rnn_data(7, seed=2)
    check(C.elman_rnn_rows, (Wh, Wx, h0, xs), ("Wh", "Wx", "h0", "xs"))
    Wy, ys = rng(5).normal(size=(2, 4)), rng(6).normal(size=(7, 2))
    check(C.elman_rnn_loss, (Wh, Wx, Wy, h0, xs, ys), ("Wh", "Wx", "Wy", "h0", "xs"))


def test_elman_rnn_matches_hand_written_backpropagation_through_time():
    Wh, Wx, h0, xs = rnn_data(12, seed=3)
    hs = [h0]
    for x in xs:
        hs.append(np.tanh(Wh @ hs[-1] + Wx @ x))
    dWh, dWx, dh = np.zeros_like(Wh), np.zeros_like(Wx), 2 * hs[-1]
    for t in reversed(range(len(xs))):
        da = dh * (1 - hs[t + 1] ** 2)
        dWh += np.outer(da, hs[t])
        dWx += np.outer(da, xs[t])
        dh = Wh.T @ da
    got = wengert.grad(C.elman_rnn, wrt=("Wh", "Wx", "h0"))(Wh, Wx, h0, xs)
    for g, e in zip(got, (dWh, dWx, dh)):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("n", [0, 1, 10])
def test_power_iteration(n):
    A = W3 + W3.T
    check(C.power_iteration, (A, X3, n), ("A", "b0"))


def test_power_iteration_converges_to_the_eigenvector_outer_product():
    """d(lambda_max)/dA = u u^T for the top eigenvector u of a symmetric A (well separated spectrum)."""
    A = np.diag([3.0, 1.0, 0.5]) + 0.05 * (W3 + W3.T)
    values, vectors = np.linalg.eigh(A)
    u = vectors[:, np.argmax(np.abs(values))]
    gA = wengert.grad(C.power_iteration, wrt="A")(A, np.ones(3), 200)
    np.testing.assert_allclose(gA, np.outer(u, u), atol=1e-8)


def test_sympy_check_of_a_small_fixed_trip_count():
    report = wengert.check(C.three_sine_steps)  # raises CheckFailed when a component disagrees
    assert report and {"∂x", "∂y"} <= {c.name.rsplit("/", 1)[-1] for c in report.components}


# ---- helper functions --------------------------------------------------------------------------------------

def test_helpers_with_loops_and_branches_called_in_a_loop():
    for x in (0.6, 1.3, -0.4):
        check(C.helpers_in_loop, (x, 4), "x")


def test_helper_with_returns_in_branches_called_in_a_loop():
    """leaky returns from both branches; inlined into a loop body, it takes either side per pass."""
    check(C.helper_with_returns_called_in_loop, (1.3, 6), "x")


def test_helper_called_in_an_rnn_loop():
    Wh, _, h0, xs = rnn_data(5, seed=4)
    check(C.rnn_with_helper, (Wh, h0, rng(7).normal(size=(5, 4))), ("W", "h0", "xs"))


def test_recursion_is_rejected_with_its_location():
    with pytest.raises(WengertError) as info:
        wengert.grad(C.factorial_power, wrt="x")
    e = info.value
    line = next(i for i, text in enumerate(CONTROL.read_text().splitlines(), 1) if "x * factorial_power(" in text)
    assert e.filename.endswith("control.py") and e.line == line
    assert "recursive" in e.message and "factorial_power" in e.message and e.hint


# ---- the generated code: loops stay loops --------------------------------------------------------------

def test_rnn_gradient_source_does_not_depend_on_the_number_of_steps():
    g = wengert.grad(C.elman_rnn, wrt=("Wh", "Wx"))
    texts = {T: wengert.source(g, *rnn_data(T)) for T in (1, 10, 1000)}
    assert texts[1] == texts[10] == texts[1000]
    tree = ast.parse(texts[10])
    assert sum(isinstance(n, ast.For) for n in ast.walk(tree)) == 2  # forward sweep and reverse sweep
    assert texts[10].count("np.tanh(") == 1  # one body, never unrolled
    assert "reversed(range(" in texts[10]


@pytest.mark.parametrize("f", [C.sum_of_sines, C.nested_loops_with_break, C.newton_sqrt_with_start,
                               C.loop_with_continue, C.while_with_counter, C.helpers_in_loop],
                         ids=lambda f: f.__name__)
def test_loop_bodies_appear_once_in_every_kind_of_derivative(f):
    """Every derivative keeps a loop, and calls each math function at most twice as often as the
    primal source does (value and derivative rule): nothing is unrolled, not even literal trip counts."""
    primal_text = inspect.getsource(f)
    for kind, mode in [("grad", "reverse"), ("grad", "forward"), ("jvp", "forward"), ("vjp", "reverse")]:
        text = generate(primal_from_file(f.__name__), kind, 0, mode)
        assert any(isinstance(n, (ast.For, ast.While)) for n in ast.walk(ast.parse(text))), (kind, text)
        for fn in ("math.sin(", "math.cos(", "math.log("):
            assert text.count(fn) <= 2 * primal_text.count(fn) + 2, (kind, fn, text)


@pytest.mark.parametrize("kind, mode", [("grad", "reverse"), ("grad", "forward"), ("jvp", "forward")])
def test_literal_trip_counts_are_not_unrolled(kind, mode):
    """range(3) and range(100000) give the same derivative up to the literal."""
    template = "import math\n\n\ndef f(x):\n    s = 0.5\n    for i in range({n}):\n        s = math.sin(s) * x\n    return s\n"
    small = generate(primal_of(template.format(n=3), "f"), kind, None, mode)
    large = generate(primal_of(template.format(n=100000), "f"), kind, None, mode)
    assert "100000" in large and large.replace("100000", "3") == small


def test_rnn_reverse_sweep_pushes_only_the_hidden_state():
    """Exactly one push in the forward loop; at run time it stores h_0 .. h_{T-1}, one H-vector per step
    (the views xs[t] are recomputed, not stored), and the reverse sweep pops them all."""
    Wh, Wx, h0, xs = args = rnn_data(9, H=5, D=3, seed=5)
    text = wengert.source(wengert.grad(C.elman_rnn, wrt=("Wh", "Wx")), *args)
    tree = ast.parse(text)
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "elman_rnn_grad")
    forward_loop = next(n for n in fn.body if isinstance(n, ast.For))
    appends = [n for n in ast.walk(forward_loop) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
               and n.func.attr == "append"]
    assert len(appends) == 1  # (the reverse sweep appends too: the rows of the weights' outer products)
    (pushed,) = appends[0].args
    assert isinstance(pushed, ast.Name), ast.dump(pushed)  # one value, not a tuple of several
    assigned = {t.id for n in ast.walk(forward_loop) if isinstance(n, ast.Assign) for t in n.targets
                if isinstance(t, ast.Name)}
    assert pushed.id in assigned  # the loop state itself

    stack_name = next(n.targets[0].id for n in ast.walk(fn) if isinstance(n, ast.Assign)
                      and isinstance(n.value, ast.List) and not n.value.elts)
    recorded = []

    class RecordingList(list):
        def append(self, item):
            recorded.append(np.array(item, copy=True))
            super().append(item)

    stacks = []

    def new_stack():
        stacks.append(RecordingList())
        return stacks[-1]

    class Instrument(ast.NodeTransformer):
        def visit_Assign(self, node):
            if isinstance(node.value, ast.List) and not node.value.elts and node.targets[0].id == stack_name:
                node.value = ast.Call(ast.Name("_new_stack", ast.Load()), [], [])
            return node

    instrumented = ast.fix_missing_locations(Instrument().visit(tree))
    namespace = {"_new_stack": new_stack}
    exec(compile(instrumented, "<instrumented>", "exec"), namespace)
    got = namespace["elman_rnn_grad"](*args)
    expected = wengert.grad(C.elman_rnn, wrt=("Wh", "Wx"))(*args)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-14)
    hs = [h0]
    for x in xs[:-1]:
        hs.append(np.tanh(Wh @ hs[-1] + Wx @ x))
    assert len(recorded) == len(xs)
    for item, h in zip(recorded, hs):
        assert item.shape == (5,)
        np.testing.assert_allclose(item, h, rtol=1e-14)
    assert len(stacks) == 1 and len(stacks[0]) == 0  # every push popped


DETERMINISM_PROGRAMS = ["elman_rnn", "nested_loops_with_break", "newton_sqrt_with_start", "helpers_in_loop",
                        "early_return_falls_through", "branch_in_loop"]


@pytest.mark.parametrize("name", DETERMINISM_PROGRAMS)
def test_generated_source_is_byte_identical_across_compilations(name):
    for kind, mode in [("grad", "reverse"), ("grad", "forward"), ("jvp", "forward"), ("vjp", "reverse")]:
        if name == "elman_rnn" and (kind, mode) == ("grad", "forward"):
            continue  # array parameters: forward-mode grad needs one sweep per element; tested elsewhere
        first = generate(primal_from_file(name), kind, None, mode)
        second = generate(primal_from_file(name), kind, None, mode)
        assert first == second


def test_generated_source_is_the_same_in_fresh_processes_with_different_hash_seeds():
    script = textwrap.dedent(f"""
        from wengert.api import generate
        from wengert.parse import Module, parse
        module = Module.from_file({str(CONTROL)!r})
        for name in {DETERMINISM_PROGRAMS!r}:
            for kind, mode in [("grad", "reverse"), ("jvp", "forward"), ("vjp", "reverse")]:
                print(generate(parse(module, module.function(name)), kind, None, mode))
        """)
    outputs = []
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    assert "for " in outputs[0] and "while " in outputs[0]


@pytest.mark.parametrize("f, args, wrt", [
    (C.elman_rnn, rnn_data(7, seed=6), ("Wh", "Wx", "h0", "xs")),
    (C.nested_loops_with_break, (0.4, 4, 5), "x"),
    (C.newton_sqrt_with_start, (2.0,), "a"),
    (C.helpers_in_loop, (0.6, 4), "x"),
], ids=lambda v: getattr(v, "__name__", ""))
def test_printed_module_runs_standalone(f, args, wrt):
    """The module text, exec'd in a fresh namespace (no wengert), computes the same gradient and jvp."""
    for kind, extra in [("grad", ()), ("jvp", None)]:
        derived = getattr(wengert, kind)(f, wrt=wrt)
        if extra is None:
            names = (wrt,) if isinstance(wrt, str) else wrt
            extra = tuple(np.ones_like(args[param_index(f, n)]) if not is_scalar(args[param_index(f, n)]) else 1.0
                          for n in names)
        text = wengert.source(derived, *args, *extra)
        assert "import wengert" not in text and "from wengert" not in text
        standalone = run_module_text(text, f"{f.__name__}_{kind}")
        got, expected = standalone(*args, *extra), derived(*args, *extra)
        got, expected = (got, expected) if isinstance(got, tuple) else ((got,), (expected,))
        for g, e in zip(got, expected):
            np.testing.assert_array_equal(g, e)


def test_cli_prints_a_standalone_rnn_gradient():
    """`wengert grad` prints the module (with and without shapes); it runs on its own."""
    args = rnn_data(6, seed=7)
    expected = wengert.grad(C.elman_rnn, wrt=("Wh", "Wx"))(*args)
    for shapes in ([], ["--shape", "Wh=H,H", "--shape", "Wx=H,D", "--shape", "h0=H", "--shape", "xs=T,D"]):
        done = subprocess.run([sys.executable, "-m", "wengert", "grad", f"{CONTROL}:elman_rnn", "--wrt", "Wh,Wx",
                               *shapes], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert "for " in done.stdout and ".append(" in done.stdout
        got = run_module_text(done.stdout, "elman_rnn_grad")(*args)
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e, rtol=1e-12)


# ---- bad input ---------------------------------------------------------------------------------------------

BAD = [
    ("for-else",
     "def f(x):\n    s = 0.0\n    for i in range(3):\n        s = s + x\n    else:\n        s = s * 2.0\n    return s\n",
     6, 8, "for ... else"),
    ("while-else",
     "def f(x):\n    s = x\n    while s < 3.0:\n        s = s * 2.0\n    else:\n        s = s + 1.0\n    return s\n",
     6, 8, "while ... else"),
    ("try", "def f(x):\n    try:\n        y = x * 2.0\n    except ValueError:\n        y = x\n    return y\n",
     2, 4, "try"),
    ("set-comprehension", "import numpy as np\ndef f(x):\n    ys = {x * i for i in range(3)}\n    return np.sum(ys)\n",
     3, 9, "comprehension"),
    ("generator", "import numpy as np\ndef f(x):\n    return np.sum(x * i for i in range(3))\n", 3, 17, "generator"),
    ("dict-comprehension", "def f(x):\n    d = {i: x for i in range(3)}\n    return x\n", 2, 8, "comprehension"),
    ("return-in-for", "def f(x):\n    for i in range(3):\n        if x > i:\n            return x * i\n    return x\n",
     4, 12, "return inside a loop"),
    ("return-in-while", "def f(x):\n    while x < 3.0:\n        return x\n    return x\n", 3, 8,
     "return inside a loop"),
    ("recursion", "def f(x, n):\n    if n < 1:\n        return x\n    return f(x * 2.0, n - 1) + x\n", 4, 11,
     "recursive call"),
    ("mutual-recursion",
     "def f(x):\n    return g(x) * 2.0\n\n\ndef g(x):\n    if x > 0:\n        y = f(x - 1.0)\n    else:\n"
     "        y = x\n    return y\n", 7, 12, "recursive call"),
    ("break-outside-loop", "def f(x):\n    if x > 0:\n        break\n    return x\n", 3, 8, "break outside"),
    ("subscript-loop-target", "def f(x, ys):\n    s = 0.0\n    for a, ys[0] in ys:\n        s = s + a * x\n"
     "    return s\n", 3, 11, "loop variable"),
    ("one-branch-returns", "def f(x):\n    if x > 0:\n        return x\n    else:\n        y = x\n", 2, 4,
     "one branch returns"),
    ("assigned-only-in-loop", "def f(x, n):\n    for i in range(n):\n        y = x * i\n    return y\n", 4, 11,
     "may be undefined"),
    ("yield-in-loop", "def f(x):\n    for i in range(3):\n        yield x\n    return x\n", 3, 8, "yield"),
]


@pytest.mark.parametrize("source, line, col, fragment", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_is_a_wengert_error_with_location_and_hint(source, line, col, fragment):
    with pytest.raises(WengertError) as info:
        generate(primal_of(source, "f", "bad.py"), "grad", "x")
    e = info.value
    assert (e.filename, e.line, e.col) == ("bad.py", line, col), str(e)
    assert fragment in e.message, str(e)
    assert e.hint and e.source_line == source.splitlines()[line - 1]
    assert str(e).startswith(f"bad.py:{line}:{col + 1}: error: ")


HUGE_OR_ENDLESS = [
    ("huge-range", "def f(x):\n    s = 0.0\n    for i in range(10 ** 12):\n        s = s + x * i\n    return s\n"),
    ("endless-while", "def f(x):\n    while True:\n        x = x * 2.0\n    return x\n"),
    ("while-on-a-parameter", "def f(x):\n    while x > 0.0:\n        x = x + 1.0\n    return x\n"),
]


@pytest.mark.parametrize("source", [s for _, s in HUGE_OR_ENDLESS], ids=[n for n, _ in HUGE_OR_ENDLESS])
def test_huge_or_endless_loops_compile_without_running(source, tmp_path):
    """Compilation never runs the user's loop: a subprocess compiles each derivative kind and exits
    (the timeout only guards against a hang)."""
    path = tmp_path / "endless.py"
    path.write_text(source)
    script = textwrap.dedent(f"""
        from wengert.api import generate
        from wengert.parse import Module, parse
        module = Module.from_file({str(path)!r})
        for kind, mode in [("grad", "reverse"), ("grad", "forward"), ("jvp", "forward"), ("vjp", "reverse")]:
            text = generate(parse(module, module.function("f")), kind, None, mode)
            compile(text, "generated", "exec")
            print(text)
        """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "while " in done.stdout or "range(10 ** 12)" in done.stdout or "range(1000000000000)" in done.stdout


def test_huge_loop_through_the_decorator():
    g = wengert.grad(C.huge_loop)  # builds and compiles the gradient; the loop would run for days
    assert "for " in wengert.source(g)


# ---- regressions: minimal programs that exposed bugs in the first control-flow version ------------------


def test_loop_starting_from_a_parameter_it_reads():
    """x = a; x = x + a twice -> 3a: value 3.0 at a = 1, derivative 3 (was: a = a + a in the loop)."""
    assert wengert.jvp(C.loop_starts_from_parameter_it_reads)(1.0, 1.0) == (3.0, 3.0)
    assert wengert.value_and_grad(C.loop_starts_from_parameter_it_reads)(1.0) == (3.0, 3.0)


def test_inner_loop_starting_from_a_parameter_the_outer_loop_reads():
    """f = n * 2.25 x + x: value and derivative 7.75 at x = 1, n = 3; 3.25 with n = 1."""
    f = C.inner_loop_starts_from_parameter
    for n, expected in [(3, 7.75), (1, 3.25)]:
        assert wengert.jvp(f, wrt="x")(1.0, n, 1.0) == (expected, expected)
        assert wengert.value_and_grad(f, wrt="x")(1.0, n) == (expected, expected)


def test_tangent_loop_state_starting_as_the_input_tangent():
    """p = 0.5 + x: the tangent of p starts as x_dot, and the body reads x_dot again."""
    f = C.tangent_starts_as_the_input_tangent
    value, along = wengert.jvp(f, wrt="x")(0.7, 3, 1.0)
    assert value == pytest.approx(f(0.7, 3), rel=1e-12)
    assert along == pytest.approx(numeric_grad(f, (0.7, 3), "x"), rel=1e-6)
    assert along == pytest.approx(wengert.grad(f, wrt="x")(0.7, 3), rel=1e-12)


def test_adjoint_through_a_loop_start_that_the_body_reads():
    """s = x; s = s + s*x n times -> x (1 + x)^n; d/dx at 0.5, n = 3 is 1.5^3 + 3 * 0.5 * 1.5^2 = 6.75."""
    assert wengert.grad(C.loop_state_start_also_read_in_body, wrt="x")(0.5, 3) == pytest.approx(6.75, rel=1e-12)


def test_factor_used_after_the_reverse_loop():
    """y = x * 0.5^k; f = y exp(x); f' = (0.5^k + y) exp(x)."""
    x = 1.7
    k = 5  # 1.7 * 0.5^5 = 0.053 <= 0.1 after five halvings
    expected = (0.5 ** k + x * 0.5 ** k) * np.exp(x)
    assert wengert.grad(C.factor_used_after_reverse_loop)(x) == pytest.approx(expected, rel=1e-12)


def test_vjp_cotangent_read_after_the_reverse_loop():
    """y = x^2 0.5^k; f = y + exp(x); g f' = g (2 x 0.5^k + exp(x)), here with g = 1."""
    x, k = 1.7, 5  # 2.89 * 0.5^5 = 0.09 <= 0.1 after five halvings
    expected = 2 * x * 0.5 ** k + np.exp(x)
    assert wengert.grad(C.cotangent_read_after_reverse_loop)(x) == pytest.approx(expected, rel=1e-12)
    value, pulled = wengert.vjp(C.cotangent_read_after_reverse_loop)(x, 1.0)
    assert pulled == pytest.approx(expected, rel=1e-12)


def test_parameter_named_like_a_temporary():
    assert wengert.grad(C.parameter_named_like_a_temporary)(0.5) == pytest.approx(np.cos(0.5) * 0.5 + np.sin(0.5))


NATURAL_PROGRAMS = [
    pytest.param(C.newton_sqrt, (2.0,), "a", id="newton-from-a"),
    pytest.param(C.repeated_product_from_parameter, (0.7, 0), "x", id="carried-from-x-0"),
    pytest.param(C.repeated_product_from_parameter, (0.7, 4), "x", id="carried-from-x-4"),
    pytest.param(C.nested_loops_with_break_from_parameter, (0.4, 4, 5), "x", id="nested-break-from-x"),
    pytest.param(C.nested_loops_reading_old_state, (0.3, 3, 4), "x", id="nested-old-state"),
    pytest.param(C.halve_until_small_times_exp, (1.7,), "x", id="halving-times-exp"),
]


@pytest.mark.parametrize("f, args, wrt", NATURAL_PROGRAMS)
def test_natural_programs_that_exposed_bugs(f, args, wrt):
    check(f, args, wrt)
