"""Reductions (sum, mean, max, min) and the broadcasting bookkeeping their rules and the elementwise rules emit
(unreduce, unbroadcast, broadcast_like, sum_axes)."""

import functools

import numpy as np
import sympy

from .. import shapes
from ..trace import apply
from .core import PRIMS, _kwargs, _obj, _scalar_or_array, broadcast_like, defprim, helper, unbroadcast, unreduce
from .shape import _expand_dims_src, size


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
