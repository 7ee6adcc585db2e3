"""Restricted Python (ast) -> Trace. Reads source; never imports or runs it.

Calls to other functions of the same module are inlined at the call site, so
the trace (and the derivative code) is one flat function: no call overhead and
every intermediate gets optimized together. Recursion is rejected.
"""

import ast
import collections
import contextlib
import inspect
import math
import operator
import os
import string

from . import custom, linalg_calls, numpy_calls, scipy_calls, shapes
from .compile import compiling, python_ast
from .errors import NeedsSizes, WengertError, remember
from .primitives import PRIMS
from .builder import Builder
from .trace import Block, Bound, Const, If, Loop, Names, Trace, Var, Value

# Dotted callee -> primitive. "math.*" entries are emitted with math when the arguments are scalars.
UFUNCS = ["sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sinh", "cosh", "arctan", "arcsin", "arccos",
          "log1p", "expm1", "square", "abs", "sign", "maximum", "minimum", "logaddexp", "clip",
          "log10", "log2", "exp2", "arcsinh", "arccosh", "arctanh", "reciprocal", "cbrt", "fabs", "positive",
          "deg2rad", "rad2deg", "float_power", "logaddexp2", "hypot", "arctan2", "fmax", "fmin", "heaviside",
          "nan_to_num", "floor", "ceil", "trunc", "rint", "round", "isfinite", "isnan", "mod", "fmod"]
NUMPY = {f"numpy.{n}": n for n in UFUNCS}
NUMPY.update({"numpy.absolute": "abs", "numpy.power": "pow", "numpy.add": "add", "numpy.subtract": "sub",
              "numpy.multiply": "mul", "numpy.divide": "div", "numpy.negative": "neg",
              "numpy.sum": "sum", "numpy.mean": "mean", "numpy.max": "max", "numpy.min": "min",
              "numpy.amax": "max", "numpy.amin": "min",
              "numpy.zeros": "zeros", "numpy.ones": "ones", "numpy.eye": "eye", "numpy.zeros_like": "zeros_like",
              "numpy.ones_like": "ones_like", "numpy.shape": "shape", "numpy.size": "size", "numpy.ndim": "ndim",
              "numpy.dot": "dot", "numpy.matmul": "matmul", "numpy.outer": "outer", "numpy.trace": "trace",
              "numpy.transpose": "transpose", "numpy.reshape": "reshape", "numpy.where": "where",
              "numpy.concatenate": "concatenate", "numpy.stack": "stack",
              "numpy.radians": "deg2rad", "numpy.degrees": "rad2deg", "numpy.remainder": "mod",
              "numpy.true_divide": "div", "numpy.around": "round", "numpy.var": "var", "numpy.std": "std",
              "numpy.cumsum": "cumsum", "numpy.arange": "arange", "numpy.linspace": "linspace", "numpy.full": "full",
              "numpy.full_like": "full_like", "numpy.empty": "zeros", "numpy.empty_like": "zeros_like",
              "numpy.identity": "eye", "numpy.ravel": "ravel", "numpy.squeeze": "squeeze", "numpy.flip": "flip",
              "numpy.copy": "copy", "numpy.expand_dims": "expand_dims", "numpy.prod": "prod",
              "numpy.swapaxes": "swapaxes_ij", "numpy.moveaxis": "moveaxis", "numpy.triu": "triu", "numpy.tril": "tril",
              "numpy.flipud": "flipud", "numpy.fliplr": "fliplr", "numpy.roll": "roll", "numpy.diag": "diag",
              "numpy.diagonal": "diagonal",
              "numpy.argmax": "argmax", "numpy.argmin": "argmin", "numpy.argsort": "argsort",
              "numpy.flatnonzero": "flatnonzero", "numpy.angle": "angle"})
# Calls that make a new array the function may change by item assignment: never shared with an equal one.
CONSTRUCTORS = {"zeros", "ones", "zeros_like", "ones_like", "eye", "copy", "full", "full_like", "arange", "linspace"}
MATH = {f"math.{n}": n for n in ["sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sinh", "cosh", "log1p", "expm1"]}
MATH.update({"math.atan": "arctan", "math.asin": "arcsin", "math.acos": "arccos", "math.fabs": "abs", "math.pow": "pow",
             "math.log10": "log10", "math.log2": "log2", "math.asinh": "arcsinh", "math.acosh": "arccosh",
             "math.atanh": "arctanh", "math.cbrt": "cbrt", "math.hypot": "hypot", "math.atan2": "arctan2",
             "math.radians": "deg2rad", "math.degrees": "rad2deg", "math.floor": "floor", "math.ceil": "ceil",
             "math.trunc": "trunc", "math.fmod": "fmod"})
BUILTINS = {"abs": "abs", "len": "len"}
CONSTANTS = {"math.pi": 3.141592653589793, "math.e": 2.718281828459045, "numpy.pi": 3.141592653589793,
             "numpy.e": 2.718281828459045, "math.inf": float("inf"), "numpy.inf": float("inf"),
             "numpy.newaxis": None}
# Primitives with static attributes: (number of leading value arguments, attribute names in order).
ATTRS = {"sum": (1, ("axis", "keepdims")), "mean": (1, ("axis", "keepdims")), "max": (1, ("axis", "keepdims")),
         "min": (1, ("axis", "keepdims")), "transpose": (1, ("axes",)), "norm": (1, ("ord",)),
         "concatenate": (1, ("axis",)), "stack": (1, ("axis",)), "var": (1, ("axis", "keepdims", "ddof")),
         "std": (1, ("axis", "keepdims", "ddof")), "cumsum": (1, ("axis",)), "linspace": (2, ("num",)),
         "eye": (1, ("M", "k")), "squeeze": (1, ("axis",)), "flip": (1, ("axis",)), "expand_dims": (1, ("axis",)),
         "prod": (1, ("axis", "keepdims")), "swapaxes_ij": (1, ("axis1", "axis2")),
         "moveaxis": (1, ("source", "destination")), "triu": (1, ("k",)), "tril": (1, ("k",)),
         "roll": (1, ("shift", "axis")), "diag": (1, ("k",)), "diagonal": (1, ("offset", "axis1", "axis2")),
         "argmax": (1, ("axis",)), "argmin": (1, ("axis",)), "argsort": (1, ("axis",))}
