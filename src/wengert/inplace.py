"""Which item assignments of a trace may change their array in place.

In the IR an item assignment is a functional update, ``y2 = setitem(y1, e, i)`` (``addat`` likewise: the
adjoint of a read x[i] accumulating ``dx[i] += g``). The emitter writes it as ``y2[i] = e`` on y1's own
buffer when nothing can see the difference:

- y1 owns its buffer: a new array made by a constructor, arithmetic, a copy or another update (never a
  parameter, a view such as X[0] or X.T, a popped value or anything unknown); a loop's carried value owns
  its buffer when its initial value does and is not read by the loop or after it, and each pass ends with
  an owned value; a branch's result when each branch yields an owned value no one reads after the branch;
- y1's buffer is not held by a stack (pushed for the reverse sweep: the push, anything that may be a view
  of it, and the loop states and branch results carrying it on, into the next pass);
- neither y1 nor anything that may be a view of it (computed from it by an op that is not known to make a
  new array) is read after the update: later in the block, by the block's results, after the block, or, in
  a loop body, by a later pass (what the loop reads from outside it).

Otherwise the update copies y1 first. Reverse mode pushes an overwritten array only when the adjoint reads
it (a push reads y1, so then the update copies): the common case, out[i] = f(x[i]) in a loop, updates in
place in the forward sweep and accumulates dx[i] += g in place in the reverse sweep: O(1) per pass.
"""

import dataclasses

from .primitives import PRIMS
from .trace import STRUCTURED, Block, If, Loop, Names, Op, Var, defined_names, user_name

UPDATES = ("setitem", "addat", "append")


def inplace_updates(trace, with_owned=False):
    """The names of the setitem/addat results whose update may be done in place (see the module docstring)."""
    from .parse import fresh_array

    if not _updates(trace.ops):  # nothing to decide (most traces): no walk over the whole program
        return (set(), lambda name: False) if with_owned else set()
    defs, loops, views = {}, {}, {}
    def fresh(op):  # a number, or an item of a list (appending does not change it), is no view
        return fresh_array(op) or trace.shapes.get(op.outs[0]) == () or op.prim == "index" and isinstance(
            op.args[0], Var) and defs.get(op.args[0].name, (None, None))[0] == "op" and \
            defs[op.args[0].name][1].prim in ("new_list", "append")
    _index(trace.ops, defs, loops, views, fresh)
    owned = {}
    params = set(trace.params)
    escaped = _escaped(trace.ops, views)

    def is_owned(name, seen=()):
        if name in owned:
            return owned[name]
        if name in escaped:
            return False
        if name in params or name in seen:
            return name not in params  # a carried value owning its buffer in each pass: assumed, checked below
        kind, where = defs.get(name, (None, None))
        if kind == "op":
            result = fresh_array(where)
        elif kind == "loop":
            loop, j, after = where
            init, res = loop.init[j], loop.body.results[j]
            result = (isinstance(init, Var) and is_owned(init.name, seen + (name,))
                      and sum(v == init for v in loop.init) == 1 and init.name not in _body_reads(loop)
                      and init.name not in after and _views_dead(init.name, views, after, cut={loop.carried[j]: None})
                      and isinstance(res, Var) and sum(v == res for v in loop.body.results) == 1
                      and is_owned(res.name, seen + (name,)))
        elif kind == "if":
            op, j, after = where
            result = all(isinstance(b.results[j], Var) and sum(v == b.results[j] for v in b.results) == 1
                         and is_owned(b.results[j].name, seen + (name,)) and b.results[j].name not in after
                         for b in op.blocks)
        else:
            result = False
        owned[name] = result
        return result

    found = set()
    _scan(trace.ops, trace.outputs, set(), found, is_owned, views)
    return (found, is_owned) if with_owned else found


def _updates(ops):
    """Does a block, or a block nested in it, hold an item assignment, an addat or an append?"""
    return any(any(_updates(b.ops) for b in op.blocks) if isinstance(op, STRUCTURED) else op.prim in UPDATES
               for op in ops)


