"""What the parsed trace knows about its values before a call: which are scalars (infer_scalars), the
shapes for a call's arguments (with_shapes), and which ops make fresh arrays (fresh_array).
"""

import operator

from .. import shapes
from ..builder import Builder
from ..primitives import PRIMS
from ..trace import If, Loop, Names, Trace, Var


FRESH = {"zeros", "ones", "zeros_like", "ones_like", "eye", "copy", "full", "full_like", "arange", "linspace", "setitem", "addat", "stack", "concatenate",
         "dot", "matmul", "outer", "where", "sum", "mean", "scatter", "scatter_batch", "zeros_batch", "basis", "take",
         "index_copy", "last_writes", "new_list", "append", "list_zeros", "stack_list"}


def fresh_array(op):
    """Does op make a new array (never a view of an argument)? Elementwise ops and the FRESH ones do."""
    p = PRIMS.get(op.prim)
    return p is not None and (op.prim in FRESH or p.shape is shapes.broadcast)


def infer_scalars(trace, scalar_output=False):
    """Parameters reaching math.* (directly or through elementwise ops) are scalars; re-infer shapes.
    With scalar_output (a gradient's contract), the output's elementwise inputs are scalars too."""
    scalar = {v.name for v in trace.outputs if isinstance(v, Var)} if scalar_output else set()
    scalar |= {p for p in trace.params if trace.shapes.get(p) == shapes.SCALAR}
    for op in reversed(trace.ops):
        if isinstance(op, (If, Loop)):
            continue
        p = PRIMS[op.prim]
        if ("lib", "math") in op.attrs or (op.outs[0] in scalar and p.shape is shapes.broadcast):
            scalar.update(a.name for a in op.args if isinstance(a, Var))
    keys = {p: trace.shapes[p] for p in trace.params if p in trace.shapes}
    keys.update({p: shapes.SCALAR for p in trace.params if p in scalar and not shapes.known(keys.get(p))})
    return with_shapes(trace, keys)


def with_shapes(trace, param_keys):
    """The same trace with shape knowledge re-derived from the given parameter shape keys. The shapes follow
    from the ops and the keys alone, so a trace with_shapes made from these very ops and keys keeps its own
    (a gradient calls infer_scalars on the already inferred trace of parse)."""
    ops = tuple(trace.ops)
    keys, made_from, shapes = getattr(trace, "_derivation", (None, None, None))
    if keys is None or list(keys) != list(param_keys) or not _identical(keys.values(), param_keys.values()) \
            or not _identical(made_from, ops):
        b = Builder(Names(), param_keys)
        for op in ops:
            b.add(op)
        keys, shapes = dict(param_keys), b.shapes
    shaped = Trace(trace.name, trace.params, list(ops), trace.outputs, dict(shapes), trace.filename, trace.lineno,
                   trace.line, bound=trace.bound, return_line=trace.return_line)
    shaped._derivation = keys, ops, shapes  # private copies: the trace's own shapes may be changed
    return shaped


def _identical(a, b):
    a, b = list(a), list(b)
    return len(a) == len(b) and all(map(operator.is_, a, b))