REQUIRED = {"expand_dims": ("axis",), "roll": ("shift",), "swapaxes_ij": ("axis1", "axis2"), "moveaxis": ("source", "destination")}
VALUE_KEYWORDS = {"clip": ("a_min", "a_max")}  # value arguments NumPy also takes by keyword (after the first)
SINGLE_AXIS = {"cumsum"}  # an integer axis (or None), no tuple
KEYWORD_ONLY = {"keepdims", "ddof"}  # positionally, NumPy reads dtype or out there
SEQUENCE_ARGS = {"concatenate", "stack"}  # the first argument is a tuple or list of arrays
SHAPE_ARGS = {("zeros", 0), ("ones", 0), ("reshape", 1), ("full", 0)}  # (primitive, position) where a tuple is a shape
REDUCING_METHODS = {"sum", "mean", "max", "min", "var", "std", "cumsum", "squeeze", "prod"}  # x.name(axis, keyword=...)
PLAIN_METHODS = {"ravel": "ravel", "flatten": "flatten", "copy": "copy"}  # x.name() with no arguments
METHODS = {"reshape", "dot", "transpose", "astype"} | REDUCING_METHODS | set(PLAIN_METHODS)
# the NumPy functions of numpy_calls.py (issue 15): their spellings join the tables above
NUMPY.update(numpy_calls.NUMPY)
del NUMPY["numpy.trace"]  # np.trace(x, offset=...) is read in numpy_calls.CALLS
ATTRS.update(numpy_calls.ATTRS)
REQUIRED.update(numpy_calls.REQUIRED)
SEQUENCE_ARGS |= numpy_calls.SEQUENCE_ARGS
SINGLE_AXIS |= numpy_calls.SINGLE_AXIS
REDUCING_METHODS |= numpy_calls.REDUCING_METHODS
METHODS |= numpy_calls.REDUCING_METHODS | numpy_calls.METHODS
NUMPY.update(scipy_calls.FUNCTIONS)  # scipy.special (an optional extra), see scipy_calls.py
MATH.update(scipy_calls.MATH)
ATTRIBUTES = {"T": "transpose", "shape": "shape", "size": "size", "ndim": "ndim"}
MAX_DIMS = 64  # NumPy 2: no array has more axes


class Module:
    """One source file: its functions, import aliases and literal constants, read from the AST."""

    def __init__(self, source, filename):
        self.source, self.filename = source, filename
        self.lines = source.splitlines()
        remember(filename, self.lines)
        try:
            self.tree = python_ast(source, filename)
        except UnicodeError as e:  # a lone surrogate cannot be encoded for the parser
            bad = e.start if isinstance(e, UnicodeEncodeError) else 0
            line = source.count("\n", 0, bad) + 1
            raise WengertError(f"the source is not valid Unicode text: {e.reason}", filename, line,
                               bad - (source.rfind("\n", 0, bad) + 1), _line(self.lines, line),
                               "save the file as UTF-8") from None
        except (SyntaxError, ValueError) as e:  # ValueError: a null byte, before Python 3.12
            line, col = getattr(e, "lineno", None), (getattr(e, "offset", None) or 1) - 1
            if not line and "\0" in source:
                line, col = source.count("\n", 0, source.index("\0")) + 1, 0
            raise WengertError(f"invalid syntax: {getattr(e, 'msg', None) or e}", filename, line or 0, col,
                               _line(self.lines, line), "fix the syntax error first") from None
        except (RecursionError, MemoryError):
            longest = max(range(len(self.lines)), key=lambda i: len(self.lines[i]), default=0) + 1  # likely the culprit
            raise WengertError("the source is nested too deeply for Python's parser", filename, longest, 0,
                               _line(self.lines, longest), "split deeply nested expressions into assignments") from None
        self.aliases, self.constants = {}, {}
        self.parents = {}  # statement (or except/case clause) -> the node whose block holds it
        self.functions = {}  # name -> its FunctionDefs in ast.walk order (looked up once per call site)
        self.classes = {}  # name -> its ClassDefs in ast.walk order
        for node in _statements(self.tree, self.parents):
            if isinstance(node, ast.FunctionDef):
                self.functions.setdefault(node.name, []).append(node)
            elif isinstance(node, ast.ClassDef):
                self.classes.setdefault(node.name, []).append(node)
            if isinstance(node, ast.Import):
                for a in node.names:
                    self.aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module:
                for a in node.names:
                    self.aliases[a.asname or a.name] = f"{node.module}.{a.name}"
        for node in self.tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                value = _number_literal(node.value)  # 3, 0.5, and also -1.5 (a UnaryOp in the AST)
                if value is not None:
                    self.constants[node.targets[0].id] = value
        # May any code of the file assign into an item (y[i] = ...) or append to a list? If not, the tokens
        # that follow which names hold one array (Parser.bind_token) are never read, and are not kept.
        self.mutates = "append" in source or any(
            isinstance(n, ast.Subscript) for s in self.parents for t in _targets(s) for n in ast.walk(t))

    @classmethod
    def from_file(cls, path):
        try:
            with open(path, encoding="utf-8-sig") as fh:  # -sig: a byte-order mark is not code
                return cls(fh.read(), path)
        except OSError as e:
            raise WengertError(f"cannot read {path}: {e.strerror}", path, 0, 0, "",
                               "give the path of a Python file") from None

    def function(self, name, lineno=None, near=None):
        """The FunctionDef called name: the one at lineno, else the nearest in scope of `near`."""
        defs = list(self.functions.get(name, ()))
        if lineno is not None:
            defs = [d for d in defs if d.lineno == lineno or any(x.lineno == lineno for x in d.decorator_list)]
        if near is not None:  # as Python looks names up: a class body is no scope for the methods in it
            scopes = [s for s in self._scopes(near) if not isinstance(s, ast.ClassDef)]
            defs = sorted((d for d in defs if self.parents.get(d) in scopes), key=lambda d: scopes.index(self.parents[d]))
        return defs[0] if defs else None

    def method(self, cls, name):
        """The FunctionDef `name` that instances of the ClassDef cls find: defined in cls's body (the last one
        wins, as in Python), else in its bases that are classes of this file, depth first; None if not here."""
        seen = set()

        def find(c):
            if c in seen:
                return None
            seen.add(c)
            defs = [s for s in c.body if isinstance(s, ast.FunctionDef) and s.name == name]
            if defs:
                return defs[-1]
            for base in c.bases:
                for b in (self.classes.get(base.id, ())[:1] if isinstance(base, ast.Name) else ()):
                    found = find(b)
                    if found is not None:
                        return found
            return None
        return find(cls)

    def enclosing_class(self, node):
        """The ClassDef whose body defines node (a method), else None."""
        parent = self.parents.get(node)
        return parent if isinstance(parent, ast.ClassDef) else None

    def _scopes(self, node):
        chain = [node]
        while node in self.parents:
            node = self.parents[node]
            chain.append(node)
        return chain

    def error(self, node, message, hint=""):
        line = getattr(node, "lineno", 0)
        return WengertError(message, self.filename, line, getattr(node, "col_offset", 0), _line(self.lines, line), hint)


