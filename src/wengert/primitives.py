"""The primitive table: for each operation, how to emit it, what it means, and its derivatives.

Every entry says, in one place:
  numpy    a template for the emitted expression ({0}, {1}: arguments; {axis}: attributes),
  math     the template used when the source called math.* on scalars,
  sympy    its meaning on SymPy expressions (for the cross-check),
  shape    what is known statically about its result's shape,
  tangent  (tangents, y, *args, **attrs) -> tangent of y          (forward mode),
  adjoint  (g, y, *args, **attrs) -> one cotangent per argument    (reverse mode).
Rules are ordinary Python over trace values, so ``g * cos(x)`` appends ops to the
trace being built, and the derivative of a trace is again a trace.

Subgradient convention at kinks: the midpoint of the Clarke subdifferential.
|x|' = 0 at 0; maximum/minimum and max/min split the gradient equally between
ties (so relu'(0) = 1/2); clip'(x) = 1/2 on a bound.
"""

from dataclasses import dataclass
import functools
import math as math_

import numpy as np
import sympy

from . import shapes
from .errors import GENERATED, WengertError
from .trace import Const, Var, apply, is_batched, key, lift, primal_rank, rank


@dataclass
class Prim:
    name: str
    numpy: object                  # template str or callable(*arg_src, **attrs) -> str
    math: str = None
    sympy: object = None
    shape: object = None           # callable(*arg_keys, **attrs) -> key or None
    tangent: object = None
    adjoint: object = None
    nondiff: bool = False          # the output carries no derivative
    diff_args: tuple = None        # positions that may carry a derivative (None: all)
    statement: bool = False        # emitted as its own statement, never folded into an expression
    shape_args: tuple = ()         # positions read only for their shape (any array of that shape will do)
    effect: bool = False           # has a side effect (stack push/pop): never shared, folded or dropped alone
    statement_value: bool = False  # an effect whose result is used (pop), so it is assigned
    batch: object = None           # vector mode: callable(builder, args, attrs) for args with a batch axis
    singular: object = False       # its value or partials can be inf/nan at finite args: bool, or
                                   # callable(args, positive) with positive[i]: args[i] is known > 0
    positive: object = None        # callable(*positive) -> is the result > 0 when these arguments are

    def is_singular(self, args, positive):
        return self.singular(args, positive) if callable(self.singular) else self.singular

    def batch_rule(self, b, args, attrs):
        if self.batch is not None:
            return self.batch(b, *args, **attrs)
        if self.shape is shapes.broadcast:
            return _batch_elementwise(b, self.name, args, attrs)
        raise WengertError(f"{self.name} has no vector-mode rule yet (Hessians and Jacobians through it)",
                           GENERATED, 0, 0, "", "use hvp or jvp/vjp one direction at a time")

    def shape_of(self, keys, attrs):
        if not self.shape:
            return None
        if "lib" in attrs:
            attrs = {k: v for k, v in attrs.items() if k != "lib"}
        return self.shape(*keys, **attrs)

    def source(self, args, attrs, lib="np"):
        template = self.math if lib == "math" and self.math else self.numpy
        attrs = {k: v for k, v in attrs.items() if k != "lib"}
        if callable(template):
            return template(*args, **attrs)
        return template.format(*args, **{k: repr(v) for k, v in attrs.items()})


PRIMS = {}
HELPERS = {}  # name -> source of a small function the generated code may call; emitted inline when used


def helper(source):
    name = source.split("def ", 1)[1].split("(", 1)[0]
    HELPERS[name] = source.strip() + "\n"
    return name


def defprim(name, numpy, **kw):
    PRIMS[name] = Prim(name, numpy, **kw)
    return functools.partial(apply, name)


# ---- helpers that emit ops ------------------------------------------------------

def unbroadcast(g, x):
    return apply("unbroadcast", g, x)


def broadcast_like(t, ref):
    if _python_scalar(t) and not _python_scalar(ref) and not is_batched(ref):
        return apply("ones_like", ref) * t  # as in unreduce: keep ref's precision
    return apply("broadcast_like", t, ref)


def zeros_like(x):
    return apply("zeros_like", x)


def kink(d):
    """1 where d > 0, 0 where d < 0, 1/2 at d == 0: the midpoint subgradient of max(d, 0)'s step."""
    return (sign(d) + 1) * 0.5


# ---- elementwise operations ---------------------------------------------------------

def _kwargs(**attrs):
    return "".join(f", {k}={v!r}" for k, v in attrs.items() if v is not None and v is not False)


def scale(t, d):
    """t * d for a tangent or cotangent t and a local partial d, where 0 times anything is 0 if either may
    be inf or nan: what a where, maximum, clip or abs did not select, or a direction that does not move an
    element, stays exactly zero through a partial that is infinite or undefined there (sqrt'(0), a partial
    in an untaken branch), and a zero partial stops an infinite (co)tangent. Both modes multiply the same
    factors along every path, so with this rule they agree at such points too."""
    b = _builder()
    t, d = lift(t), lift(d)
    if not any(type(v) is Var and b.nonfinite(v) for v in (t, d)):
        return t * d
    quotient = b.defs.get(d.name) if type(d) is Var else None
    if quotient is not None and quotient.prim == "div" and b.lib != "math":
        # t * (n / m) as (t * n) / m in NumPy's division: Python floats would raise ZeroDivisionError at
        # 1.0 / 0.0 where np.log(0.0) gave -inf (math.log raises in the function itself: plain there)
        numerator, denominator = quotient.args
        return apply("div0", scale(t, numerator), denominator)
    if _nonzero_number(t) or _nonzero_number(d):
        return t * d
    return apply("mul0", t, d)


def _builder():
    from .trace import _active
    return _active.builders[-1]


def elementwise(name, numpy, sympy_fn, *partials, math=None, diff_args=None, singular=False):
    """A broadcasting elementwise op given by its local partial derivatives d(y, *args)."""

    def tangent(ts, y, *args):
        terms = [broadcast_like(scale(t, d(y, *args)), y) for t, d in zip(ts, partials) if t is not None]
        return functools.reduce(lambda a, b: a + b, terms) if terms else None

    def adjoint(g, y, *args):
        return tuple(Lazy(lambda d=d, x=x: unbroadcast(scale(g, d(y, *args)), x)) for d, x in zip(partials, args))

    return defprim(name, numpy, math=math, sympy=_vectorized(sympy_fn), shape=shapes.broadcast,
                   tangent=tangent, adjoint=adjoint, diff_args=diff_args, singular=singular)


def _vectorized(fn):
    """Apply a scalar SymPy meaning elementwise when any argument is an (object) array."""
    def meaning(*args):
        if any(isinstance(a, np.ndarray) for a in args):
            return np.vectorize(fn, otypes=[object])(*args)
        return fn(*args)
    return meaning


class Lazy:
    """A cotangent contribution built only if the argument is active."""

    def __init__(self, build):
        self.build = build


def unary(name, sympy_fn, d, math=None, numpy=None, singular=False):
    return elementwise(name, numpy or f"np.{name}({{0}})", sympy_fn, d, math=math, singular=singular)


def _nonzero_number(v):
    return type(v) is Const and isinstance(v.value, (int, float)) and v.value != 0 and math_.isfinite(v.value)


def _unless_positive(args, positive):
    """log, sqrt, log1p and their partials are finite at a positive argument."""
    return not positive[0]


def _smooth_power(b):
    """a ** b and its partials are finite at every finite a: b a literal 0 or at least 1."""
    return type(b) is Const and isinstance(b.value, (int, float)) and (b.value == 0 or b.value >= 1)


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

