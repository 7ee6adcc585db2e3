"""Port of HIPS/autograd's tests/test_scalar_ops.py as wengert programs (no code copied): each unary
function, times 3.0, at the peer's points (Python floats); the binary ones with the peer's argument
differentiated. Excluded: the peer's second-order (grad of grad) assertions are checked only at first order
here (vector mode has tests of its own)."""

import numpy as np

from .harness import Case

R = np.random.default_rng(42)
CASES = []


def case(name, body, params, args, **kw):
    CASES.append(Case(name, body, params, args, **kw))


def rn():
    return float(R.standard_normal())


def ru():
    return float(R.random())


for fn in ("abs", "absolute"):
    for x in (1.1, -1.1, 0.0):
        case(f"{fn} at {x}", f"3.0 * np.{fn}(x)", "x", (x,), order=1 if x == 0.0 else 2)  # as the peer
case("sin", "3.0 * np.sin(x)", "x", (rn(),))
for x in (1.1, -1.1):
    case(f"sign at {x}", "3.0 * np.sign(x)", "x", (x,))
case("exp", "3.0 * np.exp(x)", "x", (rn(),))
for fn in ("log", "log2", "log10", "log1p", "expm1", "exp2"):
    case(fn, f"3.0 * np.{fn}(x)", "x", (abs(rn()),))
case("neg", "3.0 * -x", "x", (rn(),))
for fn in ("cos", "tan", "cosh", "sinh", "tanh"):
    case(fn, f"3.0 * np.{fn}(x)", "x", (rn(),))
case("arccos", "3.0 * np.arccos(x)", "x", (0.1,))
case("arcsin", "3.0 * np.arcsin(x)", "x", (0.1,))
case("arctan", "3.0 * np.arctan(x)", "x", (0.2,))
case("arccosh", "3.0 * np.arccosh(x)", "x", (rn() ** 2 + 1.2,))
case("arcsinh", "3.0 * np.arcsinh(x)", "x", (rn(),))
case("arctanh", "3.0 * np.arctanh(x)", "x", (0.2,))
case("sqrt", "3.0 * np.sqrt(x)", "x", (10.0 * ru(),))
case("power arg0", "np.power(x, y)", "x, y", (ru() ** 2 + 1.0, rn() ** 2 + 1.0), wrt="x")
case("power arg0, y = 0 at x = 0", "np.power(x, y)", "x, y", (0.0, 0.0), wrt="x")
case("power arg1", "np.power(x, y)", "x, y", (rn() ** 2, ru() ** 2), wrt="y")
case("power arg1 of 0.0", "np.power(0.0, y)", "y", (ru() ** 2,))
for fn in ("mod", "divide", "multiply", "true_divide"):
    args = (ru(), ru())
    case(f"{fn} arg0", f"np.{fn}(x, y)", "x, y", args, wrt="x")
    case(f"{fn} arg1", f"np.{fn}(x, y)", "x, y", args, wrt="y")
case("reciprocal", "np.reciprocal(x)", "x", (ru(),))
case("negative", "np.negative(x)", "x", (ru(),))
for fn in ("rad2deg", "deg2rad", "radians", "degrees", "sinc"):
    case(fn, f"3.0 * np.{fn}(x)", "x", (10.0 * ru(),))
