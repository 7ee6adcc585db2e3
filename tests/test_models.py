"""Real array programs (tests/programs/models.py): reverse gradient vs finite differences, jvp == <grad, v>,
and vs the closed-form gradient where one exists (batch norm: the lecture's backprop formulas)."""

import numpy as np
import pytest

import wengert

from programs import models
from programs.gradcheck import check_gradients


def rng(seed):
    return np.random.default_rng([7, seed])


def one_hot(labels, C):
    return np.eye(C)[labels]


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def softmax(U):
    E = np.exp(U - U.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


# ---- logistic regression --------------------------------------------------------------------------------

def logistic_data(N=40, D=3, seed=1):
    r = rng(seed)
    return r.normal(size=D), 0.3, r.normal(size=(N, D)), (r.random(N) < 0.5).astype(float)


@pytest.mark.parametrize("cost", [models.logistic_nll, models.logistic_nll_naive], ids=lambda f: f.__name__)
def test_logistic_regression(cost):
    w, b, X, y = logistic_data()
    gw, gb = check_gradients(cost, (w, b, X, y), ("w", "b"))
    residual = sigmoid(X @ w + b) - y
    np.testing.assert_allclose(gw, X.T @ residual / len(y), rtol=1e-12)
    np.testing.assert_allclose(gb, np.mean(residual), rtol=1e-12)
    assert isinstance(gb, float) or np.shape(gb) == ()


def test_logistic_regression_data_gradient():
    """Gradients w.r.t. the data are available too (adversarial examples), with X's shape."""
    w, b, X, y = logistic_data(N=6)
    (gX,) = check_gradients(models.logistic_nll, (w, b, X, y), ("X",))
    np.testing.assert_allclose(gX, np.outer(sigmoid(X @ w + b) - y, w) / len(y), rtol=1e-12)


# ---- least squares and ridge --------------------------------------------------------------------------------------

def regression_data(N=30, D=4, seed=2):
    r = rng(seed)
    return r.normal(size=D), r.normal(size=(N, D)), r.normal(size=N)


def test_least_squares_closed_form():
    w, X, y = regression_data()
    (gw,) = check_gradients(models.least_squares, (w, X, y), ("w",))
    np.testing.assert_allclose(gw, X.T @ (X @ w - y) * 2 / len(y), rtol=1e-12)


def test_least_squares_gradient_vanishes_at_the_solution():
    w, X, y = regression_data()
    w_star = np.linalg.lstsq(X, y, rcond=None)[0]
    gw = wengert.grad(models.least_squares, wrt="w")(w_star, X, y)
    assert np.max(np.abs(gw)) < 1e-12
    assert np.max(np.abs(wengert.grad(models.least_squares, wrt="w")(w, X, y))) > 1e-2


def test_ridge_closed_form():
    w, X, y = regression_data(seed=3)
    lam = 0.7
    gw, glam = check_gradients(models.ridge, (w, lam, X, y), ("w", "lam"))
    np.testing.assert_allclose(gw, X.T @ (X @ w - y) * 2 / len(y) + 2 * lam * w, rtol=1e-12)
    np.testing.assert_allclose(glam, np.sum(w * w), rtol=1e-12)


def test_multi_output_least_squares():
    r = rng(4)
    W, X, Y = r.normal(size=(4, 2)), r.normal(size=(25, 4)), r.normal(size=(25, 2))
    (gW,) = check_gradients(models.multi_output_least_squares, (W, X, Y), ("W",))
    np.testing.assert_allclose(gW, 2 * X.T @ (X @ W - Y) / 25, rtol=1e-12)


# ---- neural networks ------------------------------------------------------------------------------------------------

def test_tanh_mlp_with_biases():
    r = rng(5)
    N, D, M = 20, 3, 5
    W1, b1, W2, b2 = r.normal(size=(D, M)), r.normal(size=M), r.normal(size=(M, 2)), r.normal(size=2)
    X, y = r.normal(size=(N, D)), r.normal(size=(N, 2))
    grads = check_gradients(models.tanh_mlp, (W1, b1, W2, b2, X, y), ("W1", "b1", "W2", "b2"))
    # backprop by hand
    H = np.tanh(X @ W1 + b1)
    d_out = (H @ W2 + b2 - y) / y.size
    dH = d_out @ W2.T * (1 - H ** 2)
    expected = (X.T @ dH, dH.sum(0), H.T @ d_out, d_out.sum(0))
    for g, e in zip(grads, expected):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-15)


