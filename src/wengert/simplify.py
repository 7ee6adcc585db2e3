"""Simplification: constant folding and algebraic identities as ops are built, dead code after.

CSE happens in the Builder (an op already built is reused), so the passes here
are local rewrites that never change a value's shape, plus dead-code elimination.
"""

import math

import numpy as np

from . import shapes
from .trace import Block, Const, If, Loop, Op, Var, defined_names, free_vars, walk

_NUMBER = (int, float)
_FOLDABLE_NONDIFF = {"sign", "less", "less_equal", "greater", "greater_equal", "equal", "not_equal",
                     "floordiv", "pyround", "int", "builtin_min", "range_len"}


def _number(v):
    return isinstance(v, Const) and type(v.value) in _NUMBER


def _is(v, number):
    return _number(v) and v.value == number


def fold(p, args, attrs):
    """Evaluate ops on numeric literals at compile time."""
    if not args or not _number(args[0]) or not all(_number(a) for a in args) \
            or (p.nondiff and p.name not in _FOLDABLE_NONDIFF):
        return None
    kw = dict(attrs)
    # Parenthesized, so a negative base folds as (-0.75) ** 2, not -(0.75 ** 2).
    src = p.source([f"({a.value!r})" for a in args], kw, kw.get("lib", "np"))
    try:
        with np.errstate(all="raise"):
            value = eval(src, {"np": np, "math": math})  # scipy.special calls stay unfolded
    except Exception:
        return None
    if isinstance(value, (np.bool_, bool)):
        return Const(bool(value))
    if isinstance(value, (np.integer, int)):
        return Const(int(value))
    if isinstance(value, (np.floating, float)) and math.isfinite(value):
        return Const(float(value))
    return None


