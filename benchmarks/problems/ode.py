"""An ODE solution (GradBench `ode`, from cmpad's an_ode): y_0' = x_0, y_i' = (x_1 + ... + x_i) y_{i-1},
y(0) = 0, solved by the classical Runge-Kutta method (RK4) with `steps` steps on [0, 1]; the gradient of the
last component y_{n-1}(1) w.r.t. x. `tri` is the lower-triangular matrix of ones (its product is the running
sum, computed once)."""

import numpy as np

KIND = "grad"
JAX_TRACE_UNROLLS = True  # jax.jit traces the Python loop into one long program: minutes to compile
WRT = ("x",)


def rate(x0, sums, y):
    return np.concatenate((x0, sums * y[:-1]))


def objective(x, tri, steps):
    x0 = x[:1]
    sums = tri @ x[1:]
    h = 1.0 / steps
    y = np.zeros_like(x)
    for k in range(steps):
        k1 = rate(x0, sums, y)
        k2 = rate(x0, sums, y + 0.5 * h * k1)
        k3 = rate(x0, sums, y + 0.5 * h * k2)
        k4 = rate(x0, sums, y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return y[-1]


def data(large=False, seed=0, small=False):
    """The arguments in parameter order: default sizes run in seconds, large ones in minutes, small ones
    are for the tests (central differences)."""
    rng = np.random.default_rng(seed)
    n, steps = (5, 4) if small else (1000, 200) if large else (100, 50)
    return rng.uniform(0.5, 1.5, size=n), np.tril(np.ones((n - 1, n - 1))), steps
