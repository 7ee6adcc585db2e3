"""The lecture's two-layer MLP (examples/mlp.py, REFERENCE.md section 3): wengert's gradient equals the
hand-written `gradients`, the literal slide code (N x N broadcast) is differentiated exactly as written,
and the generated code reads like the hand-written one."""

import re
import tracemalloc

import numpy as np
import pytest

import wengert

from conftest import ROOT, load_file, param_id
from programs.gradcheck import check_gradients
from programs.mlp_slide import cost_slide

mlp = load_file(ROOT / "examples" / "mlp.py")
SIZES = [(150, 3, 16, 3), (1, 3, 16, 3), (7, 1, 1, 2), (40, 5, 8, 1), (33, 10, 4, 7), (150, 3, 1, 3)]


def data(N, D, M, C, seed=0):
    r = np.random.default_rng([N, D, M, C, seed])
    X = r.normal(size=(N, D))
    Y = np.eye(C)[r.integers(0, C, N)]
    return X, Y, r.normal(size=(M, C)), r.normal(size=(D, M))


@pytest.fixture(scope="module")
def cost_grad():
    return wengert.grad(mlp.cost, wrt=("W", "V"))


@pytest.mark.parametrize("N, D, M, C", SIZES, ids=param_id)
def test_gradient_equals_the_lecture_hand_written_one(cost_grad, N, D, M, C):
    X, Y, W, V = data(N, D, M, C)
    dW, dV = cost_grad(X, Y, W, V)
    hW, hV = mlp.gradients(X, Y, W, V)
    assert dW.shape == W.shape and dV.shape == V.shape
    np.testing.assert_allclose(dW, hW, rtol=0, atol=1e-12)
    np.testing.assert_allclose(dV, hV, rtol=0, atol=1e-12)


def test_iris_size_against_finite_differences_and_forward_mode():
    args = data(150, 3, 16, 3, seed=1)
    dW, dV = check_gradients(mlp.cost, args, ("W", "V"))
    hW, hV = mlp.gradients(*args)
    np.testing.assert_allclose(dW, hW, rtol=0, atol=1e-12)
    np.testing.assert_allclose(dV, hV, rtol=0, atol=1e-12)


def test_gradient_with_large_logits_stays_finite(cost_grad):
    X, Y, W, V = data(50, 3, 16, 3, seed=2)
    dW, dV = cost_grad(X, Y, 400 * W, V)
    hW, hV = mlp.gradients(X, Y, 400 * W, V)
    assert np.all(np.isfinite(dW)) and np.all(np.isfinite(dV))
    np.testing.assert_allclose(dW, hW, rtol=0, atol=1e-12)
    np.testing.assert_allclose(dV, hV, rtol=0, atol=1e-10)


def test_one_compiled_version_serves_every_batch_size(cost_grad):
    for N in (150, 20, 3):
        X, Y, W, V = data(N, 3, 16, 3)
        np.testing.assert_allclose(cost_grad(X, Y, W, V)[0], mlp.gradients(X, Y, W, V)[0], rtol=0, atol=1e-12)
    full = [k for k in cost_grad.__wengert_cache__ if all(1 not in sig for sig in k)]
    assert len(full) == 1


# ---- the literal slide version ---------------------------------------------------------------------------------

@pytest.mark.parametrize("N, D, M, C", [(150, 3, 16, 3), (9, 2, 5, 4)], ids=param_id)
def test_slide_version_gives_the_same_value_and_gradient(N, D, M, C):
    X, Y, W, V = data(N, D, M, C, seed=3)
    value, (dW, dV) = wengert.value_and_grad(cost_slide, wrt=("W", "V"))(X, Y, W, V)
    np.testing.assert_allclose(value, mlp.cost(X, Y, W, V), rtol=1e-12)
    hW, hV = mlp.gradients(X, Y, W, V)
    np.testing.assert_allclose(dW, hW, rtol=0, atol=1e-12)
    np.testing.assert_allclose(dV, hV, rtol=0, atol=1e-12)


def test_slide_version_against_finite_differences():
    check_gradients(cost_slide, data(12, 3, 4, 3, seed=4), ("W", "V"))


