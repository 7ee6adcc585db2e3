"""Run a Trace at a point, and record what ran as a straight-line trace.

The record is the evaluation trace in Griewank's sense: one op per executed
primitive, loops unrolled and branches resolved at that point, stack pushes and
pops matched up by name. The lecture's tables print it, and the SymPy check
differentiates it symbolically.
"""

import math
import re

import numpy as np

from .errors import WengertError
from . import custom
from .primitives import HELPERS, PRIMS, SCIPY
from .trace import Const, If, Loop, Names, Op, Trace, Var

STACK = {"new_stack", "push", "pop"}


def namespace():
    ns = {"np": np, "math": math, "scipy": SCIPY}
    for source in HELPERS.values():
        exec(source, ns)
    return ns


def evaluate(op, args, ns):
    """Numeric result of op on argument values (one value, or a tuple for several outs)."""
    kw = op.kw
    holes = {f"__a{i}": a for i, a in enumerate(args)}
    with np.errstate(all="ignore"):
        return eval(PRIMS[op.prim].source(list(holes), kw, kw.pop("lib", "np")), ns, holes)


class Unrolled:
    """A straight-line Trace of one evaluation, its values, and a note per op (which pass, which branch)."""

    def __init__(self, trace, values, notes):
        self.trace, self.values, self.notes = trace, values, notes


def unroll(trace, args, max_ops=100_000):
    """Execute trace at args (a dict param -> value); returns an Unrolled record."""
    run = _Run(trace, max_ops)
    env = {p: Var(p) for p in trace.params}
    run.values.update(args)
    run.block(trace.ops, env, "")
    outputs = tuple(run.resolve(v, env) for v in trace.outputs)
    flat = Trace(trace.name, trace.params, run.ops, outputs, {}, trace.filename, trace.lineno)
    return Unrolled(flat, run.values, run.notes)


class _Run:
    def __init__(self, trace, max_ops):
        self.trace, self.max_ops = trace, max_ops
        self.names = Names(set(trace.params))
        self.ops, self.values, self.notes = [], {}, {}
        self.stacks = {}
        self.ns = namespace()
        custom.bind(trace, self.ns)

    def resolve(self, v, env):
        return env.get(v.name, v) if isinstance(v, Var) else v

    def value(self, v):
        return v.value if isinstance(v, Const) else self.values[v.name]

    def block(self, ops, env, note):
        for op in ops:
            if isinstance(op, If):
                taken = bool(self.value(self.resolve(op.cond, env)))
                block = op.then if taken else op.orelse
                self.block(block.ops, env, note)
                results = [self.resolve(r, env) for r in block.results]
                env.update(zip(op.outs, results))
            elif isinstance(op, Loop):
                self.loop(op, env, note)
            else:
                self.op(op, env, note)

    def loop(self, op, env, note):
        state = [self.resolve(v, env) for v in op.init]
        env.update(zip(op.carried, state))
        if op.cond is None:
            bounds = [int(self.value(self.resolve(b, env))) for b in op.bounds]
            passes = range(*bounds)
            passes = reversed(passes) if op.backwards else passes
        else:
            passes = iter(int, 1)  # forever; the condition ends it
        for i in passes:
            if op.index:
                env[op.index] = Const(i)
            if op.cond is not None:
                self.block(op.cond.ops, env, note)
                if not bool(self.value(self.resolve(op.cond.results[0], env))):
                    break
            label = f"{note}{op.index or 'pass'} = {i}" if op.index else f"{note}pass"
            self.block(op.body.ops, env, label + "; ")
            state = [self.resolve(r, env) for r in op.body.results]
            env.update(zip(op.carried, state))
        env.update(zip(op.outs, [env[p] for p in op.carried]))

    def op(self, op, env, note):
        args = tuple(self.resolve(a, env) for a in op.args)
        if op.prim in STACK:
            if op.prim == "new_stack":
                self.stacks[op.outs[0]] = []
                env[op.outs[0]] = Var(op.outs[0])
            elif op.prim == "push":
                self.stacks[args[0].name].append(args[1:])
            else:
                env.update(zip(op.outs, self.stacks[args[0].name].pop()))
            return
        if len(self.ops) >= self.max_ops:
            raise WengertError(f"the evaluation of {self.trace.name} runs more than {self.max_ops} operations",
                               self.trace.filename, self.trace.line, 0, "", "use smaller inputs or fewer loop passes")
        outs = tuple(self.names.fresh(_base(n)) for n in op.outs)
        new = Op(outs, op.prim, args, op.attrs)
        try:
            result = evaluate(new, [self.value(a) for a in args], self.ns)
        except (ArithmeticError, ValueError, TypeError, IndexError) as e:
            raise WengertError(f"cannot evaluate {op.prim} at the given point: {e}", self.trace.filename,
                               self.trace.lineno.get(op.outs[0], 0), 0, "",
                               "choose a point inside the function's domain") from None
        self.values.update(zip(outs, result if len(outs) > 1 else (result,)))
        self.ops.append(new)
        self.notes[outs[0]] = note.rstrip("; ")
        env.update({n: Var(o) for n, o in zip(op.outs, outs)})


def _base(name):
    return re.sub(r"(_\d+)+$", "", name) or name
