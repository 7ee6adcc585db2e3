"""Generated source -> callable. Cached by source text; registered with linecache so
tracebacks and debuggers show the generated lines."""

import hashlib
import linecache
import threading

_cache = {}
_lock = threading.Lock()


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
