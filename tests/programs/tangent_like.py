"""Paraphrases of the kinds of function in Google Tangent's test suite (tests/functions.py of google/tangent),
rewritten for wengert's measure (issue 14): each takes floats (a, b, c), an integer count n or arrays (x, ...)
and returns a scalar. TensorFlow functions, Tangent's own stack and context-manager primitives and dict
inputs do not fit and are left out; see tests/test_tangent_suite.py."""

import numpy as np


def identity(a):
    return a


def negate(a):
    return -a


def total(x):
    return np.sum(x)


def total_of_array_copy(x):
    return np.sum(np.array(x))


def square_of_total(x):
    x = np.sum(x)
    x = x * x
    return x


def hyperbolic_tangent(a):
    return np.tanh(a)


def alias(a):
    other = a
    return other


def plus_one(a):
    return a + 1


def axpy(a, b, c):
    return a * b + c


def times(a, b):
    return a * b


def plus(a, b):
    return a + b


def axpy_by_calls(a, b, c):
    return plus(times(a, b), c)


def axpy_in_steps(a, b, c):
    first = a * b
    second = first + c
    return second


def axpy_reusing_a_name(a, b, c):
    t = a * b
    t = t + c
    return t


def name_like_a_gradient(a):
    da = a * a
    return da


def branch_overwrites(a):
    if a > 0:
        a = a * 3.0
    else:
        a = a * 2.0
    return a


def times_const(a):
    return a * 3.0


def const_times(a):
    return 3.0 * a


def self_times(a):
    return a * a


def over_const(a):
    return a / 3.0


def const_over(a):
    return 3.0 / a


def self_over(a):
    return a / a


def minus_const(a):
    return a - 3.0


def const_minus(a):
    return 3.0 - a


def self_minus(a):
    return a - a


def plus_const(a):
    return a + 3.0


def const_plus(a):
    return 3.0 + a


def self_plus(a):
    return a + a


def inner_branch(a):
    if a > 0:
        if a < 10:
            a = a * a
    else:
        a = 3.0 * a
    return a


def many_branches(a):
    if a * a / 3.0 > 0:
        k = 3.0
    else:
        k = 4.0
    a = a * k
    if a < k - a * k:
        a = a * a
    elif a > k + 3.0 * a:
        if a / 2.0 < 0:
            a = a / k
        else:
            a = a * k
    else:
        a = -a
    return a


def np_times_const(a):
    return np.multiply(a, 3.0)


def list_of_numbers(a):
    items = [1, a * a, 2]
    return np.sum(items)


def list_of_products(x):
    items = [1, x[0] * x[1] * x[2], 3]
    return np.sum(items)


def two_items(x):
    first = x[0]
    second = x[1]
    return first * second


def item_overwritten(x):
    first = x[0]
    second = x[1]
    x[0] = first * second
    return np.sum(x)


def item_from_squares(x):
    sq = x ** 2.0
    x[0] = sq[1] * sq[2]
    return np.sum(x * sq)


def list_item(a):
    items = [1.0, a, 3.0]
    return items[0] * items[1]


def branch_then_double(a):
    if a > 0:
        a = a * a
    a = a + a
    if a < 0:
        a = 3.0 * a
    return a


def compare_two(a, b):
    if a > b:
        a = a * a
    else:
        a = a * b
    return a


def two_loops(a, n):
    for i in range(n):
        a = a * a
    a = 2.0 * a
    for i in range(n + 1):
        a = a * 3.0
    return a


def branch_then_loop(a, n):
    if a > 0:
        a = a * a
    a = 2.0 * a
    for i in range(n):
        a = a * a
    return a


def loop_then_branch(a, n):
    for i in range(n):
        a = a * a
    a = 2.0 * a
    if a > 0:
        a = a * a
    return a


def nested_branch_overwrites(a):
    if a > 0:
        a = a * 3.0
        if a < 10:
            a = a * a
        else:
            a = a * 2.0
    return a


