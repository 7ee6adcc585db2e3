"""Checkpointed reverse mode over loops (grad(f, checkpoint=True | N), reverse.py's refill, the _checkpoints
schedule): the same gradients, Hessians and Hessian-vector products as the default tape for the loop shapes long
loops take (an RNN, an RK4 integrator, item assignment, an if in the loop, nested loops, strided ranges, lists,
two loops), at 0, 1, 2 and more passes and with fewer passes than snapshots; the schedule is the optimal
binomial one; memory is bounded; the source is deterministic; loops that stop on a condition (while, break) are
counted first."""

import functools
import gc
import inspect
import tracemalloc

import numpy as np
import pytest

import wengert
from wengert.primitives import HELPERS

from conftest import ROOT
from programs import checkpoint as P
from programs.gradcheck import numeric_grad

CHECKPOINTS = [True, 1, 2, 5, 100]


def data(name, T, seed=0):
    r = np.random.default_rng([11, T, seed])
    if name == "rnn":
        return 0.5 * r.normal(size=(3, 3)), 0.5 * r.normal(size=(3, 2)), r.normal(size=3), r.normal(size=(T, 2))
    if name == "rk4":
        return np.array([2.0, 0.3]), np.array([1.0, 0.2]), 0.05, T
    if name in ("item_assignment", "branchy"):
        return r.normal(size=T), 0.7
    if name == "nested":
        return 0.5 * r.normal(size=(3, 3)), r.normal(size=3), T
    if name in ("strided", "with_list"):
        return r.normal(size=2 if name == "strided" else 3), r.normal(size=T)
    if name == "two_loops":
        return 0.4, r.normal(size=T)
    if name in ("inner_while", "with_continue"):
        return 0.7, r.uniform(-0.5, 2, size=T)
    if name == "over_pairs":
        return 0.3, r.normal(size=T), r.normal(size=T)
    if name == "loop_in_branch":
        return 0.4, r.normal(size=T), 1.0
    if name == "matrix_state":
        return 0.5 * r.normal(size=(3, 3)), T
    raise KeyError(name)


WRT = {"rnn": ("Wh", "Wx", "h"), "rk4": ("k", "y"), "item_assignment": ("x", "w"), "branchy": ("x", "w"),
       "nested": ("A", "x"), "strided": ("w", "xs"), "with_list": ("w",), "two_loops": ("w", "xs"),
       "inner_while": ("w", "xs"), "with_continue": ("w", "xs"), "over_pairs": ("w", "xs", "ys"),
       "loop_in_branch": ("w", "xs"), "matrix_state": ("A",)}


@functools.lru_cache(maxsize=None)
def gradient(name, checkpoint=False):
    return wengert.grad(getattr(P, name), wrt=WRT[name], checkpoint=checkpoint)


def passes(name):
    return [1, 2, 3, 7, 30] if name == "with_list" else [0, 1, 2, 3, 7, 30]  # (np.array of no rows has no shape)


@pytest.mark.parametrize("name", sorted(WRT))
@pytest.mark.parametrize("checkpoint", CHECKPOINTS)
def test_checkpointed_gradients_equal_the_default(name, checkpoint):
    for T in passes(name):  # 0, 1, 2 passes, fewer passes than snapshots, more
        args = data(name, T)
        expected = gradient(name)(*args)
        got = gradient(name, checkpoint)(*args)
        for g, e in zip(got, expected):
            assert np.shape(g) == np.shape(e)
            np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-14, err_msg=f"{name}, T={T}")


@pytest.mark.parametrize("name", sorted(WRT))
def test_checkpointed_gradients_match_finite_differences(name):
    args = data(name, 7, seed=1)
    got = gradient(name, 2)(*args)
    for g, e in zip(got, numeric_grad(getattr(P, name), args, WRT[name])):
        np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-8)


def test_value_and_grad_and_vjp():
    args = data("rnn", 9)
    value, grads = wengert.value_and_grad(P.rnn, wrt="Wh", checkpoint=3)(*args)
    assert value == pytest.approx(P.rnn(*args), rel=1e-14)
    np.testing.assert_allclose(grads, gradient("rnn")(*args)[0], rtol=1e-12)
    value, pulled = wengert.vjp(P.rnn, wrt="Wh", checkpoint=True)(*args, 2.0)
    np.testing.assert_allclose(pulled, 2.0 * gradient("rnn")(*args)[0], rtol=1e-12)


