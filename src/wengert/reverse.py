"""Reverse mode: Trace -> adjoint Trace: the forward sweep, then the adjoint sweep in reverse.

Loops stay loops. The forward sweep of a loop pushes, once per pass, the values of that
pass which the adjoint needs (and no others); the reverse sweep runs the same range
backwards (a while loop counts its passes) and pops them. A branch inside a loop pushes
and pops inside the branch, so the stack stays in step. Branches outside loops need no
stack: their values are still there when the adjoint branch runs.

With checkpoint= (grad(f, checkpoint=True | N)), an outermost for loop keeps only some states (snapshots) in
its forward sweep and tapes its last passes; its reverse sweep refills the tape from the snapshots when it has
popped every taped pass (_Sweep.refill; the schedule is the _checkpoints helper of primitives/control.py).
"""

from .errors import WengertError
from .primitives import PRIMS, Lazy, zeros_like
from .shapes import SCALAR, known
from .simplify import dead_code, rename
from .builder import Builder, activity
from .trace import (AUTO, apply, Block, Const, If, Loop, Names, Op, Trace, Var, defined_names, free_vars, placed, user_name,
                    walk)

RECOMPUTE = {"index", "shape", "size", "len", "ndim", "transpose", "reshape", "expand_dims"}  # views: cheaper than a push


def reverse(primal, wrt, seed=None, with_value=False, finish=None, checkpoint=None):
    """Adjoint trace of a one-output primal: returns the gradients w.r.t. wrt (and the value first).
    seed: None (cotangent 1), the name of a cotangent parameter, or a callable building the cotangent
    (e.g. a batch of them, for a Jacobian). finish(builder, grads) may post-process the gradients.
    checkpoint: None (the forward sweep tapes every pass of every loop), 0 (two-level checkpointing of the
    outermost loops: about sqrt(n) snapshots and sqrt(n) taped passes, each pass run twice) or s > 0 (binomial
    checkpointing with at most s snapshots: see the _checkpoints helper and _Sweep.refill)."""
    primal_names = set(primal.params) | defined_names(primal.ops)
    seed_param = seed if isinstance(seed, str) else None
    names = Names(primal_names | ({seed_param} if seed_param else set()))
    b = Builder(names, primal.shapes)
    b.adopt(primal.ops)
    sweep = _Sweep(primal, names, activity(primal, wrt), primal_names)
    sweep.checkpoint = checkpoint
    (y,) = primal.outputs
    adj = {}
    if callable(seed):
        with b:
            start = seed(b)
    else:
        start = Var(seed) if seed else Const(1.0)
        if seed:
            b.shapes[seed] = b.shape(y)
    n_forward = len(b.ops)
    sweep.ref = start if isinstance(start, Var) and start.name in b.batched else None
    if isinstance(y, Var) and y.name in sweep.active:
        adj[y.name] = start
    with b:
        sweep.block(primal.ops, adj, b, frame=None)
        b.lib = "np"
        grads = []
        for w in wrt:
            g = adj.get(w)
            if g is None:
                g = sweep.zero(b, Var(w))
            sweep.name(b, g, w)
            grads.append(g)
        if finish is not None:
            grads = finish(b, grads)
    ops = sweep.rebuild(b.ops[:n_forward]) + b.ops[n_forward:]
    outputs = ((y,) if with_value else ()) + tuple(grads)
    ops, outputs = rename(dead_code(ops, outputs, b.shapes, set(primal.params)), outputs, sweep.renames)
    params = primal.params + ((seed_param,) if seed_param else ())
    shapes = {sweep.renames.get(k, k): v for k, v in b.shapes.items()}
    lineno = {**{sweep.renames.get(k, k): v for k, v in b.lines.items()}, **primal.lineno}
    return Trace(primal.name, params, ops, outputs, shapes, primal.filename, lineno, primal.line,
                 _forward_only(ops, outputs, shapes, defined_names(primal.ops)))


