"""The primitive table: for each operation, how to emit it, what it means, and its derivatives.

Every entry (a Prim in PRIMS, made by one defprim / elementwise / unary / nondiff / reduction call) says,
in one place:
  numpy    a template for the emitted expression ({0}, {1}: arguments; {axis}: attributes),
  math     the template used when the source called math.* on scalars,
  sympy    its meaning on SymPy expressions (for the cross-check),
  shape    what is known statically about its result's shape,
  tangent  (tangents, y, *args, **attrs) -> tangent of y          (forward mode),
  adjoint  (g, y, *args, **attrs) -> one cotangent per argument    (reverse mode),
  batch    vector mode (Hessians, Jacobians): (builder, *args, **attrs) for args with a batch axis;
           broadcasting elementwise ops need none.
Rules are ordinary Python over trace values, so ``g * cos(x)`` appends ops to the
trace being built, and the derivative of a trace is again a trace.

The table is split by family, one module each:
  core          Prim, PRIMS, HELPERS, defprim, helper, the declaration helpers (elementwise, unary, nondiff)
                and the op-emitting helpers rules share (scale, kink, unbroadcast, unreduce, ...)
  elementwise   arithmetic, powers, transcendental functions, kinks, comparisons
  constructors  zeros, ones, eye, zeros_like, ... (no derivative)
  shape         shape/size/ndim/len, reshape, expand_dims, concatenate, stack
  reductions    sum, mean, max, min and the broadcasting bookkeeping (unreduce, unbroadcast, sum_axes)
  indexing      x[...] and its cotangent scatter, take, where
  linalg        dot, matmul, outer, transpose, trace, norm; np.linalg (solve, inv, det, slogdet, cholesky,
                eigh, norm with ord/axis), einsum, tensordot, inner, vdot, cross (parsed by linalg_calls.py)
  python        Python's own //, round, int, float on numbers
  control       the stack a loop's reverse sweep pops, the rows a loop collects
  batch         vector-mode rules that need more than broadcasting, and the ops only vector mode emits
  items         item assignment (setitem, addat, copy) and the index producers (argmax, argsort, ...)
  special       scipy.special (an optional extra): expit, log_expit, gammaln, polygamma/digamma, erf, erfc,
                xlogy, xlog1py, and the composites softmax, log_softmax, logsumexp (parsed by scipy_calls.py)
  composite     composite(name, template, build): a NumPy function emitted as itself, differentiated, batched
                and checked through its definition build(*args) with other primitives (which may read ranks):
                np.hstack, np.median, np.sort, np.repeat, np.average, ...

Adding a NumPy function:
  1. One declaration in its family's module: ``name = unary("name", sympy_fn, lambda y, x: partial)`` for an
     elementwise function, ``elementwise(...)`` with one partial per argument, ``nondiff(...)`` for a
     function without derivative, ``defprim(...)`` with shape/tangent/adjoint (and a vector-mode rule, batch=
     or PRIMS[name].batch in batch.py, unless it
     broadcasts elementwise) otherwise. A rule calls other primitives by their names in that module
     (import them from their family), or by ``apply("name", ...)``.
  2. The source spelling in parse/tables.py: NUMPY (np.name -> primitive), ATTRS (its literal attributes
     such as axis=), METHODS / REDUCING_METHODS / PLAIN_METHODS (x.name()), CALLS (a function written
     with other primitives, e.g. np.ptp); calls with literal arguments of their own (np.pad, np.split, np.tile)
     are read in parse/numpy_calls.py, whose tables parse/tables.py merges.
  3. Tests: central differences in both modes, wengert.check where SymPy has the meaning, a Hessian, and
     a bad input with its located message (tests/test_numpy_functions.py shows the pattern).

Subgradient convention at kinks: the midpoint of the Clarke subdifferential.
|x|' = 0 at 0; maximum/minimum and max/min split the gradient equally between
ties (so relu'(0) = 1/2); clip'(x) = 1/2 on a bound.
"""

from .core import *  # noqa: F401,F403
from .core import (HELPERS, PRIMS, Lazy, Prim, _batch_elementwise, _batch_of, _kwargs, _lift_rank,  # noqa: F401
                   _nonzero_number, _obj, _python_scalar, _rank, _scalar_or_array, _shift, _vectorized, reserved_names)
from .elementwise import *  # noqa: F401,F403
from .constructors import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
from .reductions import *  # noqa: F401,F403
from .reductions import _reduce_object, _sym_unbroadcast  # noqa: F401
from .indexing import *  # noqa: F401,F403
from .indexing import _index_text, _sym_index  # noqa: F401
from .linalg import *  # noqa: F401,F403
from .python import *  # noqa: F401,F403
from . import control, batch, items, qr, special  # noqa: F401,E402  (they only add entries to PRIMS and HELPERS)

# ---- which results are positive (> 0) when their arguments are ---------------------------------------------
# A division by, or the log or sqrt of, a value known positive cannot make inf or nan (see Prim.singular):
# 1 / (1 + exp(-z)) and log(sum(exp(u - max(u)))) keep plain products in their derivatives. (Underflow
# is ignored: exp(-800) is 0.0 in floating point, but positive here.) A new primitive may instead say
# positive= in its own declaration.


def _all_positive(*positive):
    return all(positive)


def _first_positive(*positive):
    return positive[0]


for _names, _rule in ((("exp", "cosh", "len", "size", "ones_like", "expit", "erfc", "softmax"), lambda *p: True),
                      (("add", "mul", "div", "sum", "mean", "max", "min", "stack", "concatenate"), _all_positive),
                      (("maximum",), lambda *p: any(p)),
                      (("pow", "power", "sqrt", "expm1", "log1p", "index", "transpose", "reshape", "expand_dims",
                        "unreduce", "broadcast_like"), _first_positive)):
    for _name in _names:
        PRIMS[_name].positive = _rule