def own_loop_state(trace):
    """trace, with a copy before each loop whose passes update a carried array in place but whose initial value
    is not the loop's own (a parameter, a view, a value read again later): one copy instead of one per pass."""
    found, is_owned = inplace_updates(trace, with_owned=True)
    names = Names(set(trace.params) | defined_names(trace.ops))
    shapes = dict(trace.shapes)
    ops = _own_block(trace.ops, found, is_owned, names, shapes)
    if ops is trace.ops:
        return trace
    return dataclasses.replace(trace, ops=ops, shapes=shapes)


def _own_block(ops, found, is_owned, names, shapes):
    out, changed = [], False
    for op in ops:
        if isinstance(op, STRUCTURED):
            blocks = [Block(tuple(_own_block(list(b.ops), found, is_owned, names, shapes)), b.results)
                      for b in op.blocks]
            if any(nb.ops != b.ops for nb, b in zip(blocks, op.blocks)):
                changed = True
                op = dataclasses.replace(op, then=blocks[0], orelse=blocks[1]) if isinstance(op, If) else \
                    dataclasses.replace(op, body=blocks[-1], cond=blocks[0] if op.cond is not None else None)
        if isinstance(op, Loop):
            updated = {o.args[0].name for o in _walk(op.body.ops) if not isinstance(o, STRUCTURED)
                       and o.prim in UPDATES and isinstance(o.args[0], Var) and o.outs[0] not in found}
            init = list(op.init)
            for j, p in enumerate(op.carried):
                if p in updated and isinstance(init[j], Var) and not is_owned(p):
                    copy = names.fresh(user_name(p))
                    out.append(Op((copy,), "copy", (init[j],)))
                    shapes[copy] = shapes.get(init[j].name, copy)
                    init[j] = Var(copy)
            if init != list(op.init):
                changed = True
                op = dataclasses.replace(op, init=tuple(init))
        out.append(op)
    return out if changed else ops


def _index(ops, defs, loops, views, fresh_array, after=frozenset()):
    """defs: name -> ("op", op) | ("loop", (loop, j, read after it)) | ("if", (if, j, read after it));
    views: name -> names computed from it by ops that may return a view of it."""
    reads_after = _reads_after(ops)
    for k, op in enumerate(ops):
        later = _Later(reads_after[k].last, k, after)
        if isinstance(op, Loop):
            inside = _Later(reads_after[k].last, k, after, free_vars(op))
            for j, p in enumerate(op.carried):
                defs[p] = ("loop", (op, j, later))
            for j, o in enumerate(op.outs):
                defs[o] = ("loop", (op, j, later))
            for b in op.blocks:
                _index(b.ops, defs, loops, views, fresh_array, inside)
        elif isinstance(op, If):
            for j, o in enumerate(op.outs):
                defs[o] = ("if", (op, j, later))
            for b in op.blocks:
                _index(b.ops, defs, loops, views, fresh_array, later)
        else:
            for n in op.outs:
                defs[n] = ("op", op)
            if not fresh_array(op):
                skip = PRIMS[op.prim].shape_args
                for i, a in enumerate(op.args):
                    if isinstance(a, Var) and i not in skip:
                        views.setdefault(a.name, set()).update(op.outs)
        if isinstance(op, If):  # result j may be the value a branch gives it, unchanged: a view, for this purpose
            for b in op.blocks:
                for v, o in zip(b.results, op.outs):
                    if isinstance(v, Var):
                        views.setdefault(v.name, set()).add(o)
        if isinstance(op, Loop):  # its results may be a value it read unchanged: a view, for this purpose
            for b in op.blocks:
                for v in b.results:
                    if isinstance(v, Var):
                        views.setdefault(v.name, set()).update(op.outs)
            if isinstance(op, Loop):
                for v, p in zip(op.init, op.carried):
                    if isinstance(v, Var):
                        views.setdefault(v.name, set()).add(p)


