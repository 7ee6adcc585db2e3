"""Linear least squares (GradBench `llsq`, from cmpad's llsq_obj): y(x) = 1/2 sum_i (s_i - sum_j x_j t_i^j)^2
with t_i = -1 + 2 i / (n - 1) and s_i = sign(t_i); the polynomial is summed term by term, as cmpad writes it."""

import numpy as np

KIND = "grad"
WRT = ("x",)


def objective(x, t, s):
    r = s
    power = np.ones_like(t)
    for j in range(x.shape[0]):
        r = r - x[j] * power
        power = power * t
    return 0.5 * np.sum(r * r)


def data(large=False, seed=0, small=False):
    """The arguments in parameter order: default sizes run in seconds, large ones in minutes, small ones
    are for the tests (central differences)."""
    rng = np.random.default_rng(seed)
    m, n = (4, 30) if small else (64, 100_000) if large else (32, 10_000)
    t = np.linspace(-1.0, 1.0, n)
    return rng.normal(size=m), t, np.sign(t)