def rewrite(b, p, args, attrs):
    """Shape-preserving identities: x*1, x+0, -(-x), x + (-y), x * (1/y), sum(-x), and static broadcasting."""
    name = p.name
    key = b.shape
    defs = b.defs

    def defined_as(v, prim):
        op = defs.get(v.name) if isinstance(v, Var) else None
        return op if op is not None and op.prim == prim else None

    if p.shape is shapes.broadcast and len(args) == 2:
        lighter = _scalar_operand(b, args) or _expand_unreduced(b, args)
        if lighter is not None:
            return b.emit(name, lighter, dict(attrs))
    if b.batched and name in ("add", "sub", "mul", "div", "neg"):
        factored = _factor_batched(b, name, args)
        if factored is not None:
            return factored
    if name == "mul0" and any(_number(v) and v.value != 0 and math.isfinite(v.value) for v in args):
        return b.emit("mul", args)  # 0 * inf cannot happen with a finite non-zero factor: a plain product
    if name == "mul0" and any(_number(v) and v.value == 0 for v in args):
        return b.emit("mul", args)  # 0 times anything is 0 here: the plain product's rules fold it
    if name in ("add", "sub", "mul", "div", "pow"):
        a, c = args
        ka, kc = key(a), key(c)
        same_a = kc == shapes.SCALAR or kc == ka
        same_c = ka == shapes.SCALAR or ka == kc
        da, dc = defs.get(a.name) if type(a) is Var else None, defs.get(c.name) if type(c) is Var else None
        pa, pc = da and da.prim, dc and dc.prim  # how each operand was computed, if it was
        va, vc = a.value if _number(a) else None, c.value if _number(c) else None  # its value, if a number
        if name == "add":
            if vc == 0 and same_a:
                return a
            if va == 0 and same_c:
                return c
            if pc == "neg":
                return b.emit("sub", (a, dc.args[0]))
            if pa == "neg":
                return b.emit("sub", (c, da.args[0]))
        elif name == "sub":
            if vc == 0 and same_a:
                return a
            if va == 0 and same_c:
                return b.emit("neg", (c,))
            if pc == "neg":
                return b.emit("add", (a, dc.args[0]))
        elif name == "mul":
            for x, y, vy, dy, same in ((a, c, vc, dc, same_a), (c, a, va, da, same_c)):
                if vy == 1 and same:
                    return x
                if vy == -1 and same:
                    return b.emit("neg", (x,))
                if vy == 0 and key(x) == shapes.SCALAR:
                    return Const(0.0)
                if dy is not None and dy.prim == "div" and _is(dy.args[0], 1) and x != y:  # (1/c) * (1/c) stays
                    return b.emit("div", (x, dy.args[1]))                                 # a square
            for vk, dx in ((va, dc), (vc, da)):
                if vk is not None and dx is not None and dx.prim == "mul" and _number(dx.args[0]):
                    return b.emit("mul", (Const(vk * dx.args[0].value), dx.args[1]))
            for x, dy in ((a, dc), (c, da)):  # g * (2 * x) as (2 * g) * x where g is the lighter operand
                if dy is not None and dy.prim == "mul" and _exact_scale(dy.args[0]) and \
                        _lighter(key(x), key(dy.args[1])):
                    return b.emit("mul", (b.emit("mul", (dy.args[0], x)), dy.args[1]))
            if pa == "neg" and pc == "neg":
                return b.emit("mul", (da.args[0], dc.args[0]))
            if (pa == "neg" or pc == "neg") and not (b.batched & {v.name for v in args if isinstance(v, Var)}):
                return b.emit("neg", (b.emit("mul", ((da.args[0] if pa == "neg" else a),
                                                     (dc.args[0] if pc == "neg" else c))),))
        elif name == "div":
            if vc == 1 and same_a:
                return a
            if pa == "div" and _is(da.args[0], 1) and da.args[1] == c:
                # (1 / c) / c = (1 / c) ** 2, as the adjoint of 1 / c has it: then c itself need not be kept
                # for the backward pass, and a product is cheaper than a quotient.
                return b.emit("mul", (a, a))
            if pa == "neg" and not _scalar_over_array(key, a, c):
                return b.emit("neg", (b.emit("div", (da.args[0], c)),))
        elif name == "pow":
            if vc == 1 and same_a:
                return a
            if vc == 2:
                return b.emit("mul", (a, a)) if ka == shapes.SCALAR else None
    elif name == "neg":
        inner = defined_as(args[0], "neg")
        if inner is not None:
            return inner.args[0]
    elif name in ("sum", "sum_axes", "mean") and len(args) == 1 and not b.batched:
        inner = defined_as(args[0], "neg")
        if inner is not None:  # -(sum of x): one negation of the smaller, reduced array
            return b.emit("neg", (b.emit(name, (inner.args[0],), dict(attrs)),))
        if name in ("sum", "sum_axes"):
            return _divide_after_sum(b, name, args[0], dict(attrs)) or \
                _factor_out_of_sum(b, p, args[0], dict(attrs))
    elif name == "unbroadcast":
        g, x = args
        if shapes.same(key(g), key(x)) or _number(g) and key(x) == shapes.SCALAR:
            return g
        if key(x) == shapes.SCALAR and shapes.known(key(g)):
            return b.emit("sum", (g,))
        axes = shapes.unbroadcast_axes(key(g), key(x))
        if axes is not None:
            lead, units = axes
            return b.emit("sum_axes", (g,), {"lead": lead, "units": units}) if lead or units else g
    elif name == "size":
        k = key(args[0])
        if k == shapes.SCALAR or k == (1,):
            return Const(1)
        if shapes.known(k) and len(k) == 1:  # len(x): a quarter of math.prod(np.shape(x))'s cost, lazy on Dask too
            return b.emit("len", (args[0],))
    elif name == "scatter":
        g, x = args[:2]
        if len(args) == 2 and _only_reshapes(dict(attrs)["spec"], key(x)):
            return b.emit("reshape", (g, b.emit("shape", (x,))))
    elif name == "broadcast_like":
        t, ref = args
        if shapes.same(key(t), key(ref)):
            return t
    return None