def free_vars(op):
    """Names whose values op reads: an argument read only for its shape (np.zeros_like(y), the shape of a
    scatter) is not, since an update in place keeps the shape."""
    if not isinstance(op, STRUCTURED):
        skip = PRIMS[op.prim].shape_args
        return {a.name for i, a in enumerate(op.args) if isinstance(a, Var) and i not in skip}
    used, inner = {a.name for a in op.args if isinstance(a, Var)}, set()
    for block in op.blocks:
        for o in block.ops:
            used |= free_vars(o)
        used |= {v.name for v in block.results if isinstance(v, Var)}
        inner |= defined_names(block.ops)
    if isinstance(op, Loop):
        inner |= set(op.carried) | ({op.index} if op.index else set())
    return used - inner


def _body_reads(loop):
    """Names a loop's passes read from outside it (its initial values aside)."""
    return free_vars(Loop((), loop.carried, (), loop.body, (), loop.index, loop.cond))


def _escaped(ops, views):
    """Names whose buffer a stack holds (pushed for the reverse sweep, read when popped at its end), or may
    hold: what is pushed, the values that may be views of it, and the loop states and branch results that
    carry its buffer on (to the next pass, out of a loop or branch). Their arrays are never changed in place."""
    shares = {}
    for op in _walk(ops):
        if isinstance(op, Loop):
            for p, r, o in zip(op.carried, op.body.results, op.outs):
                if isinstance(r, Var):
                    shares.setdefault(r.name, set()).add(p)
                shares.setdefault(p, set()).add(o)
    todo = [a.name for op in _walk(ops) if not isinstance(op, STRUCTURED) and op.prim == "push"
            for a in op.args[1:] if isinstance(a, Var)]
    found = set()
    while todo:
        n = todo.pop()
        if n in found:
            continue
        found.add(n)
        todo.extend(views.get(n, ()))
        todo.extend(shares.get(n, ()))
    return found


def _walk(ops):
    for op in ops:
        yield op
        if isinstance(op, STRUCTURED):
            for b in op.blocks:
                yield from _walk(b.ops)


class _Later:
    """The names read after statement k of a block, or in any of `outer` (a view: a set per statement made
    long blocks quadratic in memory)."""

    def __init__(self, last, k, *outer):
        self.last, self.k, self.outer = last, k, outer

    def __contains__(self, name):
        return self.last.get(name, -1) > self.k or any(name in o for o in self.outer)


def _reads_after(ops):
    """k -> the names read by ops[k + 1:] (as _Later views)."""
    last = {}
    for k, op in enumerate(ops):
        for n in free_vars(op):
            last[n] = k
    return [_Later(last, k) for k in range(len(ops))]


def _views_dead(name, views, live, seen=None, cut=None):
    """Is no view of name (transitively) among the live names? cut: {result of an enclosing branch: the value
    the branch being scanned gives it}; on that path the result is no view of anything else."""
    seen = set() if seen is None else seen
    for v in views.get(name, ()):
        if v in seen or cut and v in cut and cut[v] != name:
            continue
        seen.add(v)
        if v in live or not _views_dead(v, views, live, seen, cut):
            return False
    return True


def _scan(ops, results, live_out, found, is_owned, views, cut=None):
    reads_after = _reads_after(ops)
    result_names = {v.name for v in results if isinstance(v, Var)}
    for k, op in enumerate(ops):
        live = _Later(reads_after[k].last, k, result_names, live_out)
        if isinstance(op, Loop):
            inside = _Later(reads_after[k].last, k, result_names, live_out, free_vars(op))
            for b in op.blocks:
                _scan(b.ops, b.results, inside, found, is_owned, views, cut)
        elif isinstance(op, If):  # y[i] = e in one branch, y unchanged in the other: in place on the first path
            for b in op.blocks:
                path = {**(cut or {}), **{o: r.name if isinstance(r, Var) else None for o, r in zip(op.outs, b.results)}}
                _scan(b.ops, b.results, live, found, is_owned, views, path)
        elif op.prim in UPDATES and isinstance(op.args[0], Var):
            y = op.args[0].name
            if y not in live and is_owned(y) and _views_dead(y, views, live, cut=cut):
                found.add(op.outs[0])
