"""Shapes and layout: shape/size/ndim/len, reshape, expand_dims, tuple, concatenate (and its cotangent piece),
stack."""

import numpy as np

from .. import shapes
from ..trace import apply
from .core import Lazy, PRIMS, _kwargs, _obj, defprim, helper, nondiff, zeros_like


shape_ = nondiff("shape", "np.shape({0})", lambda a: np.shape(a), lambda a: ("shapeof", a))
size = nondiff("size", "math.prod(np.shape({0}))",  # not np.size: Dask would compute the array to count it
               lambda a: np.size(a), lambda a: shapes.SCALAR)
ndim = nondiff("ndim", "np.ndim({0})", lambda a: np.ndim(a), lambda a: shapes.SCALAR)
len_ = nondiff("len", "len({0})", len, lambda a: shapes.SCALAR)


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


reshape = defprim("reshape", "np.reshape({0}, {1})", sympy=lambda x, s: np.reshape(_obj(x), s),
                  shape=lambda x, s: s[1] if s[:1] == ("shapeof",) else
                  shapes.from_literal(s[1]) if s[:1] == ("const",) and -1 not in s[1] else None,
                  tangent=lambda ts, y, x, s: apply("reshape", ts[0], s),
                  adjoint=lambda g, y, x, s: (apply("reshape", g, shape_(x)), None), diff_args=(0,))
tuple_ = nondiff("tuple", lambda *xs: "(" + ", ".join(xs) + ("," if len(xs) == 1 else "") + ")",
                 lambda *xs: tuple(xs))


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


for _name in ("shape", "size", "ndim", "len"):
    PRIMS[_name].shape_args = (0,)
