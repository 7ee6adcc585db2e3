"""Trace -> Python source: an AST built op by op, printed with astor.

Temporaries used once are folded into the expression that uses them; the rest
are numbered in order. The module imports numpy/math only and carries the small
helpers it needs inline, so it runs without wengert installed.
"""

import ast
import itertools
import math
import re

import astor

from .primitives import HELPERS, PRIMS
from .trace import Const, Var

AUTO = re.compile(r"v\d+$")
MAX_INLINE_SIZE = 12  # AST nodes: keep folded expressions short enough to read


def emit_function(trace, name, doc=None, returns=None):
    """Source of one function computing trace.outputs from trace.params.

    returns: how outputs are returned, as nested tuples of output indices (default: all, flat)."""
    uses = {}
    for op in trace.ops:
        for a in op.args:
            if isinstance(a, Var):
                uses[a.name] = uses.get(a.name, 0) + 1
    for v in trace.outputs:
        if isinstance(v, Var):
            uses[v.name] = uses.get(v.name, 0) + 2
    taken = set(trace.params) | {n for op in trace.ops for n in op.outs if not AUTO.match(n)}
    numbers = (f"v{k}" for k in itertools.count(1) if f"v{k}" not in taken)
    numbering, inlined, body = {}, {}, []
    if doc:
        body.append(ast.Expr(ast.Constant(doc)))
    for op in trace.ops:
        node = _op_ast(op, inlined, numbering)
        out = op.outs[0]
        single_use = len(op.outs) == 1 and AUTO.match(out) and uses.get(out, 0) == 1
        if single_use and not PRIMS[op.prim].statement and _size(node) <= MAX_INLINE_SIZE:
            inlined[out] = node
            continue
        for n in op.outs:
            if AUTO.match(n):
                numbering[n] = next(numbers)
        targets = [ast.Name(numbering.get(n, n), ast.Store()) for n in op.outs]
        target = targets[0] if len(targets) == 1 else ast.Tuple(targets, ast.Store())
        body.append(ast.Assign([target], node, lineno=0))
    outs = [_value_ast(v, inlined, numbering) for v in trace.outputs]
    if returns is None:
        returns = 0 if len(outs) == 1 else tuple(range(len(outs)))
    body.append(ast.Return(_pack(returns, outs)))
    args = ast.arguments(posonlyargs=[], args=[ast.arg(p) for p in trace.params], vararg=None,
                         kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])
    fn = ast.FunctionDef(name, args, body, [], None, lineno=0)
    return astor.to_source(fn)


def emit_module(functions, header=None):
    """A standalone module: imports, inline helpers, then the functions' sources."""
    text = "\n\n".join(functions)
    helpers, pending = set(), [text]
    while pending:
        chunk = pending.pop()
        for name, src in HELPERS.items():
            if name not in helpers and re.search(rf"\b{name}\(", chunk):
                helpers.add(name)
                pending.append(src)
    helpers = [HELPERS[name] for name in sorted(helpers)]
    imports = []
    if "math." in text:
        imports.append("import math")
    if "np." in text or helpers:
        imports.append("import numpy as np")
    parts = []
    if header:
        parts.append(header.rstrip() + "\n")
    if imports:
        parts.append("\n".join(imports) + "\n")
    parts += [h.strip() + "\n" for h in helpers]
    parts += functions
    return "\n\n".join(p.rstrip("\n") + "\n" for p in parts)


def _pack(spec, outs):
    if isinstance(spec, int):
        return outs[spec]
    return ast.Tuple([_pack(s, outs) for s in spec], ast.Load())


def _op_ast(op, inlined, numbering):
    p = PRIMS[op.prim]
    kw = op.kw
    lib = kw.pop("lib", "np")
    holes = [f"__a{i}" for i in range(len(op.args))]
    src = p.source(holes, kw, lib)
    tree = ast.parse(src, mode="eval").body
    fill = {h: _value_ast(a, inlined, numbering) for h, a in zip(holes, op.args)}
    return _Fill(fill).visit(tree)


class _Fill(ast.NodeTransformer):
    def __init__(self, fill):
        self.fill = fill

    def visit_Name(self, node):
        return self.fill.get(node.id, node)


def _value_ast(v, inlined, numbering):
    if isinstance(v, Var):
        if v.name in inlined:
            return inlined[v.name]
        return ast.Name(numbering.get(v.name, v.name), ast.Load())
    return const_ast(v.value)


def const_ast(value):
    if isinstance(value, tuple):
        return ast.Tuple([const_ast(x) for x in value], ast.Load())
    if isinstance(value, float) and not math.isfinite(value):
        node = ast.Attribute(ast.Name("np", ast.Load()), "nan" if math.isnan(value) else "inf", ast.Load())
        return ast.UnaryOp(ast.USub(), node) if value < 0 else node
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
        return ast.UnaryOp(ast.USub(), ast.Constant(-value))
    return ast.Constant(value)


def _size(node):
    return sum(1 for _ in ast.walk(node))
