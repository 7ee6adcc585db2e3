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


# ---- cumulative products (issue 15): every derivative without dividing by a zero ---------------------------------
# d cumprod(x)[j] / d x[k] = the product of x[i] for i <= j, i != k (k <= j): prod_others of the rows of the
# n x n matrix M[j, k] = x[k] (k <= j), 1 (k > j), so zeros are counted, never divided by, Hessians included.
# The derivatives hold that matrix (n^2 numbers along the scanned axis); the function itself is np.cumprod.

defprim("lower_mask", "np.tri(np.shape({0})[-1], dtype=bool)", nondiff=True, shape_args=(0,),
        sympy=lambda x: np.tri(np.shape(x)[-1], dtype=bool), shape=lambda x: x[-1:] * 2 if shapes.known(x) and x else None,
        batch=lambda b, x: b.emit_plain("lower_mask", (x,)))


def _scanned(x, axis):
    """x with the scanned axis last (np.cumprod without axis scans x flattened)."""
    return apply("ravel", x) if axis is None else apply("moveaxis", x, source=axis, destination=-1)


def _unscanned(v, x, axis):
    return apply("reshape", v, shape_(x)) if axis is None else apply("moveaxis", v, source=-1, destination=axis)


def _prefix_partials(v):
    """(mask k <= j, the partials P[..., j, k] = d cumprod(v)[j] / d v[k] where k <= j) along v's last axis."""
    mask = apply("lower_mask", v)
    rows = apply("where", mask, apply("expand_dims", v, axis=-2), 1.0)
    return mask, apply("prod_others", rows, axis=-1)


def _cumprod_tangent(ts, y, x, axis=None):
    v = _scanned(x, axis)
    mask, partials = _prefix_partials(v)
    t = apply("where", mask, apply("expand_dims", _scanned(ts[0], axis), axis=-2), 0.0)
    dy = apply("sum", t * partials, axis=-1)
    return dy if axis is None else apply("moveaxis", dy, source=-1, destination=axis)


def _cumprod_adjoint(g, y, x, axis=None):
    mask, partials = _prefix_partials(_scanned(x, axis))
    gv = g if axis is None else apply("moveaxis", g, source=axis, destination=-1)
    spread = apply("where", mask, apply("expand_dims", gv, axis=-1) * partials, 0.0)
    return (_unscanned(apply("sum", spread, axis=-2), x, axis),)


cumprod = defprim("cumprod", lambda x, axis=None: f"np.cumprod({x}{_kwargs(axis=axis)})",
                  sympy=lambda x, axis=None: _sym_cumprod(x, axis),
                  shape=lambda x, axis=None: x if axis is not None and x != shapes.SCALAR else _flat_shape(x),
                  tangent=_cumprod_tangent, adjoint=_cumprod_adjoint)


def _sym_cumprod(x, axis):
    x = _obj(x)
    if axis is None:
        x, axis = x.ravel(), 0
    out = np.array(x, dtype=object)
    moved = np.moveaxis(out, axis, 0)
    for i in range(1, moved.shape[0]):
        moved[i] = moved[i - 1] * moved[i]
    return out


# ---- weighted averages, quantiles, sorting (issue 15): composites (see composite.py) ------------------------------

from .composite import composite, need_rank, refuse  # noqa: E402


def _average(x, w, axis=None, keepdims=False):
    """np.average(x, axis, weights=w): sum(x * w) / sum(w) over axis; a 1-D w lies along axis."""
    rx, rw = need_rank(x, "np.average"), need_rank(w, "np.average")
    if rw != rx:
        if axis is None or isinstance(axis, tuple):
            refuse("np.average needs an axis when the weights' shape differs from the array's",
                   "give axis=, or weights shaped like the array")
        if rw != 1:
            refuse("np.average takes 1-D weights when their shape differs from the array's", "give 1-D weights")
        w = apply("expand_dims", w, axis=tuple(i for i in range(rx) if i != axis % rx)) if rx > 1 else w
    kd = keepdims or None
    return apply("sum", x * w, axis=axis, keepdims=kd) / apply("sum", w, axis=axis, keepdims=kd)


average = composite("average", lambda x, w, axis=None, keepdims=False:
                    f"np.average({x}{_kwargs(axis=axis)}, weights={w}{_kwargs(keepdims=keepdims)})", _average)

_quantile_weights = None


def _set_quantile_weights():
    from .composite import helper_function
    return helper_function('''
def _quantile_weights(s, q):
    """The weights of the linear interpolation np.quantile makes between the sorted values along s's last axis."""
    n = np.shape(s)[-1]
    position = q * (n - 1)
    below = int(np.floor(position))
    above = min(below + 1, n - 1)
    weights = np.zeros(n)
    weights[below] += 1.0 - (position - below)
    weights[above] += position - below
    return weights
''')