def _statements(tree, parents=None):
    """tree and each statement and except/case clause in it, in ast.walk order; parents, if given, gets each one's
    parent. Defs, imports and assignments are statements: skipping the expressions (most of the nodes) is several
    times faster than ast.walk."""
    todo = collections.deque([tree])
    while todo:
        node = todo.popleft()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, BLOCK_ITEMS):
                todo.append(child)
                if parents is not None:
                    parents[child] = node


def _targets(statement):
    """What a statement assigns to (names, items, attributes, tuples of them)."""
    if isinstance(statement, ast.Assign):
        return statement.targets
    if isinstance(statement, (ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor)):
        return [statement.target]
    if isinstance(statement, (ast.With, ast.AsyncWith)):
        return [item.optional_vars for item in statement.items if item.optional_vars is not None]
    return []


BLOCK_ITEMS = (ast.stmt, ast.excepthandler) + ((ast.match_case,) if hasattr(ast, "match_case") else ())


def _number_literal(node):
    """The int/float a module-level literal such as `0.5` or `-1.5` stands for, else None."""
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    return value if type(value) in (int, float) else None


def _line(lines, n):
    return lines[n - 1] if n and 0 < n <= len(lines) else ""


def module_of(fn):
    """The Module holding a live function's source, and its FunctionDef."""
    try:
        path = inspect.getsourcefile(fn)
        src = open(path, encoding="utf-8-sig").read() if path and os.path.exists(path) else None
    except (TypeError, OSError):
        src, path = None, None
    if src is None:
        try:
            src, path = inspect.getsource(fn), f"<{fn.__name__}>"
        except (TypeError, OSError):
            raise WengertError(f"the source of {getattr(fn, '__name__', fn)!r} is not available",
                               "<unknown>", 0, 0, "", "define the function in a .py file") from None
        import textwrap
        module = Module(textwrap.dedent(src), path)
        module.import_name = getattr(fn, "__module__", None)
        return module, module.function(fn.__name__)
    module = Module(src, path)
    module.import_name = getattr(fn, "__module__", None)  # generated code imports user primitives from there
    node = module.function(fn.__name__, fn.__code__.co_firstlineno)
    if node is None:
        line = getattr(getattr(fn, "__code__", None), "co_firstlineno", 0)  # where its code says it starts
        raise WengertError(f"cannot find the definition of {fn.__name__!r} in {path}", path, line, 0, "",
                           "define the function with def at module or function level")
    return module, node


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


# Python compiles at most 100 indentation levels and 20 nested loops; the derivative adds a few of its own.
MAX_BLOCK_NESTING = 80
MAX_LOOP_NESTING = 16
MAX_RECURSION = 32  # levels of a recursive helper unrolled (its depth fixed by constants or shapes)
MAX_UNROLLED = 512  # calls of recursive helpers inlined in one function (a tree recursion grows fast)

