"""Programs with control flow: branches, loops, while, break/continue, helpers, early returns.

wengert reads this file's source (it never runs it); the tests run these functions as the primal."""
import math

import numpy as np


# ---- branches ---------------------------------------------------------------------------------------------

def branch(x):
    if x > 0.5:
        y = x * x
    else:
        y = -math.sin(x)
    return y * 3.0 + x


def elif_chain(x, a):
    if x < -1.0:
        y = a * x
    elif x < 1.0:
        y = math.sin(a * x)
    else:
        y = a * a / x
    return y + x * a


def branch_on_array_sum(x, W):
    if np.sum(x) > 0:
        v = W @ x
    else:
        v = np.tanh(W @ x) * 2.0
    return np.sum(v * v)


def branch_assigns_one_side(x, W):
    """Only one branch rebinds v; the other keeps the value from before the if."""
    v = W @ x
    if np.max(v) > 1.0:
        v = v / np.max(v)
    return np.sum(np.exp(v))


def conditional_expression(x, y):
    z = x * y if x > y else x + math.exp(y)
    return z * z


def conditional_expression_array(x, W):
    s = np.sum(W @ x)
    u = np.tanh(W @ x) if s > 0 else np.sin(W @ x)
    return np.sum(u) * s


def compound_condition(x, y):
    if x > 0 and y > 0 or not x > -2.0:
        z = x * y
    else:
        z = x - y * y
    return z * math.cos(x)


def early_return(x):
    if x > 1.0:
        return x * x * x
    else:
        return math.exp(x) + x


def early_return_falls_through(x, y):
    """A return in one branch; the rest of the function is the other path."""
    if x * y > 1.0:
        return x / y
    z = math.sin(x) * y
    return z + x * x


# ---- for loops over range -------------------------------------------------------------------------------

def sum_of_sines(x, n):
    s = 0.0
    for i in range(n):
        s += math.sin(x * i + x)
    return s


def repeated_product(x, n):
    p = 0.5 * x
    for i in range(n):
        p = p * math.cos(p) + x
    return p


def repeated_product_from_parameter(x, n):
    """The loop state starts as the parameter, which the body also reads."""
    p = x
    for i in range(n):
        p = p * math.cos(p) + x
    return p


def sum_over_rows(w, xs):
    s = 0.0
    for t in range(xs.shape[0]):
        s = s + np.sum(np.tanh(xs[t] * w))
    return s * s


def stepped_range(x, a, b, step):
    s = 1.0
    for i in range(a, b, step):
        s = s * (1.0 + x * i) + math.sin(x)
    return s


def downward_range(x, n):
    s = 0.5
    for i in range(n, 0, -1):
        s = math.sin(s) * 0.5 * i + x
    return s


def for_over_rows(W, X):
    s = 0.0
    for x in X:
        s += np.sum(np.tanh(W @ x))
    return s


def nested_loops(x, n, m):
    s = 0.0
    for i in range(n):
        for j in range(m):
            s = s * math.cos(x * i + j) + x
    return s


def nested_loops_reading_old_state(x, n, m):
    """The update reads the old state twice (s + sin(..) * s): needs the old s after computing the new."""
    s = 0.0
    for i in range(n):
        for j in range(m):
            s = s + math.sin(x * i + j) * s + x
    return s


def nested_loops_with_break(x, n, m):
    """The inner loop stops early once its running term exceeds a threshold."""
    s = 0.0
    for i in range(n):
        t = 0.5 * x
        for j in range(m):
            t = t * 1.5 + 0.1 * i
            if t > 2.0:
                break
            s += math.sin(t)
        s = s + t * 0.5
    return s


def nested_loops_with_break_from_parameter(x, n, m):
    """As nested_loops_with_break, but the inner state starts as the parameter itself."""
    s = 0.0
    for i in range(n):
        t = x
        for j in range(m):
            t = t * 1.5 + 0.1 * i
            if t > 2.0:
                break
            s += math.sin(t)
        s = s + t * 0.5
    return s


def loop_with_continue(x, n):
    s = 0.0
    for i in range(n):
        c = math.sin(x * (i + 1))
        if c < 0:
            continue
        s = s + c * x
    return s


def loop_with_break(x, n):
    s = 0.0
    for i in range(n):
        s = s + x * (i + 1)
        if s > 3.0:
            break
    return s * s


def branch_in_loop(x, n):
    s = x
    for i in range(n):
        if s > 1.0:
            s = s * 0.5
        else:
            s = s * s + math.exp(0.3 * s)
    return s


