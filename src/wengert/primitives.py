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
import math as _math

import numpy as np
import sympy

from . import shapes
from .trace import apply


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
    helper: str = None             # inline helper function the emitted code needs
    statement: bool = False        # emitted as its own statement, never folded into an expression

    @property
    def helper_name(self):
        return self.helper.split("def ", 1)[1].split("(", 1)[0] if self.helper else None

    def shape_of(self, keys, attrs):
        attrs = {k: v for k, v in attrs.items() if k != "lib"}
        return self.shape(*keys, **attrs) if self.shape else None

    def source(self, args, attrs, lib="np"):
        template = self.math if lib == "math" and self.math else self.numpy
        attrs = {k: v for k, v in attrs.items() if k != "lib"}
        if callable(template):
            return template(*args, **attrs)
        return template.format(*args, **{k: repr(v) for k, v in attrs.items()})


PRIMS = {}


def defprim(name, numpy, **kw):
    PRIMS[name] = Prim(name, numpy, **kw)
    return functools.partial(apply, name)


# ---- helpers that emit ops ------------------------------------------------------

def unbroadcast(g, x):
    return apply("unbroadcast", g, x)


def broadcast_like(t, ref):
    return apply("broadcast_like", t, ref)


def zeros_like(x):
    return apply("zeros_like", x)


def kink(d):
    """1 where d > 0, 0 where d < 0, 1/2 at d == 0: the midpoint subgradient of max(d, 0)'s step."""
    return (sign(d) + 1) * 0.5


# ---- elementwise operations ---------------------------------------------------------

def _kwargs(**attrs):
    return "".join(f", {k}={v!r}" for k, v in attrs.items() if v is not None and v is not False)


def elementwise(name, numpy, sympy_fn, *partials, math=None, diff_args=None):
    """A broadcasting elementwise op given by its local partial derivatives d(y, *args)."""

    def tangent(ts, y, *args):
        terms = [broadcast_like(t * d(y, *args), y) for t, d in zip(ts, partials) if t is not None]
        return functools.reduce(lambda a, b: a + b, terms) if terms else None

    def adjoint(g, y, *args):
        return tuple(Lazy(lambda d=d, x=x: unbroadcast(g * d(y, *args), x)) for d, x in zip(partials, args))

    return defprim(name, numpy, math=math, sympy=sympy_fn, shape=shapes.broadcast,
                   tangent=tangent, adjoint=adjoint, diff_args=diff_args)


class Lazy:
    """A cotangent contribution built only if the argument is active."""

    def __init__(self, build):
        self.build = build


def unary(name, sympy_fn, d, math=None, numpy=None):
    return elementwise(name, numpy or f"np.{name}({{0}})", sympy_fn, d, math=math)


add = elementwise("add", "{0} + {1}", lambda a, b: a + b, lambda y, a, b: 1, lambda y, a, b: 1)
sub = elementwise("sub", "{0} - {1}", lambda a, b: a - b, lambda y, a, b: 1, lambda y, a, b: -1)
mul = elementwise("mul", "{0} * {1}", lambda a, b: a * b, lambda y, a, b: b, lambda y, a, b: a)
div = elementwise("div", "{0} / {1}", lambda a, b: a / b, lambda y, a, b: 1 / b, lambda y, a, b: -y / b)
pow_ = elementwise("pow", "{0} ** {1}", lambda a, b: a ** b,
                   lambda y, a, b: b * a ** (b - 1), lambda y, a, b: log(a) * y)
neg = unary("neg", lambda a: -a, lambda y, x: -1, numpy="-{0}")
sin = unary("sin", sympy.sin, lambda y, x: cos(x), math="math.sin({0})")
cos = unary("cos", sympy.cos, lambda y, x: -sin(x), math="math.cos({0})")
tan = unary("tan", sympy.tan, lambda y, x: 1 + y ** 2, math="math.tan({0})")
exp = unary("exp", sympy.exp, lambda y, x: y, math="math.exp({0})")
log = unary("log", sympy.log, lambda y, x: 1 / x, math="math.log({0})")
sqrt = unary("sqrt", sympy.sqrt, lambda y, x: 0.5 / y, math="math.sqrt({0})")
tanh = unary("tanh", sympy.tanh, lambda y, x: 1 - y ** 2, math="math.tanh({0})")
sinh = unary("sinh", sympy.sinh, lambda y, x: cosh(x), math="math.sinh({0})")
cosh = unary("cosh", sympy.cosh, lambda y, x: sinh(x), math="math.cosh({0})")
arctan = unary("arctan", sympy.atan, lambda y, x: 1 / (1 + x ** 2), math="math.atan({0})")
arcsin = unary("arcsin", sympy.asin, lambda y, x: 1 / sqrt(1 - x ** 2), math="math.asin({0})")
arccos = unary("arccos", sympy.acos, lambda y, x: -1 / sqrt(1 - x ** 2), math="math.acos({0})")
log1p = unary("log1p", lambda a: sympy.log(1 + a), lambda y, x: 1 / (1 + x), math="math.log1p({0})")
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
                   lambda y, x, lo, hi: kink(x - lo) * kink(hi - x), diff_args=(0,))

# ---- operations without a derivative ---------------------------------------------------

def nondiff(name, numpy, sympy_fn=None, shape=None, math=None):
    return defprim(name, numpy, math=math, sympy=sympy_fn, shape=shape, nondiff=True)