class Parser:
    def __init__(self, module, sizes=None):
        self.m = module
        self.sequence_forms = {}  # ast node -> is it a Python list or tuple by its form (is_sequence)
        self.calls = []
        self.deepest = None
        self.sizes = sizes

    # ---- functions --------------------------------------------------------------------------------
    def function(self, node):
        self.check_signature(node)
        args = _parameters(node)
        cls = self.m.enclosing_class(node)
        instance = self.instance_of(node, cls) if cls is not None else None
        if instance is not None:
            args = args[1:]  # self: read through its attributes, never differentiated
        params = tuple(a.arg for a in args)
        self.names = Names(set(params) | {"np", "math", "scipy", "_unbroadcast"})
        self.b = Builder(self.names)
        for a in args:
            if _is_float_annotation(a.annotation):
                self.b.shapes[a.arg] = shapes.SCALAR
            if self.sizes is not None and a.arg in self.sizes:
                self.b.shapes[a.arg] = shapes.from_literal(tuple(self.sizes[a.arg]))
        self.lineno = {}
        self.renamed = {}  # op results renamed after the user's variable, for values built before the rename
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

    def check_signature(self, node):
        a = node.args
        if a.vararg or a.kwarg:
            bad = a.vararg or a.kwarg
            raise self.m.error(bad, f"*args and **kwargs are not supported (in {node.name})",
                               "list the parameters by name")

    def body(self, node, env):
        """Parse a function body; its value is what it returns (returns inside if/else included)."""
        kind, result = self.run(node.body, env, None)
        if kind != "return":
            raise self.m.error(node, f"{node.name} does not end with a return", "end the function with `return value`")
        return result

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

    # ---- control flow ------------------------------------------------------------------------------
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
                                   "arrays only", f"assign its values to names of their own in each branch")
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

    # ---- statements ------------------------------------------------------------------------------
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
            if isinstance(value, Var) and value.name in self.b.defs and value.name.startswith("v") \
                    and value.name[1:].isdigit():
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

    # ---- item assignment ---------------------------------------------------------------------------
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
        if isinstance(new, Var) and new.name in self.b.defs and new.name.startswith("v") and new.name[1:].isdigit():
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
            if isinstance(new, Var) and new.name[:1] == "v" and new.name[1:].isdigit():
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
            return Var(new)
        return var

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

    # ---- expressions -----------------------------------------------------------------------------
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

    def nonzero_item(self, index, nonzero):
        """np.nonzero(m)[k]: the positions of m's nonzero entries along axis k."""
        if not (isinstance(index, ast.Constant) and type(index.value) is int and index.value >= 0):
            raise self.m.error(index, "np.nonzero(m) can only be indexed by a non-negative integer literal here",
                               "write np.nonzero(m)[0], or unpack it: rows, cols = np.nonzero(m)")
        return self.b.emit("nonzero", (nonzero.mask,), {"axis": index.value})

    def nonzero_mask(self, nonzero):
        """x[np.nonzero(m)] selects what x[m != 0] selects (the same positions, in the same order)."""
        return self.b.emit("not_equal", (nonzero.mask, Const(0)))

    def record_item(self, e, record):
        index = e.slice
        if not (isinstance(index, ast.Constant) and isinstance(index.value, str)):
            raise self.m.error(index, "a dict can only be read with a string literal key here",
                               "write d[\"a\"]; to choose at run time, use a tuple or an array")
        if index.value not in record:
            raise self.m.error(index, f"the dict has no key {index.value!r} (its keys: "
                               f"{', '.join(map(repr, record))})", "read one of its keys")
        return record[index.value]

    def expr_Subscript(self, e, env):
        if self.dotted(e.value) in numpy_calls.CONCATENATORS:
            return numpy_calls.concatenator(self, e, env, self.dotted(e.value))
        base = self.expr(e.value, env)
        if isinstance(base, Record):
            return self.record_item(e, base)
        if isinstance(base, Nonzero):
            return self.nonzero_item(e.slice, base)
        index = e.slice
        if isinstance(base, tuple):
            if isinstance(index, ast.Constant) and isinstance(index.value, int):
                if not -len(base) <= index.value < len(base):
                    raise self.m.error(e, f"tuple index {index.value} is out of range (the tuple has "
                                       f"{len(base)} items)", "index within the tuple")
                return base[index.value]
            if isinstance(index, (ast.Slice, ast.Tuple)) or any(isinstance(v, tuple) for v in base):
                raise self.m.error(e, "a tuple can only be indexed by an integer", "write t[0], t[i], ...")
            # t[i] with an integer i known at run time: the items as an array (np.stack), and its item i
        value = self.as_value(base, e.value)
        if isinstance(value, Const) and (value.value is None or isinstance(value.value, (bool, int, float))):
            raise self.m.error(e, f"{value.value!r} cannot be indexed: it is not an array",
                               "index an array (a parameter or a variable holding one)")
        items = index.elts if isinstance(index, ast.Tuple) else [index]
        spec, dynamic = [], []
        for item in items:
            spec.append(self.index_item(item, env, dynamic, sole=len(items) == 1))
        return self.b.emit("index", (value,) + tuple(dynamic), {"spec": tuple(spec)})

    def index_item(self, item, env, dynamic, sole=False):
        def bound(x):
            if x is None:
                return None
            v = self.expr(x, env)
            if isinstance(v, Nonzero):
                if sole is False:
                    raise self.m.error(x, "np.nonzero(m) is supported as the whole index only",
                                       "write x[np.nonzero(m)] or index with np.nonzero(m)[0]")
                v = self.nonzero_mask(v)
            v = self.as_value(v, x, shape=True)
            if isinstance(v, Const) and isinstance(v.value, int):
                return v.value
            dynamic.append(v)
            return ("arg", len(dynamic))

        if isinstance(item, ast.Slice):
            sole = False
            return ("slice", bound(item.lower), bound(item.upper), bound(item.step))
        if isinstance(item, ast.Constant) and item.value is None:
            return ("newaxis",)
        if isinstance(item, ast.Constant) and item.value is Ellipsis:
            return ("ellipsis",)
        if self.dotted(item) == "numpy.newaxis":
            return ("newaxis",)
        if isinstance(item, ast.List):  # x[[0, 2]]: an integer array (a tuple would index several axes)
            value = self.expr(item, env)
            if not value or not all(isinstance(v, Const) and type(v.value) in (int, bool) for v in value):
                raise self.m.error(item, "a list index must hold integer (or bool) literals",
                                   "write x[[0, 2]], or index with an integer array")
            dynamic.append(self.b.emit("index_array", (Const(tuple(v.value for v in value)),)))
            return ("arg", len(dynamic))
        v = bound(item)
        if isinstance(v, int):
            return ("int", v)
        if v is None:
            raise self.m.error(item, "this index is not supported", "index with integers, slices, None, "
                               "integer arrays or boolean masks")
        return v

    def expr_Call(self, e, env):
        f = e.func
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and isinstance(env.get(f.value.id), Instance):
            return self.self_method(e, env[f.value.id], env)
        if isinstance(f, ast.Attribute) and f.attr in METHODS and self.dotted(f.value) not in ("numpy", "math"):
            if not (isinstance(f.value, ast.Name) and self.m.aliases.get(f.value.id) in ("numpy", "math")):
                return self.method(e, f.attr, self.value(f.value, env), env)
        dotted = self.dotted(f)
        if dotted is None:
            raise self.m.error(e, "only calls of named functions are supported", "call np.<name> or math.<name>")
        if dotted == "numpy.sum" and len(e.args) == 1 and not e.keywords and isinstance(e.args[0], ast.ListComp):
            return self.sum_of_list(e.args[0], env)
        if dotted in NUMPY or dotted in MATH or dotted in BUILTINS:
            prim = NUMPY.get(dotted) or MATH.get(dotted) or BUILTINS[dotted]
            if self.sizes is not None and prim in ("shape", "len", "size", "ndim") and len(e.args) == 1 \
                    and not e.keywords:
                value = self.value(e.args[0], env)
                return self.static_size(prim, value) or self.b.emit(prim, (value,))
            lib = "math" if dotted in MATH or dotted == "abs" else "np"
            return self.primitive(e, prim, env, lib)
        if dotted in ("numpy.array", "numpy.asarray"):
            return self.array_call(e, dotted, env)
        helper = self.m.function(dotted, near=self._current) if "." not in dotted else None
        if helper is not None and custom.is_primitive(self, helper):
            return self.user_primitive(e, helper, env)
        if dotted in CALLS and helper is None:
            return CALLS[dotted](self, e, env)
        if helper is not None:
            return self.inline(e, helper, env)
        raise self.m.error(e, f"call to unsupported function {dotted!r}", scipy_calls.unsupported_hint(dotted) or
                           "use math/NumPy functions wengert knows or functions defined in this file")

    def static_size(self, prim, value):
        """In a parse for given sizes (self.sizes): value.shape as a tuple whose literal dims are numbers, and
        len, size, ndim as numbers where its shape key fixes them; else None."""
        if self.sizes is None or prim not in ("shape", "len", "size", "ndim"):
            return None
        key = self.b.shape(value)
        if not shapes.known(key) or self.is_list(value):
            return None
        dims = [shapes.literal_size(d) for d in key]
        if prim == "ndim":
            return Const(len(key))
        if prim == "len":
            return Const(dims[0]) if dims and dims[0] is not None else None
        if prim == "size":
            return Const(math.prod(dims)) if None not in dims else None
        if all(d is None for d in dims):
            return None
        whole = self.b.emit("shape", (value,)) if None in dims else None
        return tuple(Const(d) if d is not None else self.b.emit("index", (whole,), {"spec": (("int", i),)})
                     for i, d in enumerate(dims))

    def user_primitive(self, e, node, env):
        """A call of a function decorated @wengert.primitive: one op of its own table entry (see custom.py)."""
        prim = custom.register(self, node)
        n = len(node.args.args)
        if e.keywords or len(e.args) != n:
            raise self.m.error(e, f"primitive {node.name} takes {n} positional argument{'s' * (n != 1)}",
                               "pass every argument positionally")
        return self.b.emit(prim, tuple(self.value(a, env) for a in e.args))

    def array_call(self, e, dotted, env):
        """np.array(literal) stacks its items (nested lists: stacks of stacks); np.array(x) copies x,
        np.asarray(x) is x."""
        if len(e.args) != 1 or e.keywords:
            raise self.m.error(e, f"{ast.unparse(e.func)} takes one argument here (no dtype or other keywords)",
                               f"write {ast.unparse(e.func)}([a, b])")
        value = self.expr(e.args[0], env)
        if isinstance(value, tuple):
            if not value:
                raise self.m.error(e, "an empty array literal is not supported", "use np.zeros(0)")
            return self.b.emit("stack", tuple(self.as_value(v, e.args[0]) for v in value), {}, share=False)
        if self.is_list(value):
            return self.b.emit("stack_list", (value,))
        value = self.as_value(value, e.args[0])
        return self.b.emit("copy", (value,), share=False) if dotted == "numpy.array" else value

    def primitive(self, e, prim, env, lib="np"):
        n_values, names = ATTRS.get(prim, (len(e.args), ()))
        if prim in SEQUENCE_ARGS:
            items = self.expr(e.args[0], env) if e.args else None
            if self.is_list(items):
                if prim != "stack" or len(e.args) > 1 or e.keywords:
                    raise self.m.error(e, f"np.{prim} of a list appended to in a loop is not supported",
                                       "stack it first: np.stack(hs)")
                return self.b.emit("stack_list", (items,))
            if not isinstance(items, tuple) or not items:
                raise self.m.error(e, f"np.{prim} needs a tuple or list of arrays", f"write np.{prim}((a, b))")
            args = [self.as_value(a, e.args[0]) for a in items]
        else:
            args = [self.value(a, env, shape=(prim, i) in SHAPE_ARGS) for i, a in enumerate(e.args[:n_values])]
        keywords = [kw for kw in e.keywords if kw.arg in VALUE_KEYWORDS.get(prim, ())]
        for kw in sorted(keywords, key=lambda kw: VALUE_KEYWORDS[prim].index(kw.arg)):
            if VALUE_KEYWORDS[prim].index(kw.arg) + 1 != len(args):
                raise self.m.error(kw, f"{kw.arg}= is given, but an earlier argument is missing or repeated",
                                   f"write np.{prim}(x, {', '.join(VALUE_KEYWORDS[prim])}) positionally or by keyword")
            args.append(self.value(kw.value, env))
        e = ast.Call(e.func, e.args, [kw for kw in e.keywords if kw not in keywords], lineno=e.lineno,
                     col_offset=e.col_offset) if keywords else e
        fewest, most = _arity(prim)
        if not fewest <= len(args) <= most:
            callee = ast.unparse(e.func)
            takes = f"{fewest}" if fewest == most else f"{fewest} or more"
            what = "arrays in its sequence" if prim in SEQUENCE_ARGS else "value argument" + "s" * (most != 1)
            example = "(a, b)" if prim in SEQUENCE_ARGS else ", ".join("xyz"[:min(fewest, 3)])
            raise self.m.error(e, f"{callee} takes {takes} {what} here (got {len(args)})",
                               f"write it as in NumPy, e.g. {callee}({example})")
        positional = [n for n in names if n not in KEYWORD_ONLY]  # NumPy's third positional is dtype or out
        if len(e.args) > n_values + len(positional):
            keyword = "; pass keepdims=... by keyword" if "keepdims" in names else ""
            raise self.m.error(e, f"{ast.unparse(e.func)} takes at most {n_values + len(positional)} positional "
                               f"arguments here (got {len(e.args)}){keyword}",
                               f"supported keywords: {', '.join(names) or 'none'}")
        attrs = {}
        for name, a in zip(positional, e.args[n_values:]):
            attrs[name] = self.literal(a)
        for kw in e.keywords:
            if kw.arg not in names:
                raise self.m.error(kw.value, f"keyword {kw.arg!r} is not supported here",
                                   f"supported keywords: {', '.join(names) or 'none'}")
            attrs[kw.arg] = self.literal(kw.value)
        for name in REQUIRED.get(prim, ()):
            if name not in attrs:
                raise self.m.error(e, f"{ast.unparse(e.func)} needs {name}=", f"write e.g. {name}=0")
        if prim == "norm" and attrs.get("ord") not in (None, 2, "fro"):
            raise self.m.error(e, f"np.linalg.norm with ord={attrs['ord']!r} is not supported",
                               "use the default 2-norm / Frobenius norm")
        attrs.pop("ord", None)
        if prim == "reshape":
            args[1] = self.shape_tuple(args[1])
        self.check_attrs(e, attrs)
        if lib == "math" and PRIMS[prim].math:
            attrs["lib"] = "math"
        return self.b.emit(prim, tuple(args), attrs, share=prim not in CONSTRUCTORS)

    def check_attrs(self, e, attrs):
        """axis/axes must be integers (or a tuple of them, or None), keepdims a bool."""
        for name, value in attrs.items():
            if name == "shift" and not all(isinstance(v, int) and not isinstance(v, bool)
                                           for v in (value if isinstance(value, tuple) else (value,))):
                raise self.m.error(e, f"shift={value!r} is not supported: it must be an integer or a tuple of them",
                                   "write e.g. np.roll(x, 1, axis=0)")
            if name in ("axis1", "axis2", "source", "destination", "k", "offset"):
                name = "axis" if name not in ("k", "offset") or value is None else "k"  # checked as an axis
                if value is None or name == "k" and not (isinstance(value, int) and not isinstance(value, bool)):
                    raise self.m.error(e, f"this argument must be an integer (got {value!r})", "write e.g. 0")
            items = value if isinstance(value, tuple) and name in ("axis", "axes") else (value,)
            ints = all(isinstance(v, int) and not isinstance(v, bool) for v in items)
            if name in ("axis", "axes") and not (value is None or ints) or name == "keepdims" and \
                    not isinstance(value, bool):
                kind = "True or False" if name == "keepdims" else "an integer, a tuple of integers or None"
                raise self.m.error(e, f"{name}={value!r} is not supported: {name} must be {kind}",
                                   f"write e.g. {name}={'True' if name == 'keepdims' else '0'}")
            if name == "axis" and isinstance(value, tuple) and getattr(e.func, "attr", None) in SINGLE_AXIS:
                raise self.m.error(e, f"axis={value!r} is not supported: {e.func.attr} takes one axis",
                                   "write e.g. axis=0")
            if name == "ddof" and not (isinstance(value, int) and not isinstance(value, bool)):
                raise self.m.error(e, f"ddof={value!r} is not supported: ddof must be an integer", "write e.g. ddof=1")
            if name in ("axis", "axes") and value is not None and any(abs(v) >= MAX_DIMS for v in items):
                # no array has such an axis; emission would spell out an index that long (make fuzz, mutant 2161)
                raise self.m.error(e, f"{name}={value!r} is out of range: a NumPy array has at most {MAX_DIMS} "
                                   "dimensions", f"write an axis between -ndim and ndim - 1, e.g. {name}=0")

    def method(self, e, name, obj, env):
        if name in numpy_calls.METHODS:
            return numpy_calls.method(self, e, name, obj, env)
        if name in REDUCING_METHODS:
            attrs = {}
            keywords = ATTRS.get(name, (1, ("axis", "keepdims")))[1]
            if len(e.args) > 1 or any(kw.arg not in keywords for kw in e.keywords):
                more = "".join(f" and {k}=..." for k in keywords[1:])
                raise self.m.error(e, f".{name}() takes at most axis{more} here",
                                   f"write x.{name}(axis=0{''.join(f', {k}=...' for k in keywords[1:])})")
            for n, a in zip(("axis",), e.args):
                attrs[n] = self.literal(a)
            for kw in e.keywords:
                attrs[kw.arg] = self.literal(kw.value)
            self.check_attrs(e, attrs)
            return self.b.emit(name, (obj,), attrs)
        if name in PLAIN_METHODS and not e.args and not e.keywords:
            return self.b.emit(PLAIN_METHODS[name], (obj,))
        if name == "astype" and len(e.args) == 1 and not e.keywords and \
                self.dotted(e.args[0]) in ("float", "numpy.float64"):
            return self.b.emit("astype_float", (obj,))
        if name in PLAIN_METHODS or name == "astype":
            raise self.m.error(e, f"this call of .{name}() is not supported",
                               "write x.astype(float)" if name == "astype" else f"write x.{name}() without arguments")
        if e.keywords or name in ("reshape", "dot") and not e.args or name == "dot" and len(e.args) != 1:
            raise self.m.error(e, f"this call of .{name}() is not supported",
                               "pass positional arguments as in NumPy, e.g. x.dot(y), x.reshape(2, -1)")
        if name == "copy":
            if e.args:
                raise self.m.error(e, ".copy() takes no arguments here", "write y = x.copy()")
            return self.b.emit("copy", (obj,), share=False)
        if name == "reshape":
            shape = tuple(self.value(a, env, shape=True) for a in e.args)
            return self.reshape(obj, shape[0] if len(shape) == 1 else shape, e)
        if name == "dot":
            return self.b.emit("dot", (obj, self.value(e.args[0], env)))
        if name == "transpose":
            axes = tuple(self.literal(a) for a in e.args)
            axes = axes[0] if len(axes) == 1 and isinstance(axes[0], tuple) else axes
            self.check_attrs(e, {"axes": axes or None})
            return self.b.emit("transpose", (obj,), {"axes": axes or None})
        raise self.m.error(e, f"method {name!r} is not supported", "use the np.<name> function")

    def reshape(self, x, shape, node):
        return self.b.emit("reshape", (x, self.shape_tuple(self.as_value(shape, node, shape=True))))

    def shape_tuple(self, shape):
        """reshape(x, -1) means reshape(x, (-1,)): always a tuple in the generated code (Dask needs it)."""
        if isinstance(shape, Const) and isinstance(shape.value, int):
            return Const((shape.value,))
        return shape

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

    # ---- helpers ----------------------------------------------------------------------------------
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


    # ---- Python builtins -------------------------------------------------------------------------
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

    def call_divmod(self, e, env):
        a, b = (self.operand(x, env) for x in self.positional(e, "divmod", 2, 2))
        return self.b.emit("floordiv", (a, b)), self.b.emit("mod", (a, b))

    def call_round(self, e, env):
        args = self.positional(e, "round", 1, 2, ("ndigits",))
        digits = [kw.value for kw in e.keywords] + list(args[1:])
        x = self.operand(args[0], env)
        if not digits or isinstance(digits[0], ast.Constant) and digits[0].value is None:
            return self.b.emit("pyround", (x,))
        return self.b.emit("pyround", (x, self.operand(digits[0], env)))

    def call_int(self, e, env):
        x = self.operand(self.positional(e, "int", 1, 1)[0], env)
        return self.b.emit("int", (x,))

    def call_float(self, e, env):
        (arg,) = self.positional(e, "float", 1, 1)
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            try:
                return Const(float(arg.value))
            except ValueError:
                raise self.m.error(arg, f"float({arg.value!r}) is not a number", "write float('inf')") from None
        return self.b.emit("float", (self.operand(arg, env),))

    def call_print(self, e, env):
        raise self.m.error(e, "print is not supported in a differentiated function",
                           "remove it, or call the function itself (not its derivative) to print")

    def call_iterator(self, e, env):
        name = self.dotted(e.func)
        raise self.m.error(e, f"{name}(...) is supported only as what a for loop or a comprehension loops over",
                           f"write for ... in {name}(...): or sum(... for ... in {name}(...))")

    def call_sum(self, e, env):
        args = self.positional(e, "sum", 1, 2, ("start",))
        starts = [kw.value for kw in e.keywords] + list(args[1:])
        start = self.operand(starts[0], env) if starts else Const(0)
        return self.fold(e, args[0], env, "add", start)

    def call_fsum(self, e, env):
        return self.fold(e, self.positional(e, "math.fsum", 1, 1)[0], env, "add", Const(0.0))

    def call_prod(self, e, env):
        args = self.positional(e, "math.prod", 1, 1, ("start",))
        start = self.operand(e.keywords[0].value, env) if e.keywords else Const(1)
        return self.fold(e, args[0], env, "mul", start)

    def call_max(self, e, env, prim="maximum"):
        name = "max" if prim == "maximum" else "min"
        args = self.positional(e, name, 1, math.inf)
        if len(args) > 1:
            values = [self.operand(a, env) for a in args]
            result = values[0]
            for v in values[1:]:
                result = self.b.emit(prim, (result, v))
            return result
        return self.fold(e, args[0], env, prim, Const(-math.inf if prim == "maximum" else math.inf))

    def call_min(self, e, env):
        return self.call_max(e, env, "minimum")

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