# ---- operations without a derivative ---------------------------------------------------

def nondiff(name, numpy, sympy_fn=None, shape=None, math=None):
    return defprim(name, numpy, math=math, sympy=_vectorized(sympy_fn) if shape is shapes.broadcast else sympy_fn,
                   shape=shape, nondiff=True)


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
shape_ = nondiff("shape", "np.shape({0})", lambda a: np.shape(a), lambda a: ("shapeof", a))
size = nondiff("size", "math.prod(np.shape({0}))",  # not np.size: Dask would compute the array to count it
               lambda a: np.size(a), lambda a: shapes.SCALAR)
ndim = nondiff("ndim", "np.ndim({0})", lambda a: np.ndim(a), lambda a: shapes.SCALAR)
len_ = nondiff("len", "len({0})", len, lambda a: shapes.SCALAR)
zeros = nondiff("zeros", "np.zeros({0})", lambda s: np.zeros(s, dtype=object) * 0,
                lambda s: shapes.from_literal(s[1]) if isinstance(s, tuple) and s[:1] == ("const",) else
                (None,) if s == shapes.SCALAR else None)  # np.zeros(n): a vector
ones = nondiff("ones", "np.ones({0})", lambda s: np.ones(s, dtype=object),
               lambda s: shapes.from_literal(s[1]) if isinstance(s, tuple) and s[:1] == ("const",) else
                (None,) if s == shapes.SCALAR else None)  # np.zeros(n): a vector
eye = nondiff("eye", "np.eye({0})", lambda n: np.eye(n, dtype=int).astype(object))
zeros_like_ = nondiff("zeros_like", "np.zeros_like({0})", lambda a: np.zeros_like(np.asarray(a), dtype=object) * 0,
                      lambda a: a)
ones_like = nondiff("ones_like", "np.ones_like({0})", lambda a: np.ones_like(np.asarray(a), dtype=object),
                    lambda a: a)

# ---- reductions --------------------------------------------------------------------------


def unreduce(g, x, axis=None, keepdims=False):
    """Spread a reduction's cotangent back over the reduced axes."""
    if _python_scalar(g):
        return apply("ones_like", x) * g  # broadcasting would make a Python float float64: keep x's precision
    return apply("unreduce", g, x, axis=axis, keepdims=keepdims)


def _python_scalar(v):
    """Is v a number (not an array) in the trace being built? np.broadcast_arrays turns a Python float into
    a float64 array, while arithmetic keeps a float32 array float32 (NumPy 2 promotion)."""
    return key(v) == shapes.SCALAR and not is_batched(v)


def _unreduce_src(g, x, axis=None, keepdims=False):
    if axis is not None and not keepdims:
        g = _expand_dims_src(g, axis)
    return f"np.broadcast_arrays({g}, {x})[0]"  # dispatches on x too: a Dask x gives a Dask result chunked like x


def _sym_unreduce(g, x, axis=None, keepdims=False):
    g = _obj(g)
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    return _scalar_or_array(np.array(np.broadcast_to(g, np.shape(x)), dtype=object))


defprim("unreduce", _unreduce_src, shape=lambda g, x, axis=None, keepdims=False: x, shape_args=(1,),
        sympy=_sym_unreduce,
        tangent=lambda ts, y, g, x, **kw: None if ts[0] is None else unreduce(ts[0], x, **kw),
        adjoint=lambda h, y, g, x, **kw: (apply("sum", h, axis=kw.get("axis"), keepdims=kw.get("keepdims")), None),
        diff_args=(0,))


def _expand_dims_src(g, axis):
    """np.expand_dims(g, axis) as indexing, g[:, None] (a view, without np.expand_dims's Python-level axis
    checks: a few microseconds per call on small arrays); Dask and other array libraries index alike.
    The index always keeps one axis of g with ":", so it is valid exactly when np.expand_dims is, and g is
    an array there (a Python float has no [None]); otherwise, and for mixed-sign axes, np.expand_dims."""
    axes = axis if isinstance(axis, tuple) else (axis,)
    if axes and all(type(a) is int for a in axes) and len(set(axes)) == len(axes):
        if all(a >= 0 for a in axes):
            items = ["None" if i in axes else ":" for i in range(max(axes) + 1)]
        elif all(a < 0 for a in axes):
            items = ["..."] + ["None" if i in axes else ":" for i in range(min(axes), 0)]
        else:
            items = []
        if ":" in items:
            return f"{g}[{', '.join(items)}]"
    return f"np.expand_dims({g}, {axis!r})"


defprim("expand_dims", lambda g, axis: _expand_dims_src(g, axis),
        sympy=lambda g, axis: np.expand_dims(_obj(g), axis),
        shape=lambda g, axis: _expanded(g, axis),
        tangent=lambda ts, y, g, axis: apply("expand_dims", ts[0], axis=axis),
        adjoint=lambda h, y, g, axis: (apply("sum", h, axis=axis),))


def _expanded(key, axis):
    if not shapes.known(key):
        return None
    axes = axis if isinstance(axis, tuple) else (axis,)
    dims = list(key)
    rank = len(key) + len(axes)
    for a in sorted(x % rank for x in axes):
        dims.insert(a, 1)
    return tuple(dims)


def reduction(name, sympy_fn, adjoint):
    def tangent(ts, y, x, axis=None, keepdims=False):
        return apply(name, ts[0], axis=axis, keepdims=keepdims) if name in ("sum", "mean") else \
            apply("sum", ts[0] * _tie_weights(y, x, axis, keepdims), axis=axis, keepdims=keepdims)

    return defprim(name, lambda x, axis=None, keepdims=False: f"np.{name}({x}{_kwargs(axis=axis, keepdims=keepdims)})",
                   sympy=sympy_fn, shape=shapes.reduce, tangent=tangent, adjoint=adjoint)


def _tie_weights(y, x, axis, keepdims):
    """Where x attains its max/min, split equally among the ties."""
    hit = apply("where", apply("equal", x, unreduce(y, x, axis=axis, keepdims=keepdims)), apply("ones_like", x), 0.0)
    return hit / unreduce(apply("sum", hit, axis=axis, keepdims=keepdims), x, axis=axis, keepdims=keepdims)


def _sym_reduce(fn):
    def meaning(x, axis=None, keepdims=False):
        return _reduce_object(np.asarray(x, dtype=object), fn, axis, keepdims)
    return meaning


def _sym_mean(x, axis, keepdims):
    total = _sym_reduce(lambda a, b: a + b)(x, axis, keepdims)
    return total * sympy.Rational(np.size(total), np.size(x))


def _reduce_object(x, fn, axis, keepdims):
    if axis is None:
        out = functools.reduce(fn, x.ravel().tolist())
        return np.full((1,) * x.ndim, out, dtype=object) if keepdims else out
    for a in sorted(shapes.axes_of(axis, x.ndim), reverse=True):
        x = np.apply_along_axis(lambda v: functools.reduce(fn, v.tolist()), a, x)
        x = np.asarray(x, dtype=object)
        if keepdims:
            x = np.expand_dims(x, a)
    return x


sum_ = reduction("sum", _sym_reduce(lambda a, b: a + b),
                 lambda g, y, x, axis=None, keepdims=False: (unreduce(g, x, axis, keepdims),))
mean = reduction("mean", lambda x, axis=None, keepdims=False: _sym_mean(x, axis, keepdims),
                 lambda g, y, x, axis=None, keepdims=False: (unreduce(g * (size(y) / size(x)), x, axis, keepdims),))


