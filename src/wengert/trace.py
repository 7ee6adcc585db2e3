"""The IR: a Trace is a Wengert list, one primitive Op per intermediate variable.

Vars and Consts overload Python's operators, so a derivative rule written as
``g * cos(x)`` appends ops to the Builder that is currently active. That is
what makes the derivative of a Trace again a Trace.
"""

import collections
from dataclasses import dataclass, field
import itertools
import math
import re
import threading

from .shapes import SCALAR, known


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
    bound: object = None                         # a method's instance: a Bound, else None (see parse.py)
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


def apply(prim, *args, **attrs):
    """Append ``prim(*args, **attrs)`` to the active Builder and return its result."""
    return _active.builders[-1].emit(prim, args, attrs)


def _positive_literal(c):
    return isinstance(c.value, (int, float)) and not isinstance(c.value, bool) and c.value > 0


def lift(x):
    return x if isinstance(x, Value) else Const(x)


class _Memo:
    """Ops already built, by (prim, args, attrs): a nested block's own, then those of the blocks around it,
    which it may reuse (not copied: a copy for every branch and loop made long functions quadratic)."""

    __slots__ = ("own", "around")

    def __init__(self, around=None):
        self.own, self.around = {}, around

    def get(self, key):
        hit = self.own.get(key)
        return self.around.get(key) if hit is None and self.around is not None else hit

    def __setitem__(self, key, value):
        self.own[key] = value

    def setdefault(self, key, value):
        hit = self.get(key)
        if hit is None:
            self.own[key] = value
            return value
        return hit