def _calls_itself(parser, node):
    return any(isinstance(n, ast.Call) and parser.dotted(n.func) == node.name for n in ast.walk(node))


SHAPE_READS = {"len", "numpy.shape", "numpy.size", "numpy.ndim"}


def _reads_shapes(node):
    """Does the def read a shape (x.shape, len(x), np.shape(x), .size, .ndim)?"""
    return any(isinstance(n, ast.Attribute) and n.attr in ("shape", "size", "ndim") or
               isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "len" for n in ast.walk(node))


def _located(node, ref):
    """node (a tree built by the parser) with ref's location wherever it has none."""
    for n in ast.walk(node):
        if "lineno" in n._attributes and not hasattr(n, "lineno"):
            ast.copy_location(n, ref)
    return node


def _parameters(node):
    """The parameters of a def in order (positional-only, positional, keyword-only; not *args, **kwargs)."""
    a = node.args
    return a.posonlyargs + a.args + a.kwonlyargs


class Record(dict):
    """The value of a dict literal with string keys: each key's parsed value (read-only)."""


class Nonzero:
    """The value of np.nonzero(m): a tuple of index arrays, one per axis of m, whose number (m's rank) may be
    known only at run time. Item k is an op; as an index it selects what the mask m != 0 selects."""

    def __init__(self, mask, node):
        self.mask, self.node = mask, node


