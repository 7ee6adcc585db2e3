"""Plain Python in cost functions (issue 14): integer and float arithmetic, builtins, loops over enumerate,
zip and reversed with tuple targets, comprehensions and generator expressions, defaults and keywords."""

import math

import numpy as np


# ---- integer and float arithmetic ----------------------------------------------------------------------

def wrapped_phase(x, y):
    """% and // on values: d(a % b)/da = 1, d(a % b)/db = -(a // b); // is piecewise constant."""
    return (x * y) % 1.5 + x % y + (x // 0.5) * y + x * (y // 1.0)


def divmod_parts(x, y):
    q, r = divmod(x, y)
    return r * r + q * x + math.sin(r)


def casts(x, y):
    """round and int are piecewise constant; float(x) passes the derivative."""
    return round(x) * y + int(y) * x ** 2 + float(x) * float(y) + round(x * y, 1) * x


def shape_arithmetic(x):
    """Integers from shapes and loop indices: n // 2, i % 2, float(n), a neighbour index (i + 1) % n."""
    n = x.shape[0]
    half = n // 2
    s = 0.0
    for i in range(n):
        if i % 2 == 0:
            s = s + x[i] * x[(i + 1) % n]
        else:
            s = s - 0.5 * x[i] ** 2
    return s / float(n) + x[half] * x[-1] + x[n % 3]


# ---- builtins -------------------------------------------------------------------------------------------

def max_min_abs(x, y):
    """Two or more arguments: np.maximum's convention, nested left to right."""
    return max(x, y) + min(x, y, 0.25) * x + abs(x - 2.0 * y) + max(x * y, x + y, 0.5)


def sum_of_squares(x):
    n = len(x)
    return sum(x[i] ** 2 for i in range(n))


def sum_with_start(x):
    return sum((v * v for v in x), 1.5) + sum(x) + sum((x[0], x[1] * x[2]), start=0.5)


def even_terms(x):
    return sum(x[i] * x[i - 1] for i in range(1, len(x)) if i % 2 == 0)


def largest_product(x):
    return max(x[i] * x[i + 1] for i in range(len(x) - 1)) - min(v ** 2 for v in x) + max(x) * min(x)


def fsum_prod(x):
    return math.fsum(np.sin(v) for v in x) + math.prod(x) + math.prod(v + 1.0 for v in x) + math.fsum(x)


def backwards(x):
    s = 0.0
    for i in range(len(x) - 1, -1, -1):
        s = 0.5 * s + x[i]
    for v in reversed(x):
        s = s * 0.75 + v ** 2
    for i in range(len(x) - 1, 0, -2):
        s = s + x[i] * x[i - 1]
    return s


# ---- loop targets ---------------------------------------------------------------------------------------

def weighted(xs, ws):
    s = 0.0
    for i, (x, w) in enumerate(zip(xs, ws)):
        s = s + (i + 1) * w * np.tanh(x)
    return s


def pair_rows(P):
    s = 0.0
    for a, b in P:
        s = s + a * b - 0.1 * a ** 2
    return s


def enumerate_array(x):
    s = 0.0
    for i, v in enumerate(x, 1):
        s = s + v ** 2 / i
    return s


def names_like_temporaries(x):
    """User variables named like the compiler's own (v1, v8) bound to one value twice: a zip of x with
    itself gives equal items, and a tuple of one value unpacks into two names."""
    s6 = 0.0
    for i7, (v8, w) in enumerate(zip(x, x)):
        s6 = s6 + np.sin(v8) * w * (i7 % 2 + 1)
    v1, v2 = s6, s6
    return v1 * v2 + np.sum(x)


def names_like_helpers(x, c):
    """Locals named like the helpers and modules the generated code calls: they are renamed there."""
    _mul0 = np.sqrt(x)
    _unbroadcast = _mul0 * c
    _div0 = np.sum(_unbroadcast * x)
    return _div0 / np.sum(_mul0)


def comprehension_zip(ws, vs):
    return sum(w * v for w, v in zip(ws, vs)) + sum(i * v for i, v in enumerate(vs) if i % 2 == 1)


def nested_generators(x):
    return sum(x[i] * x[j] for i in range(len(x)) for j in range(i) if (i + j) % 3 != 0)


# ---- signatures ---------------------------------------------------------------------------------------

def scaled(v, factor=2.0, *, shift=0.0):
    return v * factor + shift


def with_defaults(x, y=3.0, *, c=0.5):
    return x * y + c * x ** 2 + scaled(x) + scaled(y, shift=1.0) + scaled(v=x, factor=c)


def with_array_default(w, X, reg=0.1):
    return np.sum((X @ w) ** 2) + reg * np.sum(w ** 2)


def positional_defaults(x, y=3.0, c=0.5):
    return with_defaults(x, y, c=c)


def smallest_square(x):
    return min(v ** 2 for v in x) + max(np.sin(v) for v in x if v > 0.0)


# ---- asserts, annotations, docstrings, pass; dicts with string keys --------------------------------------

def checked_ring(x: np.ndarray, scale: float = 1.5) -> float:
    """A ring sum with checks: the asserts stay in the primal part of the generated code."""
    n: int = x.shape[0]
    total: float
    total = 0.0
    assert n >= 2, "needs two entries"
    for i in range(n):
        assert i < n
        pass
        total = total + x[i] * math.sin(scale * x[(i + 1) % n])
    return total


def checked_log(a: float, b: float = 2.0) -> float:
    assert a > 0.0, "a must be positive"
    return math.log(a) * b + a * b


def record(x, y):
    """A dict literal with string keys, read by constant keys (in a helper too)."""
    d = {"a": x, "b": y * 2.0, "scale": 0.5}
    q = dict(a=x * y, c=y)
    return d["a"] * d["b"] + math.sin(d["a"]) + from_record(d) + q["a"] / q["c"]


def from_record(p):
    return p["scale"] * p["b"] ** 2


def record_params(w, X):
    p = {"W": w, "reg": 0.1}
    total = 0.0
    for i in range(X.shape[0]):
        total = total + np.sum(X[i] * p["W"]) ** 2
    return total + p["reg"] * np.sum(p["W"] ** 2)


def shape_in_the_value(X, x):
    """n = X.shape[0] enters the value: Hessians need no more than the arguments' ranks."""
    n = X.shape[0]
    d = x.shape[0]
    return np.sum(x ** 2) * n + np.sum(X @ x) / d + float(n) * np.sum(x ** 3)
