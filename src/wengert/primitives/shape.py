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
        tangent=lambda ts, y, g, x, k=0, upper=True: None if ts[0] is None else
        apply("tri_vjp", ts[0], x, k=k, upper=upper),
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
        tangent=lambda ts, y, g, x, **kw: None if ts[0] is None else apply("diagonal_vjp", ts[0], x, **kw),
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
        tangent=lambda ts, y, g, x, k=0: None if ts[0] is None else apply("diag_vjp", ts[0], x, k=k),
        adjoint=lambda h, y, g, x, k=0: (apply("diag", h, k=k), None))


# ---- promotion, stacking, tiling, padding, splitting (issue 15) --------------------------------------------------
# np.atleast_Nd and the h/v/d/column stacks depend on the ranks of their arguments: composites, emitted as the
# NumPy call and differentiated through their definition with expand_dims and concatenate.

from ..errors import GENERATED, WengertError  # noqa: E402
from ..trace import is_batched, key  # noqa: E402
from .composite import composite, helper_function, need_rank, refuse  # noqa: E402
from .core import _lift_rank, _rank, _shift  # noqa: E402

_PROMOTED = {  # (ndmin, rank) -> the axes np.atleast_<ndmin>d inserts
    (1, 0): (0,), (2, 0): (0, 1), (2, 1): (0,), (3, 0): (0, 1, 2), (3, 1): (0, 2), (3, 2): (2,)}


def _promote(x, ndmin, what):
    axes = _PROMOTED.get((ndmin, need_rank(x, what)))
    return apply("expand_dims", x, axis=axes) if axes else x


def _atleast(ndmin):
    name = f"atleast_{ndmin}d"
    return composite(name, f"np.{name}({{0}})", lambda x: _promote(x, ndmin, f"np.{name}"))


atleast_1d = _atleast(1)
atleast_2d = _atleast(2)
atleast_3d = _atleast(3)


def _column(x, what="np.column_stack"):
    """np.column_stack's view of an argument: a vector becomes a column, a number a 1 x 1 matrix."""
    r = need_rank(x, what)
    return apply("expand_dims", x, axis=(0, 1) if r == 0 else 1) if r < 2 else x


def _joined(how):
    def build(*xs):
        if how == "column_stack":
            return apply("concatenate", *[_column(x) for x in xs], axis=1)
        ndmin, axis = {"hstack": (1, None), "vstack": (2, 0), "dstack": (3, 2)}[how]
        parts = [_promote(x, ndmin, f"np.{how}") for x in xs]
        if axis is None:  # np.hstack joins vectors end to end, anything else along its second axis
            axis = 0 if need_rank(xs[0], "np.hstack") <= 1 else 1
        return apply("concatenate", *parts, axis=axis)
    return composite(how, lambda *xs: f"np.{how}({_seq(xs)})", build)


hstack = _joined("hstack")
vstack = _joined("vstack")
dstack = _joined("dstack")
column_stack = _joined("column_stack")


# np.broadcast_to(x, shape): its cotangent sums g over the broadcast axes
def _broadcast_to_shape(x, s):
    return s[1] if s[:1] == ("shapeof",) else shapes.from_literal(s[1]) if s[:1] == ("const",) else None


def _batch_broadcast_to(b, x, s):
    target = key(s)
    n = len(target[1]) if target[:1] == ("const",) else len(target[1]) if target[:1] == ("shapeof",) and \
        shapes.known(target[1]) else None
    if n is None:
        raise WengertError("vector mode of np.broadcast_to needs the length of the shape", GENERATED, 0, 0, "",
                           "write the shape as a tuple literal")
    return b.emit_batched("broadcast_to_batch", (_lift_rank(b, x, n), s))


