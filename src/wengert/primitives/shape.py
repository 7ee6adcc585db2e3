"""Shapes and layout: shape/size/ndim/len, reshape, expand_dims, tuple, concatenate (and its cotangent piece),
stack."""

import numpy as np

from .. import shapes
from ..trace import apply
from .core import Lazy, PRIMS, _kwargs, _obj, _scalar_or_array, defprim, helper, nondiff, zeros_like


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


defprim("expand_dims", lambda g, *, axis: _expand_dims_src(g, axis),
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



# ---- more shape and layout functions (issue 15) ------------------------------------------------------------

def _flat_shape(x):
    """The shape key of x flattened: its size when every dimension is a literal, else rank 1 of unknown size."""
    if not shapes.known(x):
        return None
    dims = [str(d) for d in x]
    return (shapes._size(int(np.prod([int(d) for d in dims]))),) if all(d.isdigit() for d in dims) else (None,)


def _squeeze_shape(x, axis=None):
    if not shapes.known(x):
        return None
    if axis is None:
        return None if None in x else tuple(d for d in x if d != 1)
    axes = shapes.axes_of(axis, len(x))
    return tuple(d for i, d in enumerate(x) if i not in axes)


def _flat(name, numpy):
    """x flattened to a vector: its cotangent is g reshaped back to x's shape."""
    return defprim(name, numpy, sympy=lambda x: np.ravel(_obj(x)), shape=_flat_shape,
                   tangent=lambda ts, y, x: apply(name, ts[0]),
                   adjoint=lambda g, y, x: (apply("reshape", g, shape_(x)),))


ravel = _flat("ravel", "np.ravel({0})")
flatten = _flat("flatten", "{0}.flatten()")  # a copy, as the method's
squeeze = defprim("squeeze", lambda x, axis=None: f"np.squeeze({x}{_kwargs(axis=axis)})",
                  sympy=lambda x, axis=None: _scalar_or_array(np.squeeze(_obj(x), axis)), shape=_squeeze_shape,
                  tangent=lambda ts, y, x, axis=None: apply("squeeze", ts[0], axis=axis),
                  adjoint=lambda g, y, x, axis=None: (apply("reshape", g, shape_(x)),))
flip = defprim("flip", lambda x, axis=None: f"np.flip({x}{_kwargs(axis=axis)})",
               sympy=lambda x, axis=None: _scalar_or_array(np.flip(_obj(x), axis)), shape=lambda x, axis=None: x,
               tangent=lambda ts, y, x, axis=None: apply("flip", ts[0], axis=axis),
               adjoint=lambda g, y, x, axis=None: (apply("flip", g, axis=axis),))


def _permuted(x, perm):
    return tuple(x[i] for i in perm) if shapes.known(x) else None


def _perm_of_moveaxis(rank, source, destination):
    src = [s % rank for s in (source if isinstance(source, tuple) else (source,))]
    dst = [d % rank for d in (destination if isinstance(destination, tuple) else (destination,))]
    order = [i for i in range(rank) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return tuple(order)


def _swapped(rank, axis1, axis2):
    perm = list(range(rank))
    perm[axis1 % rank], perm[axis2 % rank] = perm[axis2 % rank], perm[axis1 % rank]
    return tuple(perm)


swapaxes_ij = defprim("swapaxes_ij", "np.swapaxes({0}, {axis1}, {axis2})",
                      sympy=lambda x, axis1, axis2: np.swapaxes(_obj(x), axis1, axis2),
                      shape=lambda x, axis1, axis2: _permuted(x, _swapped(len(x), axis1, axis2))
                      if shapes.known(x) else None,
                      tangent=lambda ts, y, x, **kw: apply("swapaxes_ij", ts[0], **kw),
                      adjoint=lambda g, y, x, **kw: (apply("swapaxes_ij", g, **kw),))
moveaxis = defprim("moveaxis", "np.moveaxis({0}, {source}, {destination})",
                   sympy=lambda x, source, destination: np.moveaxis(_obj(x), source, destination),
                   shape=lambda x, source, destination: _permuted(x, _perm_of_moveaxis(len(x), source, destination))
                   if shapes.known(x) else None,
                   tangent=lambda ts, y, x, **kw: apply("moveaxis", ts[0], **kw),
                   adjoint=lambda g, y, x, source, destination: (apply("moveaxis", g, source=destination,
                                                                       destination=source),))


# np.triu / np.tril: x times a triangular mask of its last two axes (a vector is first repeated into rows)
helper('''
def _tri_vjp(g, x, k, upper):
    """The cotangent of np.triu(x, k) (upper) or np.tril(x, k): g masked alike, summed over the rows NumPy
    repeated when x is a vector."""
    masked = np.triu(g, k) if upper else np.tril(g, k)
    return np.sum(masked, axis=-2) if np.ndim(x) == 1 else masked
''')


def _tri(name, upper):
    return defprim(name, lambda x, k=0: f"np.{name}({x}{_kwargs(k=k or None)})",
                   sympy=lambda x, k=0: getattr(np, name)(_obj(x), k),
                   shape=lambda x, k=0: (x if len(x) >= 2 else x + x) if shapes.known(x) else None,
                   tangent=lambda ts, y, x, k=0: apply(name, ts[0], k=k),
                   adjoint=lambda g, y, x, k=0: (apply("tri_vjp", g, x, k=k, upper=upper),))


triu = _tri("triu", True)
tril = _tri("tril", False)
defprim("tri_vjp", lambda g, x, k=0, upper=True: f"_tri_vjp({g}, {x}, {k!r}, {upper!r})",
        sympy=lambda g, x, k=0, upper=True: _sym_tri_vjp(g, x, k, upper),
        shape=lambda g, x, **kw: (g if len(x) >= 2 else g[:-2] + g[-1:]) if shapes.known(g) and shapes.known(x) else None,
        shape_args=(1,), diff_args=(0,),
        tangent=lambda ts, y, g, x, k=0, upper=True: apply("tri_vjp", ts[0], x, k=k, upper=upper),
        adjoint=lambda h, y, g, x, k=0, upper=True: (apply("triu" if upper else "tril", h, k=k), None))


def _sym_tri_vjp(g, x, k, upper):
    masked = (np.triu if upper else np.tril)(_obj(g), k)
    return _scalar_or_array(np.sum(masked, axis=-2)) if np.ndim(x) == 1 else masked


def _flip_fixed(name, axis):
    """np.flipud / np.fliplr: np.flip along axis 0 / 1 (their own spelling in the generated code)."""
    return defprim(name, f"np.{name}({{0}})", sympy=lambda x: np.flip(_obj(x), axis), shape=lambda x: x,
                   tangent=lambda ts, y, x: apply(name, ts[0]), adjoint=lambda g, y, x: (apply(name, g),))


flipud = _flip_fixed("flipud", 0)
fliplr = _flip_fixed("fliplr", 1)
roll = defprim("roll", lambda x, *, shift, axis=None: f"np.roll({x}, {shift!r}{_kwargs(axis=axis)})",
               sympy=lambda x, shift, axis=None: _scalar_or_array(np.roll(_obj(x), shift, axis)),
               shape=lambda x, shift, axis=None: x,
               tangent=lambda ts, y, x, shift, axis=None: apply("roll", ts[0], shift=shift, axis=axis),
               adjoint=lambda g, y, x, shift, axis=None: (apply("roll", g, shift=_negated(shift), axis=axis),))


def _negated(shift):
    return tuple(-s for s in shift) if isinstance(shift, tuple) else -shift


# ---- diagonals: np.diagonal, np.diag (both directions) -----------------------------------------------------------

_DIAGONAL_VJP = '''
def _diagonal_vjp(g, x, offset, axis1, axis2):
    """The cotangent of np.diagonal(x, offset, axis1, axis2): g on that diagonal of zeros shaped like x."""
    out = np.zeros(np.shape(x), dtype=np.result_type(g, 1.0))
    view = np.moveaxis(out, (axis1, axis2), (-2, -1))
    steps = np.arange(np.shape(g)[-1])
    view[..., steps + max(-offset, 0), steps + max(offset, 0)] = g
    return out
'''
helper(_DIAGONAL_VJP)
helper('''
def _diag_vjp(g, x, k):
    """The cotangent of np.diag(x, k): the k-th diagonal of g for a vector x, g placed on it for a matrix x."""
    return np.diag(g, k) if np.ndim(x) == 1 else _diagonal_vjp(g, x, k, 0, 1)
''')


def _sym_diagonal_vjp(g, x, offset=0, axis1=0, axis2=1):
    out = np.zeros(np.shape(x), dtype=int).astype(object)
    view = np.moveaxis(out, (axis1, axis2), (-2, -1))
    steps = np.arange(np.shape(g)[-1])
    view[..., steps + max(-offset, 0), steps + max(offset, 0)] = _obj(g)
    return out


def _diagonal_shape(x, offset=0, axis1=0, axis2=1):
    if not shapes.known(x):
        return None
    a, b = axis1 % len(x), axis2 % len(x)
    n, m = x[a], x[b]
    length = max(0, min(int(n) + min(offset, 0), int(m) - max(offset, 0))) \
        if str(n).isdigit() and str(m).isdigit() else None
    return tuple(d for i, d in enumerate(x) if i not in (a, b)) + (shapes._size(length) if length is not None else None,)


diagonal = defprim("diagonal", lambda x, offset=0, axis1=0, axis2=1:
                   f"np.diagonal({x}{_kwargs(offset=offset or None)}"
                   f"{_kwargs(axis1=axis1) if axis1 != 0 else ''}{_kwargs(axis2=axis2) if axis2 != 1 else ''})",
                   sympy=lambda x, offset=0, axis1=0, axis2=1: np.array(np.diagonal(_obj(x), offset, axis1, axis2)),
                   shape=_diagonal_shape,
                   tangent=lambda ts, y, x, **kw: apply("diagonal", ts[0], **kw),
                   adjoint=lambda g, y, x, **kw: (apply("diagonal_vjp", g, x, **kw),))
defprim("diagonal_vjp", lambda g, x, offset=0, axis1=0, axis2=1: f"_diagonal_vjp({g}, {x}, {offset!r}, {axis1!r}, {axis2!r})",
        sympy=_sym_diagonal_vjp, shape=lambda g, x, **kw: x, shape_args=(1,), diff_args=(0,),
        tangent=lambda ts, y, g, x, **kw: apply("diagonal_vjp", ts[0], x, **kw),
        adjoint=lambda h, y, g, x, **kw: (apply("diagonal", h, **kw), None))
diag = defprim("diag", lambda x, k=0: f"np.diag({x}{_kwargs(k=k or None)})",
               sympy=lambda x, k=0: np.diag(_obj(x), k),
               shape=lambda x, k=0: None if not shapes.known(x) else
               _diagonal_shape(x, k) if len(x) == 2 else (None, None) if len(x) == 1 else None,
               tangent=lambda ts, y, x, k=0: apply("diag", ts[0], k=k),
               adjoint=lambda g, y, x, k=0: (apply("diag_vjp", g, x, k=k),))
defprim("diag_vjp", lambda g, x, k=0: f"_diag_vjp({g}, {x}, {k!r})",
        sympy=lambda g, x, k=0: np.diag(_obj(g), k) if np.ndim(x) == 1 else _sym_diagonal_vjp(g, x, k, 0, 1),
        shape=lambda g, x, k=0: x, shape_args=(1,), diff_args=(0,),
        tangent=lambda ts, y, g, x, k=0: apply("diag_vjp", ts[0], x, k=k),
        adjoint=lambda h, y, g, x, k=0: (apply("diag", h, k=k), None))
