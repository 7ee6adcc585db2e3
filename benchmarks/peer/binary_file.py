"""Port of HIPS/autograd's tests/test_binary_ops.py as wengert programs (no code copied): every pair of a
Python float, a vector, a matrix and a broadcasting row, through *, +, -, /, %, **, np.arctan2, np.hypot
(both arguments differentiated), and the comparisons (their gradient is zero: checked against zeros, not
central differences, since x <= y jumps where the two are equal). Excluded: test_comparison_values (a value
check, not a gradient)."""

import itertools

import numpy as np

from .harness import Case

R = np.random.default_rng(0)
ARGS = {"float": 2.0, "vector": R.standard_normal(4), "matrix": R.standard_normal((3, 4)),
        "row": R.standard_normal((1, 4))}
PAIRS = list(itertools.product(ARGS, ARGS))
CASES = []


def gap(x):
    return np.sqrt(np.asarray(x) ** 2 + 0.5) if np.shape(x) else float(np.sqrt(x ** 2 + 0.5))


def positive(x):
    return np.abs(x) + 1.1 if np.shape(x) else abs(x) + 1.1


for op, body in (("mul", "x * y"), ("add", "x + y"), ("sub", "x - y"), ("div", "x / y"), ("mod", "x % y"),
                 ("pow", "x ** y"), ("arctan2", "np.arctan2(x, y)"), ("hypot", "np.hypot(x, y)")):
    for a, b in PAIRS:
        x, y = ARGS[a], ARGS[b]
        if op == "mod" and a == b:
            continue  # the peer skips x % x (no gradient where x == y)
        if op in ("div", "mod"):
            x, y = gap(x), gap(y)
        if op == "pow":
            x = positive(x)
        CASES.append(Case(f"{op} {a}, {b}", body, "x, y", (x, y)))
for text in ("x < x", "x <= y", "x > y", "x >= y", "x == y", "x != y"):
    for a, b in PAIRS:
        CASES.append(Case(f"np.sum({text}) {a}, {b}", f"np.sum({text}) + 0.0", "x, y", (ARGS[a], ARGS[b]),
                          expect_zero=True))