def _divide_after_sum(b, name, x, kw):
    """sum(y / c) = sum(y) / c, and sum(a * (y / c)) = sum(a * y) / c, when c is positive and finite and the same
    along every summed axis (it broadcasts only over axes of x it does not have): one division of the smaller,
    reduced array."""
    op = b.defs.get(x.name) if isinstance(x, Var) else None
    if op is None or op.prim not in ("div", "mul"):
        return None
    kx = b.shape(x)
    if not shapes.known(kx):
        return None
    if name == "sum_axes":
        if kw.get("units"):
            return None
        axes = set(kw.get("lead", ()))
    else:
        axes = set(range(len(kx))) if kw.get("axis") is None else shapes.axes_of(kw["axis"], len(kx))
    quotient, factor = op, None
    if op.prim == "mul":
        for i, v in enumerate(op.args):
            inner = b.defs.get(v.name) if isinstance(v, Var) else None
            if inner is not None and inner.prim == "div":
                quotient, factor = inner, op.args[1 - i]
                break
        else:
            return None
    y, c = quotient.args
    positive = c.value > 0 if _number(c) else isinstance(c, Var) and b._facts(c.name) == (True, False)
    if not positive:  # dividing by 0 before or after summing can differ (inf + nan against inf / 1)
        return None
    kc = b.shape(c)
    if not shapes.known(kc) or any(a >= len(kx) - len(kc) for a in axes):
        return None  # c varies along a summed axis (or its shape is not known)
    numerator = y if factor is None else b.emit("mul", (factor, y))
    if not shapes.same(b.shape(numerator), kx):
        return None  # c was what broadcast y (or a) to x's shape
    return b.emit("div", (b.emit(name, (numerator,), kw), c))


def _factor_out_of_sum(b, p, x, kw):
    """sum(s * q) = s * sum(q) when s is the same along every summed axis (it has no such axis, or a unit one,
    perhaps spread by broadcast_like) and q spans them: a tangent broadcast to a shape is summed as the
    smaller array it was (kmeans' Hessian-vector product: an (N, K, D) product and sum become (N, K, 1)
    ones). Not where s may be inf or nan (inf * 0 summed is nan, inf * sum is not) or in vector mode."""
    op = b.defs.get(x.name) if isinstance(x, Var) else None
    kx = b.shape(x)
    if op is None or op.prim != "mul" or b.batched or not shapes.known(kx):
        return None
    rank = len(kx)
    if p.name == "sum_axes":
        lead, units = kw.get("lead", ()), kw.get("units", ())
        summed, dropped = set(range(len(lead))) | {len(lead) + u for u in units}, set(range(len(lead)))
    else:
        summed = set(range(rank)) if kw.get("axis") is None else shapes.axes_of(kw["axis"], rank)
        dropped = set() if kw.get("keepdims") else summed
    for s, q in (op.args, op.args[::-1]):
        spread = b.defs.get(s.name) if isinstance(s, Var) else None
        if spread is not None and spread.prim == "broadcast_like":
            s = spread.args[0]
        ks, kq = b.shape(s), b.shape(q)
        if not (shapes.known(ks) and shapes.known(kq)) or len(kq) != rank or len(ks) > rank or b.nonfinite(s):
            continue
        padded = (1,) * (rank - len(ks)) + tuple(ks)
        if all(padded[a] == 1 and kq[a] == kx[a] and (a not in dropped or a < rank - len(ks)) for a in summed):
            out = b.emit("mul", (s, b.emit(p.name, (q,), kw)))
            if shapes.same(b.shape(out), p.shape_of([kx], kw)):
                return out
    return None


def _exact_scale(v):
    """A number whose products are exact (a power of two): moving it between factors changes no bit."""
    return _number(v) and isinstance(v.value, (int, float)) and v.value != 0 and math.isfinite(v.value) and \
        math.frexp(v.value)[0] in (0.5, -0.5)


