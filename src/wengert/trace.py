"""The IR: a Trace is a Wengert list, one primitive Op per intermediate variable.

Vars and Consts overload Python's operators, so a derivative rule written as
``g * cos(x)`` appends ops to the Builder that is currently active (builder.py,
which sits above this module, the primitive table and the rewrites). That is
what makes the derivative of a Trace again a Trace.
"""

import collections
from dataclasses import dataclass, field
import itertools
import re
import threading

from .shapes import known


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


class Var(Value):
    """A named value. Vars, Consts and Ops are immutable by convention: plain slotted classes, since the
    compiler makes hundreds of thousands of them and a frozen dataclass costs three times as much."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __eq__(self, other):
        return type(other) is Var and other.name == self.name

    def __hash__(self):
        return hash(self.name)

    def __repr__(self):
        return self.name


class Const(Value):
    """A literal: a number, a tuple of them, None, or an index description."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __eq__(self, other):
        return type(other) is Const and type(self.value) is type(other.value) and self.value == other.value

    def __hash__(self):
        return hash((type(self.value).__name__, self.value))

    def __repr__(self):
        return repr(self.value)


class Op:
    """``outs = prim(*args, **attrs)``; attrs are static, hashable parameters such as axis."""

    __slots__ = ("outs", "prim", "args", "attrs")

    def __init__(self, outs, prim, args, attrs=()):
        self.outs, self.prim, self.args, self.attrs = outs, prim, args, attrs

    def _key(self):
        return self.outs, self.prim, self.args, self.attrs

    def __eq__(self, other):
        return type(other) is Op and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __repr__(self):
        return f"Op(outs={self.outs!r}, prim={self.prim!r}, args={self.args!r}, attrs={self.attrs!r})"

    @property
    def out(self):
        return Var(self.outs[0])

    @property
    def kw(self):
        return dict(self.attrs)


@dataclass(frozen=True)
class Block:
    """Statements run in order, then the values the block yields."""

    ops: tuple
    results: tuple


@dataclass(frozen=True)
class If:
    """``outs = then.results if cond else orelse.results``: structured, never flattened."""

    outs: tuple
    cond: object
    then: Block
    orelse: Block
    prim = "if"

    @property
    def args(self):
        return (self.cond,)

    @property
    def blocks(self):
        return (self.then, self.orelse)


@dataclass(frozen=True)
class Loop:
    """A loop carrying values: ``carried = init``; each pass runs body and sets ``carried = body.results``;
    afterwards ``outs = carried``. A range loop binds ``index`` to range(*bounds) (reversed when
    ``backwards``); a while loop runs while ``cond.results[0]`` holds."""

    outs: tuple
    carried: tuple
    init: tuple
    body: Block
    bounds: tuple = ()
    index: str = None
    cond: Block = None
    backwards: bool = False
    prim = "loop"

    @property
    def args(self):
        return self.init + self.bounds

    @property
    def blocks(self):
        return (self.body,) if self.cond is None else (self.cond, self.body)


STRUCTURED = (If, Loop)


def walk(ops):
    """Every statement, nested ones included, in program order."""
    for op in ops:
        yield op
        for block in getattr(op, "blocks", ()):
            yield from walk(block.ops)


def defined_names(ops):
    names = set()
    for op in walk(ops):
        names.update(op.outs)
        if isinstance(op, Loop):
            names.update(op.carried)
            if op.index:
                names.add(op.index)
    return names


def free_vars(op):
    """Names a statement reads that it does not define itself."""
    if not isinstance(op, STRUCTURED):
        return {a.name for a in op.args if isinstance(a, Var)}
    used = {a.name for a in op.args if isinstance(a, Var)}
    inner = set()
    for block in op.blocks:
        for o in block.ops:
            used |= free_vars(o)
        used |= {v.name for v in block.results if isinstance(v, Var)}
        inner |= defined_names(block.ops)
    if isinstance(op, Loop):
        inner |= set(op.carried) | ({op.index} if op.index else set())
    return used - inner


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
    line: int = 0                                # the line of its def
    release: frozenset = frozenset()             # arrays to free once read for the last time (see reverse.py)
    bound: object = None                         # a method's instance: a Bound, else None (see parse/inlining.py)
    return_line: int = 0                         # the line of its (first) return statement

    def inputs(self):
        """The parameters a caller passes and wrt counts: a method's attributes of self are read, not passed."""
        return self.params[len(self.bound.attrs):] if self.bound else self.params

    def defs(self):
        return {name: op for op in self.ops for name in op.outs}


AUTO = re.compile(r"v\d+$")  # the names Names.fresh() makes up: v1, v2, ...


def user_name(name):
    """The user's name behind an SSA version (h_2 -> h, as Names.fresh("h") numbers them); v-names stay."""
    return name if AUTO.match(name) else re.sub(r"(_\d+)+$", "", name) or name


class Names:
    """Allocates readable, collision-free variable names."""

    def __init__(self, taken=()):
        self.taken = set(taken)
        self.counter = itertools.count(1)
        self.suffix = {}  # hint -> the suffix to try next: those below it are taken (names are never freed)

    def fresh(self, hint=None):
        """v1, v2, ... or hint, hint_1, hint_2, ...: the first one not taken."""
        if hint is None:
            while True:
                name = f"v{next(self.counter)}"
                if name not in self.taken:
                    break
        else:
            name, k = hint, self.suffix.get(hint, 1)
            while name in self.taken:
                name, k = f"{hint}_{k}", k + 1
            self.suffix[hint] = k
        self.taken.add(name)
        return name


class _Active(threading.local):
    """The active Builders of this thread, innermost last: threads compile independently."""

    def __init__(self):
        self.builders = []


_active = _Active()

# The Builder class, registered by builder.py: the table's composite rules (np.linalg.norm's ords) build the
# small trace they differentiate with it, without importing the layer above them.
BUILDER = []


def apply(prim, *args, **attrs):
    """Append ``prim(*args, **attrs)`` to the active Builder and return its result."""
    return _active.builders[-1].emit(prim, args, attrs)


def lift(x):
    return x if isinstance(x, Value) else Const(x)


class Bound(collections.namedtuple("Bound", "self_name cls attrs methods")):
    """What a method reads of its instance. self_name: the name of its first parameter; cls: the class name;
    attrs: (parameter, attribute) pairs, the attributes read as self.attr, each a leading parameter of the trace
    whose value is read from the instance at call time; methods: (name, def lines) of the methods inlined from
    self.name(...) calls, which the instance's class must resolve to the same definitions."""


def placed(error, trace, line):
    """error (raised by a rule) located at a line of trace's source (else its def), naming the parameters of
    unknown shape."""
    unknown = [p for p in trace.params if not known(trace.shapes.get(p, p))]
    return error.placed(trace.filename, line or trace.line,
                        f" (no shape is known for {', '.join(unknown)})" if unknown else "")


def key(x):
    """Static shape key of a value in the active Builder (see shapes.py)."""
    return _active.builders[-1].shape(lift(x))


def rank(x):
    """Number of dimensions when known statically, else None."""
    k = key(x)
    return len(k) if known(k) else None


def is_batched(x):
    return isinstance(x, Var) and x.name in _active.builders[-1].batched


def primal_rank(x):
    """Rank of a value without its batch axis, when known."""
    r = rank(x)
    return None if r is None else r - 1 if is_batched(x) else r

