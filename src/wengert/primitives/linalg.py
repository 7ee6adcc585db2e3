"""Linear algebra: dot, matmul, outer, swapaxes of the last two axes, transpose, trace, norm."""

import numpy as np
import sympy

from .. import shapes
from ..trace import Const, apply, rank
from .core import Lazy, _kwargs, _obj, _scalar_or_array, defprim, helper, unbroadcast
from .constructors import eye_like
from .shape import shape_
from .reductions import _sym_unbroadcast
from .indexing import where


def _bilinear_tangent(op):
    """Tangent of a product-like op: op(ta, b) + op(a, tb)."""
    def tangent(ts, y, a, b):
        terms = [op(ts[0], b) if ts[0] is not None else None, op(a, ts[1]) if ts[1] is not None else None]
        terms = [t for t in terms if t is not None]
        return terms[0] if len(terms) == 1 else terms[0] + terms[1]
    return tangent


def _dot_adjoint(g, y, a, b):
    ra, rb = rank(a), rank(b)
    if ra is None or rb is None or ra > 2 or rb > 2:
        return _rank_generic_vjp("dot", g, a, b)
    if ra == 0 or rb == 0 or ra == rb == 1:  # vector . vector: g is a scalar (Dask's dot rejects 0-d operands)
        return (Lazy(lambda: unbroadcast(g * b, a)), Lazy(lambda: unbroadcast(g * a, b)))
    return (Lazy(lambda: outer(g, b) if (ra, rb) == (2, 1) else dot(g, b.T)),
            Lazy(lambda: outer(a, g) if (ra, rb) == (1, 2) else dot(a.T, g)))


def _matmul_adjoint(g, y, a, b):
    ra, rb = rank(a), rank(b)
    if ra is None or rb is None or (min(ra, rb) == 1 and max(ra, rb) > 2):
        return _rank_generic_vjp("matmul", g, a, b)
    if ra == 1 and rb == 1:
        return (Lazy(lambda: g * b), Lazy(lambda: g * a))
    if rb == 1:
        return (Lazy(lambda: outer(g, b)), Lazy(lambda: g @ a))
    if ra == 1:
        return (Lazy(lambda: b @ g), Lazy(lambda: outer(a, g)))
    return (Lazy(lambda: unbroadcast(g @ swap_last(b), a)), Lazy(lambda: unbroadcast(swap_last(a) @ g, b)))


def swap_last(x):
    return x.T if rank(x) == 2 else apply("swapaxes", x)


dot = defprim("dot", "np.dot({0}, {1})", sympy=lambda a, b: _scalar_or_array(np.dot(_obj(a), _obj(b))),
              shape=shapes.dot, tangent=_bilinear_tangent(lambda a, b: dot(a, b)), adjoint=_dot_adjoint)
matmul = defprim("matmul", "{0} @ {1}", sympy=lambda a, b: _scalar_or_array(np.matmul(_obj(a), _obj(b))),
                 shape=shapes.matmul, tangent=_bilinear_tangent(lambda a, b: a @ b), adjoint=_matmul_adjoint)
def _outer_adjoint(g, y, a, b):
    """np.outer flattens its arguments; the cotangents are reshaped back."""
    flat = lambda x: x if rank(x) == 1 else apply("reshape", x, Const((-1,)))  # noqa: E731
    back = lambda v, x: v if rank(x) == 1 else apply("reshape", v, shape_(x))  # noqa: E731
    return (Lazy(lambda: back(dot(g, flat(b)), a)), Lazy(lambda: back(dot(g.T, flat(a)), b)))


outer = defprim("outer", "np.outer({0}, {1})", sympy=lambda a, b: np.outer(_obj(a), _obj(b)),
                shape=lambda a, b: (a[0], b[0]) if shapes.known(a) and shapes.known(b) and len(a) == len(b) == 1
                else None,
                tangent=_bilinear_tangent(lambda a, b: outer(a, b)), adjoint=_outer_adjoint)
swapaxes = defprim("swapaxes", "np.swapaxes({0}, -1, -2)", sympy=lambda a: np.swapaxes(_obj(a), -1, -2),
                   shape=lambda a: a[:-2] + a[:-3:-1] if shapes.known(a) else None,
                   tangent=lambda ts, y, a: apply("swapaxes", ts[0]),
                   adjoint=lambda g, y, a: (apply("swapaxes", g),))