def test_tanh_mlp_single_output_column_bias():
    """A scalar bias b2 given as a float and a (1,)-shaped one broadcast differently; both work."""
    r = rng(6)
    W1, b1, W2 = r.normal(size=(3, 4)), r.normal(size=4), r.normal(size=(4, 1))
    X, y = r.normal(size=(10, 3)), r.normal(size=(10, 1))
    for b2 in (0.25, np.array([0.25])):
        grads = check_gradients(models.tanh_mlp, (W1, b1, W2, b2, X, y), ("W1", "b1", "W2", "b2"))
        assert np.shape(grads[3]) == np.shape(b2)


def test_relu_network():
    r = rng(7)
    N, D, M, C = 25, 4, 6, 3
    args = (r.normal(size=(D, M)), r.normal(size=M), r.normal(size=(M, M)), r.normal(size=M),
            r.normal(size=(M, C)), r.normal(size=(N, D)), one_hot(r.integers(0, C, N), C))
    grads = check_gradients(models.relu_net, args, ("W1", "b1", "W2", "b2", "W3"))
    W1, b1, W2, b2, W3, X, Y = args
    A1 = X @ W1 + b1
    H1 = np.maximum(A1, 0)
    A2 = H1 @ W2 + b2
    H2 = np.maximum(A2, 0)
    dU = (softmax(H2 @ W3) - Y) / N
    dA2 = dU @ W3.T * (A2 > 0)
    dA1 = dA2 @ W2.T * (A1 > 0)
    expected = (X.T @ dA1, dA1.sum(0), H1.T @ dA2, dA2.sum(0), H2.T @ dU)
    for g, e in zip(grads, expected):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-15)


def test_relu_network_dead_units_get_zero_gradient():
    """A unit that is negative for every example passes no gradient to its incoming weights."""
    r = rng(8)
    W1, b1 = r.normal(size=(3, 4)), np.array([0.0, 0.0, -100.0, 0.0])
    args = (W1, b1, r.normal(size=(4, 4)), r.normal(size=4), r.normal(size=(4, 2)), r.normal(size=(10, 3)),
            one_hot(r.integers(0, 2, 10), 2))
    gW1, gb1 = wengert.grad(models.relu_net, wrt=("W1", "b1"))(*args)
    assert np.all(gW1[:, 2] == 0) and gb1[2] == 0 and np.any(gW1 != 0)


def test_softmax_cross_entropy_with_max_trick():
    r = rng(9)
    U, Y = r.normal(size=(12, 5)) * 3, one_hot(r.integers(0, 5, 12), 5)
    (gU,) = check_gradients(models.softmax_cross_entropy, (U, Y), ("U",))
    np.testing.assert_allclose(gU, (softmax(U) - Y) / 12, rtol=1e-12, atol=1e-15)


def test_softmax_cross_entropy_is_stable_for_huge_logits():
    r = rng(10)
    U, Y = r.normal(size=(6, 4)) * 1e3, one_hot(r.integers(0, 4, 6), 4)
    value, gU = wengert.value_and_grad(models.softmax_cross_entropy, wrt="U")(U, Y)
    assert np.isfinite(value) and np.all(np.isfinite(gU))
    np.testing.assert_allclose(gU, (softmax(U) - Y) / 6, rtol=1e-12, atol=1e-15)


# ---- batch normalization ----------------------------------------------------------------------------------------

def batchnorm_backward_closed_form(dy, x, gamma, eps=1e-5):
    """The standard closed form: dx = gamma * inv_std / N * (N dy - sum(dy) - xhat * sum(dy * xhat))."""
    N = x.shape[0]
    mu = x.mean(0)
    inv_std = 1 / np.sqrt(((x - mu) ** 2).mean(0) + eps)
    xhat = (x - mu) * inv_std
    dx = gamma * inv_std / N * (N * dy - dy.sum(0) - xhat * (dy * xhat).sum(0))
    return dx, (dy * xhat).sum(0), dy.sum(0)


def batchnorm_backward_lecture(dy, x, gamma, eps=1e-5):
    """The lecture's chain rule, step by step (u_i = (z_i - mu_B) / sqrt(sigma_B^2 + eps), y_i = gamma u_i + beta)."""
    B = x.shape[0]
    mu = x.mean(0)
    var = ((x - mu) ** 2).mean(0)
    u = (x - mu) / np.sqrt(var + eps)
    du = dy * gamma
    dvar = np.sum(du * (x - mu), 0) * -0.5 * (var + eps) ** -1.5
    dmu = -np.sum(du, 0) / np.sqrt(var + eps) + dvar * np.sum(-2 * (x - mu), 0) / B
    dx = du / np.sqrt(var + eps) + dvar * 2 * (x - mu) / B + dmu / B
    return dx, np.sum(dy * u, 0), np.sum(dy, 0)


