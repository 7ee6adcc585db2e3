"""Reverse mode: Trace -> adjoint Trace (the forward sweep, then the adjoint sweep in reverse)."""

import re

from .errors import WengertError
from .primitives import PRIMS, Lazy, zeros_like
from .shapes import SCALAR
from .simplify import dead_code, rename
from .trace import Builder, Const, Names, Trace, Var, activity

AUTO = re.compile(r"v\d+$")


def reverse(primal, wrt, seed=None, with_value=False):
    """Adjoint trace of a one-output primal: returns the gradients w.r.t. wrt (and the value first)."""
    names = Names(_names_of(primal) | ({seed} if seed else set()))
    b = Builder(names, primal.shapes)
    for op in primal.ops:
        b.add(op)
    active = activity(primal, wrt)
    (y,) = primal.outputs
    adjoints = {}
    if isinstance(y, Var) and y.name in active:
        adjoints[y.name] = Var(seed) if seed else Const(1.0)
        if seed:
            b.shapes[seed] = b.shape(y)
    renames, primal_names = {}, _names_of(primal)
    with b:
        for op in reversed(primal.ops):
            g = adjoints.get(op.outs[0])
            if g is None or len(op.outs) != 1:
                continue
            _name_adjoint(b, g, op.outs[0], renames, names, primal_names)
            p = PRIMS[op.prim]
            if p.adjoint is None:
                raise WengertError(f"{op.prim} has no reverse-mode rule yet", primal.filename,
                                   primal.lineno.get(op.outs[0], 0), 0, "", "use forward mode or another operation")
            kw = op.kw
            b.lib = kw.pop("lib", "np")
            contributions = p.adjoint(g, op.out, *op.args, **kw)
            for i, (arg, c) in enumerate(zip(op.args, contributions)):
                if not (isinstance(arg, Var) and arg.name in active):
                    continue
                if p.diff_args is not None and i not in p.diff_args or c is None:
                    raise WengertError(f"argument {i + 1} of {op.prim} cannot depend on the differentiated inputs",
                                       primal.filename, primal.lineno.get(op.outs[0], 0))
                c = c.build() if isinstance(c, Lazy) else c
                adjoints[arg.name] = adjoints[arg.name] + c if arg.name in adjoints else c
        b.lib = "np"
        grads = []
        for w in wrt:
            g = adjoints.get(w)
            if g is None:
                g = Const(0.0) if b.shape(Var(w)) == SCALAR else zeros_like(Var(w))
            _name_adjoint(b, g, w, renames, names, primal_names)
            grads.append(g)
    outputs = ((y,) if with_value else ()) + tuple(grads)
    ops, outputs = rename(dead_code(b.ops, outputs, b.shapes, set(primal.params)), outputs, renames)
    params = primal.params + ((seed,) if seed else ())
    shapes = {renames.get(k, k): v for k, v in b.shapes.items()}
    return Trace(primal.name, params, ops, outputs, shapes, primal.filename, primal.lineno)


def _name_adjoint(b, g, name, renames, names, primal_names):
    """Name a finished adjoint d<name> when it is a fresh temporary; it has the shape of <name>."""
    if not isinstance(g, Var) or g.name in primal_names:
        return
    auto_named = g.name in renames and AUTO.match(renames[g.name][1:])
    if AUTO.match(g.name) and g.name in b.defs and (g.name not in renames or auto_named and not AUTO.match(name)):
        renames[g.name] = names.fresh("d" + name)
    if b.shape(g) == g.name:
        b.shapes[g.name] = b.shape(Var(name))


def _names_of(trace):
    return set(trace.params) | {n for op in trace.ops for n in op.outs}
