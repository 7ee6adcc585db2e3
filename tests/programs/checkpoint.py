"""Loops for checkpointed reverse mode (tests/test_checkpoint.py): the loop shapes long loops take."""
import numpy as np


def rnn(Wh, Wx, h, xs):
    for t in range(xs.shape[0]):
        h = np.tanh(Wh @ h + Wx @ xs[t])
    return np.sum(h * h)


def rk4(k, y, dt, n):
    """A damped nonlinear oscillator integrated with n classic Runge-Kutta steps."""
    for i in range(n):
        a1 = np.array([y[1], -k[0] * np.sin(y[0]) - k[1] * y[1]])
        z = y + 0.5 * dt * a1
        a2 = np.array([z[1], -k[0] * np.sin(z[0]) - k[1] * z[1]])
        z = y + 0.5 * dt * a2
        a3 = np.array([z[1], -k[0] * np.sin(z[0]) - k[1] * z[1]])
        z = y + dt * a3
        a4 = np.array([z[1], -k[0] * np.sin(z[0]) - k[1] * z[1]])
        y = y + dt / 6.0 * (a1 + 2.0 * a2 + 2.0 * a3 + a4)
    return y[0] ** 2 + np.cos(y[1])


def item_assignment(x, w):
    """An array the loop fills in place, read by later passes."""
    n = x.shape[0]
    out = np.zeros(n)
    s = 1.0
    for i in range(n):
        s = np.sin(s * w + x[i])
        out[i] = s * x[i - 1]
    return np.sum(out ** 2) + s


def branchy(x, w):
    """An if inside the loop: the passes push different values."""
    s = w
    for i in range(x.shape[0]):
        if x[i] > 0:
            s = s * np.cos(x[i] * s)
        else:
            s = s + np.exp(-x[i]) * w
    return s * s


def nested(A, x, m):
    """A loop in a loop: the outer one is checkpointed, its passes run the inner one again."""
    h = x
    for t in range(m):
        for j in range(3):
            h = np.tanh(A @ h + 0.1 * j)
        h = h * 0.5 + x
    return np.sum(h ** 2)


def strided(w, xs):
    """A range with a start and a negative step."""
    s = w[0]
    for t in range(xs.shape[0] - 1, 0, -2):
        s = np.sin(s + w[1] * xs[t]) * s
    return s


def with_list(w, xs):
    """A list the loop appends to, stacked after it."""
    hs = []
    h = w
    for t in range(xs.shape[0]):
        h = np.tanh(h * xs[t] + 1.0)
        hs.append(h)
    return np.sum(np.array(hs) ** 2)


def two_loops(w, xs):
    """Two loops one after the other: each is checkpointed."""
    s = w
    for t in range(xs.shape[0]):
        s = np.sin(s) + xs[t]
    total = s
    for t in range(xs.shape[0]):
        total = total * np.cos(xs[t] * w)
    return total


def until_small(x):
    """A while loop: its number of passes depends on the data."""
    while x > 0.1:
        x = x * 0.5 + 0.01 * x * x
    return x


def with_break(x, n):
    """A for loop with break stops on a condition too."""
    for i in range(n):
        x = np.sin(x) * 1.5
        if x < 0.2:
            break
    return x


def inner_while(w, xs):
    """A while loop inside the checkpointed for loop: its passes are counted again when recomputed."""
    s = w
    for t in range(xs.shape[0]):
        y = xs[t] * s
        while y > 0.5:
            y = y * 0.6
        s = np.sin(s + y)
    return s


def with_continue(w, xs):
    s = w
    for t in range(xs.shape[0]):
        if xs[t] < 0:
            continue
        s = s * np.cos(xs[t] + s)
    return s


def over_pairs(w, xs, ys):
    s = w
    for i, (x, y) in enumerate(zip(xs, ys)):
        s = np.tanh(s * x + y * i)
    return s


def loop_in_branch(w, xs, flag):
    s = w
    if flag > 0:
        for t in range(xs.shape[0]):
            s = np.sin(s * xs[t])
    return s * w


def matrix_state(A, n):
    """A matrix state changed in place by item assignment: a snapshot is a copy."""
    M = np.eye(A.shape[0])
    for k in range(n):
        M = M @ A
        M[0, 0] = np.sin(M[0, 0])
    return np.sum(M ** 2)
