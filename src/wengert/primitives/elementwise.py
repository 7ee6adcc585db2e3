"""Elementwise operations: arithmetic, powers, transcendental functions, kinks (abs, maximum, clip), and the
comparisons and logical operations (no derivative)."""

import math as math_

from .. import shapes
from ..trace import Const, apply
from .core import (PRIMS, _nonzero_number, _smooth_power, _unless_positive, defprim, elementwise, helper, kink, nondiff,
                   scale, symbolic, sympy, unary)


add = elementwise("add", "{0} + {1}", lambda a, b: a + b, lambda y, a, b: 1, lambda y, a, b: 1)
sub = elementwise("sub", "{0} - {1}", lambda a, b: a - b, lambda y, a, b: 1, lambda y, a, b: -1)
mul = elementwise("mul", "{0} * {1}", lambda a, b: a * b, lambda y, a, b: b, lambda y, a, b: a)
div = elementwise("div", "{0} / {1}", lambda a, b: a / b, lambda y, a, b: 1 / b, lambda y, a, b: -y / b,
                  singular=lambda args, pos: not (pos[1] or _nonzero_number(args[1])))
helper('''
def _mul0(t, d):
    """t * d, but 0 where t or d is 0 even if the other is inf or nan (IEEE gives nan there)."""
    with np.errstate(invalid="ignore"):
        product = t * d
    if isinstance(product, np.ndarray) and not np.isnan(np.sum(product)):
        return product  # nothing to mend: one fast reduction instead of the masks
    if np.ndim(product) == 0:
        return product if product == product or t != 0 and d != 0 else 0.0 if type(product) is float \
            else np.zeros_like(product)[()]
    return np.where((t == 0) | (d == 0), 0, product)
''')
helper('''
def _div0(t, d):
    """t / d, but 0 where t is 0 even if d is 0 or nan there; NumPy's division, so a Python number over
    0.0 gives inf (with NumPy's warning), not ZeroDivisionError."""
    with np.errstate(invalid="ignore"):
        quotient = np.divide(t, d)
    if isinstance(quotient, np.ndarray) and not np.isnan(np.sum(quotient)):
        return quotient  # nothing to mend: one fast reduction instead of the mask
    if np.ndim(quotient) == 0:
        quotient = quotient if quotient == quotient or t != 0 else np.zeros_like(quotient)[()]
        return float(quotient) if type(t) in (float, int) and type(d) in (float, int) else quotient
    return np.where(t == 0, 0, quotient)
''')
div0 = elementwise("div0", "_div0({0}, {1})", lambda a, b: a / b, lambda y, a, b: 1 / b,
                   lambda y, a, b: -apply("div0", y, b),  # -y / b, and 0 where y is
                   singular=PRIMS["div"].singular)
mul0 = elementwise("mul0", "_mul0({0}, {1})",
                   lambda a, b: a * b,  # the same where both are finite, the only points SymPy compares
                   lambda y, a, b: b, lambda y, a, b: a)


def _pow_base(y, a, b):
    """d(a ** b)/da = b * a ** (b - 1), and 0 where b == 0 (also at a == 0, where a ** -1 is inf). The
    exponent b - 1 is a float unless it is a literal integer >= 0: NumPy refuses an integer array to a
    negative integer power, and a float exponent gives the float result anyway. A computed exponent goes
    through np.power, which gives inf at 0 ** -1 where Python floats raise ZeroDivisionError."""
    number = isinstance(b, Const) and isinstance(b.value, (int, float))
    if number and b.value == 0:
        return 0.0
    if number and type(b.value) is int and b.value >= 1:
        return b * a ** (b - 1)
    if number and b.value >= 1:
        return b * a ** (b - 1.0)
    return scale(b, power(a, b - 1.0))


def _pow_exponent(y, a, b):
    """d(a ** b)/db = log(a) * a ** b, and 0 where a ** b is 0 (a == 0 < b), where log(a) is -inf."""
    return scale(y, log(a))


