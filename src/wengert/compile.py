"""Generated source -> callable. Cached by source text; registered with linecache so
tracebacks and debuggers show the generated lines. Also the one gate to Python's own parser."""

import ast
import contextlib
import gc
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
_collection_users = [0, False]  # the same for garbage collection: users, was it enabled


@contextlib.contextmanager
def collection_paused():
    """No cyclic garbage collection inside: the compiler makes millions of small objects and few cycles, and
    collecting took 40% of a 10,000-statement compile, more the larger the program. The last thread to
    finish turns collection back on, if it was on."""
    with _lock:
        if _collection_users[0] == 0:
            _collection_users[1] = gc.isenabled()
            gc.disable()
        _collection_users[0] += 1
    try:
        yield
    finally:
        with _lock:
            _collection_users[0] -= 1
            if _collection_users[0] == 0 and _collection_users[1]:
                gc.enable()


@contextlib.contextmanager
def compiling():
    """While wengert derives and emits: a higher recursion limit (the last thread to finish restores it),
    and no garbage collection. Not around Python's parser: deep recursion there overflows the C stack."""
    with _lock:
        if _recursion_users[0] == 0:
            _recursion_users[1] = sys.getrecursionlimit()
            sys.setrecursionlimit(max(_recursion_users[1], DEEP_RECURSION_LIMIT))
        _recursion_users[0] += 1
    try:
        with collection_paused():
            yield
    finally:
        with _lock:
            _recursion_users[0] -= 1
            if _recursion_users[0] == 0:
                sys.setrecursionlimit(_recursion_users[1])


def python_ast(source, filename="<unknown>", mode="exec"):
    """ast.parse, safe while other threads compile."""
    with _lock, collection_paused():
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