def array_branch_in_loop(W, h0, n):
    h = h0
    for i in range(n):
        if np.sum(h) > 0:
            h = np.tanh(W @ h)
        else:
            h = np.sin(W @ h) + h
    return np.sum(h * h)


def sum_over_vector_entries(w):
    """for v in w over a 1-d array: each v is a scalar."""
    s = 0.0
    for v in w:
        s += v * v * math.sin(v)
    return s


def scalar_start_becomes_array(W, X):
    """s starts as 0.0 and becomes a vector on the first pass."""
    s = 0.0
    for x in X:
        s = s + np.tanh(W @ x)
    return np.sum(s * s)


def conditional_expression_in_loop(x, n):
    s = x * 0.5
    for i in range(n):
        s = math.sin(s) if s > 0.2 else s * s + x
    return s


# ---- while loops ------------------------------------------------------------------------------------------

def newton_sqrt(a):
    x = a
    while abs(x * x - a) > 1e-12:
        x = 0.5 * (x + a / x)
    return x


def newton_sqrt_with_start(a):
    """The same iteration from a start that does not alias the parameter."""
    x = 1.0
    while abs(x * x - a) > 1e-12:
        x = 0.5 * (x + a / x)
    return x


def halve_until_small(x):
    y = x * x
    while y > 0.1:
        y = y * 0.5
    return y * x


def halve_until_small_times_exp(x):
    """As halve_until_small, with a factor computed before the reverse loop and used after it."""
    y = x * x
    while y > 0.1:
        y = y * 0.5
    return y * math.exp(x)


def while_with_counter(x):
    k = 0
    s = 0.5 * x
    while k < 4:
        s = s * math.cos(s) + x
        k = k + 1
    return s


def while_true_with_break(x):
    y = x
    while True:
        y = y * 1.3
        if y > 5.0:
            break
    return y * y


def while_on_an_array_norm(W, h0):
    h = h0
    k = 0
    while np.sum(h * h) > 0.01 and k < 50:
        h = 0.5 * np.tanh(W @ h)
        k = k + 1
    return np.sum(h)


def while_inside_for(x, n):
    s = 0.0
    for i in range(n):
        y = x + 0.1 * i
        while True:
            y = y * 0.7
            if y < 0.2:
                break
        s = s + y * y
    return s


# ---- loop-carried arrays --------------------------------------------------------------------------------

def elman_rnn(Wh, Wx, h0, xs):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(Wh @ h + Wx @ xs[t])
    return np.sum(h * h)


def elman_rnn_rows(Wh, Wx, h0, xs):
    h = h0
    for x in xs:
        h = np.tanh(Wh @ h + Wx @ x)
    return np.sum(h)


def elman_rnn_loss(Wh, Wx, Wy, h0, xs, ys):
    """An RNN with an output at every step: the loss sums over time."""
    h = h0
    loss = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(Wh @ h + Wx @ xs[t])
        loss = loss + np.sum((Wy @ h - ys[t]) ** 2)
    return loss


def power_iteration(A, b0, n):
    """The Rayleigh quotient after n normalized power steps (A symmetric)."""
    v = b0
    for i in range(n):
        w = A @ v
        v = w / np.linalg.norm(w)
    return v @ (A @ v)



# ---- sums of outer products in loops (accumulate.py gathers reverse sweeps' into one matrix product) ----

def rnn_until_saturated(Wh, Wx, h0, xs):
    """break: the reverse sweep runs as many passes as the forward one did."""
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(Wh @ h + Wx @ xs[t])
        if np.max(np.abs(h)) > 0.8:
            break
    return np.sum(h * h)


def rnn_skipping_negative_inputs(Wh, Wx, h0, xs):
    """continue: the weights' adjoints are updated in a branch."""
    h = h0
    for t in range(xs.shape[0]):
        if xs[t, 0] < 0:
            continue
        h = np.tanh(Wh @ h + Wx @ xs[t])
    return np.sum(h * h)


def rnn_while(Wh, Wx, h0, xs):
    h = h0
    t = 0
    while t < xs.shape[0]:
        h = np.tanh(Wh @ h + Wx @ xs[t])
        t = t + 1
    return np.sum(h * h)


def rnn_over_sequences(Wh, Wx, h0, xss):
    """Nested loops: the inner one reads the rows of a matrix the outer one picks."""
    h = h0
    for i in range(xss.shape[0]):
        xs = xss[i]
        for t in range(xs.shape[0]):
            h = np.tanh(Wh @ h + Wx @ xs[t])
    return np.sum(h * h)


