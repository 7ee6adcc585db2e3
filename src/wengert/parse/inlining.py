"""Calls of the user's own functions and methods: inlined at the call site, so the trace stays one flat
function. A recursion whose depth constants or shapes fix is unrolled; any other is refused.
"""

import ast

from ..errors import NeedsSizes, WengertError
from ..trace import Var
from .module import _line, _parameters


class Inlining:
    """The Parser's calls of the user's own functions and methods, inlined."""

    def instance_of(self, node, cls):
        """The instance a method of cls reads (an Instance), or None for a staticmethod; other kinds refused."""
        kinds = {self.dotted(d) for d in node.decorator_list}
        if "staticmethod" in kinds:
            return None
        if "classmethod" in kinds or "property" in kinds:
            kind = "classmethod" if "classmethod" in kinds else "property"
            raise self.m.error(node, f"{node.name} is a {kind} of class {cls.name}; only plain methods (of an "
                               "instance) and staticmethods are supported",
                               f"make it a method def {node.name}(self, ...) and differentiate instance.{node.name}, "
                               "or a @staticmethod")
        if not node.args.posonlyargs + node.args.args:
            raise self.m.error(node, f"method {node.name} of class {cls.name} has no self parameter",
                               f"write def {node.name}(self, ...), or mark it @staticmethod")
        return Instance(cls)

    def self_attribute(self, e, instance):
        """self.attr read: a parameter whose value is read from the instance at call time."""
        method = self.m.method(instance.cls, e.attr)
        if method is not None and "property" not in {self.dotted(d) for d in method.decorator_list}:
            raise self.m.error(e, f"{ast.unparse(e)} is a method of class {instance.cls.name}: only calls of it "
                               "are supported", f"call it, e.g. {ast.unparse(e)}(...)")
        attr = e.attr
        if attr.startswith("__") and not attr.endswith("__"):  # Python mangles private names in a class body
            attr = f"_{instance.cls.name.lstrip('_')}{attr}"
        if attr not in instance.attrs:
            instance.attrs[attr] = self.names.fresh(f"{e.value.id}_{e.attr.strip('_') or 'attr'}")
        return Var(instance.attrs[attr])

    def self_method(self, e, instance, env):
        """self.name(...): the method the instance's class defines in this file, inlined."""
        name = e.func.attr
        helper = self.m.method(instance.cls, name)
        if helper is None:
            raise self.m.error(e, f"class {instance.cls.name} has no method {name!r} in this file",
                               "define the method in the class (or a base class in this file), or call a "
                               "function defined in this file")
        instance.methods[name] = helper
        cls = self.m.enclosing_class(helper)
        if self.instance_of(helper, cls) is None:  # a staticmethod: no self
            return self.inline(e, helper, env)
        return self.inline(e, helper, env, instance)

    def inline(self, e, helper, env, instance=None):
        """The call e of helper, inlined; with instance, helper is a method called as self.name(...)."""
        if helper.name not in self.recursive and _calls_itself(self, helper):
            self.recursive.add(helper.name)
        recursion = helper.name in self.calls
        if recursion:  # unrolled while constants (or the arguments' sizes) fix its depth
            if self.calls.count(helper.name) >= MAX_RECURSION:
                raise self.m.error(e, f"recursive call to {helper.name!r} goes deeper than {MAX_RECURSION} levels: "
                                   "wengert unrolls recursion whose depth constants or the arguments' shapes fix "
                                   "(a literal argument counted down, or a shape shrunk, to a base case tested with "
                                   "if); a depth that depends on data cannot be",
                                   "write the recursion as a loop, or pass its depth as a literal")
            self.unrolled += 1
            if self.unrolled > MAX_UNROLLED:
                raise self.m.error(e, f"the recursion of {helper.name!r} unrolls into more than {MAX_UNROLLED} "
                                   "calls here", "write the recursion as a loop, or call it on smaller arrays")
            if not self.calls.count(helper.name) > 1 and (_reads_shapes(helper) or _reads_shapes(self.top)):
                try:  # the outermost recursive call: a failure may only mean that the shapes are not numbers yet
                    return self.inline_call(e, helper, env, instance)
                except WengertError as err:
                    if isinstance(err, NeedsSizes) or self.sizes is not None and "nested more than" not in err.message:
                        raise
                    test = self.undecided.get(helper.name)
                    if self.sizes is not None and test is not None:
                        raise self.m.error(e, f"the recursion of {helper.name!r} does not end at compile time: its "
                                           f"test on line {test.lineno} ({ast.unparse(test)}) is not decided by "
                                           "the shapes of these arguments (a boolean mask's count, or data, is "
                                           "known only when it runs)",
                                           "index with positions so that shapes follow from the arguments' (cols "
                                           "= [k for k in range(n) if k != j]), or write the recursion as a loop"
                                           ) from err
                    if self.sizes is not None:
                        raise self.m.error(e, f"the recursion of {helper.name!r}, unrolled for these shapes, nests "
                                           f"deeper than Python compiles (one level per call): {err.message}",
                                           "write the recursion as a loop, or call it on smaller arrays") from err
                    raise NeedsSizes(f"the depth of the recursion of {helper.name!r} may depend on the shapes of "
                                     "its arguments, which are not known here", self.m.filename, e.lineno,
                                     e.col_offset, _line(self.m.lines, e.lineno),
                                     "from Python, call the derivative with arrays (it is compiled for each shape); "
                                     "on the command line give sizes, e.g. --shape A=4,4") from err
        return self.inline_call(e, helper, env, instance)

    def inline_call(self, e, helper, env, instance=None):
        self.check_signature(helper)
        self.check_closure(helper)
        inner = self.bind(e, helper, env, instance is not None)
        self.calls.append(helper.name)
        self.frame_params.append({v.name for v in inner.values() if isinstance(v, Var)})
        saved, self._current = self._current, helper
        try:
            if instance is not None:
                inner[_parameters(helper)[0].arg] = instance
            outputs = self.body(helper, inner)
        finally:
            self.calls.pop()
            self.frame_params.pop()
            self._current = saved
        return outputs[0] if len(outputs) == 1 else outputs

    _current = None

    def check_closure(self, helper):
        """A def inside a function is inlined like one at module level, so it must not read the enclosing
        function's names (a closure): inlined, such a name would be read from the module instead."""
        own = {a.arg for a in _parameters(helper)} | {n.id for n in ast.walk(helper) if isinstance(n, ast.Name)
                                                      and isinstance(n.ctx, ast.Store)}
        outer = self.m.parents.get(helper)
        while outer is not None:  # every enclosing function, not only the nearest
            if isinstance(outer, ast.FunctionDef):
                enclosing = {a.arg for a in _parameters(outer)} | {
                    n.id for n in ast.walk(outer) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
                for n in ast.walk(helper):
                    if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id not in own \
                            and n.id in enclosing:
                        raise self.m.error(n, f"{helper.name} reads {n.id} of the enclosing function {outer.name} "
                                           "(a closure), which is not supported",
                                           f"pass {n.id} to {helper.name} as an argument")
            outer = self.m.parents.get(outer)

    def bind(self, e, helper, env, method):
        """{parameter: value} of the call e of helper, as Python binds it: positional arguments, keywords,
        then the defaults (which must be constants: they are read from the source, as Python evaluates them
        once, at the def)."""
        a = helper.args
        positional = (a.posonlyargs + a.args)[1 if method else 0:]
        after = " after self" if method else ""
        for arg in e.args:
            if isinstance(arg, ast.Starred):
                raise self.m.error(arg, "*args unpacking is not supported", "pass arguments one by one")
        if len(e.args) > len(positional):
            raise self.m.error(e, f"{helper.name} takes {len(positional)} positional arguments{after} "
                               f"(got {len(e.args)})", "pass the right number of arguments")
        bound = {p.arg: self.expr(x, env) for p, x in zip(positional, e.args)}
        keywords = {p.arg for p in positional + a.kwonlyargs if p not in a.posonlyargs}
        for kw in e.keywords:
            if kw.arg is None:
                raise self.m.error(kw.value, "**kwargs unpacking is not supported", "pass keywords one by one")
            if kw.arg not in keywords or kw.arg in bound:
                why = "an unexpected" if kw.arg not in keywords else "a repeated"
                raise self.m.error(kw.value, f"{helper.name} got {why} keyword argument {kw.arg!r}",
                                   f"the parameters of {helper.name}: "
                                   + ", ".join(p.arg for p in positional + a.kwonlyargs))
            bound[kw.arg] = self.expr(kw.value, env)
        defaults = dict(zip([p.arg for p in (a.posonlyargs + a.args)][::-1], a.defaults[::-1]))
        defaults.update((p.arg, d) for p, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None)
        for p in positional + a.kwonlyargs:
            if p.arg in bound:
                continue
            if p.arg not in defaults:
                raise self.m.error(e, f"{helper.name}() is missing the argument {p.arg!r}{after}",
                                   f"pass {p.arg}, e.g. {helper.name}(..., {p.arg}=...)")
            default = defaults[p.arg]
            if not all(isinstance(n, (ast.Constant, ast.UnaryOp, ast.Tuple, ast.Name, ast.Attribute, ast.unaryop,
                                      ast.expr_context)) for n in ast.walk(default)):
                raise self.m.error(default, f"the default of {p.arg} in {helper.name} is computed; only "
                                   "constants are supported as defaults of a helper",
                                   f"pass {p.arg} in the call, or write a number as its default")
            bound[p.arg] = self.expr(default, {})
        return bound


MAX_RECURSION = 32  # levels of a recursive helper unrolled (its depth fixed by constants or shapes)
MAX_UNROLLED = 512  # calls of recursive helpers inlined in one function (a tree recursion grows fast)


def _calls_itself(parser, node):
    return any(isinstance(n, ast.Call) and parser.dotted(n.func) == node.name for n in ast.walk(node))


SHAPE_READS = {"len", "numpy.shape", "numpy.size", "numpy.ndim"}


def _reads_shapes(node):
    """Does the def read a shape (x.shape, len(x), np.shape(x), .size, .ndim)?"""
    return any(isinstance(n, ast.Attribute) and n.attr in ("shape", "size", "ndim") or
               isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "len" for n in ast.walk(node))


class Instance:
    """The value of self in a method: what it reads is recorded (attribute -> parameter; method name -> def)."""

    def __init__(self, cls):
        self.cls, self.attrs, self.methods = cls, {}, {}
