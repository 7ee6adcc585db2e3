"""Generated source -> callable. Cached by source text; registered with linecache so
tracebacks and debuggers show the generated lines. Also the one gate to Python's own parser."""

import ast
import contextlib
import hashlib
import linecache
import sys
import threading

_cache = {}

# Frames the compiler may use: an expression nested a few thousand levels deep takes several per level.
# Pure-Python calls do not grow the C stack from Python 3.11 on; before that, stay closer to the default.
DEEP_RECURSION_LIMIT = 40_000 if sys.version_info >= (3, 11) else 8_000

# CPython 3.11's AST constructor fails ("recursion depth mismatch") when another thread changes the
# recursion limit while it runs, so raising or restoring the limit and calling Python's parser or
# compiler all take this one lock.
_lock = threading.RLock()
_recursion_users = [0, None]  # compilations running, the limit to restore when the last one ends


@contextlib.contextmanager
def deep_recursion():
    """Raise the interpreter's recursion limit while compiling; the last thread to finish restores it."""
    with _lock:
        if _recursion_users[0] == 0:
            _recursion_users[1] = sys.getrecursionlimit()
            sys.setrecursionlimit(max(_recursion_users[1], DEEP_RECURSION_LIMIT))
        _recursion_users[0] += 1
    try:
        yield
    finally:
        with _lock:
            _recursion_users[0] -= 1
            if _recursion_users[0] == 0:
                sys.setrecursionlimit(_recursion_users[1])


def python_ast(source, filename="<unknown>", mode="exec"):
    """ast.parse, safe while other threads compile."""
    with _lock:
        return ast.parse(source, filename, mode)


def compile_function(source, name):
    """The function `name` defined by module `source` (compiled once per distinct source)."""
    with _lock:
        fn = _cache.get((source, name))
        if fn is None:
            digest = hashlib.sha1(source.encode()).hexdigest()[:10]
            filename = f"<wengert {name} {digest}>"
            linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
            namespace = {"__name__": f"wengert_generated_{name}"}
            exec(compile(source, filename, "exec"), namespace)
            fn = namespace[name]
            fn.__wengert_source__ = source
            _cache[(source, name)] = fn
        return fn
