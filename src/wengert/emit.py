"""Trace -> Python: an AST built op by op, compiled as it is (compile.compile_tree) and printed with astor only
when someone reads it (wengert.source, the CLI, a traceback).

Temporaries used once are folded into the expression that uses them; the rest
are numbered in order. The module imports numpy/math only and carries the small
helpers it needs inline, so it runs without wengert installed.
"""

import ast
import collections
import copy
import functools
import itertools
import math
import re

from . import custom
from .compile import compiling, python_ast
from .inplace import inplace_updates, own_loop_state
from .primitives import HELPERS, PRIMS, _index_text, reserved_names
from .trace import AUTO, STRUCTURED, Const, If, Loop, Var, defined_names, free_vars

_LOAD, _STORE = ast.Load(), ast.Store()  # shared by every Name, as Python's parser shares them
MAX_INLINE_SIZE = 12  # AST nodes: keep folded expressions short enough to read


def emit_function(trace, name, doc=None, returns=None):
    """Source of one function computing trace.outputs from trace.params.

    returns: how outputs are returned, as nested tuples of output indices (default: all, flat). User
    primitives it calls are imported on lines before it, which emit_module moves to the module's imports."""
    return to_source(function_ast(trace, name, doc, returns))


def function_ast(trace, name, doc=None, returns=None):
    """The ast.FunctionDef of emit_function; its attribute `reads` holds the global names it reads, `imports` the
    import lines of the user primitives it calls."""
    function = _Emitter(trace).function(name, doc, returns)
    function.imports = custom.imports(trace)
    return function


def to_source(function):
    """The source text of a function: given as text, or an ast.FunctionDef printed with astor."""
    if isinstance(function, str):
        return function
    import astor  # only for people reading the code: compiling does not print it
    with compiling():  # deep expressions print recursively
        text = astor.to_source(function)
    if '"""# ' in text:
        text = COMMENT.sub(r"\1# \2", text)  # the comment primitive's string statements
    imports = getattr(function, "imports", ())
    return "".join(line + "\n" for line in imports) + "\n\n" + text if imports else text


def module_text(functions, header=None):
    """emit_module of functions given as source text or ast.FunctionDef."""
    return emit_module([to_source(f) for f in functions], header)


def module_ast(functions):
    """The ast.Module that module_text(functions) prints: imports, the helpers called, the functions."""
    nodes, reads, user_imports = [], set(), set()
    for f in functions:
        if isinstance(f, str):
            parsed = python_ast(f).body
            nodes += parsed
            reads |= {n.id for tree in parsed for n in _name_nodes(tree)}
        else:
            nodes.append(f)
            reads |= f.reads
            user_imports |= set(getattr(f, "imports", ()))
    helpers, pending = set(), [name for name in reads if name in HELPERS]
    while pending:
        name = pending.pop()
        if name not in helpers:
            helpers.add(name)
            pending += [n for n in _helper_tree(name)[1] if n in HELPERS]
    body = []
    if "math" in reads:
        body.append(ast.Import([ast.alias("math")]))
    if "np" in reads or helpers:
        body.append(ast.Import([ast.alias("numpy", "np")]))
    if "scipy" in reads:  # scipy.special: only where the user's function called it
        body.append(ast.Import([ast.alias("scipy.special")]))
    body += [node for line in sorted(user_imports) for node in python_ast(line).body]  # user primitives
    body += [copy.deepcopy(_helper_tree(name)[0]) for name in sorted(helpers)]
    return ast.Module(body + nodes, [])


@functools.lru_cache(maxsize=None)
def _helper_tree(name):
    """(the FunctionDef of HELPERS[name], the names it reads)."""
    (tree,) = python_ast(HELPERS[name]).body
    return tree, frozenset(n.id for n in _name_nodes(tree))


def _last_reads(ops):
    """name -> the index of the last statement in ops that reads it."""
    return {n: k for k, op in enumerate(ops) for n in free_vars(op)}


class _ReadLater:
    """The names read after statement k of a block (last: _last_reads of the block) or in any of outer, as a view:
    copying them at every if and loop made long blocks quadratic."""

    def __init__(self, last, k, *outer):
        self.last, self.k, self.outer = last, k, outer

    def __contains__(self, name):
        return self.last.get(name, -1) > self.k or any(name in o for o in self.outer)