class Instance:
    """The value of self in a method: what it reads is recorded (attribute -> parameter; method name -> def)."""

    def __init__(self, cls):
        self.cls, self.attrs, self.methods = cls, {}, {}


FRESH = {"zeros", "ones", "zeros_like", "ones_like", "eye", "copy", "full", "full_like", "arange", "linspace", "setitem", "addat", "stack", "concatenate",
         "dot", "matmul", "outer", "where", "sum", "mean", "scatter", "scatter_batch", "zeros_batch", "basis", "take",
         "index_copy", "last_writes", "new_list", "append", "list_zeros", "stack_list"}


def fresh_array(op):
    """Does op make a new array (never a view of an argument)? Elementwise ops and the FRESH ones do."""
    p = PRIMS.get(op.prim)
    return p is not None and (op.prim in FRESH or p.shape is shapes.broadcast)


def _def_lines(node):
    """The lines a function's code object may give as its first (its def, or a decorator's)."""
    return (node.lineno,) + tuple(d.lineno for d in node.decorator_list)


def _arity(prim):
    """(fewest, most) value arguments of a primitive, read off its emission template."""
    template = PRIMS[prim].numpy
    if not callable(template):
        holes = {int(f) for _, f, _, _ in string.Formatter().parse(template) if f and f.isdigit()}
        return (max(holes) + 1,) * 2 if holes else (0, 0)
    params = inspect.signature(template).parameters.values()
    required = sum(1 for q in params if q.kind is q.POSITIONAL_OR_KEYWORD and q.default is q.empty)
    return (max(required, 1), math.inf) if any(q.kind is q.VAR_POSITIONAL for q in params) else (required, required)


