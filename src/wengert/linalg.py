"""Linear algebra and contractions: np.linalg.solve, inv, det, slogdet, cholesky, eigh, einsum, tensordot, ...

Rules follow Giles, "Collected matrix derivative results for forward and reverse mode AD" (2008), Murray,
"Differentiation of the Cholesky decomposition" (2016), and the eigenvector formula with the matrix F of
inverse eigenvalue gaps. Every rule is written with ops that act on the last two axes (solve, @, swapaxes,
tril), so stacked matrices and vector mode (a leading batch axis) work alike. No explicit inverse where a
solve does: the adjoint of solve is a solve with the transpose.

NumPy's cholesky and eigh read only the lower triangle of their argument: their derivatives are those of
the functions NumPy computes, so a perturbation of the upper triangle has derivative 0 (sym_lower below).

CALLS maps the NumPy names to parse handlers (parse.py merges it into its own table).
"""

import ast
import string

import numpy as np
import sympy

from . import shapes
from .errors import GENERATED, NeedsRanks, WengertError
from .primitives import PRIMS, Lazy, _obj, _rank, _scalar_or_array, apply, defprim, helper, unbroadcast
from .trace import Const, Var, is_batched, key, primal_rank, rank


def swap(x):
    return apply("swapaxes", x)


def _known(*keys):
    return all(shapes.known(k) for k in keys)


def _need_rank(x, what):
    r = primal_rank(x)
    if r is None:
        raise NeedsRanks(f"{what} needs the rank of its arguments", GENERATED, 0, 0, "",
                           "from Python, call the function on arrays; on the command line give --shape")
    return r


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


def solve(a, v, vector):
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
            return solve(a, tb, vector)
        prod = ta @ y if not vector else apply("sum", ta * apply("expand_dims", y, axis=-2), axis=-1)
        return solve(a, (tb - prod) if tb is not None else -prod, vector)
    return tangent


def _solve_adjoint(vector):
    def adjoint(g, y, a, b):
        gb = solve(swap(a), g, vector)
        ga = Lazy(lambda: unbroadcast(-(_outer_last(gb, y) if vector else gb @ swap(y)), a))
        return ga, Lazy(lambda: unbroadcast(gb, b))
    return adjoint


def _solve_vector(a, b):
    return _need_rank(b, "np.linalg.solve") == 1


defprim("solve", "np.linalg.solve({0}, {1})", sympy=_per_matrix(_sym_solve), shape=_solve_shape,
        tangent=lambda ts, y, a, b: _solve_tangent(_solve_vector(a, b))(ts, y, a, b),
        adjoint=lambda g, y, a, b: _solve_adjoint(_solve_vector(a, b))(g, y, a, b))
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
    vector = primal_rank(v) == 1 if not is_batched(v) else _rank(v) == 1
    return b.emit_batched("solve_vec" if vector else "solve", (a, v))


PRIMS["solve"].batch = _batch_solve
PRIMS["solve_vec"].batch = lambda b, a, v: b.emit_batched("solve_vec", (a, v))


# ---- inv, det, slogdet ------------------------------------------------------------------------------------

def _square(a):
    return a if _known(a) and len(a) >= 2 else None


defprim("inv", "np.linalg.inv({0})", sympy=_per_matrix(lambda a: np.array(sympy.Matrix(a).inv().tolist(), dtype=object)),
        shape=_square,
        tangent=lambda ts, y, a: -(y @ ts[0] @ y),
        adjoint=lambda g, y, a: (-(swap(y) @ g @ swap(y)),))
PRIMS["inv"].batch = lambda b, a: b.emit_batched("inv", (a,))


def _last2(x):
    return apply("expand_dims", x, axis=(-2, -1)) if primal_rank(x) else x


def _det_tangent(scale):
    """d log|det a| = tr(a^-1 da) (times det a for det)."""
    def tangent(ts, y, a):
        d = apply("sum", swap(apply("inv", a)) * ts[0], axis=(-2, -1))
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
        tangent=_det_tangent(True),
        adjoint=lambda g, y, a: (_last2(g * y) * swap(apply("inv", a)),))
defprim("slogdet_log", "np.linalg.slogdet({0})[1]", sympy=_stack_meaning(lambda m: sympy.log(sympy.Abs(m.det()))),
        shape=_stack_shape, tangent=_det_tangent(False),
        adjoint=lambda g, y, a: (_last2(g) * swap(apply("inv", a)),))
