"""Forward mode: Trace -> tangent Trace. Each statement is followed by its tangent, for every
seed direction at once; loops and branches carry their tangents alongside the primal values."""

import threading

from .errors import WengertError
from .primitives import PRIMS, zeros_like
from .shapes import EMPTY_LIST, SCALAR, known
from .simplify import dead_code, rename
from .builder import Builder, activity
from .trace import AUTO, Block, Const, If, Loop, Names, Op, Trace, Var, apply, defined_names, placed, walk


def forward(primal, seeds, with_value=True, tangent_params=None, finish=None):
    """Tangent trace. seeds: (seed, namer) per direction, seed = {param: tangent value},
    namer(var) = name for var's tangent. Outputs: [value,] then each direction's output tangent.
    A seed value may be a callable building it (e.g. a batch of directions); finish(builder, outputs)
    may post-process the outputs.
    tangent_params: {new parameter: primal parameter it is the tangent of}."""
    tangent_params = tangent_params or {}
    names = Names(set(primal.params) | defined_names(primal.ops) | set(tangent_params))
    b = Builder(names, primal.shapes)
    for t, x in tangent_params.items():
        b.shapes[t] = b.shape(Var(x))
    sweep = _Sweep(primal, names, [namer for _, namer in seeds], [activity(primal, list(s)) for s, _ in seeds])
    _LISTS.names = list_values(primal.ops)
    outputs = list(primal.outputs) if with_value else []
    with b:
        maps = []
        for seed, _ in seeds:  # a seed given as a callable builds its value here (e.g. a batch of directions)
            maps.append({x: t(b) if callable(t) else t for x, t in seed.items()})
        sweep.refs = [next((t for t in m.values() if isinstance(t, Var) and t.name in b.batched), None)
                      for m in maps]
        sweep.block(primal.ops, b, maps)
        b.lib = "np"
        for tangents in maps:
            outputs += [tangents.get(y.name) if isinstance(y, Var) else None for y in primal.outputs]
        refs = ([None] * len(primal.outputs) if with_value else []) + \
            [r for r in sweep.refs for _ in primal.outputs]
        outputs = [o if o is not None else _zero(b, y, ref) for o, y, ref in
                   zip(outputs, (list(primal.outputs) if with_value else []) + list(primal.outputs) * len(maps), refs)]
        if finish is not None:
            outputs = finish(b, outputs)
    ops, outputs = rename(dead_code(b.ops, outputs, b.shapes, set(primal.params)), tuple(outputs), sweep.renames)
    shapes = {sweep.renames.get(k, k): v for k, v in b.shapes.items()}
    lineno = {**{sweep.renames.get(k, k): v for k, v in b.lines.items()}, **primal.lineno}
    return Trace(primal.name, primal.params + tuple(tangent_params), ops, outputs, shapes, primal.filename, lineno,
                 primal.line)


class _Lists(threading.local):
    names = frozenset()  # the values of the trace being differentiated that are lists (see list_values)


_LISTS = _Lists()


def list_values(ops):
    """Names whose values are Python lists (a list a loop appends to): made by new_list/append/list_zeros, and
    the loop states and branch results holding one."""
    lists = set()
    for _ in range(2):  # a loop state is a list when its initial value is
        for op in walk(ops):
            if isinstance(op, Loop):
                lists.update(p for p, v, r in zip(op.carried, op.init, op.body.results)
                             if isinstance(v, Var) and v.name in lists or isinstance(r, Var) and r.name in lists)
                lists.update(o for o, p in zip(op.outs, op.carried) if p in lists)
            elif isinstance(op, If):
                lists.update(o for o, *rs in zip(op.outs, op.then.results, op.orelse.results)
                             if any(isinstance(r, Var) and r.name in lists for r in rs))
            elif op.prim in ("new_list", "append", "list_zeros"):
                lists.update(op.outs)
    return frozenset(lists)


