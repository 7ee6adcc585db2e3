"""Linear algebra and contractions: dot, matmul, outer, swapaxes of the last two axes, transpose, trace, norm;
np.linalg.solve, inv, det, slogdet, cholesky, eigh, norm with ord/axis/keepdims; einsum, tensordot, inner,
vdot, cross.

Rules follow Giles, "Collected matrix derivative results for forward and reverse mode AD" (2008), Murray,
"Differentiation of the Cholesky decomposition" (2016), and the eigenvector formula with the matrix F of
inverse eigenvalue gaps. The rules of the np.linalg functions are written with ops that act on the last two
axes (solve, @, swapaxes, tril), so stacked matrices and vector mode (a leading batch axis) work alike. No
explicit inverse where a solve does: the adjoint of solve is a solve with the transpose. NumPy's cholesky
and eigh read only the lower triangle of their argument: their derivatives are those of the functions NumPy
computes, so a perturbation of the upper triangle has derivative 0 (sym_lower below). How the calls are
read (slogdet's pair, einsum's subscripts, norm's ord) is in linalg_calls.py.
"""

import string

import numpy as np

from .. import shapes
from ..errors import GENERATED, WengertError
from ..trace import Const, Var, apply, is_batched, key, primal_rank, rank
from .core import PRIMS, Lazy, _kwargs, _obj, _rank, _scalar_or_array, defprim, helper, need_rank, sympy,\
    unbroadcast
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


def _contraction_subscripts(ra, rb, matmul):
    """np.dot (matmul=False) or a @ b with a vector operand (matmul=True) of operands of ranks ra, rb >= 1,
    as einsum subscripts: a's last axis with b's second-to-last (its only one when 1-D)."""
    letters = iter(string.ascii_letters)
    k = next(letters)
    a_lead = "".join(next(letters) for _ in range(ra - 1))
    b_lead = "".join(next(letters) for _ in range(rb - 2)) if rb >= 2 else ""
    m = next(letters) if rb >= 2 else ""
    if matmul and ra == 1:
        return f"{k},{b_lead}{k}{m}->{b_lead}{m}"
    if matmul and rb == 1:
        return f"{a_lead}{k},{k}->{a_lead}"
    return f"{a_lead}{k},{b_lead}{k}{m}->{a_lead}{b_lead}{m}"


def _dot_adjoint(g, y, a, b):
    ra, rb = rank(a), rank(b)
    if ra is not None and rb is not None and (ra == 0 or rb == 0 or ra == rb == 1):
        # a product (vector . vector: g is a scalar; Dask's dot rejects 0-d operands)
        return (Lazy(lambda: unbroadcast(g * b, a)), Lazy(lambda: unbroadcast(g * a, b)))
    if ra is not None and rb is not None and max(ra, rb) > 2:
        # an einsum, whose rules (both modes, vector mode) then apply to the cotangents too
        return _einsum_adjoint(g, y, a, b, subscripts=_contraction_subscripts(ra, rb, matmul=False))
    if ra is None or rb is None:
        return _rank_generic_vjp("dot", g, a, b)
    return (Lazy(lambda: outer(g, b) if (ra, rb) == (2, 1) else dot(g, b.T)),
            Lazy(lambda: outer(a, g) if (ra, rb) == (1, 2) else dot(a.T, g)))


def _matmul_adjoint(g, y, a, b):
    ra, rb = rank(a), rank(b)
    if ra is not None and rb is not None and min(ra, rb) == 1 and max(ra, rb) > 2:
        return _einsum_adjoint(g, y, a, b, subscripts=_contraction_subscripts(ra, rb, matmul=True))
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
        tangent=lambda ts, y, g, a: None if ts[0] is None else apply("trace_vjp", ts[0], a),  # a: its shape only
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


# ==== np.linalg and contractions ============================================================================

def _swap(x):
    """x with its last two axes swapped: x.T for a matrix."""
    return x.T if rank(x) == 2 else apply("swapaxes", x)


def _known(*keys):
    return all(shapes.known(k) for k in keys)


def _matrix(a, name, square=True):
    """a, after checking that it is a matrix or a stack of them (as NumPy requires), when its rank is known."""
    r = primal_rank(a)
    if r is not None and r < 2:
        raise WengertError(f"{name} needs a matrix (or a stack of them), but this argument has {r} dimension"
                           f"{'s' * (r != 1)}", GENERATED, 0, 0, "", "pass a 2-D (or stacked) array")
    k = key(a)
    if square and r is not None and shapes.known(k) and not is_batched(a):
        m, n = k[-2:]
        if isinstance(m, int) and isinstance(n, int) and m != n:
            raise WengertError(f"{name} needs square matrices, not {m} x {n}", GENERATED, 0, 0, "",
                               "pass n x n matrices")
    return a


def _checked(name, rule, square=True):
    """rule, after checking that its first primal argument is a matrix (see _matrix)."""
    def checked(first, y, a, *rest, **attrs):
        _matrix(a, name, square)
        return rule(first, y, a, *rest, **attrs)
    return checked


def _per_matrix(fn):
    """A SymPy meaning on one matrix, mapped over the leading (stack) axes of object arrays."""
    def meaning(a, *rest):
        a = _obj(a)
        if a.ndim == 2:
            return fn(a, *rest)
        return np.array([meaning(m, *[r[i] if np.ndim(r) > 1 else r for r in rest]) for i, m in enumerate(a)],
                        dtype=object)
    return meaning


def _sym_solve(a, b):
    x = sympy.Matrix(a).LUsolve(sympy.Matrix(_obj(b)))
    return np.array(x.tolist(), dtype=object).reshape(np.shape(b))


# ---- solve ----------------------------------------------------------------------------------------------