def _boolean(node):
    """Is the expression True or False by its form (a comparison, not, and/or of those, a bool literal)?"""
    return isinstance(node, ast.Compare) or isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not) or \
        isinstance(node, ast.BoolOp) and all(map(_boolean, node.values)) or \
        isinstance(node, ast.Constant) and isinstance(node.value, bool)


def _is_float_annotation(a):
    return isinstance(a, ast.Name) and a.id in ("float", "int")


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


BINOPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow", ast.MatMult: "matmul",
          ast.Mod: "mod", ast.FloorDiv: "floordiv"}
COMPARISONS = {ast.Lt: "less", ast.LtE: "less_equal", ast.Gt: "greater", ast.GtE: "greater_equal",
               ast.Eq: "equal", ast.NotEq: "not_equal"}
CALLS = {"divmod": Parser.call_divmod, "round": Parser.call_round, "int": Parser.call_int,
         "float": Parser.call_float, "print": Parser.call_print, "sum": Parser.call_sum, "max": Parser.call_max,
         "min": Parser.call_min, "math.fsum": Parser.call_fsum, "math.prod": Parser.call_prod,
         "_wengert_maximum": lambda p, e, env: p.call_max(e, env), "_wengert_minimum": Parser.call_min}
CALLS.update({name: Parser.call_iterator for name in ("range", "enumerate", "zip", "reversed")})


def _with_first(p, e, env, value):
    """(call, env): e with its first argument replaced by an already computed value."""
    slot = ast.Name("_wengert_first", ast.Load(), lineno=e.args[0].lineno, col_offset=e.args[0].col_offset)
    call = ast.Call(e.func, [slot] + e.args[1:], e.keywords, lineno=e.lineno, col_offset=e.col_offset)
    return call, {**env, "_wengert_first": value}


def _nan_sum(p, e, env, value):
    call, env = _with_first(p, e, env, value)
    return call, "sum", env


def _nan_reduction(mean):
    """np.nansum / np.nanmean: the sum (mean) of the elements that are not nan; their gradient is 0."""
    def call(p, e, env):
        if not e.args:
            raise p.m.error(e, f"{ast.unparse(e.func)} takes 1 value argument here (got 0)", "write it as in NumPy")
        x = p.value(e.args[0], env)
        missing = p.b.emit("isnan", (x,))
        total = p.primitive(*_nan_sum(p, e, env, p.b.emit("where", (missing, Const(0.0), x))))
        if not mean:
            return total
        count = p.primitive(*_nan_sum(p, e, env, p.b.emit("where", (missing, Const(0.0), Const(1.0)))))
        return p.b.emit("div", (total, count))
    return call


CALLS["numpy.nansum"] = _nan_reduction(mean=False)
CALLS["numpy.nanmean"] = _nan_reduction(mean=True)
CALLS["numpy.ptp"] = lambda p, e, env: p.b.emit("sub", (p.primitive(e, "max", env), p.primitive(e, "min", env)))


def _append(p, e, env):
    """np.append(a, b): both flattened, then joined (NumPy's reading without axis)."""
    if len(e.args) != 2 or e.keywords:
        raise p.m.error(e, f"{ast.unparse(e.func)} takes two arrays here (no axis)",
                        "write np.concatenate((a, b), axis=k) to join along an axis")
    a, b = (p.b.emit("ravel", (p.value(x, env),)) for x in e.args)
    return p.b.emit("concatenate", (a, b), {"axis": 0})