class _Extremum(sympy.Function):
    """The meaning of np.max / np.min: SymPy's Max / Min, but with the derivative of the rules, which split the
    cotangent equally among the k tied arguments. SymPy's own give every tied argument Heaviside(0) = 1/2:
    the same for two ties, but 3/2 in all for three. (Subclassing Max instead breaks its evaluation.)"""

    extremum = None  # sympy.Max or sympy.Min
    sign = 1         # +1: the largest argument attains it; -1: the smallest

    @classmethod
    def eval(cls, *args):
        if any(isinstance(a, cls) for a in args):  # nested pairwise reductions: one extremum of all
            return cls(*(b for a in args for b in (a.args if isinstance(a, cls) else (a,))))
        value = cls.extremum(*args)
        if not isinstance(value, cls.extremum):  # decided (numbers, a single or dominating argument)
            return value
        if len(value.args) < len(args):  # dominated arguments dropped
            return cls(*value.args)
        return None

    def fdiff(self, argindex=1):
        args = self.args
        hits = [sympy.Heaviside(self.sign * (a - self.extremum(*args[:i], *args[i + 1:])), 1)  # 1 if a attains it
                for i, a in enumerate(args)]
        return hits[argindex - 1] / sympy.Add(*hits)


class SplitMax(_Extremum):
    extremum, sign = sympy.Max, 1


class SplitMin(_Extremum):
    extremum, sign = sympy.Min, -1


max_ = reduction("max", _sym_reduce(SplitMax), lambda g, y, x, axis=None, keepdims=False:
                 (unreduce(g, x, axis, keepdims) * _tie_weights(y, x, axis, keepdims),))
min_ = reduction("min", _sym_reduce(SplitMin), lambda g, y, x, axis=None, keepdims=False:
                 (unreduce(g, x, axis, keepdims) * _tie_weights(y, x, axis, keepdims),))

# ---- broadcasting bookkeeping (emitted by the rules above) --------------------------------------

helper('''
def _unbroadcast(g, x):
    """Sum g over the axes that broadcasting added to x's shape."""
    shape = np.shape(x)
    if np.shape(g) == shape:
        return g
    lead = np.ndim(g) - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1)
    return np.reshape(np.sum(g, axis=axes), shape)
''')


def _unbroadcast_src(g, x):
    return f"_unbroadcast({g}, {x})"


defprim("unbroadcast", _unbroadcast_src, shape=lambda g, x: x, shape_args=(1,),
        tangent=lambda ts, y, g, x: None if ts[0] is None else unbroadcast(ts[0], x),
        adjoint=lambda h, y, g, x: (broadcast_like(h, g), None), diff_args=(0,), sympy=lambda g, x: _sym_unbroadcast(g, x))
defprim("broadcast_like", "np.broadcast_arrays({0}, {1})[0]", shape=lambda t, ref: ref, shape_args=(1,),
        tangent=lambda ts, y, t, ref: None if ts[0] is None else broadcast_like(ts[0], ref),
        adjoint=lambda h, y, t, ref: (unbroadcast(h, t), None), diff_args=(0,),
        sympy=lambda t, ref: t if np.shape(t) == np.shape(ref) else np.broadcast_to(np.asarray(t, dtype=object), np.shape(ref)))
defprim("sum_axes", lambda g, lead=(), units=(): _sum_axes_src(g, lead, units),
        shape=lambda g, lead=(), units=(): tuple(1 if i in units else d for i, d in enumerate(g[len(lead):]))
        if shapes.known(g) else None,
        tangent=lambda ts, y, g, **kw: apply("sum_axes", ts[0], **kw),
        adjoint=lambda h, y, g, **kw: (broadcast_like(h, g),))


def _sum_axes_src(g, lead, units):
    if lead:
        g = f"np.sum({g}, axis={lead if len(lead) > 1 else lead[0]!r})"
    if units:
        g = f"np.sum({g}, axis={units if len(units) > 1 else units[0]!r}, keepdims=True)"
    return g


def _sym_unbroadcast(g, x):
    g, shape = np.asarray(g, dtype=object), np.shape(x)
    if g.shape == shape:
        return g if shape else g.item()
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1)
    out = _reduce_object(g, lambda a, b: a + b, axes, False)
    out = np.reshape(np.asarray(out, dtype=object), shape)
    return out if shape else out.item()


PRIMS["sum_axes"].sympy = lambda g, lead=(), units=(): _sym_sum_axes(g, lead, units)


def _sym_sum_axes(g, lead, units):
    g = np.asarray(g, dtype=object)
    if lead:
        g = np.asarray(_reduce_object(g, lambda a, b: a + b, lead, False), dtype=object)
    if units:
        g = np.asarray(_reduce_object(g, lambda a, b: a + b, units, True), dtype=object)
    return g if g.shape else g.item()


# ---- linear algebra ----------------------------------------------------------------------------------

def _obj(x):
    return np.asarray(x, dtype=object)


def _scalar_or_array(x):
    x = np.asarray(x, dtype=object)
    return x.item() if x.shape == () else x


def _bilinear_tangent(op):
    """Tangent of a product-like op: op(ta, b) + op(a, tb)."""
    def tangent(ts, y, a, b):
        terms = [op(ts[0], b) if ts[0] is not None else None, op(a, ts[1]) if ts[1] is not None else None]
        terms = [t for t in terms if t is not None]
        return terms[0] if len(terms) == 1 else terms[0] + terms[1]
    return tangent


def _dot_adjoint(g, y, a, b):
    ra, rb = rank(a), rank(b)
    if ra is None or rb is None or ra > 2 or rb > 2:
        return _rank_generic_vjp("dot", g, a, b)
    if ra == 0 or rb == 0 or ra == rb == 1:  # vector . vector: g is a scalar (Dask's dot rejects 0-d operands)
        return (Lazy(lambda: unbroadcast(g * b, a)), Lazy(lambda: unbroadcast(g * a, b)))
    return (Lazy(lambda: outer(g, b) if (ra, rb) == (2, 1) else dot(g, b.T)),
            Lazy(lambda: outer(a, g) if (ra, rb) == (1, 2) else dot(a.T, g)))


def _matmul_adjoint(g, y, a, b):
    ra, rb = rank(a), rank(b)
    if ra is None or rb is None or (min(ra, rb) == 1 and max(ra, rb) > 2):
        return _rank_generic_vjp("matmul", g, a, b)
    if ra == 1 and rb == 1:
        return (Lazy(lambda: g * b), Lazy(lambda: g * a))
    if rb == 1:
        return (Lazy(lambda: outer(g, b)), Lazy(lambda: g @ a))
    if ra == 1:
        return (Lazy(lambda: b @ g), Lazy(lambda: outer(a, g)))
    return (Lazy(lambda: unbroadcast(g @ swap_last(b), a)), Lazy(lambda: unbroadcast(swap_last(a) @ g, b)))


def swap_last(x):
    return x.T if rank(x) == 2 else apply("swapaxes", x)


dot = defprim("dot", "np.dot({0}, {1})", sympy=lambda a, b: _scalar_or_array(np.dot(_obj(a), _obj(b))),
              shape=shapes.dot, tangent=_bilinear_tangent(lambda a, b: dot(a, b)), adjoint=_dot_adjoint)
matmul = defprim("matmul", "{0} @ {1}", sympy=lambda a, b: _scalar_or_array(np.matmul(_obj(a), _obj(b))),
                 shape=shapes.matmul, tangent=_bilinear_tangent(lambda a, b: a @ b), adjoint=_matmul_adjoint)
