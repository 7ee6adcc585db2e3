"""Reductions (sum, mean, max, min) and the broadcasting bookkeeping their rules and the elementwise rules emit
(unreduce, unbroadcast, broadcast_like, sum_axes)."""

import functools

import numpy as np

from .. import shapes
from ..trace import apply, rank
from .core import (PRIMS, Lazy, _kwargs, _obj, _scalar_or_array, broadcast_like, defprim, helper, scale, symbolic, sympy,
                   unbroadcast, unreduce)
from .elementwise import _nonzero_divisor
from .shape import _expand_dims_src, _flat_shape, shape_, size


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


def reduction(name, sympy_fn, adjoint):
    def tangent(ts, y, x, axis=None, keepdims=False):
        return apply(name, ts[0], axis=axis, keepdims=keepdims) if name in ("sum", "mean") else \
            apply("sum", scale(ts[0], _tie_weights(y, x, axis, keepdims)), axis=axis, keepdims=keepdims)

    return defprim(name, lambda x, axis=None, keepdims=False: f"np.{name}({x}{_kwargs(axis=axis, keepdims=keepdims)})",
                   sympy=sympy_fn, shape=shapes.reduce, tangent=tangent, adjoint=adjoint)


def _tie_weights(y, x, axis, keepdims):
    """Where x attains its max/min, split equally among the ties (the count is at least 1 where x has no nan:
    Builder._counts_ties tells the analysis so)."""
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


max_ = reduction("max", _sym_reduce(symbolic.SplitMax), lambda g, y, x, axis=None, keepdims=False:
                 (unreduce(g, x, axis, keepdims) * _tie_weights(y, x, axis, keepdims),))
