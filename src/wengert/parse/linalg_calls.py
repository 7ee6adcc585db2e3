"""How the parser reads np.linalg and contraction calls whose arguments are not plain values: slogdet and eigh
return pairs, einsum's subscripts and tensordot's axes are literals checked here, norm's ord/axis/keepdims pick
a primitive. parse/calls.py merges CALLS into its own table; the primitives are in primitives/linalg.py.
"""

import ast

import numpy as np

from .. import shapes
from ..errors import WengertError
from ..primitives.linalg import _LETTERS, _norm_plan
from ..trace import is_batched


def normalize_subscripts(text, ranks, fail):
    """Explicit subscripts 'ij,jk->ik' for NumPy's (explicit or implicit) text; fail(message, hint) raises."""
    text = text.replace(" ", "")
    ins, arrow, out = text.partition("->")
    for t in ins.split(",") + [out]:
        if t.replace("...", "", 1).count(".") or t.count("...") > 1:
            fail(f"the term {t!r} has a '.' that is not one ellipsis '...'", "write at most one '...' per term")
    terms = ins.split(",")
    if len(terms) != len(ranks):
        fail(f"the subscripts {text!r} name {len(terms)} operand{'s' * (len(terms) != 1)}, but {len(ranks)} "
             f"{'are' if len(ranks) != 1 else 'is'} given", "give one comma-separated term per operand")
    bad = [c for c in text if c not in _LETTERS + ",->."]
    if bad:
        fail(f"invalid subscript character {bad[0]!r} in {text!r}", "use letters a-z and A-Z")
    for t, r in zip(terms, ranks):
        if r is not None and ("..." not in t and len(t) != r or "..." in t and len(t) - 3 > r):
            fail(f"the term {t!r} has {len(t)} indices, but its operand has {r} dimensions",
                 "give one index per axis of the operand")
    if not arrow:  # NumPy's implicit output: the indices that occur once, in order (a repeat in one term sums)
        counts = {c: ins.count(c) for c in set(ins) - {",", "."}}
        out = "..." * ("..." in ins) + "".join(sorted(c for c, n in counts.items() if n == 1))
    elif "..." in out and "..." not in ins:
        fail(f"the output {out!r} has an ellipsis no operand has", "write '...' in the operands' terms too")
    elif len(set(out.replace("...", ""))) != len(out.replace("...", "")) or any(
            c not in ins for c in out.replace("...", "")):
        fail(f"the output {out!r} repeats an index or names one no operand has", "name each output axis once, "
             "with indices of the operands")
    return ",".join(terms) + "->" + out


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


def _unary(prim, name, square=True):
    def handler(parser, e, env):
        (a,) = _values(parser, e, env, 1, name)
        _check_matrix(parser, e, [a], name, square)
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
    """np.linalg.eigh(a, UPLO='L'): UPLO='U' reads the upper triangle, which is the lower one of a's
    transpose."""
    uplo_nodes = e.args[1:2] + [k.value for k in e.keywords if k.arg == "UPLO"]
    if len(e.args) > 2 or len(uplo_nodes) > 1 or any(k.arg != "UPLO" for k in e.keywords) or not e.args:
        raise parser.m.error(e, "np.linalg.eigh takes a matrix and UPLO ('L' or 'U') here",
                             "write np.linalg.eigh(a) or np.linalg.eigh(a, 'U')")
    uplo = parser.literal(uplo_nodes[0]) if uplo_nodes else "L"
    if uplo not in ("L", "U"):
        raise parser.m.error(uplo_nodes[0], f"UPLO={uplo!r} is not 'L' or 'U'", "write 'L' (the default) or 'U'")
    a = parser.value(e.args[0], env)
    _check_matrix(parser, e, [a], "np.linalg.eigh")
    if uplo == "U":  # the lower triangle of the transpose; eigh_v keeps NumPy's eigenvectors for 'U' (signs)
        a = parser.b.emit("swapaxes", (a,))
        return parser.b.emit("eigh_w", (a,)), parser.b.emit("eigh_v", (a,), {"upper": True})
    return parser.b.emit("eigh_w", (a,)), parser.b.emit("eigh_v", (a,))


def _eigvalsh_call(parser, e, env):
    return _eigh_call(parser, e, env)[0]


