"""Cross-check derivatives: SymPy's against wengert's, plus central differences as a second witness.

The primal trace is evaluated on SymPy symbols with each primitive's SymPy meaning, and
``sympy.diff`` of the result is the reference. wengert's derivative trace (the one its code is
emitted from) is evaluated the same way. Each component is proved equal by
``simplify(reference - wengert) == 0``; when simplify cannot decide, both are evaluated at random
rational points inside the function's domain. Then the generated code itself runs at a point and
must match SymPy's numbers, which covers emission. Branches on symbolic conditions become
Piecewise; loops run symbolically, their trip counts decided at a point (``at=``) when they
depend on the inputs. ``order=2`` checks Hessians (wengert's hvp trace on symbolic directions).

    import wengert
    print(wengert.check(f))          # raises CheckFailed (an AssertionError) on disagreement
"""

from dataclasses import dataclass
import functools
import inspect
import itertools
import linecache
import math
import random

import numpy as np
import sympy
from sympy.core.relational import Relational

from .errors import WengertError
from .primitives import PRIMS, Sign, SplitMax, SplitMin
from .trace import Const, If, Loop

METHODS = ("auto", "simplify", "points")
POINTS = 5                  # random points that must agree when simplify cannot decide
MAX_TRIES = 400             # candidate points to try before giving up on finding a valid one
DIGITS = 50                 # working precision for points whose value is not a rational number
MAX_DENOMINATOR = 10 ** 12  # floats with a shorter decimal form are taken as the exact decimal
SIMPLIFY_MAX_OPS = 300      # larger differences go straight to random points (simplify would take minutes)
COMPILED_RTOL, COMPILED_ATOL = 1e-7, 1e-9  # generated code runs in double precision
FLOAT_RTOL = 1e-12          # agreement required at points when an expression holds inexact Floats
KINKS = (sympy.Max, sympy.Min, SplitMax, SplitMin, sympy.Abs, sympy.sign, Sign, sympy.Heaviside, Relational)


class CheckFailed(AssertionError):
    """wengert's derivative disagrees with SymPy's; str() is the readable report."""

    def __init__(self, report):
        self.report = report
        super().__init__(str(report))


# ---- symbolic evaluation of a trace ------------------------------------------------------------------

def exact(value):
    """A literal as an exact SymPy number where possible (0.5 -> 1/2, math.pi -> pi, a folded
    0.6931471805599453 -> log(2)); a float with no short exact form stays a (visibly inexact) Float."""
    if isinstance(value, (bool, np.bool_)) or value is None:
        return value
    if isinstance(value, (int, np.integer)):
        return sympy.Integer(int(value))
    if isinstance(value, (float, np.floating)):
        return _exact_float(float(value))
    return value


@functools.lru_cache(maxsize=None)
def _exact_float(value):
    if math.isinf(value):
        return sympy.oo if value > 0 else -sympy.oo
    if math.isnan(value):
        return sympy.nan
    for known, symbol in ((math.pi, sympy.pi), (math.e, sympy.E)):
        if value == known:
            return symbol
    short = sympy.nsimplify(value, rational=True)  # from the shortest repr: 0.1 -> 1/10
    if short.q <= MAX_DENOMINATOR:
        return short
    closed = sympy.nsimplify(value, [sympy.pi, sympy.E])  # a folded constant such as log(2)
    if float(closed) == value and not (closed.is_Rational and closed.q > MAX_DENOMINATOR):
        return closed
    return sympy.Float(value)


def evaluate(trace, env, at=None):
    """The trace's outputs as SymPy expressions; env maps each parameter to an expression
    (or, for an array parameter, an object array of them).

    Branches whose condition is symbolic become Piecewise expressions. Loops run symbolically;
    a loop bound or while condition that depends on the inputs, or a branch that pushes on a
    stack, is decided at the point `at` ({symbol: number}), as the program would run there."""
    missing = [p for p in trace.params if p not in env]
    if missing:
        raise WengertError(f"no symbolic value given for {', '.join(missing)}", trace.filename, 0, 0, "",
                           "pass every parameter in env")
    run = _Symbolic(trace, at)
    values = dict(env)
    run.block(trace.ops, values)
    return [run.value(v, values) for v in trace.outputs]