defprim("slogdet_sign", "np.linalg.slogdet({0})[0]", sympy=_stack_meaning(lambda m: sympy.sign(m.det())),
        shape=_stack_shape, nondiff=True)
for _name in ("det", "slogdet_log", "slogdet_sign"):
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
    m = swap(apply("solve", y, swap(x)))          # L^-1 dS L^-T
    return y @ apply("phi", m)


def _cholesky_adjoint(g, y, a):
    """Murray (2016): S = L^-T phi(L^T Lbar) L^-1, pulled back through the lower triangle NumPy reads."""
    p = apply("phi", swap(y) @ g)
    x = apply("solve", swap(y), p)                # L^-T P
    s = swap(apply("solve", swap(y), swap(x)))    # L^-T P L^-1
    return (apply("sym_lower_t", s),)


def _sym_cholesky(a):
    s = np.tril(a) + np.tril(a, -1).T
    return np.array(sympy.Matrix(s).cholesky(hermitian=False).tolist(), dtype=object)


defprim("cholesky", "np.linalg.cholesky({0})", sympy=_per_matrix(_sym_cholesky), shape=_square,
        tangent=_cholesky_tangent, adjoint=_cholesky_adjoint)
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
    return (apply("sym_lower_t", (v * apply("expand_dims", g, axis=-2)) @ swap(v)),)


def _eigh_v_tangent(ts, v, a):
    m = swap(v) @ apply("sym_lower", ts[0]) @ v
    return v @ (_gaps(apply("eigh_w", a)) * m)


def _eigh_v_adjoint(g, v, a):
    inner = _gaps(apply("eigh_w", a)) * (swap(v) @ g)
    return (apply("sym_lower_t", v @ inner @ swap(v)),)


defprim("eigh_w", "np.linalg.eigh({0})[0]", shape=lambda a: a[:-1] if _known(a) and len(a) >= 2 else None,
        tangent=_eigh_w_tangent, adjoint=_eigh_w_adjoint)
defprim("eigh_v", "np.linalg.eigh({0})[1]", shape=_square, tangent=_eigh_v_tangent, adjoint=_eigh_v_adjoint)
for _name in ("eigh_w", "eigh_v"):
    PRIMS[_name].batch = lambda b, a, _n=_name: b.emit_batched(_n, (a,))


# ---- einsum and the contractions built on it ---------------------------------------------------------------

LETTERS = string.ascii_letters


def _einsum_src(*xs, subscripts):
    more = ", optimize=True" if len(xs) >= 3 else ""
    return f"np.einsum({subscripts!r}, {', '.join(xs)}{more})"


def _parts(subscripts):
    ins, out = subscripts.split("->")
    return ins.split(","), out


def _einsum_shape(*keys, subscripts):
    ins, out = _parts(subscripts)
    if not _known(*keys) or any(len(k) != len(s) for k, s in zip(keys, ins)):
        return None
    dims = {}
    for k, s in zip(keys, ins):
        for d, c in zip(k, s):
            if dims.get(c) in (None, 1):
                dims[c] = d
    return tuple(dims[c] for c in out)


def einsum(subscripts, *xs):
    return apply("einsum", *xs, subscripts=subscripts)


def _einsum_tangent(ts, y, *xs, subscripts):
    terms = [einsum(subscripts, *(t if j == i else x for j, x in enumerate(xs))) for i, t in enumerate(ts)
             if t is not None]
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


def _einsum_adjoint(g, y, *xs, subscripts):
    ins, out = _parts(subscripts)

    def cotangent(i):
        others = [(s, x) for j, (s, x) in enumerate(zip(ins, xs)) if j != i]
        have = set(out) | {c for s, _ in others for c in s}
        terms = [out] + [s for s, _ in others]
        operands = [g] + [x for _, x in others]
        if any(c not in have for c in ins[i]):  # an index summed within x_i alone: broadcast g back over it
            terms.append(ins[i])
            operands.append(apply("ones_like", xs[i]))
        return unbroadcast(einsum(",".join(terms) + "->" + ins[i], *operands), xs[i])

    return tuple(Lazy(lambda i=i: cotangent(i)) for i in range(len(xs)))


def _sym_einsum(*xs, subscripts):
    return _scalar_or_array(np.einsum(subscripts, *[_obj(x) for x in xs]))