# ---- higher order: forward mode over the checkpointed gradient -------------------------------------------

@pytest.mark.parametrize("checkpoint", [True, 1, 3])
@pytest.mark.parametrize("name, wrt, T", [("nested", "A", 5), ("nested", "x", 4), ("rk4", "k", 9), ("rk4", "y", 2),
                                          ("rnn", "h", 6), ("branchy", "w", 8), ("item_assignment", "x", 5),
                                          ("inner_while", "w", 5), ("over_pairs", "xs", 6)])
def test_hessian_and_hvp_through_checkpointed_loops(name, wrt, T, checkpoint):
    f, args = getattr(P, name), data(name, T, seed=2)
    x = args[list(inspect.signature(f).parameters).index(wrt)]
    v = np.random.default_rng(3).normal(size=np.shape(x))
    expected = wengert.hvp(f, wrt=wrt)(*args, v)
    np.testing.assert_allclose(wengert.hvp(f, wrt=wrt, checkpoint=checkpoint)(*args, v), expected,
                               rtol=1e-11, atol=1e-13)
    H = wengert.hessian(f, wrt=wrt)(*args)
    np.testing.assert_allclose(wengert.hessian(f, wrt=wrt, checkpoint=checkpoint)(*args), H, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(np.tensordot(H, v, axes=np.ndim(v)), expected, rtol=1e-9, atol=1e-11)


# ---- the schedule ---------------------------------------------------------------------------------------

def schedule():
    namespace = {"np": np}
    exec(HELPERS["_checkpoints"], namespace)
    return namespace["_checkpoints"]


def run_schedule(n, snapshots):
    """Follow the generated code's protocol with positions for states: (passes run without taping, the most
    snapshots held, the passes taped at once at most); checks every pass is reversed once, in order."""
    sweeps = schedule()(n, snapshots)
    start, stores = next(sweeps)
    held, untaped = [], 0
    most = 0
    for k in range(start):
        if k in stores:
            held.append(k)
            most = max(most, len(held))
        untaped += 1
    taped, widest, first = list(range(start, n)), n - start, start
    for k in reversed(range(n)):
        if k < first:
            start, stores = next(sweeps)
            p = held.pop()
            assert p <= start <= k
            for j in range(p, start):
                if j in stores:
                    held.append(j)
                    most = max(most, len(held))
                untaped += 1
            taped, first = list(range(start, k + 1)), start
            widest = max(widest, len(taped))
        assert taped.pop() == k
    assert held == [] and next(sweeps, None) is None
    return untaped, most, widest


@functools.lru_cache(maxsize=None)
def fewest(l, s):
    """The fewest passes run without taping to reverse l passes with s snapshots, by dynamic programming."""
    if l <= 1:
        return 0
    if s == 0:
        return float("inf")
    return min(m + fewest(m, s) + fewest(l - m, s - 1) for m in range(1, l))


def binomial(s, r):
    return 0 if r < 0 else int(np.prod([(s + i) / i for i in range(1, r + 1)]).round())


@pytest.mark.parametrize("s", range(1, 7))
def test_binomial_schedule_is_optimal_and_keeps_at_most_s_snapshots(s):
    for n in range(0, 60):
        untaped, most, widest = run_schedule(n, s)
        assert untaped == fewest(n, s), (n, s)
        assert most <= s and widest <= 1
        if n > 1:  # Griewank and Walther's closed form, as the helper's docstring states it
            r = next(r for r in range(n + 1) if binomial(s, r) >= n)
            assert untaped == r * n - binomial(s + 1, r - 1)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 10, 99, 100, 101, 20000])
def test_two_level_schedule_runs_each_pass_twice_at_most_with_sqrt_n_states(n):
    untaped, most, widest = run_schedule(n, None)
    root = int(np.ceil(np.sqrt(n)))
    assert untaped <= n and most <= root and widest <= root


# ---- memory and source ------------------------------------------------------------------------------------

