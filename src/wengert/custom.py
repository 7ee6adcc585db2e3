"""User-defined primitives: a function wengert does not read, with derivative rules the user writes.

    @wengert.primitive
    def cube_root(x):                 # any Python: wengert never reads this body
        return np.cbrt(x)

    @cube_root.defvjp
    def cube_root_vjp(g, y, x):       # cotangent, output, inputs -> one cotangent per input (a tuple for several)
        return g / (3.0 * y * y)

    @cube_root.defjvp
    def cube_root_jvp(t, y, x):       # tangents of the inputs, output, inputs -> tangent of the output
        return t / (3.0 * y * y)

The parser finds these decorators in the source (it never runs the file), parses the rules as ordinary
functions of wengert's subset, and registers one table entry whose tangent and adjoint replay the rules'
traces: so a rule is differentiated again for Hessians like any other code. The generated module calls the
primitive itself, imported from the user's module (see `imports`).
"""

import ast
import functools
import hashlib
import re
import sys

from . import shapes
from .errors import GENERATED, WengertError
from .primitives import PRIMS, Prim, zeros_like
from .trace import STRUCTURED, Const, Var, _active


def primitive(fn=None, *, shape=None):
    """Decorator: the function is called as it is; wengert uses the rules given with .defvjp / .defjvp.
    shape= says what wengert cannot read from the body, the shape of the result (Hessians and Jacobians
    need ranks): "elementwise" (the inputs broadcast together), "scalar", or the name of the parameter
    whose shape it has. Without it the result's shape is unknown (gradients, jvp and vjp still work)."""
    if fn is None:
        return lambda f: Primitive(f, shape)
    return Primitive(fn, shape)


class Primitive:
    """A function wengert treats as one operation (see primitive)."""

    def __init__(self, fn, shape=None):
        self.fn, self.shape, self.vjp, self.jvp = fn, shape, None, None
        functools.update_wrapper(self, fn)

    def __call__(self, *args, **kwargs):
        return self.fn(*args, **kwargs)

    def defvjp(self, rule):
        """rule(g, y, *inputs) -> the cotangent of each input (a tuple when there are several)."""
        self.vjp = rule
        return rule

    def defjvp(self, rule):
        """rule(*tangents, y, *inputs) -> the tangent of the output (one tangent per input)."""
        self.jvp = rule
        return rule


def imports(trace):
    """The import lines for the user primitives that the trace applies, sorted."""
    return sorted({f"from {p.origin[0]} import {p.origin[1]}" for p in used(trace)})


def _decorator(parser, node):
    """The @wengert.primitive or @wengert.primitive(...) decorator of the FunctionDef node, or None."""
    for d in node.decorator_list:
        if parser.dotted(d.func if isinstance(d, ast.Call) else d) == "wengert.primitive":
            return d
    return None


def is_primitive(parser, node):
    return _decorator(parser, node) is not None


def _shape_rule(parser, node):
    """The shape rule that @wengert.primitive(shape=...) declares (None: unknown)."""
    d = _decorator(parser, node)
    if not isinstance(d, ast.Call):
        return None
    params = [a.arg for a in node.args.args]
    hint = f'write shape="elementwise", shape="scalar" or shape="{params[0] if params else "x"}" (a parameter)'
    if d.args or any(k.arg != "shape" for k in d.keywords):
        raise parser.m.error(d, "wengert.primitive takes only shape=... here", hint)
    if not d.keywords:
        return None
    value = d.keywords[0].value
    kind = value.value if isinstance(value, ast.Constant) else None
    if kind == "elementwise":
        return shapes.broadcast
    if kind == "scalar":
        return lambda *keys: shapes.SCALAR
    if kind in params:
        i = params.index(kind)
        return lambda *keys: keys[i]
    raise parser.m.error(value, f"shape={ast.unparse(value)} is not a shape wengert knows", hint)


