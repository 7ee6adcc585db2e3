"""Vector mode (Hessians, Jacobians): the rules of the operations that need more than broadcasting, and the ops
only vector mode emits."""

from .. import shapes
from ..errors import GENERATED, WengertError
from ..trace import apply, is_batched, key
from .core import PRIMS, _batch_elementwise, _batch_of, _lift_rank, _rank, _shift, defprim, helper
from .indexing import _index_text
from .shape import _flat_shape


# ---- vector mode: the same operations on values with a leading batch axis ---------------------------------
# A batched value holds n values of the primal shape stacked along a new first axis. Each rule
# rewrites an op so it acts on every slice at once: elementwise ops broadcast (after lining the
# primal axes up), axis arguments shift by one, matrix products keep the batch axis in front.

def _batch_reduction(name):
    def rule(b, x, axis=None, keepdims=False, **kw):
        return b.emit_batched(name, (x,), {"axis": _shift(axis, _rank(x)), "keepdims": keepdims, **kw})
    return rule


for _name in ("sum", "mean", "max", "min", "var", "std", "prod"):
    PRIMS[_name].batch = _batch_reduction(_name)


def _batch_cumsum(b, x, axis=None):
    if axis is None and _rank(x) != 1 or _rank(x) == 0:  # np.cumsum flattens (a 0-d x too): flatten each slice
        return b.emit_batched("cumsum", (b.emit_batched("ravel_batch", (x,)),), {"axis": 1})
    return b.emit_batched("cumsum", (x,), {"axis": 1 if axis is None else _shift(axis, 99)})


PRIMS["cumsum"].batch = _batch_cumsum
PRIMS["rcumsum"].batch = lambda b, g, axis: b.emit_batched("rcumsum", (g,), {"axis": _shift(axis, 99)})
defprim("ravel_batch", "np.reshape({0}, np.shape({0})[:1] + (-1,))",
        shape=lambda x: x[:1] + _flat_shape(x[1:]) if shapes.known(x) and x else None)

PRIMS["expand_dims"].batch = lambda b, g, axis: b.emit_batched("expand_dims", (g,), {"axis": _shift(axis, 99)})
PRIMS["sum_axes"].batch = lambda b, g, lead=(), units=(): b.emit_batched(
    "sum_axes", (g,), {"lead": tuple(a + 1 for a in lead), "units": tuple(u + 1 for u in units)})
PRIMS["transpose"].batch = lambda b, x, axes=None: b.emit_batched(
    "transpose", (x,), {"axes": (0,) + (tuple(a + 1 for a in axes) if axes else tuple(range(_rank(x), 0, -1)))})
# np.trace sums the diagonal of the first two axes: behind the batch axis, axes 1 and 2 (axes -2, -1 were
# right for a matrix only: a stack's trace in vector mode was taken over its last two axes)
PRIMS["trace"].batch = lambda b, a: b.emit_batched("trace_batch", (a,))
defprim("trace_batch", "np.trace({0}, axis1=1, axis2=2)", shape=lambda a: a[:1] + a[3:] if shapes.known(a) else None)
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
    """a @ c with one side (or both) batched: the batch axis stays in front. A vector operand is made the
    matrix matmul reads it as ((1, k) on the left, (k, 1) on the right), a batched operand with fewer stack
    axes gets unit axes behind its batch axis (else the batch axis would meet the other's stack axes), and the
    vector's axis is squeezed out of the result again."""
    ra, rc = _rank(a), _rank(c)
    if is_batched(a) and is_batched(c) and (ra == 1 or rc == 1):
        raise WengertError("vector mode of a product of two batched vectors is not supported", GENERATED,
                           0, 0, "", "use a lower derivative order")
    if is_batched(a) and not is_batched(c) and ra == 1 and rc == 2:
        seed = b.defs.get(a.name)
        if seed is not None and seed.prim == "basis":
            return b.emit_batched("as_batch", (c,))      # the unit directions times c: c's rows
        return b.emit_batched("matmul", (a, c))          # (n, k) @ (k, m)
    if is_batched(c) and not is_batched(a) and rc == 1 and ra == 2:
        seed = b.defs.get(c.name)
        if seed is not None and seed.prim == "basis":
            return b.emit_batched("as_batch", (a.T,))      # a times each unit direction: a's columns
        return b.emit_batched("matmul", (c, a.T))        # each row of c is a vector: (n, k) @ a.T

    def emit(name, x, attrs):
        return b.emit_batched(name, (x,), attrs) if is_batched(x) else b.emit_plain(name, (x,), attrs)

    left = emit("expand_dims", a, {"axis": -2}) if ra == 1 else a
    right = emit("expand_dims", c, {"axis": -1}) if rc == 1 else c
    stack = max(ra, rc, 2)
    left, right = _lift_rank(b, left, stack), _lift_rank(b, right, stack)
    out = b.emit_batched("matmul", (left, right))
    if ra == 1:
        out = b.emit_batched("squeeze", (out,), {"axis": -2})
    if rc == 1:
        out = b.emit_batched("squeeze", (out,), {"axis": -1})
    return out