def peak(fn, args):
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        fn(*args)
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def test_memory_is_bounded():
    """At T = 2000 the default tape holds 2000 hidden states (H = 32: 256 bytes of data each, about 370 with
    the array's header); checkpointed, about 2 sqrt(T) = 90 of them, and the rows gathered for the weights'
    products (at most 128 per list). Deterministic: tracemalloc counts NumPy's buffers."""
    rng = np.random.default_rng(0)
    H, T = 32, 2000
    args = 0.1 * rng.normal(size=(H, H)), 0.1 * rng.normal(size=(H, 4)), rng.normal(size=H), rng.normal(size=(T, 4))
    default = gradient("rnn")
    default(*args), gradient("rnn", True)(*args), gradient("rnn", 8)(*args)  # compiled before measuring
    bound = 400_000
    assert peak(default, args) > 2 * bound
    assert peak(gradient("rnn", True), args) < bound
    assert peak(gradient("rnn", 8), args) < bound


def test_default_tape_holds_one_state_per_pass():
    """The default RNN gradient at its peak holds the stack (one hidden state per pass) and a few hundred rows
    collected for the weights' products, no more: within 1.5x of a hand-written BPTT that keeps every state."""
    rng = np.random.default_rng(1)
    H, T = 32, 3000
    args = 0.1 * rng.normal(size=(H, H)), 0.1 * rng.normal(size=(H, 4)), rng.normal(size=H), rng.normal(size=(T, 4))

    def hand_written(Wh, Wx, h0, xs):
        hs = [h0]
        for t in range(xs.shape[0]):
            hs.append(np.tanh(Wh @ hs[-1] + Wx @ xs[t]))
        dWh, dWx, dh = np.zeros_like(Wh), np.zeros_like(Wx), 2 * hs[-1]
        for t in reversed(range(xs.shape[0])):
            da = dh * (1 - hs[t + 1] ** 2)
            dWh += np.outer(da, hs[t])
            dWx += np.outer(da, xs[t])
            dh = da @ Wh
        return dWh, dWx

    grad = wengert.grad(P.rnn, wrt=("Wh", "Wx"))
    for g, e in zip(grad(*args), hand_written(*args)):
        np.testing.assert_allclose(g, e, rtol=1e-10)
    assert peak(grad, args) < 1.5 * peak(hand_written, args)


def test_source_is_deterministic_and_readable():
    args = data("rnn", 5)
    texts = [wengert.source(wengert.grad(P.rnn, wrt=("Wh", "Wx"), checkpoint=c), *args) for c in (True, True, 4)]
    assert texts[0] == texts[1] and texts[0] != texts[2]
    assert texts[0] == wengert.source(wengert.grad(P.rnn, wrt=("Wh", "Wx"), checkpoint=True), *data("rnn", 50))
    assert "# checkpointing (two levels" in texts[0] and "schedule = _checkpoints(v1)" in texts[0]
    assert "# checkpointing (binomial, at most 4 snapshots)" in texts[2] and "_checkpoints(v1, 4)" in texts[2]
    assert "# taped passes used up" in texts[0]
    for text in texts:
        assert "wengert" not in text and "import numpy as np" in text
        compile(text, "checkpointed", "exec")


def test_loops_without_a_stack_are_left_alone():
    """A loop whose adjoint reads nothing per pass (a sum) needs no tape: nothing to checkpoint."""
    def total(w, xs):
        s = 0.0
        for t in range(xs.shape[0]):
            s = s + w * xs[t]
        return s
    args = (0.5, np.arange(4.0))
    text = wengert.source(wengert.grad(total, wrt="w", checkpoint=True), *args)
    assert "_checkpoints" not in text
    assert wengert.grad(total, wrt="w", checkpoint=True)(*args) == pytest.approx(6.0)


# ---- refused ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, args", [("until_small", (3.0,)), ("until_small", (0.05,)), ("until_small", (30.0,)),
                                        ("with_break", (1.0, 10)), ("with_break", (0.1, 10)), ("with_break", (1.3, 0))])