def register(parser, node):
    """The table entry of the primitive defined by node (registered once per module text)."""
    m = parser.m
    digest = hashlib.sha1(m.source.encode()).hexdigest()[:12]
    key = f"{node.name}@{m.filename}:{node.lineno}:{digest}"
    if key in PRIMS:
        return key
    parser.check_signature(node)
    n = len(node.args.args)
    if n == 0:
        raise m.error(node, f"primitive {node.name} takes no arguments: there is nothing to differentiate",
                      "give it the inputs it depends on as parameters")
    entry = UserPrim(key, "".join([node.name, "(", ", ".join(f"{{{i}}}" for i in range(n)), ")"]))
    entry.label, entry.arity, entry.where = node.name, n, (m.filename, node.lineno)
    entry.origin = (getattr(m, "import_name", None) or _module_name(m.filename), node.name)
    entry.shape = _shape_rule(parser, node)
    entry.sympy = _opaque(entry)
    entry.tangent, entry.adjoint = entry.forward_rule, entry.reverse_rule  # dataclass fields, set per entry
    entry.singular = True  # its partials may be anything: zero (co)tangents stay zero through them
    PRIMS[key] = entry  # before the rules are parsed: they may call the primitive themselves
    try:
        for kind, expected, shape in (("defvjp", n + 2, "g, y, " + _inputs(n)),
                                      ("defjvp", 2 * n + 1, _tangents(n) + ", y, " + _inputs(n))):
            rule = _rule_def(parser, node.name, kind)
            if rule is None:
                continue
            if len(rule.args.args) != expected:
                raise m.error(rule, f"the {kind[3:]} rule of {node.name} takes {len(rule.args.args)} parameters; "
                              f"it must take {expected}: ({shape})",
                              f"write def {rule.name}({shape})")
            trace = type(parser)(m).function(rule)
            _check_rule(m, rule, trace, node.name, kind, n)
            setattr(entry, kind[3:], trace)
    except BaseException:
        del PRIMS[key]
        raise
    return key


def _inputs(n):
    return "x" if n == 1 else ", ".join(f"x{i}" for i in range(1, n + 1))


def _tangents(n):
    return "t" if n == 1 else ", ".join(f"t{i}" for i in range(1, n + 1))


def _module_name(filename):
    stem = re.sub(r"\.py$", "", filename.replace("\\", "/").rsplit("/", 1)[-1])
    return stem if stem.isidentifier() else "__main__"


def _rule_def(parser, name, kind):
    """The FunctionDef decorated @name.kind, if any (the last one, as Python would keep)."""
    found = None
    for defs in parser.m.functions.values():
        for d in defs:
            if any(parser.dotted(x) == f"{name}.{kind}" for x in d.decorator_list):
                if found is None or d.lineno > found.lineno:
                    found = d
    return found


def _check_rule(m, rule, trace, name, kind, n):
    if any(isinstance(op, STRUCTURED) for op in trace.ops):
        raise m.error(rule, f"the {kind[3:]} rule of {name} has a loop or a branch that depends on its arguments; "
                      "a derivative rule must be straight-line code", "select with np.where instead of if")
    want = n if kind == "defvjp" else 1
    if len(trace.outputs) != want:
        what = "cotangent" if kind == "defvjp" else "tangent"
        line = trace.return_line or rule.lineno
        raise WengertError(f"the {kind[3:]} rule of {name} returns {len(trace.outputs)} value"
                           f"{'s' * (len(trace.outputs) != 1)}; it must return {want} ({'one ' + what + ' per input' if kind == 'defvjp' else 'the tangent of the output'})",
                           m.filename, line, 0, "", f"return {_cotangents(n) if kind == 'defvjp' else 'one value'}")


def _cotangents(n):
    return "one value" if n == 1 else "a tuple of " + str(n) + " values, e.g. return " + \
        ", ".join(f"dx{i}" for i in range(1, n + 1))


def used(trace):
    """The user primitives a trace applies."""
    from .trace import walk
    return [PRIMS[op.prim] for op in walk(trace.ops) if not isinstance(op, STRUCTURED) and isinstance(PRIMS.get(op.prim), UserPrim)]


