"""Expressions: names, literals, arithmetic, comparisons, boolean logic, conditional expressions, dicts,
attributes, and list comprehensions and generator expressions (compiled to loops).
"""

import ast

from ..trace import Block, Const, If, Var
from .inlining import Instance
from .tables import ATTRIBUTES, CONSTANTS


class Expressions:
    """The Parser's expressions: expr(e, env) dispatches on the node's type to expr_<Type>."""

    def load(self, node, env):
        if node.id in env:
            if isinstance(env[node.id], Instance):
                raise self.m.error(node, f"{node.id} (the instance) can only be read as {node.id}.attribute or "
                                   f"called as {node.id}.method(...)", f"read the values you need, e.g. "
                                   f"{node.id}.W, or pass them as parameters")
            return env[node.id]
        if node.id in self.m.constants:
            return Const(self.m.constants[node.id])
        dotted = self.m.aliases.get(node.id, node.id)
        if dotted in CONSTANTS:
            return Const(CONSTANTS[dotted])
        if node.id in self.maybe_undefined:
            where = self.maybe_undefined[node.id]
            raise self.m.error(node, f"{node.id!r} may be undefined here: it is assigned only on some paths "
                               f"through the statement on line {where.lineno}",
                               f"assign {node.id} before line {where.lineno} (e.g. {node.id} = 0.0)")
        raise self.m.error(node, f"unknown name {node.id!r}", "define it before use or pass it as a parameter")

    def expr(self, e, env):
        self.deepest = e  # where a RecursionError is reported
        method = getattr(self, "expr_" + type(e).__name__, None)
        if method is None:
            raise self.m.error(e, *UNSUPPORTED_EXPRESSIONS.get(type(e), (
                f"{type(e).__name__} expressions are not supported", "use arithmetic and NumPy calls")))
        return method(e, env)

    def expr_Name(self, e, env):
        return self.load(e, env)

    def expr_Constant(self, e, env):
        if isinstance(e.value, (int, float)) or e.value is None:
            return Const(e.value)
        raise self.m.error(e, f"{type(e.value).__name__} constants are not supported", "use numbers")

    def expr_Tuple(self, e, env):
        return tuple(self.expr(x, env) for x in e.elts)

    def expr_List(self, e, env):
        """A list literal is a tuple of its values (a list that a loop appends to is refused there)."""
        return tuple(self.expr(x, env) for x in e.elts)

    def expr_BinOp(self, e, env):
        prim = BINOPS.get(type(e.op))
        if prim is None:
            raise self.m.error(e, f"operator {type(e.op).__name__} is not supported", "use + - * / // % ** @")
        if isinstance(e.op, ast.Add) and (self.is_sequence(e.left) or self.is_sequence(e.right)):
            return self.joined(e, env)
        return self.b.emit(prim, (self.operand(e.left, env), self.operand(e.right, env)))

    def is_sequence(self, node):
        """Is node, by its form, a Python list or tuple (a literal, list(...), or a name holding one)? Remembered
        per node: a chain a + b + c + ... asks again at every level."""
        found = self.sequence_forms.get(node)
        if found is None:
            found = isinstance(node, (ast.List, ast.Tuple)) or isinstance(node, ast.Call) and \
                self.dotted(node.func) == "list" or isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and \
                (self.is_sequence(node.left) or self.is_sequence(node.right))
            self.sequence_forms[node] = found
        return found

    def joined(self, e, env):
        """a + b of Python sequences: their items in order (tuples and list literals stay tuples; integer
        positions made by list(range(...)) are joined with np.concatenate)."""
        kinds = {type(n) for n in (e.left, e.right)}
        if kinds == {ast.List, ast.Tuple}:
            raise self.m.error(e, "a list and a tuple cannot be added (Python raises a TypeError)",
                               "write both as lists: [a, b] + [c]")
        a, b = self.expr(e.left, env), self.expr(e.right, env)
        if isinstance(a, tuple) and isinstance(b, tuple):
            return a + b
        parts = []
        for v, node in ((a, e.left), (b, e.right)):
            if isinstance(v, tuple) and not v:
                continue
            if not (isinstance(v, tuple) or isinstance(v, Var) and v.name in self.sequences):
                raise self.m.error(node, "+ of a list and a value that is not a list joins sequences in Python",
                                   "write both sides as lists, e.g. list(range(j)) + list(range(j + 1, n))")
            parts.append(self.as_value(v, node))
        if len(parts) == 1:
            return parts[0]
        joined = self.b.emit("concatenate", tuple(parts), {"axis": 0})
        self.sequences.add(joined.name)
        return joined

    def expr_UnaryOp(self, e, env):
        if isinstance(e.op, ast.USub):
            return self.b.emit("neg", (self.operand(e.operand, env),))
        if isinstance(e.op, ast.UAdd):
            return self.operand(e.operand, env)
        if isinstance(e.op, ast.Not):
            return self.b.emit("logical_not", (self.value(e.operand, env),))
        raise self.m.error(e, f"unary {type(e.op).__name__} is not supported", "use comparisons inside np.where")

    def expr_IfExp(self, e, env):
        cond = self.value(e.test, env)
        (_, a), ops_a = self.nested(env, e.body)
        (_, b), ops_b = self.nested(env, e.orelse)
        out = self.names.fresh()
        self.b.add(If((out,), cond, Block(ops_a, (a,)), Block(ops_b, (b,))))
        return Var(out)

    def expr_BoolOp(self, e, env):
        if all(map(_boolean, e.values)):  # conditions: the value is True or False
            prim = "logical_and" if isinstance(e.op, ast.And) else "logical_or"
            values = [self.value(v, env) for v in e.values]
            result = values[0]
            for v in values[1:]:
                result = self.b.emit(prim, (result, v))
            return result
        # `a or b` is a if a else b, and `a and b` is b if a else a: the value is an operand, with its derivative.
        result = self.value(e.values[0], env)
        for operand in e.values[1:]:
            (_, other), ops = self.nested(env, operand)
            keep, evaluate = Block((), (result,)), Block(ops, (other,))
            out = self.names.fresh()
            self.b.add(If((out,), result, *((keep, evaluate) if isinstance(e.op, ast.Or) else (evaluate, keep))))
            result = Var(out)
        return result

    def expr_Compare(self, e, env):
        if len(e.ops) != 1:
            raise self.m.error(e, "chained comparisons are not supported", "compare two values at a time")
        prim = COMPARISONS.get(type(e.ops[0]))
        if prim is None:
            raise self.m.error(e, f"comparison {type(e.ops[0]).__name__} is not supported", "use < <= > >= == !=")
        return self.b.emit(prim, (self.operand(e.left, env), self.operand(e.comparators[0], env)))

    def expr_Attribute(self, e, env):
        if isinstance(e.value, ast.Name) and isinstance(env.get(e.value.id), Instance):
            return self.self_attribute(e, env[e.value.id])
        dotted = self.dotted(e)
        if dotted in CONSTANTS:
            return Const(CONSTANTS[dotted])
        if e.attr in ATTRIBUTES:
            value = self.value(e.value, env)
            return self.static_size(ATTRIBUTES[e.attr], value) or self.b.emit(ATTRIBUTES[e.attr], (value,))
        raise self.m.error(e, f"attribute {e.attr!r} is not supported", "use .T, .shape, .size or .ndim")

    def expr_Dict(self, e, env):
        """{"a": x, "b": y}: a record of values under constant string keys, read as d["a"] (no derivative of
        its own: each value keeps its derivative)."""
        record = Record()
        for k, v in zip(e.keys, e.values):
            if k is None or not (isinstance(k, ast.Constant) and isinstance(k.value, str)):
                raise self.m.error(k or v, "a dict's keys must be string literals here",
                                   "write {\"a\": x, \"b\": y} and read d[\"a\"], or pass arrays as separate parameters")
            record[k.value] = self.expr(v, env)
        return record

    def fold(self, e, arg, env, prim, start):
        """start combined (prim: add, mul, maximum, minimum) with each item of arg, in order: a comprehension
        or generator becomes a for loop; a tuple is combined item by item; an array along its first axis
        (a loop for a product; np.sum, np.max, np.min with axis=0 else)."""
        if isinstance(arg, (ast.GeneratorExp, ast.ListComp)):
            return self.comprehension_loop(arg, env, prim, start)
        value = self.expr(arg, env)
        if isinstance(value, tuple):
            items = [self.as_value(v, arg) for v in value]
            if prim in ("maximum", "minimum"):
                if not items:
                    raise self.m.error(arg, f"{ast.unparse(e.func)}() of an empty sequence", "pass values")
                start, items = items[0], items[1:]
            result = start
            for v in items:
                result = self.b.emit(prim, (result, v))
            return result
        array = self.as_value(value, arg)
        if isinstance(array, Const):
            raise self.m.error(arg, f"cannot iterate over the number {array.value!r}", "pass an array or a generator")
        if prim == "mul":  # no product reduction with a derivative at zeros: the loop Python runs
            item = ast.Name(self.fresh_key(arg, env, "item"), ast.Load())
            gen = ast.GeneratorExp(item, [ast.comprehension(ast.Name(item.id, ast.Store()), arg, [], 0)])
            return self.comprehension_loop(_located(gen, arg), env, prim, start)
        reduced = self.b.emit({"add": "sum", "maximum": "max", "minimum": "min"}[prim], (array,), {"axis": 0})
        return self.b.emit("add", (start, reduced)) if prim == "add" else reduced

    def fresh_key(self, node, env, base):
        """A name for a value of a desugared loop: not in env, not read in node."""
        used = set(env) | {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        name, k = base, 0
        while name in used:
            k += 1
            name = f"{base}_{k}"
        return name

    def comprehension_loop(self, gen, env, prim, start):
        """The comprehension's `for`s and `if`s as nested for loops and ifs that combine its items into an
        accumulator: a loop in the generated code whatever the number of items."""
        if any(c.is_async for c in gen.generators):
            raise self.m.error(gen, "async comprehensions are not supported", "use a plain for")
        acc = self.fresh_key(gen, env, {"add": "total", "mul": "product", "maximum": "largest",
                                        "minimum": "smallest"}[prim])
        read = _located(ast.Name(acc, ast.Load()), gen)
        if prim in ("add", "mul"):
            update = ast.BinOp(read, ast.Add() if prim == "add" else ast.Mult(), gen.elt)
        else:
            update = ast.Call(ast.Name(f"_wengert_{prim}", ast.Load()), [read, gen.elt], [])
        body = [ast.Assign([ast.Name(acc, ast.Store())], update)]
        for c in reversed(gen.generators):
            for cond in reversed(c.ifs):
                body = [ast.If(cond, body, [])]
            body = [ast.For(c.target, c.iter, body, [], None)]
        loop = _located(body[0], gen)
        inner = dict(env)
        inner[acc] = start
        self.loop_statement(loop, inner)
        return inner[acc]

    def sum_of_list(self, comp, env):
        """np.sum([e for ...]): the sum of np.sum(e) over the comprehension's items, in a loop."""
        elt = _located(ast.Call(ast.Attribute(ast.Name("numpy", ast.Load()), "sum", ast.Load()), [comp.elt], []),
                       comp.elt)
        inner = {k: v for k, v in env.items()}
        if "numpy" in inner or self.m.aliases.get("numpy", "numpy") != "numpy":
            raise self.m.error(comp, "np.sum of a list comprehension needs the name numpy free",
                               "write sum(np.sum(e) for ...)")
        return self.comprehension_loop(_located(ast.GeneratorExp(elt, comp.generators), comp), inner, "add", Const(0.0))

    def expr_ListComp(self, e, env):
        """[elt for ... if ...]: a list made by a for loop that appends (hs = []; for ...: hs.append(elt)), so a
        comprehension over range(n) is a loop in the generated code whatever n is."""
        if any(c.is_async for c in e.generators):
            raise self.m.error(e, "async comprehensions are not supported", "use a plain for")
        acc = self.fresh_key(e, env, "items")
        body = [ast.Expr(ast.Call(ast.Attribute(ast.Name(acc, ast.Load()), "append", ast.Load()), [e.elt], []))]
        for c in reversed(e.generators):
            for cond in reversed(c.ifs):
                body = [ast.If(cond, body, [])]
            body = [ast.For(c.target, c.iter, body, [], None)]
        loop = _located(body[0], e)
        inner = dict(env)
        inner[acc], inner[("obj", acc)] = (), object()
        self.loop_statement(loop, inner)
        return inner[acc]

    def expr_GeneratorExp(self, e, env):
        raise self.m.error(e, "a generator expression is supported only as the argument of sum, max, min, "
                           "math.fsum or math.prod", "write sum(x[i] ** 2 for i in range(n))")


def _located(node, ref):
    """node (a tree built by the parser) with ref's location wherever it has none."""
    for n in ast.walk(node):
        if "lineno" in n._attributes and not hasattr(n, "lineno"):
            ast.copy_location(n, ref)
    return node


class Record(dict):
    """The value of a dict literal with string keys: each key's parsed value (read-only)."""


def _boolean(node):
    """Is the expression True or False by its form (a comparison, not, and/or of those, a bool literal)?"""
    return isinstance(node, ast.Compare) or isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not) or \
        isinstance(node, ast.BoolOp) and all(map(_boolean, node.values)) or \
        isinstance(node, ast.Constant) and isinstance(node.value, bool)


BINOPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow", ast.MatMult: "matmul",
          ast.Mod: "mod", ast.FloorDiv: "floordiv"}
COMPARISONS = {ast.Lt: "less", ast.LtE: "less_equal", ast.Gt: "greater", ast.GtE: "greater_equal",
               ast.Eq: "equal", ast.NotEq: "not_equal"}
UNSUPPORTED_EXPRESSIONS = {
    ast.Lambda: ("lambda is not supported", "define a helper function with def at module level"),
    ast.Yield: ("yield is not supported", "return a value instead"),
    ast.YieldFrom: ("yield is not supported", "return a value instead"),
    ast.GeneratorExp: ("generator expressions are not supported", "use array operations"),
    ast.DictComp: ("dict comprehensions are not supported", "use array operations"),
    ast.SetComp: ("set comprehensions are not supported", "use array operations"),
    ast.JoinedStr: ("strings are not supported", "compute numbers only"),
    ast.Await: ("await is not supported", "compute numbers only"),
    ast.Starred: ("*args unpacking is not supported", "pass arguments one by one"),
    ast.NamedExpr: ("the walrus operator is not supported", "use a separate assignment"),
    ast.Set: ("sets are not supported", "use a tuple, or np.stack((a, b))"),
}