sign = nondiff("sign", "np.sign({0})", sympy.sign, shapes.broadcast)
less = nondiff("less", "{0} < {1}", lambda a, b: a < b, shapes.broadcast)
less_equal = nondiff("less_equal", "{0} <= {1}", lambda a, b: a <= b, shapes.broadcast)
greater = nondiff("greater", "{0} > {1}", lambda a, b: a > b, shapes.broadcast)
greater_equal = nondiff("greater_equal", "{0} >= {1}", lambda a, b: a >= b, shapes.broadcast)
equal = nondiff("equal", "{0} == {1}", lambda a, b: sympy.Eq(a, b), shapes.broadcast)
not_equal = nondiff("not_equal", "{0} != {1}", lambda a, b: sympy.Ne(a, b), shapes.broadcast)
shape_ = nondiff("shape", "np.shape({0})", lambda a: np.shape(a))
size = nondiff("size", "np.size({0})", lambda a: np.size(a), lambda a: shapes.SCALAR)
ndim = nondiff("ndim", "np.ndim({0})", lambda a: np.ndim(a), lambda a: shapes.SCALAR)
len_ = nondiff("len", "len({0})", len, lambda a: shapes.SCALAR)
zeros = nondiff("zeros", "np.zeros({0})", lambda s: np.zeros(s, dtype=object) * 0,
                lambda s: shapes.from_literal(s[1]) if isinstance(s, tuple) and s[:1] == ("const",) else None)
ones = nondiff("ones", "np.ones({0})", lambda s: np.ones(s, dtype=object),
               lambda s: shapes.from_literal(s[1]) if isinstance(s, tuple) and s[:1] == ("const",) else None)
eye = nondiff("eye", "np.eye({0})", lambda n: np.eye(n, dtype=int).astype(object))
zeros_like_ = nondiff("zeros_like", "np.zeros_like({0})", lambda a: np.zeros_like(np.asarray(a), dtype=object) * 0,
                      lambda a: a)
ones_like = nondiff("ones_like", "np.ones_like({0})", lambda a: np.ones_like(np.asarray(a), dtype=object),
                    lambda a: a)

# ---- reductions --------------------------------------------------------------------------


def unreduce(g, x, axis=None, keepdims=False):
    """Spread a reduction's cotangent back over the reduced axes."""
    return apply("unreduce", g, x, axis=axis, keepdims=keepdims)


def _unreduce_src(g, x, axis=None, keepdims=False):
    if axis is not None and not keepdims:
        g = f"np.expand_dims({g}, {axis!r})"
    return f"np.broadcast_to({g}, np.shape({x}))"


defprim("unreduce", _unreduce_src, shape=lambda g, x, axis=None, keepdims=False: x,
        tangent=lambda ts, y, g, x, **kw: None if ts[0] is None else unreduce(ts[0], x, **kw),
        adjoint=lambda h, y, g, x, **kw: (apply("sum", h, axis=kw.get("axis"), keepdims=kw.get("keepdims")), None),
        diff_args=(0,))


def reduction(name, sympy_fn, adjoint):
    def tangent(ts, y, x, axis=None, keepdims=False):
        return apply(name, ts[0], axis=axis, keepdims=keepdims) if name in ("sum", "mean") else \
            apply("sum", ts[0] * _tie_weights(y, x, axis, keepdims), axis=axis, keepdims=keepdims)

    return defprim(name, lambda x, axis=None, keepdims=False: f"np.{name}({x}{_kwargs(axis=axis, keepdims=keepdims)})",
                   sympy=sympy_fn, shape=shapes.reduce, tangent=tangent, adjoint=adjoint)


def _tie_weights(y, x, axis, keepdims):
    """Where x attains its max/min, split equally among the ties."""
    hit = apply("equal", x, unreduce(y, x, axis=axis, keepdims=keepdims)) * 1.0
    return hit / unreduce(apply("sum", hit, axis=axis, keepdims=keepdims), x, axis=axis, keepdims=keepdims)


def _sym_reduce(fn):
    def meaning(x, axis=None, keepdims=False):
        return _reduce_object(np.asarray(x, dtype=object), fn, axis, keepdims)
    return meaning


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
mean = reduction("mean", lambda x, axis=None, keepdims=False:
                 _sym_reduce(lambda a, b: a + b)(x, axis, keepdims) * sympy.Rational(np.size(np.mean(np.zeros(np.shape(x)), axis=axis, keepdims=keepdims)), np.size(x)),
                 lambda g, y, x, axis=None, keepdims=False: (unreduce(g * (size(y) / size(x)), x, axis, keepdims),))
max_ = reduction("max", _sym_reduce(sympy.Max), lambda g, y, x, axis=None, keepdims=False:
                 (unreduce(g, x, axis, keepdims) * _tie_weights(y, x, axis, keepdims),))
min_ = reduction("min", _sym_reduce(sympy.Min), lambda g, y, x, axis=None, keepdims=False:
                 (unreduce(g, x, axis, keepdims) * _tie_weights(y, x, axis, keepdims),))

# ---- broadcasting bookkeeping (emitted by the rules above) --------------------------------------

UNBROADCAST_HELPER = '''
def _unbroadcast(g, x):
    """Sum g over the axes that broadcasting added to x's shape."""
    shape = np.shape(x)
    if np.shape(g) == shape:
        return g
    lead = np.ndim(g) - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1)
    return np.reshape(np.sum(g, axis=axes), shape)
'''


def _unbroadcast_src(g, x):
    return f"_unbroadcast({g}, {x})"


defprim("unbroadcast", _unbroadcast_src, shape=lambda g, x: x, helper=UNBROADCAST_HELPER,
        tangent=lambda ts, y, g, x: None if ts[0] is None else unbroadcast(ts[0], x),
        adjoint=lambda h, y, g, x: (broadcast_like(h, g), None), diff_args=(0,), sympy=lambda g, x: _sym_unbroadcast(g, x))
defprim("broadcast_like", "np.broadcast_to({0}, np.shape({1}))", shape=lambda t, ref: ref,
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
