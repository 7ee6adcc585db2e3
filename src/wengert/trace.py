"""The IR: a Trace is a Wengert list, one primitive Op per intermediate variable.

Vars and Consts overload Python's operators, so a derivative rule written as
``g * cos(x)`` appends ops to the Builder that is currently active. That is
what makes the derivative of a Trace again a Trace.
"""

from dataclasses import dataclass, field
import itertools

SCALAR = ()  # the shape key of a Python/NumPy scalar


class Value:
    """Operator overloading shared by Var and Const: each operator appends an Op."""

    __slots__ = ()

    def __add__(self, o): return apply("add", self, o)
    def __radd__(self, o): return apply("add", o, self)
    def __sub__(self, o): return apply("sub", self, o)
    def __rsub__(self, o): return apply("sub", o, self)
    def __mul__(self, o): return apply("mul", self, o)
    def __rmul__(self, o): return apply("mul", o, self)
    def __truediv__(self, o): return apply("div", self, o)
    def __rtruediv__(self, o): return apply("div", o, self)
    def __pow__(self, o): return apply("pow", self, o)
    def __rpow__(self, o): return apply("pow", o, self)
    def __matmul__(self, o): return apply("matmul", self, o)
    def __rmatmul__(self, o): return apply("matmul", o, self)
    def __neg__(self): return apply("neg", self)

    @property
    def T(self):
        return apply("transpose", self)


@dataclass(frozen=True, eq=True)
class Var(Value):
    name: str

    def __repr__(self):
        return self.name


@dataclass(frozen=True, eq=False)
class Const(Value):
    """A literal: a number, a tuple of them, None, or an index description."""

    value: object

    def __eq__(self, other):
        return isinstance(other, Const) and type(self.value) is type(other.value) and self.value == other.value

    def __hash__(self):
        return hash((type(self.value).__name__, self.value))

    def __repr__(self):
        return repr(self.value)


@dataclass(frozen=True)
class Op:
    """``outs = prim(*args, **attrs)``; attrs are static, hashable parameters such as axis."""

    outs: tuple
    prim: str
    args: tuple
    attrs: tuple = ()

    @property
    def out(self):
        return Var(self.outs[0])

    @property
    def kw(self):
        return dict(self.attrs)


@dataclass
class Trace:
    """A function as a Wengert list: params, ops in order, outputs, and what is known of shapes."""

    name: str
    params: tuple
    ops: list
    outputs: tuple
    shapes: dict = field(default_factory=dict)
    filename: str = "<unknown>"
    lineno: dict = field(default_factory=dict)  # var name -> source line it came from

    def defs(self):
        return {name: op for op in self.ops for name in op.outs}


class Names:
    """Allocates readable, collision-free variable names."""

    def __init__(self, taken=()):
        self.taken = set(taken)
        self.counter = itertools.count(1)

    def fresh(self, hint=None):
        if hint is None:
            while True:
                name = f"v{next(self.counter)}"
                if name not in self.taken:
                    break
        else:
            name, k = hint, 1
            while name in self.taken:
                name, k = f"{hint}_{k}", k + 1
        self.taken.add(name)
        return name


_stack = []  # the active Builders, innermost last


def apply(prim, *args, **attrs):
    """Append ``prim(*args, **attrs)`` to the active Builder and return its result."""
    return _stack[-1].emit(prim, args, attrs)


def lift(x):
    return x if isinstance(x, Value) else Const(x)


class Builder:
    """Builds a list of ops; folds constants, applies algebraic identities, shares repeated ops."""

    def __init__(self, names, shapes=None, lib="np"):
        self.names = names
        self.ops = []
        self.shapes = dict(shapes or {})
        self.defs = {}
        self.memo = {}
        self.lib = lib

    def __enter__(self):
        _stack.append(self)
        return self

    def __exit__(self, *exc):
        _stack.pop()

    def shape(self, value):
        if isinstance(value, Const):
            v = value.value
            return SCALAR if isinstance(v, (int, float, bool)) else ("const", v)
        return self.shapes.get(value.name, value.name)

    def emit(self, prim, args, attrs=None, name=None):
        from .primitives import PRIMS
        from .simplify import rewrite, fold

        p = PRIMS[prim]
        args = tuple(lift(a) for a in args)
        attrs = dict(attrs or {})
        if p.math and "lib" not in attrs and self.lib == "math" and all(self.shape(a) == SCALAR for a in args):
            attrs["lib"] = "math"
        attrs = tuple(sorted((k, v) for k, v in attrs.items() if v is not None))
        shortcut = fold(p, args, attrs) or rewrite(self, p, args, attrs)
        if shortcut is not None:
            return shortcut
        key = (prim, args, attrs)
        if key in self.memo and name is None:
            return self.memo[key]
        out = Var(self.names.fresh(name))
        self.add(Op((out.name,), prim, args, attrs))
        self.memo.setdefault(key, out)
        return out

    def add(self, op):
        """Append an already-formed op (used to copy primal ops) and infer its shape."""
        from .primitives import PRIMS

        self.ops.append(op)
        for name in op.outs:
            self.defs[name] = op
        key = PRIMS[op.prim].shape_of([self.shape(a) for a in op.args], op.kw)
        if len(op.outs) == 1:
            self.shapes[op.outs[0]] = op.outs[0] if key is None else key
        self.memo.setdefault((op.prim, op.args, op.attrs), op.out if len(op.outs) == 1 else None)


def activity(trace, wrt):
    """Names that depend on a wrt parameter and influence an output: only these get derivatives."""
    from .primitives import PRIMS

    from .shift import inert_reductions

    varied = set(wrt)
    inert = inert_reductions(trace, trace.shapes)  # e.g. the max in the max trick: its derivative is exactly 0
    for op in trace.ops:
        if op.outs[0] in inert:
            continue
        if not PRIMS[op.prim].nondiff and any(isinstance(a, Var) and a.name in varied for a in op.args):
            varied.update(op.outs)
    useful = {v.name for v in trace.outputs if isinstance(v, Var)}
    for op in reversed(trace.ops):
        if any(n in useful for n in op.outs) and not PRIMS[op.prim].nondiff:
            useful.update(a.name for a in op.args if isinstance(a, Var))
    return varied & useful


def key(x):
    """Static shape key of a value in the active Builder (see shapes.py)."""
    return _stack[-1].shape(lift(x))


def rank(x):
    """Number of dimensions when known statically, else None."""
    from .shapes import known

    k = key(x)
    return len(k) if known(k) else None
