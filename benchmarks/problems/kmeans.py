"""k-means (GradBench `kmeans`): f(C) = sum_i min_j ||C_j - P_i||^2; the benchmark asks for the gradient and
the Hessian's diagonal (the Hessian is diagonal: 2 x the cluster sizes), here as H @ ones by a Hessian-vector
product, for the Newton direction J / H."""

import numpy as np

KIND = "grad_hdiag"
WRT = ("C",)


def objective(C, P):
    distances = np.sum((P[:, None, :] - C[None, :, :]) ** 2, axis=2)   # (N, K)
    return np.sum(np.min(distances, axis=1))


def data(large=False, seed=0, small=False):
    """The arguments in parameter order: default sizes run in seconds, large ones in minutes, small ones
    are for the tests (central differences)."""
    rng = np.random.default_rng(seed)
    N, K, D = (30, 3, 2) if small else (100_000, 100, 8) if large else (10_000, 20, 8)
    P = rng.normal(size=(N, D))
    return P[rng.choice(N, K, replace=False)] + 0.01, P