helper('''
def _dot_vjp(g, a, b):
    """Cotangents (da, db) of y = np.dot(a, b) for scalars, vectors and matrices."""
    na, nb = np.ndim(a), np.ndim(b)
    if na == 0 or nb == 0 or na == nb == 1:
        return _unbroadcast(g * b, a), _unbroadcast(g * a, b)
    if na > 2 or nb > 2:  # sum over a's last axis and b's second-to-last (its only one when 1-D)
        k = max(nb - 2, 0)
        da = np.tensordot(g, b, axes=(list(range(na - 1, np.ndim(g))), [i for i in range(nb) if i != k]))
        db = np.moveaxis(np.tensordot(a, g, axes=(list(range(na - 1)), list(range(na - 1)))), 0, k)
        return da, db
    da = np.outer(g, b) if (na, nb) == (2, 1) else np.dot(g, np.transpose(b))
    db = np.outer(a, g) if (na, nb) == (1, 2) else np.dot(np.transpose(a), g)
    return da, db
''')
helper('''
def _matmul_vjp(g, a, b):
    """Cotangents (da, db) of y = a @ b for any ranks, batched dimensions included."""
    a2 = a[None, :] if np.ndim(a) == 1 else a
    b2 = b[:, None] if np.ndim(b) == 1 else b
    g2 = g
    if np.ndim(b) == 1:
        g2 = np.expand_dims(g2, -1)
    if np.ndim(a) == 1:
        g2 = np.expand_dims(g2, -2)
    da = _unbroadcast(g2 @ np.swapaxes(b2, -1, -2), a2)
    db = _unbroadcast(np.swapaxes(a2, -1, -2) @ g2, b2)
    return np.reshape(da, np.shape(a)), np.reshape(db, np.shape(b))
''')
defprim("dot_vjp", "_dot_vjp({0}, {1}, {2})", sympy=lambda g, a, b: _sym_vjp(g, a, b))
defprim("matmul_vjp", "_matmul_vjp({0}, {1}, {2})", sympy=lambda g, a, b: _sym_vjp(g, a, b))


def _rank_generic_vjp(name, g, a, b):
    """(da, db) through a helper that inspects ranks at run time."""
    both = apply(name + "_vjp", g, a, b)
    return tuple(Lazy(lambda i=i: apply("index", both, spec=(("int", i),))) for i in (0, 1))


def _sym_vjp(g, a, b):
    """Cotangents of a and b through dot/matmul on object arrays (for the symbolic check)."""
    a, b, g = _obj(a), _obj(b), _obj(g)
    if a.ndim == 0 or b.ndim == 0:
        return _sym_unbroadcast(g * b, a), _sym_unbroadcast(g * a, b)
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    g2 = g
    if b.ndim == 1:
        g2 = np.expand_dims(g2, -1)
    if a.ndim == 1:
        g2 = np.expand_dims(g2, -2)
    da = _sym_unbroadcast(np.matmul(g2, np.swapaxes(b2, -1, -2)), a2)
    db = _sym_unbroadcast(np.matmul(np.swapaxes(a2, -1, -2), g2), b2)
    return _scalar_or_array(np.reshape(_obj(da), a.shape)), _scalar_or_array(np.reshape(_obj(db), b.shape))


def _transpose_src(x, axes=None):
    return f"{x}.T" if axes is None else f"np.transpose({x}, {axes!r})"


def _inverse(axes):
    return None if axes is None else tuple(int(i) for i in np.argsort([a % len(axes) for a in axes]))


transpose = defprim("transpose", _transpose_src, sympy=lambda x, axes=None: np.transpose(_obj(x), axes),
                    shape=shapes.transpose,
                    tangent=lambda ts, y, x, axes=None: apply("transpose", ts[0], axes=axes),
                    adjoint=lambda g, y, x, axes=None: (apply("transpose", g, axes=_inverse(axes)),))

trace_ = defprim("trace", "np.trace({0})", sympy=lambda a: _scalar_or_array(np.trace(_obj(a))),
                 shape=lambda a: a[2:] if shapes.known(a) and len(a) >= 2 else None,
                 tangent=lambda ts, y, a: apply("trace", ts[0]),
                 adjoint=lambda g, y, a: (g * eye_like(a),) if rank(a) == 2 else (apply("trace_vjp", g, a),))
helper('''
def _trace_vjp(g, a):
    """The cotangent of np.trace(a) for any rank: g on the diagonal of a's first two axes, zeros elsewhere."""
    n, m = np.shape(a)[:2]
    return np.reshape(np.eye(n, m), (n, m) + (1,) * (np.ndim(a) - 2)) * g
''')


def _sym_trace_vjp(g, a):
    n, m = np.shape(a)[:2]
    eye = np.eye(n, m, dtype=int).astype(object)
    return np.reshape(eye, (n, m) + (1,) * (np.ndim(a) - 2)) * _obj(g)


defprim("trace_vjp", "_trace_vjp({0}, {1})", sympy=_sym_trace_vjp, shape=lambda g, a: a, shape_args=(1,),
        tangent=lambda ts, y, g, a: apply("trace_vjp", ts[0], a),
        adjoint=lambda h, y, g, a: (apply("trace", h), None), diff_args=(0,))


def _norm_src(x, ord=None):
    return f"np.linalg.norm({x}{_kwargs(ord=ord)})"


def _norm_divisor(y):
    """The norm y as a divisor of x, 1 where it is 0: there x is 0 too, and x / 1 gives the midpoint
    subgradient 0 of the norm's kink at the origin (x / y would be 0 / 0)."""
    return where(apply("equal", y, 0.0), 1.0, y)


norm = defprim("norm", _norm_src,
               sympy=lambda x, ord=None: sympy.sqrt(sum(v ** 2 for v in _obj(x).ravel().tolist())),
               shape=lambda x, ord=None: shapes.SCALAR,
               tangent=lambda ts, y, x, ord=None: apply("sum", x * ts[0]) / _norm_divisor(y),
               adjoint=lambda g, y, x, ord=None: (g * x / _norm_divisor(y),))