defprim("einsum", _einsum_src, sympy=_sym_einsum, shape=_einsum_shape, tangent=_einsum_tangent,
        adjoint=_einsum_adjoint)


def _batch_einsum(b, *xs, subscripts):
    ins, out = _parts(subscripts)
    free = next(c for c in LETTERS if c not in subscripts)
    terms = [free + s if is_batched(x) else s for s, x in zip(ins, xs)]
    return b.emit_batched("einsum", xs, {"subscripts": ",".join(terms) + "->" + free + out})


PRIMS["einsum"].batch = _batch_einsum


def normalize_subscripts(text, ranks, fail):
    """Explicit subscripts 'ij,jk->ik' for NumPy's (explicit or implicit) text; fail(message, hint) raises."""
    text = text.replace(" ", "")
    if "." in text:
        fail("einsum with an ellipsis (...) is not supported", "name every axis, e.g. 'bij,bjk->bik'")
    ins, arrow, out = text.partition("->")
    terms = ins.split(",")
    if len(terms) != len(ranks):
        fail(f"the subscripts {text!r} name {len(terms)} operand{'s' * (len(terms) != 1)}, but {len(ranks)} "
             f"{'are' if len(ranks) != 1 else 'is'} given", "give one comma-separated term per operand")
    bad = [c for c in text if c not in LETTERS + ",->"]
    if bad:
        fail(f"invalid subscript character {bad[0]!r} in {text!r}", "use letters a-z and A-Z")
    for t in terms:
        if len(set(t)) != len(t):
            fail(f"the term {t!r} repeats an index (a diagonal): not supported", "take np.diagonal first, "
                 "or write the sum with np.trace")
    for t, r in zip(terms, ranks):
        if r is not None and len(t) != r:
            fail(f"the term {t!r} has {len(t)} indices, but its operand has {r} dimensions",
                 "give one index per axis of the operand")
    if not arrow:
        counts = {c: ins.count(c) for c in set(ins) - {","}}
        out = "".join(sorted(c for c, n in counts.items() if n == 1))
    elif len(set(out)) != len(out) or any(c not in ins for c in out):
        fail(f"the output {out!r} repeats an index or names one no operand has", "name each output axis once, "
             "with indices of the operands")
    return ",".join(terms) + "->" + out


def _letters_for_tensordot(ra, rb, axes):
    """(subscripts of a, of b, of the result) for np.tensordot(a, b, axes)."""
    if isinstance(axes, int):
        axes = (tuple(range(ra - axes, ra)), tuple(range(axes)))
    xa, xb = ([axes[0]] if isinstance(axes[0], int) else list(axes[0])), \
             ([axes[1]] if isinstance(axes[1], int) else list(axes[1]))
    xa, xb = [a % ra for a in xa], [b % rb for b in xb]
    sa = list(LETTERS[:ra])
    sb = list(LETTERS[ra:ra + rb])
    for i, j in zip(xa, xb):
        sb[j] = sa[i]
    out = [c for i, c in enumerate(sa) if i not in xa] + [c for j, c in enumerate(sb) if j not in xb]
    return "".join(sa), "".join(sb), "".join(out)


# ---- parse handlers ----------------------------------------------------------------------------------

def _values(parser, e, env, n, name):
    if e.keywords or len(e.args) != n:
        raise parser.m.error(e, f"{name} takes {n} positional argument{'s' * (n != 1)} here",
                             f"write it as in NumPy, e.g. {name}({', '.join('ab'[:n])})")
    return [parser.value(a, env) for a in e.args]


def _rank_of(parser, v):
    k = parser.b.shape(v)
    return len(k) if shapes.known(k) and not is_batched(v) else None


def _check_matrix(parser, e, args, name, square=True, at_least=2):
    for i, v in enumerate(args[:1]):
        k = parser.b.shape(v)
        if shapes.known(k) and len(k) < at_least:
            raise parser.m.error(e.args[i], f"{name} needs a matrix (or a stack of them); this argument has "
                                 f"{len(k)} dimension{'s' * (len(k) != 1)}", "pass a 2-D array")
        if square and shapes.known(k) and len(k) >= 2 and 1 not in k[-2:] and None not in k[-2:] and k[-1] != k[-2] \
                and all(isinstance(d, int) for d in k[-2:]):
            raise parser.m.error(e.args[i], f"{name} needs square matrices", "pass an n x n array")