def _outer_adjoint(g, y, a, b):
    """np.outer flattens its arguments; the cotangents are reshaped back."""
    flat = lambda x: x if rank(x) == 1 else apply("reshape", x, Const((-1,)))  # noqa: E731
    back = lambda v, x: v if rank(x) == 1 else apply("reshape", v, shape_(x))  # noqa: E731
    return (Lazy(lambda: back(dot(g, flat(b)), a)), Lazy(lambda: back(dot(g.T, flat(a)), b)))


outer = defprim("outer", "np.outer({0}, {1})", sympy=lambda a, b: np.outer(_obj(a), _obj(b)),
                shape=lambda a, b: (a[0], b[0]) if shapes.known(a) and shapes.known(b) and len(a) == len(b) == 1
                else None,
                tangent=_bilinear_tangent(lambda a, b: outer(a, b)), adjoint=_outer_adjoint)
swapaxes = defprim("swapaxes", "np.swapaxes({0}, -1, -2)", sympy=lambda a: np.swapaxes(_obj(a), -1, -2),
                   shape=lambda a: a[:-2] + a[:-3:-1] if shapes.known(a) else None,
                   tangent=lambda ts, y, a: apply("swapaxes", ts[0]),
                   adjoint=lambda g, y, a: (apply("swapaxes", g),))

helper('''
def _dot_vjp(g, a, b):
    """Cotangents (da, db) of y = np.dot(a, b) for scalars, vectors and matrices."""
    na, nb = np.ndim(a), np.ndim(b)
    if na == 0 or nb == 0 or na == nb == 1:
        return _unbroadcast(g * b, a), _unbroadcast(g * a, b)
    if na > 2 or nb > 2:  # sum over a's last axis and b's second-to-last (its only one when 1-D)
        k = max(nb - 2, 0)
        da = np.tensordot(g, b, axes=(list(range(na - 1, np.ndim(g))), [i for i in range(nb) if i != k]))
        db = np.moveaxis(np.tensordot(a, g, axes=(list(range(na - 1)), list(range(na - 1)))), 0, k)
        return da, db
    da = np.outer(g, b) if (na, nb) == (2, 1) else np.dot(g, np.transpose(b))
    db = np.outer(a, g) if (na, nb) == (1, 2) else np.dot(np.transpose(a), g)
    return da, db
''')
helper('''
def _matmul_vjp(g, a, b):
    """Cotangents (da, db) of y = a @ b for any ranks, batched dimensions included."""
    a2 = a[None, :] if np.ndim(a) == 1 else a
    b2 = b[:, None] if np.ndim(b) == 1 else b
    g2 = g
    if np.ndim(b) == 1:
        g2 = np.expand_dims(g2, -1)
    if np.ndim(a) == 1:
        g2 = np.expand_dims(g2, -2)
    da = _unbroadcast(g2 @ np.swapaxes(b2, -1, -2), a2)
    db = _unbroadcast(np.swapaxes(a2, -1, -2) @ g2, b2)
    return np.reshape(da, np.shape(a)), np.reshape(db, np.shape(b))
''')
defprim("dot_vjp", "_dot_vjp({0}, {1}, {2})", sympy=lambda g, a, b: _sym_vjp(g, a, b))
defprim("matmul_vjp", "_matmul_vjp({0}, {1}, {2})", sympy=lambda g, a, b: _sym_vjp(g, a, b))


def _rank_generic_vjp(name, g, a, b):
    """(da, db) through a helper that inspects ranks at run time."""
    both = apply(name + "_vjp", g, a, b)
    return tuple(Lazy(lambda i=i: apply("index", both, spec=(("int", i),))) for i in (0, 1))


def _sym_vjp(g, a, b):
    """Cotangents of a and b through dot/matmul on object arrays (for the symbolic check)."""
    a, b, g = _obj(a), _obj(b), _obj(g)
    if a.ndim == 0 or b.ndim == 0:
        return _sym_unbroadcast(g * b, a), _sym_unbroadcast(g * a, b)
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    g2 = g
    if b.ndim == 1:
        g2 = np.expand_dims(g2, -1)
    if a.ndim == 1:
        g2 = np.expand_dims(g2, -2)
    da = _sym_unbroadcast(np.matmul(g2, np.swapaxes(b2, -1, -2)), a2)
    db = _sym_unbroadcast(np.matmul(np.swapaxes(a2, -1, -2), g2), b2)
    return _scalar_or_array(np.reshape(_obj(da), a.shape)), _scalar_or_array(np.reshape(_obj(db), b.shape))


def _transpose_src(x, axes=None):
    return f"{x}.T" if axes is None else f"np.transpose({x}, {axes!r})"


def _inverse(axes):
    return None if axes is None else tuple(int(i) for i in np.argsort([a % len(axes) for a in axes]))


transpose = defprim("transpose", _transpose_src, sympy=lambda x, axes=None: np.transpose(_obj(x), axes),
                    shape=shapes.transpose,
                    tangent=lambda ts, y, x, axes=None: apply("transpose", ts[0], axes=axes),
                    adjoint=lambda g, y, x, axes=None: (apply("transpose", g, axes=_inverse(axes)),))
eye_like = nondiff("eye_like", "np.eye(*np.shape({0}))", lambda a: np.eye(*np.shape(a), dtype=int).astype(object),
                   lambda a: a)
trace_ = defprim("trace", "np.trace({0})", sympy=lambda a: _scalar_or_array(np.trace(_obj(a))),
                 shape=lambda a: a[2:] if shapes.known(a) and len(a) >= 2 else None,
                 tangent=lambda ts, y, a: apply("trace", ts[0]),
                 adjoint=lambda g, y, a: (g * eye_like(a),) if rank(a) == 2 else (apply("trace_vjp", g, a),))
helper('''
def _trace_vjp(g, a):
    """The cotangent of np.trace(a) for any rank: g on the diagonal of a's first two axes, zeros elsewhere."""
    n, m = np.shape(a)[:2]
    return np.reshape(np.eye(n, m), (n, m) + (1,) * (np.ndim(a) - 2)) * g
''')


def _sym_trace_vjp(g, a):
    n, m = np.shape(a)[:2]
    eye = np.eye(n, m, dtype=int).astype(object)
    return np.reshape(eye, (n, m) + (1,) * (np.ndim(a) - 2)) * _obj(g)


defprim("trace_vjp", "_trace_vjp({0}, {1})", sympy=_sym_trace_vjp, shape=lambda g, a: a, shape_args=(1,),
        tangent=lambda ts, y, g, a: apply("trace_vjp", ts[0], a),
        adjoint=lambda h, y, g, a: (apply("trace", h), None), diff_args=(0,))
reshape = defprim("reshape", "np.reshape({0}, {1})", sympy=lambda x, s: np.reshape(_obj(x), s),
                  shape=lambda x, s: s[1] if s[:1] == ("shapeof",) else
                  shapes.from_literal(s[1]) if s[:1] == ("const",) and -1 not in s[1] else None,
                  tangent=lambda ts, y, x, s: apply("reshape", ts[0], s),
                  adjoint=lambda g, y, x, s: (apply("reshape", g, shape_(x)), None), diff_args=(0,))
tuple_ = nondiff("tuple", lambda *xs: "(" + ", ".join(xs) + ("," if len(xs) == 1 else "") + ")",
                 lambda *xs: tuple(xs))


def _where_tangent(ts, y, c, a, b):
    ta = ts[1] if ts[1] is not None else 0.0
    tb = ts[2] if ts[2] is not None else 0.0
    return broadcast_like(where(c, ta, tb), y)


where = defprim("where", "np.where({0}, {1}, {2})",
                sympy=_vectorized(lambda c, a, b: sympy.Piecewise((a, c), (b, True))),
                shape=shapes.broadcast, tangent=_where_tangent, diff_args=(1, 2),
                adjoint=lambda g, y, c, a, b: (None, Lazy(lambda: unbroadcast(where(c, g, 0.0), a)),
                                                Lazy(lambda: unbroadcast(where(c, 0.0, g), b))))