def _solve_shape(a, b):
    if not _known(a, b) or len(a) < 2:
        return None
    if len(b) == 1:
        return a[:-1]
    lead = shapes.broadcast(a[:-2], b[:-2])
    return None if lead is None else lead + b[-2:]


def _solve(a, v, vector):
    """a^-1 v; vector: v holds one right-hand side per matrix (NumPy's 1-D b), as a (..., n) array."""
    if vector and not (rank(a) == 2 and rank(v) == 1):
        return apply("solve_vec", a, v)
    return apply("solve", a, v)


def _outer_last(u, v):
    """u[..., :, None] * v[..., None, :]."""
    return apply("expand_dims", u, axis=-1) * apply("expand_dims", v, axis=-2)


def _solve_tangent(vector):
    def tangent(ts, y, a, b):
        ta, tb = ts
        if ta is None:
            return _solve(a, tb, vector)
        prod = ta @ y if not vector else apply("sum", ta * apply("expand_dims", y, axis=-2), axis=-1)
        return _solve(a, (tb - prod) if tb is not None else -prod, vector)
    return tangent


def _solve_adjoint(vector):
    def adjoint(g, y, a, b):
        gb = _solve(_swap(a), g, vector)
        ga = Lazy(lambda: unbroadcast(-(_outer_last(gb, y) if vector else gb @ _swap(y)), a))
        return ga, Lazy(lambda: unbroadcast(gb, b))
    return adjoint


def _solve_vector(a, b):
    return need_rank(b, "np.linalg.solve") == 1


defprim("solve", "np.linalg.solve({0}, {1})", sympy=_per_matrix(_sym_solve), shape=_solve_shape,
        tangent=_checked("np.linalg.solve", lambda ts, y, a, b: _solve_tangent(_solve_vector(a, b))(ts, y, a, b)),
        adjoint=_checked("np.linalg.solve", lambda g, y, a, b: _solve_adjoint(_solve_vector(a, b))(g, y, a, b)))
defprim("solve_vec", "np.linalg.solve({0}, {1}[..., None])[..., 0]",
        sympy=lambda a, b: _solve_vec_sym(a, b),
        shape=lambda a, b: shapes.broadcast(a[:-1], b) if _known(a, b) and len(a) >= 2 else None,
        tangent=_solve_tangent(True), adjoint=_solve_adjoint(True))


def _solve_vec_sym(a, b):
    a, b = _obj(a), _obj(b)
    lead = np.broadcast_shapes(a.shape[:-2], b.shape[:-1])
    a = np.broadcast_to(a, lead + a.shape[-2:])
    b = np.broadcast_to(b, lead + b.shape[-1:])
    out = np.empty(lead + b.shape[-1:], dtype=object)
    for i in np.ndindex(*lead):
        out[i] = _sym_solve(a[i], b[i])
    return out


def _batch_solve(b, a, v):
    """The batch axis in front of both; stack axes line up as in the primal (a vector v: a's rank - 1)."""
    vector = _rank(v) == 1
    return _batch_solve_as(b, a, v, vector)


def _batch_solve_as(b, a, v, vector):
    from .core import _lift_rank
    ra, rv = _rank(a), _rank(v)
    stack = max(ra - 2, rv - (1 if vector else 2))
    a, v = _lift_rank(b, a, stack + 2), _lift_rank(b, v, stack + (1 if vector else 2))
    return b.emit_batched("solve_vec" if vector else "solve", (a, v))


PRIMS["solve"].batch = _batch_solve
PRIMS["solve_vec"].batch = lambda b, a, v: _batch_solve_as(b, a, v, True)


# ---- inv, det, slogdet ------------------------------------------------------------------------------------

def _square(a):
    return a if _known(a) and len(a) >= 2 else None


defprim("inv", "np.linalg.inv({0})", sympy=_per_matrix(lambda a: np.array(sympy.Matrix(a).inv().tolist(), dtype=object)),
        shape=_square,
        tangent=_checked("np.linalg.inv", lambda ts, y, a: -(y @ ts[0] @ y)),
        adjoint=_checked("np.linalg.inv", lambda g, y, a: (-(_swap(y) @ g @ _swap(y)),)))
PRIMS["inv"].batch = lambda b, a: b.emit_batched("inv", (a,))


def _last2(x):
    return apply("expand_dims", x, axis=(-2, -1)) if primal_rank(x) else x


def _det_tangent(scale):
    """d log|det a| = tr(a^-1 da) (times det a for det)."""
    def tangent(ts, y, a):
        d = apply("sum", _swap(apply("inv", a)) * ts[0], axis=(-2, -1))
        return d * y if scale else d
    return tangent


def _stack_meaning(fn):
    def meaning(a):
        a = _obj(a)
        if a.ndim == 2:
            return fn(sympy.Matrix(a))
        return np.array([meaning(m) for m in a], dtype=object)
    return meaning


_stack_shape = lambda a: a[:-2] if _known(a) and len(a) >= 2 else None  # noqa: E731
defprim("det", "np.linalg.det({0})", sympy=_stack_meaning(lambda m: m.det()), shape=_stack_shape,
        tangent=_checked("np.linalg.det", _det_tangent(True)),
        adjoint=_checked("np.linalg.det", lambda g, y, a: (_last2(g * y) * _swap(apply("inv", a)),)))
defprim("slogdet_log", "np.linalg.slogdet({0})[1]", sympy=_stack_meaning(lambda m: sympy.log(sympy.Abs(m.det()))),
        shape=_stack_shape, tangent=_checked("np.linalg.slogdet", _det_tangent(False)),
        adjoint=_checked("np.linalg.slogdet", lambda g, y, a: (_last2(g) * _swap(apply("inv", a)),)))
defprim("slogdet_sign", "np.linalg.slogdet({0})[0]", sympy=_stack_meaning(lambda m: sympy.sign(m.det())),
        shape=_stack_shape, nondiff=True)
