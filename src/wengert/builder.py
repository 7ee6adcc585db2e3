"""The Builder: appends ops to a trace as the parser and the derivative rules emit them, applying the primitive
table's shape rules and the simplifications (constant folding, identities, sharing repeated ops); and
activity analysis (which values get derivatives). Above the IR (trace.py), the table (primitives) and the
rewrites (simplify.py, shift.py), which know nothing of it: the pipeline reads top to bottom."""

import math

from . import primitives as _primitives, simplify as _simplify
from .shapes import EMPTY_LIST, SCALAR, known
from .shift import inert_reductions
from . import trace as _trace
from .trace import STRUCTURED, Const, If, Loop, Op, Var, _active, lift, walk


def _positive_literal(c):
    return isinstance(c.value, (int, float)) and not isinstance(c.value, bool) and c.value > 0


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
            positive = p.positive is not None and p.positive(*pos) or op.prim == "sum" and self._counts_ties(op)
            nonfinite = not p.nondiff and (p.is_singular(op.args, pos) or any(
                known[a.name][1] if type(a) is Var else self.nonfinite(a) for a in op.args))
            known[n] = (positive, nonfinite)
        return known[name]

    def _counts_ties(self, op):
        """Is op sum(where(x == max(x), 1, 0)) (or min), the number of elements attaining an extremum, which
        max and min's rules divide by? It is at least 1 wherever x has no nan, so the tie weights are finite
        and the (co)tangents they scale need no _mul0 downstream (gmm's log-sum-exp, kmeans' min)."""
        defs = self.defs

        def defined(v, *prims):
            d = defs.get(v.name) if type(v) is Var else None
            return d if d is not None and d.prim in prims else None

        hit = defined(op.args[0], "where")
        test = hit and defined(hit.args[0], "equal")
        if not (test and defined(hit.args[1], "ones_like") and type(hit.args[2]) is Const and hit.args[2].value == 0):
            return False
        x, ref = test.args
        while defined(ref, "unreduce", "expand_dims", "broadcast_like"):
            ref = defs[ref.name].args[0]
        extremum = defined(ref, "max", "min")
        return bool(extremum) and extremum.args[0] == x and not self.nonfinite(x)

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
                a, b = (b, b) if a == EMPTY_LIST else (a, a) if b == EMPTY_LIST else (a, b)
                self.shapes[name] = a if a == b else name
            return
        # A carried value whose shape is not known starts as unknown (its own name): then one pass over the body
        # settles it. Starting from another value's unknown shape would take a second pass whenever the body
        # changes it, and nested loops would be inferred up to 2^depth times.
        start = [self.shape(v) for v in op.init]
        for name, key in zip(op.carried, start):
            self.shapes[name] = key if known(key) or key == EMPTY_LIST else name
        if op.index:
            self.shapes[op.index] = SCALAR
        for _ in range(2):
            if op.cond is not None:
                self._infer_block(op.cond)
            after = self._infer_block(op.body)
            changed = [n for n, k in zip(op.carried, after) if self.shapes.get(n) != k and self.shapes.get(n) != n]
            for n, k in zip(op.carried, after):
                if n in changed:  # differs between iterations: unknown (a list that started empty: its items' key)
                    self.shapes[n] = k if self.shapes[n] == EMPTY_LIST and known(k) else n
            if not changed:
                break
        for out, name in zip(op.outs, op.carried):
            self.shapes[out] = self.shapes.get(name, name)


def activity(trace, wrt):
    """Names that depend on a wrt parameter and influence an output: only these get derivatives."""
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


_trace.BUILDER.append(Builder)