def _sublist_text(parser, node):
    """The subscript letters of one literal sublist of np.einsum's second form ([0, 1], [Ellipsis, 0])."""
    if not isinstance(node, (ast.List, ast.Tuple)):
        raise parser.m.error(node, "np.einsum's sublist form needs a literal list of axis numbers after each "
                             "operand", "write np.einsum(a, [0, 1], b, [1, 2], [0, 2])")
    text = ""
    for item in node.elts:
        if isinstance(item, ast.Name) and item.id == "Ellipsis" or isinstance(item, ast.Constant) and \
                item.value is Ellipsis:
            text += "..."
        elif isinstance(item, ast.Constant) and isinstance(item.value, int) and 0 <= item.value < len(_LETTERS):
            text += _LETTERS[item.value]
        else:
            raise parser.m.error(item, "an axis number of np.einsum's sublist must be an integer literal 0-51 "
                                 "or Ellipsis", "write e.g. [0, 1]")
    return text


def _einsum_call(parser, e, env):
    if len(e.args) >= 2 and isinstance(e.args[1], (ast.List, ast.Tuple)):
        # the sublist form np.einsum(a, [0, 1], b, [1, 2], [0, 2]): restated as the string form
        pairs, rest = e.args[:len(e.args) // 2 * 2], e.args[len(e.args) // 2 * 2:]
        terms = [_sublist_text(parser, pairs[i + 1]) for i in range(0, len(pairs), 2)]
        text = ",".join(terms) + ("->" + _sublist_text(parser, rest[0]) if rest else "")
        e = ast.Call(e.func, [ast.Constant(text, lineno=e.lineno, col_offset=e.col_offset)] + pairs[::2],
                     e.keywords, lineno=e.lineno, col_offset=e.col_offset)
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


def _inner_call(parser, e, env):
    a, b = _values(parser, e, env, 2, "np.inner")
    return parser.b.emit("inner", (a, b))


def _vdot_call(parser, e, env):
    a, b = _values(parser, e, env, 2, "np.vdot")
    return parser.b.emit("vdot", (a, b))


def _cross_call(parser, e, env):
    """np.cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None): the vectors' axes are moved last, crossed,
    and the result's axis is moved to axisc (axis= sets all three, as in NumPy)."""
    names = ("axisa", "axisb", "axisc", "axis")
    if len(e.args) != 2 or len(e.args) + len(e.keywords) > 6:
        raise parser.m.error(e, "np.cross takes two arrays and the keywords axisa, axisb, axisc, axis here",
                             "write np.cross(a, b) or np.cross(a, b, axis=0)")
    opts = {}
    for kw in e.keywords:
        value = parser.literal(kw.value) if kw.arg in names else None
        if kw.arg not in names or not (value is None and kw.arg == "axis" or isinstance(value, int)
                                       and not isinstance(value, bool)):
            raise parser.m.error(kw.value, f"np.cross's {kw.arg}= must be one of {', '.join(names)}, with an "
                                 "integer literal", "write e.g. axisa=0")
        opts[kw.arg] = value
    if opts.get("axis") is not None:
        opts.update(axisa=opts["axis"], axisb=opts["axis"], axisc=opts["axis"])
    a, b = parser.value(e.args[0], env), parser.value(e.args[1], env)
    moved = []
    for node, v, key in zip(e.args, (a, b), ("axisa", "axisb")):
        k = parser.b.shape(v)
        axis = opts.get(key, -1)
        if shapes.known(k):
            if not -len(k) <= axis < len(k):
                raise parser.m.error(node, f"{key}={axis} is out of range for an array of {len(k)} dimensions",
                                     "name one of its axes")
            if isinstance(k[axis], int) and k[axis] != 3:
                raise parser.m.error(node, "np.cross needs vectors of 3 components along the named axis here",
                                     "pass arrays whose vector axis has length 3")
        moved.append(v if axis == -1 or shapes.known(k) and axis == len(k) - 1 else parser.b.emit("moveaxis", (v,), {
            "source": axis, "destination": -1}))
    out = parser.b.emit("cross", tuple(moved))
    axisc = opts.get("axisc", -1)
    k = parser.b.shape(out)
    if shapes.known(k) and not -len(k) <= axisc < len(k):
        raise parser.m.error(e, f"axisc={axisc} is out of range for the result's {len(k)} dimensions",
                             "name one of its axes")
    if axisc != -1 and not (shapes.known(k) and axisc == len(k) - 1):
        out = parser.b.emit("moveaxis", (out,), {"source": -1, "destination": axisc})
    return out


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


def _norm_call(parser, e, env):
    """np.linalg.norm(x, ord=None, axis=None, keepdims=False)."""
    names = ("ord", "axis", "keepdims")
    if not e.args or len(e.args) > 4:
        raise parser.m.error(e, "np.linalg.norm takes x, ord, axis and keepdims here", "write np.linalg.norm(x)")
    x = parser.value(e.args[0], env)
    opts = {n: parser.literal(a) if n != "ord" else _ord_literal(parser, a) for n, a in zip(names, e.args[1:])}
    for kw in e.keywords:
        if kw.arg not in names:
            raise parser.m.error(kw.value, f"keyword {kw.arg!r} is not supported here", "supported keywords: "
                                 "ord, axis, keepdims")
        opts[kw.arg] = parser.literal(kw.value) if kw.arg != "ord" else _ord_literal(parser, kw.value)
    ord_, axis, keepdims = opts.get("ord"), opts.get("axis"), opts.get("keepdims", False)
    parser.check_attrs(e, {k: v for k, v in (("axis", axis), ("keepdims", keepdims)) if k in opts})
    if ord_ is None and axis is None and not keepdims:
        return parser.b.emit("norm", (x,), {})  # the 2-norm of all elements
    if isinstance(ord_, str) and (isinstance(axis, int) or isinstance(axis, tuple) and len(axis) == 1):
        raise parser.m.error(e, f"ord={ord_!r} is a matrix norm, but axis names one axis",
                             "give two axes, or a number as ord")
    ok = ord_ is None or ord_ in ("fro", "nuc") or isinstance(ord_, (int, float)) and not isinstance(ord_, bool)
    if not ok or ord_ == 0:
        raise parser.m.error(e, f"ord={ord_!r} is not a differentiable norm" if ok else f"ord={ord_!r} is not a norm",
                             "use ord=None, 1, 2, np.inf, -np.inf, another number, 'fro' or 'nuc'")
    k = parser.b.shape(x)
    if shapes.known(k):
        try:
            _norm_plan(len(k), ord_, axis)
        except WengertError as err:
            raise parser.m.error(e, err.message, err.hint) from None
    return parser.b.emit("norm_ord", (x,), {"ord": ord_, "axis": axis, "keepdims": keepdims or None})


def _ord_literal(parser, node):
    """ord: a number, a string, or np.inf / -np.inf."""
    negative = isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
    inner = node.operand if negative else node
    if parser.dotted(inner) in ("numpy.inf", "math.inf"):
        return -np.inf if negative else np.inf
    return parser.literal(node)


def _svd_call(parser, e, env):
    """np.linalg.svd(a, compute_uv=False) gives the singular values; with full_matrices=False the thin
    U, s, Vh triple (all differentiable where the singular values are distinct and nonzero)."""
    if not e.args or len(e.args) > 1:
        raise parser.m.error(e, "np.linalg.svd takes one matrix here", "write np.linalg.svd(a, compute_uv=False)")
    opts = {}
    for kw in e.keywords:
        if kw.arg not in ("compute_uv", "full_matrices"):
            raise parser.m.error(kw.value, f"keyword {kw.arg!r} of np.linalg.svd is not supported here",
                                 "supported: compute_uv=False, full_matrices=False")
        opts[kw.arg] = parser.literal(kw.value)
    a = parser.value(e.args[0], env)
    if opts.get("compute_uv", True) is False:
        return parser.b.emit("svdvals", (a,))
    if opts.get("full_matrices", True) is not False:
        raise parser.m.error(e, "np.linalg.svd with full_matrices=True (the default) is not supported",
                             "write np.linalg.svd(a, full_matrices=False), or compute_uv=False for the values")
    return parser.b.emit("svd_u", (a,)), parser.b.emit("svdvals", (a,)), parser.b.emit("svd_vh", (a,))


CALLS = {
    "numpy.linalg.pinv": _unary("pinv", "np.linalg.pinv", square=False),
    "numpy.linalg.svd": _svd_call,
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
