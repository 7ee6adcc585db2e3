"""Sums of outer products in reverse sweeps, gathered into one matrix product after the loop (accumulate.py).

For 0, 1 and several passes, with break, continue, while, nested loops and a negative step: gradients
against finite differences, and equal (up to summation order) to the code without gathering; then the
shape of the gathered source, and what must stay in the loop (forward loops keep their sums)."""

import ast

import numpy as np
import pytest

import wengert
from wengert.accumulate import ROWS_PER_PRODUCT, gather_outer_sums
from wengert.api import derive, signature
from wengert.emit import emit_function, emit_module
from wengert.parse import Module, parse, with_shapes

from conftest import ROOT, run_module_text
from programs import control as C
from programs.gradcheck import check_gradients

H, D = 4, 3


def data(name, T, seed=0):
    """Arguments of program `name` with T passes (T sequences of 3 steps for the nested loops)."""
    r = np.random.default_rng([7, T, seed])
    Wh, Wx, h0 = 0.5 * r.normal(size=(H, H)), 0.5 * r.normal(size=(H, D)), r.normal(size=H)
    if name == "rnn_over_sequences":
        return Wh, Wx, h0, r.normal(size=(T, 3, D))
    if name == "rnn_sharing_one_matrix":
        return Wh, h0, r.normal(size=(T, H))
    if name.startswith("sum_of_outer_products"):
        return Wh, r.normal(size=(T, H))
    if name == "elman_rnn_loss":
        return Wh, Wx, r.normal(size=(2, H)), h0, r.normal(size=(T, D)), r.normal(size=(T, 2))
    return Wh, Wx, h0, r.normal(size=(T, D))


GATHERED = ["elman_rnn", "elman_rnn_rows", "elman_rnn_loss", "rnn_until_saturated", "rnn_while",
            "rnn_over_sequences", "rnn_backwards_in_time", "rnn_sharing_one_matrix", "sum_of_outer_products"]
KEPT = ["rnn_skipping_negative_inputs", "sum_of_outer_products_read_in_the_loop"]  # the sum stays in the loop


def every_parameter(f):
    return tuple(f.__code__.co_varnames[:f.__code__.co_argcount])


def gradients_both_ways(name, args):
    """The gradient w.r.t. every parameter from one trace, emitted without and with gathering."""
    module = Module.from_file(str(ROOT / "tests" / "programs" / "control.py"))
    primal = parse(module, module.function(name))
    primal = with_shapes(primal, dict(zip(primal.params, map(signature, args))))
    trace, returns = derive(primal, "grad", None)
    fns = [run_module_text(emit_module([emit_function(t, "gradient", None, returns)]), "gradient")
           for t in (trace, gather_outer_sums(trace))]
    return [fn(*args) for fn in fns]


@pytest.mark.parametrize("T", [0, 1, 5])
@pytest.mark.parametrize("name", GATHERED + KEPT)
def test_gradients_match_finite_differences(name, T):
    f = getattr(C, name)
    check_gradients(f, data(name, T), every_parameter(f))


@pytest.mark.parametrize("T", [0, 1, 5])
@pytest.mark.parametrize("name", GATHERED)
def test_gathering_changes_only_the_order_of_summation(name, T):
    plain, gathered = gradients_both_ways(name, data(name, T, seed=1))
    assert len(plain) == len(gathered)
    for p, g in zip(plain, gathered):
        assert np.shape(p) == np.shape(g) and np.result_type(p) == np.result_type(g)
        np.testing.assert_allclose(g, p, rtol=1e-12, atol=1e-14)


def loops(text):
    """(forward loops, reverse loops) of a generated source: for ... in reversed(...) are reverse sweeps."""
    fors = [n for n in ast.walk(ast.parse(text)) if isinstance(n, ast.For)]
    backwards = [isinstance(n.iter, ast.Call) and getattr(n.iter.func, "id", None) == "reversed" for n in fors]
    return [n for n, b in zip(fors, backwards) if not b], [n for n, b in zip(fors, backwards) if b]


@pytest.mark.parametrize("name", GATHERED)
def test_gathered_reverse_sweeps_have_no_outer_products_left(name):
    f = getattr(C, name)
    texts = {T: wengert.source(wengert.grad(f, wrt=every_parameter(f)), *data(name, T)) for T in (1, 7)}
    assert texts[1] == texts[7]  # still a loop, not unrolled
    assert loops(texts[1])[1] and "_rows(" in texts[1], texts[1]
    for loop in loops(texts[1])[1]:
        assert "np.outer(" not in ast.unparse(loop), texts[1]