for _name in ("det", "slogdet_log", "slogdet_sign"):
    PRIMS[_name].batch = lambda b, a, _n=_name: b.emit_batched(_n, (a,))


# ---- pinv (full rank: the derivative of Golub and Pereyra, 1973) ------------------------------------------------

def _pinv_parts(p, a):
    eye = lambda m: apply("eye_stack", m)  # noqa: E731
    ap, pa = a @ p, p @ a
    return eye(ap) - ap, eye(pa) - pa  # projections onto what a's range and p's range leave out


def _pinv_tangent(ts, p, a):
    """dP = -P dA P + P P^T dA^T (I - A P) + (I - P A) dA^T P^T P, where A has full rank."""
    q, r = _pinv_parts(p, a)
    da = ts[0]
    return -(p @ da @ p) + p @ _swap(p) @ _swap(da) @ q + r @ _swap(da) @ _swap(p) @ p


def _pinv_adjoint(g, p, a):
    q, r = _pinv_parts(p, a)
    gt = _swap(g)
    return (-(_swap(p) @ g @ _swap(p)) + q @ gt @ p @ _swap(p) + _swap(p) @ p @ gt @ r,)


defprim("pinv", "np.linalg.pinv({0})", sympy=_per_matrix(lambda a: np.array(sympy.Matrix(a).pinv().tolist(), dtype=object)),
        shape=lambda a: a[:-2] + (a[-1], a[-2]) if _known(a) and len(a) >= 2 else None,
        tangent=_checked("np.linalg.pinv", _pinv_tangent, square=False),
        adjoint=_checked("np.linalg.pinv", _pinv_adjoint, square=False))
PRIMS["pinv"].batch = lambda b, a: b.emit_batched("pinv", (a,))


# ---- singular values and vectors (distinct singular values) -------------------------------------------------

def _no_symbolic(what):
    """The meaning of a decomposition SymPy cannot order symbolically: the check says so, located."""
    def meaning(*args, **kw):
        raise WengertError(f"{what} of a symbolic matrix have no order SymPy can decide, so the check cannot "
                           "evaluate them", GENERATED, 0, 0, "", "test such a function against central "
                           "differences (wengert.check covers the code around it)")
    return meaning


def _svdvals_tangent(ts, s, a):
    """ds_i = u_i^T da v_i (distinct singular values)."""
    u, vh = apply("svd_u", a), apply("svd_vh", a)
    return apply("sum", u * (ts[0] @ _swap(vh)), axis=-2)


def _svdvals_adjoint(g, s, a):
    """abar = U diag(g) V^T."""
    u, vh = apply("svd_u", a), apply("svd_vh", a)
    return ((u * apply("expand_dims", g, axis=-2)) @ vh,)


def _svd_shape(part):
    def shape(a):
        if not _known(a) or len(a) < 2:
            return None
        m, n = a[-2:]
        k = m if m == n or n == 1 else n if m == 1 else None
        return {"s": a[:-2] + (k,), "u": a[:-2] + (m, k), "vh": a[:-2] + (k, n)}[part] if k is not None else None
    return shape


defprim("svdvals", "np.linalg.svd({0}, compute_uv=False)", shape=_svd_shape("s"), sympy=_no_symbolic("singular values"),
        tangent=_checked("np.linalg.svd", _svdvals_tangent, square=False),
        adjoint=_checked("np.linalg.svd", _svdvals_adjoint, square=False))
# The singular vectors of the thin SVD a = U diag(s) V^T (U: m x k, V: n x k, k = min(m, n)), after Townsend,
# "Differentiating the singular value decomposition" (2016). With dP = U^T da V, F[i, j] = 1 / (s_j^2 - s_i^2)
# off the diagonal (_gaps of s^2; inf where two singular values coincide), X S = X * s as a row, S X = s as a
# column times X:
#   dU = U (F o (dP S + S dP^T)) + (I - U U^T) da V S^-1
#   dV = V (F o (S dP + dP^T S)) + (I - V V^T) da^T U S^-1
# and the adjoints that follow from them. Distinct, nonzero singular values (as for eigh's eigenvectors).

def _svd_parts(a):
    return apply("svd_u", a), apply("svdvals", a), _swap(apply("svd_vh", a))


def _as_row(s):
    return apply("expand_dims", s, axis=-2)


def _as_column(s):
    return apply("expand_dims", s, axis=-1)


def _svd_u_tangent(ts, u, a):
    _, s, v = _svd_parts(a)
    dp = _swap(u) @ ts[0] @ v
    inner = _gaps(s * s) * (dp * _as_row(s) + _as_column(s) * _swap(dp))
    return u @ inner + (ts[0] @ v - u @ dp) / _as_row(s)


def _svd_vh_tangent(ts, vh, a):
    u, s, v = _svd_parts(a)
    dp = _swap(u) @ ts[0] @ v
    inner = _gaps(s * s) * (_as_column(s) * dp + _swap(dp) * _as_row(s))
    return _swap(v @ inner + (_swap(ts[0]) @ u - v @ _swap(dp)) / _as_row(s))


def _svd_u_adjoint(g, u, a):
    """abar = (U (J S) + (I - U U^T) g S^-1) V^T, J = F o (U^T g - g^T U)."""
    _, s, v = _svd_parts(a)
    ug = _swap(u) @ g
    j = _gaps(s * s) * (ug - _swap(ug))
    return ((u @ (j * _as_row(s)) + (g - u @ ug) / _as_row(s)) @ _swap(v),)