class _Symbolic:
    """Runs a Trace on SymPy values, op by op, blocks included."""

    MAX_PASSES = 10_000

    def __init__(self, trace, at):
        self.trace = trace
        self.at = {s: sympy.Float(v, DIGITS + 10) for s, v in at.items()} if at else None

    def value(self, arg, values):
        return exact(arg.value) if isinstance(arg, Const) else values[arg.name]

    def error(self, op, message, hint):
        line = self.trace.lineno.get(op.outs[0], 0) if op.outs else 0
        return WengertError(message, self.trace.filename, line, 0, "", hint)

    def block(self, ops, values):
        for op in ops:
            if isinstance(op, If):
                self.branch(op, values)
            elif isinstance(op, Loop):
                self.loop(op, values)
            else:
                self.op(op, values)

    def op(self, op, values):
        prim = PRIMS[op.prim]
        if prim.sympy is None:
            raise self.error(op, f"primitive {op.prim!r} has no SymPy meaning, so it cannot be cross-checked",
                             "give the primitive a sympy= meaning in primitives.py")
        attrs = {k: v for k, v in op.attrs if k != "lib"}
        result = _apply(prim, [self.value(a, values) for a in op.args], attrs)
        results = result if len(op.outs) > 1 else (result,)
        for name, r in zip(op.outs, results):
            values[name] = _tidy(r)

    def branch(self, op, values):
        condition = self.value(op.cond, values)
        taken = self.decide(condition, op, required=_has_effects(op.then) or _has_effects(op.orelse))
        if taken is not None:
            block = op.then if taken else op.orelse
            self.block(block.ops, values)
            values.update(zip(op.outs, [self.value(r, values) for r in block.results]))
            return
        condition = sympy.sympify(condition)
        scopes = []
        for block in (op.then, op.orelse):
            scope = dict(values)
            self.block(block.ops, scope)
            scope.update(zip(op.outs, [self.value(r, scope) for r in block.results]))
            scopes.append(scope)
        then, orelse = scopes
        for name in set(then) | set(orelse):  # names a branch defines stay visible after it, as in Python
            a, b = then.get(name, sympy.nan), orelse.get(name, sympy.nan)
            values[name] = a if a is b else _piecewise(condition, a, b)

    def loop(self, op, values):
        carried = [self.value(v, values) for v in op.init]
        values.update(zip(op.carried, carried))
        if op.cond is None:
            bounds = [self.integer(self.value(b, values), op) for b in op.bounds]
            passes = range(*bounds)
            passes = reversed(passes) if op.backwards else passes
        else:
            passes = range(self.MAX_PASSES)
        for i in passes:
            if op.index:
                values[op.index] = sympy.Integer(i)
            if op.cond is not None:
                self.block(op.cond.ops, values)
                if not self.decide(self.value(op.cond.results[0], values), op, required=True):
                    break
                if i == self.MAX_PASSES - 1:
                    raise self.error(op, f"a while loop of {self.trace.name} runs more than {self.MAX_PASSES} passes",
                                     "check a point where the loop ends sooner")
            self.block(op.body.ops, values)
            carried = [self.value(r, values) for r in op.body.results]
            values.update(zip(op.carried, carried))
        values.update(zip(op.outs, carried))

    def integer(self, v, op):
        decided = self.number(v)
        if decided is None or not float(decided).is_integer():
            raise self.error(op, f"a loop bound of {self.trace.name} depends on the inputs ({v})",
                             "give a point to check at (at=...), where the bound is known")
        return int(decided)

    def number(self, v):
        v = sympy.sympify(v)
        if v.is_number:
            return v
        if self.at is not None:
            v = v.xreplace(self.at)
            return v if v.is_number else None
        return None

    def decide(self, condition, op, required):
        """True/False when the condition is known (or the point `at` settles it), else None."""
        if isinstance(condition, (bool, np.bool_)):
            return bool(condition)
        c = sympy.sympify(condition)
        if isinstance(c, sympy.logic.boolalg.BooleanAtom):
            return bool(c)
        if c.is_number:
            return bool(c != 0)
        if self.at is not None:
            settled = c.xreplace(self.at)
            if isinstance(settled, sympy.logic.boolalg.BooleanAtom):
                return bool(settled)
            if settled.is_number:
                return bool(settled != 0)
        if required:
            raise self.error(op, f"control flow of {self.trace.name} depends on the inputs ({c})",
                             "give a point to check at (at=...): the path taken there is checked")
        return None


