"""LogSumExp with the max trick (GradBench `lse`): log(sum(exp(x))) = a + log(sum(exp(x - a))), a = max(x)."""

import numpy as np

KIND = "grad"
WRT = ("x",)


def objective(x):
    a = np.max(x)
    return a + np.log(np.sum(np.exp(x - a)))


def data(large=False, seed=0, small=False):
    """The arguments in parameter order: default sizes run in seconds, large ones in minutes, small ones
    are for the tests (central differences)."""
    rng = np.random.default_rng(seed)
    return (rng.normal(size=20 if small else 1_000_000 if large else 100_000),)