def _svd_vh_adjoint(g, vh, a):
    """abar = U ((S K) V^T + S^-1 g (I - V V^T)), K = F o (V^T g^T - g V), g the cotangent of V^T."""
    u, s, v = _svd_parts(a)
    gv = g @ v
    k = _gaps(s * s) * (_swap(gv) - gv)
    return (u @ ((_as_column(s) * k) @ vh + (g - gv @ vh) / _as_column(s)),)


defprim("svd_u", "np.linalg.svd({0}, full_matrices=False)[0]", shape=_svd_shape("u"), sympy=_no_symbolic("singular vectors"),
        tangent=_checked("np.linalg.svd", _svd_u_tangent, square=False),
        adjoint=_checked("np.linalg.svd", _svd_u_adjoint, square=False))
defprim("svd_vh", "np.linalg.svd({0}, full_matrices=False)[2]", shape=_svd_shape("vh"), sympy=_no_symbolic("singular vectors"),
        tangent=_checked("np.linalg.svd", _svd_vh_tangent, square=False),
        adjoint=_checked("np.linalg.svd", _svd_vh_adjoint, square=False))
for _name in ("svdvals", "svd_u", "svd_vh"):
    PRIMS[_name].batch = lambda b, a, _n=_name: b.emit_batched(_n, (a,))


# ---- the lower triangle, as cholesky and eigh read it ----------------------------------------------------

helper('''
def _sym_lower(x):
    """The symmetric matrix whose lower triangle is x's (what cholesky and eigh read of x)."""
    return np.tril(x) + np.swapaxes(np.tril(x, -1), -1, -2)
''')
helper('''
def _sym_lower_t(g):
    """The adjoint of _sym_lower: g's lower triangle plus its upper one, transposed, below the diagonal."""
    return np.tril(g) + np.tril(np.swapaxes(g, -1, -2), -1)
''')
helper('''
def _phi(x):
    """The lower triangle of x with its diagonal halved."""
    return np.tril(x) - 0.5 * (x * np.eye(np.shape(x)[-1]))
''')


def _sym_tril(x, k=0):
    x = _obj(x)
    return np.tril(x, k)


defprim("sym_lower", "_sym_lower({0})", shape=lambda x: x,
        sympy=lambda x: _sym_tril(x) + np.swapaxes(_sym_tril(x, -1), -1, -2),
        tangent=lambda ts, y, x: apply("sym_lower", ts[0]), adjoint=lambda g, y, x: (apply("sym_lower_t", g),))
defprim("sym_lower_t", "_sym_lower_t({0})", shape=lambda x: x,
        sympy=lambda g: _sym_tril(g) + _sym_tril(np.swapaxes(_obj(g), -1, -2), -1),
        tangent=lambda ts, y, x: apply("sym_lower_t", ts[0]), adjoint=lambda g, y, x: (apply("sym_lower", g),))
defprim("phi", "_phi({0})", shape=lambda x: x,
        sympy=lambda x: _sym_tril(x) - _obj(x) * np.eye(np.shape(x)[-1], dtype=int).astype(object) / 2,
        tangent=lambda ts, y, x: apply("phi", ts[0]), adjoint=lambda g, y, x: (apply("phi", g),))
for _name in ("sym_lower", "sym_lower_t", "phi"):
    PRIMS[_name].batch = lambda b, x, _n=_name: b.emit_batched(_n, (x,))


# ---- cholesky ------------------------------------------------------------------------------------------

def _cholesky_tangent(ts, y, a):
    """dL = L phi(L^-1 dS L^-T), dS the symmetric perturbation NumPy reads (two triangular solves)."""
    ds = apply("sym_lower", ts[0])
    x = apply("solve", y, ds)                     # L^-1 dS
    m = _swap(apply("solve", y, _swap(x)))          # L^-1 dS L^-T
    return y @ apply("phi", m)


def _cholesky_adjoint(g, y, a):
    """Murray (2016): S = L^-T phi(L^T Lbar) L^-1, pulled back through the lower triangle NumPy reads."""
    p = apply("phi", _swap(y) @ g)
    x = apply("solve", _swap(y), p)                # L^-T P
    s = _swap(apply("solve", _swap(y), _swap(x)))    # L^-T P L^-1
    return (apply("sym_lower_t", s),)


def _sym_cholesky(a):
    s = np.tril(a) + np.tril(a, -1).T
    return np.array(sympy.Matrix(s).cholesky(hermitian=False).tolist(), dtype=object)


defprim("cholesky", "np.linalg.cholesky({0})", sympy=_per_matrix(_sym_cholesky), shape=_square,
        tangent=_checked("np.linalg.cholesky", _cholesky_tangent),
        adjoint=_checked("np.linalg.cholesky", _cholesky_adjoint))
PRIMS["cholesky"].batch = lambda b, a: b.emit_batched("cholesky", (a,))


# ---- eigh: eigenvalues and eigenvectors of a symmetric matrix (distinct eigenvalues) ------------------------

helper('''
def _eigen_gaps(w):
    """F[i, j] = 1 / (w[j] - w[i]) off the diagonal, 0 on it (inf where two eigenvalues coincide)."""
    d = w[..., None, :] - w[..., :, None]
    off = ~np.eye(np.shape(w)[-1], dtype=bool)
    with np.errstate(divide="ignore"):
        return np.where(off, 1.0 / np.where(off, d, 1.0), 0.0)
''')


def _gaps(w):
    off = apply("off_diagonal", w)
    d = apply("expand_dims", w, axis=-2) - apply("expand_dims", w, axis=-1)
    return apply("where", off, 1.0 / apply("where", off, d, 1.0), 0.0)


defprim("off_diagonal", "~np.eye(np.shape({0})[-1], dtype=bool)", nondiff=True,
        sympy=lambda w: ~np.eye(np.shape(w)[-1], dtype=bool),
        shape=lambda w: (w[-1], w[-1]) if _known(w) and w else None)