def _zero(b, like, ref=None):
    """A zero tangent shaped like `like` (with ref's batch axis in vector mode); a list's is a list of zeros."""
    if isinstance(like, Var) and like.name in _LISTS.names:
        if ref is None:
            return apply("list_zeros", like)
        zeros = b.emit_batched("list_zeros", (like,))  # a list of a batch: its items may lack the batch axis
        b.batched.add(zeros.name)
        k = b.shape(like)
        b.shapes[zeros.name] = ("batch",) + k if known(k) else k if k == EMPTY_LIST else zeros.name
        return zeros
    if ref is not None:
        return b.emit_batched("zeros_batch", (like, ref))
    return Const(0.0) if b.shape(like) == SCALAR or not isinstance(like, Var) else zeros_like(like)


class _Sweep:
    def __init__(self, primal, names, namers, actives):
        self.primal, self.names, self.namers, self.actives = primal, names, namers, actives
        self.primal_names = set(names.taken)
        self.renames = {}
        self.companions = {}  # (stack, direction) -> the stack holding the tangents of what it holds
        self.refs = [None] * len(namers)  # per seed: a batched tangent, when the seed is a batch of directions

    def block(self, ops, b, maps):
        for op in ops:
            b.line = self.primal.lineno.get(op.outs[0], b.line) if op.outs else b.line
            if isinstance(op, If):
                self.branch(op, b, maps)
            elif isinstance(op, Loop):
                self.loop(op, b, maps)
            elif op.prim in ("new_stack", "push", "pop"):
                b.add(op)
                self.stack_tangents(op, b, maps)
            else:
                b.add(op)
                for k, tangents in enumerate(maps):
                    self.tangent(op, b, k, tangents)

    def stack_tangents(self, op, b, maps):
        """A stack of varied values gets a companion stack per direction for their tangents,
        pushed and popped in step with it (forward over reverse through loops)."""
        stack = op.outs[0] if op.prim == "new_stack" else op.args[0].name
        for k, tangents in enumerate(maps):
            if stack not in self.actives[k]:
                continue
            if (stack, k) not in self.companions:
                self.companions[stack, k] = self.names.fresh(self.namers[k](stack))
            companion = Var(self.companions[stack, k])
            if op.prim == "new_stack":
                b.add(Op((companion.name,), "new_stack", ()))
            elif op.prim == "push":
                values = op.args[1:]
                ts = [tangents.get(a.name) if isinstance(a, Var) else None for a in values]
                ts = [t if t is not None else _zero(b, a, self.refs[k]) for t, a in zip(ts, values)]
                b.add(Op((self.names.fresh(),), "push", (companion,) + tuple(ts)))
            else:
                outs = tuple(self.names.fresh(self.namers[k](o)) for o in op.outs)
                b.add(Op(outs, "pop", (companion,)))
                for o, t in zip(op.outs, outs):
                    if o not in self.actives[k]:
                        continue  # an index pushed next to varied values has no tangent
                    tangents[o] = Var(t)
                    if self.refs[k] is not None:
                        b.batched.add(t)
                    b.assume(t, Var(o))

    def tangent(self, op, b, k, tangents):
        if len(op.outs) != 1 or op.outs[0] not in self.actives[k]:
            return
        ts = tuple(tangents.get(a.name) if isinstance(a, Var) else None for a in op.args)
        if all(t is None for t in ts):
            return
        p = PRIMS[op.prim]
        if p.tangent is None:
            raise WengertError(f"{op.prim} has no forward-mode rule yet", self.primal.filename,
                               self.primal.lineno.get(op.outs[0], 0), 0, "", "use reverse mode")
        # an argument that varies where the rule has no derivative for it (shape-only arguments may vary)
        varying = [i for i, t in enumerate(ts) if t is not None and i not in p.shape_args]
        if p.diff_args is not None and any(i not in p.diff_args for i in varying):
            i = next(i for i in varying if i not in p.diff_args)
            raise WengertError(f"argument {i + 1} of {op.prim} cannot depend on the differentiated inputs",
                               self.primal.filename, self.primal.lineno.get(op.outs[0], 0), 0, "",
                               "compute that argument from constants and shapes only (e.g. index with integers "
                               "or slices)")
        kw = op.kw
        b.lib = kw.pop("lib", "np")
        try:
            t = p.tangent(ts, op.out, *op.args, **kw)
        except WengertError as e:
            raise placed(e, self.primal, b.line) from None
        if t is None:
            return
        tangents[op.outs[0]] = t
        self.name(b, t, op.outs[0], k, op.out)

    def name(self, b, t, primal_name, k, like):
        if isinstance(t, Var) and t.name not in self.primal_names:
            if AUTO.match(t.name) and t.name not in self.renames:
                self.renames[t.name] = self.names.fresh(self.namers[k](primal_name))
            b.assume(t.name, like)

    def branch(self, op, b, maps):
        done = []
        for block in op.blocks:
            c = b.child()
            inner = [dict(m) for m in maps]
            with c:
                self.block(block.ops, c, inner)
            done.append((c, inner, block))
        extra = [(k, i) for k in range(len(maps)) for i, o in enumerate(op.outs)
                 if o in self.actives[k] and any(isinstance(blk.results[i], Var) and blk.results[i].name in inner[k]
                                                  for _, inner, blk in done)]
        blocks = []
        for c, inner, block in done:
            with c:
                tangents = [inner[k].get(block.results[i].name) if isinstance(block.results[i], Var) else None
                            for k, i in extra]
                tangents = [t if t is not None else _zero(c, block.results[i], self.refs[k]) for t, (k, i) in zip(tangents, extra)]
            blocks.append(Block(tuple(c.ops), block.results + tuple(tangents)))
        outs = tuple(self.names.fresh(self.namers[k](op.outs[i])) for k, i in extra)
        b.add(If(op.outs + outs, op.cond, *blocks))
        for _, inner, block in done:  # values made in a branch stay readable after it (an adjoint branch reads them)
            local = defined_names(block.ops)
            for k, tangents in enumerate(inner):
                maps[k].update({n: t for n, t in tangents.items() if n in local})
        for o, t in zip(outs, blocks[0].results[len(op.outs):]):
            if isinstance(t, Var) and t.name in b.batched:
                b.batched.add(o)
        for (k, i), o in zip(extra, outs):
            maps[k][op.outs[i]] = Var(o)

    def loop(self, op, b, maps):
        extra = [(k, i) for k in range(len(maps)) for i, p in enumerate(op.carried) if p in self.actives[k]]
        phis = tuple(self.names.fresh(self.namers[k](op.carried[i])) for k, i in extra)
        init = tuple(maps[k].get(op.init[i].name) if isinstance(op.init[i], Var) else None for k, i in extra)
        init = tuple(t if t is not None else _zero(b, op.init[i], self.refs[k]) for t, (k, i) in zip(init, extra))
        c = b.child()
        inner = [dict(m) for m in maps]
        for (k, i), p, t in zip(extra, phis, init):
            inner[k][op.carried[i]] = Var(p)
            c.shapes[p] = b.shape(t)
            if isinstance(t, Var) and t.name in b.batched:
                b.batched.add(p)
        with c:
            self.block(op.body.ops, c, inner)
            results = [inner[k].get(op.body.results[i].name) if isinstance(op.body.results[i], Var) else None
                       for k, i in extra]
            results = [r if r is not None else _zero(c, op.body.results[i], self.refs[k])
                       for r, (k, i) in zip(results, extra)]
        outs = tuple(self.names.fresh(self.namers[k](op.outs[i])) for k, i in extra)
        b.batched.update(o for o, p in zip(outs, phis) if p in b.batched)
        b.add(Loop(op.outs + outs, op.carried + phis, op.init + init,
                   Block(tuple(c.ops), op.body.results + tuple(results)), op.bounds, op.index, op.cond, op.backwards))
        for (k, i), o in zip(extra, outs):
            maps[k][op.outs[i]] = Var(o)
