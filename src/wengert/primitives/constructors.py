"""Arrays built from shapes or other arrays' shapes: no derivative flows through them (except into np.full's fill
value and np.linspace's ends)."""

import numpy as np

from .. import shapes
from ..trace import apply
from .core import PRIMS, Lazy, sympy, _kwargs, broadcast_like, defprim, helper, nondiff, unbroadcast, zeros_like


def _shape_arg(s, *rest):
    """The shape key of an array made from the shape argument s: a literal, or one number (a 1-D array)."""
    if isinstance(s, tuple) and s[:1] == ("const",):
        return shapes.from_literal(s[1])
    return (None,) if s == shapes.SCALAR else None


zeros = nondiff("zeros", "np.zeros({0})", lambda s: np.zeros(s, dtype=object) * 0, _shape_arg)
ones = nondiff("ones", "np.ones({0})", lambda s: np.ones(s, dtype=object), _shape_arg)
eye = nondiff("eye", lambda n, M=None, k=0: f"np.eye({n}{_kwargs(M=M, k=k or None)})",
              lambda n, M=None, k=0: np.eye(int(n), M, k, dtype=int).astype(object), lambda n, M=None, k=0: (None, None))
zeros_like_ = nondiff("zeros_like", "np.zeros_like({0})", lambda a: np.zeros_like(np.asarray(a), dtype=object) * 0,
                      lambda a: a)
ones_like = nondiff("ones_like", "np.ones_like({0})", lambda a: np.ones_like(np.asarray(a), dtype=object),
                    lambda a: a)

eye_like = nondiff("eye_like", "np.eye(*np.shape({0}))", lambda a: np.eye(*np.shape(a), dtype=int).astype(object),
                   lambda a: a)


for _name in ("zeros_like", "ones_like", "eye_like"):
    PRIMS[_name].shape_args = (0,)


# ---- more constructors (issue 15) ------------------------------------------------------------------------------

def _number(v):
    """A SymPy or Python number as the Python int or float NumPy's constructors take."""
    return int(v) if float(v).is_integer() and not isinstance(v, float) else float(v)


def _guarded(name, numpy, sympy_fn, shape):
    """A constructor whose values move with its arguments (np.arange(a, b) starts at a): the arguments must not
    depend on the differentiated inputs, and both modes say so where one would."""
    return defprim(name, numpy, sympy=sympy_fn, shape=shape, diff_args=(),
                   tangent=lambda ts, y, *args, **kw: None, adjoint=lambda g, y, *args, **kw: (None,) * len(args))


def _arange_shape(*keys):
    values = [k[1] for k in keys if isinstance(k, tuple) and k[:1] == ("const",)]
    if len(values) == len(keys) and all(isinstance(v, (int, float)) for v in values):
        return (shapes._size(len(np.arange(*values))),)
    return (None,)


arange = _guarded("arange", lambda *xs: f"np.arange({', '.join(xs)})",
                  lambda *xs: np.array(np.arange(*map(_number, xs)), dtype=object), _arange_shape)
# np.full_like keeps a's dtype (an integer a truncates the fill value), so the fill value must not depend on the
# differentiated inputs; a itself is read for its shape only (its cotangent is zero)
full_like = defprim("full_like", "np.full_like({0}, {1})", sympy=lambda a, v: np.full(np.shape(a), v, dtype=object),
                    shape=lambda a, v: a, shape_args=(0,), diff_args=(0,), tangent=lambda ts, y, a, v: None,
                    adjoint=lambda g, y, a, v: (Lazy(lambda: zeros_like(a)), None))

full = defprim("full", "np.full({0}, {1})", sympy=lambda s, v: np.full(s, v, dtype=object), shape=_shape_arg,
               diff_args=(1,), tangent=lambda ts, y, s, v: broadcast_like(ts[1], y),
               adjoint=lambda g, y, s, v: (None, Lazy(lambda: unbroadcast(g, v))))


helper('''
def _linspace_vjp(g, num, end, axis=0):
    """The cotangent of np.linspace's start (end 0) or stop (end 1) from the cotangent g of its result."""
    weights = np.linspace(1.0 - end, float(end), num)
    return np.moveaxis(g, axis, -1) @ weights
''')


def _linspace_tangent(ts, y, a, b, num=50, axis=0):
    """np.linspace is linear in its ends: the tangent is the linspace of their tangents."""
    return apply("linspace", 0.0 if ts[0] is None else ts[0], 0.0 if ts[1] is None else ts[1], num=num, axis=axis)


def _linspace_vjp_shape(g, num, end, axis=0):
    return g[:axis] + g[axis + 1:] if shapes.known(g) else None


linspace = defprim("linspace", lambda a, b, num=50, axis=0:
                   f"np.linspace({a}, {b}{_kwargs(num=num) if num != 50 else ''}{_kwargs(axis=axis or None)})",
                   sympy=lambda a, b, num=50, axis=0: _sym_linspace(a, b, num, axis),
                   shape=lambda a, b, num=50, axis=0: (shapes._size(num),) if a == shapes.SCALAR == b else None,
                   tangent=_linspace_tangent,
                   adjoint=lambda g, y, a, b, num=50, axis=0: tuple(
                       Lazy(lambda end=end: unbroadcast(apply("linspace_vjp", g, num=num, end=end, axis=axis), x))
                       for end, x in ((0, a), (1, b))))
defprim("linspace_vjp", "_linspace_vjp({0}, {num}, {end}, {axis})",
        sympy=lambda g, num, end, axis=0: _sym_linspace_vjp(g, num, end, axis), shape=_linspace_vjp_shape,
        tangent=lambda ts, y, g, **kw: apply("linspace_vjp", ts[0], **kw),
        adjoint=lambda h, y, g, num, end, axis=0: (_spread(h, num, end, axis),))


def _spread(h, num, end, axis):
    """The cotangent of g in _linspace_vjp: h times the weights, along the axis it contracted."""
    return apply("linspace", h if end == 0 else 0.0, 0.0 if end == 0 else h, num=num, axis=axis)


def _sym_linspace(a, b, num, axis=0):
    a, b = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
    steps = [a + (b - a) * sympy.Rational(i, max(num - 1, 1)) for i in range(num)]
    out = np.stack([np.asarray(s, dtype=object) for s in steps], axis=axis)
    return out


def _sym_linspace_vjp(g, num, end, axis=0):
    weights = [sympy.Rational(i, max(num - 1, 1)) if end else 1 - sympy.Rational(i, max(num - 1, 1))
               for i in range(num)]
    g = np.moveaxis(np.asarray(g, dtype=object), axis, -1)
    out = sum(g[..., i] * w for i, w in enumerate(weights))
    return out.item() if isinstance(out, np.ndarray) and out.shape == () else out
tri = nondiff("tri", lambda n, M=None, k=0: f"np.tri({n}{_kwargs(M=M, k=k or None)})",
              lambda n, M=None, k=0: np.tri(int(n), M, k, dtype=int).astype(object), lambda n, M=None, k=0: (None, None))
