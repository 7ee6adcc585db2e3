"""np.linalg.qr (reduced, the default): Q and R, one primitive each, for full-rank matrices with at least as many
rows as columns (and stacks of them). With A = QR, R square and invertible:

  forward   C = Q^T dA R^-1,  W = tril(C, -1) - tril(C, -1)^T  (Q^T dQ, antisymmetric),
            dR = (C - W) R,   dQ = Q W + dA R^-1 - Q C
  reverse   M = R gR^T - gQ^T Q,  gA = (gQ + Q sym(M)) R^-T,  sym(M) = tril(M) + tril(M, -1)^T

R^-1 is applied by solves, never an inverse. A wide matrix (fewer rows than columns) has a non-square R: the
solves fail in NumPy at run time, as they should (no derivative formula is given for it here)."""

from ..trace import apply
from .core import defprim
from .linalg import _checked, _no_symbolic, _swap


def _right_solve(b, r):
    """b R^-1, as (R^-T b^T)^T."""
    return _swap(apply("solve", _swap(r), _swap(b)))


def _right_solve_t(b, r):
    """b R^-T, as (R^-1 b^T)^T."""
    return _swap(apply("solve", r, _swap(b)))


def _parts(a):
    return apply("qr_q", a), apply("qr_r", a)


def _rotation(c):
    lower = apply("tril", c, k=-1)
    return lower - _swap(lower)


def _tangents(t, a):
    q, r = _parts(a)
    scaled = _right_solve(t, r)
    c = _swap(q) @ scaled
    w = _rotation(c)
    return q, r, c, w, scaled


def _q_tangent(ts, y, a):
    q, r, c, w, scaled = _tangents(ts[0], a)
    return q @ w + scaled - q @ c


def _r_tangent(ts, y, a):
    q, r, c, w, _ = _tangents(ts[0], a)
    return (c - w) @ r


def _symmetric_from_lower(m):
    return apply("tril", m) + _swap(apply("tril", m, k=-1))


def _q_adjoint(g, y, a):
    q, r = _parts(a)
    m = -(_swap(g) @ q)
    return (_right_solve_t(g + q @ _symmetric_from_lower(m), r),)


def _r_adjoint(g, y, a):
    q, r = _parts(a)
    m = r @ _swap(g)
    return (_right_solve_t(q @ _symmetric_from_lower(m), r),)


def _q_shape(a):
    return a[:-1] + (None,) if a and len(a) >= 2 and isinstance(a, tuple) and a[0] != "const" else None


def _r_shape(a):
    return a[:-2] + (None, a[-1]) if a and len(a) >= 2 and isinstance(a, tuple) and a[0] != "const" else None


defprim("qr_q", "np.linalg.qr({0})[0]", sympy=_no_symbolic("QR factors"), shape=_q_shape,
        tangent=_checked("np.linalg.qr", _q_tangent, square=False),
        adjoint=_checked("np.linalg.qr", _q_adjoint, square=False),
        batch=lambda b, a: b.emit_batched("qr_q", (a,)))
defprim("qr_r", "np.linalg.qr({0})[1]", sympy=_no_symbolic("QR factors"), shape=_r_shape,
        tangent=_checked("np.linalg.qr", _r_tangent, square=False),
        adjoint=_checked("np.linalg.qr", _r_adjoint, square=False),
        batch=lambda b, a: b.emit_batched("qr_r", (a,)))
