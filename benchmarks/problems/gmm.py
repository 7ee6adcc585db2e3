"""Gaussian mixture model fitting (ADBench / GradBench `gmm`): the negative log posterior of K Gaussians in D
dimensions with precision matrices Q_k = L_k L_k^T, where L_k is lower triangular with diagonal exp(q_k) and
strictly lower part l_k, and a Wishart prior on the precisions, log p(Q_k) = -gamma^2/2 ||L_k||_F^2 + m sum(q_k)
+ const (GradBench's corrected form: the prior is over the precisions).

    -sum_i logsumexp_k(alpha_k + sum(q_k) - 1/2 ||L_k^T (x_i - mu_k)||^2) + N logsumexp(alpha)
    + sum_k (gamma^2/2 (||exp(q_k)||^2 + ||l_k||^2) - m sum(q_k)) + N D/2 log(2 pi) + K C(D, m, gamma)

The strictly lower part is passed as a dense (K, D, D) array `l` and masked with `lower` (ADBench packs it
into a vector; the gradient of the upper part is 0). As in ADBench, x is multiplied by L_k^T.
"""

import math

import numpy as np

KIND = "grad"
WRT = ("alphas", "means", "q", "l")


def logsumexp(z):
    """log(sum(exp(z), axis=0)) by the max trick."""
    a = np.max(z, axis=0)
    return a + np.log(np.sum(np.exp(z - a), axis=0))


def objective(alphas, means, q, l, X, lower, eye, gamma, m, const):
    N = X.shape[0]
    Ls = np.exp(q)[:, :, None] * eye + l * lower                   # (K, D, D), lower triangular
    centered = X.T[None, :, :] - means[:, :, None]                 # (K, D, N)
    mahalanobis = np.sum((np.transpose(Ls, (0, 2, 1)) @ centered) ** 2, axis=1)   # (K, N)
    inner = (alphas + np.sum(q, axis=1))[:, None] - 0.5 * mahalanobis
    loglik = np.sum(logsumexp(inner)) - N * logsumexp(alphas)
    prior = 0.5 * gamma ** 2 * (np.sum(np.exp(2 * q)) + np.sum((l * lower) ** 2)) - m * np.sum(q)
    return prior - loglik + const


def data(large=False, seed=0, small=False):
    """The arguments in parameter order: default sizes run in seconds, large ones in minutes, small ones
    are for the tests (central differences)."""
    rng = np.random.default_rng(seed)
    D, K, N = (3, 2, 10) if small else (64, 100, 10_000) if large else (16, 25, 1000)
    gamma, m = 1.0, 0
    n = D + m + 1  # the Wishart's degrees of freedom
    log_gamma_d = 0.25 * D * (D - 1) * math.log(math.pi) + sum(math.lgamma(0.5 * n - 0.5 * j) for j in range(D))
    C = n * D * (math.log(gamma) - 0.5 * math.log(2)) - log_gamma_d
    const = 0.5 * N * D * math.log(2 * math.pi) - K * C
    return (rng.normal(size=K), rng.normal(size=(K, D)), 0.1 * rng.normal(size=(K, D)),
            0.1 * rng.normal(size=(K, D, D)), rng.normal(size=(N, D)), np.tril(np.ones((D, D)), -1),
            np.eye(D), gamma, float(m), const)
