"""Statements: return, if/elif/else, for and while loops (with break and continue), assert (the targets of an
assignment are bound in mutation.py).
What a loop body carries from pass to pass is found here (_LoopContext, _assigned).
"""

import ast
import contextlib

from ..trace import Block, Const, If, Loop, Value, Var
from .expressions import BINOPS, Record, UNSUPPORTED_EXPRESSIONS
from .module import _statements


# Python compiles at most 100 indentation levels and 20 nested loops; the derivative adds a few of its own.
MAX_BLOCK_NESTING = 80
MAX_LOOP_NESTING = 16


class Statements:
    """The Parser's statements: a block run in order, branches, loops and what they carry."""

    def run(self, stmts, env, loop):
        """Parse statements in order. Returns ("return", values) when they return, else ("end", env):
        the state at the end of the block (in a loop body, also where break/continue leave the pass)."""
        for i, s in enumerate(stmts):
            self.b.line = s.lineno  # every value a statement computes comes from its line
            if isinstance(s, ast.Return):
                if loop is not None:
                    raise self.m.error(s, "return inside a loop is not supported",
                                       "break out of the loop and return after it")
                return "return", self.return_values(s, env)
            if isinstance(s, (ast.Break, ast.Continue)):
                if loop is None:
                    raise self.m.error(s, f"{type(s).__name__.lower()} outside a loop", "remove it")
                if isinstance(s, ast.Break):
                    env = dict(env)
                    env[loop.flag] = Const(True)
                return "end", env
            if isinstance(s, ast.If) and _exits(s):
                return self.if_statement(s, env, loop, rest=stmts[i + 1:])
            self.statement(s, env, loop)
        return "end", env

    def return_values(self, stmt, env):
        if stmt.value is None:
            raise self.m.error(stmt, "return without a value", "return the cost, e.g. `return loss`")
        if len(self.calls) == 1 and not self.return_line:
            self.return_line = stmt.lineno  # where "returns 2 values" errors point
        value = self.expr(stmt.value, env)
        outputs = value if isinstance(value, tuple) else (value,)
        for v in outputs:
            if not isinstance(v, Value) or isinstance(v, Const) and not isinstance(v.value, (int, float)):
                got = "None" if isinstance(v, Const) and v.value is None else "this value"
                raise self.m.error(stmt.value, f"cannot return {got}: the return value must be a number "
                                   "or an array", "return the computed cost")
        return tuple(self.renamed.get(v.name, v) if isinstance(v, Var) else v for v in outputs)

    def nested(self, env, stmts_or_expr, loop=None):
        """Parse a block in a child builder: ((kind, result), ops)."""
        saved = self.b
        self.b = saved.child()
        where = stmts_or_expr if isinstance(stmts_or_expr, ast.expr) else next(iter(stmts_or_expr), None)
        try:
            with self.b, self.block_level(where):
                if isinstance(stmts_or_expr, ast.expr):
                    result = ("value", self.value(stmts_or_expr, env))
                else:
                    result = self.run(stmts_or_expr, env, loop)
            return result, tuple(self.b.ops)
        finally:
            self.b = saved

    @contextlib.contextmanager
    def block_level(self, node, loop=False):
        """One level deeper into branches (and loops): the derivative's source nests as deep, and Python
        compiles at most MAX_BLOCK_NESTING indented blocks and MAX_LOOP_NESTING loops inside each other."""
        self.levels = getattr(self, "levels", [0, 0])
        self.levels[0] += 1
        self.levels[1] += loop
        try:
            if node is not None and (self.levels[0] > MAX_BLOCK_NESTING or self.levels[1] > MAX_LOOP_NESTING):
                what = ("loops", MAX_LOOP_NESTING) if self.levels[1] > MAX_LOOP_NESTING else \
                    ("branches and loops (conditional expressions and inlined helpers count too)", MAX_BLOCK_NESTING)
                raise self.m.error(node, f"{what[0]} are nested more than {what[1]} levels deep here",
                                   "compute the inner part in a helper with fewer levels, or use np.where")
            yield
        finally:
            self.levels[0] -= 1
            self.levels[1] -= loop

    def if_statement(self, s, env, loop, rest=()):
        """if/elif/else, kept structured. With rest (statements after an if whose branch returns,
        breaks or continues), rest joins each branch that can fall through."""
        cond = self.value(s.test, env)
        if isinstance(cond, Const) and type(cond.value) in (bool, int) and self.calls[-1] in self.recursive:
            # a recursive function's base-case test on constants: only the branch taken is compiled
            stmts = list(s.body if cond.value else s.orelse)
            return self.run(stmts + (list(rest) if _falls_through(stmts) else []), env, loop)
        if self.calls[-1] in self.recursive and self.sizes is not None:
            self.undecided.setdefault(self.calls[-1], s.test)
        branches = []
        for stmts in (s.body, s.orelse):
            stmts = list(stmts) + (list(rest) if _falls_through(stmts) else [])
            branches.append(self.nested(dict(env), stmts, loop))
        (kind_t, then), ops_t = branches[0]
        (kind_e, orelse), ops_e = branches[1]
        if kind_t != kind_e:
            node = s if rest or kind_t == "return" else s
            raise self.m.error(node, "one branch returns and the other does not",
                               "return from both branches, or assign a value and return it after the if")
        if kind_t == "return":
            if len(then) != len(orelse):
                raise self.m.error(s, "the branches return different numbers of values", "return the same shape")
            outs = tuple(self.names.fresh() for _ in then)
            self.b.add(If(outs, cond, Block(ops_t, then), Block(ops_e, orelse)))
            return "return", tuple(Var(o) for o in outs)
        if rest or loop is not None and _exits(s):
            names = [n for n in loop.tracked] if loop is not None else []
        else:
            names = [n for n in _assigned(s.body + s.orelse) if n in env or (n in then and n in orelse)]
        names = [n for n in dict.fromkeys(names + self.aliases_changed(s.body + s.orelse, env))
                 if n in then and n in orelse]
        names = [n for n in names if isinstance(then[n], Value) or then[n] is not orelse[n]]  # an untouched tuple
        for n in names:
            if isinstance(then[n], Record) or isinstance(orelse[n], Record):
                raise self.m.error(s, f"{n} holds a dict that a branch assigns; branches can assign numbers and "
                                   "arrays only", "assign its values to names of their own in each branch")
            if not (isinstance(then[n], Value) and isinstance(orelse[n], Value)):
                raise self.m.error(s, f"{n} holds a tuple after a branch; branches can assign numbers and arrays "
                                   "only", f"assign its items to separate names in each branch, e.g. {n}0, {n}1 = ...")
        for n in set(then) ^ set(orelse) | {n for n in then if n not in env and n not in names}:
            if isinstance(n, str):
                self.maybe_undefined.setdefault(n, s)
        outs = tuple(self.names.fresh(n) for n in names)
        self.b.add(If(outs, cond, Block(ops_t, tuple(then[n] for n in names)),
                      Block(ops_e, tuple(orelse[n] for n in names))))
        self.lists.update(o for o, n in zip(outs, names) if self.is_list(then[n]) or self.is_list(orelse[n]))
        env.update({n: Var(o) for n, o in zip(names, outs)})
        self.merge_tokens(env, (then, orelse), names)
        for n, o in zip(names, outs):
            self.lineno.setdefault(o, s.lineno)
        return "end", env

    def loop_statement(self, s, env):
        """for i in range(...), for x in xs, while cond: a structured Loop carrying what the body assigns."""
        if s.orelse:
            raise self.m.error(s.orelse[0], f"{type(s).__name__.lower()} ... else is not supported",
                               "set a flag before break and test it after the loop")
        self.lists_for_loop(s, env)
        carried = [n for n in dict.fromkeys(_assigned(s.body) + self.aliases_changed(s.body, env)) if n in env]
        has_break = _contains(s.body, ast.Break)
        flag = self.names.fresh("broken") if has_break else None
        phis = {n: self.names.fresh(n) for n in carried}
        inits = [env[n] for n in carried]
        self.lists.update(phis[n] for n, v in zip(carried, inits) if self.is_list(v))
        for n, v in zip(carried, inits):
            if isinstance(v, Record):
                raise self.m.error(s, f"{n} holds a dict that this loop assigns again; loops can carry numbers and "
                                   "arrays only", f"carry its values under names of their own, e.g. {n}_a = {n}['a']")
            if isinstance(v, tuple):
                raise self.m.error(s, f"{n} holds a tuple; loops can carry numbers and arrays only",
                                   "unpack the tuple into separate names before the loop")
        body_env = dict(env)
        body_env.update({n: Var(p) for n, p in phis.items()})
        bounds, index, step, element = (), None, None, None
        if isinstance(s, ast.For):
            self.check_target(s.target)
            start, stop, step, element = self.iteration(s.iter, env)
            if element is None and not isinstance(s.target, ast.Name):
                raise self.m.error(s.target, "cannot unpack the integers of a range", "write for i in range(n)")
            index = self.names.fresh(s.target.id if element is None else "i")
            bounds = (start, stop, step)
            if element is None:
                body_env[s.target.id] = Var(index)
        tracked = carried + ([flag] if flag else [])
        if flag:
            body_env[flag] = Var(flag)
        loop = _LoopContext(tracked, flag)
        counter = None
        if flag and isinstance(s, ast.For):
            if not (isinstance(step, Const) and isinstance(step.value, int) and step.value != 0):
                raise self.m.error(s.iter, "a for loop with break needs a literal step", "write range(a, b, 1)")
            counter = self.names.fresh(index)
        saved = self.b
        self.b = saved.child()
        try:
            with self.b, self.block_level(s, loop=True):
                i_value = Var(counter) if counter else (Var(index) if index else None)
                if element is not None:
                    self.assign(s.target, element(i_value), body_env, s.iter)
                elif counter:
                    body_env[s.target.id] = i_value
                changed_before, self.changed = self.changed, set()
                at_start = dict(body_env)
                self.loop_outer.append({n for n in env if isinstance(n, str)})
                try:
                    kind, end = self.run(s.body, body_env, loop)
                finally:
                    self.loop_outer.pop()
                self.check_loop_tokens(s, at_start, end, self.changed)
                self.changed |= changed_before
                if kind != "end":
                    raise self.m.error(s, "return inside a loop is not supported",
                                       "break out of the loop and return after it")
                results = [end[n] for n in tracked]
                if counter:
                    results.append(self.b.emit("add", (i_value, step)))
            body = Block(tuple(self.b.ops), tuple(results))
            cond = None
            if isinstance(s, ast.While) or counter:
                self.b = saved.child()
                with self.b:
                    if isinstance(s, ast.While):
                        test = self.value(s.test, {**env, **{n: Var(p) for n, p in phis.items()}})
                    else:
                        less = "less" if step.value > 0 else "greater"
                        test = self.b.emit(less, (Var(counter), stop))
                    if flag:
                        test = self.b.emit("logical_and", (test, self.b.emit("logical_not", (Var(flag),))))
                cond = Block(tuple(self.b.ops), (test,))
        finally:
            self.b = saved
        names = [phis[n] for n in carried] + ([flag] if flag else [])
        init = list(inits) + ([Const(False)] if flag else [])
        if counter:
            names.append(counter)
            init.append(start)
        outs = tuple(self.names.fresh(n) for n in carried) + tuple(self.names.fresh(n) for n in names[len(carried):])
        self.b.add(Loop(outs, tuple(names), tuple(init), body, () if cond is not None else bounds,
                        None if cond is not None else index, cond))
        before = dict(env)
        self.lists.update(o for o, v in zip(outs, inits) if self.is_list(v))
        env.update({n: Var(o) for n, o in zip(carried, outs)})
        self.merge_tokens(env, (before, end), carried)
        for o in outs:
            self.lineno.setdefault(o, s.lineno)
        for n in _assigned(s.body):
            if n not in env:
                self.maybe_undefined.setdefault(n, s)

    def check_target(self, target):
        """A loop target is a name or a (nested) tuple of names."""
        if isinstance(target, ast.Name):
            return
        if isinstance(target, (ast.Tuple, ast.List)):
            for t in target.elts:
                self.check_target(t)
            return
        raise self.m.error(target, "the loop variable must be a name or a tuple of names",
                           "write for i in range(n), for x in xs or for i, (a, b) in enumerate(zip(xs, ys))")

    def range_args(self, it, env):
        if it.keywords or not 1 <= len(it.args) <= 3:
            raise self.m.error(it, "range takes 1 to 3 positional arguments", "write range(n)")
        parts = [self.value(a, env) for a in it.args]
        if len(parts) == 3 and isinstance(parts[2], Const) and parts[2].value == 0:
            raise self.m.error(it.args[2], "range() step must not be zero", "write a step of 1 or -1")
        return ([Const(0)] + parts + [Const(1)])[:3] if len(parts) == 1 else (parts + [Const(1)])[:3]

    def iteration(self, it, env):
        """(start, stop, step, element) of a for loop over it: element is None for range (the target is the
        index), else element(i) builds the item of pass i (a value, or a tuple for enumerate and zip)."""
        if isinstance(it, ast.Call) and self.dotted(it.func) == "range":
            return (*self.range_args(it, env), None)
        count, element = self.sequence(it, env)
        return Const(0), count, Const(1), element

    def sequence(self, it, env):
        """(number of items, item(i)) of an iterable: range, enumerate, zip, reversed, a tuple, or an array
        (its items along the first axis)."""
        kind = self.dotted(it.func) if isinstance(it, ast.Call) else None
        if kind == "range":
            start, stop, step = self.range_args(it, env)
            return (self.b.emit("range_len", (start, stop, step)),
                    lambda i: self.b.emit("add", (start, self.b.emit("mul", (i, step)))))
        if kind == "enumerate":
            starts = [kw.value for kw in it.keywords if kw.arg == "start"] + list(it.args[1:])
            if not it.args or len(it.args) + len(it.keywords) > 2 or len(starts) != len(it.args) + len(it.keywords) - 1:
                raise self.m.error(it, "enumerate takes an iterable and an optional start",
                                   "write enumerate(xs) or enumerate(xs, start=1)")
            start = self.value(starts[0], env) if starts else Const(0)
            count, item = self.sequence(it.args[0], env)
            return count, lambda i: (self.b.emit("add", (i, start)), item(i))
        if kind == "zip":
            if not it.args or it.keywords:
                raise self.m.error(it, "zip takes one or more iterables (and no keywords) here", "write zip(xs, ys)")
            parts = [self.sequence(a, env) for a in it.args]
            count = parts[0][0] if len(parts) == 1 else self.b.emit("builtin_min", tuple(c for c, _ in parts))
            return count, lambda i: tuple(item(i) for _, item in parts)
        if kind == "reversed":
            if len(it.args) != 1 or it.keywords:
                raise self.m.error(it, "reversed takes one iterable", "write reversed(xs)")
            count, item = self.sequence(it.args[0], env)
            return count, lambda i: item(self.b.emit("sub", (self.b.emit("sub", (count, Const(1))), i)))
        if isinstance(it, (ast.GeneratorExp, ast.ListComp)):
            raise self.m.error(it, "a loop over a comprehension is not supported",
                               "loop over what the comprehension loops over")
        value = self.expr(it, env)
        if isinstance(value, tuple) and any(isinstance(v, tuple) for v in value):
            raise self.m.error(it, "a loop over a tuple of tuples is not supported", "loop over an array")
        sequence = self.as_value(value, it)
        if isinstance(sequence, Const):
            raise self.m.error(it, f"cannot loop over the number {sequence.value!r}", "loop over range(n) or an array")
        return (self.b.emit("len", (sequence,)),
                lambda i: self.b.emit("index", (sequence, i), {"spec": (("arg", 1),)}))

    def statement(self, s, env, loop=None):
        if isinstance(s, ast.If):
            self.if_statement(s, env, loop)
        elif isinstance(s, (ast.For, ast.While)):
            self.loop_statement(s, env)
        elif isinstance(s, ast.Assign):
            value = self.expr(s.value, env)
            for target in s.targets:
                self.assign(target, value, env, s.value)
        elif isinstance(s, ast.AnnAssign) and s.value is not None:
            self.assign(s.target, self.expr(s.value, env), env, s.value)
        elif isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name):
            pass  # `y: float`: an annotation alone binds nothing
        elif isinstance(s, ast.AugAssign):
            if isinstance(s.target, ast.Attribute):
                raise self.mutation_error(s.target, env)
            prim = BINOPS.get(type(s.op))
            if isinstance(s.target, ast.Subscript) and prim is not None:
                self.item_assignment(s.target, self.expr(s.value, env), env, s.value, aug=prim)
                return
            if not isinstance(s.target, ast.Name):
                raise self.m.error(s, f"cannot update {type(s.target).__name__} in place", "assign to a plain name")
            if prim is None:
                raise self.m.error(s, f"augmented assignment {type(s.op).__name__} is not supported",
                                   "use += -= *= /= //= %= or write x = x <op> y")
            value = self.b.emit(prim, (self.load(s.target, env), self.expr(s.value, env)))
            self.assign(s.target, value, env, s)
        elif isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant) and isinstance(s.value.value, str):
            pass  # docstring
        elif isinstance(s, ast.FunctionDef) and not s.decorator_list:
            pass  # a local helper: inlined where it is called (check_closure refuses one reading local names)
        elif isinstance(s, ast.Pass):
            pass
        elif isinstance(s, ast.Assert):
            self.assertion(s, env)
        elif isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) and isinstance(s.value.func, ast.Attribute) \
                and s.value.func.attr == "append" and isinstance(s.value.func.value, ast.Name) \
                and (isinstance(env.get(s.value.func.value.id), tuple) or self.is_list(env.get(s.value.func.value.id))):
            self.append(s.value, env, loop)
        elif isinstance(s, ast.Expr) and (type(s.value) in UNSUPPORTED_EXPRESSIONS or isinstance(s.value, ast.Call)):
            self.expr(s.value, env)  # name the construct first: `yield x`, an unknown callee like os.system(...)
            raise self.m.error(s, *UNSUPPORTED_STATEMENTS[ast.Expr])
        else:
            raise self.m.error(s, *UNSUPPORTED_STATEMENTS.get(type(s), (
                f"{type(s).__name__} statements are not supported",
                "use assignments and a final return")))

    def assertion(self, s, env):
        """assert cond, "message": kept in the primal part of the generated code (no derivative)."""
        if s.msg is not None and not (isinstance(s.msg, ast.Constant) and isinstance(s.msg.value, str)):
            raise self.m.error(s.msg, "an assert's message must be a string literal here",
                               'write assert cond, "what went wrong"')
        test = self.expr(s.test, env)
        if isinstance(test, (tuple, Record)) and test:
            return  # a non-empty tuple or dict is true (assert (x > 0, "message") checks nothing, as in Python)
        cond = self.as_value(test, s.test)
        if isinstance(cond, Const) and cond.value and not isinstance(cond.value, tuple):
            return  # true when compiled: nothing to check
        self.b.emit("check", (cond,), {"message": s.msg.value if s.msg is not None else None}, share=False)