broadcast_to = defprim("broadcast_to", "np.broadcast_to({0}, {1})", shape=_broadcast_to_shape,
                       sympy=lambda x, s: _scalar_or_array(np.array(np.broadcast_to(_obj(x), s), dtype=object)),
                       tangent=lambda ts, y, x, s: None if ts[0] is None else apply("broadcast_to", ts[0], s),
                       adjoint=lambda g, y, x, s: (apply("unbroadcast", g, x), None), diff_args=(0,),
                       batch=_batch_broadcast_to)
defprim("broadcast_to_batch", "np.broadcast_to({0}, np.shape({0})[:1] + tuple({1}))",
        shape=lambda x, s: x[:1] + _broadcast_to_shape(x, s) if shapes.known(x) and _broadcast_to_shape(x, s)
        is not None else None)


def _with_lead(g, x, rank):
    """x's shape key, after the leading (batch) axes g has beyond rank."""
    return g[:len(g) - rank] + x if len(g) >= rank else None


# np.tile(x, reps): its cotangent adds up g's tiles
_tile_vjp = helper_function('''
def _tile_vjp(g, x, reps):
    """The cotangent of np.tile(x, reps): g's tiles added up (g may have a leading batch axis)."""
    reps = tuple(reps) if isinstance(reps, (tuple, list)) else (reps,)
    d = max(len(reps), np.ndim(x))
    shape = (1,) * (d - np.ndim(x)) + np.shape(x)
    reps = (1,) * (d - len(reps)) + reps
    lead = np.shape(g)[:np.ndim(g) - d]
    g = np.reshape(g, lead + tuple(n for pair in zip(reps, shape) for n in pair))
    return np.reshape(np.sum(g, axis=tuple(len(lead) + 2 * i for i in range(d))), lead + np.shape(x))
''')


def _tile_shape(x, reps):
    if not shapes.known(x):
        return None
    reps = reps if isinstance(reps, tuple) else (reps,)
    d = max(len(reps), len(x))
    dims = (1,) * (d - len(x)) + tuple(x)
    reps = (1,) * (d - len(reps)) + reps
    return tuple(n if r == 1 else None if n != 1 else shapes._size(r) for n, r in zip(dims, reps))


def _batch_tile(b, x, reps):
    reps = reps if isinstance(reps, tuple) else (reps,)
    d = max(len(reps), _rank(x))
    return b.emit_batched("tile", (_lift_rank(b, x, d),), {"reps": (1,) * (d - len(reps) + 1) + reps})


tile = defprim("tile", "np.tile({0}, {reps})", sympy=lambda x, reps: np.tile(_obj(x), reps), shape=_tile_shape,
               tangent=lambda ts, y, x, reps: apply("tile", ts[0], reps=reps),
               adjoint=lambda g, y, x, reps: (apply("tile_vjp", g, x, reps=reps),), batch=_batch_tile)


def _batch_tile_vjp(b, g, x, reps):
    if is_batched(x):
        refuse("vector mode of this np.tile cotangent is not supported", "use hvp or jvp/vjp one direction at a time")
    return b.emit_batched("tile_vjp", (g, x), {"reps": reps})


defprim("tile_vjp", "_tile_vjp({0}, {1}, {reps})", sympy=lambda g, x, reps: _scalar_or_array(_tile_vjp(_obj(g), x, reps)),
        shape=lambda g, x, reps: _with_lead(g, x, max(len(reps) if isinstance(reps, tuple) else 1, len(x)))
        if shapes.known(g) and shapes.known(x) else None, shape_args=(1,), diff_args=(0,),
        tangent=lambda ts, y, g, x, reps: None if ts[0] is None else apply("tile_vjp", ts[0], x, reps=reps),
        adjoint=lambda h, y, g, x, reps: (apply("tile", h, reps=reps), None), batch=_batch_tile_vjp)