def _batch_dot(b, a, c):
    if _rank(a) == 0 or _rank(c) == 0:
        return _batch_elementwise(b, "mul", (a, c), {})
    if max(_rank(a), _rank(c)) > 2:  # N-D np.dot is no matmul: the einsum it is, batched
        from .linalg import _contraction_subscripts
        return PRIMS["einsum"].batch(b, a, c, subscripts=_contraction_subscripts(_rank(a), _rank(c), matmul=False))
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


def _batch_linspace(b, start, stop, num=50, axis=0):
    rank = max(_rank(start), _rank(stop))
    ends = [_lift_rank(b, x, rank) for x in (start, stop)]
    return b.emit_batched("linspace", ends, {"num": num, "axis": axis + 1})


PRIMS["linspace"].batch = _batch_linspace
PRIMS["linspace_vjp"].batch = lambda b, g, num, end, axis=0: b.emit_batched(
    "linspace_vjp", (g,), {"num": num, "end": end, "axis": axis + 1})


def _batch_squeeze(b, x, axis=None):
    if axis is None:
        dims = key(x)[1:] if shapes.known(key(x)) else None
        if dims is None or None in dims:
            raise WengertError("vector mode of np.squeeze without axis needs to know which axes have length 1",
                               GENERATED, 0, 0, "", "write np.squeeze(x, axis=...)")
        axis = tuple(i for i, d in enumerate(dims) if d == 1)
    return b.emit_batched("squeeze", (x,), {"axis": _shift(axis, 99)})


PRIMS["ravel"].batch = lambda b, x: b.emit_batched("ravel_batch", (x,))
PRIMS["flatten"].batch = lambda b, x: b.emit_batched("ravel_batch", (x,))
PRIMS["squeeze"].batch = _batch_squeeze
PRIMS["flip"].batch = lambda b, x, axis=None: b.emit_batched("flip", (x,), {"axis": _shift(axis, _rank(x))})


def _batch_prod_others(b, x, t=None, axis=None):
    """prod_others (t None) or prod_others_jvp on a batch: an unbatched argument gets a leading axis of length 1."""
    rank = _rank(x) if t is None else max(_rank(x), _rank(t))
    args = [v if is_batched(v) else b.emit_plain("expand_dims", (v,), {"axis": 0}) for v in (x, t) if v is not None]
    return b.emit_batched("prod_others" if t is None else "prod_others_jvp", args, {"axis": _shift(axis, rank)})


PRIMS["prod_others"].batch = lambda b, x, axis=None: _batch_prod_others(b, x, axis=axis)
PRIMS["prod_others_jvp"].batch = lambda b, x, t, axis=None: _batch_prod_others(b, x, t, axis)


def _batch_tri(name):
    def rule(b, x, k=0):
        if _rank(x) < 2:
            raise WengertError(f"vector mode of np.{name} of a vector is not supported", GENERATED, 0, 0, "",
                               f"apply np.{name} to a matrix (e.g. np.outer(np.ones(n), x))")
        return b.emit_batched(name, (x,), {"k": k})
    return rule


def _batch_tri_vjp(b, g, x, k=0, upper=True):
    if is_batched(x):
        raise WengertError("vector mode of this np.triu/np.tril cotangent is not supported", GENERATED, 0, 0, "",
                           "use hvp or jvp/vjp one direction at a time")
    return b.emit_batched("tri_vjp", (g, x), {"k": k, "upper": upper})


PRIMS["triu"].batch = _batch_tri("triu")
PRIMS["tril"].batch = _batch_tri("tril")
PRIMS["tri_vjp"].batch = _batch_tri_vjp
PRIMS["swapaxes_ij"].batch = lambda b, x, axis1, axis2: b.emit_batched(
    "swapaxes_ij", (x,), {"axis1": _shift(axis1, 99), "axis2": _shift(axis2, 99)})