pow_ = elementwise("pow", "{0} ** {1}", lambda a, b: a ** b, _pow_base, _pow_exponent,
                   singular=lambda args, pos: not (pos[0] or _smooth_power(args[1])))
power = elementwise("power", "np.power({0}, {1})", lambda a, b: a ** b, _pow_base, _pow_exponent,
                    singular=lambda args, pos: not (pos[0] or _smooth_power(args[1])))
neg = unary("neg", lambda a: -a, lambda y, x: -1, numpy="-{0}")
sin = unary("sin", sympy.sin, lambda y, x: cos(x), math="math.sin({0})")
cos = unary("cos", sympy.cos, lambda y, x: -sin(x), math="math.cos({0})")
tan = unary("tan", sympy.tan, lambda y, x: 1 + y ** 2, math="math.tan({0})", singular=True)
exp = unary("exp", sympy.exp, lambda y, x: y, math="math.exp({0})")
log = unary("log", sympy.log, lambda y, x: 1 / x, math="math.log({0})",
                singular=_unless_positive)
sqrt = unary("sqrt", sympy.sqrt, lambda y, x: 0.5 / y, math="math.sqrt({0})",
                 singular=_unless_positive)
tanh = unary("tanh", sympy.tanh, lambda y, x: 1 - y ** 2, math="math.tanh({0})")
sinh = unary("sinh", sympy.sinh, lambda y, x: cosh(x), math="math.sinh({0})")
cosh = unary("cosh", sympy.cosh, lambda y, x: sinh(x), math="math.cosh({0})")
arctan = unary("arctan", sympy.atan, lambda y, x: 1 / (1 + x ** 2), math="math.atan({0})")
arcsin = unary("arcsin", sympy.asin, lambda y, x: 1 / sqrt(1 - x ** 2), math="math.asin({0})", singular=True)
arccos = unary("arccos", sympy.acos, lambda y, x: -1 / sqrt(1 - x ** 2), math="math.acos({0})", singular=True)
log1p = unary("log1p", lambda a: sympy.log(1 + a), lambda y, x: 1 / (1 + x), math="math.log1p({0})",
                  singular=_unless_positive)
expm1 = unary("expm1", lambda a: sympy.exp(a) - 1, lambda y, x: y + 1, math="math.expm1({0})")
square = unary("square", lambda a: a ** 2, lambda y, x: 2 * x)
abs_ = unary("abs", sympy.Abs, lambda y, x: sign(x), math="abs({0})")
maximum = elementwise("maximum", "np.maximum({0}, {1})", sympy.Max,
                      lambda y, a, b: kink(a - b), lambda y, a, b: kink(b - a))
minimum = elementwise("minimum", "np.minimum({0}, {1})", sympy.Min,
                      lambda y, a, b: kink(b - a), lambda y, a, b: kink(a - b))
logaddexp = elementwise("logaddexp", "np.logaddexp({0}, {1})",
                        lambda a, b: sympy.log(sympy.exp(a) + sympy.exp(b)),
                        lambda y, a, b: exp(a - y), lambda y, a, b: exp(b - y))
clip = elementwise("clip", "np.clip({0}, {1}, {2})",
                   lambda x, lo, hi: sympy.Min(sympy.Max(x, lo), hi),
                   lambda y, x, lo, hi: kink(x - lo) * kink(hi - x),  # clip = minimum(maximum(x, lo), hi)
                   lambda y, x, lo, hi: kink(lo - x) * kink(hi - lo),
                   lambda y, x, lo, hi: kink(maximum(x, lo) - hi))


