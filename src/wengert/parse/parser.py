"""The Parser: a function's AST -> Trace. Parser is put together from one class per kind of syntax
(statements.py, mutation.py, expressions.py, indexing.py, calls.py, inlining.py); this module holds what
they share: the function being parsed, its parameters, and turning AST nodes into values.
"""

import ast

from .. import shapes
from ..builder import Builder
from ..compile import compiling
from ..primitives import reserved_names
from ..trace import Bound, Const, Names, Trace, Value, Var
from .calls import Calls
from .expressions import Expressions, Record
from .indexing import Indexing, Nonzero
from .inlining import Inlining, _calls_itself
from .module import _def_lines, _parameters
from .mutation import Mutation
from .specialize import infer_scalars
from .statements import Statements


def parse(module, node, sizes=None):
    """Trace of the function `node` (an ast.FunctionDef) of `module`. sizes ({parameter: shape tuple of ints}):
    parse for arguments of these shapes, where shapes and lengths are numbers (a recursion that the shapes end
    is unrolled for them)."""
    parser = Parser(module, sizes)
    with compiling():
        try:
            return parser.function(node)
        except RecursionError:
            raise module.error(parser.deepest or node, "this function is nested too deeply to compile",
                               "split the deepest expression into several assignments") from None


def _is_float_annotation(a):
    return isinstance(a, ast.Name) and a.id in ("float", "int")