def batchnorm_data(N=16, D=3, seed=11):
    r = rng(seed)
    return r.normal(size=(N, D)) * 2 + 1, r.uniform(0.5, 2, size=D), r.normal(size=D), r.normal(size=(N, D))


def test_batchnorm_against_the_lecture_and_the_closed_form():
    x, gamma, beta, dy = batchnorm_data()
    grads = check_gradients(models.batchnorm_probe, (x, gamma, beta, dy), ("x", "gamma", "beta"), rtol=1e-5)
    closed = batchnorm_backward_closed_form(dy, x, gamma)
    lecture = batchnorm_backward_lecture(dy, x, gamma)
    for g, c, l in zip(grads, closed, lecture):
        np.testing.assert_allclose(c, l, rtol=1e-10, atol=1e-12)  # the two formulas agree
        np.testing.assert_allclose(g, c, rtol=1e-10, atol=1e-12)


def test_batchnorm_input_gradient_is_orthogonal_to_shifts():
    """Batch norm ignores a per-feature shift of x, so dx sums to zero over the batch."""
    x, gamma, beta, dy = batchnorm_data(seed=12)
    dx = wengert.grad(models.batchnorm_probe, wrt="x")(x, gamma, beta, dy)
    np.testing.assert_allclose(dx.sum(0), 0, atol=1e-12)
    assert np.max(np.abs(dx)) > 1e-2


def test_batchnorm_under_a_nonlinear_loss():
    x, gamma, beta, _ = batchnorm_data(N=10, D=4, seed=13)
    grads = check_gradients(models.batchnorm_tanh_layer, (x, gamma, beta), ("x", "gamma", "beta"), rtol=1e-5)
    y = np.tanh(models.batchnorm(x, gamma, beta, 1e-5))
    closed = batchnorm_backward_closed_form(2 * y * (1 - y ** 2), x, gamma)
    for g, c in zip(grads, closed):
        np.testing.assert_allclose(g, c, rtol=1e-10, atol=1e-12)


# ---- Gaussian mixtures ------------------------------------------------------------------------------------------

def test_gaussian_mixture_log_likelihood():
    r = rng(14)
    x = np.concatenate([r.normal(-2, 0.5, 20), r.normal(1, 1.0, 30)])
    mu, log_sigma, logits = np.array([-1.5, 0.0, 2.0]), np.log([0.7, 1.0, 1.3]), np.array([0.2, -0.1, 0.4])
    g_mu, g_ls, g_logits = check_gradients(models.gmm_loglik, (x, mu, log_sigma, logits),
                                           ("mu", "log_sigma", "logits"))
    # responsibilities
    sigma, w = np.exp(log_sigma), np.exp(logits) / np.exp(logits).sum()
    z = (x[:, None] - mu) / sigma
    dens = w * np.exp(-0.5 * z ** 2) / (sigma * np.sqrt(2 * np.pi))
    resp = dens / dens.sum(1, keepdims=True)
    np.testing.assert_allclose(g_mu, np.sum(resp * z / sigma, 0), rtol=1e-10)
    np.testing.assert_allclose(g_ls, np.sum(resp * (z ** 2 - 1), 0), rtol=1e-10)
    np.testing.assert_allclose(g_logits, resp.sum(0) - len(x) * w, rtol=1e-10, atol=1e-12)
    value = np.sum(np.log(dens.sum(1)))
    np.testing.assert_allclose(models.gmm_loglik(x, mu, log_sigma, logits), value, rtol=1e-12)


def test_gaussian_mixture_diagonal_covariances():
    r = rng(15)
    K, D, N = 3, 2, 30
    X = r.normal(size=(N, D))
    means, log_sigmas, logits = r.normal(size=(K, D)), 0.3 * r.normal(size=(K, D)), r.normal(size=K)
    grads = check_gradients(models.gmm_diag_loglik, (X, means, log_sigmas, logits), ("X", "means", "log_sigmas",
                                                                                     "logits"))
    sig = np.exp(log_sigmas)
    Z = (X[:, None, :] - means) / sig
    log_dens = np.log(np.exp(logits) / np.exp(logits).sum()) - 0.5 * (Z ** 2).sum(2) - np.log(sig).sum(1) \
        - 0.5 * D * np.log(2 * np.pi)
    resp = np.exp(log_dens - log_dens.max(1, keepdims=True))
    resp /= resp.sum(1, keepdims=True)
    np.testing.assert_allclose(grads[1], np.einsum("nk,nkd->kd", resp, Z / sig), rtol=1e-10)
    np.testing.assert_allclose(grads[0], -np.einsum("nk,nkd->nd", resp, Z / sig), rtol=1e-10, atol=1e-12)