# np.pad(x, pad_width, mode): the padded elements copy elements of x (or are constants): the cotangent adds each
# element of g to the element it copies, found by padding x's flat positions alike
_pad_vjp = helper_function('''
def _pad_vjp(g, x, pad_width, mode):
    """The cotangent of np.pad(x, pad_width, mode=mode): each element of g added to the element of x it copies
    (constant padding copies none); g may have a leading batch axis."""
    source = np.pad(np.reshape(np.arange(np.size(x)), np.shape(x)), pad_width, mode=mode,
                    **({"constant_values": -1} if mode == "constant" else {}))
    keep = source >= 0
    lead = np.shape(g)[:np.ndim(g) - np.ndim(source)]
    g = np.reshape(g, (-1,) + np.shape(source))
    out = np.zeros((np.shape(g)[0], np.size(x)), dtype=np.result_type(g, 1.0))
    np.add.at(out, (slice(None), source[keep]), g[:, keep])
    return np.reshape(out, lead + np.shape(x))
''')
PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap")


def _pad_src(x, pad_width, mode="constant", constant_values=0):
    return f"np.pad({x}, {pad_width!r}{_kwargs(mode=mode if mode != 'constant' else None)}" \
        f"{_kwargs(constant_values=constant_values or None)})"


def _pad_shape(x, pad_width, mode="constant", constant_values=0):
    if not shapes.known(x):
        return None
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (len(x), 2)) if x else ()
    return tuple(d if before + after == 0 else None for d, (before, after) in zip(x, widths))


def _widths(rank, pad_width):
    return tuple(tuple(int(v) for v in row) for row in np.broadcast_to(np.asarray(pad_width, dtype=int), (rank, 2)))


def _batch_pad(b, x, pad_width, mode="constant", constant_values=0):
    return b.emit_batched("pad", (x,), {"pad_width": ((0, 0),) + _widths(_rank(x), pad_width), "mode": mode,
                                        "constant_values": constant_values})


pad = defprim("pad", _pad_src, shape=_pad_shape, batch=_batch_pad,
              sympy=lambda x, pad_width, mode="constant", constant_values=0: np.pad(
                  _obj(x), pad_width, mode=mode, **({"constant_values": constant_values} if mode == "constant" else {})),
              tangent=lambda ts, y, x, **kw: apply("pad", ts[0], **{**kw, "constant_values": 0}),
              adjoint=lambda g, y, x, pad_width, mode="constant", constant_values=0:
              (apply("pad_vjp", g, x, pad_width=pad_width, mode=mode),))


def _batch_pad_vjp(b, g, x, pad_width, mode):
    if is_batched(x):
        refuse("vector mode of this np.pad cotangent is not supported", "use hvp or jvp/vjp one direction at a time")
    return b.emit_batched("pad_vjp", (g, x), {"pad_width": pad_width, "mode": mode})


defprim("pad_vjp", "_pad_vjp({0}, {1}, {pad_width}, {mode})", shape_args=(1,),
        shape=lambda g, x, **kw: _with_lead(g, x, len(x)) if shapes.known(g) and shapes.known(x) else None,
        diff_args=(0,), batch=_batch_pad_vjp,
        sympy=lambda g, x, pad_width, mode: _scalar_or_array(_pad_vjp_object(g, x, pad_width, mode)),
        tangent=lambda ts, y, g, x, **kw: None if ts[0] is None else apply("pad_vjp", ts[0], x, **kw),
        adjoint=lambda h, y, g, x, pad_width, mode: (apply("pad", h, pad_width=pad_width, mode=mode), None))


def _pad_vjp_object(g, x, pad_width, mode):
    source = np.pad(np.reshape(np.arange(np.size(x)), np.shape(x)), pad_width, mode=mode,
                    **({"constant_values": -1} if mode == "constant" else {}))
    out = np.zeros(np.size(x), dtype=int).astype(object)
    for pos, value in zip(source.ravel().tolist(), _obj(g).ravel().tolist()):
        if pos >= 0:
            out[pos] = out[pos] + value
    return out.reshape(np.shape(x))