def _norm_src(x, ord=None):
    return f"np.linalg.norm({x}{_kwargs(ord=ord)})"


def _norm_divisor(y):
    """The norm y as a divisor of x, 1 where it is 0: there x is 0 too, and x / 1 gives the midpoint
    subgradient 0 of the norm's kink at the origin (x / y would be 0 / 0)."""
    return where(apply("equal", y, 0.0), 1.0, y)


norm = defprim("norm", _norm_src,
               sympy=lambda x, ord=None: sympy.sqrt(sum(v ** 2 for v in _obj(x).ravel().tolist())),
               shape=lambda x, ord=None: shapes.SCALAR,
               tangent=lambda ts, y, x, ord=None: apply("sum", x * ts[0]) / _norm_divisor(y),
               adjoint=lambda g, y, x, ord=None: (g * x / _norm_divisor(y),))

# ---- indexing and joining ------------------------------------------------------------------------------


def _index_text(spec, dyn):
    def bound(b):
        return "" if b is None else dyn[b[1] - 1] if isinstance(b, tuple) else str(b)

    parts = []
    for item in spec:
        kind = item[0]
        if kind == "int":
            parts.append(str(item[1]))
        elif kind == "arg":
            parts.append(dyn[item[1] - 1])
        elif kind == "newaxis":
            parts.append("None")
        elif kind == "ellipsis":
            parts.append("...")
        else:
            start, stop, step = (bound(b) for b in item[1:])
            parts.append(f"{start}:{stop}" + (f":{step}" if step else ""))
    return ", ".join(parts) if len(parts) != 1 or parts[0] == "..." else parts[0] + ("" if kind != "ellipsis" else "")


def _index_src(x, *dyn, spec):
    return f"{x}[{_index_text(spec, dyn)}]"


def _sym_index(x, *dyn, spec):
    key = []
    for item in spec:
        kind = item[0]
        if kind == "int":
            key.append(item[1])
        elif kind == "arg":
            key.append(int(dyn[item[1] - 1]))
        elif kind == "newaxis":
            key.append(None)
        elif kind == "ellipsis":
            key.append(Ellipsis)
        else:
            key.append(slice(*(int(dyn[b[1] - 1]) if isinstance(b, tuple) else b for b in item[1:])))
    if isinstance(x, tuple):
        return x[key[0]]
    return _scalar_or_array(_obj(x)[tuple(key)])


helper('''
def _scatter(g, x, index):
    """The cotangent of x[index]: g placed at index, zeros elsewhere (an array of x's kind, or g's when only
    g is not NumPy, so Dask or CuPy arrays stay where they are)."""
    dtype = np.result_type(g, x, 1.0)  # x's precision too: a Python float g keeps a float32 x float32
    if isinstance(x, np.ndarray) and not isinstance(g, (np.ndarray, np.generic, float, int)):
        out = np.zeros_like(g, shape=np.shape(x), dtype=dtype)
    else:
        out = np.zeros_like(x, dtype=dtype)
    items = index if isinstance(index, tuple) else (index,)
    if any(i is None for i in items):  # Dask cannot assign through np.newaxis
        index = tuple(i for i in items if i is not None)
        g = np.reshape(g, np.shape(out[index]))
    if any(isinstance(i, (list, np.ndarray)) and np.asarray(i).dtype != bool for i in items):
        np.add.at(out, index, g)  # an integer-array index may repeat: the repeats' cotangents add up
    else:
        out[index] = g
    return out
''')

index = defprim("index", _index_src, sympy=_sym_index, shape=lambda x, *dyn, spec: shapes.index(x, spec, dyn),
                tangent=lambda ts, y, x, *dyn, spec: apply("index", ts[0], *dyn, spec=spec),
                adjoint=lambda g, y, x, *dyn, spec: (apply("scatter", g, x, *dyn, spec=spec),) + (None,) * len(dyn),
                diff_args=(0,))


def _sym_scatter(g, x, *dyn, spec):
    out = np.zeros(np.shape(x), dtype=int).astype(object)
    probe = np.arange(out.size).reshape(out.shape)
    picked = _obj(_sym_index(probe, *dyn, spec=spec))
    flat = out.ravel()
    for pos, value in zip(np.asarray(picked).ravel().tolist(), np.broadcast_to(_obj(g), np.shape(picked)).ravel().tolist()):
        flat[pos] = flat[pos] + value
    return _scalar_or_array(flat.reshape(out.shape))


defprim("scatter", lambda g, x, *dyn, spec: f"_scatter({g}, {x}, np.s_[{_index_text(spec, dyn)}])",
        sympy=_sym_scatter, shape=lambda g, x, *dyn, spec: x, diff_args=(0,), shape_args=(1,),
        tangent=lambda ts, y, g, x, *dyn, spec: None if ts[0] is None else apply("scatter", ts[0], x, *dyn, spec=spec),
        adjoint=lambda h, y, g, x, *dyn, spec: (apply("index", h, *dyn, spec=spec),) + (None,) * (1 + len(dyn)))


def _seq(xs):
    return "(" + ", ".join(xs) + ("," if len(xs) == 1 else "") + ")"


helper('''
def _piece(g, axis, i, *parts):
    """The slice of g = np.concatenate(parts, axis) that came from parts[i]: its cotangent (by slicing, which
    Dask supports; counted from the last axis, so a leading batch axis of g does not matter)."""
    axis = axis % np.ndim(parts[i]) - np.ndim(parts[i])
    start = sum(np.shape(p)[axis] for p in parts[:i])
    return g[(Ellipsis, slice(start, start + np.shape(parts[i])[axis])) + (slice(None),) * (-1 - axis)]
''')

concatenate = defprim(
    "concatenate", lambda *xs, axis=0: f"np.concatenate({_seq(xs)}{_kwargs(axis=axis) if axis else ''})",
    sympy=lambda *xs, axis=0: np.concatenate([_obj(x) for x in xs], axis=axis), shape=shapes.join,
    tangent=lambda ts, y, *xs, axis=0: apply("concatenate", *[t if t is not None else zeros_like(x)
                                                              for t, x in zip(ts, xs)], axis=axis),
    adjoint=lambda g, y, *xs, axis=0: tuple(Lazy(lambda i=i: apply("piece", g, *xs, i=i, axis=axis))
                                            for i in range(len(xs))))
defprim("piece", lambda g, *xs, i, axis: f"_piece({g}, {axis!r}, {i!r}, {', '.join(xs)})",
        shape=lambda g, *xs, i, axis: g[:len(g) - len(xs[i])] + xs[i]
        if shapes.known(g) and shapes.known(xs[i]) and len(g) >= len(xs[i]) else None,
        tangent=lambda ts, y, g, *xs, **kw: None if ts[0] is None else apply("piece", ts[0], *xs, **kw),
        sympy=lambda g, *xs, i, axis: np.split(_obj(g), np.cumsum([np.shape(x)[axis] for x in xs])[:-1],
                                               axis=axis)[i])
stack = defprim(
    "stack", lambda *xs, axis=0: f"np.stack({_seq(xs)}{_kwargs(axis=axis) if axis else ''})",
    sympy=lambda *xs, axis=0: np.stack([_obj(x) for x in xs], axis=axis),
    shape=lambda *xs, axis=0: shapes.join(*xs, axis=axis, stack=True),
    tangent=lambda ts, y, *xs, axis=0: apply("stack", *[t if t is not None else zeros_like(x)
                                                        for t, x in zip(ts, xs)], axis=axis),
    adjoint=lambda g, y, *xs, axis=0: tuple(Lazy(lambda i=i: apply("take", g, index=i, axis=axis))
                                            for i in range(len(xs))))
