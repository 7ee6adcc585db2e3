"""One source file read as an AST: its functions, classes, import aliases and literal constants, and the
located errors that point into it. Reads source; never imports or runs it.
"""

import ast
import collections
import inspect
import os

from ..compile import python_ast
from ..errors import WengertError, remember


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


def _parameters(node):
    """The parameters of a def in order (positional-only, positional, keyword-only; not *args, **kwargs)."""
    a = node.args
    return a.posonlyargs + a.args + a.kwonlyargs


def _def_lines(node):
    """The lines a function's code object may give as its first (its def, or a decorator's)."""
    return (node.lineno,) + tuple(d.lineno for d in node.decorator_list)