PRIMS["off_diagonal"].batch = lambda b, w: b.emit_plain("off_diagonal", (w,))


def _eigh_w_tangent(ts, w, a):
    v = apply("eigh_v", a)
    return apply("sum", v * (apply("sym_lower", ts[0]) @ v), axis=-2)


def _eigh_w_adjoint(g, w, a):
    v = apply("eigh_v", a)
    return (apply("sym_lower_t", (v * apply("expand_dims", g, axis=-2)) @ _swap(v)),)


def _eigh_v_tangent(ts, v, a, upper=None):
    m = _swap(v) @ apply("sym_lower", ts[0]) @ v
    return v @ (_gaps(apply("eigh_w", a)) * m)


def _eigh_v_adjoint(g, v, a, upper=None):
    inner = _gaps(apply("eigh_w", a)) * (_swap(v) @ g)
    return (apply("sym_lower_t", v @ inner @ _swap(v)),)


defprim("eigh_w", "np.linalg.eigh({0})[0]", sympy=_no_symbolic("eigenvalues"), shape=lambda a: a[:-1] if _known(a) and len(a) >= 2 else None,
        tangent=_checked("np.linalg.eigh", _eigh_w_tangent), adjoint=_checked("np.linalg.eigh", _eigh_w_adjoint))
def _eigh_v_src(a, upper=None):
    """upper: a is the transpose of the matrix whose upper triangle NumPy reads (eigh(m, 'U')): the same
    matrix as eigh(a) reads, but LAPACK may give its eigenvectors other signs, so the code says 'U' too."""
    return f"np.linalg.eigh(np.swapaxes({a}, -1, -2), 'U')[1]" if upper else f"np.linalg.eigh({a})[1]"


defprim("eigh_v", _eigh_v_src, sympy=_no_symbolic("eigenvectors"), shape=lambda a, upper=None: _square(a), tangent=_checked("np.linalg.eigh", _eigh_v_tangent),
        adjoint=_checked("np.linalg.eigh", _eigh_v_adjoint))
for _name in ("eigh_w", "eigh_v"):
    PRIMS[_name].batch = lambda b, a, _n=_name, **attrs: b.emit_batched(_n, (a,), attrs)


# ---- einsum and the contractions built on it ---------------------------------------------------------------

_LETTERS = string.ascii_letters


def _einsum_src(*xs, subscripts):
    more = ", optimize=True" if len(xs) >= 3 else ""
    return f"np.einsum({subscripts!r}, {', '.join(xs)}{more})"


def _parts(subscripts):
    ins, out = subscripts.split("->")
    return ins.split(","), out


def _einsum_shape(*keys, subscripts):
    if not _known(*keys):
        return None
    ins, out = _parts(explicit_subscripts(subscripts, [len(k) for k in keys]))
    if not _known(*keys) or any(len(k) != len(s) for k, s in zip(keys, ins)):
        return None
    dims = {}
    for k, s in zip(keys, ins):
        for d, c in zip(k, s):
            if dims.get(c) in (None, 1):
                dims[c] = d
    return tuple(dims[c] for c in out)


def _einsum(subscripts, *xs):
    return apply("einsum", *xs, subscripts=subscripts)


def explicit_subscripts(subscripts, ranks):
    """subscripts with each '...' replaced by letters, given the operands' ranks (None: unknown, then the
    subscripts unchanged). NumPy aligns the axes an ellipsis stands for to the right, as broadcasting does."""
    if "..." not in subscripts or any(r is None for r in ranks):
        return subscripts
    ins, out = _parts(subscripts)
    counts = [r - (len(t) - 3) if "..." in t else 0 for t, r in zip(ins, ranks)]
    if any(n < 0 for n in counts):
        raise WengertError(f"einsum subscripts {subscripts!r} name more axes than an operand has", GENERATED, 0, 0,
                           "", "give at most one index per axis of the operand")
    free = [c for c in _LETTERS if c not in subscripts][:max(counts)]
    ins = [t.replace("...", "".join(free[len(free) - n:])) for t, n in zip(ins, counts)]
    return ",".join(ins) + "->" + out.replace("...", "".join(free))


def _einsum_ranks(xs, subscripts):
    for i, (term, x) in enumerate(zip(_parts(subscripts)[0], xs)):
        r = primal_rank(x)
        if r is not None and r != len(term):
            raise WengertError(f"einsum term {term!r} has {len(term)} indices, but operand {i + 1} has {r} "
                               "dimensions", GENERATED, 0, 0, "", "give one index per axis of the operand")


def _einsum_tangent(ts, y, *xs, subscripts):
    subscripts = explicit_subscripts(subscripts, [primal_rank(x) for x in xs])
    _einsum_ranks(xs, subscripts)
    terms = [_einsum(subscripts, *(t if j == i else x for j, x in enumerate(xs))) for i, t in enumerate(ts)
             if t is not None]
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


def _einsum_adjoint(g, y, *xs, subscripts):
    subscripts = explicit_subscripts(subscripts, [primal_rank(x) for x in xs])
    _einsum_ranks(xs, subscripts)
    ins, out = _parts(subscripts)

    def cotangent(i):
        others = [(s, x) for j, (s, x) in enumerate(zip(ins, xs)) if j != i]
        have = set(out) | {c for s, _ in others for c in s}
        terms = [out] + [s for s, _ in others]
        operands = [g] + [x for _, x in others]
        if any(c not in have for c in ins[i]):  # an index summed within x_i alone: broadcast g back over it
            terms.append(ins[i])
            operands.append(apply("ones_like", xs[i]))
        unique = "".join(dict.fromkeys(ins[i]))
        if unique == ins[i]:
            return unbroadcast(_einsum(",".join(terms) + "->" + ins[i], *operands), xs[i])
        # a repeated index ('ii', 'lli') reads a diagonal of x_i: the cotangent goes back onto that diagonal
        diagonal = _einsum(ins[i] + "->" + unique, xs[i])
        g_diagonal = unbroadcast(_einsum(",".join(terms) + "->" + unique, *operands), diagonal)
        return apply("diagonal_scatter", g_diagonal, xs[i], term=ins[i], unique=unique)

    return tuple(Lazy(lambda i=i: cotangent(i)) for i in range(len(xs)))


