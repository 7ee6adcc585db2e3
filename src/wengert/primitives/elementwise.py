"""Elementwise operations: arithmetic, powers, transcendental functions, kinks (abs, maximum, clip), and the
comparisons and logical operations (no derivative)."""

import sympy

from .. import shapes
from ..trace import Const, apply
from .core import PRIMS, _nonzero_number, _smooth_power, _unless_positive, elementwise, helper, kink, nondiff, scale, unary


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


class Sign(sympy.Function):
    """The meaning of np.sign: sympy.sign's value, with derivative 0 like the rules (it is constant away from 0).
    sympy.sign's own derivative stays an unevaluated Derivative when SymPy cannot prove the argument real, as
    for (1.5 + sin(t)) ** t: then no point could be checked."""

    @classmethod
    def eval(cls, x):
        value = sympy.sign(x)
        return value if value.is_number else None  # -sign(y) for sign(-y) would bring sympy.sign back

    def fdiff(self, argindex=1):
        return sympy.S.Zero


sign = nondiff("sign", "np.sign({0})", Sign, shapes.broadcast)
less = nondiff("less", "{0} < {1}", lambda a, b: a < b, shapes.broadcast)
less_equal = nondiff("less_equal", "{0} <= {1}", lambda a, b: a <= b, shapes.broadcast)
greater = nondiff("greater", "{0} > {1}", lambda a, b: a > b, shapes.broadcast)
greater_equal = nondiff("greater_equal", "{0} >= {1}", lambda a, b: a >= b, shapes.broadcast)
equal = nondiff("equal", "{0} == {1}", lambda a, b: sympy.Eq(a, b), shapes.broadcast)
not_equal = nondiff("not_equal", "{0} != {1}", lambda a, b: sympy.Ne(a, b), shapes.broadcast)
logical_and = nondiff("logical_and", "{0} and {1}", sympy.And, lambda a, b: shapes.SCALAR)
logical_or = nondiff("logical_or", "{0} or {1}", sympy.Or, lambda a, b: shapes.SCALAR)
logical_not = nondiff("logical_not", "not {0}", sympy.Not, lambda a: shapes.SCALAR)