# np.split / array_split / hsplit / vsplit / dsplit: one op per piece, x's how(...)[i]
SPLITS = ("split", "array_split", "hsplit", "vsplit", "dsplit")
_section_vjp = helper_function('''
def _section_vjp(g, x, how, sections, i, axis):
    """The cotangent of np.<how>(x, sections, axis)[i]: g in that piece of zeros shaped like x."""
    out = np.zeros(np.shape(x), dtype=np.result_type(g, x, 1.0))
    pieces = getattr(np, how)(out, sections, axis) if how in ("split", "array_split") else \\
        getattr(np, how)(out, sections)
    pieces[i][...] = g
    return out
''')


def _section_src(x, how, sections, i, axis=0):
    return f"np.{how}({x}, {sections!r}{_kwargs(axis=axis or None)})[{i}]"


def _splitting(how, rank, axis):
    """(how, axis) of the same split of a batch (a leading axis more)."""
    if how == "hsplit":
        axis = 1 if rank > 1 else 0
    elif how in ("vsplit", "dsplit"):
        axis = 0 if how == "vsplit" else 2
    return ("array_split" if how == "array_split" else "split"), _shift(axis, 99)


def _batch_section(b, x, how, sections, i, axis=0):
    how, axis = _splitting(how, _rank(x), axis)
    return b.emit_batched("section", (x,), {"how": how, "sections": sections, "i": i, "axis": axis})


def _batch_section_vjp(b, g, x, how, sections, i, axis=0):
    if is_batched(x):
        refuse("vector mode of this split cotangent is not supported", "use hvp or jvp/vjp one direction at a time")
    like = b.emit_batched("batch_like", (x, g))
    how, axis = _splitting(how, _rank(x), axis)
    return b.emit_batched("section_vjp", (g, like), {"how": how, "sections": sections, "i": i, "axis": axis})


def _sym_section(x, how, sections, i, axis=0):
    split = getattr(np, how)
    return _scalar_or_array(np.array((split(_obj(x), sections, axis) if how in ("split", "array_split")
                                      else split(_obj(x), sections))[i], dtype=object))


def _section_shape(x, how, sections, i, axis=0):
    """x's shape but for the length along the split axis."""
    if not shapes.known(x) or not x:
        return None
    axis = {"hsplit": 1 if len(x) > 1 else 0, "vsplit": 0, "dsplit": 2}.get(how, axis) % len(x)
    return tuple(None if j == axis else d for j, d in enumerate(x))


section = defprim("section", _section_src, sympy=_sym_section, batch=_batch_section, shape=_section_shape,
                  tangent=lambda ts, y, x, **kw: apply("section", ts[0], **kw),
                  adjoint=lambda g, y, x, **kw: (apply("section_vjp", g, x, **kw),))
defprim("section_vjp", lambda g, x, how, sections, i, axis=0:
        f"_section_vjp({g}, {x}, {how!r}, {sections!r}, {i!r}, {axis!r})",
        sympy=lambda g, x, **kw: _section_vjp(_obj(g), _obj(x), kw["how"], kw["sections"], kw["i"], kw.get("axis", 0)),
        shape=lambda g, x, **kw: x, shape_args=(1,), diff_args=(0,), batch=_batch_section_vjp,
        tangent=lambda ts, y, g, x, **kw: None if ts[0] is None else apply("section_vjp", ts[0], x, **kw),
        adjoint=lambda h, y, g, x, **kw: (apply("section", h, **kw), None))


# np.take_along_axis(x, indices, axis): a gather; its cotangent adds g at the positions taken (np.sort and
# np.partition are this with the permutation np.argsort / np.argpartition give)
_take_along_vjp = helper_function('''
def _take_along_vjp(g, x, indices, axis):
    """The cotangent of np.take_along_axis(x, indices, axis): g added at the positions taken (repeats add up)."""
    out = np.zeros(np.shape(x), dtype=np.result_type(g, x, 1.0))
    if axis is None:
        np.add.at(np.reshape(out, -1), indices, g)
        return out
    axis = axis % np.ndim(x)
    index = [np.reshape(np.arange(n), (1,) * d + (n,) + (1,) * (np.ndim(x) - d - 1))
             for d, n in enumerate(np.shape(x))]
    index[axis] = indices
    np.add.at(out, tuple(index), g)
    return out
''')