def elif_chain(a):
    if a > 0:
        a = a * 3.0
    elif 0 > a:
        a = a * 2.0
    else:
        a = 1.0 * a
    return a


def parameter_overwritten(a):
    a = a * 3.0
    return a


def local_overwritten(a):
    b = a
    b = b * 3.0
    return b


def cube_by_products(a):
    return a * a * a


def cube_by_power(a):
    return a ** 3


def cube_by_loop(a):
    out = 1
    for i in range(3):
        out = out * a
    return out


def cube_by_loop_from_a(a):
    out = a
    for i in range(3 - 1):
        out = out * a
    return out


def repeated_squaring_fixed(a):
    for i in range(3):
        a = a * a
    return a


def repeated_squaring(a, n):
    for i in range(n):
        a = a * a
    return a


def squaring_while_small(a):
    for i in range(3):
        if a < 20:
            a = a * a
    return a


def squaring_if_small(a):
    if a < 20:
        for i in range(3):
            a = a * a
    return a


def nested_loops_squaring(a):
    for i in range(2):
        for j in range(3):
            a = a * a
    return a


def repeated_cubing(a):
    for i in range(3):
        a = a * a * a
    return a


def np_total(x):
    return np.sum(x)


def np_average(x):
    return np.mean(x)


def np_exp(a):
    return np.exp(a)


def np_exp_exp(a):
    return np.exp(np.exp(a))


def np_sqrt(a):
    return np.sqrt(a)


def tanh_logistic_loss(inputs, label, W, b):
    hidden = np.dot(inputs, W) + b
    p = 0.5 * (np.tanh(hidden) + 1)
    likelihood = p * label + (1 - p) * (1 - label)
    return -np.sum(np.log(likelihood))


def _product(a, b):
    return a * b


def product_by_call(a, b):
    return _product(a, b)


def product_by_call_in_branch(a, b):
    if a > b:
        out = _product(a, b)
    else:
        out = _product(b, a)
    return out


def squaring_by_call(a, n):
    for i in range(n):
        a = _product(a, a)
    return a


def call_of_a_call(a, b):
    return product_by_call(a, b)


def squaring_by_local_def(a, n):
    def local(u, v):
        return u * v

    for i in range(n):
        a = local(a, a)
    return a


def unpacked_axpy(abc):
    a, b, c = abc
    return a * b + c


def axpy_through_a_dict(abc):
    a, b, c = abc
    d = dict(a=a, b=b, c=c)
    return d['a'] * d['b'] + d['c']


def tuple_item(a, b, c, i):
    packed = a, b, c
    return packed[i]


def first_of_unpacked(abc):
    a, b, c = abc
    return a


def list_comprehension_total(a):
    return np.sum([v * 3 for v in a])


def halve_until_small(a):
    while np.abs(a) > 0.1:
        a = a * 0.5
    return a


def copy_by_items(x):
    y = np.zeros_like(x)
    for i in range(len(x)):
        y[i] = x[i]
    return np.sum(y)


def rows_by_items(x):
    h = np.zeros((len(x), 3))
    for t in range(len(h)):
        h[t] = x[t]
    return np.sum(h)


def tail_sum(x):
    return np.sum(x[1:])


def recurrent_sum(inputs, W):
    h = np.zeros((4, 3))
    for t in range(3):
        h[t + 1] = np.dot(inputs[t], W) + h[t]
    return np.sum(h[1:])


def augmented_square(a):
    x = a * a
    x *= x
    return x


def bilinear_tanh(x, h, U, W, b):
    y = np.dot(x, W)
    y = y + np.dot(h, U)
    y = y + b
    y = np.tanh(y)
    return np.sum(y)


def power_ab(a, b):
    a = a ** b
    return a


def fourth_power(a):
    a = a * a
    y = a * a
    return y


def eighth_power(a):
    b = a
    b = a * a
    c = b * b
    d = c * c
    return d


def eighth_power_by_calls(a):
    b = times(a, a)
    c = times(b, b)
    d = times(c, c)
    return d


def strided_column_sum(x):
    return np.sum(x[::2, np.newaxis])