def _lighter(kx, kz):
    """Is an array of shape key kx known smaller than one of kz that it broadcasts against (same rank, unit
    axes where kz has them and at least one more)? The scalar counts as lighter than any array."""
    if kx == shapes.SCALAR:
        return shapes.known(kz) and kz != shapes.SCALAR
    if not (shapes.known(kx) and shapes.known(kz)) or len(kx) != len(kz):
        return False
    return all(dx == 1 or dx == dz for dx, dz in zip(kx, kz)) and \
        any(dx == 1 and dz not in (1, None) for dx, dz in zip(kx, kz))


def _scalar_over_array(key, a, c):
    """Is a / c a known scalar over a value not known to be one? Then (-a) / c keeps its negation on the
    scalar: pulled out, -(a / c) would negate the whole array."""
    return key(a) == shapes.SCALAR and key(c) != shapes.SCALAR


def _factor_batched(b, name, args):
    """Keep batched values in the form s * u (s batched, u not): then the per-direction work is one
    product, and all the rest is done once on u. (s*u)*c = s*(u*c); s*u + s*v = s*(u + v); s + s*u = s*(1 + u)."""
    def split(v):
        op = b.defs.get(v.name) if isinstance(v, Var) and v.name in b.batched else None
        if op is not None and op.prim == "neg" and isinstance(op.args[0], Var) and op.args[0].name in b.batched:
            return op.args[0], Const(-1.0)
        if op is not None and op.prim == "mul":
            s, u = op.args
            if isinstance(s, Var) and s.name in b.batched and not (isinstance(u, Var) and u.name in b.batched):
                return s, u
        return None

    def plain(v):
        return not (isinstance(v, Var) and v.name in b.batched)

    if name == "neg":
        parts = split(args[0])
        return b.emit("mul", (parts[0], b.emit("neg", (parts[1],)))) if parts else None
    x, y = args
    px, py = split(x), split(y)
    if name in ("mul", "div") and px and plain(y):
        return b.emit("mul", (px[0], b.emit(name, (px[1], y))))
    if name == "mul" and py and plain(x):
        return b.emit("mul", (py[0], b.emit("mul", (x, py[1]))))
    if name in ("add", "sub") and (px or py):  # s itself is s * 1: s + s*u = s*(1 + u)
        fx = px or (None if plain(x) else (x, Const(1.0)))
        fy = py or (None if plain(y) else (y, Const(1.0)))
        if fx and fy and fx[0] == fy[0]:
            return b.emit("mul", (fx[0], b.emit(name, (fx[1], fy[1]))))
    return None


def _scalar_behind(b, v):
    """The scalar s when v is s broadcast to a shape (possibly reshaped or negated), else None."""
    op = b.defs.get(v.name) if isinstance(v, Var) else None
    if op is None:
        return None
    kw = op.kw
    if op.prim in ("unreduce", "broadcast_like") and kw.get("axis") is None and b.shape(op.args[0]) == shapes.SCALAR:
        return op.args[0]
    if op.prim == "ones_like":
        return Const(1.0)
    if op.prim in ("mul", "div"):  # ones_like(x) * s, ones_like(x) / s: a scalar broadcast keeping x's precision
        for spread, s in (op.args, op.args[::-1]) if op.prim == "mul" else (op.args,):
            behind = _scalar_behind(b, spread) if isinstance(spread, Var) else None
            if behind is not None and b.shape(s) == shapes.SCALAR:
                return b.emit(op.prim, (behind, s))
    if op.prim in ("expand_dims", "reshape", "neg"):
        s = _scalar_behind(b, op.args[0])
        return b.emit("neg", (s,)) if s is not None and op.prim == "neg" else s
    return None


def _scalar_operand(b, args):
    """In a broadcasting binary op whose other operand already has the result's shape,
    a broadcast scalar operand can be the scalar itself."""
    keys = [b.shape(a) for a in args]
    out = shapes.broadcast(*keys)
    if out is None or out == shapes.SCALAR:
        return None
    for i, v in enumerate(args):
        if shapes.same(keys[1 - i], out):
            s = _scalar_behind(b, v)
            if s is not None:
                return (s, args[1]) if i == 0 else (args[0], s)
    return None