sign = nondiff("sign", "np.sign({0})", symbolic.Sign, shapes.broadcast)
angle = nondiff("angle", "np.angle({0})", sympy.arg, shapes.broadcast)  # of a real number: 0, or pi below 0
less = nondiff("less", "{0} < {1}", lambda a, b: a < b, shapes.broadcast)
less_equal = nondiff("less_equal", "{0} <= {1}", lambda a, b: a <= b, shapes.broadcast)
greater = nondiff("greater", "{0} > {1}", lambda a, b: a > b, shapes.broadcast)
greater_equal = nondiff("greater_equal", "{0} >= {1}", lambda a, b: a >= b, shapes.broadcast)
equal = nondiff("equal", "{0} == {1}", lambda a, b: sympy.Eq(a, b), shapes.broadcast)
not_equal = nondiff("not_equal", "{0} != {1}", lambda a, b: sympy.Ne(a, b), shapes.broadcast)
logical_and = nondiff("logical_and", "{0} and {1}", sympy.And, lambda a, b: shapes.SCALAR)
logical_or = nondiff("logical_or", "{0} or {1}", sympy.Or, lambda a, b: shapes.SCALAR)
logical_not = nondiff("logical_not", "not {0}", sympy.Not, lambda a: shapes.SCALAR)


# ---- more of NumPy's elementwise functions (issue 15) ---------------------------------------------------------

_LN2, _LN10 = math_.log(2.0), math_.log(10.0)

log10 = unary("log10", lambda a: sympy.log(a) / sympy.log(10), lambda y, x: 1 / (x * _LN10),
              math="math.log10({0})", singular=_unless_positive)
log2 = unary("log2", lambda a: sympy.log(a) / sympy.log(2), lambda y, x: 1 / (x * _LN2),
             math="math.log2({0})", singular=_unless_positive)
exp2 = unary("exp2", lambda a: 2 ** a, lambda y, x: y * _LN2)
arcsinh = unary("arcsinh", sympy.asinh, lambda y, x: 1 / sqrt(x ** 2 + 1), math="math.asinh({0})")
arccosh = unary("arccosh", sympy.acosh, lambda y, x: 1 / sqrt(x ** 2 - 1), math="math.acosh({0})", singular=True)
arctanh = unary("arctanh", sympy.atanh, lambda y, x: 1 / (1 - x ** 2), math="math.atanh({0})", singular=True)
reciprocal = unary("reciprocal", lambda a: 1 / a, lambda y, x: -(y * y), singular=_unless_positive)
cbrt = unary("cbrt", lambda a: symbolic.Sign(a) * sympy.Abs(a) ** sympy.Rational(1, 3), lambda y, x: 1 / (3 * y * y),
             math="math.cbrt({0})", singular=_unless_positive)
fabs = unary("fabs", sympy.Abs, lambda y, x: sign(x), math="math.fabs({0})")
positive = unary("positive", lambda a: a, lambda y, x: 1, numpy="+{0}")
deg2rad = unary("deg2rad", lambda a: a * (math_.pi / 180), lambda y, x: math_.pi / 180, math="math.radians({0})")
rad2deg = unary("rad2deg", lambda a: a * (180 / math_.pi), lambda y, x: 180 / math_.pi, math="math.degrees({0})")
float_power = elementwise("float_power", "np.float_power({0}, {1})", lambda a, b: a ** b, _pow_base, _pow_exponent,
                          singular=lambda args, pos: not (pos[0] or _smooth_power(args[1])))
logaddexp2 = elementwise("logaddexp2", "np.logaddexp2({0}, {1})",
                         lambda a, b: sympy.log(2 ** a + 2 ** b) / sympy.log(2),
                         lambda y, a, b: exp2(a - y), lambda y, a, b: exp2(b - y))
hypot = elementwise("hypot", "np.hypot({0}, {1})", lambda a, b: sympy.sqrt(a ** 2 + b ** 2),
                    lambda y, a, b: a / _nonzero_divisor(y),  # the kink at the origin: the midpoint 0, as norm
                    lambda y, a, b: b / _nonzero_divisor(y), math="math.hypot({0}, {1})")
