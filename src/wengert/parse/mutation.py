"""Assignments: names bound to values (with unpacking), in-place changes (y[i] = ..., list.append), and the
tokens that say which names hold one array, so that a change through one name is a change of the array every
such name holds.
"""

import ast

from ..trace import Const, Var
from .expressions import Record
from .indexing import Nonzero
from .inlining import Instance
from .specialize import fresh_array
from .statements import _appended


class Mutation:
    """The Parser's assignments, and in-place changes through a name: y[i] = ..., ys.append(...)."""

    def mutation_error(self, target, env):
        """The error for an assignment to an attribute (of the instance, or of anything else)."""
        base = target.value
        if isinstance(base, ast.Name) and isinstance(env.get(base.id), Instance):
            return self.m.error(target, f"assigning to {ast.unparse(target)} mutates the instance, which is not "
                                "supported", f"assign to a local name instead, e.g. {target.attr} = ..., and "
                                "return what the caller needs")
        return self.m.error(target, "cannot assign to an attribute", "assign to a plain name")

    def assign(self, target, value, env, source):
        if isinstance(target, ast.Name) and isinstance(env.get(target.id), Instance):
            raise self.m.error(target, f"assigning to {target.id} (the instance) is not supported",
                               "use another name")
        if isinstance(value, Var):
            value = self.renamed.get(value.name, value)
        if isinstance(target, ast.Name):
            if isinstance(value, tuple):
                env[target.id] = value
                self.bind_token(target.id, env, source)
                return
            if self._temporary(value):
                env[target.id] = self._rename(value, target.id)
            else:
                env[target.id] = value
            if isinstance(env[target.id], Var):
                self.lineno.setdefault(env[target.id].name, target.lineno)
            self.bind_token(target.id, env, source)
        elif isinstance(target, (ast.Tuple, ast.List)):
            if isinstance(value, tuple):
                if len(value) != len(target.elts):
                    raise self.m.error(target, f"cannot unpack {len(value)} values into {len(target.elts)} names",
                                       "match the number of names to the number of values")
                parts = value
            elif isinstance(value, Nonzero):
                parts = [self.b.emit("nonzero", (value.mask,), {"axis": i}) for i in range(len(target.elts))]
            elif isinstance(value, Const):
                raise self.m.error(target, f"cannot unpack the number {value.value!r} into "
                                   f"{len(target.elts)} names", "assign a tuple of values, e.g. a, b = 1.0, 2.0")
            else:
                parts = [self.b.emit("index", (value,), {"spec": (("int", i),)}) for i in range(len(target.elts))]
            for t, v in zip(target.elts, parts):
                self.assign(t, v, env, source)
        elif isinstance(target, ast.Attribute):
            raise self.mutation_error(target, env)
        elif isinstance(target, ast.Subscript):
            self.item_assignment(target, value, env, source)
        else:
            raise self.m.error(target, f"cannot assign to {type(target).__name__}", "assign to a plain name")

    # y[i] = e is y = setitem(y, e, i): a new value for every name of the array (Python's names refer to one
    # object). Which names hold one array is followed with tokens: env[("obj", name)] is the same object()
    # for names known to hold the same array, and no other name holds that array or a view of it. A name gets
    # one when it is bound to a new array (a constructor, arithmetic, a copy) or to another such name (b = a);
    # not when it holds a view (X[0], X.T), a parameter, or a value another name holds too (then which of them
    # is the same array is not known). Changing an array without a token is refused, except a parameter of the
    # differentiated function that no other name holds: that is copied once, so the caller's array stays.
    changed = frozenset()  # tokens of the arrays changed in the loop body being parsed

    def item_assignment(self, target, value, env, source, aug=None):
        base = target.value
        if isinstance(base, ast.Attribute):
            raise self.mutation_error(base, env)
        if not isinstance(base, ast.Name):
            raise self.m.error(target, "only an item of a named array can be assigned",
                               "name the array first: y = ...; y[i] = e")
        y = self.load(base, env)
        if isinstance(y, Record):
            raise self.m.error(target, f"assigning into the dict {base.id} is not supported (a dict is read-only "
                               "here)", f"build it with all its keys at once: {base.id} = {{\"a\": x, \"b\": y}}")
        if not isinstance(y, Var):
            raise self.m.error(base, f"{base.id} is not an array here: items of "
                               f"{'a tuple' if isinstance(y, tuple) else 'a number'} cannot be assigned",
                               "assign into an array, e.g. y = np.zeros(n); y[i] = e")
        token = env.get(("obj", base.id))
        if token is None:
            holders = [n for n in env if isinstance(n, str) and n != base.id and env[n] == y]
            if len(self.calls) == 1 and y.name in self.params and not holders:
                y = self.b.emit("copy", (y,), share=False)  # the caller's array is never changed
                env[base.id], token = y, object()
                env[("obj", base.id)] = token
            elif len(self.calls) > 1 and y.name in self.frame_params[-1]:
                raise self.m.error(target, f"changing the argument {base.id} of {self.calls[-1]} would change the "
                                   "caller's array, which is not supported",
                                   f"change a copy and return it: {base.id} = {base.id}.copy()")
            else:
                also = f" (so is {holders[0]})" if holders else ""
                raise self.m.error(target, f"{base.id} may share its memory with another array here{also}: a view "
                                   "such as X[0] or X.T, or one value under two names; changing it would change "
                                   "the other too, which wengert does not follow",
                                   f"change a copy: {base.id} = {base.id}.copy() before this line (or assign "
                                   "into the original array)")
        items = target.slice.elts if isinstance(target.slice, ast.Tuple) else [target.slice]
        spec, dynamic = [], []
        for item in items:
            spec.append(self.index_item(item, env, dynamic, sole=len(items) == 1))
        spec, dynamic = tuple(spec), tuple(dynamic)
        if aug is not None:
            old = self.b.emit("index", (y,) + dynamic, {"spec": spec})
            value = self.b.emit(aug, (old, self.as_value(value, source)))
        new = self.b.emit("setitem", (y, self.as_value(value, source)) + dynamic, {"spec": spec})
        if self._temporary(new):
            new = self._rename(new, base.id)
        self.lineno.setdefault(new.name, target.lineno)
        for n in [n for n in env if isinstance(n, str) and env.get(("obj", n)) is token]:
            env[n] = new
        self.changed = self.changed | {token}

    def append(self, call, env, loop):
        """xs.append(v) on a list made here (xs = [] or [a, b]): a new tuple for every name of the list."""
        name = call.func.value.id
        token = env.get(("obj", name))
        if token is None:
            raise self.m.error(call, f"{name} is not a list made in this function (or another name holds it)",
                               f"start it here: {name} = []")
        if loop is not None and name in self.loop_outer[-1] and not self.is_list(env[name]):
            raise self.m.error(call, f"appending to the list {name} in a loop is not supported yet",
                               f"write into an array instead: {name} = np.zeros((n, ...)) before the loop, "
                               f"{name}[i] = value in it")
        if call.keywords or len(call.args) != 1:
            raise self.m.error(call, ".append takes one value", f"write {name}.append(value)")
        value = self.expr(call.args[0], env)
        if self.is_list(env[name]):  # a list a loop appends to: a value of the trace
            new = self.b.emit("append", (env[name], self.as_value(value, call.args[0])))
            if self._temporary(new):
                new = self._rename(new, name)
            self.lists.add(new.name)
            self.changed = self.changed | {token}
        else:
            new = env[name] + (value,)
        for n in [n for n in env if isinstance(n, str) and env.get(("obj", n)) is token]:
            env[n] = new

    def is_list(self, value):
        return isinstance(value, Var) and value.name in self.lists

    def lists_for_loop(self, s, env):
        """Lists the loop body appends to become values of the trace (new_list, append), carried like arrays."""
        for name in _appended(s.body):
            token = env.get(("obj", name))
            if not isinstance(env.get(name), tuple) or token is None:
                continue
            value = self.b.emit("new_list", (), share=False)
            self.lists.add(value.name)
            for item in env[name]:
                value = self.b.emit("append", (value, self.as_value(item, s)))
                self.lists.add(value.name)
            for n in [n for n in env if isinstance(n, str) and env.get(("obj", n)) is token]:
                env[n] = value

    def bind_token(self, name, env, source):
        """Give name a token (see item_assignment) after name = source."""
        value = env[name]
        env.pop(("obj", name), None)
        if not self.m.mutates:
            return
        if isinstance(value, tuple) and isinstance(source, ast.List):
            env[("obj", name)] = object()  # a list the function may append to
            return
        if isinstance(value, tuple) and isinstance(source, ast.Name) and env.get(("obj", source.id)) is not None \
                and env.get(source.id) is value:
            env[("obj", name)] = env[("obj", source.id)]
            return
        if not isinstance(value, Var):
            return
        if isinstance(source, ast.Name) and source.id != name:
            token = env.get(("obj", source.id))
            if token is not None and env.get(source.id) == value:
                env[("obj", name)] = token
            return
        others = [n for n in env if isinstance(n, str) and n != name and env[n] == value]
        for n in others:
            env.pop(("obj", n), None)  # two names, one value: the same array or two equal ones, not known
        op = self.b.defs.get(value.name)
        if not others and op is not None and fresh_array(op):
            env[("obj", name)] = object()

    def aliases_changed(self, stmts, env):
        """The names holding the same array as one that stmts assign into (they change with it)."""
        tokens = {env[("obj", n)] for n in _appended(stmts) if env.get(("obj", n)) is not None}
        for s in stmts:
            for node in ast.walk(s):
                if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store) \
                        and isinstance(node.value, ast.Name) and env.get(("obj", node.value.id)) is not None:
                    tokens.add(env[("obj", node.value.id)])
        return [n for n in env if isinstance(n, str) and env.get(("obj", n)) in tokens]

    @staticmethod
    def _groups(env, names):
        """name -> the names of `names` holding the same array (by token), or None without a token."""
        by = {}
        for n in names:
            t = env.get(("obj", n))
            if t is not None:
                by.setdefault(id(t), set()).add(n)
        return {n: frozenset(by[id(env[("obj", n)])]) if env.get(("obj", n)) is not None else None for n in names}

    def merge_tokens(self, env, ends, names):
        """Tokens after a branch or loop whose ends are the environments `ends`: names keep one where every
        end agrees on which names hold the same array as they do."""
        visible = [n for n in env if isinstance(n, str)]
        groups = [self._groups(e, visible) for e in ends]
        fresh = {}
        for n in visible:
            env.pop(("obj", n), None)
            gs = {g[n] for g in groups}
            if len(gs) == 1 and None not in gs:
                env[("obj", n)] = fresh.setdefault(next(iter(gs)), object())

    def check_loop_tokens(self, s, start, end, changed):
        """A loop body assumed the arrays it changes are named as at its start; so must its next pass be."""
        visible = [n for n in start if isinstance(n, str)]
        g0, g1 = self._groups(start, visible), self._groups(end, visible)
        for n in visible:
            if start.get(("obj", n)) in changed and g0[n] != g1[n]:
                raise self.m.error(s, f"this loop changes the array {n} and also which names refer to it",
                                   f"keep one name per array in the loop, or copy: {n} = {n}.copy()")

    def _temporary(self, value):
        """Is value an op result the Builder named (v<k>), which the user's name may replace? Not one already
        named after a user's variable: a user may call a variable v8 too."""
        return isinstance(value, Var) and value.name in self.b.defs and value.name[:1] == "v" \
            and value.name[1:].isdigit() and value.name not in self.user_named

    def _rename(self, var, name):
        """The op just built for `var` gets the user's name (the first one; later ones become name_1, ...)."""
        new = self.names.fresh(name)
        op = self.b.defs[var.name]
        if self.b.ops and self.b.ops[-1] is op:
            self.b.ops[-1] = type(op)((new,), op.prim, op.args, op.attrs)
            self.b.defs[new] = self.b.ops[-1]
            self.b.shapes[new] = self.b.shapes.pop(var.name, new)
            if self.b.shapes[new] == var.name:
                self.b.shapes[new] = new
            key = (op.prim, op.args, op.attrs)  # the one memo entry that can name var: op's own
            if self.b.memo.get(key) == var:
                self.b.memo[key] = Var(new)
            del self.b.defs[var.name]
            self.renamed[var.name] = Var(new)
            self.user_named.add(new)
            return Var(new)
        return var