class _Emitter:
    """Turns structured SSA back into plain Python: versions of one variable share a name where
    their lifetimes allow (loop state, branch results), temporaries used once are folded in."""

    def __init__(self, trace):
        trace = own_loop_state(trace)  # a loop updating an array it does not own copies it once, before
        self.trace = trace
        self.uses, self.use_block = {}, {}  # name -> times read (a result counts twice); name -> block of its last read
        self._count(trace.ops, trace.outputs, "top")
        self.alias, self.targets = {}, collections.Counter()  # targets: how many names share each variable
        self._coalesce(trace.ops, trace.outputs)
        taken = {p for p in trace.params if AUTO.match(p)}  # the only v-names not renumbered
        self.numbers = (f"v{k}" for k in itertools.count(1) if f"v{k}" not in taken)
        self.numbering, self.inlined = {}, {}
        self.emitted = {}  # trace name -> the variable name it is emitted as
        self.reads, self.sizes = {}, {}  # folded temporary -> the names its expression reads, its size
        self.alias_targets = set(self.alias.values())
        self.params = set(trace.params)
        self.assigned = {}  # names given a variable so far (not folded into an expression) -> their order
        self.names, self.fixed = [], set()  # the ast.Names made by self.name; the other names the code reads
        self.inplace = inplace_updates(trace)  # item assignments that change their array's own buffer
        for op in _updates(trace.ops):
            y1 = op.args[0]
            if op.outs[0] in self.inplace and op.outs[0] not in self.alias and y1.name not in self.params \
                    and self.final(y1.name) != op.outs[0]:
                self._alias(op.outs[0], self.final(y1.name))  # y[i] = e: one variable before and after
        self.alias_targets = set(self.alias.values())

    # ---- analysis -------------------------------------------------------------------------------------
    def _count(self, ops, results, block, result_weight=2):
        for op in ops:
            self._use(op.args, block, 1)
            if isinstance(op, Loop):
                if op.cond is not None:
                    self._count(op.cond.ops, op.cond.results, id(op.cond), result_weight=1)
                self._count(op.body.ops, op.body.results, id(op.body))
            elif isinstance(op, If):
                for b in op.blocks:
                    self._count(b.ops, b.results, id(b))
        self._use(results, block, result_weight)

    def _use(self, values, block, weight):
        for v in values:
            if isinstance(v, Var):
                self.uses[v.name] = self.uses.get(v.name, 0) + weight
                self.use_block[v.name] = block

    def final(self, n):
        if n not in self.alias:
            return n
        seen = set()
        while n in self.alias and n not in seen:
            seen.add(n)
            n = self.alias[n]
        return n

    def _coalesce(self, ops, results, live=frozenset()):
        """Let loop state and branch results live in one variable instead of copies.
        live: names read after this block (by the enclosing blocks, or by an enclosing loop's next pass)."""
        structured = [(k, op) for k, op in enumerate(ops) if isinstance(op, STRUCTURED)]
        if not structured:
            return
        defined_here = {n: op for op in ops if not isinstance(op, STRUCTURED) for n in op.outs}
        last, result_reads = _last_reads(ops), {v.name for v in results if isinstance(v, Var)}
        for k, op in structured:
            after = _ReadLater(last, k, result_reads, live)
            if isinstance(op, If):
                for block in op.blocks:
                    local = {n: o for o in block.ops if not isinstance(o, STRUCTURED) for n in o.outs}
                    for out, r in zip(op.outs, block.results):
                        if isinstance(r, Var) and r.name in local and self.uses.get(r.name) == 2 \
                                and r.name not in self.alias and len(local[r.name].outs) == 1:
                            self._alias(r.name, out)
                    self._coalesce(block.ops, block.results, after)
                self._coalesce_kept(op, defined_here, after)
            elif isinstance(op, Loop):
                body = op.body
                local = {n: (i, o) for i, o in enumerate(body.ops) if not isinstance(o, STRUCTURED) for n in o.outs}
                branch_outs = {n: (i, o) for i, o in enumerate(body.ops) if isinstance(o, If) for n in o.outs}
                body_last = _last_reads(body.ops)
                for j, (p, r) in enumerate(zip(op.carried, body.results)):
                    if not (isinstance(r, Var) and r.name in local and self.uses.get(r.name) == 2):
                        continue
                    i, o = local[r.name]
                    others = {v.name for jj, v in enumerate(body.results) if jj != j and isinstance(v, Var)}
                    if body_last.get(p, -1) <= i and p not in others and len(o.outs) == 1 and r.name not in self.alias:
                        self._alias(r.name, p)
                for j, (p, r) in enumerate(zip(op.carried, body.results)):  # state updated in a branch: if c: s = ...
                    if not (isinstance(r, Var) and r.name in branch_outs and self.uses.get(r.name) == 2):
                        continue
                    i, o = branch_outs[r.name]
                    others = {v.name for jj, v in enumerate(body.results) if jj != j and isinstance(v, Var)}
                    if body_last.get(p, -1) <= i and p not in others and r.name not in self.alias \
                            and all(_unread_once_set(b, o.outs.index(r.name), p) for b in o.blocks):
                        self._alias(r.name, p)
                for out, p in zip(op.outs, op.carried):
                    self._alias(out, p)
                claimed = set()
                inside = {n for blk in op.blocks for o in blk.ops for n in free_vars(o)}  # read by the loop itself
                inside |= {v.name for blk in op.blocks for v in blk.results if isinstance(v, Var)}
                for p, init in zip(op.carried, op.init):
                    if isinstance(init, Var) and init.name not in after and init.name not in claimed \
                            and init.name not in self.alias and init.name not in inside:
                        claimed.add(init.name)
                        if AUTO.match(init.name) and init.name in defined_here and not AUTO.match(p):
                            self._alias(init.name, p)  # a fresh temporary takes the loop variable's name
                        else:
                            self._alias(p, init.name)
                after = _ReadLater(last, k, result_reads, live, inside)
                if op.cond is not None:
                    self._coalesce(op.cond.ops, op.cond.results, after)
                self._coalesce(body.ops, body.results, after)

    def _alias(self, name, to):
        """Let name share to's variable."""
        if name in self.alias:
            self.targets[self.alias[name]] -= 1
        self.alias[name] = to
        self.targets[to] += 1

    def _coalesce_kept(self, op, defined_here, after):
        """A temporary that a branch yields unchanged takes the if's output name (``if c: y = y + d``, no else),
        unless it is read after the if or by another branch once that branch has assigned the output."""
        for i, out in enumerate(op.outs):
            for block in op.blocks:
                r = block.results[i]
                if not (isinstance(r, Var) and AUTO.match(r.name) and r.name in defined_here) or r.name in after \
                        or r.name in self.alias or self.targets[r.name] or out in self.alias:
                    continue
                if all(not self._read_once_assigned(b, i, out, r.name) for b in op.blocks if b is not block):
                    self._alias(r.name, out)
                    break

    def _read_once_assigned(self, block, i, out, name):
        """Does block read name after it assigns out (its i-th result, assigned early when it is an alias)?"""
        r = block.results[i]
        start = next((k + 1 for k, o in enumerate(block.ops) if isinstance(r, Var) and r.name in o.outs
                      and self.alias.get(r.name) == out), len(block.ops))
        later = set().union(*(free_vars(o) for o in block.ops[start:])) if start < len(block.ops) else set()
        others = [v for j, v in enumerate(block.results) if j != i]
        return name in later or any(isinstance(v, Var) and v.name == name for v in others)

    # ---- emission --------------------------------------------------------------------------------------
    def function(self, name, doc, returns):
        body = [ast.Expr(ast.Constant(doc))] if doc else []
        body += self.block(self.trace.ops, "top")
        outs = [self.value(v) for v in self.trace.outputs]
        if returns is None:
            returns = 0 if len(outs) == 1 else tuple(range(len(outs)))
        body.append(ast.Return(_pack(returns, outs)))
        args = ast.arguments(posonlyargs=[], args=[ast.arg(p) for p in self.trace.params], vararg=None,
                             kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])
        fn = ast.FunctionDef(name, args, body, [], None, lineno=0)
        renames = self._drop_version_suffixes(fn, set(self.trace.params))
        fn.reads = frozenset(renames.get(n, n) for n in self.fixed)
        return fn

    def _drop_version_suffixes(self, fn, params):
        """h_2 -> h, y_1_dot -> y_dot wherever the plain name is free: SSA versions read as the user's names.
        Of the versions that want one plain name, the first in fn's breadth-first walk gets it."""
        claims = _version_claims({n.id for n in self.names} | self.fixed, params)
        order = _first_seen(fn, {n for versions in claims.values() if len(versions) > 1 for n in versions})
        renames = {min(versions, key=lambda n: order.get(n, math.inf)): plain for plain, versions in claims.items()}
        nodes = self.names if self.fixed.isdisjoint(renames) else _name_nodes(fn)  # a helper's name changes: walk
        for node in nodes:
            if node.id in renames:
                node.id = renames[node.id]
        return renames

    def name(self, n, store=False):
        emitted = self.emitted.get(n)
        if emitted is None:
            emitted = self.emitted[n] = self.final(n)
            if AUTO.match(emitted) and emitted not in self.params:
                if emitted not in self.numbering:
                    self.numbering[emitted] = next(self.numbers)
                emitted = self.emitted[n] = self.numbering[emitted]
        node = ast.Name(emitted, _STORE if store else _LOAD)
        self.names.append(node)
        return node

    def operand(self, v):
        """(node, its size as ast.walk counts it, the names it reads) for an operand of an op."""
        if isinstance(v, Var):
            if v.name in self.inlined:
                return self.inlined.pop(v.name), self.sizes[v.name], self.reads[v.name]
            node = self.name(v.name)
            return node, 2, {node.id}  # the Name and its context
        node = self.value(v)
        if type(node) is ast.Constant:
            return node, 1, set()
        return node, _size(node), {n.id for n in _name_nodes(node)}

    def value(self, v):
        if isinstance(v, Var):
            node = self.inlined.pop(v.name, None)
            return node if node is not None else self.name(v.name)
        node = const_ast(v.value)
        if type(node) is not ast.Constant:  # a tuple, a negative number, np.inf
            self.fixed.update(n.id for n in _name_nodes(node))
        return node

    def peek(self, n):
        """The emitted name of n if it has one already (no new number is allocated)."""
        n = self.final(n)
        return self.numbering.get(n, n)

    def flush(self, assigned):
        """Folded expressions not used yet that read a variable about to be reassigned become statements."""
        stmts = []
        for temp, node in list(self.inlined.items()):
            if self.reads[temp] & assigned:
                del self.inlined[temp]
                stmts.append(ast.Assign([self.name(temp, store=True)], node, lineno=0))
        return stmts

    def block(self, ops, block_id):
        stmts = []
        release = self._release_points(ops) if block_id == "top" else {}
        pending = set()
        for k, op in enumerate(ops):
            if isinstance(op, (If, Loop)):
                stmts += self.flush({self.peek(n) for n in defined_names([op]) | set(op.outs)})
            if isinstance(op, If):
                stmts.append(ast.If(self.value(op.cond), self.branch(op.then, op.outs) or [ast.Pass()],
                                    self.branch(op.orelse, op.outs)))
            elif isinstance(op, Loop):
                stmts += self.loop(op)
            else:
                stmts += self.op(op, block_id)
            if release:
                pending |= release.get(k, set())
                stmts += self._release(pending)
        return stmts

    def _release_points(self, ops):
        """index of the statement that reads it last -> names of trace.release (arrays to free after it)."""
        if not self.trace.release:
            return {}
        last = {}
        for k, op in enumerate(ops):
            for n in free_vars(op):
                last[n] = k
        points = {}
        for n in self.trace.release:
            if n in last and n not in self.alias and n not in self.alias_targets:
                points.setdefault(last[n], set()).add(n)
        return points

    def _release(self, pending):
        """`del` for the pending names that have a variable and no folded expression still to read them."""
        waiting = set().union(*(self.reads[t] for t in self.inlined)) if self.inlined else set()
        ready = sorted((n for n in pending if n in self.assigned and self.peek(n) not in waiting), key=self.assigned.get)
        pending.difference_update(ready)
        pending.difference_update(n for n in list(pending) if n not in self.assigned and n not in self.inlined)
        if not ready:
            return []
        targets = [self.name(n) for n in ready]
        for t in targets:
            t.ctx = ast.Del()
        return [ast.Delete(targets, lineno=0)]

    def append(self, op):
        """lst2 = append(lst1, v) as `lst2.append(v)`, on lst1 itself when inplace_updates allows, else a copy."""
        lst, v = op.args
        value = self.value(v)
        source = self.value(lst)
        out = op.outs[0]
        stmts = self.flush({self.peek(out)} | ({self.peek(lst.name)} if isinstance(lst, Var) else set()))
        self.assigned[out] = len(self.assigned)
        if out not in self.inplace:
            source = ast.Call(ast.Attribute(source, "copy", _LOAD), [], [])
        if not (type(source) is ast.Name and out in self.inplace and self.final(lst.name) == self.final(out)):
            stmts.append(ast.Assign([self.name(out, store=True)], source, lineno=0))
        stmts.append(ast.Expr(ast.Call(ast.Attribute(self.name(out), "append", _LOAD), [value], [])))
        return stmts

    def update(self, op):
        """y2 = setitem(y1, e, *i) as `y2[i] = e` (addat: `y2[i] += g`), on y1's buffer when inplace_updates allows,
        else on a copy of it."""
        y1, e, dyn = op.args[0], op.args[1], op.args[2:]
        spec = op.kw["spec"]
        holes = [f"__i{k}" for k in range(len(dyn))]
        index = python_ast(f"__y[{_index_text(spec, holes)}]", mode="eval").body.slice
        operands = {h: self.value(d) for h, d in zip(holes, dyn)}
        for node in ast.walk(index):
            for field, value in ast.iter_fields(node):
                if isinstance(value, ast.Name) and value.id in operands:
                    setattr(node, field, operands[value.id])
                elif isinstance(value, list):
                    value[:] = [operands[v.id] if isinstance(v, ast.Name) and v.id in operands else v for v in value]
        if isinstance(index, ast.Name) and index.id in operands:
            index = operands[index.id]
        value = self.value(e)
        source = self.value(y1)
        out = op.outs[0]
        stmts = self.flush({self.peek(out)} | ({self.peek(y1.name)} if isinstance(y1, Var) else set()))
        self.assigned[out] = len(self.assigned)
        if out not in self.inplace:
            source = ast.Call(ast.Attribute(source, "copy", _LOAD), [], [])
        if not (type(source) is ast.Name and out in self.inplace and self.final(y1.name) == self.final(out)):
            stmts.append(ast.Assign([self.name(out, store=True)], source, lineno=0))
        target = ast.Subscript(self.name(out), index, _STORE)
        if op.prim == "setitem":
            stmts.append(ast.Assign([target], value, lineno=0))
        elif all(self.trace.shapes.get(d.name) == () for d in dyn if isinstance(d, Var)):
            stmts.append(ast.AugAssign(target, ast.Add(), value, lineno=0))  # no index can repeat: dx[i] += g
        else:
            self.fixed.add("_add_at")
            call = ast.Call(ast.Name("_add_at", _LOAD), [self.name(out), ast.Call(
                ast.Attribute(ast.Name("np", _LOAD), "s_", _LOAD), [], []), value], [])
            call.args[1] = ast.Subscript(ast.Attribute(ast.Name("np", _LOAD), "s_", _LOAD), index, _LOAD)
            self.fixed.add("np")
            stmts.append(ast.Expr(call))
        return stmts

    def op(self, op, block_id):
        if op.prim in ("setitem", "addat"):
            return self.update(op)
        if op.prim == "append":
            return self.append(op)
        if op.prim == "check":
            stmts = self.flush(set())
            message = op.kw.get("message")
            return stmts + [ast.Assert(self.value(op.args[0]), None if message is None else ast.Constant(message))]
        p = PRIMS[op.prim]
        build, own_size, own_names, hole_uses = _op_template(op.prim, (p.numpy, p.math), len(op.args), op.attrs,
                                                             repr(op.attrs))
        operands, size, reads = [], own_size, set(own_names)
        self.fixed |= own_names
        for a, uses in zip(op.args, hole_uses):  # the operands' sizes and names are known: no walk of the new tree
            node, n, names = self.operand(a)
            operands.append(node)
            if uses:
                size += n * uses
                reads |= names
        node = build(operands)
        if p.effect and not p.statement_value:
            return [ast.Expr(node)]
        out = op.outs[0]
        if (self.uses.get(out) == 1 and len(op.outs) == 1 and AUTO.match(out) and out not in self.alias
                and out not in self.alias_targets
                and self.use_block[out] == block_id and not p.statement and not p.effect
                and size <= MAX_INLINE_SIZE):
            self.inlined[out] = node
            self.reads[out], self.sizes[out] = reads, size
            return []
        targets = [self.name(n, store=True) for n in op.outs]
        for n in op.outs:
            self.assigned[n] = len(self.assigned)
        target = targets[0] if len(targets) == 1 else ast.Tuple(targets, ast.Store())
        return self.flush({t.id for t in targets}) + [ast.Assign([target], node, lineno=0)]

    def assign(self, names, values):
        """names = values, as one parallel assignment; pairs that are already the same variable drop out."""
        pairs = [(n, v) for n, v in zip(names, values) if not (isinstance(v, Var) and self.final(v.name) == self.final(n))]
        if not pairs:
            return []
        flushed = self.flush({self.peek(n) for n, _ in pairs})
        if flushed:
            return flushed + self.assign(names, values)
        if len(pairs) == 1:
            return [ast.Assign([self.name(pairs[0][0], store=True)], self.value(pairs[0][1]), lineno=0)]
        return [ast.Assign([ast.Tuple([self.name(n, store=True) for n, _ in pairs], ast.Store())],
                           ast.Tuple([self.value(v) for _, v in pairs], ast.Load()), lineno=0)]

    def branch(self, block, outs):
        return self.block(block.ops, id(block)) + self.assign(outs, block.results)

    def loop(self, op):
        stmts = self.assign(op.carried, op.init)
        body = self.block(op.body.ops, id(op.body)) + self.assign(op.carried, op.body.results)
        if op.cond is not None:
            test_stmts = self.block(op.cond.ops, id(op.cond))
            test = self.value(op.cond.results[0])
            if test_stmts:
                body = test_stmts + [ast.If(ast.UnaryOp(ast.Not(), test), [ast.Break()], [])] + body
                test = ast.Constant(True)
            stmts.append(ast.While(test, body or [ast.Pass()], []))
        else:
            bounds = [self.value(b) for b in op.bounds]
            if len(bounds) == 3 and isinstance(op.bounds[2], Const) and op.bounds[2].value == 1:
                bounds = bounds[:2]
            if len(bounds) == 2 and isinstance(op.bounds[0], Const) and op.bounds[0].value == 0:
                bounds = bounds[1:]
            it = ast.Call(ast.Name("range", ast.Load()), bounds, [])
            self.fixed.add("range")
            if op.backwards:
                it = ast.Call(ast.Name("reversed", ast.Load()), [it], [])
                self.fixed.add("reversed")
            stmts.append(ast.For(self.name(op.index, store=True), it, body or [ast.Pass()], [], lineno=0))
        return stmts


