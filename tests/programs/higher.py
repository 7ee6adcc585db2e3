"""Functions for the Hessian, Hessian-vector product and Jacobian tests (tests/test_higher.py).

wengert reads this file's source (it never runs it); the tests run these functions as the primal."""
import math

import numpy as np


# ---- classic second-order test problems --------------------------------------------------------------------

def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def logistic_nll(w, X, y):
    """Mean negative log-likelihood of logistic regression (no bias), written stably with logaddexp."""
    z = X @ w
    return np.mean(np.logaddexp(0.0, z) - y * z)


def quadratic_form(x, A):
    return x @ A @ x


def quadratic_with_linear_term(x, A, b):
    return 0.5 * (x @ (A @ x)) + b @ x + 3.0


def ridge_penalty(w, lam, X, y):
    """Least squares plus lam * |w|^2: the Hessian w.r.t. the float lam is 0, w.r.t. w is 2 X.T X / N + 2 lam I."""
    return np.mean((X @ w - y) ** 2) + lam * np.sum(w * w)


# ---- scalar functions of floats ---------------------------------------------------------------------------

def sin_times_x(x):
    return math.sin(x) * x


def exp_over_quadratic(x):
    return math.exp(x) / (1.0 + x * x)


def log_of_hypot(x, a):
    return math.log(a + math.sqrt(x * x + 1.0)) * math.cos(a * x)


def lecture(x1, x2):
    return math.log(x1) + x1 * x2 - math.sin(x2)


def power_times_tanh(x):
    return x ** 3 * math.tanh(x) - 2.0 / x


# ---- vector-valued functions ------------------------------------------------------------------------------

def scaled_tanh_layer(x, A):
    """R^n -> R^m: tanh(A x) times the first input."""
    return np.tanh(A @ x) * x[0]


def elementwise_and_coupled(x):
    """R^n -> R^n: an elementwise part plus a part coupling every input through the sum of squares."""
    return np.sin(x) * np.sum(x * x) + x ** 3


def outer_square(x):
    """R^n -> R^(n x n): a matrix-valued output, so the Jacobian has shape (n, n, n)."""
    return np.outer(x, x) * 0.5


# ---- control flow and helpers -------------------------------------------------------------------------------

def loop_and_branch(x, n):
    """A for loop whose body branches on the running state."""
    s = 0.0
    h = x
    for i in range(n):
        if np.sum(h) > 0:
            h = np.tanh(h) * x
        else:
            h = np.sin(h) + x
        s = s + np.sum(h * h)
    return s


def scalar_loop_and_branch(x, n):
    s = x
    for i in range(n):
        if s > 1.0:
            s = s * 0.5 + math.sin(x)
        else:
            s = s * s + x
    return s


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def softplus(z):
    return np.log(1.0 + np.exp(z))


def logistic_nll_with_helper(w, X, y):
    """The logistic-regression cost from the textbook formula, through the sigmoid helper."""
    p = sigmoid(X @ w)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def softplus_cost(x, A):
    return np.sum(softplus(A @ x)) + 0.5 * np.sum(x * x)


# ---- matrix parameters ----------------------------------------------------------------------------------------

def tanh_layer_cost(W, x):
    """Hessian w.r.t. the matrix W has shape (m, n, m, n)."""
    return np.sum(np.tanh(W @ x) ** 2)


def branch_on_sum(x):
    """No loop: each side of the branch is a different smooth function."""
    if np.sum(x) > 0:
        h = np.tanh(x) * x
    else:
        h = np.sin(x) + x
    return np.sum(h * h)


def logsumexp(x):
    """With the max trick: the Hessian is diag(p) - p p^T, p = softmax(x)."""
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


# ---- minimal reproducers of wengert bugs found by tests/test_higher.py (cube_by_loop: fixed since) ---------

def cube_by_loop(x):
    """x ** 3 by a loop whose state is saved for the reverse sweep: the second derivative is 6 x."""
    s = 1.0
    for i in range(3):
        s = s * x
    return s


def array_state_loop(x, n):
    """A loop-carried array that depends on x."""
    h = x
    for i in range(n):
        h = np.tanh(h) * x
    return np.sum(h * h)


def cubes_minus_first(x):
    """The cotangent reaching x[0] through `- x[0]` is a constant (-1): its tangent is zero."""
    return np.sum(x ** 3) - x[0]


def reshaped_product(x):
    return np.sum(np.reshape(x, (2, 3)) @ np.reshape(x, (3, 2)))


def reshaped_cubes(x):
    return np.sum(np.reshape(x, (2, 3)) ** 3)


def concatenated_squares(x):
    return np.sum(np.concatenate([x, x * x]) ** 2)


def gram(W):
    return W @ W.T


def fourth_power_in_branch(x):
    """x ** 4 for x > 0 through an intermediate t defined inside the branch: the second derivative is 12 x^2."""
    if x > 0:
        t = x * x
        h = t * t
    else:
        h = x
    return h


def tanh_recurrence(x, A):
    """The loop state h = tanh(A @ h) is an array that depends on x through a matrix product."""
    h = x
    for t in range(3):
        h = np.tanh(A @ h)
    return np.sum(h * h)


def tanh_recurrence_state(x, A):
    """The same recurrence returning its final state (times x): a Jacobian through a loop."""
    h = x
    for t in range(3):
        h = np.tanh(A @ h)
    return h * x


def gram_of_reshape(x):
    y = x.reshape((2, 3))
    return np.sum(y.T @ y)


def concatenate_and_stack(x):
    z = np.concatenate([x, x * x])
    s = np.stack([x, np.sin(x)])
    return np.sum(z * z) + np.sum(s ** 3)


def layer(h, A):
    return np.tanh(A @ h)


def helper_and_branch_in_a_loop(x, A):
    """A helper call and an if on a scalar inside a loop; only one side of the branch keeps a value to pop."""
    h = x
    s = 0.0
    for t in range(3):
        h = layer(h, A)
        if np.sum(h) > 0:
            s = s + np.sum(h * h)
        else:
            s = s - np.sum(np.sin(h))
    return s


def grow_until_large(x):
    """A while loop whose number of passes depends on x."""
    h = x
    k = 0
    while np.sum(h * h) < 10.0 and k < 6:
        h = h * 1.5 + np.sin(h)
        k = k + 1
    return np.sum(h ** 3)