def _piecewise(condition, a, b):
    """a where condition holds, else b; elementwise for arrays. Non-numeric values must agree."""
    if not all(isinstance(v, (sympy.Basic, np.ndarray)) for v in (a, b)):
        return a if a == b else None
    if any(isinstance(v, sympy.logic.boolalg.Boolean) and not isinstance(v, sympy.Expr) for v in (a, b)):
        a, b = (sympy.false if v is sympy.nan else v for v in (a, b))
        return sympy.ITE(condition, a, b)
    return _tidy(np.frompyfunc(lambda x, y: sympy.Piecewise((x, condition), (y, True)), 2, 1)(a, b))


def _has_effects(block):
    """Whether a block (or one nested in it) pushes/pops stacks or loops: it cannot become a Piecewise."""
    for op in block.ops:
        if isinstance(op, Loop) or (isinstance(op, If) and any(_has_effects(b) for b in op.blocks)):
            return True
        if not isinstance(op, If) and getattr(PRIMS[op.prim], "effect", False):
            return True
    return False


def _apply(prim, args, attrs):
    """prim's SymPy meaning; elementwise ones are mapped over object arrays element by element."""
    from . import shapes

    if not prim.nondiff and not getattr(prim, "effect", False):  # arithmetic: conditions count as 0/1
        args = [a if prim.name == "where" and i == 0 else _as_number(a) for i, a in enumerate(args)]
    if prim.shape is shapes.broadcast and any(isinstance(a, np.ndarray) for a in args):
        ufunc = np.frompyfunc(lambda *xs: prim.sympy(*xs, **attrs), len(args), 1)
        return ufunc(*[np.asarray(a, dtype=object) if isinstance(a, np.ndarray) else a for a in args])
    return prim.sympy(*args, **attrs)


def _as_number(value):
    """A symbolic condition used as a number (NumPy's True -> 1) becomes Piecewise((1, cond), (0, True))."""
    if isinstance(value, np.ndarray) and value.dtype == object:
        return np.frompyfunc(_as_number, 1, 1)(value) if value.shape else _as_number(value.item())
    if isinstance(value, sympy.logic.boolalg.Boolean) and not isinstance(value, sympy.Expr):  # not a Symbol
        return sympy.Piecewise((1, value), (0, True))
    return value


def _tidy(value):
    """Plain Python/NumPy numbers become exact SymPy numbers; 0-d arrays become their element."""
    if isinstance(value, np.ndarray):
        if value.shape == ():
            return _tidy(value.item())
        return np.asarray(value, dtype=object)
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
        return exact(value)
    return value


def symbols_for(params, shapes=None):
    """A real SymPy symbol per scalar parameter, an object array of symbols X_i_j per array parameter."""
    shapes = shapes or {}
    env = {}
    for p in params:
        shape = tuple(shapes.get(p, ()))
        if shape:
            cells = [sympy.Symbol(f"{p}_" + "_".join(map(str, idx)), real=True) for idx in np.ndindex(*shape)]
            env[p] = np.array(cells, dtype=object).reshape(shape)
        else:
            env[p] = sympy.Symbol(p, real=True)
    return env


# ---- the report --------------------------------------------------------------------------------------

@dataclass
class Component:
    """One partial derivative: the reference, wengert's, and how they were compared."""

    name: str
    mode: str
    expected: object
    got: object
    method: str
    ok: bool
    note: str = ""

    def __str__(self):
        mark = "✓" if self.ok else "✗"
        head = f"  {mark} {self.mode:<8} {self.name}"
        if self.ok and self.method == "compiled":
            return f"{head}   [compiled, rtol {COMPILED_RTOL:g}]"
        if self.ok:
            return f"{head} = {_short(self.got)}   [{self.method}]" + (f"\n      {self.note}" if self.note else "")
        lines = [f"{head}   [{self.method}]",
                 f"      expected (sympy):  {self.expected}",
                 f"      got (wengert):     {self.got}"]
        if self.expected is not None and self.got is not None:
            lines.append(f"      difference:        {_difference(self.expected, self.got)}")
        if self.note:
            lines.append(f"      {self.note}")
        return "\n".join(lines)


def _short(expr, limit=160):
    text = str(expr)
    return text if len(text) <= limit else f"{text[:limit]}... ({sympy.count_ops(expr)} operations)"


