"""Generated code -> callable: a syntax tree compiled as it is (compile_tree: its source printed only when read,
its statements shown in tracebacks through a lazy linecache entry), or source text (compile_function: cached
by text, registered with linecache). Also the one gate to Python's own parser."""

import ast
import contextlib
import copy
import functools
import gc
import hashlib
import itertools
import linecache
import sys
import threading
import types

_cache = {}
_serial = itertools.count(1)

# Frames the compiler may use: an expression nested a few thousand levels deep takes several per level.
# Pure-Python calls do not grow the C stack from Python 3.11 on; before that, stay closer to the default.
DEEP_RECURSION_LIMIT = 40_000 if sys.version_info >= (3, 11) else 8_000

# CPython 3.11's AST constructor fails ("recursion depth mismatch") when another thread changes the
# recursion limit while it runs, so raising or restoring the limit and calling Python's parser or
# compiler all take this one lock.
_lock = threading.RLock()


class _Shared:
    """A process-wide setting held while any thread needs it: the first to enter calls change() (which returns
    how to undo it), the last to leave undoes it."""

    def __init__(self, change):
        self.change, self.users, self.undo = change, 0, None

    @contextlib.contextmanager
    def held(self):
        with _lock:
            if self.users == 0:
                self.undo = self.change()
            self.users += 1
        try:
            yield
        finally:
            with _lock:
                self.users -= 1
                if self.users == 0:
                    self.undo()


def _raise_recursion_limit():
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(max(before, DEEP_RECURSION_LIMIT))
    return lambda: sys.setrecursionlimit(before)


def _pause_collection():
    """The compiler makes millions of small objects and few cycles: collecting took 40% of a
    10,000-statement compile, more the larger the program."""
    was_enabled = gc.isenabled()
    gc.disable()
    return gc.enable if was_enabled else (lambda: None)


_deep_recursion, _no_collection = _Shared(_raise_recursion_limit), _Shared(_pause_collection)


@contextlib.contextmanager
def compiling():
    """While wengert derives and emits: a higher recursion limit and no cyclic garbage collection. Not around
    Python's parser: deep recursion there overflows the C stack."""
    with _deep_recursion.held(), _no_collection.held():
        yield


def python_ast(source, filename="<unknown>", mode="exec"):
    """ast.parse, safe while other threads compile."""
    with _lock, _no_collection.held():
        return ast.parse(source, filename, mode)


def compile_tree(module, name, text):
    """The function `name` defined by `module`, an ast.Module, compiled as it is: its source is printed only when
    someone reads it. text() prints it (fn.__wengert_text__ gives it, once); a traceback through the function
    shows its statements, one a line (linecache reads them when asked). Compiled once per distinct code: the
    same code object (Python compares bytecode, constants, names and lines) gives the same function."""
    with _lock, _no_collection.held():  # a large tree: collecting would walk it again and again
        statements = _number_lines(module)
        code = compile(module, "wengert-generated", "exec")
        fn = _cache.get(("tree", code, name))
        if fn is None:
            filename = f"wengert-generated:{name}:{next(_serial)}"  # not <...>: linecache asks for lazy lines
            linecache.cache[filename] = (lambda: _one_per_line(statements),)
            namespace = {"__name__": f"wengert_generated_{name}"}
            exec(_in_file(code, filename), namespace)
            fn = namespace[name]
            fn.__wengert_text__ = functools.lru_cache(maxsize=None)(text)
            _cache[("tree", code, name)] = fn
    return fn


def _in_file(code, filename):
    """code, and the code objects in it, with co_filename set to filename."""
    consts = tuple(_in_file(c, filename) if isinstance(c, types.CodeType) else c for c in code.co_consts)
    return code.replace(co_filename=filename, co_consts=consts)


def source_text(fn):
    """The source of a function made by compile_tree or compile_function."""
    return fn.__wengert_text__()


WHOLE_LINE = 10_000  # a column past the end of any line: tracebacks show the line without carets


def _number_lines(module):
    """Number the statements of module 1, 2, ... in the order they are written and give every node in a
    statement (not in the statements nested in it) the statement's number as its line: [(depth, statement)]."""
    statements, pending = [], [(0, s) for s in reversed(module.body)]
    while pending:
        depth, statement = pending.pop()
        statements.append((depth, statement))
        line, nested, stack = len(statements), [], [statement]
        while stack:
            node = stack.pop()
            if node._attributes:
                node.lineno = node.end_lineno = line
                node.col_offset, node.end_col_offset = 0, WHOLE_LINE
            for field in node._fields:
                value = getattr(node, field, None)
                if type(value) is list:
                    for item in value:
                        if isinstance(item, ast.stmt):
                            nested.append(item)
                        elif isinstance(item, ast.AST):
                            stack.append(item)
                elif isinstance(value, ast.AST) and value._fields:
                    stack.append(value)
        pending += [(depth + 1, s) for s in reversed(nested)]
    return statements


def _one_per_line(statements):
    """Lines for linecache: each statement on the line _number_lines gave it, a compound one by its header."""
    lines = []
    for depth, statement in statements:
        if isinstance(statement, (ast.For, ast.While, ast.If, ast.FunctionDef)):
            header = copy.copy(statement)
            header.body, header.orelse = [ast.Pass()], []
            text = ast.unparse(header).splitlines()[0]
        else:
            text = " ".join(part.strip() for part in ast.unparse(statement).splitlines())
        lines.append("    " * depth + text + "\n")
    return "".join(lines)


def compile_function(source, name, namespace=None):
    """The function `name` defined by module `source` (compiled once per distinct source); with a namespace
    (the module's globals), compiled anew each time."""
    with _lock:
        fn = None if namespace else _cache.get((source, name))
        if fn is None:
            digest = hashlib.sha1(source.encode()).hexdigest()[:10]
            filename = f"<wengert {name} {digest}>"
            linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
            shared = namespace is None
            namespace = {"__name__": f"wengert_generated_{name}", **(namespace or {})}
            exec(compile(source, filename, "exec"), namespace)
            fn = namespace[name]
            fn.__wengert_text__ = lambda: source
            if shared:
                _cache[(source, name)] = fn
        return fn