UNSUPPORTED_STATEMENTS = {
    ast.Try: ("try/except is not supported", "remove the try; differentiable code cannot catch exceptions"),
    ast.With: ("with blocks are not supported", "move the context manager outside the differentiated function"),
    ast.ClassDef: ("class definitions are not supported", "define classes outside the differentiated function"),
    ast.FunctionDef: ("nested function definitions are not supported", "define helpers at module level"),
    ast.Global: ("global declarations are not supported", "pass the value as a parameter and return results"),
    ast.Nonlocal: ("nonlocal declarations are not supported", "pass the value as a parameter and return results"),
    ast.Import: ("imports inside the function are not supported", "import at the top of the module"),
    ast.ImportFrom: ("imports inside the function are not supported", "import at the top of the module"),
    ast.Delete: ("del is not supported", "just stop using the variable"),
    ast.Raise: ("raise is not supported", "validate inputs before calling the differentiated function"),
    ast.Expr: ("a bare expression has no effect here (calls with side effects are not supported)",
               "assign the result to a name, or remove the statement"),
    ast.AsyncFunctionDef: ("async functions are not supported", "define plain helpers with def at module level"),
    ast.AsyncFor: ("async for is not supported", "use for i in range(n)"),
    ast.AsyncWith: ("async with is not supported", "move the context manager outside the differentiated function"),
    ast.AnnAssign: ("an annotation of an item or attribute without a value is not supported",
                    "assign a value, e.g. y: float = 0.0"),
}
for _name, _entry in [("Match", ("match statements are not supported", "use if/elif/else")),
                      ("TryStar", ("try/except* is not supported", "remove the try; differentiable code cannot "
                                   "catch exceptions"))]:
    if hasattr(ast, _name):  # Python 3.10 / 3.11 and later
        UNSUPPORTED_STATEMENTS[getattr(ast, _name)] = _entry