PRIMS["moveaxis"].batch = lambda b, x, source, destination: b.emit_batched(
    "moveaxis", (x,), {"source": _shift(source, 99), "destination": _shift(destination, 99)})

PRIMS["flipud"].batch = lambda b, x: b.emit_batched("flip", (x,), {"axis": 1})
PRIMS["fliplr"].batch = lambda b, x: b.emit_batched("flip", (x,), {"axis": 2})


def _batch_roll(b, x, shift, axis=None):
    if axis is None and _rank(x) != 1:
        raise WengertError("vector mode of np.roll without axis (of the flattened array) is not supported",
                           GENERATED, 0, 0, "", "give axis=")
    return b.emit_batched("roll", (x,), {"shift": shift, "axis": 1 if axis is None else _shift(axis, 99)})


PRIMS["roll"].batch = _batch_roll


def _batch_diagonal(b, x, offset=0, axis1=0, axis2=1):
    return b.emit_batched("diagonal", (x,), {"offset": offset, "axis1": _shift(axis1, 99), "axis2": _shift(axis2, 99)})


def _batch_diagonal_vjp(b, g, x, offset=0, axis1=0, axis2=1):
    like = x if is_batched(x) else b.emit_batched("batch_like", (x, g))
    return b.emit_batched("diagonal_vjp", (g, like), {"offset": offset, "axis1": _shift(axis1, 99),
                                                      "axis2": _shift(axis2, 99)})


def _no_batch_diag(b, *args, **kw):
    raise WengertError("vector mode of np.diag is not supported", GENERATED, 0, 0, "",
                       "write np.diagonal(x) for a matrix's diagonal, or use hvp / jvp one direction at a time")


helper('''
def _trace_vjp_batch(g, a):
    """_trace_vjp with a leading batch axis on a (and on g, or g the same for every direction)."""
    out = np.zeros(np.shape(a), dtype=np.result_type(g, 1.0))
    for i in range(min(np.shape(a)[1:3])):
        out[:, i, i] = g
    return out
''')
defprim("trace_vjp_batch", "_trace_vjp_batch({0}, {1})", shape=lambda g, a: a, shape_args=(1,))


def _batch_trace_vjp(b, g, a):
    like = a if is_batched(a) else b.emit_batched("batch_like", (a, g))
    return b.emit_batched("trace_vjp_batch", (g, like))


PRIMS["trace_vjp"].batch = _batch_trace_vjp
PRIMS["diagonal"].batch = _batch_diagonal
PRIMS["diagonal_vjp"].batch = _batch_diagonal_vjp
helper('''
def _diag_batch(x, k):
    """np.diag(v, k) for each vector v = x[i] of a batch: a stack of matrices."""
    n = np.shape(x)[-1]
    out = np.zeros(np.shape(x)[:1] + (n + abs(k), n + abs(k)), dtype=np.result_type(x, 1.0))
    steps = np.arange(n)
    out[:, steps + max(-k, 0), steps + max(k, 0)] = x
    return out
''')
defprim("diag_batch", "_diag_batch({0}, {k})", shape=lambda x, k: x[:1] + (None, None) if shapes.known(x) else None,
        tangent=lambda ts, y, x, k: apply("diag_batch", ts[0], k=k),
        adjoint=lambda h, y, x, k: (apply("diagonal", h, offset=k, axis1=1, axis2=2),))


def _batch_diag(b, x, k=0):
    """np.diag of a batch: a stack of diagonal matrices (vectors), or each matrix's diagonal."""
    if _rank(x) == 1:
        return b.emit_batched("diag_batch", (x,), {"k": k})
    if _rank(x) != 2:
        _no_batch_diag(b)
    return b.emit_batched("diagonal", (x,), {"offset": k, "axis1": 1, "axis2": 2})


def _batch_diag_vjp(b, g, x, k=0):
    if is_batched(x) or _rank(x) not in (1, 2):
        _no_batch_diag(b)
    if _rank(x) == 1:
        return b.emit_batched("diagonal", (g,), {"offset": k, "axis1": 1, "axis2": 2})
    return b.emit_batched("diagonal_vjp", (g, b.emit_batched("batch_like", (x, g))),
                          {"offset": k, "axis1": 1, "axis2": 2})


PRIMS["diag"].batch = _batch_diag
PRIMS["diag_vjp"].batch = _batch_diag_vjp