def _unary(prim, name):
    def handler(parser, e, env):
        (a,) = _values(parser, e, env, 1, name)
        _check_matrix(parser, e, [a], name)
        return parser.b.emit(prim, (a,))
    return handler


def _solve_call(parser, e, env):
    a, b = _values(parser, e, env, 2, "np.linalg.solve")
    _check_matrix(parser, e, [a], "np.linalg.solve")
    return parser.b.emit("solve", (a, b))


def _slogdet_call(parser, e, env):
    (a,) = _values(parser, e, env, 1, "np.linalg.slogdet")
    _check_matrix(parser, e, [a], "np.linalg.slogdet")
    return parser.b.emit("slogdet_sign", (a,)), parser.b.emit("slogdet_log", (a,))


def _eigh_call(parser, e, env):
    if e.keywords:
        raise parser.m.error(e.keywords[0].value, "np.linalg.eigh takes no keywords here (UPLO='L' is the "
                             "default it uses)", "write np.linalg.eigh(a)")
    (a,) = _values(parser, e, env, 1, "np.linalg.eigh")
    _check_matrix(parser, e, [a], "np.linalg.eigh")
    return parser.b.emit("eigh_w", (a,)), parser.b.emit("eigh_v", (a,))


def _eigvalsh_call(parser, e, env):
    return _eigh_call(parser, e, env)[0]


def _einsum_call(parser, e, env):
    if not e.args or not (isinstance(e.args[0], ast.Constant) and isinstance(e.args[0].value, str)):
        raise parser.m.error(e, "np.einsum needs its subscripts as a string literal first",
                             "write np.einsum('ij,jk->ik', a, b)")
    for kw in e.keywords:
        if kw.arg != "optimize":
            raise parser.m.error(kw.value, f"keyword {kw.arg!r} of np.einsum is not supported here",
                                 "only optimize= (wengert optimizes 3 or more operands itself)")
    xs = [parser.value(a, env) for a in e.args[1:]]
    if not xs:
        raise parser.m.error(e, "np.einsum needs at least one operand", "write np.einsum('ij->ji', a)")

    def fail(message, hint):
        raise parser.m.error(e.args[0], message, hint)

    subscripts = normalize_subscripts(e.args[0].value, [_rank_of(parser, x) for x in xs], fail)
    return parser.b.emit("einsum", tuple(xs), {"subscripts": subscripts})


def _tensordot_call(parser, e, env):
    if len(e.args) < 2 or len(e.args) > 3 or any(k.arg != "axes" for k in e.keywords):
        raise parser.m.error(e, "np.tensordot takes a, b and axes here", "write np.tensordot(a, b, axes=1)")
    a, b = parser.value(e.args[0], env), parser.value(e.args[1], env)
    node = e.args[2] if len(e.args) == 3 else next((k.value for k in e.keywords), None)
    axes = 2 if node is None else parser.literal(node)
    ok = isinstance(axes, int) and not isinstance(axes, bool) and axes >= 0 or \
        isinstance(axes, tuple) and len(axes) == 2 and all(
            isinstance(x, int) or isinstance(x, tuple) and all(isinstance(i, int) for i in x) for x in axes)
    if not ok:
        raise parser.m.error(node, f"axes={axes!r} is not supported", "write axes=1 or axes=((1,), (0,))")
    if isinstance(axes, tuple):
        na = 1 if isinstance(axes[0], int) else len(axes[0])
        nb = 1 if isinstance(axes[1], int) else len(axes[1])
        if na != nb:
            raise parser.m.error(node, "np.tensordot's axes pair lists different numbers of axes",
                                 "contract as many axes of a as of b")
    return parser.b.emit("tensordot", (a, b), {"axes": axes})


def _tensordot_parts(a, b, axes):
    ra, rb = _need_rank(a, "np.tensordot"), _need_rank(b, "np.tensordot")
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


def _inner_call(parser, e, env):
    a, b = _values(parser, e, env, 2, "np.inner")
    return parser.b.emit("inner", (a, b))


def _inner_parts(a, b):
    ra, rb = _need_rank(a, "np.inner"), _need_rank(b, "np.inner")
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