def _unread_once_set(block, k, p):
    """Is p read neither after the statement of block that makes its k-th result nor by its other results? Then
    that result may be written into p's variable (a branch's results may be assigned where they are made)."""
    r = block.results[k]
    made = next((i for i, o in enumerate(block.ops) if isinstance(r, Var) and r.name in o.outs), None)
    if made is None:
        return True  # assigned with the other results, in one parallel assignment at the branch's end
    later = set().union(*(free_vars(o) for o in block.ops[made + 1:]))
    return p not in later and all(not (isinstance(v, Var) and v.name == p) for j, v in enumerate(block.results) if j != k)


def _updates(ops):
    for op in ops:
        if isinstance(op, STRUCTURED):
            for b in op.blocks:
                yield from _updates(b.ops)
        elif op.prim in ("setitem", "addat", "append"):
            yield op


def emit_module(functions, header=None):
    """A standalone module: imports, inline helpers, then the functions' sources."""
    user_imports = set()  # import lines emit_function put before a function (user primitives), hoisted
    functions = [re.sub(r"^from \S+ import \w+\n+", lambda m: user_imports.add(m.group().strip()) or "", f,
                        flags=re.M) for f in functions]
    text = "\n\n".join(functions)
    calls = re.compile(r"\b(" + "|".join(map(re.escape, HELPERS)) + r")\(")  # one pass finds them all
    helpers, pending = set(), [text]
    while pending:
        for name in set(calls.findall(pending.pop())) - helpers:
            helpers.add(name)
            pending.append(HELPERS[name])
    helpers = [HELPERS[name] for name in sorted(helpers)]
    imports = []
    if "math." in text:
        imports.append("import math")
    if "np." in text or helpers:
        imports.append("import numpy as np")
    if "scipy.special." in text:
        imports.append("import scipy.special")
    imports += sorted(user_imports)  # user primitives: called from the module that defines them
    parts = []
    if imports:
        parts.append("\n".join(imports) + "\n")
    parts += [h.strip() + "\n" for h in helpers]
    parts += functions
    body = "\n\n".join(p.rstrip("\n") + "\n" for p in parts)
    return (header.rstrip() + "\n\n" if header else "") + body