defprim("take", "np.take({0}, {index}, axis={axis})", shape=lambda g, index, axis: shapes.reduce(g, axis),
        sympy=lambda g, index, axis: _scalar_or_array(np.take(_obj(g), index, axis=axis)),
        tangent=lambda ts, y, g, **kw: apply("take", ts[0], **kw))


for _name in ("shape", "size", "ndim", "len", "zeros_like", "ones_like", "eye_like"):
    PRIMS[_name].shape_args = (0,)


# ---- the stack that carries values from a loop's forward sweep to its reverse sweep ------------------

def _push_src(stack, *values):
    return f"{stack}.append({values[0] if len(values) == 1 else '(' + ', '.join(values) + ')'})"


defprim("new_stack", "[]", effect=True, statement_value=True, sympy=lambda: [])
defprim("push", _push_src, effect=True, sympy=lambda stack, *values: stack.append(values[0] if len(values) == 1
                                                                                  else tuple(values)))
defprim("pop", "{0}.pop()", effect=True, statement_value=True, sympy=lambda stack: stack.pop())


# ---- what a loop collects to sum outer products after it (accumulate.py) -----------------------------------

helper('''
def _rows(vectors):
    """Equally long vectors as the rows of a matrix, in their own array library (np.stack dispatches to Dask)."""
    if set(map(type, vectors)) == {np.ndarray}:
        return np.array(vectors)  # NumPy's fast path
    return np.stack(vectors)
''')
defprim("rows", "_rows({0})", sympy=lambda vectors: np.array(vectors, dtype=object))


# ---- which results are positive (> 0) when their arguments are ---------------------------------------------
# A division by, or the log or sqrt of, a value known positive cannot make inf or nan (see Prim.singular):
# 1 / (1 + exp(-z)) and log(sum(exp(u - max(u)))) keep plain products in their derivatives. (Underflow
# is ignored: exp(-800) is 0.0 in floating point, but positive here.)

def _all_positive(*positive):
    return all(positive)


def _first_positive(*positive):
    return positive[0]


for _names, _rule in ((("exp", "cosh", "len", "size", "ones_like"), lambda *p: True),
                      (("add", "mul", "div", "sum", "mean", "max", "min", "stack", "concatenate"), _all_positive),
                      (("maximum",), lambda *p: any(p)),
                      (("pow", "power", "sqrt", "expm1", "log1p", "index", "transpose", "reshape", "expand_dims",
                        "unreduce", "broadcast_like"), _first_positive)):
    for _name in _names:
        PRIMS[_name].positive = _rule


# ---- vector mode: the same operations on values with a leading batch axis ---------------------------------
# A batched value holds n values of the primal shape stacked along a new first axis. Each rule
# rewrites an op so it acts on every slice at once: elementwise ops broadcast (after lining the
# primal axes up), axis arguments shift by one, matrix products keep the batch axis in front.

def _rank(x):
    r = primal_rank(x)
    if r is None:
        raise WengertError("Hessians and Jacobians compute all directions at once, which needs the rank of "
                           "every array", GENERATED, 0, 0, "",
                           "on the command line give --shape x=n (x=n,m for a matrix); from Python, "
                           "call the function on arrays")
    return r


def _lift_rank(b, x, rank):
    """A batched x with its primal axes padded on the left to `rank` (so broadcasting lines up)."""
    r = _rank(x)
    if is_batched(x) and r < rank:
        return b.emit_batched("expand_dims", (x,), {"axis": tuple(range(1, 1 + rank - r))})
    return x


def _batch_elementwise(b, name, args, attrs):
    rank = max(_rank(a) if isinstance(a, Var) else 0 for a in args)
    return b.emit_batched(name, [_lift_rank(b, a, rank) for a in args], attrs)


def _shift(axis, rank):
    """Axis argument for the batched op: every primal axis moves one to the right."""
    if axis is None:
        return tuple(range(1, rank + 1))
    if isinstance(axis, tuple):
        return tuple(a + 1 if a >= 0 else a for a in axis)
    return axis + 1 if axis >= 0 else axis


def _batch_reduction(name):
    def rule(b, x, axis=None, keepdims=False, **kw):
        return b.emit_batched(name, (x,), {"axis": _shift(axis, _rank(x)), "keepdims": keepdims, **kw})
    return rule


for _name in ("sum", "mean", "max", "min"):
    PRIMS[_name].batch = _batch_reduction(_name)

PRIMS["expand_dims"].batch = lambda b, g, axis: b.emit_batched("expand_dims", (g,), {"axis": _shift(axis, 99)})
PRIMS["sum_axes"].batch = lambda b, g, lead=(), units=(): b.emit_batched(
    "sum_axes", (g,), {"lead": tuple(a + 1 for a in lead), "units": tuple(u + 1 for u in units)})
PRIMS["transpose"].batch = lambda b, x, axes=None: b.emit_batched(
    "transpose", (x,), {"axes": (0,) + (tuple(a + 1 for a in axes) if axes else tuple(range(_rank(x), 0, -1)))})
PRIMS["trace"].batch = lambda b, a: b.emit_batched("trace_last", (a,))
defprim("trace_last", "np.trace({0}, axis1=-2, axis2=-1)", shape=lambda a: a[:-2] if shapes.known(a) else None)
PRIMS["index"].batch = lambda b, x, *dyn, spec: b.emit_batched(
    "index", (x,) + dyn, {"spec": (("slice", None, None, None),) + spec})
defprim("broadcast_batch", "np.broadcast_to({0}, np.shape({0})[:1] + np.shape({1}))",
        shape=lambda t, ref: t[:1] + ref if shapes.known(t) and shapes.known(ref) else None)


def _batch_broadcast_like(b, t, ref):
    if is_batched(t) and not is_batched(ref) and shapes.known(key(t)) and key(t)[1:] == key(ref):
        return t
    if is_batched(ref):
        return b.emit_batched("broadcast_like", (_lift_rank(b, t, _rank(ref)), ref))
    return b.emit_batched("broadcast_batch", (_lift_rank(b, t, _rank(ref)), ref))


def _batch_unreduce(b, g, x, axis=None, keepdims=False):
    if axis is not None and not keepdims:
        g = b.emit_batched("expand_dims", (g,), {"axis": _shift(axis, _rank(x))})
    return _batch_broadcast_like(b, g, x)


def _batch_unbroadcast(b, g, x):
    gk, xk = key(g), key(x)
    if shapes.known(gk) and gk[1:] == xk:
        return g
    axes = shapes.unbroadcast_axes(gk[1:], xk) if shapes.known(gk) else None
    if axes is None:
        return b.emit_batched("unbroadcast_batch", (g, x))
    lead, units = axes
    if not lead and not units:
        return g
    return b.emit_batched("sum_axes", (g,), {"lead": tuple(a + 1 for a in lead), "units": tuple(u + 1 for u in units)})


helper('''
def _unbroadcast_batch(g, x):
    """_unbroadcast for a batch of cotangents: the leading batch axis stays."""
    shape = np.shape(x)
    if np.shape(g)[1:] == shape:
        return g
    lead = np.ndim(g) - 1 - len(shape)
    axes = tuple(range(1, 1 + lead)) + tuple(1 + lead + i for i, n in enumerate(shape) if n == 1)
    return np.reshape(np.sum(g, axis=axes), np.shape(g)[:1] + shape)
''')
defprim("unbroadcast_batch", "_unbroadcast_batch({0}, {1})", shape=lambda g, x: _batch_of(g, x))
PRIMS["broadcast_like"].batch = _batch_broadcast_like
PRIMS["unreduce"].batch = _batch_unreduce
PRIMS["unbroadcast"].batch = _batch_unbroadcast