arctan2 = elementwise("arctan2", "np.arctan2({0}, {1})", sympy.atan2,
                      lambda y, a, b: b / (a * a + b * b), lambda y, a, b: -a / (a * a + b * b),
                      math="math.atan2({0}, {1})", singular=True)
fmax = elementwise("fmax", "np.fmax({0}, {1})", sympy.Max, lambda y, a, b: kink(a - b), lambda y, a, b: kink(b - a))
fmin = elementwise("fmin", "np.fmin({0}, {1})", sympy.Min, lambda y, a, b: kink(b - a), lambda y, a, b: kink(a - b))
heaviside = elementwise("heaviside", "np.heaviside({0}, {1})",
                        lambda x, h: sympy.Piecewise((h, sympy.Eq(x, 0)), (sympy.Heaviside(x), True)),
                        lambda y, x, h: 0.0,  # a step: 0 away from 0, and the convention at 0 (like sign)
                        lambda y, x, h: apply("where", apply("equal", x, 0), 1.0, 0.0))
nan_to_num = unary("nan_to_num", lambda a: a,
                   lambda y, x: apply("where", apply("isfinite", x), 1.0, 0.0))


def _nonzero_divisor(y):
    """y as a divisor, 1 where it is 0 (there the numerator is 0 too: the midpoint subgradient 0 at a kink)."""
    return apply("where", apply("equal", y, 0.0), 1.0, y)


def _step(name, fn, math=None):
    def meaning(a):
        return symbolic.step(name, fn)(a)
    return nondiff(name, f"np.{name}({{0}})", meaning, shapes.broadcast, math=math)


floor = _step("floor", math_.floor, math="math.floor({0})")
ceil = _step("ceil", math_.ceil, math="math.ceil({0})")
trunc = _step("trunc", math_.trunc, math="math.trunc({0})")
rint = _step("rint", lambda v: round(v))  # half to even, as np.rint
round_ = _step("round", lambda v: round(v))
isfinite = nondiff("isfinite", "np.isfinite({0})", lambda a: sympy.sympify(True), shapes.broadcast)
isnan = nondiff("isnan", "np.isnan({0})", lambda a: sympy.sympify(False), shapes.broadcast)
mod = elementwise("mod", "{0} % {1}",  # np.mod and Python's %: the same on numbers and arrays
                  lambda a, b: a - b * PRIMS["floor"].sympy(a / b),
                  lambda y, a, b: 1.0, lambda y, a, b: -floor(a / b), singular=True)
fmod = elementwise("fmod", "np.fmod({0}, {1})", lambda a, b: a - b * PRIMS["trunc"].sympy(a / b),
                   lambda y, a, b: 1.0, lambda y, a, b: -trunc(a / b), math="math.fmod({0}, {1})", singular=True)

copy = unary("copy", lambda a: a, lambda y, x: 1)
astype_float = unary("astype_float", lambda a: a, lambda y, x: 1, numpy="{0}.astype(float)")


# np.sinc(x) = sin(pi x) / (pi x), 1 at 0. Its slope (cos(pi x) - sinc(x)) / x cancels near 0, so there
# (|x| < 0.05) it is its Taylor polynomial, exact to rounding; both branches are built from primitives, so
# the slope's own derivatives (Hessians) are right at 0 too.
_SINC_NEAR = 0.05
_SINC_SERIES = [(-1) ** k * 2 * k * math_.pi ** (2 * k) / math_.factorial(2 * k + 1) for k in range(1, 8)]


def _sinc_slope(y, x):
    near = apply("less", abs_(x), _SINC_NEAR)
    squared = x * x
    series = _SINC_SERIES[-1]
    for c in reversed(_SINC_SERIES[:-1]):
        series = series * squared + c
    away = (cos(math_.pi * x) - y) / apply("where", near, 1.0, x)
    return apply("where", near, series * x, away)


sinc = unary("sinc", symbolic.sinc_pi, _sinc_slope)