def test_forward_loops_keep_their_sums():
    """A primal or tangent loop may run in constant memory: it is not made to collect rows."""
    args = data("sum_of_outer_products", 5)
    jvp = wengert.source(wengert.jvp(C.sum_of_outer_products, wrt="A"), *args, np.ones_like(args[0]))
    assert "np.outer(" in jvp and "_rows(" not in jvp, jvp
    grad = wengert.source(wengert.grad(C.sum_of_outer_products, wrt="A"), *args)
    (forward_loop,), _ = loops(grad)
    assert "np.outer(" in ast.unparse(forward_loop), grad


@pytest.mark.parametrize("name", KEPT)
def test_sum_read_in_the_loop_or_updated_in_a_branch_stays_in_the_loop(name):
    f = getattr(C, name)
    text = wengert.source(wengert.grad(f, wrt=every_parameter(f)), *data(name, 5))
    assert "np.outer(" in text and "_rows(" not in text, text


def test_rnn_reverse_sweep_collects_rows_and_multiplies_every_block():
    """dWh = dWh + np.outer(...) per step becomes two lists appended to per step and one product per
    ROWS_PER_PRODUCT passes and after the last (an if at the end of the pass, which then clears the lists: the
    rows held stay bounded); the inputs' rows are taken from xs itself, not collected."""
    text = wengert.source(wengert.grad(C.elman_rnn, wrt=("Wh", "Wx")), *data("elman_rnn", 5))
    fn = next(n for n in ast.parse(text).body if isinstance(n, ast.FunctionDef) and n.name == "elman_rnn_grad")
    loops = [n for n in fn.body if isinstance(n, ast.For)]
    assert len(loops) == 2
    reverse_loop = loops[1]
    assert "np.outer" not in ast.unparse(reverse_loop)
    appended = [n.func.value.id for n in ast.walk(reverse_loop) if isinstance(n, ast.Call)
                and isinstance(n.func, ast.Attribute) and n.func.attr == "append"]
    assert len(appended) == 2
    (flush,) = [n for n in reverse_loop.body if isinstance(n, ast.If)]
    test = ast.unparse(reverse_loop.body[reverse_loop.body.index(flush) - 1])
    assert f"len({appended[0]}) == {ROWS_PER_PRODUCT} or t_1 == 0" in test, text
    assert not flush.orelse  # the sums stay in dWh and dWx between products
    products = [n for n in ast.walk(flush) if isinstance(n, ast.BinOp) and isinstance(n.op, ast.MatMult)]
    assert len(products) == 2 and f"xs[t_1:t_1 + len({appended[0]})]" in ast.unparse(flush), text
    cleared = [n.func.value.id for n in ast.walk(flush) if isinstance(n, ast.Call)
               and isinstance(n.func, ast.Attribute) and n.func.attr == "clear"]
    assert sorted(cleared) == sorted(appended)


@pytest.mark.parametrize("T", [ROWS_PER_PRODUCT - 1, ROWS_PER_PRODUCT, ROWS_PER_PRODUCT + 1, 2 * ROWS_PER_PRODUCT + 3])
def test_products_at_block_boundaries(T):
    """One block, a full block, a full block and one row, several blocks: the sums of every row."""
    plain, gathered = gradients_both_ways("elman_rnn", data("elman_rnn", T, seed=2))
    for p, g in zip(plain, gathered):
        np.testing.assert_allclose(g, p, rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("T", [0, 3])
def test_single_precision_stays_single(T):
    args = [a.astype(np.float32) for a in data("elman_rnn", T)]
    for g in wengert.grad(C.elman_rnn, wrt=("Wh", "Wx"))(*args):
        assert g.dtype == np.float32


def test_inputs_given_as_nested_lists():
    """xs[:n] are the rows xs[t] of a list as well as of an array."""
    Wh, Wx, h0, xs = data("elman_rnn", 4)
    g = wengert.grad(C.elman_rnn, wrt=("Wh", "Wx"))
    for got, expected in zip(g(Wh, Wx, h0, xs.tolist()), g(Wh, Wx, h0, xs)):
        np.testing.assert_allclose(got, expected, rtol=1e-13)