def _difference(expected, got):
    if isinstance(expected, sympy.Basic) or isinstance(got, sympy.Basic):
        difference = sympy.sympify(expected) - sympy.sympify(got)
        if sympy.count_ops(difference) > SIMPLIFY_MAX_OPS:  # simplify could take hours (make fuzz, seed 5171)
            return f"{_short(difference)}, not simplified"
        return sympy.simplify(difference)
    return np.asarray(expected, dtype=float) - np.asarray(got, dtype=float)


@dataclass
class Report:
    """The outcome of a check; truthy when every component agrees."""

    function: str
    components: list
    notes: tuple = ()

    @property
    def ok(self):
        return bool(self.components) and all(c.ok for c in self.components)

    def __bool__(self):
        return self.ok

    def __str__(self):
        good = sum(c.ok for c in self.components)
        verdict = "OK" if self.ok else "FAILED"
        lines = [f"wengert check of {self.function}: {verdict} ({good}/{len(self.components)} components agree)"]
        lines += [str(c) for c in self.components]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def failures(self):
        return [c for c in self.components if not c.ok]


# ---- symbolic check ----------------------------------------------------------------------------------

def check_primal(primal, wrt=None, mode="reverse", order=1, shapes=None, method="auto", points=POINTS, seed=0,
                 at=None, compiled=True):
    """Report comparing SymPy's gradient (order=2: Hessians) of the primal Trace with wengert's.

    mode: "reverse", "forward" or "both". shapes: {param: concrete shape tuple} for array
    parameters (the others are scalars, unless `at` gives an array); the derivative is specialized
    to those shapes as a call with such arguments would be. method: "auto" (simplify, then random
    points when simplify cannot decide), "simplify" (no fallback) or "points" (random points only).
    at: argument values (a tuple in parameter order, or {param: value}) at which loops and branches
    that depend on the inputs are decided; the path taken there is what gets checked.
    compiled: also run the generated code (at `at`, else at a random point) against SymPy's numbers."""
    from . import api
    from .parse import with_shapes

    if order not in (1, 2):
        raise WengertError(f"check of order {order} derivatives is not supported yet", primal.filename, 0, 0, "",
                           "use order=1 (gradients) or order=2 (Hessians)")
    if method not in METHODS:
        raise WengertError(f"unknown method {method!r}", primal.filename, 0, 0, "", f"use one of {METHODS}")
    modes = ("reverse", "forward") if mode == "both" else (mode,)
    names, _ = api.resolve_wrt(primal, wrt)
    at = _arguments(primal, at)
    shapes = {**{p: np.shape(v) for p, v in at.items()}, **{p: tuple(s) for p, s in (shapes or {}).items()}}
    unknown = set(shapes) - set(primal.params)
    if unknown:
        raise WengertError(f"shapes given for {', '.join(sorted(unknown))}, which {primal.name} does not take",
                           primal.filename, 0, 0, "", f"parameters are {primal.params}")
    specialized = with_shapes(primal, {p: api.signature(np.empty(shapes.get(p, ()))) for p in primal.params})
    env = symbols_for(primal.params, shapes)
    for p, v in at.items():  # what is not differentiated is data: fixed at its value, so formulas stay small
        if p not in names:
            env[p] = np.vectorize(_exact_argument, otypes=[object])(np.asarray(v)) if np.ndim(v) else _exact_argument(v)
    point = _point(env, at)
    try:
        (value,) = evaluate(specialized, env, point)
    except (ValueError, IndexError, TypeError) as e:  # numpy's AxisError is a ValueError and an IndexError
        scalars = [p for p in primal.params if p not in shapes]
        if not scalars:
            raise
        raise WengertError(f"cannot evaluate {primal.name} with {', '.join(scalars)} as numbers ({e})",
                           primal.filename, primal.line, 0, linecache.getline(primal.filename, primal.line).rstrip(),
                           "give the shapes of array parameters, small ones: "
                           f"--shape {scalars[0]}=2,3 on the command line, shapes={{{scalars[0]!r}: (2, 3)}} "
                           "from Python (or values with --at / at=)") from None
    value = _scalar(value, primal)
    rng = random.Random(seed)
    components, notes = [], []
    if at:
        fixed = [p for p in primal.params if p not in names and p in at]
        notes.append("control flow decided at " + _describe(at) +
                     (f"; {', '.join(fixed)} fixed at these values" if fixed else ""))
    if order == 2:
        components = _check_hessians(specialized, names, env, point, value, method, points, rng, compiled, at)
        return Report(primal.name, components, tuple(notes) + ("Hessians: forward over reverse (hvp code)",))
    expected = {w: np.vectorize(lambda s: sympy.diff(value, s), otypes=[object])(env[w])
                if isinstance(env[w], np.ndarray) else sympy.diff(value, env[w]) for w in names}
    for m in modes:
        try:
            grads = _wengert_gradient(specialized, names, m, env, point)
        except WengertError as e:
            if mode != "both":
                raise
            notes.append(f"{m} mode skipped: {e.message}")
            continue
        for w, got in zip(names, grads):
            for label, e, g in _cells(primal.name, w, expected[w], got):
                components.append(_compare(label, m, e, g, value, method, points, rng))
        if compiled:
            cells = [e for w in names for e in np.ravel(np.asarray(expected[w], dtype=object)).tolist()]
            components.append(_compiled(specialized, "grad", names, m, env, value, cells, at, rng))
    return Report(primal.name, components, tuple(notes))