class _LoopContext:
    """What a loop body must yield at the end of each pass: the carried names (and the break flag)."""

    def __init__(self, tracked, flag):
        self.tracked, self.flag = tracked, flag


def _assigned(stmts):
    """Names assigned by the statements, nested blocks included, in order of first assignment."""
    names = {}
    for s in stmts:
        for node in _statements(s):
            targets = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                targets = [node.target]
            for t in targets:
                for n in ast.walk(t):
                    if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                        names.setdefault(n.id, None)
                    elif isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Store) and isinstance(n.value, ast.Name):
                        names.setdefault(n.value.id, None)  # y[i] = e gives y a new value
    return list(names)


def _appended(stmts):
    """Names of the lists stmts append to (name.append(...)), nested blocks included."""
    names = {}
    for s in stmts:
        for node in ast.walk(s):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "append" \
                    and isinstance(node.func.value, ast.Name):
                names.setdefault(node.func.value.id, None)
    return list(names)


def _contains(stmts, kind):
    """Does a break/continue/return of this loop level occur in stmts (not inside a nested loop)?"""
    for s in stmts:
        if isinstance(s, kind):
            return True
        if isinstance(s, ast.If) and (_contains(s.body, kind) or _contains(s.orelse, kind)):
            return True
        if kind is ast.Return and isinstance(s, (ast.For, ast.While)) and _contains(s.body, kind):
            return True
    return False


def _exits(s):
    return any(_contains(s.body + s.orelse, k) for k in (ast.Break, ast.Continue, ast.Return))


def _falls_through(stmts):
    """Can control reach the end of stmts (no return/break/continue on every path)?"""
    for s in stmts:
        if isinstance(s, (ast.Return, ast.Break, ast.Continue)):
            return False
        if isinstance(s, ast.If) and not _falls_through(s.body) and not _falls_through(s.orelse):
            return False
    return True