class Parser(Statements, Mutation, Expressions, Indexing, Calls, Inlining):
    """Reads one function (and the helpers it calls) into a Trace."""

    def __init__(self, module, sizes=None):
        self.m = module
        self.sequence_forms = {}  # ast node -> is it a Python list or tuple by its form (is_sequence)
        self.calls = []
        self.deepest = None
        self.sizes = sizes

    def function(self, node):
        self.check_signature(node)
        args = _parameters(node)
        cls = self.m.enclosing_class(node)
        instance = self.instance_of(node, cls) if cls is not None else None
        if instance is not None:
            args = args[1:]  # self: read through its attributes, never differentiated
        params = tuple(a.arg for a in args)
        self.names = Names(set(params) | reserved_names())
        self.b = Builder(self.names)
        for a in args:
            if _is_float_annotation(a.annotation):
                self.b.shapes[a.arg] = shapes.SCALAR
            if self.sizes is not None and a.arg in self.sizes:
                self.b.shapes[a.arg] = shapes.from_literal(tuple(self.sizes[a.arg]))
        self.lineno = {}
        self.renamed = {}  # op results renamed after the user's variable, for values built before the rename
        self.user_named = set()  # op results named after a user's variable: never renamed again (v8 is not a v<k>)
        self.maybe_undefined = {}  # names assigned on some paths only -> the statement
        self.return_line = 0
        self.calls.append(node.name)
        self.params = set(params)
        self.frame_params = [set()]
        self.loop_outer = []  # per loop being parsed: the names defined before it
        self.lists = set()  # the values that are lists a loop appends to
        self.sequences = set()  # integer arrays that stand for Python lists (list(range(a, b))): + joins them
        self.recursive = set()  # helpers found calling themselves: a constant test selects its branch
        self.top = node
        self.unrolled = 0  # calls of recursive helpers inlined so far (at most MAX_UNROLLED)
        self.undecided = {}  # recursive helper -> its first if-test that the given sizes did not decide
        if _calls_itself(self, node):
            self.recursive.add(node.name)
        self._current = node
        env = {p: Var(p) for p in params}
        if instance is not None:
            env[_parameters(node)[0].arg] = instance
        with self.b:
            outputs = self.body(node, env)
        self.calls.pop()
        bound = None
        if instance is not None:  # the attributes read become leading parameters, filled in from the instance
            bound = Bound(_parameters(node)[0].arg, cls.name, tuple((p, a) for a, p in instance.attrs.items()),
                          tuple((n, _def_lines(d)) for n, d in instance.methods.items()))
            params = tuple(instance.attrs.values()) + params
        trace = Trace(node.name, params, self.b.ops, outputs, self.b.shapes, self.m.filename,
                      {**self.b.lines, **self.lineno}, node.lineno, bound=bound, return_line=self.return_line)
        return infer_scalars(trace)

    def check_signature(self, node):
        a = node.args
        if a.vararg or a.kwarg:
            bad = a.vararg or a.kwarg
            raise self.m.error(bad, f"*args and **kwargs are not supported (in {node.name})",
                               "list the parameters by name")
        for p in _parameters(node):
            if p.arg in reserved_names():
                raise self.m.error(p, f"the parameter {p.arg} has the name of a module or helper that the generated "
                                   "code reads", f"rename it, e.g. {p.arg.strip('_')}_")

    def body(self, node, env):
        """Parse a function body; its value is what it returns (returns inside if/else included)."""
        kind, result = self.run(node.body, env, None)
        if kind != "return":
            raise self.m.error(node, f"{node.name} does not end with a return", "end the function with `return value`")
        return result

    def value(self, e, env, shape=False):
        return self.as_value(self.expr(e, env), e, shape)

    def as_value(self, v, node, shape=False):
        """A parsed expression as one value. A tuple is a shape where NumPy reads one (shape=True: np.zeros,
        reshape, an index) and otherwise an array, as NumPy reads (x, 2 * x): np.stack of its items, so its
        items keep their derivatives."""
        if self.is_list(v):  # a list a loop appended to, where NumPy reads an array: its items stacked
            return self.b.emit("stack_list", (v,))
        if isinstance(v, Value):
            return v
        if isinstance(v, tuple) and not v:
            raise self.m.error(node, "an empty tuple is not supported here", "pass an array")
        if isinstance(v, tuple) and shape:
            if all(isinstance(x, Const) for x in v):
                return Const(tuple(x.value for x in v))
            return self.b.emit("tuple", tuple(self.as_value(x, node, shape) for x in v))
        if isinstance(v, tuple):
            return self.b.emit("stack", tuple(self.as_value(x, node) for x in v), {})
        if isinstance(v, Record):
            raise self.m.error(node, "a dict is not a number or an array", "read one of its values: d[\"a\"]")
        if isinstance(v, Nonzero):
            raise self.m.error(node, "np.nonzero(m) is a tuple of index arrays, one per axis of m",
                               "index with it (x[np.nonzero(m)]), take one (np.nonzero(m)[0]) or unpack it")
        raise self.m.error(node, "expected a number or an array here", "")

    def operand(self, e, env):
        """An operand of arithmetic or a comparison: on tuples Python means sequence operations
        ((a, b) * 2 repeats, + concatenates, < compares lexicographically), which are refused."""
        v = self.expr(e, env)
        if self.is_list(v):
            raise self.m.error(e, "arithmetic on a list is Python's sequence operations", "stack it first: "
                               "np.stack(hs)")
        if isinstance(v, tuple):
            raise self.m.error(e, "arithmetic and comparisons on a tuple are Python's sequence operations "
                               "(repeat, concatenate, compare in order)", "make it an array first: "
                               "np.stack((a, b)) * 2")
        return self.as_value(v, e)

    def literal(self, e):
        try:
            value = ast.literal_eval(e)
        except ValueError:
            raise self.m.error(e, "this argument must be a literal constant", "write e.g. axis=0") from None
        return tuple(value) if isinstance(value, list) else value

    def dotted(self, e):
        parts = []
        while isinstance(e, ast.Attribute):
            parts.append(e.attr)
            e = e.value
        if not isinstance(e, ast.Name):
            return None
        head = self.m.aliases.get(e.id, e.id)
        return ".".join([head] + parts[::-1])

    def positional(self, e, name, fewest, most, keywords=()):
        """e's positional arguments, checked; keywords other than those listed are refused."""
        bad = [kw for kw in e.keywords if kw.arg not in keywords]
        if bad or not fewest <= len(e.args) <= most:
            takes = f"{fewest}" if fewest == most else f"{fewest} to {most}"
            where = bad[0].value if bad else e
            raise self.m.error(where, f"{name}() takes {takes} positional argument{'s' * (most != 1)} here"
                               + (f" and no keyword {bad[0].arg!r}" if bad else "")
                               + (f" (keywords: {', '.join(keywords)})" if keywords else ""),
                               f"write it as in Python, e.g. {name}(x)")
        return e.args