def _wengert_gradient(primal, names, mode, env, point):
    """wengert's gradient by each of names, evaluated symbolically from its derivative trace.
    Forward mode with array parameters runs the jvp trace on symbolic tangents T and reads the
    gradient off as d(jvp)/dT, one element per tangent symbol."""
    from . import api

    if mode != "forward" or not any(isinstance(env[w], np.ndarray) for w in names):
        trace, _ = api.derive(primal, "grad", names, mode)
        return evaluate(trace, env, point)
    trace, _ = api.derive(primal, "jvp", names)
    tangent_names = trace.params[len(primal.params):]
    tangents = symbols_for(tangent_names, {t: np.shape(env[w]) for t, w in zip(tangent_names, names)})
    derivative = sympy.sympify(_scalar(evaluate(trace, {**env, **tangents}, point)[1], primal))
    return [np.vectorize(lambda t: sympy.diff(derivative, t), otypes=[object])(tangents[t])
            if isinstance(tangents[t], np.ndarray) else sympy.diff(derivative, tangents[t]) for t in tangent_names]


def _check_hessians(primal, names, env, point, value, method, points, rng, compiled, at):
    """Second derivatives by each parameter in names: wengert's Hessian-vector product trace run on
    symbolic directions V gives H V, and d(H V)_i / dV_j = H_ij is compared with SymPy's."""
    from . import api

    components = []
    for w in names:
        trace, _ = api.derive(primal, "hvp", [w])
        direction = trace.params[-1]
        vs = symbols_for([direction], {direction: np.shape(env[w])})
        product = np.asarray(evaluate(trace, {**env, **vs}, point)[0], dtype=object)
        product = np.broadcast_to(product, np.shape(env[w]))
        xs, v = np.asarray(env[w], dtype=object), np.asarray(vs[direction], dtype=object)
        cells = []
        for i in np.ndindex(*xs.shape):
            first = sympy.diff(value, xs[i])
            for j in np.ndindex(*xs.shape):
                label = f"∂²{primal.name}/∂{w}{_index(i)}∂{w}{_index(j)}"
                expected = sympy.diff(first, xs[j])
                got = sympy.diff(sympy.sympify(product[i]), v[j])
                cells.append(expected)
                components.append(_compare(label, "hvp", expected, got, value, method, points, rng))
        if compiled:
            components.append(_compiled(primal, "hessian", [w], "reverse", env, value, cells, at, rng, "hessian"))
    return components


def _index(idx):
    return f"[{', '.join(map(str, idx))}]" if idx else ""


def _compiled(primal, kind, names, mode, env, value, cells, at, rng, label=None):
    """Run the generated code of `kind` at a point and compare it with SymPy's numbers (cells, in
    the order of its flattened results): a witness for emission and compilation, which the
    symbolic comparison of traces does not see."""
    from . import api
    from .compile import compile_function

    point, args = _compiled_point(primal, env, value, cells, at, rng)
    if point is None:
        return Component("generated code", label or mode, None, None, "compiled", False,
                         "found no point where the derivative is defined")
    name = f"generated code at {_describe(dict(zip(primal.params, args)))}"
    reference = np.array([float(_at(e, point)[1]) for e in cells])
    try:
        fn = compile_function(api.generate(primal, kind, list(names), mode), f"{'_' * bool(primal.bound)}{primal.name}_{kind}")
        with np.errstate(all="ignore"):
            result = fn(*args)
            results = result if isinstance(result, tuple) else (result,)
            got = np.concatenate([np.ravel(np.asarray(g, dtype=float)) for g in results])
    except Exception as e:  # generated code must run: any failure is the finding
        return Component(name, label or mode, reference, None, "compiled", False,
                         f"the generated code raised {type(e).__name__}: {e}")
    ok = got.shape == reference.shape and bool(np.allclose(got, reference, rtol=COMPILED_RTOL, atol=COMPILED_ATOL))
    return Component(name, label or mode, reference, got, "compiled", ok)


