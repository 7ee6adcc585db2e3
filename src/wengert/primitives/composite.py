"""Composites: a NumPy function emitted as itself (np.hstack((x, y)), np.median(x)) but differentiated,
batched and checked through its definition with other primitives, which may depend on the ranks of the
arguments (known once the function is specialized to its arguments, not when it is parsed):

    hstack = composite("hstack", "np.hstack(...)", lambda *xs: concatenate(...))

The tangent is the definition's tangent trace, the adjoint its adjoint trace, each replayed where the rule
applies (so Hessians differentiate them again); vector mode applies the definition itself to the batched
arguments (its primitives have their own batching rules); the SymPy meaning evaluates it. Arguments that are
not traced values (literals) are part of the definition; diff_args names the arguments that may carry a
derivative (the others, integer indices, are read only).
"""

import numpy as np

from .. import shapes
from ..errors import GENERATED, WengertError
from ..trace import Const, Var, is_batched, key, lift
from .core import _obj, defprim, need_rank


def refuse(message, hint):
    """What NumPy refuses, found by a definition: a WengertError (placed at the source line by the caller)."""
    raise WengertError(message, GENERATED, 0, 0, "", hint)


def _definition(build, args, attrs, arg_keys=None):
    """(param names by argument position, a trace computing build(*args, **attrs)) for arguments shaped like
    args (their batch axis dropped) or given by arg_keys."""
    from ..trace import BUILDER, Names, Trace
    names = {i: f"x{i}" for i, a in enumerate(args) if type(a) is Var}
    if arg_keys is None:
        arg_keys = [key(a)[1:] if is_batched(a) and shapes.known(key(a)) else key(a) if type(a) is Var else None
                    for a in args]
    keys = {n: arg_keys[i] for i, n in names.items()}
    keys = {n: k if shapes.known(k) else n for n, k in keys.items()}
    b = BUILDER[0](Names(set(names.values())), keys)
    with b:
        out = build(*[Var(names[i]) if i in names else a for i, a in enumerate(args)], **attrs)
    return names, Trace("definition", tuple(names.values()), b.ops, (lift(out),), b.shapes, GENERATED)


def _tangent(build, diff_args):
    def tangent(ts, y, *args, **attrs):
        from ..custom import replay
        from ..forward import forward
        names, definition = _definition(build, args, attrs)
        moving = {i: t for i, t in enumerate(ts) if t is not None and i in names and i in diff_args}
        if not moving:
            return None
        seeds = {names[i]: Var(f"t{i}") for i in moving}
        rule = forward(definition, [(seeds, lambda v: v + "_dot")], with_value=False,
                       tangent_params={f"t{i}": names[i] for i in moving})
        values = {**{n: args[i] for i, n in names.items()}, **{f"t{i}": t for i, t in moving.items()}}
        return replay(rule, [values[p] for p in rule.params])[0]
    return tangent


def _adjoint(build, diff_args):
    def adjoint(g, y, *args, **attrs):
        from ..custom import replay
        from ..reverse import reverse
        names, definition = _definition(build, args, attrs)
        wrt = [i for i in names if i in diff_args]
        if not wrt:
            return (None,) * len(args)
        rule = reverse(definition, [names[i] for i in wrt], seed="g")
        values = {**{n: args[i] for i, n in names.items()}, "g": g}
        grads = dict(zip(wrt, replay(rule, [values[p] for p in rule.params])))
        return tuple(grads.get(i) for i in range(len(args)))
    return adjoint


def _shape(build):
    def shape(*arg_keys, **attrs):
        literal = [isinstance(k, tuple) and k[:1] == ("const",) for k in arg_keys]
        if not all(shapes.known(k) or lit for k, lit in zip(arg_keys, literal)):
            return None
        args = [Const(k[1]) if lit else Var("_") for k, lit in zip(arg_keys, literal)]
        try:
            _, definition = _definition(build, args, attrs, arg_keys)
        except WengertError:
            return None
        out = definition.outputs[0]
        return definition.shapes.get(out.name) if type(out) is Var else None
    return shape


def _meaning(build):
    def meaning(*args, **attrs):
        from ..sympy_check import current_point, evaluate
        values = [_obj(a) if isinstance(a, (np.ndarray, list, tuple)) else a for a in args]
        literal = [v is None or isinstance(v, str) for v in values]
        arg_keys = [None if lit else tuple(1 if d == 1 else "n" for d in np.shape(v)) for v, lit in zip(values, literal)]
        names, definition = _definition(build, [Const(v) if lit else Var("_") for v, lit in zip(values, literal)],
                                        attrs, arg_keys)
        (out,) = evaluate(definition, {n: values[i] for i, n in names.items()}, at=current_point())
        return out
    return meaning


def composite(name, numpy, build, diff_args=None, **kw):
    """A primitive emitted by the template numpy and defined by build(*args, **attrs) (see the module docstring)."""
    def batch(b, *args, **attrs):
        return build(*args, **attrs)
    diff = tuple(range(64)) if diff_args is None else diff_args
    return defprim(name, numpy, sympy=_meaning(build), shape=_shape(build), tangent=_tangent(build, diff),
                   adjoint=_adjoint(build, diff), batch=batch, diff_args=diff_args, **kw)


def constant(v):
    """A literal argument of a composite as the value build reads."""
    return v.value if type(v) is Const else v


def helper_function(source):
    """Register the helper source for the generated code (core.helper) and return it as a Python function too,
    so that a symbolic meaning can run the very same code on object arrays."""
    from .core import helper
    name = helper(source)
    namespace = {"np": np}
    exec(compile(source.strip() + "\n", f"<wengert helper {name}>", "exec"), namespace)  # noqa: S102 (our own text)
    return namespace[name]
