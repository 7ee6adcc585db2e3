"""Restricted Python (ast) -> Trace. Reads source; never imports or runs it.

Calls to other functions of the same module are inlined at the call site, so the trace (and the derivative
code) is one flat function: no call overhead, and every intermediate is optimized together. A recursion is
unrolled only when constants or the arguments' shapes fix its depth.

One module per kind of syntax: module.py (the source file), parser.py (the Parser and what its parts share),
statements.py, mutation.py (item assignment, append), expressions.py, indexing.py, calls.py with the spellings
of tables.py and the calls read in numpy_calls.py, linalg_calls.py and scipy_calls.py, inlining.py (the user's
own functions and methods), specialize.py (scalars and shapes known before a call).
"""

from .module import Module, _parameters, module_of
from .parser import parse
from .specialize import fresh_array, infer_scalars, with_shapes

__all__ = ["Module", "module_of", "parse", "infer_scalars", "with_shapes", "fresh_array", "_parameters"]