@pytest.mark.parametrize("checkpoint", [True, 1, 2, 5])
def test_loops_that_stop_on_a_condition_run_once_more_to_count_their_passes(name, args, checkpoint):
    """A while loop, or a for loop with break: 0, 1 or several passes."""
    f = getattr(P, name)
    expected = wengert.grad(f)(*args)
    np.testing.assert_allclose(wengert.grad(f, checkpoint=checkpoint)(*args), expected, rtol=1e-12, atol=1e-14)
    text = wengert.source(wengert.grad(f, checkpoint=checkpoint), *args)
    assert "# the loop stops on a condition: run it once to count its passes" in text and "_checkpoints(n" in text


def test_hvp_through_a_checkpointed_while_loop():
    f, v = P.until_small, 0.7
    np.testing.assert_allclose(wengert.hvp(f, wrt="x", checkpoint=True)(3.0, v), wengert.hvp(f, wrt="x")(3.0, v),
                               rtol=1e-12)


@pytest.mark.parametrize("bad", [0, -1, 2.5, "yes"])
def test_bad_checkpoint_values(bad):
    with pytest.raises(ValueError, match="checkpoint="):
        wengert.grad(P.rnn, checkpoint=bad)


def test_forward_mode_is_refused():
    with pytest.raises(wengert.WengertError, match="checkpoint= is for reverse mode"):
        wengert.grad(P.rnn, mode="forward", checkpoint=True)(*data("rnn", 2))


# ---- the command line ----------------------------------------------------------------------------------------

RNN = str(ROOT / "examples" / "rnn.py")


@pytest.mark.parametrize("flags, header, call", [
    (["--checkpoint"], "(grad, reverse mode, checkpointed)", "_checkpoints(v1)"),
    (["--checkpoint", "6"], "(grad, reverse mode, checkpointed: 6 snapshots)", "_checkpoints(v1, 6)")])
def test_cli_prints_the_checkpointed_gradient(capsys, flags, header, call):
    from conftest import run_module_text
    from test_cli import imported_modules, run
    status, out, err = run(capsys, "grad", f"{RNN}:rnn_loss", "--wrt", "Wh,Wx", *flags)
    assert status == 0 and err == ""
    assert header in out.splitlines()[0] and call in out and "# checkpointing" in out
    assert imported_modules(out) <= {"math", "numpy"}
    assert run(capsys, "grad", f"{RNN}:rnn_loss", "--wrt", "Wh,Wx", *flags)[1] == out  # byte-identical
    fn = run_module_text(out, "rnn_loss_grad")
    r = np.random.default_rng(5)
    args = 0.5 * r.normal(size=(3, 3)), 0.5 * r.normal(size=(3, 2)), r.normal(size=3), r.normal(size=(11, 2)), \
        r.normal(size=3)
    from conftest import load_file
    rnn_loss = load_file(RNN).rnn_loss
    for g, e in zip(fn(*args), wengert.grad(rnn_loss, wrt=("Wh", "Wx"))(*args)):
        np.testing.assert_allclose(g, e, rtol=1e-12)


def test_cli_without_checkpoint_has_no_schedule(capsys):
    from test_cli import run
    status, out, _ = run(capsys, "grad", f"{RNN}:rnn_loss", "--wrt", "Wh,Wx")
    assert status == 0 and "_checkpoints" not in out and "checkpointed" not in out.splitlines()[0]


@pytest.mark.parametrize("bad", ["0", "x"])
def test_cli_refuses_a_bad_number_of_snapshots(capsys, bad):
    from test_cli import run
    status, out, err = run(capsys, "grad", f"{RNN}:rnn_loss", "--checkpoint", bad)
    assert status == 2 and out == "" and "is not a number of snapshots" in err


def test_cli_checkpoints_a_while_loop(capsys):
    from conftest import run_module_text
    from test_cli import run
    status, out, err = run(capsys, "grad", f"{ROOT / 'tests' / 'programs' / 'checkpoint.py'}:until_small",
                           "--checkpoint", "3")
    assert status == 0 and err == "" and "while x" in out and "_checkpoints(n, 3)" in out
    assert run_module_text(out, "until_small_grad")(3.0) == pytest.approx(wengert.grad(P.until_small)(3.0), rel=1e-12)