def bind(trace, namespace):
    """Put the live functions of the user primitives trace applies into namespace (to evaluate it); a located
    WengertError for one whose module is not imported."""
    for p in used(trace):
        live = p.live()
        if live is None:
            filename, line = p.where
            raise WengertError(f"cannot evaluate primitive {p.label}: its module {p.origin[0]} is not imported "
                               "(the CLI never runs the file)", filename, line, 0, "",
                               "evaluate from Python after importing the module, e.g. wengert.trace(f, 1.5)")
        namespace[p.label] = live


def replay(rule, values):
    """The outputs of the rule's trace applied to values (one per rule parameter), built in the active Builder."""
    b = _active.builders[-1]
    env = dict(zip(rule.params, values))
    for op in rule.ops:
        args = tuple(env[a.name] if type(a) is Var else a for a in op.args)
        env[op.outs[0]] = b.emit(op.prim, args, dict(op.attrs))
    return [env[o.name] if type(o) is Var else o for o in rule.outputs]


class UserPrim(Prim):
    """A user's primitive: its rules are the traces of the user's rule functions, replayed where applied."""

    vjp = jvp = None
    label, arity, where = "", 0, (GENERATED, 0)

    def live(self):
        """The Python function behind the primitive, when its module is already imported (never imported here:
        the CLI does not run the user's file)."""
        module, name = self.origin
        p = getattr(sys.modules.get(module), name, None)
        return p.fn if isinstance(p, Primitive) else None

    def missing(self, mode, decorator, other):
        b = _active.builders[-1]
        filename, line = self.where
        return WengertError(f"primitive {self.label} has no {mode}-mode rule", filename, b.line or line, 0, "",
                            f"define one with @{self.label}.{decorator} (or use {other})")

    def forward_rule(self, ts, y, *args):
        if self.jvp is None:
            raise self.missing("forward", "defjvp", "reverse mode: grad, vjp")
        ts = [t if t is not None else zeros_like(a) if type(a) is Var else Const(0.0) for t, a in zip(ts, args)]
        return replay(self.jvp, [*ts, y, *args])[0]

    def reverse_rule(self, g, y, *args):
        if self.vjp is None:
            raise self.missing("reverse", "defvjp", "forward mode: jvp, grad(mode='forward')")
        return tuple(None if type(c) is Const and c.value is None else c for c in replay(self.vjp, [g, y, *args]))

    def batch_rule(self, b, args, attrs):
        filename, line = self.where
        raise WengertError(f"primitive {self.label} is applied to a batch of directions (vector mode: an "
                           "argument depends on a tangent)", filename, b.line or line, 0, "",
                           "a rule should call the primitive on primal values only; or use hvp / jvp")


def _opaque(entry):
    """SymPy meaning: an undefined function whose derivative is the jvp rule (else, for one input, the vjp
    rule with g = 1), so the check verifies what wengert builds around the rules given."""
    import sympy  # only the check reads symbolic meanings: import wengert does not load SymPy
    from .sympy_check import evaluate

    def fdiff(self, argindex=1):
        args = list(self.args)
        n = len(args)
        if entry.jvp is not None:
            ts = [sympy.Integer(int(i == argindex - 1)) for i in range(n)]
            (d,) = evaluate(entry.jvp, dict(zip(entry.jvp.params, [*ts, self, *args])))
        elif entry.vjp is not None:
            d = evaluate(entry.vjp, dict(zip(entry.vjp.params, [sympy.Integer(1), self, *args])))[argindex - 1]
        else:
            raise sympy.ArgumentIndexError(self, argindex)
        return d

    def _eval_evalf(self, prec):
        live = entry.live()
        if live is None or not all(a.is_number for a in self.args):
            return None
        try:
            return sympy.Float(float(live(*(float(a) for a in self.args))), prec)  # the body's own precision
        except (TypeError, ValueError, ArithmeticError):
            return None

    fn = type(entry.label, (sympy.Function,), {"fdiff": fdiff, "nargs": entry.arity, "_eval_evalf": _eval_evalf})

    def meaning(*args):
        if any(hasattr(a, "shape") and getattr(a, "shape") != () for a in args):
            import numpy as np
            return np.vectorize(fn, otypes=[object])(*args)
        return fn(*args)
    return meaning