def _forward_only(ops, outputs, shapes, primal_names):
    """Arrays computed by the forward sweep (top level) that the adjoint sweep does not read: the emitter
    frees them after their last use. A variable holds its array until the function returns, through the
    adjoint sweep and its large temporaries, where hand-written code nests the expression and lets NumPy
    free (or reuse) it at once."""
    read_later, arrays = {v.name for v in outputs if isinstance(v, Var)}, set()
    for op in ops:
        if isinstance(op, (If, Loop)) or not primal_names.issuperset(op.outs):
            read_later |= free_vars(op)
        else:
            arrays.update(n for n in op.outs if known(shapes.get(n)) and shapes[n] != SCALAR)
    return frozenset(arrays - read_later)


class _Frame:
    """A loop being reversed: its stack, and what each block of its body pushes."""

    def __init__(self, names):
        self.names = names
        self.stack = None

    def stack_name(self):
        if self.stack is None:
            self.stack = self.names.fresh("stack")
        return self.stack


class _Sweep:
    def __init__(self, primal, names, active, primal_names):
        self.primal, self.names, self.active, self.primal_names = primal, names, active, primal_names
        self.renames = {}
        self.pushes = {}    # id(primal block) -> push op appended to it in the forward sweep
        self.before = {}    # id(primal loop) -> ops placed before it in the forward sweep (the stack)
        self.counters = {}  # id(primal while loop) -> name of its pass count
        self.ref = None     # the seed, when it is a batch of cotangents (vector mode): then every adjoint is one
        self.checkpoint = None  # None: tape every pass; 0: two-level checkpointing; s > 0: binomial, s states
        self.checkpointed = {}  # id(primal loop) -> the forward sweep replacing it (see refill)

    # ---- the adjoint sweep -------------------------------------------------------------------------
    def block(self, ops, adj, b, frame):
        for op in reversed(ops):
            if isinstance(op, If):
                self.branch(op, adj, b, frame)
            elif isinstance(op, Loop):
                self.loop(op, adj, b, frame)
            else:
                self.op(op, adj, b)

    def op(self, op, adj, b):
        g = adj.get(op.outs[0])
        if g is None or len(op.outs) != 1:
            return
        self.name(b, g, op.outs[0])
        p = PRIMS[op.prim]
        where = (self.primal.filename, self.primal.lineno.get(op.outs[0], 0))
        b.line = where[1]
        if p.adjoint is None:
            raise WengertError(f"{op.prim} has no reverse-mode rule yet", *where, 0, "",
                               "use forward mode or another operation")
        kw = op.kw
        b.lib = kw.pop("lib", "np")
        try:
            contributions = p.adjoint(g, op.out, *op.args, **kw)
            for i, (arg, c) in enumerate(zip(op.args, contributions, strict=True)):
                if not (isinstance(arg, Var) and arg.name in self.active):
                    continue
                if op.prim == "index" and i == 0 and arg.name in adj and isinstance(adj[arg.name], Var) \
                        and all(item[0] != "newaxis" for item in kw["spec"]):  # (Dask cannot assign through None)
                    # dx[i] += g into the one buffer of dx (a loop reading x[i] stays linear in n)
                    adj[arg.name] = apply("addat", adj[arg.name], g, *op.args[1:], spec=kw["spec"])
                    continue
                if p.diff_args is not None and i not in p.diff_args or c is None:
                    raise WengertError(f"argument {i + 1} of {op.prim} cannot depend on the differentiated "
                                       "inputs", *where, 0, "", "compute that argument from constants and shapes "
                                       "only (e.g. index with integers or slices)")
                c = c.build() if isinstance(c, Lazy) else c
                if isinstance(c, Var) and c.name not in self.primal_names:
                    b.assume(c.name, arg)  # a cotangent has its argument's shape
                adj[arg.name] = adj[arg.name] + c if arg.name in adj else c
        except WengertError as e:
            raise placed(e, self.primal, where[1]) from None

    def branch(self, op, adj, b, frame):
        """Adjoint of an if: an if on the same condition, each branch updating the adjoints of what it read."""
        seeds = [(i, adj[o]) for i, o in enumerate(op.outs) if o in adj]
        if not seeds:
            return
        for i, _ in seeds:
            self.name(b, adj[op.outs[i]], op.outs[i])
        outside = set().union(*(self._reads(blk) for blk in op.blocks)) - set(op.outs)
        captured = sorted(n for n in outside if n in self.active)
        done = []
        for block in op.blocks:
            c = b.child()
            local = {n: adj[n] for n in captured if n in adj}
            with c:
                for i, g in seeds:
                    r = block.results[i]
                    if isinstance(r, Var) and r.name in self.active:
                        local[r.name] = local[r.name] + g if r.name in local else g
                self.block(block.ops, local, c, frame)
            done.append((c, local, block))
        changed = [n for n in captured if any(local.get(n) is not adj.get(n) for _, local, _ in done)]
        if not changed:
            return
        blocks = []
        for c, local, block in done:
            with c:
                results = [local.get(n) or adj.get(n) or self.zero(c, Var(n)) for n in changed]
            ops = list(c.ops)
            if frame is not None:
                ops, results, _, _ = self.pop_needed(block, ops, results, frame, c)
            blocks.append(Block(tuple(ops), tuple(results)))
        outs = tuple(self.names.fresh("d" + n) for n in changed)
        for o in outs:
            self.batch(b, o)
        b.add(If(outs, op.cond, *blocks))
        adj.update({n: Var(o) for n, o in zip(changed, outs)})

    def loop(self, op, adj, b, outer=None):
        """Adjoint of a loop: the same passes backwards, popping what each forward pass pushed.
        Loops nested in a loop share its stack: pushes and pops nest in the same order."""
        carried = [i for i, p in enumerate(op.carried) if p in self.active and op.outs[i] in adj]
        carried += [i for i, p in enumerate(op.carried) if p in self.active and i not in carried]
        if not any(op.outs[i] in adj for i in carried):
            return
        for i in carried:
            if op.outs[i] in adj:
                self.name(b, adj[op.outs[i]], op.outs[i])
        inside = self._reads(op.body) - set(op.carried) - {op.index}
        captured = sorted(n for n in inside if n in self.active)
        frame = outer or _Frame(self.names)
        c = b.child()
        d_next = {i: self.names.fresh("d" + op.carried[i]) for i in carried}
        d_acc = {n: self.names.fresh("d" + n) for n in captured}
        for name, like in [(d_next[i], op.carried[i]) for i in carried] + [(d_acc[n], n) for n in captured]:
            self.batch(b, name)
            b.assume(name, Var(like))
        local = {n: Var(name) for n, name in d_acc.items()}
        with c:
            for i in carried:
                r = op.body.results[i]
                if isinstance(r, Var) and r.name in self.active:
                    g = Var(d_next[i])
                    local[r.name] = local[r.name] + g if r.name in local else g
            self.block(op.body.ops, local, c, frame)
            results = [local.get(op.carried[i]) or self.zero(c, Var(op.carried[i])) for i in carried]
            results += [local[n] for n in captured]
        ops, results, index, extra = self.pop_needed(op.body, list(c.ops), results, frame, c, op.carried,
                                                     op.index, op.outs)
        if op.cond is not None:
            count = self.counters.setdefault(id(op), self.names.fresh("passes"))
            checkpointed = self.checkpoint is not None and outer is None and frame.stack is not None
            bounds, index = (Const(0), Var(count), Const(1)), self.names.fresh("k" if checkpointed else "_")
        else:
            bounds = op.bounds
        if self.checkpoint is not None and outer is None and frame.stack is not None:
            ops, extra = self.refill(op, ops, index, extra, b, frame.stack)
        if frame is not outer and frame.stack is not None:
            self.before[id(op)] = [Op((frame.stack,), "new_stack", ())]
        with b:
            init = [adj.get(op.outs[i]) or self.zero(b, Var(op.outs[i])) for i in carried]
            init += [adj.get(n) or self.zero(b, Var(n)) for n in captured]
        outs = tuple(self.names.fresh("d" + op.carried[i]) for i in carried) + \
            tuple(self.names.fresh("d" + n) for n in captured)
        phis = tuple(d_next[i] for i in carried) + tuple(d_acc[n] for n in captured) + tuple(e[0] for e in extra)
        init = tuple(init) + tuple(e[1] for e in extra)
        results = tuple(results) + tuple(e[2] for e in extra)
        outs += tuple(self.names.fresh(e[0]) for e in extra)
        for o in outs[:len(carried) + len(captured)]:
            self.batch(b, o)
        b.add(Loop(outs, phis, init, Block(tuple(ops), results), bounds, index, None, True))
        adj.update({n: Var(o) for n, o in zip(captured, outs[len(carried):])})  # before the init's share is added
        with b:
            for k, i in enumerate(carried):
                v = op.init[i]
                if isinstance(v, Var) and v.name in self.active:
                    adj[v.name] = adj[v.name] + Var(outs[k]) if v.name in adj else Var(outs[k])

    def pop_needed(self, block, ops, results, frame, c, phis=(), index=None, outs=()):
        """Make the values of a primal block that its adjoint reads available to the adjoint block.

        Views of what the adjoint can see anyway (xs[t], X.T, shapes) are recomputed; a loop's next
        state is the previous pass's popped state (carried backwards from the loop's final value);
        everything else is pushed at the end of the forward block and popped at the start of the
        adjoint one. Returns (ops, results, new index name, extra carried (phi, init, next))."""
        live = dead_code(ops, results)  # a rule may have built values that simplification left unused
        reads = set().union(*(free_vars(o) for o in live)) if live else set()
        reads |= {v.name for v in results if isinstance(v, Var)}
        rebuilt = self._block(block).ops
        defs = {n: o for o in rebuilt if isinstance(o, Op) for n in o.outs}
        order = list(dict.fromkeys(list(phis) + [n for o in walk(rebuilt) for n in o.outs]))
        local = set(order) | ({index} if index else set())
        next_of = {r.name: i for i, r in enumerate(block.results)
                   if phis and isinstance(r, Var) and r.name in defs and r.name not in phis}
        needed, how = reads & local - {index}, {}
        while needed - set(how):
            for n in order:
                if n not in needed or n in how:
                    continue
                if n in next_of:
                    how[n] = "next"
                    needed.add(phis[next_of[n]])
                elif n in defs and defs[n].prim in RECOMPUTE and len(defs[n].outs) == 1 and not (
                        defs[n].prim == "index" and any(isinstance(a, Var) and a.name in phis for a in defs[n].args)):
                    # (y[i - 1] of an array y the loop changes is pushed: recomputing it would push all of y)
                    how[n] = "recompute"
                    needed |= {a.name for a in defs[n].args if isinstance(a, Var) and a.name in local} - {index}
                else:
                    how[n] = "push"
        pushed = [n for n in order if how.get(n) == "push"]
        mapping = {n: self.names.fresh(user_name(n) + ("_next" if how[n] == "next" else "")) for n in order if n in how}
        for n, m in mapping.items():
            c.shapes[m] = c.shapes.get(n, m)
        if index is not None:
            mapping[index] = self.names.fresh(user_name(index))
        prefix = [Op((mapping[n],), defs[n].prim, defs[n].args, defs[n].attrs) for n in order if how.get(n) == "recompute"]
        ops, results = rename(prefix + list(ops), tuple(results), mapping)
        extra = [(mapping[n], Var(outs[next_of[n]]), Var(mapping[phis[next_of[n]]])) for n in order if how.get(n) == "next"]
        if pushed:
            stack = frame.stack_name()
            self.pushes[id(block)] = Op((self.names.fresh(),), "push", (Var(stack),) + tuple(Var(n) for n in pushed))
            ops = [Op(tuple(mapping[n] for n in pushed), "pop", (Var(stack),))] + list(ops)
        return ops, list(results), mapping.get(index), extra

    def _reads(self, block):
        """Names a block reads that it does not define."""
        reads = set().union(*(free_vars(o) for o in block.ops)) if block.ops else set()
        reads |= {v.name for v in block.results if isinstance(v, Var)}
        return reads - defined_names(block.ops)

    # ---- the forward sweep, with what the adjoint sweep needs ---------------------------------------------
    def rebuild(self, ops):
        """The primal statements with pushes, stacks and pass counters added where loops need them."""
        out = []
        for op in ops:
            if isinstance(op, If):
                out.append(If(op.outs, op.cond, self._block(op.then), self._block(op.orelse)))
            elif isinstance(op, Loop) and id(op) in self.checkpointed:
                out += self.checkpointed[id(op)]
            elif isinstance(op, Loop):
                out += self.before.get(id(op), [])
                body = self._block(op.body)
                count = self.counters.get(id(op))
                if count is None:
                    out.append(Loop(op.outs, op.carried, op.init, body, op.bounds, op.index, op.cond, op.backwards))
                else:
                    n = self.names.fresh("n")
                    step = self.names.fresh("n")
                    body = Block(body.ops + (Op((step,), "add", (Var(n), Const(1))),), body.results + (Var(step),))
                    out.append(Loop(op.outs + (count,), op.carried + (n,), op.init + (Const(0),), body,
                                    op.bounds, op.index, op.cond, op.backwards))
            else:
                out.append(op)
        return out

    # ---- checkpointing: the reverse sweep recomputes what a loop's forward sweep does not keep ----------------
    def refill(self, op, ops, index, extra, b, stack):
        """Checkpoint the outermost loop op, whose adjoint body (ops) pops what each pass pushed: the forward
        sweep keeps only some states (snapshots) and tapes the last passes; when the reverse sweep has popped
        every taped pass, it restores the last snapshot and runs the primal passes again, taping the next
        ones (the schedule is _checkpoints: two levels or binomial). A loop that stops on a condition (while,
        break) runs once first to count its passes; then its passes are replayed as those of a for loop. Returns (ops with the refill first, extra
        with the adjoint loop's new state: where the taped passes start)."""
        names, shapes = self.names, b.shapes
        counted = []
        if op.cond is not None:  # a loop that stops on a condition runs once more first, to count its passes
            count, n0, n1 = self.counters.setdefault(id(op), names.fresh("passes")), names.fresh("n"), names.fresh("n")
            shapes.update({count: SCALAR, n0: SCALAR, n1: SCALAR})
            body = Block(op.body.ops + (Op((n1,), "add", (Var(n0), Const(1))),), op.body.results + (Var(n1),))
            counted = [_comment(names, "the loop stops on a condition: run it once to count its passes"),
                       Loop(op.outs + (count,), op.carried + (n0,), op.init + (Const(0),), body, (), None, op.cond)]
            lo, hi, step = Const(0), Var(count), Const(1)
        else:
            lo, hi, step = op.bounds
        simple = lo == Const(0) and step == Const(1)  # pass k is the index k

        def new(prim, *args, hint=None, shape=SCALAR):
            made = names.fresh(hint)
            shapes[made] = made if shape is None else shape
            return Op((made,), prim, tuple(args))

        def sweep_of(schedule):
            """start, stores = next(schedule): where the next taped passes start, and the snapshots to keep"""
            made = (names.fresh("start"), names.fresh("stores"))
            shapes.update({made[0]: SCALAR, made[1]: made[1]})
            return Op(made, "next_sweep", (schedule,))

        trips = new("range_len", lo, hi, step) if not simple else None
        n = hi if simple else trips.out
        schedule = new("checkpoints", n, *([Const(self.checkpoint)] if self.checkpoint else []), hint="schedule",
                       shape=None)
        first = sweep_of(schedule.out)
        snapshots = new("new_stack", hint="snapshots", shape=None)
        updated = _updated_in_place(op)
        taped = self._block(op.body)
        # the state a snapshot holds: what the taped passes need to push what they push (an array the loop
        # fills but the adjoint never reads is recomputed by no one)
        live = dead_code([Loop(op.outs, op.carried, op.init, taped, op.bounds, op.index)], (Var(stack),))
        kept = {p for loop in live for p in loop.carried}
        held = [i for i, p in enumerate(op.carried) if p in kept]

        def passes(body, init, start, stop, store=None):
            """A copy of the loop over passes start .. stop - 1 from the state init (keeping the state before
            each pass in store, if given): (its ops, its outs)."""
            copy = _renamed(Loop(op.outs, op.carried, tuple(init), body, op.bounds, op.index), names, shapes)
            k = Var(copy.index) if simple and copy.index else Var(names.fresh("k"))
            shapes[k.name] = SCALAR
            prefix = []
            if not simple:
                at = new("mul", k, step)
                prefix = [at, Op((copy.index,), "add", (lo, at.out))]
            if store is not None:
                copies = {i: new("copy", Var(copy.carried[i]), hint=user_name(copy.carried[i]),
                                 shape=shapes.get(copy.carried[i], copy.carried[i])) for i in updated if i in held}
                state = tuple(copies[i].out if i in copies else Var(copy.carried[i]) for i in held)
                test = new("is_in", k, store)
                push = Op((names.fresh(),), "push", (Var(snapshots.outs[0]), k) + state)
                keep = If((), test.out, Block(tuple(copies.values()) + (push,), ()), Block((), ()))
                prefix += [test, keep]
            loop = Loop(copy.outs, copy.carried, copy.init, Block(tuple(prefix) + copy.body.ops, copy.body.results),
                        (start, stop, Const(1)), k.name)
            return [loop], loop.outs

        # the forward sweep: run passes 0 .. start - 1 keeping snapshots, then tape the rest
        scheme = f"binomial, at most {self.checkpoint} snapshots" if self.checkpoint else "two levels, about sqrt(n) " \
            "snapshots"
        note = _comment(names, f"checkpointing ({scheme}): keep the states the schedule names, tape the last passes")
        forward = counted + ([trips] if trips else []) + [note, schedule, first, snapshots]
        ops_u, outs_u = passes(op.body, op.init, Const(0), Var(first.outs[0]), Var(first.outs[1]))
        forward += ops_u
        forward.append(Op((stack,), "new_stack", ()))
        if counted:  # the loop's outs are the counting run's: these passes only tape
            forward += passes(taped, [Var(o) for o in outs_u], Var(first.outs[0]), n)[0]
        else:
            k = Var(names.fresh("k")) if not simple else Var(op.index)
            body = taped.ops
            if not simple:
                at = new("mul", k, step)
                body = (at, Op((op.index,), "add", (lo, at.out))) + tuple(body)
            forward.append(Loop(op.outs, op.carried, tuple(Var(o) for o in outs_u),
                                Block(tuple(body), taped.results), (Var(first.outs[0]), n, Const(1)), k.name))
        self.checkpointed[id(op)] = forward

        # the reverse sweep: before popping pass k, if it is not taped, restore a snapshot and tape from it
        start = names.fresh("start")
        shapes[start] = SCALAR
        if simple:
            k_pass, prefix = Var(index), []
        else:
            d = new("sub", Var(index), lo)
            q = new("floordiv", d.out, step)
            k_pass, prefix = q.out, [d, q]
        due = new("less", k_pass, Var(start), hint="recompute")
        sweep = sweep_of(schedule.out)
        restored = Op((names.fresh("p"),) + tuple(names.fresh(user_name(op.carried[i])) for i in held), "pop",
                      (Var(snapshots.outs[0]),))
        for i, r in zip(held, restored.outs[1:]):
            shapes[r] = shapes.get(op.carried[i], op.carried[i])
        shapes[restored.outs[0]] = SCALAR
        state = dict(zip(held, restored.outs[1:]))  # the rest is not needed: dead code drops it from the copies
        init = [Var(state[i]) if i in state else Const(0.0) for i in range(len(op.carried))]
        ops_u, outs_u = passes(op.body, init, Var(restored.outs[0]), Var(sweep.outs[0]), Var(sweep.outs[1]))
        end = new("add", k_pass, Const(1))
        ops_t, _ = passes(taped, [Var(o) for o in outs_u], Var(sweep.outs[0]), end.out)
        out = names.fresh("start")
        shapes[out] = SCALAR
        note = _comment(names, "taped passes used up: restore the last snapshot, run on, tape up to this pass")
        again = If((out,), due.out, Block(tuple([note, sweep, restored] + ops_u + [end] + ops_t), (Var(sweep.outs[0]),)),
                   Block((), (Var(start),)))
        return prefix + [due, again] + list(ops), list(extra) + [(start, Var(first.outs[0]), Var(out))]

    def _block(self, block):
        ops = self.rebuild(block.ops)
        push = self.pushes.get(id(block))
        return Block(tuple(ops) + ((push,) if push else ()), block.results)

    def zero(self, b, like):
        """A zero adjoint of like (a batch of them in vector mode)."""
        if self.ref is not None:
            return b.emit_batched("zeros_batch", (like, self.ref))
        return Const(0.0) if b.shape(like) == SCALAR else zeros_like(like)

    def batch(self, b, name):
        """In vector mode, mark an adjoint made by a loop or branch as a batch."""
        if self.ref is not None:
            b.batched.add(name)

    # ---- names ----------------------------------------------------------------------------------------
    def name(self, b, g, name):
        """Name a finished adjoint d<name> when it is a fresh temporary; it has the shape of <name>."""
        if not isinstance(g, Var) or g.name in self.primal_names:
            return
        auto_named = g.name in self.renames and AUTO.match(self.renames[g.name][1:])
        if AUTO.match(g.name) and g.name in b.defs and (g.name not in self.renames or
                                                        auto_named and not AUTO.match(name)):
            self.renames[g.name] = self.names.fresh("d" + name)
        b.assume(g.name, Var(name))



