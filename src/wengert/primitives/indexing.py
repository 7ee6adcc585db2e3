"""Indexing: x[...] (index) and its cotangent (scatter), take along an axis, where."""

import numpy as np

from .. import shapes
from ..trace import apply
from .core import Lazy, _obj, _scalar_or_array, _vectorized, broadcast_like, defprim, helper, sympy, unbroadcast


def _where_tangent(ts, y, c, a, b):
    ta = ts[1] if ts[1] is not None else 0.0
    tb = ts[2] if ts[2] is not None else 0.0
    return broadcast_like(where(c, ta, tb), y)


where = defprim("where", "np.where({0}, {1}, {2})",
                sympy=_vectorized(lambda c, a, b: sympy.Piecewise((a, c), (b, True))),
                shape=shapes.broadcast, tangent=_where_tangent, diff_args=(1, 2),
                adjoint=lambda g, y, c, a, b: (None, Lazy(lambda: unbroadcast(where(c, g, 0.0), a)),
                                                Lazy(lambda: unbroadcast(where(c, 0.0, g), b))))


def _index_text(spec, dyn):
    def bound(b):
        return "" if b is None else dyn[b[1] - 1] if isinstance(b, tuple) else str(b)

    parts = []
    for item in spec:
        kind = item[0]
        if kind == "int":
            parts.append(str(item[1]))
        elif kind == "arg":
            parts.append(dyn[item[1] - 1])
        elif kind == "newaxis":
            parts.append("None")
        elif kind == "ellipsis":
            parts.append("...")
        else:
            start, stop, step = (bound(b) for b in item[1:])
            parts.append(f"{start}:{stop}" + (f":{step}" if step else ""))
    return ", ".join(parts) if len(parts) != 1 or parts[0] == "..." else parts[0] + ("" if kind != "ellipsis" else "")


def _index_src(x, *dyn, spec):
    return f"{x}[{_index_text(spec, dyn)}]"


def _sym_key(spec, dyn):
    """The index an index spec means on concrete (or SymPy object) arrays: integer arrays stay arrays."""
    key = []
    for item in spec:
        kind = item[0]
        if kind == "int":
            key.append(item[1])
        elif kind == "arg":
            d = dyn[item[1] - 1]
            key.append(np.asarray(d).astype(int) if np.ndim(d) else int(d))
        elif kind == "newaxis":
            key.append(None)
        elif kind == "ellipsis":
            key.append(Ellipsis)
        else:
            key.append(slice(*(int(dyn[b[1] - 1]) if isinstance(b, tuple) else b for b in item[1:])))
    return tuple(key)


def _sym_index(x, *dyn, spec):
    key = _sym_key(spec, dyn)
    if isinstance(x, tuple):
        return x[key[0]]
    return _scalar_or_array(_obj(x)[key])


helper('''
def _scatter(g, x, index):
    """The cotangent of x[index]: g placed at index, zeros elsewhere (an array of x's kind, or g's when only
    g is not NumPy, so Dask or CuPy arrays stay where they are)."""
    dtype = np.result_type(g, x, 1.0)  # x's precision too: a Python float g keeps a float32 x float32
    if isinstance(x, np.ndarray) and not isinstance(g, (np.ndarray, np.generic, float, int)):
        out = np.zeros_like(g, shape=np.shape(x), dtype=dtype)
    else:
        out = np.zeros_like(x, dtype=dtype)
    items = index if isinstance(index, tuple) else (index,)
    if any(i is None for i in items):  # Dask cannot assign through np.newaxis
        index = tuple(i for i in items if i is not None)
        g = np.reshape(g, np.shape(out[index]))
    if any(isinstance(i, (list, np.ndarray)) and np.asarray(i).dtype != bool for i in items):
        np.add.at(out, index, g)  # an integer-array index may repeat: the repeats' cotangents add up
    else:
        out[index] = g
    return out
''')

index = defprim("index", _index_src, sympy=_sym_index, shape=lambda x, *dyn, spec: shapes.index(x, spec, dyn),
                tangent=lambda ts, y, x, *dyn, spec: apply("index", ts[0], *dyn, spec=spec),
                adjoint=lambda g, y, x, *dyn, spec: (apply("scatter", g, x, *dyn, spec=spec),) + (None,) * len(dyn),
                diff_args=(0,))


def _sym_scatter(g, x, *dyn, spec):
    out = np.zeros(np.shape(x), dtype=int).astype(object)
    probe = np.arange(out.size).reshape(out.shape)
    picked = _obj(_sym_index(probe, *dyn, spec=spec))
    flat = out.ravel()
    for pos, value in zip(np.asarray(picked).ravel().tolist(), np.broadcast_to(_obj(g), np.shape(picked)).ravel().tolist()):
        flat[pos] = flat[pos] + value
    return _scalar_or_array(flat.reshape(out.shape))


defprim("scatter", lambda g, x, *dyn, spec: f"_scatter({g}, {x}, np.s_[{_index_text(spec, dyn)}])",
        sympy=_sym_scatter, shape=lambda g, x, *dyn, spec: x, diff_args=(0,), shape_args=(1,),
        tangent=lambda ts, y, g, x, *dyn, spec: None if ts[0] is None else apply("scatter", ts[0], x, *dyn, spec=spec),
        adjoint=lambda h, y, g, x, *dyn, spec: (apply("index", h, *dyn, spec=spec),) + (None,) * (1 + len(dyn)))


defprim("take", "np.take({0}, {index}, axis={axis})", shape=lambda g, index, axis: shapes.reduce(g, axis),
        sympy=lambda g, index, axis: _scalar_or_array(np.take(_obj(g), index, axis=axis)),
        tangent=lambda ts, y, g, **kw: apply("take", ts[0], **kw))