_quantile_weights = _set_quantile_weights()
defprim("quantile_weights", "_quantile_weights({0}, {q})", nondiff=True, shape_args=(0,),
        sympy=lambda s, q: _sym_quantile_weights(np.shape(s)[-1], q), shape=lambda s, q: s[-1:] if shapes.known(s) and s else None,
        batch=lambda b, s, q: b.emit_plain("quantile_weights", (s,), {"q": q}))


def _sym_quantile_weights(n, q):
    position = sympy.nsimplify(q) * (n - 1)
    below = int(sympy.floor(position))
    above = min(below + 1, n - 1)
    weights = np.zeros(n, dtype=int).astype(object)
    weights[below] += 1 - (position - below)
    weights[above] += position - below
    return weights


_tie_mean = None


def _set_tie_mean():
    from .composite import helper_function
    helper_function('''
def _tie_runs(s):
    """For the sorted s, the number of each element's run of equal values along the last axis."""
    new = np.concatenate([np.ones(np.shape(s)[:-1] + (1,), dtype=bool), s[..., 1:] != s[..., :-1]], axis=-1)
    return np.cumsum(new, axis=-1) - 1
''')
    return helper_function('''
def _tie_mean(v, runs):
    """v averaged over each run of equal sorted values along the last axis (runs from _tie_runs; v may have
    leading batch axes): the derivative of np.sort where values tie is the midpoint of the permutations that
    sort them."""
    n = np.shape(runs)[-1]
    if np.all(runs[..., -1] == n - 1):  # no ties
        return v
    v = np.broadcast_to(v, np.broadcast_shapes(np.shape(v), np.shape(runs)))
    runs = np.reshape(np.broadcast_to(runs, np.shape(v)), (-1, n))
    runs = runs + n * np.arange(np.shape(runs)[0])[:, None]
    sums = np.bincount(runs.ravel(), weights=np.reshape(v, -1), minlength=runs.size)
    counts = np.bincount(runs.ravel(), minlength=runs.size)
    return np.reshape((sums / np.maximum(counts, 1))[runs], np.shape(v))
''')


_tie_mean = _set_tie_mean()
defprim("tie_runs", "_tie_runs({0})", nondiff=True, shape=lambda s: s,
        sympy=lambda s: np.arange(np.shape(s)[-1]) + np.zeros(np.shape(s), dtype=int),  # distinct where SymPy checks
        batch=lambda b, s: b.emit_batched("tie_runs", (s,)))
defprim("tie_mean", "_tie_mean({0}, {1})", sympy=lambda v, runs: v,  # no ties where SymPy compares
        shape=lambda v, runs: shapes.broadcast(v, runs), diff_args=(0,),
        tangent=lambda ts, y, v, runs: None if ts[0] is None else apply("tie_mean", ts[0], runs),
        adjoint=lambda g, y, v, runs: (apply("tie_mean", g, runs), None),  # an average: its own adjoint
        batch=lambda b, v, runs: b.emit_batched("tie_mean", (v, runs)))


def _sorted_last(v):
    """np.sort(v) along the last axis: v gathered by np.argsort's permutation, its derivative averaged over
    runs of equal values (so at a tie of k elements each gets 1/k of each tied output, as np.max splits)."""
    s = apply("take_along", v, apply("argsort", v, axis=-1), axis=-1)
    return apply("tie_mean", s, apply("tie_runs", s))


def _sorted(x, axis=-1):
    """np.sort(x, axis)."""
    if axis is None:
        return _sorted_last(apply("ravel", x))
    if axis == -1:
        return _sorted_last(x)
    moved = _sorted_last(apply("moveaxis", x, source=axis, destination=-1))
    return apply("moveaxis", moved, source=-1, destination=axis)


def _quantile(x, q=0.5, axis=None, keepdims=False, how="quantile"):
    """np.quantile (np.percentile with q / 100, np.median with q = 1/2), linear interpolation: a weighted sum of
    the sorted values, so its derivative flows to the (at most two) elements it interpolates between."""
    fraction = q / 100 if how == "percentile" else q
    s = _sorted(_scanned(x, axis), -1)
    out = apply("sum", s * apply("quantile_weights", s, q=fraction), axis=-1)
    if keepdims:
        out = apply("expand_dims", out, axis=tuple(range(need_rank(x, f"np.{how}"))) if axis is None else axis)
    return out


def _quantile_src(x, q=0.5, axis=None, keepdims=False, how="quantile"):
    given = "" if how == "median" else f", {q!r}"
    return f"np.{how}({x}{given}{_kwargs(axis=axis, keepdims=keepdims)})"


quantile = composite("quantile", _quantile_src, _quantile)
sort = composite("sort", lambda x, axis=-1: f"np.sort({x}{_kwargs(axis=axis) if axis != -1 else ''})",
                 lambda x, axis=-1: _sorted(x, axis))