def _version_claims(names, params):
    """plain name -> the versioned names (h_2 for h, y_1_dot for y_dot) that could take it: it is free."""
    taken = names | params | reserved_names()  # h_1 stays h_1 where h is a helper the code calls
    claims = {}
    for n in names:
        plain = VERSION.sub("", n)
        if plain != n and n not in params and plain not in taken:
            claims.setdefault(plain, []).append(n)
    return claims


def _first_seen(tree, names):
    """name -> the position of its first occurrence in tree's breadth-first walk, for each of names. The walk
    stops when all are found: they are assigned, so they occur near the top."""
    found, level, k = {}, [tree], 0
    while level and len(found) < len(names):
        for node in level:
            if type(node) is ast.Name and node.id in names and node.id not in found:
                found[node.id] = k
            k += 1
        level = [child for node in level for child in _children(node)]
    return found


VERSION = re.compile(r"_\d+(?=_|$)")
COMMENT = re.compile(r'^( *)"""# (.*)"""$', re.M)


def _pack(spec, outs):
    if isinstance(spec, int):
        return outs[spec]
    return ast.Tuple([_pack(s, outs) for s in spec], ast.Load())


@functools.lru_cache(maxsize=4096)
def _op_template(prim, templates, n, attrs, attrs_repr):
    """(*_template, how often each operand occurs) for an op with n operands. templates: the primitive's
    (numpy, math) templates, which may change (a test swaps one); attrs_repr tells apart attributes that compare
    equal but print differently (1, 1.0 and True)."""
    p = PRIMS[prim]
    kw = dict(attrs)
    holes = [f"__a{i}" for i in range(n)]
    build, size, names, uses = _template(p.source(holes, kw, kw.pop("lib", "np")))
    return build, size, names, tuple(uses[h] for h in holes)


