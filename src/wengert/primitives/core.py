"""The common machinery of the primitive table: the Prim record, PRIMS and HELPERS, defprim and helper,
the op-emitting helpers every family's rules use (unbroadcast, unreduce, scale, kink, ...), the elementwise
and nondiff declaration helpers, and the vector-mode helpers (_rank, _shift, _batch_elementwise)."""

from dataclasses import dataclass
import functools
import importlib
import math as math_

import numpy as np

from .. import shapes
from ..errors import GENERATED, NeedsRanks, WengertError
from ..trace import Const, Var, apply, is_batched, key, lift, primal_rank, rank


class _Meanings:
    """Symbolic meanings, loaded when first used: `sympy.sin` here is a function that calls SymPy's sin, so the
    table reads as SymPy but `import wengert` does not import SymPy (only wengert.check evaluates meanings).
    `module` names where the functions live: "sympy", or ".symbolic" for wengert's own sympy.Function
    subclasses (Sign, SplitMax, SplitMin)."""

    def __init__(self, module):
        self._module = module

    def __getattr__(self, name):
        module = self._module

        def meaning(*args, **kwargs):
            return _loaded(module, name)(*args, **kwargs)
        meaning.__name__ = meaning.__qualname__ = name
        return meaning


@functools.lru_cache(maxsize=None)
def _loaded(module, name):
    return getattr(importlib.import_module(module, __package__), name)


sympy = _Meanings("sympy")
symbolic = _Meanings(".symbolic")


class _SciPy:
    """`scipy` in the namespaces that run primitive templates (interpreter, tables, constant folding):
    scipy.special is imported when a template first reads it, so `import wengert` never imports SciPy."""

    def __getattr__(self, name):
        return importlib.import_module(f"scipy.{name}")


SCIPY = _SciPy()


@dataclass
class Prim:
    name: str
    numpy: object                  # template str or callable(*arg_src, **attrs) -> str
    math: str = None
    sympy: object = None
    shape: object = None           # callable(*arg_keys, **attrs) -> key or None
    tangent: object = None
    adjoint: object = None
    nondiff: bool = False          # the output carries no derivative
    diff_args: tuple = None        # positions that may carry a derivative (None: all)
    statement: bool = False        # emitted as its own statement, never folded into an expression
    shape_args: tuple = ()         # positions read only for their shape (any array of that shape will do)
    effect: bool = False           # has a side effect (stack push/pop): never shared, folded or dropped alone
    statement_value: bool = False  # an effect whose result is used (pop), so it is assigned
    kept: bool = False             # an effect kept though nothing reads its result (an assert)
    batch: object = None           # vector mode: callable(builder, args, attrs) for args with a batch axis
    singular: object = False       # its value or partials can be inf/nan at finite args: bool, or
                                   # callable(args, positive) with positive[i]: args[i] is known > 0
    positive: object = None        # callable(*positive) -> is the result > 0 when these arguments are

    def is_singular(self, args, positive):
        return self.singular(args, positive) if callable(self.singular) else self.singular

    def batch_rule(self, b, args, attrs):
        if self.batch is not None:
            return self.batch(b, *args, **attrs)
        if self.shape is shapes.broadcast:
            return _batch_elementwise(b, self.name, args, attrs)
        raise WengertError(f"{self.name} has no vector-mode rule yet (Hessians and Jacobians through it)",
                           GENERATED, 0, 0, "", "use hvp or jvp/vjp one direction at a time")

    def shape_of(self, keys, attrs):
        if not self.shape:
            return None
        if "lib" in attrs:
            attrs = {k: v for k, v in attrs.items() if k != "lib"}
        return self.shape(*keys, **attrs)

    def source(self, args, attrs, lib="np"):
        template = self.math if lib == "math" and self.math else self.numpy
        attrs = {k: v for k, v in attrs.items() if k != "lib"}
        if callable(template):
            return template(*args, **attrs)
        return template.format(*args, **{k: repr(v) for k, v in attrs.items()})


PRIMS = {}
HELPERS = {}  # name -> source of a small function the generated code may call; emitted inline when used


def reserved_names():
    """Names the generated code reads as its modules and helpers: no variable in it may take one."""
    return {"np", "math", "scipy"} | set(HELPERS)


def helper(source):
    name = source.split("def ", 1)[1].split("(", 1)[0]
    HELPERS[name] = source.strip() + "\n"
    return name


def defprim(name, numpy, **kw):
    PRIMS[name] = Prim(name, numpy, **kw)
    return functools.partial(apply, name)

# ---- helpers that emit ops ------------------------------------------------------

def unbroadcast(g, x):
    return apply("unbroadcast", g, x)


def broadcast_like(t, ref):
    if _python_scalar(t) and not _python_scalar(ref) and not is_batched(ref):
        return apply("ones_like", ref) * t  # as in unreduce: keep ref's precision
    return apply("broadcast_like", t, ref)


def zeros_like(x):
    return apply("zeros_like", x)


def need_rank(x, what):
    """The rank of x without a batch axis; NeedsRanks (derived again per call signature) when unknown."""
    r = primal_rank(x)
    if r is None:
        raise NeedsRanks(f"{what} needs the rank of its arguments", GENERATED, 0, 0, "",
                         "from Python, call the function on arrays; on the command line give --shape")
    return r


def kink(d):
    """1 where d > 0, 0 where d < 0, 1/2 at d == 0: the midpoint subgradient of max(d, 0)'s step."""
    return (apply("sign", d) + 1) * 0.5


# ---- declaring elementwise operations ------------------------------------------------------------------

def _kwargs(**attrs):
    return "".join(f", {k}={v!r}" for k, v in attrs.items() if v is not None and v is not False)