helper('''
def _diagonal_scatter(g, x, term, unique):
    """Zeros shaped like x with g on the diagonal np.einsum(term + '->' + unique, x) reads (leading axes
    broadcast: a batch axis of g or of x)."""
    lead = np.broadcast_shapes(np.shape(g)[:np.ndim(g) - len(unique)], np.shape(x)[:np.ndim(x) - len(term)])
    out = np.zeros(lead + np.shape(x)[np.ndim(x) - len(term):], dtype=np.result_type(g, x, 1.0))
    np.einsum("..." + term + "->..." + unique, out)[...] = g
    return out
''')


def _diagonal_scatter_shape(g, x, term, unique):
    """x's shape, behind the leading (batch) axes g and x broadcast, as the helper makes it."""
    if not _known(g, x):
        return None
    lead = shapes.broadcast(g[:len(g) - len(unique)], x[:len(x) - len(term)])
    return None if lead is None else tuple(lead) + tuple(x[len(x) - len(term):])


def _sym_diagonal_scatter(g, x, term, unique):
    g = _obj(g)
    out = np.zeros(np.shape(x), dtype=object) * 0
    for index in np.ndindex(*g.shape):
        at = dict(zip(unique, index))
        out[tuple(at[c] for c in term)] = g[index]
    return out


defprim("diagonal_scatter", lambda g, x, term, unique: f"_diagonal_scatter({g}, {x}, {term!r}, {unique!r})",
        sympy=_sym_diagonal_scatter, shape=_diagonal_scatter_shape, shape_args=(1,), diff_args=(0,),
        tangent=lambda ts, y, g, x, **kw: None if ts[0] is None else apply("diagonal_scatter", ts[0], x, **kw),
        adjoint=lambda h, y, g, x, term, unique: (_einsum(term + "->" + unique, h), None))
PRIMS["diagonal_scatter"].batch = lambda b, g, x, **kw: b.emit_batched("diagonal_scatter", (g, x), kw)


def _sym_einsum(*xs, subscripts):
    return _scalar_or_array(np.einsum(subscripts, *[_obj(x) for x in xs]))


defprim("einsum", _einsum_src, sympy=_sym_einsum, shape=_einsum_shape, tangent=_einsum_tangent,
        adjoint=_einsum_adjoint)


def _batch_einsum(b, *xs, subscripts):
    ins, out = _parts(explicit_subscripts(subscripts, [_rank(x) for x in xs]))
    subscripts = ",".join(ins) + "->" + out
    free = next(c for c in _LETTERS if c not in subscripts)
    terms = [free + s if is_batched(x) else s for s, x in zip(ins, xs)]
    return b.emit_batched("einsum", xs, {"subscripts": ",".join(terms) + "->" + free + out})


PRIMS["einsum"].batch = _batch_einsum


def _letters_for_tensordot(ra, rb, axes):
    """(subscripts of a, of b, of the result) for np.tensordot(a, b, axes)."""
    if isinstance(axes, int):
        axes = (tuple(range(ra - axes, ra)), tuple(range(axes)))
    xa, xb = ([axes[0]] if isinstance(axes[0], int) else list(axes[0])), \
             ([axes[1]] if isinstance(axes[1], int) else list(axes[1]))
    xa, xb = [a % ra for a in xa], [b % rb for b in xb]
    sa = list(_LETTERS[:ra])
    sb = list(_LETTERS[ra:ra + rb])
    for i, j in zip(xa, xb):
        sb[j] = sa[i]
    out = [c for i, c in enumerate(sa) if i not in xa] + [c for j, c in enumerate(sb) if j not in xb]
    return "".join(sa), "".join(sb), "".join(out)


def _tensordot_parts(a, b, axes):
    ra, rb = need_rank(a, "np.tensordot"), need_rank(b, "np.tensordot")
    pairs = (tuple(range(ra - axes, ra)), tuple(range(axes))) if isinstance(axes, int) else \
        tuple((x,) if isinstance(x, int) else x for x in axes)
    if any(not -r <= i < r for side, r in zip(pairs, (ra, rb)) for i in side) or isinstance(axes, int) and \
            axes > min(ra, rb):
        raise WengertError(f"np.tensordot axes={axes!r} name axes the operands (of {ra} and {rb} dimensions) "
                           "do not have", GENERATED, 0, 0, "", "name existing axes")
    sa, sb, out = _letters_for_tensordot(ra, rb, axes)
    return f"{sa},{sb}->{out}"


def _tensordot_shape(a, b, axes):
    if not _known(a, b):
        return None
    try:
        sa, sb, out = _letters_for_tensordot(len(a), len(b), axes)
    except (IndexError, ZeroDivisionError):
        return None
    return _einsum_shape(a, b, subscripts=f"{sa},{sb}->{out}")


defprim("tensordot", lambda a, b, axes: f"np.tensordot({a}, {b}, axes={axes!r})",
        sympy=lambda a, b, axes: _scalar_or_array(np.tensordot(_obj(a), _obj(b), axes=axes)),
        shape=_tensordot_shape,
        tangent=lambda ts, y, a, b, axes: _einsum_tangent(ts, y, a, b, subscripts=_tensordot_parts(a, b, axes)),
        adjoint=lambda g, y, a, b, axes: _einsum_adjoint(g, y, a, b, subscripts=_tensordot_parts(a, b, axes)))