@functools.lru_cache(maxsize=4096)
def _template(source):
    """A primitive's expression with holes __a0, __a1, ..., parsed once per distinct text: (_builder of its
    tree, its size without the holes, the names it reads itself, hole -> how often it occurs)."""
    tree = python_ast(source, mode="eval").body
    names = [n.id for n in _name_nodes(tree)]
    uses = collections.Counter(n for n in names if n.startswith("__a"))
    own = [n for n in names if not n.startswith("__a")]
    return _builder(tree), _size(tree) - 2 * sum(uses.values()), frozenset(own), uses


def _builder(tree):
    """operands -> a fresh copy of tree with each hole __aK replaced by operands[K]: the copying written out
    once as a Python expression, faster than walking the tree per op. Operators, contexts (nodes without
    fields) and field values that are not nodes are shared, as Python's own parser shares them."""
    shared = []

    def code(node):
        if type(node) is ast.Name and node.id.startswith("__a"):
            return f"operands[{node.id[3:]}]"
        if type(node) is list:
            return "[" + "".join(code(x) + ", " for x in node) + "]"
        if isinstance(node, ast.AST) and node._fields:
            return f"ast.{type(node).__name__}(" + ", ".join(code(getattr(node, f, None)) for f in node._fields) + ")"
        shared.append(node)
        return f"shared[{len(shared) - 1}]"

    return eval("lambda operands: " + code(tree), {"ast": ast, "shared": shared})