def _vdot_call(parser, e, env):
    a, b = _values(parser, e, env, 2, "np.vdot")
    # real arrays: np.vdot(a, b) is the sum of a * b over their flattened elements
    flat = [parser.b.emit("reshape", (v, Const((-1,)))) for v in (a, b)]
    return parser.b.emit("sum", (parser.b.emit("mul", tuple(flat)),), {})


defprim("cross", "np.cross({0}, {1})", sympy=lambda a, b: np.cross(_obj(a), _obj(b)), shape=shapes.broadcast,
        tangent=lambda ts, y, a, b: _sum_terms([apply("cross", ts[0], b) if ts[0] is not None else None,
                                                apply("cross", a, ts[1]) if ts[1] is not None else None]),
        adjoint=lambda g, y, a, b: (Lazy(lambda: unbroadcast(apply("cross", b, g), a)),
                                    Lazy(lambda: unbroadcast(apply("cross", g, a), b))))


def _batch_cross(b, x, z):
    rank_ = max(_rank(x), _rank(z))
    from .primitives import _lift_rank
    return b.emit_batched("cross", (_lift_rank(b, x, rank_), _lift_rank(b, z, rank_)))


PRIMS["cross"].batch = _batch_cross


def _sum_terms(terms):
    terms = [t for t in terms if t is not None]
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


def _cross_call(parser, e, env):
    a, b = _values(parser, e, env, 2, "np.cross")
    for node, v in zip(e.args, (a, b)):
        k = parser.b.shape(v)
        if shapes.known(k) and (not k or isinstance(k[-1], int) and k[-1] not in (3,)):
            raise parser.m.error(node, "np.cross needs vectors of 3 components along the last axis here",
                                 "pass arrays whose last axis has length 3")
    return parser.b.emit("cross", (a, b))


def _multi_dot_call(parser, e, env):
    if e.keywords or len(e.args) != 1 or not isinstance(e.args[0], (ast.List, ast.Tuple)) or len(e.args[0].elts) < 2:
        raise parser.m.error(e, "np.linalg.multi_dot needs a literal list of two or more arrays",
                             "write np.linalg.multi_dot([A, B, C])")
    xs = [parser.value(a, env) for a in e.args[0].elts]
    out = xs[0]
    for x in xs[1:]:  # the same product; NumPy's choice of order is an optimization of its own
        out = parser.b.emit("dot", (out, x))
    return out


def _matrix_power_call(parser, e, env):
    if e.keywords or len(e.args) != 2:
        raise parser.m.error(e, "np.linalg.matrix_power takes a matrix and an integer",
                             "write np.linalg.matrix_power(a, 3)")
    a = parser.value(e.args[0], env)
    n = parser.literal(e.args[1])
    if not isinstance(n, int) or isinstance(n, bool):
        raise parser.m.error(e.args[1], f"the exponent {n!r} is not an integer", "write an integer literal, e.g. 3")
    _check_matrix(parser, e, [a], "np.linalg.matrix_power")
    if n == 0:
        return parser.b.emit("eye_stack", (a,))
    base = parser.b.emit("inv", (a,)) if n < 0 else a
    result, n = None, abs(n)
    while n:  # by squaring: about log2(n) products
        if n & 1:
            result = base if result is None else parser.b.emit("matmul", (result, base))
        n >>= 1
        if n:
            base = parser.b.emit("matmul", (base, base))
    return result


defprim("eye_stack", "np.broadcast_to(np.eye(np.shape({0})[-1]), np.shape({0}))", nondiff=True,
        sympy=lambda a: np.broadcast_to(np.eye(np.shape(a)[-1], dtype=int).astype(object), np.shape(a)),
        shape=lambda a: a)


