"""Python's own arithmetic and builtins on numbers: //, round, int, float, min of counts, len(range(...)).

Conventions (README "Plain Python"): a // b, round and int are piecewise constant, derivative 0 (at their
jumps too); float(x) passes the derivative. a % b is the elementwise `mod` (d/da = 1, d/db = -(a // b)).
"""

from .. import shapes
from .core import PRIMS, defprim, nondiff, symbolic, sympy


floordiv = nondiff("floordiv", "{0} // {1}", lambda a, b: PRIMS["floor"].sympy(a / b), shapes.broadcast)
pyround = nondiff("pyround", lambda x, *digits: f"round({', '.join((x,) + digits)})",
                  lambda x, *digits: symbolic.PyRound(x, *digits), shapes.broadcast)
int_ = nondiff("int", "int({0})", lambda a: PRIMS["trunc"].sympy(a), lambda a: shapes.SCALAR)
float_ = defprim("float", "float({0})", sympy=lambda a: a, shape=lambda a: shapes.SCALAR,
                 tangent=lambda ts, y, x: ts[0], adjoint=lambda g, y, x: (g,),
                 batch=lambda b, x: x)  # float(x) of a scalar is x; its (co)tangents pass unchanged
builtin_min = nondiff("builtin_min", lambda *xs: f"min({', '.join(xs)})", lambda *xs: sympy.Min(*xs),
                      lambda *keys: shapes.SCALAR)  # min of counts (zip of sequences)
range_len = nondiff("range_len", "len(range({0}, {1}, {2}))",
                    lambda a, b, c: max(0, -((a - b) // c)), lambda *keys: shapes.SCALAR)
