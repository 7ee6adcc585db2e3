"""Item assignment as functional updates, and the index producers (argmax, argsort, ...).

  y2 = setitem(y1, e, *dyn, spec)   y2 is y1 with y2[spec] = e;   emitted as `y2[spec] = e` on y1's buffer
  y2 = addat(y1, g, *dyn, spec)     y2 is y1 with g added at spec, repeats accumulating (np.add.at);
                                    the adjoint of a read x[spec] accumulates into one buffer: `dx[i] += g`
  y2 = copy(y1)                     a fresh array: what an item assignment may change

An assignment overwrites: the cotangent of the overwritten values is 0 (dy1 = setitem(dy2, 0)), and of e it
is dy2 at the places e went; where an integer-array index repeats, NumPy keeps the last write, so only that
one gets a cotangent (_last_writes). See parse/mutation.py's item_assignment (which names hold one array) and
inplace.py (when an update may change its array's own buffer).
"""

import numpy as np

from .. import shapes
from ..errors import GENERATED, WengertError
from ..trace import apply, is_batched, key
from .core import PRIMS, Lazy, _kwargs, _lift_rank, _obj, defprim, helper, nondiff, unbroadcast, zeros_like
from .indexing import _index_text, _sym_index, _sym_key

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
def _truths(x):
    """x's entries as bools (SymPy's True and False, numbers), for the symbolic meanings of index producers."""
    x = _obj(x)
    return np.array([bool(v) for v in x.ravel()], dtype=bool).reshape(x.shape)


nondiff("flatnonzero", "np.flatnonzero({0})", lambda x: np.flatnonzero(_truths(x)), lambda x: (None,))
nondiff("nonzero", lambda x, axis: f"np.nonzero({x})[{axis}]",  # item `axis` of np.nonzero's tuple
        lambda x, axis: np.nonzero(_truths(x))[axis], lambda x, axis: (None,))


# ---- lists appended to in a loop ------------------------------------------------------------------------
# hs = [] ... hs.append(h) ... np.stack(hs): the list is a value like an array (hs2 = append(hs1, h), emitted as
# hs.append(h) in place), and its cotangent is the array of its items' cotangents, stacked: the adjoint of
# append gives g[-1] to h and g[:-1] (a view) to the list before it; the adjoint of np.stack(hs) is g itself.

def _append_tangent(ts, out, lst, v):
    tl, tv = ts
    if tl is None and tv is None:
        return None
    return apply("append", tl if tl is not None else apply("list_zeros", lst), tv if tv is not None else zeros_like(v))


# A list's shape key is its stacked array's: (None, *item) once an item is known; EMPTY_LIST before (a loop's
# shape inference lets a list that starts empty take the key its first pass gives: builder.py).
EMPTY_LIST = shapes.EMPTY_LIST


def _list_key(lst, v):
    """(None, *item); in vector mode, where the list or the item has the batch axis, ("batch", None, *item)."""
    if not shapes.known(v):
        return None
    if v[:1] == ("batch",):
        return ("batch", None) + v[1:]
    return ("batch", None) + v if lst[:1] == ("batch",) else (None,) + v


nondiff("new_list", "[]", lambda: [], lambda: EMPTY_LIST)
nondiff("list_zeros", "[np.zeros_like(v) for v in {0}]", lambda lst: [0 * v for v in lst], lambda lst: lst)
defprim("append", "{0} + [{1}]", sympy=lambda lst, v: list(lst) + [v], diff_args=(0, 1), statement=True,
        shape=_list_key, tangent=_append_tangent,
        adjoint=lambda g, out, lst, v: (Lazy(lambda: apply("index", g, spec=(("slice", None, -1, None),))),
                                        Lazy(lambda: unbroadcast(apply("index", g, spec=(("int", -1),)), v))))
defprim("stack_list", "np.stack({0})", sympy=lambda lst: np.array([_obj(v) for v in lst], dtype=object),
        shape=lambda lst: lst if shapes.known(lst) else None,
        tangent=lambda ts, y, lst: apply("stack_list", ts[0]), adjoint=lambda g, y, lst: (g,))

# Vector mode (Hessians, Jacobians): a list holding values of a batch is a list whose items may have the leading
# batch axis or not (a tangent list starts as zeros without it); its key is ("batch", None, *item), and stacking
# it lines the items up on one batch axis and stacks them along axis 1.
helper('''
def _stack_batch(items, rank):
    """Items of rank `rank`, some with a leading batch axis too, as one array (batch, len(items), ...)."""
    items = [v if np.ndim(v) > rank else np.asarray(v)[None] for v in items]
    return np.stack(np.broadcast_arrays(*items), axis=1)
''')
defprim("stack_batch", lambda lst, rank: f"_stack_batch({lst}, {rank})", shape=lambda lst, rank: lst,
        sympy=lambda lst, rank: np.moveaxis(np.array([np.broadcast_to(_obj(v), np.shape(_obj(v))) for v in lst],
                                                     dtype=object), 0, 1))


def _batch_append(b, lst, v):
    item = key(v)[1:] if is_batched(v) else key(v)
    if not shapes.known(item):
        raise WengertError("Hessians and Jacobians through a list need the rank of its items", GENERATED, 0, 0, "",
                           "call the function on arrays, or give --shape on the command line")
    return b.emit_batched("append", (lst, v))


def _batch_stack_list(b, lst):
    k = key(lst)
    if not shapes.known(k) or k[:1] != ("batch",):
        raise WengertError("Hessians and Jacobians through a list need the rank of its items", GENERATED, 0, 0, "",
                           "call the function on arrays, or give --shape on the command line")
    return b.emit_batched("stack_batch", (lst,), {"rank": len(k) - 2})


PRIMS["append"].batch = _batch_append
PRIMS["list_zeros"].batch = lambda b, lst: b.emit_batched("list_zeros", (lst,))
PRIMS["stack_list"].batch = _batch_stack_list




nondiff("argpartition", lambda x, kth, axis=-1: f"np.argpartition({x}, {kth!r}{_kwargs(axis=axis) if axis != -1 else ''})",
        lambda x, kth, axis=-1: np.argpartition(np.asarray(x, dtype=float), kth, axis=axis),
        lambda x, kth, axis=-1: x)
PRIMS["argpartition"].batch = lambda b, x, kth, axis=-1: b.emit_batched(
    "argpartition", (x,), {"kth": kth, "axis": axis if axis < 0 else axis + 1})
PRIMS["argsort"].batch = lambda b, x, axis=-1: b.emit_batched(
    "argsort", (x,), {"axis": axis if axis < 0 else axis + 1})