def _norm_call(parser, e, env):
    """np.linalg.norm(x, ord=None, axis=None, keepdims=False), written with the ops it stands for."""
    names = ("ord", "axis", "keepdims")
    if not e.args or len(e.args) > 4:
        raise parser.m.error(e, "np.linalg.norm takes x, ord, axis and keepdims here", "write np.linalg.norm(x)")
    x = parser.value(e.args[0], env)
    opts = {n: parser.literal(a) for n, a in zip(names, e.args[1:])}
    for kw in e.keywords:
        if kw.arg not in names:
            raise parser.m.error(kw.value, f"keyword {kw.arg!r} is not supported here", "supported keywords: "
                                 "ord, axis, keepdims")
        opts[kw.arg] = parser.literal(kw.value)
    ord_, axis, keepdims = opts.get("ord"), opts.get("axis"), opts.get("keepdims", False)
    parser.check_attrs(e, {k: v for k, v in (("axis", axis), ("keepdims", keepdims)) if k in opts})
    if ord_ is None and axis is None:  # the 2-norm of all elements
        if not keepdims:
            return parser.b.emit("norm", (x,), {})
        return parser.b.emit("sqrt", (parser.b.emit("sum", (parser.b.emit("mul", (x, x)),), {"keepdims": True}),))
    k = parser.b.shape(x)
    rank_ = len(k) if shapes.known(k) else None
    if axis is None and rank_ is None and ord_ is not None:
        raise parser.m.error(e, f"np.linalg.norm with ord={ord_!r} and no axis depends on the rank of x, which "
                             "is not known here", "give axis= (axis=-1 for vectors, axis=(-2, -1) for matrices)")
    axes = axis if isinstance(axis, tuple) else (axis,) if axis is not None else tuple(range(rank_)) \
        if rank_ is not None else None
    if axes is not None and len(axes) > 2 or axes is None and ord_ is not None:
        raise parser.m.error(e, "np.linalg.norm takes one axis (vectors) or two (matrices)",
                             "write axis=-1 or axis=(-2, -1)")
    if rank_ is not None and axes is not None and any(not -rank_ <= a < rank_ for a in axes):
        raise parser.m.error(e, f"axis {axis!r} is out of bounds for an array of dimension {rank_}",
                             "write an axis between -ndim and ndim - 1")
    emit = parser.b.emit

    def red(prim, v, ax):
        return emit(prim, (v,), {"axis": ax, "keepdims": keepdims or None})

    absx = emit("abs", (x,))
    if axes is None or len(axes) == 1:  # vector norms
        ax = axis if axes is None else axes[0] if axis is not None else None
        if ord_ is None or ord_ == 2:
            return emit("sqrt", (red("sum", emit("mul", (x, x)), ax),))
        if ord_ == np.inf:
            return red("max", absx, ax)
        if ord_ == -np.inf:
            return red("min", absx, ax)
        if ord_ == 1:
            return red("sum", absx, ax)
        if ord_ == 0 or isinstance(ord_, str) or not isinstance(ord_, (int, float)) or isinstance(ord_, bool):
            raise parser.m.error(e, f"ord={ord_!r} is not a differentiable vector norm", "use ord=1, 2, np.inf, "
                                 "-np.inf or another number")
        return emit("pow", (red("sum", emit("pow", (absx, Const(float(ord_)))), ax), Const(1.0 / ord_)))
    ax = axes
    if ord_ in (None, "fro"):
        return emit("sqrt", (red("sum", emit("mul", (x, x)), ax),))
    if ord_ in (1, -1, np.inf, -np.inf):  # the largest (smallest) column sum (1) or row sum (inf)
        rows, cols = ax
        sums = emit("sum", (absx,), {"axis": rows if ord_ in (1, -1) else cols, "keepdims": True})
        return red("max" if ord_ in (1, np.inf) else "min", sums, ax)
    if ord_ in ("nuc", 2, -2):
        raise parser.m.error(e, f"np.linalg.norm with ord={ord_!r} of a matrix (singular values) is not "
                             "supported yet", "use ord='fro', 1 or np.inf")
    raise parser.m.error(e, f"ord={ord_!r} is not a matrix norm", "use 'fro', 1, -1, np.inf or -np.inf")


CALLS = {
    "numpy.linalg.solve": _solve_call,
    "numpy.linalg.inv": _unary("inv", "np.linalg.inv"),
    "numpy.linalg.det": _unary("det", "np.linalg.det"),
    "numpy.linalg.slogdet": _slogdet_call,
    "numpy.linalg.cholesky": _unary("cholesky", "np.linalg.cholesky"),
    "numpy.linalg.eigh": _eigh_call,
    "numpy.linalg.eigvalsh": _eigvalsh_call,
    "numpy.linalg.multi_dot": _multi_dot_call,
    "numpy.linalg.matrix_power": _matrix_power_call,
    "numpy.linalg.norm": _norm_call,
    "numpy.einsum": _einsum_call,
    "numpy.tensordot": _tensordot_call,
    "numpy.inner": _inner_call,
    "numpy.vdot": _vdot_call,
    "numpy.cross": _cross_call,
}
