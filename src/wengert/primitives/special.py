"""scipy.special (an optional extra): the functions statistics and ML code reaches for. The generated code
calls scipy.special itself (and imports it only where a function used it); nothing here imports SciPy.

Elementwise: expit (y' = y (1 - y)), log_expit (y' = expit(-x), stable at both ends), gammaln (digamma),
polygamma of a literal order n (digamma is n = 0; the derivative is order n + 1), erf, erfc, xlogy, xlog1py.
Composites, differentiated through their max-shifted definitions (finite at large values; at ties the max's
split cotangent cancels exactly, its derivative being zero): softmax, log_softmax, logsumexp with b= weights.

xlogy(x, y) = x log(y), and 0 where x == 0 (also at y == 0). Its partials: log(y) for x (-inf at y == 0, where
the function jumps), and x / y for y, 0 where x == 0 (the function is 0 along x == 0).
"""

import math as math_

from .. import shapes
from ..trace import apply
from .composite import composite, need_rank
from .core import (Lazy, _batch_elementwise, _kwargs, _unless_positive, _vectorized, defprim, elementwise, scale,
                   sympy, unary, unbroadcast)
from .elementwise import exp, log, log1p

_TWO_OVER_SQRT_PI = 2.0 / math_.sqrt(math_.pi)

expit = unary("expit", lambda a: 1 / (1 + sympy.exp(-a)), lambda y, x: y * (1 - y),
              numpy="scipy.special.expit({0})")
log_expit = unary("log_expit", lambda a: -sympy.log(1 + sympy.exp(-a)), lambda y, x: expit(-x),
                  numpy="scipy.special.log_expit({0})")
erf = unary("erf", sympy.erf, lambda y, x: _TWO_OVER_SQRT_PI * exp(-(x * x)),
            numpy="scipy.special.erf({0})", math="math.erf({0})")
erfc = unary("erfc", sympy.erfc, lambda y, x: -_TWO_OVER_SQRT_PI * exp(-(x * x)),
             numpy="scipy.special.erfc({0})", math="math.erfc({0})")


def _polygamma_source(x, n=0):
    return f"scipy.special.digamma({x})" if n == 0 else f"scipy.special.polygamma({n}, {x})"


def _polygamma_tangent(ts, y, x, n=0):
    (t,) = ts
    return None if t is None else scale(t, polygamma(x, n=n + 1))


def _polygamma_adjoint(g, y, x, n=0):
    return (Lazy(lambda: unbroadcast(scale(g, polygamma(x, n=n + 1)), x)),)


def _polygamma_meaning(x, n=0):
    return _vectorized(lambda a: sympy.polygamma(n, a))(x)


def polygamma(x, n=0):
    """The n-th derivative of digamma (n = 0: digamma itself)."""
    return apply("polygamma", x, n=n)


defprim("polygamma", _polygamma_source, sympy=_polygamma_meaning, shape=lambda x, n=0: shapes.broadcast(x),
        tangent=_polygamma_tangent, adjoint=_polygamma_adjoint, singular=_unless_positive,  # poles at 0, -1, ...
        batch=lambda b, x, n=0: _batch_elementwise(b, "polygamma", (x,), {"n": n}))
gammaln = unary("gammaln", sympy.loggamma, lambda y, x: polygamma(x), numpy="scipy.special.gammaln({0})",
                math="math.lgamma({0})", singular=_unless_positive)


def _x_zero(x):
    return apply("equal", x, 0)


xlogy = elementwise("xlogy", "scipy.special.xlogy({0}, {1})",
                    lambda x, y: sympy.Piecewise((0, sympy.Eq(x, 0)), (x * sympy.log(y), True)),
                    lambda z, x, y: log(y), lambda z, x, y: apply("div0", x, y),
                    singular=lambda args, positive: not positive[1])
xlog1py = elementwise("xlog1py", "scipy.special.xlog1py({0}, {1})",
                      lambda x, y: sympy.Piecewise((0, sympy.Eq(x, 0)), (x * sympy.log(1 + y), True)),
                      lambda z, x, y: log1p(y), lambda z, x, y: apply("div0", x, 1 + y), singular=True)


# ---- softmax, log_softmax, logsumexp: max-shifted definitions --------------------------------------------

def _axes(x, axis, what):
    """axis as NumPy reads it, None spelled out (so vector mode never reduces its batch axis)."""
    return tuple(range(need_rank(x, what))) if axis is None else axis


def _shifted(x, axis):
    return x - apply("max", x, axis=axis, keepdims=True)


def _softmax(x, axis=None):
    axes = _axes(x, axis, "scipy.special.softmax")
    e = exp(_shifted(x, axes))
    return e / apply("sum", e, axis=axes, keepdims=True)


def _log_softmax(x, axis=None):
    axes = _axes(x, axis, "scipy.special.log_softmax")
    s = _shifted(x, axes)
    return s - log(apply("sum", exp(s), axis=axes, keepdims=True))


def _logsumexp(x, *b, axis=None, keepdims=False):
    rank = need_rank(x, "scipy.special.logsumexp")
    if b and need_rank(b[0], "scipy.special.logsumexp") > rank:  # the weights broadcast x up
        grown = need_rank(b[0], "scipy.special.logsumexp") - rank
        x, rank = apply("expand_dims", x, axis=tuple(range(grown))), rank + grown
    axes = tuple(range(rank)) if axis is None else axis
    if axes == ():
        return x + log(b[0]) if b else x
    m = apply("max", x, axis=axes, keepdims=True)
    terms = exp(x - m) * b[0] if b else exp(x - m)
    out = log(apply("sum", terms, axis=axes, keepdims=True)) + m
    return out if keepdims else apply("squeeze", out, axis=axes)


softmax = composite("softmax", lambda x, axis=None: f"scipy.special.softmax({x}{_kwargs(axis=axis)})", _softmax,
                    positive=lambda *p: True)
log_softmax = composite("log_softmax", lambda x, axis=None: f"scipy.special.log_softmax({x}{_kwargs(axis=axis)})",
                        _log_softmax)
logsumexp = composite("logsumexp", lambda x, *b, axis=None, keepdims=False:
                      f"scipy.special.logsumexp({x}{_kwargs(axis=axis)}{''.join(f', b={w}' for w in b)}"
                      f"{_kwargs(keepdims=keepdims)})", _logsumexp)