class Builder:
    """Builds a list of ops; folds constants, applies algebraic identities, shares repeated ops."""

    def __init__(self, names, shapes=None, lib="np"):
        self.names = names
        self.ops = []
        self.batched = set()  # names whose values carry a leading batch axis (vector mode)
        self.shapes = dict(shapes or {})
        self.defs = {}
        self.facts = {}  # name -> (positive, may be non-finite at finite inputs): see nonfinite
        self.memo = _Memo()
        self.lib = lib
        self.line, self.lines = 0, {}  # the source line being derived; name -> line of what it derives from

    def __enter__(self):
        _active.builders.append(self)
        return self

    def __exit__(self, *exc):
        _active.builders.pop()

    def shape(self, value):
        if type(value) is Var:
            return self.shapes.get(value.name, value.name)
        v = value.value
        return SCALAR if isinstance(v, (int, float, bool)) else ("const", v)

    def assume(self, name, like):
        """Give name, when its shape is unknown, the shape of the value like; a batch of such values
        (name batched, like not) gets a leading batch axis."""
        if self.shapes.get(name, name) != name:
            return
        k = self.shape(like)
        if name in self.batched and not (isinstance(like, Var) and like.name in self.batched):
            k = ("batch",) + k if known(k) else name
        self.shapes[name] = k

    def emit(self, prim, args, attrs=None, name=None, share=True):
        """Append prim(*args, **attrs), or find it already built or simpler; values with a leading batch
        axis (vector mode) go through the primitive's batching rule. share=False: a new op even if the same
        one was built (the parser's np.zeros(n): two arrays the function may change separately)."""
        args = tuple(lift(a) for a in args)
        if self.batched and any(isinstance(a, Var) and a.name in self.batched for a in args):
            return _primitives.PRIMS[prim].batch_rule(self, args, dict(attrs or {}))
        return self.emit_plain(prim, args, attrs, name, share)

    def emit_batched(self, prim, args, attrs=None):
        """emit for a batching rule: the result carries the batch axis."""
        before = len(self.ops)
        out = self.emit_plain(prim, tuple(lift(a) for a in args), attrs)
        if isinstance(out, Var) and any(out.name in op.outs for op in self.ops[before:]):
            self.batched.add(out.name)
        return out

    def emit_plain(self, prim, args, attrs=None, name=None, share=True):
        p = _primitives.PRIMS[prim]
        attrs = dict(attrs or {})
        if p.math and "lib" not in attrs and self.lib == "math" and all(self.shape(a) == SCALAR for a in args):
            attrs["lib"] = "math"
        attrs = tuple(sorted((k, v) for k, v in attrs.items() if v is not None))
        shortcut = _simplify.fold(p, args, attrs) or _simplify.rewrite(self, p, args, attrs)
        if shortcut is not None:
            return shortcut
        if name is None and share and not p.effect:
            built = self.memo.get((prim, args, attrs))
            if built is not None:
                return built
        out = Var(self.names.fresh(name))
        self.add(Op((out.name,), prim, args, attrs))
        return out

    def nonfinite(self, value):
        """Can value be inf or nan where the inputs are finite? True for what a singular op computes (a
        division, log, sqrt, ...: see Prim.singular) and for what is computed from that; parameters and
        the values of branches and loops count as finite."""
        if type(value) is Const:
            return isinstance(value.value, float) and not math.isfinite(value.value)
        return self._facts(value.name)[1]

    def _facts(self, name):
        """(is it positive, may it be non-finite) for a named value, from how it was computed (one walk,
        remembered: chains of thousands of ops are walked without recursion)."""
        known = self.facts
        todo = [name]
        while todo:
            n = todo[-1]
            if n in known:
                todo.pop()
                continue
            op = self.defs.get(n)
            if op is None or isinstance(op, STRUCTURED):
                known[n] = (False, False)
                continue
            pending = [a.name for a in op.args if type(a) is Var and a.name not in known]
            if pending:
                todo.extend(pending)
                continue
            todo.pop()
            p = _primitives.PRIMS[op.prim]
            pos = tuple(known[a.name][0] if type(a) is Var else _positive_literal(a) for a in op.args)
            positive = p.positive is not None and p.positive(*pos)
            nonfinite = not p.nondiff and (p.is_singular(op.args, pos) or any(
                known[a.name][1] if type(a) is Var else self.nonfinite(a) for a in op.args))
            known[n] = (positive, nonfinite)
        return known[name]

    def child(self):
        """A Builder for a nested block: same names and shapes; it may reuse outer results, not vice versa."""
        c = Builder(self.names, lib=self.lib)
        c.shapes, c.defs, c.memo, c.batched = self.shapes, self.defs, _Memo(self.memo), self.batched
        c.facts = self.facts
        c.line, c.lines = self.line, self.lines
        return c

    def add(self, op):
        """Append an already-formed statement (e.g. a copied primal op) and infer its shapes."""
        self.ops.append(op)
        if self.line:
            for name in op.outs:
                self.lines.setdefault(name, self.line)
        if isinstance(op, STRUCTURED):
            self._infer_structured(op)
            return
        for name in op.outs:
            self.defs[name] = op
        p = _primitives.PRIMS[op.prim]
        key = p.shape_of([self.shape(a) for a in op.args], op.kw)
        if len(op.outs) == 1:
            if key is not None or p.shape is not None:
                self.shapes[op.outs[0]] = op.outs[0] if key is None else key
            else:  # no rule (pop, helpers): keep what the op's creator recorded
                self.shapes.setdefault(op.outs[0], op.outs[0])
            if not p.effect:
                self.memo.setdefault((op.prim, op.args, op.attrs), op.out)

    def adopt(self, ops):
        """add() for the statements of a trace whose shapes this Builder was given: they follow from the
        same rules, so they are not worked out again (unless one is missing, e.g. in a hand-built trace)."""
        if any(n not in self.shapes for op in ops for n in op.outs):
            for op in ops:
                self.add(op)
            return
        for op in ops:
            self.ops.append(op)
            if isinstance(op, STRUCTURED):  # as add() does, record what its blocks define (their memo stays theirs)
                self.defs.update((n, o) for o in walk([op]) if not isinstance(o, STRUCTURED) for n in o.outs)
                continue
            for name in op.outs:
                self.defs[name] = op
            if len(op.outs) == 1 and not _primitives.PRIMS[op.prim].effect:
                self.memo.setdefault((op.prim, op.args, op.attrs), Var(op.outs[0]))

    def _infer_block(self, block):
        c = self.child()
        for o in block.ops:
            c.add(o)
        return [self.shape(v) for v in block.results]

    def _infer_structured(self, op):
        if isinstance(op, If):
            keys = zip(self._infer_block(op.then), self._infer_block(op.orelse))
            for name, (a, b) in zip(op.outs, keys):
                self.shapes[name] = a if a == b else name
            return
        start = [self.shape(v) for v in op.init]
        for name, key in zip(op.carried, start):
            self.shapes[name] = key
        if op.index:
            self.shapes[op.index] = SCALAR
        for _ in range(2):
            if op.cond is not None:
                self._infer_block(op.cond)
            after = self._infer_block(op.body)
            changed = [n for n, k in zip(op.carried, after) if self.shapes.get(n) != k and self.shapes.get(n) != n]
            for n in changed:
                self.shapes[n] = n  # differs between iterations: unknown
            if not changed:
                break
        for out, name in zip(op.outs, op.carried):
            self.shapes[out] = self.shapes.get(name, name)


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