def _comment(names, text):
    """A comment line in the generated code."""
    return Op((names.fresh(),), "comment", (), (("text", text),))


def _renamed(loop, names, shapes):
    """loop with every name it defines (its state, index, outs and everything in its body) made fresh."""
    defined = defined_names([loop]) | set(loop.outs)
    mapping = {n: names.fresh(None if AUTO.match(n) else user_name(n)) for n in sorted(defined)}
    for n, m in mapping.items():
        shapes[m] = shapes.get(n, m)
    (copy,), _ = rename([loop], (), mapping)
    return copy


def _updated_in_place(loop):
    """Positions of the loop's state that an item assignment or append in its passes may change in place (a
    snapshot of them is a copy)."""
    updated = {op.args[0].name for op in walk(loop.body.ops) if isinstance(op, Op) and
               op.prim in ("setitem", "addat", "append") and isinstance(op.args[0], Var)}
    for _ in range(len(updated) + 2):  # what a nested loop's state or a branch's result holds on to
        for op in walk(loop.body.ops):
            if isinstance(op, Loop):
                updated |= {v.name for v, p, o in zip(op.init, op.carried, op.outs)
                            if isinstance(v, Var) and (p in updated or o in updated)}
            elif isinstance(op, If):
                updated |= {r.name for blk in op.blocks for o, r in zip(op.outs, blk.results)
                            if isinstance(r, Var) and o in updated}
    return [i for i, (p, r) in enumerate(zip(loop.carried, loop.body.results))
            if p in updated or isinstance(r, Var) and r.name in updated]