def rnn_backwards_in_time(Wh, Wx, h0, xs):
    """A range with a negative step."""
    h = h0
    for t in range(xs.shape[0] - 1, -1, -1):
        h = np.tanh(Wh @ h + Wx @ xs[t])
    return np.sum(h * h)


def rnn_sharing_one_matrix(W, h0, xs):
    """W is read twice per step: its adjoint gains two outer products per pass."""
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + W @ xs[t])
    return np.sum(h * h)


def sum_of_outer_products(A, xs):
    """The primal itself sums outer products: its loop keeps that sum, the reverse sweep gathers dA's."""
    C = np.zeros_like(A)
    for t in range(xs.shape[0]):
        x = np.tanh(A @ xs[t])
        C = C + np.outer(x, x)
    return np.sum(C * C)


def sum_of_outer_products_read_in_the_loop(A, xs):
    """C is read in the loop (before each update): its sum must stay in the loop."""
    C = np.zeros_like(A)
    s = 0.0
    for t in range(xs.shape[0]):
        x = np.tanh(A @ xs[t])
        s = s + np.sum(C * A)
        C = C + np.outer(x, x)
    return s + np.sum(C)

# ---- helper functions --------------------------------------------------------------------------------

def polynomial(x, n):
    """1 + x + x**2 + ... + x**(n-1), by a loop."""
    p = 1.0
    s = 0.0
    for i in range(n):
        s = s + p
        p = p * x
    return s


def soft_clip(x):
    if x > 1.0:
        y = 1.0 + math.log(x)
    elif x < -1.0:
        y = -1.0 - math.log(-x)
    else:
        y = x
    return y


def helpers_in_loop(x, n):
    s = 0.0
    for i in range(n):
        s = s + soft_clip(x * (i + 1) - 1.0) * polynomial(x, 3)
    return s


def leaky(z):
    if z > 0:
        return z * z
    else:
        return 0.1 * z


def helper_with_returns_called_in_loop(x, n):
    s = 0.0
    for i in range(n):
        s = s + leaky(x - 0.3 * i)
    return s


def step_rnn(W, h, x):
    return np.tanh(W @ h + x)


def rnn_with_helper(W, h0, xs):
    h = h0
    for t in range(xs.shape[0]):
        h = step_rnn(W, h, xs[t])
    return np.sum(h)


def factorial_power(x, n):
    """Recursion: rejected."""
    if n < 1:
        return 1.0
    else:
        return x * factorial_power(x, n - 1)


def three_sine_steps(x, y):
    """A fixed, small trip count: SymPy can follow it symbolically."""
    s = 0.5 * y
    for i in range(3):
        s = math.sin(s) * x + y
    return s


def huge_loop(x):
    s = 0.0
    for i in range(10 ** 12):
        s = s + x
    return s


# ---- minimal reproducers of wengert bugs found by the tests (see test_control_flow.py) ------------------

def loop_starts_from_parameter_it_reads(a):
    """The loop state x starts as a, and the body reads a again."""
    x = a
    for i in range(2):
        x = x + a
    return x


def inner_loop_starts_from_parameter(x, n):
    """t restarts from x on every outer pass: x must survive the inner loop (for the next pass and after)."""
    s = 0.0
    for i in range(n):
        t = x
        for j in range(2):
            t = t * 1.5
        s = s + t
    return s + x


def tangent_starts_as_the_input_tangent(x, n):
    """p = 0.5 + x: in forward mode the tangent of p starts as x_dot, which the body reads again."""
    p = 0.5 + x
    for i in range(n):
        p = p * math.cos(p) + x
    return p


def loop_state_start_also_read_in_body(x, n):
    """x is both the start of s and read inside the loop: the adjoint through the start is lost."""
    s = x
    for i in range(n):
        s = s + s * x
    return s


def factor_used_after_reverse_loop(x):
    y = x
    while y > 0.1:
        y = y * 0.5
    return y * math.exp(x)


def cotangent_read_after_reverse_loop(x):
    """vjp: the cotangent parameter g becomes the adjoint of y in the reverse loop, and exp(x) needs g after it."""
    y = x * x
    while y > 0.1:
        y = y * 0.5
    return y + math.exp(x)


def parameter_named_like_a_temporary(v0):
    return math.sin(v0) * v0
