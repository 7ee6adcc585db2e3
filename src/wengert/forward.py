"""Forward mode: Trace -> tangent Trace, one sweep per seed, sharing the primal ops."""

import re

from .errors import WengertError
from .primitives import PRIMS, zeros_like
from .shapes import SCALAR
from .simplify import dead_code, rename
from .trace import Builder, Const, Names, Trace, Var, activity

AUTO = re.compile(r"v\d+$")


def forward(primal, seeds, with_value=True, tangent_params=None):
    """Tangent trace. seeds: (seed, namer) per direction, seed = {param: tangent value},
    namer(var) = name for var's tangent. Outputs: [value,] then each direction's output tangent.
    tangent_params: {new parameter: primal parameter it is the tangent of}."""
    tangent_params = tangent_params or {}
    names = Names(set(primal.params) | {n for op in primal.ops for n in op.outs} | set(tangent_params))
    b = Builder(names, primal.shapes)
    for op in primal.ops:
        b.add(op)
    for t, x in tangent_params.items():
        b.shapes[t] = b.shape(Var(x))
    primal_names = set(names.taken)
    renames, outputs = {}, list(primal.outputs) if with_value else []
    with b:
        for seed, namer in seeds:
            tangents = dict(seed)
            active = activity(primal, list(seed))
            for op in primal.ops:
                if op.outs[0] not in active or len(op.outs) != 1:
                    continue
                ts = tuple(tangents.get(a.name) if isinstance(a, Var) else None for a in op.args)
                if all(t is None for t in ts):
                    continue
                if PRIMS[op.prim].tangent is None:
                    raise WengertError(f"{op.prim} has no forward-mode rule yet", primal.filename,
                                       primal.lineno.get(op.outs[0], 0), 0, "", "use reverse mode")
                kw = op.kw
                b.lib = kw.pop("lib", "np")
                t = PRIMS[op.prim].tangent(ts, op.out, *op.args, **kw)
                if t is None:
                    continue
                tangents[op.outs[0]] = t
                if isinstance(t, Var) and t.name not in primal_names:
                    if AUTO.match(t.name) and t.name not in renames:
                        renames[t.name] = names.fresh(namer(op.outs[0]))
                    if b.shape(t) == t.name:
                        b.shapes[t.name] = b.shape(op.out)
            b.lib = "np"
            for y in primal.outputs:
                t = tangents.get(y.name) if isinstance(y, Var) else None
                if t is None:
                    t = Const(0.0) if b.shape(y) == SCALAR else zeros_like(y)
                outputs.append(t)
    ops, outputs = rename(dead_code(b.ops, outputs, b.shapes, set(primal.params)), tuple(outputs), renames)
    shapes = {renames.get(k, k): v for k, v in b.shapes.items()}
    return Trace(primal.name, primal.params + tuple(tangent_params), ops, outputs, shapes,
                 primal.filename, primal.lineno)