def _batch_tensordot(b, x, z, axes):
    rx, rz = primal_rank(x) if not is_batched(x) else _rank(x), primal_rank(z) if not is_batched(z) else _rank(z)
    sa, sb, out = _letters_for_tensordot(rx, rz, axes)
    return _batch_einsum(b, x, z, subscripts=f"{sa},{sb}->{out}")


PRIMS["tensordot"].batch = _batch_tensordot


def _inner_parts(a, b):
    ra, rb = need_rank(a, "np.inner"), need_rank(b, "np.inner")
    if ra == 0 or rb == 0:
        return None
    return _letters_for_tensordot(ra, rb, ((ra - 1,), (rb - 1,)))


def _inner_subscripts(a, b):
    parts = _inner_parts(a, b)
    return None if parts is None else "{},{}->{}".format(*parts)


def _inner_rule(kind):
    def rule(first, y, a, b):
        subscripts = _inner_subscripts(a, b)
        if subscripts is None:  # a scalar operand: a product
            if kind == "tangent":
                ta, tb = first
                terms = [t for t in ((ta * b) if ta is not None else None, (a * tb) if tb is not None else None) if t is not None]
                return terms[0] if len(terms) == 1 else terms[0] + terms[1]
            return (Lazy(lambda: unbroadcast(first * b, a)), Lazy(lambda: unbroadcast(first * a, b)))
        return (_einsum_tangent if kind == "tangent" else _einsum_adjoint)(first, y, a, b, subscripts=subscripts)
    return rule


def _inner_shape(a, b):
    if not _known(a, b):
        return None
    if not a or not b:
        return shapes.broadcast(a, b)
    return a[:-1] + b[:-1]


defprim("inner", "np.inner({0}, {1})", sympy=lambda a, b: _scalar_or_array(np.inner(_obj(a), _obj(b))),
        shape=_inner_shape, tangent=_inner_rule("tangent"), adjoint=_inner_rule("adjoint"))
PRIMS["inner"].batch = lambda b, x, z: _batch_einsum(b, x, z, subscripts=_inner_subscripts_batch(x, z))


def _inner_subscripts_batch(x, z):
    rx = _rank(x)
    rz = _rank(z)
    if rx == 0 or rz == 0:
        raise WengertError("vector mode of np.inner with a scalar is not supported", GENERATED, 0, 0, "",
                           "multiply instead")
    return "{},{}->{}".format(*_letters_for_tensordot(rx, rz, ((rx - 1,), (rz - 1,))))


def _vdot_adjoint(g, y, a, b):
    """np.vdot flattens (real arrays: the sum of the products of the elements in order)."""
    like = lambda v, x: apply("reshape", v, apply("shape", x))  # noqa: E731
    return Lazy(lambda: g * like(b, a)), Lazy(lambda: g * like(a, b))


defprim("vdot", "np.vdot({0}, {1})", sympy=lambda a, b: sum(x * y for x, y in zip(_obj(a).ravel(), _obj(b).ravel())),
        shape=lambda a, b: shapes.SCALAR,
        tangent=lambda ts, y, a, b: _sum_terms([apply("vdot", ts[0], b) if ts[0] is not None else None,
                                                apply("vdot", a, ts[1]) if ts[1] is not None else None]),
        adjoint=_vdot_adjoint)
defprim("vdot_batch", lambda a, b, lead: f"np.sum(np.reshape({a}, np.shape({a})[:{lead[0]}] + (-1,)) * "
        f"np.reshape({b}, np.shape({b})[:{lead[1]}] + (-1,)), axis=-1)",
        shape=lambda a, b, lead: (a if lead[0] else b)[:1] if _known(a if lead[0] else b) else None)
PRIMS["vdot"].batch = lambda b, x, z: b.emit_batched("vdot_batch", (x, z),
                                                     {"lead": (int(is_batched(x)), int(is_batched(z)))})


defprim("cross", "np.cross({0}, {1})", sympy=lambda a, b: np.cross(_obj(a), _obj(b)), shape=lambda a, b: shapes.broadcast(a, b),
        tangent=lambda ts, y, a, b: _sum_terms([apply("cross", ts[0], b) if ts[0] is not None else None,
                                                apply("cross", a, ts[1]) if ts[1] is not None else None]),
        adjoint=lambda g, y, a, b: (Lazy(lambda: unbroadcast(apply("cross", b, g), a)),
                                    Lazy(lambda: unbroadcast(apply("cross", g, a), b))))


def _batch_cross(b, x, z):
    rank_ = max(_rank(x), _rank(z))
    from .core import _lift_rank
    return b.emit_batched("cross", (_lift_rank(b, x, rank_), _lift_rank(b, z, rank_)))


PRIMS["cross"].batch = _batch_cross


def _sum_terms(terms):
    terms = [t for t in terms if t is not None]
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


defprim("eye_stack", "np.broadcast_to(np.eye(np.shape({0})[-1]), np.shape({0}))", nondiff=True,
        sympy=lambda a: np.broadcast_to(np.eye(np.shape(a)[-1], dtype=int).astype(object), np.shape(a)),
        shape=lambda a: a)


# ---- np.linalg.norm with ord, axis, keepdims: a composite, differentiated through its definition ----------