def peak_bytes(fn, *args):
    """Peak memory NumPy allocates while fn runs (tracemalloc sees NumPy's array buffers)."""
    tracemalloc.start()
    try:
        fn(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_slide_version_broadcasts_to_n_by_n():
    """wengert differentiates what is written: the slide's gradient materializes the N x N matrix too,
    the intended version's does not."""
    N = 2500
    args = data(N, 3, 16, 3)
    n_by_n = N * N * 8
    slide_grad, intended_grad = wengert.grad(cost_slide, wrt=("W", "V")), wengert.grad(mlp.cost, wrt=("W", "V"))
    slide_grad(*args), intended_grad(*args)  # compile first
    assert peak_bytes(cost_slide, *args) >= n_by_n
    assert peak_bytes(slide_grad, *args) >= n_by_n
    assert peak_bytes(intended_grad, *args) < n_by_n / 10
    text = wengert.source(slide_grad, *args)
    # the cotangent of the N x N difference is summed back along both of its axes
    assert re.search(r"np\.sum\([^\n]*axis=0\)", text) and re.search(r"np\.sum\([^\n]*axis=1, keepdims=True\)", text)


def test_gradient_needs_no_more_memory_than_the_hand_written_one():
    """Forward values the backward pass does not read (Q = X V) are freed after their last use, and
    1 / (1 + exp(-Q)) needs no copy of its denominator: the peak is the hand-written one's (about four
    N x M arrays), not six."""
    args = data(2000, 20, 64, 5)
    grad = wengert.grad(mlp.cost, wrt=("W", "V"))
    grad(*args)  # compile first
    assert peak_bytes(grad, *args) <= 1.05 * peak_bytes(mlp.gradients, *args)
    text = wengert.source(grad, *args)
    assert "del Q" in text, text


def test_slide_version_differs_from_a_row_wise_cost_on_what_it_computes():
    """The slide's expression is a mean over i, j of s_i - l_j: with a per-example weight it would differ."""
    X, Y, W, V = data(6, 2, 3, 3, seed=5)
    Q = 1 / (1 + np.exp(-X @ V)) @ W
    s, l = np.sum(Q * Y, 1), np.log(np.sum(np.exp(Q), 1))
    assert (s - l[:, None]).shape == (6, 6)
    np.testing.assert_allclose(-np.mean(s - l[:, None]), mlp.cost(X, Y, W, V), rtol=1e-12)


# ---- the generated code --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def generated_text(cost_grad):
    return wengert.source(cost_grad, *data(150, 3, 16, 3))


def test_generated_code_reads_like_the_lecture(generated_text):
    assert "dW = np.dot(Z.T, dU)" in generated_text
    assert re.search(r"dZ = np\.dot\(dU, W\.T\)", generated_text)
    assert re.search(r"dV = np\.dot\(X\.T, dQ\)", generated_text)


def test_generated_code_has_no_adjoint_for_the_data(generated_text):
    assert not re.search(r"\bdX\b", generated_text)
    assert not re.search(r"\bdY\b", generated_text)


def test_generated_code_has_no_zero_buffers_or_unbroadcast(generated_text):
    for needless in ("np.zeros", "_unbroadcast", "_scatter", "np.broadcast_to", "* 1.0", "+ 0.0"):
        assert needless not in generated_text, needless


def test_generated_code_is_standalone_and_deterministic(generated_text, cost_grad):
    again = wengert.source(wengert.grad(mlp.cost, wrt=("W", "V")), *data(150, 3, 16, 3))
    assert again == generated_text
    assert "wengert" not in generated_text.replace("Gradient of cost", "")
    namespace = {}
    exec(compile(generated_text, "<generated>", "exec"), namespace)
    args = data(20, 3, 16, 3, seed=6)
    for g, h in zip(namespace["cost_grad"](*args), mlp.gradients(*args)):
        np.testing.assert_allclose(g, h, rtol=0, atol=1e-12)


def test_generated_code_is_as_short_as_the_hand_written_one(generated_text):
    """One forward pass and one backward pass: no recomputation of the forward values."""
    body = [line for line in generated_text.splitlines() if re.match(r"\s+\w+ = ", line)]
    assert len(body) <= 25, generated_text
    assert generated_text.count("np.dot(X, V)") == 1
    assert generated_text.count("np.exp(") == 2