def _expand_unreduced(b, args):
    """In x * unreduce(g) the broadcast to x's shape is implicit: use g with the reduced axes kept as 1."""
    for i, v in enumerate(args):
        op = b.defs.get(v.name) if isinstance(v, Var) else None
        other = args[1 - i]
        if op is not None and op.prim == "unreduce" and shapes.same(b.shape(other), b.shape(op.args[1])):
            g, kw = op.args[0], op.kw
            if kw.get("axis") is not None and not kw.get("keepdims"):
                g = b.emit("expand_dims", (g,), {"axis": kw["axis"]})
            return (g, other) if i == 0 else (other, g)
    return None


def _only_reshapes(spec, key):
    """Does indexing with spec only add or drop unit axes (so its adjoint is a reshape)?"""
    if not shapes.known(key):
        return False
    i = 0
    for item in spec:
        if item[0] == "newaxis":
            continue
        if i >= len(key):
            return False
        if item[0] == "int" and item[1] in (0, -1) and key[i] == 1 or item[0] == "slice" and item[1:] == (None,) * 3:
            i += 1
            continue
        return False
    return True


def dead_code(ops, outputs, shape_keys=None, params=()):
    """Drop statements whose results are never used by the outputs (inside loops and branches too).

    An argument read only for its shape does not keep its value alive when another
    value of the same shape is at hand (a parameter, or one that is live anyway).
    A stack that is popped (or read as rows) at all keeps every push, pop and clear, so they stay paired."""
    from .primitives import PRIMS

    reads_shapes = any(isinstance(o, Op) and PRIMS[o.prim].shape_args for o in ops)
    classes, stacks = _shape_classes(ops, shape_keys or {}) if reads_shapes else {}, set()
    while True:
        kept = _live_block(list(ops), {v.name for v in outputs if isinstance(v, Var)} | stacks, classes, set(params))
        popped = {o.args[0].name for o in walk(kept) if isinstance(o, Op) and o.prim in ("pop", "rows")}
        if popped <= stacks:
            return kept
        stacks |= popped


def _live_block(ops, live, same=None, params=()):
    """Statements of ops needed for the names in live; adds what they read to live."""
    from .primitives import PRIMS

    where = {n: i for i, op in enumerate(ops) for n in op.outs} if same else None
    kept = []
    for i in range(len(ops) - 1, -1, -1):
        op = ops[i]
        if isinstance(op, (If, Loop)):
            op = _live_if(op, live) if isinstance(op, If) else _live_loop(op, live)
            if op is not None:
                kept.append(op)
                live.update(free_vars(op))
            continue
        p = PRIMS[op.prim]
        needed = p.kept or p.effect and op.args and type(op.args[0]) is Var and op.args[0].name in live  # an
        # assert, a comment; a push or pop on a live stack
        if not needed and not any(n in live for n in op.outs):
            continue
        if same and p.shape_args:
            op = _stand_ins(op, p, i, live, same, where, params)
        kept.append(op)
        live.update(a.name for a in op.args if type(a) is Var)
    return kept[::-1]


def _stand_ins(op, p, i, live, same, where, params):
    """op with each argument it reads only for its shape, when that value is not live anyway, replaced by a
    value of the same shape that is (the earliest one)."""
    args = list(op.args)
    for k in p.shape_args:
        a = args[k] if k < len(args) else None
        if isinstance(a, Var) and a.name not in live and a.name in same:
            stand_in = min((v for v in same[a.name] if v in params or v in live and where.get(v, i) < i),
                           key=lambda v: (where.get(v, -1), v), default=None)
            if stand_in is not None:
                args[k] = Var(stand_in)
    return Op(op.outs, op.prim, tuple(args), op.attrs) if tuple(args) != op.args else op