def _take_along_shape(x, indices, axis=None):
    """The indices' shape, where it is the result's: no axis of length 1 that x's broadcasting would widen."""
    if not (shapes.known(x) and shapes.known(indices)):
        return None
    if axis is None:
        return indices if len(indices) == 1 else None
    if x[:1] == ("batch",) and indices[:1] == (1,):  # vector mode: one permutation for every direction
        rest = _take_along_shape(x[1:], indices[1:], axis - 1 if axis > 0 else axis)
        return None if rest is None else ("batch",) + rest
    same = len(x) == len(indices) and all(d != 1 or e == 1 for d, e in zip(indices, x))
    return indices if same else None


def _batch_take_along(b, x, indices, axis=None):
    if is_batched(indices):
        refuse("vector mode of np.take_along_axis with batched indices is not supported", "use hvp")
    if axis is None:
        x, axis = b.emit_batched("ravel_batch", (x,)), 0
    lifted = b.emit_plain("expand_dims", (indices,), {"axis": 0})
    return b.emit_batched("take_along", (x, lifted), {"axis": _shift(axis, 99)})


def _batch_take_along_vjp(b, g, x, indices, axis=None):
    if is_batched(x) or is_batched(indices):
        refuse("vector mode of this np.take_along_axis cotangent is not supported", "use hvp")
    like = b.emit_batched("batch_like", (x, g))
    lifted = b.emit_plain("expand_dims", (indices,), {"axis": 0})
    if axis is None:
        flat = b.emit_batched("take_along_vjp", (g, b.emit_batched("ravel_batch", (like,)), lifted), {"axis": 1})
        return apply("reshape", flat, shape_(x))
    return b.emit_batched("take_along_vjp", (g, like, lifted), {"axis": _shift(axis, 99)})


def _sym_take_along(x, indices, axis=None):
    x = _obj(x)
    return _scalar_or_array(np.take_along_axis(x if axis is not None else x.ravel(), np.asarray(indices, dtype=int),
                                               axis if axis is not None else 0))


take_along = defprim("take_along", lambda x, indices, axis=None: f"np.take_along_axis({x}, {indices}, axis={axis!r})",
                     sympy=_sym_take_along, shape=_take_along_shape,
                     tangent=lambda ts, y, x, indices, axis=None: None if ts[0] is None else
                     apply("take_along", ts[0], indices, axis=axis),
                     adjoint=lambda g, y, x, indices, axis=None:
                     (apply("take_along_vjp", g, x, indices, axis=axis), None),
                     diff_args=(0,), batch=_batch_take_along)
defprim("take_along_vjp", lambda g, x, indices, axis=None: f"_take_along_vjp({g}, {x}, {indices}, {axis!r})", shape=lambda g, x, indices, axis=None: x, shape_args=(1,),
        sympy=lambda g, x, indices, axis=None: _scalar_or_array(_take_along_vjp(_obj(g), _obj(x), np.asarray(
            indices, dtype=int), axis)),
        diff_args=(0,), batch=_batch_take_along_vjp,
        tangent=lambda ts, y, g, x, indices, axis=None: None if ts[0] is None else
        apply("take_along_vjp", ts[0], x, indices, axis=axis),
        adjoint=lambda h, y, g, x, indices, axis=None: (apply("take_along", h, indices, axis=axis), None, None))