def scale(t, d):
    """t * d for a tangent or cotangent t and a local partial d, where 0 times anything is 0 if either may
    be inf or nan: what a where, maximum, clip or abs did not select, or a direction that does not move an
    element, stays exactly zero through a partial that is infinite or undefined there (sqrt'(0), a partial
    in an untaken branch), and a zero partial stops an infinite (co)tangent. Both modes multiply the same
    factors along every path, so with this rule they agree at such points too."""
    b = _builder()
    t, d = lift(t), lift(d)
    if not any(type(v) is Var and b.nonfinite(v) for v in (t, d)):
        return t * d
    quotient = b.defs.get(d.name) if type(d) is Var else None
    if quotient is not None and quotient.prim == "div" and b.lib != "math":
        # t * (n / m) as (t * n) / m in NumPy's division: Python floats would raise ZeroDivisionError at
        # 1.0 / 0.0 where np.log(0.0) gave -inf (math.log raises in the function itself: plain there)
        numerator, denominator = quotient.args
        return apply("div0", scale(t, numerator), denominator)
    if _nonzero_number(t) or _nonzero_number(d):
        return t * d
    return apply("mul0", t, d)


def _builder():
    from ..trace import _active
    return _active.builders[-1]


def elementwise(name, numpy, sympy_fn, *partials, math=None, diff_args=None, singular=False):
    """A broadcasting elementwise op given by its local partial derivatives d(y, *args)."""

    def tangent(ts, y, *args):
        terms = [broadcast_like(scale(t, d(y, *args)), y) for t, d in zip(ts, partials) if t is not None]
        return functools.reduce(lambda a, b: a + b, terms) if terms else None

    def adjoint(g, y, *args):
        return tuple(Lazy(lambda d=d, x=x: unbroadcast(scale(g, d(y, *args)), x)) for d, x in zip(partials, args))

    return defprim(name, numpy, math=math, sympy=_vectorized(sympy_fn), shape=shapes.broadcast,
                   tangent=tangent, adjoint=adjoint, diff_args=diff_args, singular=singular)


def _vectorized(fn):
    """Apply a scalar SymPy meaning elementwise when any argument is an (object) array."""
    def meaning(*args):
        if any(isinstance(a, np.ndarray) for a in args):
            return np.vectorize(fn, otypes=[object])(*args)
        return fn(*args)
    return meaning


class Lazy:
    """A cotangent contribution built only if the argument is active."""

    def __init__(self, build):
        self.build = build


def unary(name, sympy_fn, d, math=None, numpy=None, singular=False):
    return elementwise(name, numpy or f"np.{name}({{0}})", sympy_fn, d, math=math, singular=singular)


def _nonzero_number(v):
    return type(v) is Const and isinstance(v.value, (int, float)) and v.value != 0 and math_.isfinite(v.value)


def _unless_positive(args, positive):
    """log, sqrt, log1p and their partials are finite at a positive argument."""
    return not positive[0]


def _smooth_power(b):
    """a ** b and its partials are finite at every finite a: b a literal 0 or at least 1."""
    return type(b) is Const and isinstance(b.value, (int, float)) and (b.value == 0 or b.value >= 1)


def nondiff(name, numpy, sympy_fn=None, shape=None, math=None):
    return defprim(name, numpy, math=math, sympy=_vectorized(sympy_fn) if shape is shapes.broadcast else sympy_fn,
                   shape=shape, nondiff=True)


def unreduce(g, x, axis=None, keepdims=False):
    """Spread a reduction's cotangent back over the reduced axes."""
    if _python_scalar(g):
        return apply("ones_like", x) * g  # broadcasting would make a Python float float64: keep x's precision
    return apply("unreduce", g, x, axis=axis, keepdims=keepdims)


def _python_scalar(v):
    """Is v a number (not an array) in the trace being built? np.broadcast_arrays turns a Python float into
    a float64 array, while arithmetic keeps a float32 array float32 (NumPy 2 promotion)."""
    return key(v) == shapes.SCALAR and not is_batched(v)


def _obj(x):
    return np.asarray(x, dtype=object)


def _scalar_or_array(x):
    x = np.asarray(x, dtype=object)
    return x.item() if x.shape == () else x


# ---- vector mode helpers (the rules themselves are in batch.py and next to declarations) --------------

def _rank(x):
    r = primal_rank(x)
    if r is None:
        raise WengertError("Hessians and Jacobians compute all directions at once, which needs the rank of "
                           "every array", GENERATED, 0, 0, "",
                           "on the command line give --shape x=n (x=n,m for a matrix); from Python, "
                           "call the function on arrays")
    return r


def _lift_rank(b, x, rank):
    """A batched x with its primal axes padded on the left to `rank` (so broadcasting lines up)."""
    r = _rank(x)
    if is_batched(x) and r < rank:
        return b.emit_batched("expand_dims", (x,), {"axis": tuple(range(1, 1 + rank - r))})
    return x


def _batch_elementwise(b, name, args, attrs):
    rank = max(_rank(a) if isinstance(a, Var) else 0 for a in args)
    return b.emit_batched(name, [_lift_rank(b, a, rank) for a in args], attrs)


def _shift(axis, rank):
    """Axis argument for the batched op: every primal axis moves one to the right."""
    if axis is None:
        return tuple(range(1, rank + 1))
    if isinstance(axis, tuple):
        return tuple(a + 1 if a >= 0 else a for a in axis)
    return axis + 1 if axis >= 0 else axis


def _batch_of(batched, like):
    """Shape key of a batch of values shaped like `like`."""
    return batched[:1] + like if shapes.known(batched) and batched and shapes.known(like) else None