def _batch_matmul(b, a, c):
    """a @ c with one side batched: the batch axis stays in front."""
    ra, rc = _rank(a), _rank(c)
    if is_batched(a) and is_batched(c):
        if ra >= 2 and rc >= 2:
            return b.emit_batched("matmul", (a, c))
        raise WengertError("vector mode of a product of two batched vectors is not supported", GENERATED,
                           0, 0, "", "use a lower derivative order")
    if is_batched(a):
        seed = b.defs.get(a.name)
        if seed is not None and seed.prim == "basis" and _rank(a) == 1 and rc == 2:
            return b.emit_batched("as_batch", (c,))      # the unit directions times c: c's rows
        return b.emit_batched("matmul", (a, c))          # (n, ..., k) @ c
    if rc == 1:                                           # a @ (n, k): each row of c is a vector
        seed = b.defs.get(c.name)
        if seed is not None and seed.prim == "basis" and ra == 2:
            return b.emit_batched("as_batch", (a.T,))      # a times each unit direction: a's columns
        return b.emit_batched("matmul", (c, a.T if ra == 2 else a))
    return b.emit_batched("matmul", (a, c))              # a @ (n, ..., k, m)


def _batch_dot(b, a, c):
    if _rank(a) == 0 or _rank(c) == 0:
        return _batch_elementwise(b, "mul", (a, c), {})
    return _batch_matmul(b, a, c)


PRIMS["matmul"].batch = _batch_matmul
PRIMS["dot"].batch = _batch_dot


def _batch_outer(b, a, c):
    if is_batched(a):
        return _batch_elementwise(b, "mul", (b.emit_batched("expand_dims", (a,), {"axis": 2}), c), {})
    return _batch_elementwise(b, "mul", (b.emit_plain("expand_dims", (a,), {"axis": 1}), c), {})


PRIMS["outer"].batch = _batch_outer


def _batch_reshape(b, x, s):
    return b.emit_batched("reshape_batch", (x, s))


defprim("reshape_batch", "np.reshape({0}, np.shape({0})[:1] + tuple({1}))",
        shape=lambda x, s: _batch_of(x, PRIMS["reshape"].shape(None, s)))
PRIMS["reshape"].batch = _batch_reshape


def _batch_scatter(b, g, x, *dyn, spec):
    return b.emit_batched("scatter_batch", (g, x) + dyn, {"spec": spec})


helper('''
def _scatter_batch(g, x, index):
    """Batched cotangent of x[index]: each slice g[i] placed at index in zeros shaped like x."""
    out = np.zeros(np.shape(g)[:1] + np.shape(x), dtype=np.result_type(g, 1.0))
    items = index if isinstance(index, tuple) else (index,)
    if any(isinstance(i, (list, np.ndarray)) and np.asarray(i).dtype != bool for i in items):
        np.add.at(out, (slice(None),) + items, g)  # repeated integer indices accumulate
    else:
        out[(slice(None),) + items] = g
    return out
''')
defprim("scatter_batch", lambda g, x, *dyn, spec: f"_scatter_batch({g}, {x}, np.s_[{_index_text(spec, dyn)}])",
        shape=lambda g, x, *dyn, spec: _batch_of(g, x))


def _batch_of(batched, like):
    """Shape key of a batch of values shaped like `like`."""
    return batched[:1] + like if shapes.known(batched) and batched and shapes.known(like) else None
PRIMS["scatter"].batch = _batch_scatter


def _batch_where(b, c, x, y):
    return _batch_elementwise(b, "where", (c, x, y), {})


PRIMS["where"].batch = _batch_where


def _batch_join(name):
    def rule(b, *xs, axis=0):
        ref = next(x for x in xs if is_batched(x))
        parts = [x if is_batched(x) else b.emit_batched("batch_like", (x, ref)) for x in xs]
        return b.emit_batched(name, parts, {"axis": _shift(axis, _rank(ref))})
    return rule


defprim("batch_like", "np.broadcast_to({0}, np.shape({1})[:1] + np.shape({0}))", nondiff=False,
        shape=lambda x, ref: ref[:1] + x if shapes.known(x) and shapes.known(ref) else None)
defprim("zeros_batch", "np.zeros(np.shape({1})[:1] + np.shape({0}))", nondiff=True,
        shape=lambda x, ref: ref[:1] + x if shapes.known(x) and shapes.known(ref) else None)
defprim("as_batch", "{0}", shape=lambda x: ("batch",) + x[1:] if shapes.known(x) else None)  # x's rows, as a batch
defprim("basis", "np.reshape(np.eye(np.size({0}), dtype=np.result_type({0}, 1.0)), (np.size({0}),) + np.shape({0}))",
        nondiff=True,  # unit directions in x's float type: float32 stays float32, integers become float64
        shape=lambda x: ("batch",) + x if shapes.known(x) else None)


PRIMS["concatenate"].batch = _batch_join("concatenate")
PRIMS["stack"].batch = _batch_join("stack")
PRIMS["piece"].batch = lambda b, g, *xs, **kw: b.emit_batched("piece", (g,) + xs, kw)
PRIMS["take"].batch = lambda b, g, index, axis: b.emit_batched("take", (g,), {"index": index, "axis": _shift(axis, 99)})
PRIMS["swapaxes"].batch = lambda b, x: b.emit_batched("swapaxes", (x,))
for _name in ("zeros_like", "ones_like"):
    PRIMS[_name].batch = lambda b, x, _n=_name: b.emit_batched(_n, (x,))
defprim("reshape_pair", "np.reshape({0}, np.shape({1}) + np.shape({2}))")
defprim("jacobian_layout", "np.reshape(np.moveaxis({0}, 0, -1), np.shape({1}) + np.shape({2}))")


# ---- h_items ----
# Item assignment as functional updates (see parse.py's item_assignment and inplace.py):
#   y2 = setitem(y1, e, *dyn, spec)   y2 is y1 with y2[spec] = e;   emitted as `y2[spec] = e` on y1's buffer
#   y2 = addat(y1, g, *dyn, spec)     y2 is y1 with g added at spec, repeats accumulating (np.add.at);
#                                     the adjoint of a read x[spec] accumulates into one buffer: `dx[i] += g`
#   y2 = copy(y1)                     a fresh array: what an item assignment may change
# An assignment overwrites: the cotangent of the overwritten values is 0 (dy1 = setitem(dy2, 0)), and of e it is
# dy2 at the places e went; where an integer-array index repeats, NumPy keeps the last write, so only that one
# gets a cotangent (_last_writes).

def _sym_key(spec, dyn):
    key = []
    for item in spec:
        kind = item[0]
        if kind == "int":
            key.append(item[1])
        elif kind == "arg":
            d = dyn[item[1] - 1]
            key.append(np.asarray(d).astype(int) if np.ndim(d) else int(d))
        elif kind == "newaxis":
            key.append(None)
        elif kind == "ellipsis":
            key.append(Ellipsis)
        else:
            key.append(slice(*(int(dyn[b[1] - 1]) if isinstance(b, tuple) else b for b in item[1:])))
    return tuple(key)


def _sym_setitem(y, e, *dyn, spec):
    out = np.array(_obj(y), dtype=object)
    out[_sym_key(spec, dyn)] = _obj(e)
    return out


