"""Sums of outer products in a reverse sweep become one matrix product after the loop.

A reverse sweep gives a weight matrix read in a loop body the adjoint update
``dW = dW + np.outer(u, v)`` on every pass: two passes over the whole matrix per step.
When nothing else in the loop reads dW, the loop collects u and v instead, one row per
pass, and every ROWS_PER_PRODUCT passes (and after the last) adds
``dW = dW + _rows(u_rows).T @ _rows(v_rows)`` and clears the lists: the same sum as a few
matrix products (BLAS-3), while the rows held stay bounded (collecting all of them until the
loop ends tripled the memory of a long reverse sweep: two lists and their stacked copies, next
to the stack itself). A vector that is xs[t] for t in reversed(range(n)) is not collected: the
rows of a flush at index t are xs[t:t + k][::-1].
"""

import collections
import dataclasses

from . import shapes
from .simplify import dead_code
from .trace import AUTO, Block, Const, If, Loop, Names, Op, Var, defined_names, user_name, walk

ROWS_PER_PRODUCT = 128  # rows collected before one matrix product: 128 x H floats per list, BLAS-3 all the same


def gather_outer_sums(trace):
    """trace with the sums of outer products (dW = dW + outer(u, v)) of its reverse sweeps done after them."""
    names = Names(set(trace.params) | defined_names(trace.ops))
    keys = dict(trace.shapes)
    ops = _block(trace.ops, keys, names)
    if ops == trace.ops:
        return trace
    ops = dead_code(ops, trace.outputs, keys, set(trace.params))
    return dataclasses.replace(trace, ops=ops, shapes=keys)


def _block(ops, keys, names):
    out = []
    for op in ops:
        if isinstance(op, If):
            out.append(If(op.outs, op.cond, *(Block(_block(b.ops, keys, names), b.results) for b in op.blocks)))
        elif isinstance(op, Loop):
            body = Block(_block(op.body.ops, keys, names), op.body.results)
            out += _gather(dataclasses.replace(op, body=body), keys, names)
        else:
            out.append(op)
    return out


def _uses(loop):
    """How often each name is read by the loop's body and condition (nested statements included)."""
    count = collections.Counter()
    for block in loop.blocks:
        for op in walk(block.ops):
            reads = list(op.args) + [v for b in getattr(op, "blocks", ()) for v in b.results]
            count.update(v.name for v in reads if isinstance(v, Var))
        count.update(v.name for v in block.results if isinstance(v, Var))
    return count


def _outer_terms(loop, k, defs, uses, keys):
    """The outer ops whose sum the k-th carried value gains per pass, and the adds doing it; or None."""
    acc, key = loop.carried[k], keys.get(loop.carried[k])
    if uses[acc] != 1 or not (shapes.known(key) and len(key) == 2):
        return None
    adds, leaves, pending = [], [], [loop.body.results[k]]
    while pending:
        v = pending.pop()
        op = defs.get(v.name) if isinstance(v, Var) else None
        if op is not None and op.prim == "add" and uses[v.name] == 1:
            adds.append(op)
            pending += op.args
        else:
            leaves.append(v)
    outers = [defs.get(v.name) if isinstance(v, Var) else None for v in leaves if v != Var(acc)]
    if not adds or len(outers) != len(leaves) - 1 or not all(
            o is not None and o.prim == "outer" and shapes.same(keys.get(o.outs[0]), key) for o in outers):
        return None  # exactly the carried value plus outer products of vectors, all of its shape
    return outers, adds