class _Live:
    """Names live in a nested block: its own (results, then what its kept statements read) and those live
    around it, which are not copied: a copy at every branch and loop made long functions quadratic."""

    __slots__ = ("own", "around")

    def __init__(self, own, around):
        self.own, self.around = own, around

    def __contains__(self, name):
        return name in self.own or name in self.around

    def update(self, names):
        self.own.update(names)


def _live_if(op, live):
    keep = [i for i, o in enumerate(op.outs) if o in live]
    blocks = []
    for block in op.blocks:
        results = tuple(block.results[i] for i in keep)
        inner = _Live({v.name for v in results if isinstance(v, Var)}, live)
        blocks.append(Block(tuple(_live_block(list(block.ops), inner)), results))
    if not keep and not any(_has_effect(b.ops) or any(n in live for n in defined_names(b.ops)) for b in blocks):
        return None
    return If(tuple(op.outs[i] for i in keep), op.cond, *blocks)


def _has_effect(ops):
    from .primitives import PRIMS

    return any(not isinstance(o, (If, Loop)) and PRIMS[o.prim].effect for o in walk(ops))


def _live_loop(op, live):
    keep = {i for i, o in enumerate(op.outs) if o in live}
    while True:
        inner = _Live({op.body.results[i].name for i in keep if isinstance(op.body.results[i], Var)}, live)
        body = _live_block(list(op.body.ops), inner)
        if op.cond is not None:
            inner.update(v.name for v in op.cond.results if isinstance(v, Var))
            _live_block(list(op.cond.ops), inner)
        grown = keep | {i for i, p in enumerate(op.carried) if p in inner}
        if grown == keep:
            break
        keep = grown
    if not keep and op.cond is None and not _has_effect(body):
        return None
    keep = sorted(keep)
    pick = lambda xs: tuple(xs[i] for i in keep)
    return Loop(pick(op.outs), pick(op.carried), pick(op.init), Block(tuple(body), pick(op.body.results)),
                op.bounds, op.index, op.cond, op.backwards)


def _shape_classes(ops, keys):
    """Names known to share a shape: the operands and result of broadcasting ops with equal keys."""
    from .primitives import PRIMS

    parent = {}

    def find(x):
        while parent.get(x, x) != x:
            parent[x] = x = parent.get(parent[x], parent[x])  # path halving: near-constant time per find
        return x

    for op in ops:
        if isinstance(op, (If, Loop)) or PRIMS[op.prim].shape is not shapes.broadcast or len(op.outs) != 1:
            continue
        out = op.outs[0]
        for a in op.args:
            if isinstance(a, Var) and shapes.same(keys.get(a.name, a.name), keys.get(out, out)):
                parent[find(a.name)] = find(out)
    classes = {}
    for x in list(parent):
        classes.setdefault(find(x), set()).add(x)
    return {x: classes[find(x)] for x in parent}


def rename(ops, outputs, mapping):
    """Apply a name substitution to every statement (nested ones too) and output."""
    def name(n):
        return mapping.get(n, n)

    def sub(v):
        if type(v) is not Var or v.name not in mapping:
            return v
        return Var(mapping[v.name])

    def block(b):
        return Block(tuple(stmt(o) for o in b.ops), tuple(sub(v) for v in b.results))

    def stmt(op):
        outs = tuple(name(n) for n in op.outs)
        if isinstance(op, If):
            return If(outs, sub(op.cond), block(op.then), block(op.orelse))
        if isinstance(op, Loop):
            return Loop(outs, tuple(name(n) for n in op.carried), tuple(sub(v) for v in op.init), block(op.body),
                        tuple(sub(v) for v in op.bounds), op.index and name(op.index),
                        op.cond and block(op.cond), op.backwards)
        args = tuple(sub(a) for a in op.args)
        return op if outs == op.outs and args == op.args else Op(outs, op.prim, args, op.attrs)

    return [stmt(op) for op in ops], tuple(sub(v) for v in outputs)