CALLS["numpy.append"] = _append
def _dict_call(p, e, env):
    """dict(a=x, b=y): the record {"a": x, "b": y}."""
    if e.args or any(kw.arg is None for kw in e.keywords):
        raise p.m.error(e, "dict() takes keyword arguments only here", 'write dict(a=x, b=y) or {"a": x, "b": y}')
    record = Record()
    for kw in e.keywords:
        record[kw.arg] = p.expr(kw.value, env)
    return record


def _list_call(p, e, env):
    """list(range(a, b, s)): the integer positions as an array that + joins; list((a, b)) or list([a, b]): the
    items."""
    (arg,) = p.positional(e, "list", 1, 1)
    if isinstance(arg, ast.Call) and p.dotted(arg.func) == "range":
        start, stop, step = p.range_args(arg, env)
        bounds = (start, stop, step) if step != Const(1) else (stop,) if start == Const(0) else (start, stop)
        positions = p.b.emit("arange", bounds, share=False)
        p.sequences.add(positions.name)
        return positions
    value = p.expr(arg, env)
    if isinstance(value, tuple):
        return value
    raise p.m.error(e, "list() is supported here of range(...) or of a tuple or list literal",
                    "write list(range(n)), or index and stack arrays directly")


CALLS["dict"] = _dict_call
CALLS["list"] = _list_call
CALLS["numpy.nonzero"] = lambda p, e, env: Nonzero(p.value(p.positional(e, "np.nonzero", 1, 1)[0], env), e)


def _real_part(imaginary):
    """np.real, np.conj, np.real_if_close of a real number or array: the value itself; np.imag: its zeros
    (wengert's values are real)."""
    def call(p, e, env):
        if len(e.args) != 1 or e.keywords:
            raise p.m.error(e, f"{ast.unparse(e.func)} takes one array here", "write it as in NumPy: np.real(x)")
        x = p.value(e.args[0], env)
        return p.b.emit("zeros_like", (x,)) if imaginary else x
    return call


def _rollaxis(p, e, env):
    """np.rollaxis(a, axis, start=0): np.moveaxis(a, axis, start), with start one less when it lies past
    axis (NumPy's reading of start as the position before which the axis goes)."""
    names = ("axis", "start")
    opts = {n: p.literal(a) for n, a in zip(names, e.args[1:])}
    opts.update({k.arg: p.literal(k.value) for k in e.keywords if k.arg in names})
    if not 2 <= len(e.args) + len(e.keywords) <= 3 or len(e.args) > 3 or any(k.arg not in names for k in e.keywords) \
            or "axis" not in opts or not all(isinstance(v, int) and not isinstance(v, bool) for v in opts.values()):
        raise p.m.error(e, "np.rollaxis takes an array, an integer axis and an integer start here",
                        "write np.rollaxis(a, 2, 0), or np.moveaxis(a, source, destination)")
    axis, start = opts["axis"], opts.get("start", 0)
    if axis < 0 or start < 0:
        raise p.m.error(e, "np.rollaxis with a negative axis or start is not supported here",
                        "write np.moveaxis(a, source, destination)")
    x = p.value(e.args[0], env)
    if start > axis:
        start -= 1
    return x if start == axis else p.b.emit("moveaxis", (x,), {"source": axis, "destination": start})


CALLS["numpy.rollaxis"] = _rollaxis


def _diff(p, e, env):
    """np.diff(a, n=1, axis=-1): n times a[..., 1:] - a[..., :-1] along axis (the slices, written out)."""
    names = ("n", "axis")
    opts = {n: p.literal(a) for n, a in zip(names, e.args[1:])}
    opts.update({k.arg: p.literal(k.value) for k in e.keywords if k.arg in names})
    if not e.args or len(e.args) > 3 or any(k.arg not in names for k in e.keywords) or \
            not all(isinstance(v, int) and not isinstance(v, bool) for v in opts.values()) or opts.get("n", 1) < 0:
        raise p.m.error(e, "np.diff takes an array, an integer n >= 0 and an integer axis here (no prepend, append)",
                        "write np.diff(a, n=1, axis=-1)")
    n, axis = opts.get("n", 1), opts.get("axis", -1)
    x = p.value(e.args[0], env)
    at = dict(lineno=e.lineno, col_offset=e.col_offset)

    def sliced(lower, upper):
        part = ast.Slice(ast.Constant(lower, **at) if lower is not None else None,
                         ast.Constant(upper, **at) if upper is not None else None, None, **at)
        full = ast.Slice(None, None, None, **at)
        items = [full] * axis + [part] if axis >= 0 else [ast.Constant(Ellipsis, **at), part] + [full] * (-axis - 1)
        return ast.Subscript(ast.Name("_wengert_diff", ast.Load(), **at), ast.Tuple(items, ast.Load(), **at),
                             ast.Load(), **at)

    for _ in range(n):
        x = p.value(ast.BinOp(sliced(1, None), ast.Sub(), sliced(None, -1), **at), {**env, "_wengert_diff": x})
    return x


CALLS["numpy.diff"] = _diff


def _select(p, e, env):
    """np.select(condlist, choicelist, default=0): the first choice whose condition holds, as nested
    np.where (the first condition outermost)."""
    default = [k.value for k in e.keywords if k.arg == "default"] + e.args[2:3]
    if len(e.args) < 2 or len(e.args) > 3 or len(default) > 1 or any(k.arg != "default" for k in e.keywords) or \
            not all(isinstance(a, (ast.List, ast.Tuple)) for a in e.args[:2]) or \
            len(e.args[0].elts) != len(e.args[1].elts) or not e.args[0].elts:
        raise p.m.error(e, "np.select takes two literal lists of the same length (conditions, choices) and "
                        "default here", "write np.select([x < 0, x > 1], [a, b], default=0.0)")
    out = p.value(default[0], env) if default else Const(0)
    for cond, choice in reversed(list(zip(e.args[0].elts, e.args[1].elts))):
        out = p.b.emit("where", (p.value(cond, env), p.value(choice, env), out))
    return out


CALLS["numpy.select"] = _select


for _name in ("real", "conj", "conjugate", "real_if_close"):
    CALLS[f"numpy.{_name}"] = _real_part(imaginary=False)
CALLS["numpy.imag"] = _real_part(imaginary=True)


CALLS.update(linalg_calls.CALLS)  # np.linalg, einsum and the other contractions (see linalg_calls.py)
CALLS.update(numpy_calls.CALLS)  # shapes, repeats, sorting, quantiles, splits... (see numpy_calls.py)
CALLS.update(scipy_calls.CALLS)  # scipy.special's softmax, logsumexp, digamma... (see scipy_calls.py)

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