def _name_nodes(tree):
    """Every ast.Name in tree, in ast.walk's (breadth-first) order; faster than ast.walk."""
    queue = collections.deque([tree])
    while queue:
        node = queue.popleft()
        if type(node) is ast.Name:
            yield node
        queue.extend(_children(node))


def _children(node):
    """The AST nodes directly below node (ast.iter_child_nodes, without its generator overhead)."""
    children = []
    for f in node._fields:
        value = getattr(node, f, None)
        if type(value) is list:
            children.extend(x for x in value if isinstance(x, ast.AST))
        elif isinstance(value, ast.AST):
            children.append(value)
    return children


def const_ast(value):
    if isinstance(value, tuple):
        return ast.Tuple([const_ast(x) for x in value], ast.Load())
    if isinstance(value, float) and not math.isfinite(value):
        node = ast.Attribute(ast.Name("np", ast.Load()), "nan" if math.isnan(value) else "inf", ast.Load())
        return ast.UnaryOp(ast.USub(), node) if value < 0 else node
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
        return ast.UnaryOp(ast.USub(), ast.Constant(-value))
    return ast.Constant(value)


def _size(tree):
    """Number of nodes in tree, as ast.walk counts them."""
    count, stack = 0, [tree]
    while stack:
        count += 1
        stack.extend(_children(stack.pop()))
    return count