def _gather(loop, keys, names):
    """[loop] itself, or: new row lists and the loop filling them, which adds their products every
    ROWS_PER_PRODUCT passes and after its last pass (an if at the end of its body).
    Only a reverse sweep: it holds a stack of per-pass values anyway, while rows would make a forward
    loop that runs in constant memory (a primal, a tangent sweep) grow with its trip count."""
    if not loop.backwards or loop.index is None:
        return [loop]
    defs = {n: op for op in loop.body.ops if isinstance(op, Op) for n in op.outs}
    uses = _uses(loop)
    terms = {k: t for k in range(len(loop.carried)) if (t := _outer_terms(loop, k, defs, uses, keys))}
    if not terms:
        return [loop]
    vectors = list(dict.fromkeys(v.name for outers, _ in terms.values() for o in outers for v in o.args))
    inside = defined_names(loop.body.ops) | set(loop.carried)
    row_of = {v: defs[v].args[0] for v in vectors if _row_at_index(defs.get(v), loop, inside)}  # v = x[i]: x
    if len(row_of) == len(vectors):
        del row_of[vectors[0]]  # one list at least: it counts the rows collected
    lists = {v: names.fresh(_list_name(v)) for v in vectors if v not in row_of}
    dropped = {id(op) for _, adds in terms.values() for op in adds}
    body = [op for op in loop.body.ops if id(op) not in dropped]
    body += [Op((names.fresh(),), "push", (Var(lists[v]), Var(v))) for v in lists]
    index, first_list = Var(loop.index), Var(next(iter(lists.values())))
    after, made = [], {}

    def once(prim, *args, shape=None, **attrs):
        """One op per distinct statement of the flush (a vector's rows are stacked once)."""
        key = (prim, args, tuple(attrs.items()))
        if key not in made:
            made[key] = Var(names.fresh())
            after.append(Op((made[key].name,), prim, args, tuple(attrs.items())))
            if shape is not None:
                keys[made[key].name] = shape
        return made[key]

    def rows(v):
        """v's value in the passes collected, as the rows of a matrix (x[i] for i from index up: x[index:index + k][::-1])."""
        if v in lists:
            return once("rows", Var(lists[v]))
        end = once("add", index, once("len", first_list, shape=shapes.SCALAR), shape=shapes.SCALAR)
        taken = once("index", row_of[v], index, end, spec=(("slice", ("arg", 1), ("arg", 2), None),))
        return once("index", taken, spec=(("slice", None, None, -1),))

    results = []
    for k, (outers, _) in terms.items():
        total = Var(loop.carried[k])
        for o in outers:
            u, v = (a.name for a in o.args)
            total = once("add", total, once("matmul", once("transpose", rows(u)), rows(v)))
        results.append(total)
    after += [Op((names.fresh(),), "clear", (Var(lst),)) for lst in lists.values()]
    full = Op((names.fresh(),), "equal", (Var(names.fresh()), Const(ROWS_PER_PRODUCT)))
    count = Op((full.args[0].name,), "len", (first_list,))
    last = Op((names.fresh(),), "equal", (index, loop.bounds[0]))  # reversed(range(a, ...)) ends at a
    flush = Op((names.fresh("flush"),), "logical_or", (full.out, last.out))
    for op in (full, count, last, flush):
        keys[op.outs[0]] = shapes.SCALAR
    outs = tuple(names.fresh(user_name(loop.carried[k])) for k in terms)
    for o, k in zip(outs, terms):
        keys[o] = keys.get(loop.carried[k])
    product = If(outs, flush.out, Block(tuple(after), tuple(results)),
                 Block((), tuple(Var(loop.carried[k]) for k in terms)))
    body += [count, full, last, flush, product]
    new_results = list(loop.body.results)
    for o, k in zip(outs, terms):
        new_results[k] = Var(o)
    new_loop = Loop(loop.outs, loop.carried, loop.init, Block(tuple(body), tuple(new_results)),
                    loop.bounds, loop.index, loop.cond, loop.backwards)
    return [Op((lst,), "new_stack", ()) for lst in lists.values()] + [new_loop]


def _row_at_index(op, loop, inside):
    """Is op x[i] for the index i of a loop over range(n) and an x the loop does not change? Then, once
    the loop ran (so x[i] worked for every i < n), the values it took are the rows of x[:n]."""
    return op is not None and op.prim == "index" and op.kw.get("spec") == (("arg", 1),) \
        and op.args[1] == Var(loop.index) and loop.bounds[::2] == (Const(0), Const(1)) \
        and isinstance(op.args[0], Var) and op.args[0].name not in inside


def _list_name(v):
    """dv6 -> dv6_rows, h_3 -> h_rows, v4 -> rows."""
    base = user_name(v)
    return "rows" if AUTO.match(base) else base + "_rows"