def _compiled_point(primal, env, value, cells, at, rng):
    """(exact point, argument values) to run the generated code at: `at` where it gives a value, random
    rationals (in the domain of every formula) for the other parameters."""
    at = at or {}
    for attempt in range(MAX_TRIES // 4 if set(at) != set(primal.params) else 1):
        exact_args = {p: at[p] if p in at else
                      np.vectorize(lambda _: _random_rational(rng, attempt), otypes=[object])(np.empty(np.shape(v)))
                      if isinstance(v, np.ndarray) else _random_rational(rng, attempt) for p, v in env.items()}
        point = _point(env, exact_args) or {}
        if _at(value, point) is None or any(_at(e, point) is None for e in cells):
            continue
        args = [at[p] if p in at and not np.ndim(at[p]) else  # as given: an int may be a loop count
                np.asarray(exact_args[p], dtype=float) if np.ndim(exact_args[p]) else float(exact_args[p])
                for p in primal.params]
        return point, args
    return None, None


def _describe(values):
    """x=0.7, W=[[0.1, 0.2], [0.3, 0.4]]: argument values on one line."""
    def text(v):
        return str(np.round(np.asarray(v, dtype=float), 4).tolist())
    return ", ".join(f"{p}={text(v) if np.ndim(v) else v}" for p, v in values.items())


def _arguments(primal, at):
    """{param: value} from a tuple of argument values in parameter order or a dict."""
    if at is None:
        return {}
    if not isinstance(at, dict):
        at = tuple(at)
        if len(at) != len(primal.params):
            raise WengertError(f"at= gives {len(at)} values; {primal.name} takes {len(primal.params)}",
                               primal.filename, 0, 0, "", f"give one value per parameter {primal.params}")
        at = dict(zip(primal.params, at))
    unknown = set(at) - set(primal.params)
    if unknown:
        raise WengertError(f"at= names {', '.join(sorted(unknown))}, which {primal.name} does not take",
                           primal.filename, 0, 0, "", f"parameters are {primal.params}")
    return at


def _point(env, at):
    """{symbol: exact number} for the argument values `at`."""
    point = {}
    for p, v in at.items():
        symbols, values = np.asarray(env[p], dtype=object), np.asarray(v)
        if not all(isinstance(s, sympy.Symbol) for s in symbols.ravel().tolist()):
            continue  # a parameter fixed at its value
        if symbols.shape != values.shape:
            raise WengertError(f"at= gives {p} the shape {values.shape}, but shapes= says {symbols.shape}",
                               hint="give at= and shapes= the same shapes, or only at=")
        point.update(zip(symbols.ravel().tolist(), (_exact_argument(x) for x in values.ravel().tolist())))
    return point or None


def _exact_argument(x):
    """An argument value as an exact rational (0.7 -> 7/10); unlike exact(), no search for closed forms."""
    if isinstance(x, (float, np.floating)) and math.isfinite(x):
        return sympy.Rational(repr(float(x)))
    return exact(x)


def _scalar(value, primal):
    if isinstance(value, np.ndarray):
        if value.size != 1:
            raise WengertError(f"{primal.name} returns an array of shape {value.shape}; a gradient needs a scalar",
                               primal.filename, 0, 0, "", "return a scalar cost (e.g. np.sum(...))")
        value = value.reshape(()).item()
    return sympy.sympify(value)


def _cells(fname, w, expected, got):
    """(label, expected, got) per element of the derivative by parameter w."""
    if not isinstance(expected, np.ndarray):
        if isinstance(got, np.ndarray) and got.size == 1:
            got = got.reshape(()).item()
        yield f"∂{fname}/∂{w}", expected, sympy.sympify(got)
        return
    got = np.broadcast_to(np.asarray(got, dtype=object), expected.shape)
    for idx in np.ndindex(*expected.shape):
        yield f"∂{fname}/∂{w}[{', '.join(map(str, idx))}]", expected[idx], sympy.sympify(got[idx])


def _compare(label, mode, expected, got, value, method, points, rng):
    difference = expected - got
    size = sympy.count_ops(difference)
    too_large = method == "auto" and size > SIMPLIFY_MAX_OPS
    if method != "points" and not too_large:
        if difference == 0 or sympy.simplify(difference) == 0:
            return Component(label, mode, expected, got, "simplify", True)
        if method == "simplify":
            return Component(label, mode, expected, got, "simplify", False,
                             "simplify did not reduce the difference to 0")
    ok, note = _agree_at_points(expected, got, value, points, rng)
    if ok and too_large:
        note = f"the difference has {size} operations, too many to simplify"
    if ok and (_inexact(expected) or _inexact(got)):
        note = f"agreement to {FLOAT_RTOL:g} relative: the expressions hold inexact float constants"
    return Component(label, mode, expected, got, f"random points ({points})", ok, note)


def _agree_at_points(expected, got, value, points, rng):
    """Compare at `points` random rational points where the function and SymPy's derivative are real and finite.
    A disagreement on a kink (see _on_a_kink) is no verdict: another point is drawn."""
    symbols = sorted((expected.free_symbols | got.free_symbols | value.free_symbols), key=lambda s: s.name)
    rtol = FLOAT_RTOL if _inexact(expected) or _inexact(got) else sympy.Float(10) ** (10 - DIGITS)
    found, on_kinks = 0, []
    for attempt in range(MAX_TRIES):
        point = {s: _random_rational(rng, attempt) for s in symbols}
        reference = _at(expected, point)
        if reference is None or _at(value, point) is None:
            continue  # outside the domain: try another point
        mine = _at(got, point)
        where = ", ".join(f"{s}={v}" for s, v in point.items())
        if mine is None:
            return False, f"at {where} wengert's derivative is undefined, SymPy's is {_show(reference)}"
        if not _equal(reference, mine, rtol):
            disagreement = f"at {where}: expected {_show(reference)}, got {_show(mine)}"
            if not _on_a_kink((expected, got, value), point):
                return False, disagreement
            on_kinks.append(disagreement)
            continue
        found += 1
        if found == points:
            return True, ""
    kinks = f"; they disagree on {len(on_kinks)} kinks, first {on_kinks[0]}" if on_kinks else ""
    return False, f"found only {found} of {points} points where the function is defined{kinks}"


def _on_a_kink(expressions, point):
    """Whether point ties two arguments of a Max or Min, or zeroes the argument of an abs, a sign, a Heaviside
    or the two sides of a branch condition, anywhere in expressions. There a derivative rule gives its
    convention (an equal split of a tie, 0 for the slope of abs at 0), and the chain rule through two such
    conventions can differ from the derivative of a composite that is smooth: max(min(u, x), x) is x, but
    at u = x the rules give 1/2 + 1/2 * 1/2 (seed 6024 of make fuzz)."""
    gaps = set()
    for expr in expressions:
        for node in sympy.sympify(expr).atoms(*KINKS):
            if isinstance(node, (sympy.Max, sympy.Min, SplitMax, SplitMin)):
                gaps.update(a - b for a, b in itertools.combinations(node.args, 2))
            elif isinstance(node, Relational):
                if isinstance(node.lhs, sympy.Expr) and isinstance(node.rhs, sympy.Expr):
                    gaps.add(node.lhs - node.rhs)
            else:
                gaps.add(node.args[0])
    for gap in gaps:
        value = _at(gap, point)
        if value is not None and (value[0] == 0 or abs(value[1]) < sympy.Float(10) ** (-DIGITS // 2)):
            return True
    return False


def _show(value):
    """An exact rational as is, anything else to 17 significant digits."""
    exact_value, n = value
    return str(exact_value) if exact_value is not None and exact_value.is_Rational else str(sympy.N(n, 17))


def _random_rational(rng, attempt):
    """Mostly positive rationals in [1/2, 3]; later attempts widen to (-1, 1) and [-3, 3]."""
    low, high = [(12, 72), (-23, 23), (-72, 72)][0 if attempt < 40 else attempt % 3]
    n = rng.randint(low, high)
    return sympy.Rational(n or 1, 24)


def _at(expr, point):
    """(exact value or None, value to DIGITS digits) of expr at point; None where it is undefined,
    infinite or not real. Expressions with functions (exp, Max, ...) are evaluated from Floats of the
    point's rationals to DIGITS + 10 digits: exact substitution there costs minutes on large traces.
    Equality conditions are decided exactly first: in Floats, x == 3 * x / 3 can be false."""
    expr = sympy.sympify(expr)
    try:
        if expr.has(sympy.Function):
            exact_value = None
            expr = expr.xreplace(_equalities_decided(expr, point))
            n = expr.xreplace({s: sympy.Float(v, DIGITS + 10) for s, v in point.items()}).evalf(DIGITS)
        else:
            exact_value = expr.xreplace(point)
            n = exact_value.evalf(DIGITS)
    except (TypeError, ValueError, ZeroDivisionError, ArithmeticError):
        return None
    if n.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo) or not n.is_number or n.is_real is not True:
        return None
    return exact_value, n


def _equalities_decided(expr, point):
    """{condition: true or false} for each Eq or Ne in expr that exact substitution of point decides (the tie
    masks of np.max; make fuzz, seed 5171: every mask was false in Floats, and the tie weights divided by 0)."""
    decided = {}
    for condition in expr.atoms(sympy.Eq, sympy.Ne):
        value = condition.xreplace(point)
        if value in (sympy.true, sympy.false):
            decided[condition] = value
    return decided


def _equal(reference, mine, rtol):
    """Exactly equal when both values are rational; otherwise equal to within rtol."""
    (a, x), (b, y) = reference, mine
    if a is not None and b is not None and a.is_Rational and b.is_Rational:
        return a == b
    return abs(x - y) <= rtol * (1 + abs(x))


def _inexact(expr):
    return any(isinstance(n, sympy.Float) for n in sympy.sympify(expr).atoms(sympy.Number))


# ---- live functions ----------------------------------------------------------------------------------

def check(f, wrt=None, mode="both", shapes=None, method="auto", at=None, compiled=True):
    """Check wengert's gradient of the live function f against SymPy's.

    Returns the (truthy) Report; raises CheckFailed, whose message is the readable report,
    when a component disagrees. shapes: {param: shape} for array parameters; at: argument
    values where control flow that depends on the inputs is decided (see check_primal)."""
    from .parse import module_of, parse

    module, node = module_of(f)
    report = check_primal(parse(module, node), wrt, mode, shapes=shapes, method=method, at=at, compiled=compiled)
    if not report:
        raise CheckFailed(report)
    return report


# ---- finite differences: a numeric second witness ---------------------------------------------------

def finite_differences(fn, args, wrt=None, eps=1e-6):
    """Central-difference gradient of fn at args; wrt as in wengert.grad (names or indices)."""
    indices, single = _wrt_indices(fn, args, wrt)
    grads = []
    for i in indices:
        x = np.asarray(args[i], dtype=float)
        g = np.zeros_like(x)
        for idx in np.ndindex(*x.shape):
            step = eps * max(1.0, abs(float(x[idx])))
            values = []
            for sign in (1, -1):
                moved = x.copy()
                moved[idx] += sign * step
                shifted = list(args)
                shifted[i] = moved if x.shape else float(moved)
                values.append(float(fn(*shifted)))
            g[idx] = (values[0] - values[1]) / (2 * step)
        grads.append(g if x.shape else float(g))
    return grads[0] if single else tuple(grads)


def _wrt_indices(fn, args, wrt):
    params = list(inspect.signature(fn).parameters)
    if wrt is None:
        return list(range(len(args))), len(args) == 1
    single = isinstance(wrt, (str, int))
    items = [wrt] if single else list(wrt)
    return [params.index(w) if isinstance(w, str) else w % len(args) for w in items], single


def check_numeric(f, *args, wrt=None, mode="reverse", rtol=1e-5, atol=1e-7, eps=1e-6):
    """Report comparing wengert.grad(f) at args with central differences."""
    from .api import grad

    mine = grad(f, wrt=wrt, mode=mode)(*args)
    reference = finite_differences(f, args, wrt, eps)
    indices, single = _wrt_indices(f, args, wrt)
    if single:
        mine, reference = (mine,), (reference,)
    params = list(inspect.signature(f).parameters)
    components = []
    for i, got, expected in zip(indices, mine, reference):
        ok = bool(np.allclose(got, expected, rtol=rtol, atol=atol))
        components.append(Component(f"∂{f.__name__}/∂{params[i]}", mode, expected, got, "finite differences", ok))
    return Report(f.__name__, components)
