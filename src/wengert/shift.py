"""Shift invariance: find max/min reductions whose value cannot change the output.

The max trick, ``m = max(U, axis); m + log(sum(exp(U - m), axis))``, and the
stable softmax ``exp(U - m) / sum(exp(U - m), axis)`` give the same result for
any m. So the derivative of the output with respect to m is exactly zero, and
the adjoint (or tangent) work through m, with its tie-splitting masks, can be
skipped. The analysis perturbs m by t (constant along the reduced axes) and
tracks how each value changes: unchanged, shifted by k*t, or scaled by exp(k*t).
It proves invariance only when every step is one of these exact rules.
"""

from . import shapes
from .trace import STRUCTURED, Const, Var, free_vars

ADD, MUL = "add", "mul"  # value + k*t ; value * exp(k*t)


def inert_reductions(trace, keys):
    """Names of max/min results the outputs provably do not depend on."""
    return {op.outs[0] for op in trace.ops
            if op.prim in ("max", "min") and not isinstance(op, STRUCTURED) and _output_invariant(trace, op, keys)}


def _output_invariant(trace, reduction, keys):
    key = lambda v: keys.get(v.name, v.name) if isinstance(v, Var) else shapes.SCALAR
    full = key(reduction.args[0])
    axis = reduction.kw.get("axis")
    if not shapes.known(full):
        return False
    frames = {full: "full", shapes.reduce(full, axis, True): "kept", shapes.reduce(full, axis, False): "reduced"}
    if len(frames) != 3:
        return False  # a unit axis: frames cannot be told apart by shape
    axes = _axes(axis, len(full))
    # over all axes (axis=None) the reduced value is a number: it broadcasts against the full array as is
    aligned = _ALIGNED | {("reduced", "full")} if axis is None else _ALIGNED
    state = {reduction.outs[0]: (ADD, 1.0)}
    start = trace.ops.index(reduction) + 1
    for op in trace.ops[start:]:
        if isinstance(op, STRUCTURED):
            if free_vars(op) & set(state):
                return False  # not analysed inside loops and branches
            continue
        ins = [state.get(a.name) if isinstance(a, Var) else None for a in op.args]
        if all(s is None for s in ins):
            continue
        if op.prim in _IGNORED:
            continue  # no derivative flows through shapes, sizes or comparisons
        out_frame = frames.get(keys.get(op.outs[0]))
        moved = [frames.get(key(a)) for a, s in zip(op.args, ins) if s is not None]
        if op.prim == "sum" and out_frame in ("kept", "reduced"):
            # summing exp(k*t)-scaled values along the axes where t is constant keeps the factor
            if moved != ["full"] or ins[0][0] != MUL or _axes(op.kw.get("axis"), len(full)) != axes:
                return False
            new = ins[0]
        elif out_frame is None or any((f, out_frame) not in aligned for f in moved):
            return False
        else:
            new = _rule(op, ins)
        if new is False:
            return False
        if new is not None and new[1] != 0:
            state[op.outs[0]] = new
    return all(state.get(v.name) is None for v in trace.outputs if isinstance(v, Var))


_IGNORED = {"shape", "size", "ndim", "len", "less", "less_equal", "greater", "greater_equal", "equal",
            "not_equal", "sign"}
_ALIGNED = {("full", "full"), ("kept", "kept"), ("reduced", "reduced"), ("kept", "full"), ("kept", "reduced"),
            ("reduced", "kept")}


def _axes(axis, rank):
    """The set of axes a reduction over `axis` (None: all of them) removes."""
    return set(range(rank)) if axis is None else shapes.axes_of(axis, rank)


def _number(v):
    return v.value if isinstance(v, Const) and type(v.value) in (int, float) else None


def _rule(op, ins):
    """New state of op's result, None when unchanged, False when not provably exact."""
    p, args = op.prim, op.args
    if p in ("index", "reshape", "expand_dims"):
        return ins[0] if all(s is None for s in ins[1:]) else False
    if p == "neg":
        kind, k = ins[0]
        return (ADD, -k) if kind == ADD else ins[0]
    if p == "exp":
        return (MUL, ins[0][1]) if ins[0][0] == ADD else False
    if p == "log":
        return (ADD, ins[0][1]) if ins[0][0] == MUL else False
    if p not in ("add", "sub", "mul", "div", "pow") or len(ins) != 2:
        return False
    (a, b), (sa, sb) = args, ins
    sign = -1 if p == "sub" else 1
    if p in ("add", "sub"):
        if sb is None:
            return sa if sa[0] == ADD else False
        if sa is None:
            return (ADD, sign * sb[1]) if sb[0] == ADD else False
        if sa[0] == sb[0] == ADD:
            return (ADD, sa[1] + sign * sb[1])
        return sa if sa == sb and sa[0] == MUL and p == "add" else False
    if p == "mul":
        if sa is not None and sb is not None:
            return (MUL, sa[1] + sb[1]) if sa[0] == sb[0] == MUL else False
        s, other = (sa, b) if sa is not None else (sb, a)
        if s[0] == MUL:
            return s
        c = _number(other)
        return (ADD, s[1] * c) if c is not None else False
    if p == "div":
        if sa is not None and sb is not None:
            return (MUL, sa[1] - sb[1]) if sa[0] == sb[0] == MUL else False
        if sa is not None:
            c = _number(b)
            return sa if sa[0] == MUL else (ADD, sa[1] / c) if c else False
        return (MUL, -sb[1]) if sb[0] == MUL else False
    c = _number(b)  # pow
    return (MUL, sa[1] * c) if sa is not None and sb is None and sa[0] == MUL and c is not None else False