def _sym_addat(y, g, *dyn, spec):
    out = np.array(_obj(y), dtype=object)
    np.add.at(out, _sym_key(spec, dyn), _obj(g))
    return out


def _may_repeat(dyn):
    """Can an index made of these dynamic items repeat a position (an integer array)? Scalars cannot."""
    return any(key(d) != shapes.SCALAR for d in dyn)


def _setitem_tangent(ts, y2, y, e, *dyn, spec):
    ty, te = ts[0], ts[1]
    if ty is None and te is None:
        return None
    return apply("setitem", ty if ty is not None else zeros_like(y), te if te is not None else 0.0, *dyn, spec=spec)


def _setitem_adjoint(g, y2, y, e, *dyn, spec):
    # what e gets is read before g is zeroed there (in place), as a copy unless it is known to be a number
    scalar = shapes.index(key(g), spec, [key(d) for d in dyn]) == shapes.SCALAR
    picked = apply("last_writes" if _may_repeat(dyn) else "index" if scalar else "index_copy", g, *dyn, spec=spec)
    return (Lazy(lambda: apply("setitem", g, 0.0, *dyn, spec=spec)),
            Lazy(lambda: unbroadcast(picked, e))) + (None,) * len(dyn)


def _addat_tangent(ts, y2, y, g, *dyn, spec):
    ty, tg = ts[0], ts[1]
    if tg is None:
        return ty
    return apply("addat", ty if ty is not None else zeros_like(y), tg, *dyn, spec=spec)


def _addat_adjoint(h, y2, y, g, *dyn, spec):
    return (h, Lazy(lambda: unbroadcast(apply("index", h, *dyn, spec=spec), g))) + (None,) * len(dyn)


helper('''
def _setitem(y, index, e):
    """A copy of y with y[index] = e."""
    y = y.copy()
    y[index] = e
    return y
''')
helper('''
def _add_at(y, index, g):
    """y with g added at index, in place; repeated integer indices accumulate."""
    items = index if isinstance(index, tuple) else (index,)
    if any(isinstance(i, (list, np.ndarray)) and np.asarray(i).dtype != bool for i in items):
        np.add.at(y, index, g)
    else:
        y[index] += g
    return y
''')
helper('''
def _last_writes(g, index):
    """g[index], where an assignment y[index] = e put e: where an integer-array index repeats a position,
    NumPy keeps the last write, so the earlier ones get 0."""
    out = g[index]
    items = index if isinstance(index, tuple) else (index,)
    if not any(isinstance(i, (list, np.ndarray)) and np.asarray(i).dtype != bool for i in items):
        return out.copy()
    flat = np.reshape(np.arange(np.size(g)).reshape(np.shape(g))[index], -1)
    _, last = np.unique(flat[::-1], return_index=True)
    keep = np.zeros(flat.size, dtype=bool)
    keep[flat.size - 1 - last] = True
    return np.where(np.reshape(keep, np.shape(out)), out, np.zeros_like(out))
''')

defprim("setitem", lambda y, e, *dyn, spec: f"_setitem({y}, np.s_[{_index_text(spec, dyn)}], {e})",
        sympy=_sym_setitem, shape=lambda y, e, *dyn, spec: y, diff_args=(0, 1), statement=True,
        tangent=_setitem_tangent, adjoint=_setitem_adjoint)
defprim("addat", lambda y, g, *dyn, spec: f"_add_at({y}.copy(), np.s_[{_index_text(spec, dyn)}], {g})",
        sympy=_sym_addat, shape=lambda y, g, *dyn, spec: y, diff_args=(0, 1), statement=True,
        tangent=_addat_tangent, adjoint=_addat_adjoint)
defprim("last_writes", lambda g, *dyn, spec: f"_last_writes({g}, np.s_[{_index_text(spec, dyn)}])",
        sympy=lambda g, *dyn, spec: _sym_index(g, *dyn, spec=spec),  # symbolic checks index with scalars
        shape=lambda g, *dyn, spec: shapes.index(g, spec, dyn), diff_args=(0,),
        tangent=lambda ts, y, g, *dyn, spec: apply("last_writes", ts[0], *dyn, spec=spec),
        adjoint=lambda h, y, g, *dyn, spec: (apply("scatter", h, g, *dyn, spec=spec),) + (None,) * len(dyn))
defprim("index_copy", lambda g, *dyn, spec: f"{g}[{_index_text(spec, dyn)}].copy()",
        sympy=lambda g, *dyn, spec: _sym_index(g, *dyn, spec=spec),
        shape=lambda g, *dyn, spec: shapes.index(g, spec, dyn), diff_args=(0,),
        tangent=lambda ts, y, g, *dyn, spec: apply("index_copy", ts[0], *dyn, spec=spec),
        adjoint=lambda h, y, g, *dyn, spec: (apply("scatter", h, g, *dyn, spec=spec),) + (None,) * len(dyn))
defprim("copy", "{0}.copy()", sympy=lambda y: np.array(_obj(y), dtype=object), shape=lambda y: y,
        tangent=lambda ts, y2, y: ts[0], adjoint=lambda g, y2, y: (g,))


def _batch_update(name):
    """setitem/addat with a batch axis: the target gets one (a copy per direction), the index a leading ':',
    and a batched value its primal axes lined up with the selection's."""
    def rule(b, y, e, *dyn, spec):
        ref = y if is_batched(y) else e
        if not is_batched(y):
            y = b.emit_batched("batch_like", (y, ref))
        if is_batched(e):
            picked = shapes.index(key(y), (("slice", None, None, None),) + spec, [key(d) for d in dyn])
            if picked is None:
                raise WengertError("Hessians and Jacobians through an item assignment need the shape of what it "
                                   "selects", GENERATED, 0, 0, "", "use hvp or jvp/vjp one direction at a time")
            e = _lift_rank(b, e, len(picked) - 1)
        return b.emit_batched(name, (y, e) + dyn, {"spec": (("slice", None, None, None),) + spec})
    return rule


PRIMS["setitem"].batch = _batch_update("setitem")
PRIMS["addat"].batch = _batch_update("addat")
PRIMS["last_writes"].batch = lambda b, g, *dyn, spec: b.emit_batched(
    "last_writes", (g,) + dyn, {"spec": (("slice", None, None, None),) + spec})
PRIMS["index_copy"].batch = lambda b, g, *dyn, spec: b.emit_batched(
    "index_copy", (g,) + dyn, {"spec": (("slice", None, None, None),) + spec})
PRIMS["copy"].batch = lambda b, y: b.emit_batched("copy", (y,))


# Index producers: no derivative (their values are positions).
nondiff("index_array", "np.array({0})", lambda t: np.array(t), lambda t: (len(t[1]),) if t[:1] == ("const",) else None)
nondiff("argmax", lambda x, axis=None: f"np.argmax({x}{_kwargs(axis=axis)})",
        lambda x, axis=None: np.argmax(np.asarray(x, dtype=float), axis=axis),
        lambda x, axis=None: shapes.reduce(x, axis))
nondiff("argmin", lambda x, axis=None: f"np.argmin({x}{_kwargs(axis=axis)})",
        lambda x, axis=None: np.argmin(np.asarray(x, dtype=float), axis=axis),
        lambda x, axis=None: shapes.reduce(x, axis))
nondiff("argsort", lambda x, axis=-1: f"np.argsort({x}{_kwargs(axis=axis) if axis != -1 else ''})",
        lambda x, axis=-1: np.argsort(np.asarray(x, dtype=float), axis=axis), lambda x, axis=-1: x)
nondiff("flatnonzero", "np.flatnonzero({0})", lambda x: np.flatnonzero(np.asarray(x, dtype=float)),
        lambda x: (None,))