def _norm_plan(rank_, ord, axis):
    """(axes reduced, is it a matrix norm) as NumPy decides them; a WengertError for what NumPy refuses."""
    if axis is None:
        if ord is None:
            return tuple(range(rank_)), False
        if rank_ not in (1, 2):
            raise WengertError(f"np.linalg.norm with ord={ord!r} and no axis needs a 1-D or 2-D array (this one "
                               f"has {rank_} dimensions)", GENERATED, 0, 0, "", "give axis=")
        axis = tuple(range(rank_))
    axes = axis if isinstance(axis, tuple) else (axis,)
    if len(axes) not in (1, 2) or any(not -rank_ <= a < rank_ for a in axes) or \
            len({a % rank_ for a in axes}) != len(axes):
        raise WengertError(f"axis={axis!r} is not one or two distinct axes of an array of dimension {rank_}",
                           GENERATED, 0, 0, "", "write axis=-1 (vectors) or axis=(-2, -1) (matrices)")
    axes = tuple(a % rank_ for a in axes)
    if len(axes) == 1 and isinstance(ord, str):
        raise WengertError(f"ord={ord!r} is a matrix norm, but axis names one axis", GENERATED, 0, 0, "",
                           "give two axes, or a number as ord")
    return axes, len(axes) == 2


def _norm_expr(x, ord=None, axis=None, keepdims=False):
    """np.linalg.norm(x, ord, axis, keepdims) written with the primitives it stands for."""
    axes, matrix = _norm_plan(need_rank(x, "np.linalg.norm with ord or axis"), ord, axis)
    kd = keepdims or None
    if ord is None or ord == 2 and not matrix or ord == "fro":
        return apply("sqrt", apply("sum", x * x, axis=axes, keepdims=kd))
    a = apply("abs", x)
    if not matrix:
        if ord in (np.inf, -np.inf):
            return apply("max" if ord > 0 else "min", a, axis=axes, keepdims=kd)
        if ord == 1:
            return apply("sum", a, axis=axes, keepdims=kd)
        return apply("pow", apply("sum", apply("pow", a, float(ord)), axis=axes, keepdims=kd), 1.0 / ord)
    if ord in (1, -1, np.inf, -np.inf):  # the largest (smallest) column sum (1) or row sum (inf)
        rows, cols = axes
        sums = apply("sum", a, axis=rows if ord in (1, -1) else cols, keepdims=True)
        return apply("max" if ord > 0 else "min", sums, axis=axes, keepdims=kd)
    if ord in ("nuc", 2, -2):  # the sum, largest or smallest of the singular values
        rows, cols = axes
        r = need_rank(x, "np.linalg.norm")
        moved = apply("transpose", x, axes=tuple(i for i in range(r) if i not in axes) + (rows, cols))
        s = apply("svdvals", moved)
        out = apply("sum" if ord == "nuc" else "max" if ord == 2 else "min", s, axis=-1)
        return apply("expand_dims", out, axis=axes) if keepdims else out
    raise WengertError(f"ord={ord!r} is not a matrix norm", GENERATED, 0, 0, "",
                       "use 'fro', 'nuc', 1, -1, 2, -2, np.inf or -np.inf")


def _definition(x, build):
    """A one-parameter trace computing build(x) for x of x's shape (without its batch axis)."""
    from ..trace import BUILDER, Names, Trace
    Builder = BUILDER[0]
    k = key(x)
    k = k[1:] if is_batched(x) and shapes.known(k) else k
    b = Builder(Names({"x"}), {"x": k})
    with b:
        out = build(Var("x"))
    return Trace("definition", ("x",), b.ops, (out,), b.shapes)


def _composite_tangent(build):
    def tangent(ts, y, x, **attrs):
        from ..custom import replay
        from ..forward import forward
        definition = _definition(x, lambda v: build(v, **attrs))
        rule = forward(definition, [({"x": Var("t")}, lambda v: v + "_dot")], with_value=False,
                       tangent_params={"t": "x"})
        return replay(rule, [x, ts[0]])[0]
    return tangent


def _composite_adjoint(build):
    def adjoint(g, y, x, **attrs):
        from ..custom import replay
        from ..reverse import reverse
        rule = reverse(_definition(x, lambda v: build(v, **attrs)), ["x"], seed="g")
        return (replay(rule, [x, g])[0],)
    return adjoint


def _norm_shape(x, ord=None, axis=None, keepdims=False):
    if not shapes.known(x):
        return None
    try:
        axes, _ = _norm_plan(len(x), ord, axis)
    except WengertError:
        return None
    return tuple(1 if i in axes else d for i, d in enumerate(x)) if keepdims else \
        tuple(d for i, d in enumerate(x) if i not in axes)


def _sym_norm(x, ord=None, axis=None, keepdims=False):
    from ..sympy_check import evaluate
    x = _obj(x)
    trace = _definition_of_shape(np.shape(x), lambda v: _norm_expr(v, ord, axis, keepdims))
    (out,) = evaluate(trace, {"x": x})
    return out


def _definition_of_shape(shape, build):
    from ..trace import BUILDER, Names, Trace
    Builder = BUILDER[0]
    b = Builder(Names({"x"}), {"x": tuple(1 if d == 1 else "n" for d in shape)})
    with b:
        out = build(Var("x"))
    return Trace("definition", ("x",), b.ops, (out,), b.shapes)


def _norm_ord_src(x, ord=None, axis=None, keepdims=False):
    text = {np.inf: "np.inf", -np.inf: "-np.inf"}.get(ord, repr(ord))
    return f"np.linalg.norm({x}, {text}" + (f", axis={axis!r}" if axis is not None else "") + \
        (", keepdims=True" if keepdims else "") + ")"


defprim("norm_ord", _norm_ord_src, sympy=_sym_norm, shape=_norm_shape,
        tangent=_composite_tangent(_norm_expr), adjoint=_composite_adjoint(_norm_expr))


def _batch_norm(b, x, ord=None, axis=None, keepdims=False):
    axes, _ = _norm_plan(_rank(x), ord, axis)
    return b.emit_batched("norm_ord", (x,), {"ord": ord, "axis": tuple(a + 1 for a in axes), "keepdims": keepdims})


PRIMS["norm_ord"].batch = _batch_norm