# np.repeat(x, repeats, axis): x gathered at np.repeat(np.arange(n), repeats) along axis (the cotangent adds the
# copies up); repeats an integer or one per element, as literals
defprim("repeat_positions", lambda x, repeats, axis: f"np.repeat(np.arange(np.shape({x})[{axis!r}]), {repeats!r})",
        nondiff=True, shape_args=(0,), shape=lambda x, repeats, axis: (None,),
        sympy=lambda x, repeats, axis: np.repeat(np.arange(np.shape(x)[axis]), repeats),
        batch=lambda b, x, repeats, axis: b.emit_plain("repeat_positions", (x,),
                                                       {"repeats": repeats, "axis": _shift(axis, 99)}))


def along_axis(axis, item):
    """An index spec that puts item at axis and takes everything elsewhere (counted from the end if negative)."""
    every = ("slice", None, None, None)
    if axis >= 0:
        return (every,) * axis + (item,)
    return (("ellipsis",), item) + (every,) * (-axis - 1)


def _repeated(x, repeats, axis=None):
    if axis is None:
        x, axis = apply("ravel", x), 0
    positions = apply("repeat_positions", x, repeats=repeats, axis=axis)
    return apply("index", x, positions, spec=along_axis(axis, ("arg", 1)))


repeat = composite("repeat", lambda x, repeats, axis=None: f"np.repeat({x}, {repeats!r}{_kwargs(axis=axis)})",
                   _repeated)


# np.kron(a, b): the outer product with a's and b's axes interleaved, reshaped (NumPy pads the smaller rank with
# leading axes of length 1); differentiated through that definition
_kron_shape = helper_function('''
def _kron_shape(a, b, lead_a=0, lead_b=0):
    """The shape of np.kron(a, b) for a and b without their first lead_a / lead_b (batch) axes."""
    sa, sb = np.shape(a)[lead_a:], np.shape(b)[lead_b:]
    r = max(len(sa), len(sb))
    sa, sb = (1,) * (r - len(sa)) + sa, (1,) * (r - len(sb)) + sb
    return tuple(m * n for m, n in zip(sa, sb))
''')
defprim("kron_shape", lambda a, b, lead_a=0, lead_b=0: f"_kron_shape({a}, {b}{', ' + repr(lead_a) if lead_a or lead_b else ''}"
        f"{', ' + repr(lead_b) if lead_b else ''})", nondiff=True, shape_args=(0, 1),
        sympy=lambda a, b, lead_a=0, lead_b=0: _kron_shape(a, b, lead_a, lead_b),
        shape=lambda a, b, **kw: None,
        batch=lambda b_, a, b, **kw: b_.emit_plain("kron_shape", (a, b), {"lead_a": int(is_batched(a)),
                                                                          "lead_b": int(is_batched(b))}))


def _kron(a, b):
    ra, rb = need_rank(a, "np.kron"), need_rank(b, "np.kron")
    r = max(ra, rb)
    if r == 0:
        return a * b
    a = apply("expand_dims", a, axis=tuple(range(r - ra))) if ra < r else a
    b = apply("expand_dims", b, axis=tuple(range(r - rb))) if rb < r else b
    spread = apply("expand_dims", a, axis=tuple(2 * i + 1 for i in range(r))) * \
        apply("expand_dims", b, axis=tuple(2 * i for i in range(r)))
    return apply("reshape", spread, apply("kron_shape", a, b))


kron = composite("kron", "np.kron({0}, {1})", _kron)
PRIMS["kron"].shape = lambda a, b: (None,) * max(len(a), len(b)) if shapes.known(a) and shapes.known(b) else None


# np.r_[a, b, ...] and np.c_[a, b, ...] of arrays and numbers: concatenations (no slices or string directives)
def _r_(*xs):
    return apply("concatenate", *[_promote(x, 1, "np.r_") for x in xs], axis=0)


def _c_(*xs):
    return apply("concatenate", *[_column(x, "np.c_") for x in xs], axis=-1)


r_ = composite("r_", lambda *xs: f"np.r_[{', '.join(xs)}]", _r_)
c_ = composite("c_", lambda *xs: f"np.c_[{', '.join(xs)}]", _c_)