min_ = reduction("min", _sym_reduce(symbolic.SplitMin), lambda g, y, x, axis=None, keepdims=False:
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


# ---- variance, standard deviation, cumulative sums (issue 15) ----------------------------------------------

def _centered(x, axis):
    """x minus its mean over axis (kept as axes of length 1, so it lines up with x)."""
    return x - apply("mean", x, axis=axis, keepdims=True)


def _dof(x, y, ddof):
    """N - ddof: the number of elements behind each result, less the delta degrees of freedom."""
    count = size(x) / size(y)
    return count - ddof if ddof else count


def _sym_var(x, axis=None, keepdims=False, ddof=0):
    x = _obj(x)
    d = x - _obj(_sym_mean(x, axis, True))
    total = _sym_reduce(lambda a, b: a + b)(d * d, axis, keepdims)
    return total / (sympy.Rational(np.size(x), np.size(total)) - ddof)


def _moments_src(name):
    return lambda x, axis=None, keepdims=False, ddof=0: \
        f"np.{name}({x}{_kwargs(axis=axis, ddof=ddof or None, keepdims=keepdims)})"


def _moments_shape(x, axis=None, keepdims=False, ddof=0):
    return shapes.reduce(x, axis, keepdims)


var = defprim("var", _moments_src("var"), sympy=_sym_var, shape=_moments_shape,
              tangent=lambda ts, y, x, axis=None, keepdims=False, ddof=0:
              apply("sum", ts[0] * _centered(x, axis), axis=axis, keepdims=keepdims) * (2 / _dof(x, y, ddof)),
              adjoint=lambda g, y, x, axis=None, keepdims=False, ddof=0:
              (unreduce(g * (2 / _dof(x, y, ddof)), x, axis, keepdims) * _centered(x, axis),))
# std = sqrt(var); where it is 0 (all elements equal) the kink's midpoint subgradient is 0, as for norm
std = defprim("std", _moments_src("std"),
              sympy=lambda x, axis=None, keepdims=False, ddof=0: _sqrt_object(_sym_var(x, axis, keepdims, ddof)),
              shape=_moments_shape,
              tangent=lambda ts, y, x, axis=None, keepdims=False, ddof=0:
              apply("sum", ts[0] * _centered(x, axis), axis=axis, keepdims=keepdims)
              / (_dof(x, y, ddof) * _nonzero_divisor(y)),
              adjoint=lambda g, y, x, axis=None, keepdims=False, ddof=0:
              (unreduce(g / (_dof(x, y, ddof) * _nonzero_divisor(y)), x, axis, keepdims) * _centered(x, axis),))


def _sqrt_object(v):
    return np.vectorize(sympy.sqrt, otypes=[object])(v) if isinstance(v, np.ndarray) else sympy.sqrt(v)


def _cumsum_adjoint(g, y, x, axis=None):
    r = rank(x)
    if axis is not None and r is not None and r >= 1:
        return (apply("rcumsum", g, axis=axis),)
    # np.cumsum flattened x (or made a 0-d x a vector of one)
    return (apply("reshape", apply("rcumsum", g, axis=0 if axis is None else axis), shape_(x)),)


cumsum = defprim("cumsum", lambda x, axis=None: f"np.cumsum({x}{_kwargs(axis=axis)})",
                 sympy=lambda x, axis=None: np.cumsum(_obj(x), axis=axis),
                 shape=lambda x, axis=None: x if axis is not None and x != shapes.SCALAR else _flat_shape(x),
                 tangent=lambda ts, y, x, axis=None: apply("cumsum", ts[0], axis=axis), adjoint=_cumsum_adjoint)
# the cumulative sum from the end: cumsum's adjoint (and cumsum is its adjoint)
defprim("rcumsum", lambda g, axis: f"np.flip(np.cumsum(np.flip({g}, {axis!r}), axis={axis!r}), {axis!r})",
        sympy=lambda g, axis: np.flip(np.cumsum(np.flip(_obj(g), axis), axis=axis), axis), shape=lambda g, axis: g,
        tangent=lambda ts, y, g, axis: apply("rcumsum", ts[0], axis=axis),
        adjoint=lambda h, y, g, axis: (apply("cumsum", h, axis=axis),))


# ---- products (issue 15): every derivative without dividing by a zero ----------------------------------------

helper('''
def _prod_others(x, axis):
    """For each element of x, the product of the other elements along axis (None: all of x): the partial of
    np.prod. Zeros are counted, never divided by: one zero leaves only its own partial non-zero."""
    zero = x == 0
    nonzero = np.where(zero, 1.0, x)
    product = np.prod(nonzero, axis=axis, keepdims=True)
    zeros = np.sum(zero, axis=axis, keepdims=True)
    return np.where(zeros == 0, product / nonzero, np.where(zero & (zeros == 1), product, 0.0))
''')
helper('''
def _prod_others_jvp(x, t, axis):
    """The derivative of _prod_others(x, axis) along t: sum over k != i of t[k] times the product of the
    elements other than i and k; by cases on the number of zeros along axis, without dividing by one."""
    zero = x == 0
    nonzero = np.where(zero, 1.0, x)
    product = np.prod(nonzero, axis=axis, keepdims=True)
    zeros = np.sum(zero, axis=axis, keepdims=True)
    ratio = np.where(zero, 0.0, t / nonzero)
    spread = np.sum(ratio, axis=axis, keepdims=True)
    at_zeros = np.sum(np.where(zero, t, 0.0), axis=axis, keepdims=True)
    none = product / nonzero * (spread - ratio)
    one = np.where(zero, product * spread, product / nonzero * at_zeros)
    two = np.where(zero, product * (at_zeros - t), 0.0)
    return np.where(zeros == 0, none, np.where(zeros == 1, one, np.where(zeros == 2, two, 0.0)))
''')


def _sym_others(x, axis=None):
    """SymPy: the product of the other elements along axis, for each element (O(n^2), for the check)."""
    x = _obj(x)
    axes = tuple(range(x.ndim)) if axis is None else shapes.axes_of(axis, x.ndim)
    out = np.empty(x.shape, dtype=object)
    for i in np.ndindex(*x.shape):
        factors = [x[j] for j in np.ndindex(*x.shape)
                   if j != i and all(j[a] == i[a] for a in range(x.ndim) if a not in axes)]
        out[i] = sympy.Mul(*factors)
    return _scalar_or_array(out)


def _sym_others_jvp(x, t, axis=None):
    x, t = _obj(x), _obj(np.broadcast_to(_obj(t), np.shape(x)))
    axes = tuple(range(x.ndim)) if axis is None else shapes.axes_of(axis, x.ndim)
    out = np.empty(x.shape, dtype=object)
    for i in np.ndindex(*x.shape):
        peers = [j for j in np.ndindex(*x.shape) if all(j[a] == i[a] for a in range(x.ndim) if a not in axes)]
        out[i] = sympy.Add(*[t[k] * sympy.Mul(*[x[j] for j in peers if j not in (i, k)]) for k in peers if k != i])
    return _scalar_or_array(out)


prod = defprim("prod", lambda x, axis=None, keepdims=False: f"np.prod({x}{_kwargs(axis=axis, keepdims=keepdims)})",
               sympy=_sym_reduce(lambda a, b: a * b), shape=shapes.reduce,
               tangent=lambda ts, y, x, axis=None, keepdims=False:
               apply("sum", ts[0] * apply("prod_others", x, axis=axis), axis=axis, keepdims=keepdims),
               adjoint=lambda g, y, x, axis=None, keepdims=False:
               (unreduce(g, x, axis, keepdims) * apply("prod_others", x, axis=axis),))
defprim("prod_others", lambda x, axis=None: f"_prod_others({x}, {axis!r})", sympy=_sym_others,
        shape=lambda x, axis=None: x,
        tangent=lambda ts, y, x, axis=None: apply("prod_others_jvp", x, ts[0], axis=axis),
        adjoint=lambda g, y, x, axis=None: (Lazy(lambda: _others_vjp(g, x, axis)),))


def _others_vjp(g, x, axis):
    """The Hessian of a product is symmetric: the vjp of prod_others equals its jvp."""
    return apply("prod_others_jvp", x, g, axis=axis)


defprim("prod_others_jvp", lambda x, t, axis=None: f"_prod_others_jvp({x}, {t}, {axis!r})", sympy=_sym_others_jvp,
        shape=lambda x, t, axis=None: shapes.broadcast(x, t), diff_args=())