def activity(trace, wrt):
    """Names that depend on a wrt parameter and influence an output: only these get derivatives."""
    from .shift import inert_reductions

    inert = inert_reductions(trace, trace.shapes)  # e.g. the max in the max trick: its derivative is exactly 0
    varied = set(wrt)
    _varied(trace.ops, varied, inert)
    useful = {v.name for v in trace.outputs if isinstance(v, Var)}
    _useful(trace.ops, useful)
    return varied & useful


def _reads(values, names):
    return any(isinstance(a, Var) and a.name in names for a in values)


def _varied(ops, varied, inert=()):
    """Forward dataflow: add every name that depends on a varied one (loops to a fixpoint)."""
    PRIMS = _primitives.PRIMS

    for op in ops:
        if isinstance(op, If):
            for b in op.blocks:
                _varied(b.ops, varied)
            varied.update(o for o, r1, r2 in zip(op.outs, op.then.results, op.orelse.results)
                          if _reads((r1, r2), varied))
        elif isinstance(op, Loop):
            while True:
                before = len(varied)
                varied.update(p for p, v in zip(op.carried, op.init) if _reads((v,), varied))
                _varied(op.body.ops, varied)
                varied.update(p for p, r in zip(op.carried, op.body.results) if _reads((r,), varied))
                if len(varied) == before:
                    break
            varied.update(o for o, p in zip(op.outs, op.carried) if p in varied)
        elif op.prim == "push":  # a stack holding varied values gives varied values when popped, where pushed
            stack = op.args[0].name
            for k, a in enumerate(op.args[1:]):
                if _reads((a,), varied):
                    varied.update((stack, f"{stack}#{k}"))
        elif op.prim == "pop":
            stack = op.args[0].name
            varied.update(o for k, o in enumerate(op.outs) if f"{stack}#{k}" in varied or
                          len(op.outs) == 1 and stack in varied)
        elif op.outs[0] not in inert and not PRIMS[op.prim].nondiff and _reads(op.args, varied):
            varied.update(op.outs)


def _useful(ops, useful):
    """Backward dataflow: add every name an output depends on through differentiable ops."""
    PRIMS = _primitives.PRIMS

    for op in reversed(ops):
        if isinstance(op, If):
            for b in op.blocks:
                useful.update(r.name for o, r in zip(op.outs, b.results) if o in useful and isinstance(r, Var))
                _useful(b.ops, useful)
        elif isinstance(op, Loop):
            useful.update(p for o, p in zip(op.outs, op.carried) if o in useful)
            while True:
                before = len(useful)
                useful.update(r.name for p, r in zip(op.carried, op.body.results)
                              if p in useful and isinstance(r, Var))
                _useful(op.body.ops, useful)
                if len(useful) == before:
                    break
            useful.update(v.name for p, v in zip(op.carried, op.init) if p in useful and isinstance(v, Var))
        elif op.prim == "push":  # what is pushed onto a stack that is popped usefully is useful
            if op.args[0].name in useful:
                useful.update(a.name for a in op.args[1:] if isinstance(a, Var))
        elif any(n in useful for n in op.outs) and not PRIMS[op.prim].nondiff:
            useful.update(a.name for a in op.args if isinstance(a, Var))


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


from . import primitives as _primitives, simplify as _simplify  # noqa: E402  (both import this module)
