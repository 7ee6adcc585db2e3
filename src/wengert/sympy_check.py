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

from . import custom
from .errors import GENERATED, WengertError
from .primitives import PRIMS
from .primitives.symbolic import Sign, SplitMax, SplitMin
from .trace import Const, If, Loop

METHODS = ("auto", "simplify", "points")
POINTS = 5                  # random points that must agree when simplify cannot decide
MAX_TRIES = 400             # candidate points to try before giving up on finding a valid one
DIGITS = 50                 # working precision for points whose value is not a rational number
MAX_DENOMINATOR = 10 ** 12  # floats with a shorter decimal form are taken as the exact decimal
SYMBOLIC_BUDGET = 5_000     # scalars the primal makes x components checked, past which the check is numerical (~15 s)
WITNESS_DIRECTIONS = 6      # random directions checked by the numerical witness, per mode
WITNESS_COMPONENTS = 6      # and single components (basis directions), drawn at random
WITNESS_RTOL = 1e-20        # its agreement with central differences at DIGITS + 10 digits,
WITNESS_ATOL = 1e-30        # and absolutely, relative to the function's value
SIMPLIFY_MAX_OPS = 300      # larger differences go straight to random points (simplify would take minutes)
PIECEWISE_MAX_OPS = 25      # the same for differences with tie masks or steps (Heaviside, Piecewise): simplify
                            # spends a minute on 55 operations of them (np.ptp's ties, a nanmean of a max)
COMPILED_RTOL, COMPILED_ATOL = 1e-7, 1e-9  # generated code runs in double precision
FLOAT_RTOL = 1e-12          # agreement required at points when an expression holds inexact Floats
PRINT_MAX_NODES = 2000      # larger expressions are not printed in a report
NOTE_MAX_CHARS = 600        # a component's note (the point it failed at) is cut there
REPORT_MAX_COMPONENTS = 12  # a report lists this many components: failures first, agreeing ones after
REPORT_MAX_FAILURES = 5     # of which at most this many failures in detail (the others by name)
REPORT_MAX_CHARS = 6000     # and is cut there (its notes are kept)
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


def evaluate(trace, env, at=None, limit=None, numeric=False):
    """The trace's outputs as SymPy expressions; env maps each parameter to an expression
    (or, for an array parameter, an object array of them).

    Branches whose condition is symbolic become Piecewise expressions. Loops run symbolically;
    a loop bound or while condition that depends on the inputs, or a branch that pushes on a
    stack, is decided at the point `at` ({symbol: number}), as the program would run there.
    limit: raise OverBudget once the ops have made more scalars than this. numeric: env holds numbers, and each
    result is rounded to a Float of DIGITS + 10 digits (a Float times pi would otherwise stay a formula)."""
    missing = [p for p in trace.params if p not in env]
    if missing:
        raise WengertError(f"no symbolic value given for {', '.join(missing)}", trace.filename, 0, 0, "",
                           "pass every parameter in env")
    run = _Symbolic(trace, at, limit, numeric)
    values = dict(env)
    _POINTS.append(run.at)
    try:
        run.block(trace.ops, values)
    finally:
        _POINTS.pop()
    return [run.value(v, values) for v in trace.outputs]


_POINTS = []  # the points of the evaluations running (innermost last): composites' definitions are evaluated there


def current_point():
    """The point ({symbol: number}) the evaluation running decides control flow at, or None."""
    return _POINTS[-1] if _POINTS else None


def _at_point(value, at):
    """A value with the point substituted (elementwise for object arrays)."""
    if isinstance(value, np.ndarray):
        return np.frompyfunc(lambda v: _at_point(v, at), 1, 1)(value) if value.size else value
    return sympy.sympify(value).xreplace(at) if isinstance(value, sympy.Basic) else value


class _Symbolic:
    """Runs a Trace on SymPy values, op by op, blocks included."""

    MAX_PASSES = 10_000

    def __init__(self, trace, at, limit=None, numeric=False):
        self.trace = trace
        self.limit, self.numeric, self.scalars = limit, numeric, 0
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
                             "give the primitive a sympy= meaning in its primitives/ module")
        attrs = {k: v for k, v in op.attrs if k != "lib"}
        args = [self.value(a, values) for a in op.args]
        try:
            try:
                result = _apply(prim, args, attrs)
            except TypeError:  # an order of symbols (argsort, argmax): piecewise constant, decided at the point,
                if not prim.nondiff:  # as a branch is
                    raise
                if self.at is None:
                    raise self.error(op, f"{op.prim} orders symbolic values, which is decided at a point",
                                     "give a point to check at (at=...)") from None
                result = _apply(prim, [_at_point(a, self.at) for a in args], attrs)
        except WengertError as e:  # a meaning that cannot be evaluated says why: placed at the op's line
            if e.filename != GENERATED:
                raise
            raise self.error(op, e.message, e.hint) from None
        results = result if len(op.outs) > 1 else (result,)
        for name, r in zip(op.outs, results):
            values[name] = _tidy(r)
            self.scalars += int(np.size(r)) if isinstance(r, np.ndarray) else 1
            if self.numeric:
                values[name] = _rounded(values[name])
        if self.limit is not None and self.scalars > self.limit:
            raise OverBudget(self.scalars)

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


class OverBudget(Exception):
    """A symbolic evaluation made more scalars than its limit (args[0]: how many when it stopped)."""


def _rounded(value):
    """A number that is a formula (2.0*pi, log(3)) as a Float of DIGITS + 10 digits; exact rationals, Floats,
    booleans and non-numbers as they are; elementwise for arrays."""
    if isinstance(value, np.ndarray):
        return np.frompyfunc(_rounded, 1, 1)(value) if value.size else value
    if isinstance(value, sympy.Expr) and value.is_number and not value.is_Rational and not value.is_Float:
        return value.evalf(DIGITS + 10)
    return value


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
        witness = "differences" if self.method.startswith("central differences") else "sympy"
        lines = [f"{head}   [{self.method}]",
                 f"      {f'expected ({witness}): ':<19}{_brief(self.expected)}",
                 f"      got (wengert):     {_brief(self.got)}"]
        if self.expected is not None and self.got is not None:
            lines.append(f"      difference:        {_brief(_difference(self.expected, self.got))}")
        if self.note:
            lines.append(f"      {_cut(self.note, NOTE_MAX_CHARS)}")
        return "\n".join(lines)


def _brief(value):
    """An expected or computed value for a report: a formula cut short, an array summarized."""
    if isinstance(value, np.ndarray):
        return _summary(value)
    if isinstance(value, sympy.Basic) and value.is_number and not value.is_Rational:
        return str(_round(value))
    return _short(value, 300) if isinstance(value, sympy.Basic) else _cut(str(value), 300)


def _summary(array, shown=6):
    """A numeric array in a report: all of a small one, else its shape and its first few values."""
    values = np.asarray(array, dtype=float)
    if values.size <= shown:
        return str(np.round(values, 4).tolist()) if values.ndim else f"{float(values):.6g}"
    head = ", ".join(f"{v:.4g}" for v in values.ravel()[:3])
    return f"<{'x'.join(map(str, values.shape))} array: {head}, ...>"


def _cut(text, limit):
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text) - limit} more characters)"


def _short(expr, limit=160):
    """expr on one line, cut at limit characters. A large one is not printed whole to be cut: printing a
    gradient of a GMM likelihood took longer than checking it."""
    nodes = _size(expr, PRINT_MAX_NODES)
    if nodes >= PRINT_MAX_NODES:
        return f"<an expression of more than {PRINT_MAX_NODES} nodes>"
    text = str(expr)
    return text if len(text) <= limit else f"{text[:limit]}... ({nodes} nodes)"


def _size(expr, cap):
    """The number of nodes of expr's tree, counted up to cap (count_ops of a large gradient took seconds)."""
    if not isinstance(expr, sympy.Basic):
        return 1
    n = 0
    for _ in sympy.preorder_traversal(expr):
        n += 1
        if n >= cap:
            break
    return n


def _operations(expr):
    """count_ops of expr, or None when it surely exceeds SIMPLIFY_MAX_OPS (its tree has three times as many
    nodes): then count_ops is not worth its time."""
    return None if _size(expr, 3 * SIMPLIFY_MAX_OPS) >= 3 * SIMPLIFY_MAX_OPS else sympy.count_ops(expr)


def _difference(expected, got):
    if isinstance(expected, sympy.Basic) or isinstance(got, sympy.Basic):
        difference = sympy.sympify(expected) - sympy.sympify(got)
        if difference.is_number:
            return _round(difference)
        size = _operations(difference)
        if size is None or size > SIMPLIFY_MAX_OPS:  # simplify could take hours (make fuzz, seed 5171)
            return f"{_short(difference)}, not simplified"
        return sympy.simplify(difference)
    return np.round(np.asarray(expected, dtype=float) - np.asarray(got, dtype=float), 12)


def _round(value, digits=12):
    """A number for a report: exact rationals as they are, others to `digits` significant digits."""
    value = sympy.sympify(value)
    return value if value.is_Rational else sympy.Float(value.evalf(digits + 5), digits)


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
        failures = self.failures()
        shown = set(map(id, failures[:REPORT_MAX_FAILURES]))
        room = REPORT_MAX_COMPONENTS - len(shown)
        for c in sorted(self.components, key=lambda c: c.method != "compiled"):  # the generated code's runs first
            if c.ok and room > 0 and id(c) not in shown:
                shown.add(id(c))
                room -= 1
        lines += [str(c) for c in self.components if id(c) in shown]
        agree, disagree = good - sum(c.ok for c in self.components if id(c) in shown), len(failures) - sum(
            not c.ok for c in self.components if id(c) in shown)
        if agree or disagree:
            more = [f"{agree} more agree"] if agree else []
            if disagree:
                names = [c.name.split(" at ")[0] for c in failures[REPORT_MAX_FAILURES:]]
                more.append(f"{disagree} more disagree: {', '.join(names[:5])}" + (", ..." if len(names) > 5 else ""))
            lines.append(f"  ... {'; '.join(more)} (Report.components has them all)")
        text = "\n".join(lines)
        notes = "".join(f"\n  note: {_cut(n, NOTE_MAX_CHARS)}" for n in self.notes[:5])
        if len(text) + len(notes) > REPORT_MAX_CHARS:
            text = text[:max(0, REPORT_MAX_CHARS - len(notes))] + \
                "\n  ... (report cut; Report.components has every component)"
        return text + notes

    def failures(self):
        return [c for c in self.components if not c.ok]


# ---- symbolic check ----------------------------------------------------------------------------------

def check_primal(primal, wrt=None, mode="reverse", order=1, shapes=None, method="auto", points=POINTS, seed=0,
                 at=None, compiled=True, budget=SYMBOLIC_BUDGET):
    """Report comparing SymPy's gradient (order=2: Hessians) of the primal Trace with wengert's.

    mode: "reverse", "forward" or "both". shapes: {param: concrete shape tuple} for array
    parameters (the others are scalars, unless `at` gives an array); the derivative is specialized
    to those shapes as a call with such arguments would be. method: "auto" (simplify, then random
    points when simplify cannot decide), "simplify" (no fallback) or "points" (random points only).
    at: argument values (a tuple in parameter order, or {param: value}) at which loops and branches
    that depend on the inputs are decided; the path taken there is what gets checked.
    compiled: also run the generated code (at `at`, else at a random point) against SymPy's numbers.
    budget: the symbolic check's size limit, in scalars the primal makes times the number of components
    checked (squared for order=2); past it, wengert's derivative trace is checked numerically instead (see
    _witness), and the report says so. None: no limit."""
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
    notes = []
    opaque = custom.used(primal)
    if opaque:
        notes.append(f"user primitive{'s' * (len(opaque) > 1)} {', '.join(sorted({p.label for p in opaque}))}: "
                     "an undefined function whose derivative is the user's rule (the rule itself is taken as given)")
        dead = sorted({p.label for p in opaque if p.live() is None})
        if dead and compiled:
            compiled = False
            notes.append(f"the generated code was not run: it imports {', '.join(dead)} from the user's module, "
                         "which is not imported (the CLI never runs the file); from Python, import it first")
    if at:
        fixed = [p for p in primal.params if p not in names and p in at]
        notes.append("control flow decided at " + _describe(at) +
                     (f"; {', '.join(fixed)} fixed at these values" if fixed else ""))
    weight = max(1, sum(int(np.size(env[w])) for w in names)) ** order
    limit = None if budget is None else max(1, budget // weight)
    try:
        (value,) = evaluate(specialized, env, point, limit=limit)
    except OverBudget:
        if opaque:
            raise WengertError(f"{primal.name} is past the symbolic budget, and its numerical witness runs in "
                               f"{DIGITS + 10}-digit arithmetic, which user primitive "
                               f"{', '.join(sorted({p.label for p in opaque}))} (a Python body) cannot",
                               primal.filename, primal.line, 0, "", "check with budget=None (--budget 0), or on "
                               "smaller shapes") from None
        components, witness_note = _witness(specialized, names, modes, order, env, at, random.Random(seed), compiled)
        what = "second derivatives" if order == 2 else "components"
        notes.append(f"past the symbolic budget: {primal.name} makes more than {limit:,} scalars, times "
                     f"{weight:,} {what} is over budget={budget:,}, so no SymPy derivative was built; "
                     f"{witness_note}. budget=None (--budget 0) checks symbolically, however long it takes")
        if order == 2:
            notes.append("Hessians: forward over reverse (hvp code)")
        return Report(primal.name, components, tuple(notes))
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
    components = []
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
    return ", ".join(f"{p}={_summary(v) if np.ndim(v) else v}" for p, v in values.items())


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
    size = _operations(difference) if method != "points" else None
    piecewise = size is not None and size > PIECEWISE_MAX_OPS and difference.has(sympy.Heaviside, sympy.Piecewise)
    too_large = method == "auto" and (size is None or size > SIMPLIFY_MAX_OPS or piecewise)
    if method != "points" and not too_large:
        if difference == 0 or sympy.simplify(difference) == 0:
            return Component(label, mode, expected, got, "simplify", True)
        if method == "simplify":
            return Component(label, mode, expected, got, "simplify", False,
                             "simplify did not reduce the difference to 0")
    ok, note = _agree_at_points(expected, got, value, points, rng)
    if ok and too_large:
        note = (f"the difference has {size} operations" if size else
                f"the difference has more than {SIMPLIFY_MAX_OPS} operations") + \
            (" with tie masks or steps" if piecewise and size <= SIMPLIFY_MAX_OPS else "") + ", too many to simplify"
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
            elif isinstance(node, (sympy.Eq, sympy.Ne)):
                continue  # its sides agree at a random point only where they are the same (np.max's tie mask
                # a_i == max(a) at its argmax): no kink, and taking it for one drew 400 points per wrong rule
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
    point's rationals to DIGITS + 10 digits, each distinct subexpression once (see _numeric): exact
    substitution there costs minutes on large traces."""
    expr = sympy.sympify(expr)
    try:
        if expr.has(sympy.Function):
            exact_value = None
            n = _numeric(expr, point).evalf(DIGITS)
        else:
            exact_value = expr.xreplace(point)
            n = exact_value.evalf(DIGITS)
    except (TypeError, ValueError, ZeroDivisionError, ArithmeticError, RecursionError):
        return None
    if n.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo) or not n.is_number or n.is_real is not True:
        return None
    return exact_value, n


def _numeric(expr, point):
    """expr at point, from Floats of its rationals to DIGITS + 10 digits. The derivative traces' expressions
    share subtrees (every tie mask of a row repeats the row's max): xreplace walked the tree, this evaluates
    each distinct subexpression once, children first, without recursion. Eq and Ne are decided by
    _decide_equality, not by Float equality."""
    floats = {s: sympy.Float(v, DIGITS + 10) for s, v in point.items()}
    memo = {}
    stack = [(expr, False)]
    while stack:
        node, ready = stack.pop()
        if node in memo:
            continue
        if not node.args:
            memo[node] = floats.get(node, node)
        elif not ready:
            stack.append((node, True))
            stack.extend((a, False) for a in node.args if a not in memo)
        elif isinstance(node, (sympy.Eq, sympy.Ne)):
            decided = _decide_equality(node, point, memo[node.lhs], memo[node.rhs])
            memo[node] = node if decided is None else decided
        else:
            memo[node] = node.func(*(memo[a] for a in node.args))
    return memo[expr]


RATIONAL_FUNCTIONS = (sympy.Max, sympy.Min, SplitMax, SplitMin, sympy.Abs, sympy.sign, Sign, sympy.Heaviside)


def _decide_equality(condition, point, lhs, rhs):
    """true, false, or None (not decided) for an Eq or Ne at point, given its sides' values there. Exactly
    when the sides are rational functions of the point (make fuzz, seed 5171: Eq(a_i, Max(3 a) / 3) was false
    in Floats for every element); else a tie when the sides agree to DIGITS // 2 digits. SymPy's own Eq of two
    transcendental numbers, or of sums holding a Float (0.5 * D * log(2 pi)), answers from an evaluation that
    rounds either way: the tie masks a == max(a, b) of a max-trick log-sum-exp were false for every element
    of a row, the tie weights 0/0, and wengert's derivative of a correct GMM likelihood looked undefined."""
    if not condition.atoms(sympy.Float) and all(isinstance(f, RATIONAL_FUNCTIONS)
                                                for f in condition.atoms(sympy.Function)):
        value = condition.xreplace(point)
        if value in (sympy.true, sympy.false):
            return value
    lhs, rhs = (sympy.sympify(v).evalf(DIGITS) for v in (lhs, rhs))
    if not (lhs.is_number and rhs.is_number) or any(v.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo)
                                                     for v in (lhs, rhs)):
        return None
    tie = abs(lhs - rhs) <= sympy.Float(10) ** (-(DIGITS // 2)) * (1 + abs(lhs))
    return sympy.true if bool(tie) == isinstance(condition, sympy.Eq) else sympy.false


def _equal(reference, mine, rtol):
    """Exactly equal when both values are rational; otherwise equal to within rtol."""
    (a, x), (b, y) = reference, mine
    if a is not None and b is not None and a.is_Rational and b.is_Rational:
        return a == b
    return abs(x - y) <= rtol * (1 + abs(x))


def _inexact(expr):
    return any(isinstance(n, sympy.Float) for n in sympy.sympify(expr).atoms(sympy.Number))


# ---- past the budget: a numerical witness -------------------------------------------------------------

def _witness(primal, names, modes, order, env, at, rng, compiled):
    """(components, what was done) checking wengert's derivative trace (the one its code is emitted from) at one
    random point, run in Floats of DIGITS + 10 digits, against central differences of the primal run the same
    way: along WITNESS_DIRECTIONS random directions and WITNESS_COMPONENTS single components per mode (order=2:
    u . H v of the hvp trace against second differences). With compiled, the generated code's numbers along
    the same directions too. Costs a few runs of the primal per direction, whatever its size."""
    found = _witness_point(primal, env, at, rng)
    if found is None:
        return [Component("numerical witness", modes[0], None, None, "central differences", False,
                          "found no point where the function is defined")], "found no point to check at"
    x, value = found
    digits = DIGITS + 10
    method = f"central differences, {digits} digits"
    components, counts = [], None
    for m in (("reverse",) if order == 2 else modes):
        directions = list(_witness_directions(primal.name, names, env, rng, order))
        randoms = sum("random" in label for label, _, _ in directions)
        counts = randoms, len(directions) - randoms
        try:
            mine = _witness_derivative(primal, names, m, order, x, directions)
        except WengertError as e:
            if len(modes) == 1:
                raise
            components.append(Component("numerical witness", m, None, None, method, False, e.message))
            continue
        references = [_witness_reference(primal, names, order, x, value, d) for d in directions]
        for (label, _, _), reference, got in zip(directions, references, mine):
            r, (g, magnitude) = reference, got
            ok = r is not None and g is not None and \
                bool(abs(r - g) <= WITNESS_RTOL * (abs(r) + magnitude) + WITNESS_ATOL * (1 + abs(value)))
            components.append(Component(label, "hvp" if order == 2 else m, _round(r, 15) if r is not None else None,
                                        _round(g, 15) if g is not None else None, method, ok))
        if compiled:
            components.append(_witness_compiled(primal, names, m, order, x, directions, references))
    what = "second derivatives u . H v" if order == 2 else "directional derivatives"
    return components, (f"instead checked wengert's {what} along {counts[0]} random directions and "
                        f"{counts[1]} single components against central differences in {digits}-digit arithmetic, "
                        f"at {_describe(_floats(primal, x))}")


def _witness_point(primal, env, at, rng):
    """({param: value}, f there): Floats of DIGITS + 10 digits for parameters that are symbols (at= values
    where given, else random rationals), fixed values as they are; a point where f is real and finite."""
    for attempt in range(MAX_TRIES // 8):
        x = {}
        for p in primal.params:
            v = env[p]
            cells = np.asarray(v, dtype=object)
            if not all(isinstance(c, sympy.Symbol) for c in cells.ravel().tolist()):
                x[p] = v
                continue
            if p in at:
                given = np.vectorize(_exact_argument, otypes=[object])(np.asarray(at[p]))
            else:
                given = np.vectorize(lambda _: _random_rational(rng, attempt), otypes=[object])(np.empty(cells.shape))
            floats = np.vectorize(lambda q: sympy.Float(q, DIGITS + 10), otypes=[object])(given)
            x[p] = floats if np.ndim(v) else floats.item()
        value = _witness_value(primal, x)
        if value is not None:
            return x, value
    return None


def _witness_value(primal, x):
    try:
        with np.errstate(all="ignore"):
            (value,) = evaluate(primal, x, numeric=True)
        value = sympy.sympify(_scalar(value, primal)).evalf(DIGITS + 10)
    except (TypeError, ValueError, ZeroDivisionError, ArithmeticError):
        return None
    return value if _finite(value) else None


def _finite(value):
    return isinstance(value, sympy.Expr) and value.is_number and value.is_real is True and \
        not value.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo)


def _witness_directions(fname, names, env, rng, order):
    """(label, {w: u}, {w: v}) per direction: random ones, then single components (order=2: entries of the
    Hessian of each w, u = e_i and v = e_j). Order 1 uses only u."""
    shapes = {w: np.shape(env[w]) for w in names}

    def random_direction(ws):
        return {w: np.vectorize(lambda _: sympy.Float(rng.uniform(-1, 1), DIGITS + 10), otypes=[object])(
            np.empty(shapes[w])) if shapes[w] else sympy.Float(rng.uniform(-1, 1), DIGITS + 10) for w in ws}

    def unit(w, idx):
        if not shapes[w]:
            return {w: sympy.Integer(1)}
        e = np.full(shapes[w], sympy.Integer(0), dtype=object)
        e[idx] = sympy.Integer(1)
        return {w: e}

    cells = [(w, idx) for w in names for idx in np.ndindex(*shapes[w])]
    if order == 1:
        for k in range(WITNESS_DIRECTIONS):
            yield f"∂{fname} along random direction {k + 1}", random_direction(names), None
        for w, idx in rng.sample(cells, min(WITNESS_COMPONENTS, len(cells))):
            yield f"∂{fname}/∂{w}{_index(idx)}", unit(w, idx), None
        return
    for k in range(WITNESS_DIRECTIONS):
        w = names[k % len(names)]
        yield f"u·∂²{fname}/∂{w}²·v, random u, v {k + 1}", random_direction([w]), random_direction([w])
    pairs = [(w, i, j) for w in names for i in np.ndindex(*shapes[w]) for j in np.ndindex(*shapes[w])]
    for w, i, j in rng.sample(pairs, min(WITNESS_COMPONENTS, len(pairs))):
        yield f"∂²{fname}/∂{w}{_index(i)}∂{w}{_index(j)}", unit(w, i), unit(w, j)


def _moved(x, steps):
    """x + sum of steps, each {w: array}."""
    moved = dict(x)
    for step in steps:
        for w, d in step.items():
            moved[w] = moved[w] + d
    return moved


def _scaled(direction, factor):
    return {w: d * factor for w, d in direction.items()}


def _dot(a, b):
    """(sum of a_i b_i, sum of |a_i b_i|) over the parameters of two {w: array} maps."""
    products = [p for w in b for p in np.ravel(np.asarray(a[w], dtype=object) * np.asarray(b[w], dtype=object))]
    return sympy.Add(*products).evalf(DIGITS + 10), sympy.Add(*(abs(p) for p in products)).evalf(DIGITS + 10)


def _witness_reference(primal, names, order, x, value, direction):
    """The central difference (None where f is undefined) along the direction, from the primal in DIGITS + 10 digits: first differences
    with h = 10^-(digits/3), second (polarized, for u . H v) with h = 10^-(digits/4)."""
    label, u, v = direction
    digits = DIGITS + 10
    if order == 1:
        h = sympy.Float(10, digits) ** -(digits // 3)
        ends = [_witness_value(primal, _moved(x, [_scaled(u, s * h)])) for s in (1, -1)]
        return None if None in ends else (ends[0] - ends[1]) / (2 * h)
    h = sympy.Float(10, digits) ** -(digits // 4)
    corners = [_witness_value(primal, _moved(x, [_scaled(u, a * h), _scaled(v, b * h)]))
               for a, b in ((1, 1), (1, -1), (-1, 1), (-1, -1))]
    return None if None in corners else (corners[0] - corners[1] - corners[2] + corners[3]) / (4 * h * h)


def _witness_derivative(primal, names, mode, order, x, directions):
    """(wengert's derivative along each direction, sum of the absolute products) from its derivative trace run
    in Floats: the gradient once (reverse), the jvp per direction (forward, arrays), H v per direction (order 2)."""
    from . import api

    def run(trace, env):
        with np.errstate(all="ignore"):
            return evaluate(trace, env, numeric=True)

    def or_none(f):
        try:
            return f()
        except (TypeError, ValueError, ZeroDivisionError, ArithmeticError):
            return None, None

    if order == 2:
        results = []
        for _, u, v in directions:
            (w,) = u
            trace, _ = api.derive(primal, "hvp", [w])
            direction = trace.params[-1]
            results.append(or_none(lambda: _dot({w: np.broadcast_to(np.asarray(run(trace, {**x, direction: v[w]})[0],
                                                                               dtype=object), np.shape(x[w]))}, u)))
        return results
    if mode != "forward" or not any(np.ndim(x[w]) for w in names):
        trace, _ = api.derive(primal, "grad", names, mode)
        try:
            grads = dict(zip(names, run(trace, x)))
        except (TypeError, ValueError, ZeroDivisionError, ArithmeticError):
            return [(None, None)] * len(directions)
        grads = {w: np.broadcast_to(np.asarray(g, dtype=object), np.shape(x[w])) for w, g in grads.items()}
        return [or_none(lambda: _dot(grads, u)) for _, u, _ in directions]
    trace, _ = api.derive(primal, "jvp", names)
    tangent_names = trace.params[len(primal.params):]
    results = []
    for _, u, _ in directions:
        tangents = {t: u.get(w, np.zeros(np.shape(x[w]), dtype=object) * 0 if np.ndim(x[w]) else sympy.Integer(0))
                    for t, w in zip(tangent_names, names)}

        def jvp():
            out = sympy.sympify(_scalar(run(trace, {**x, **tangents})[1], primal)).evalf(DIGITS + 10)
            return out, abs(out)
        results.append(or_none(jvp))
    return results


def _floats(primal, x):
    return {p: np.asarray(x[p], dtype=float) if np.ndim(x[p]) else float(x[p]) for p in primal.params}


def _witness_compiled(primal, names, mode, order, x, directions, references):
    """The generated code run in double precision at x, along the witness's directions."""
    from . import api
    from .compile import compile_function

    kind = "hessian" if order == 2 else "grad"
    args = _floats(primal, x)
    name = f"generated code at {_describe(args)}"
    label = "hessian" if order == 2 else mode
    try:
        got, runs = [], {}

        def derivative(w):  # the gradient (of all names) or the Hessian of w
            if w not in runs:
                fn = compile_function(api.generate(primal, kind, [w] if w else list(names), mode),
                                      f"{primal.name}_{kind}")
                result = fn(*args.values())
                runs[w] = result if isinstance(result, tuple) else (result,)
            return runs[w]

        def flat(a):
            return np.ravel(np.asarray(a, dtype=float))

        with np.errstate(all="ignore"):
            for _, u, v in directions:
                if order == 2:
                    (w,) = u
                    n = int(np.size(x[w]))
                    got.append(flat(u[w]) @ np.asarray(derivative(w)[0], dtype=float).reshape(n, n) @ flat(v[w]))
                else:
                    grads = dict(zip(names, derivative(None)))
                    got.append(sum(float(np.sum(np.broadcast_to(np.asarray(grads[w], dtype=float), np.shape(u[w]))
                                                * np.asarray(u[w], dtype=float))) for w in u))
    except Exception as e:  # generated code must run: any failure is the finding
        return Component(name, label, None, None, "compiled", False, f"the generated code raised {type(e).__name__}: {e}")
    reference = np.array([float(r) if r is not None else np.nan for r in references])
    got = np.array(got, dtype=float)
    ok = got.shape == reference.shape and bool(np.allclose(got, reference, rtol=COMPILED_RTOL, atol=COMPILED_ATOL))
    return Component(name, label, reference, got, "compiled", ok)


# ---- live functions ----------------------------------------------------------------------------------

def check(f, wrt=None, mode="both", shapes=None, method="auto", at=None, compiled=True, budget=SYMBOLIC_BUDGET):
    """Check wengert's gradient of the live function f against SymPy's.

    Returns the (truthy) Report; raises CheckFailed, whose message is the readable report,
    when a component disagrees. shapes: {param: shape} for array parameters; at: argument
    values where control flow that depends on the inputs is decided; budget: the size past which the check
    is numerical (see check_primal)."""
    from .errors import NeedsSizes
    from .parse import module_of, parse

    module, node = module_of(f)
    try:
        primal = parse(module, node)
    except NeedsSizes:  # a recursion the shapes end: parsed for the shapes checked
        if not shapes:
            raise
        primal = parse(module, node, shapes)
    report = check_primal(primal, wrt, mode, shapes=shapes, method=method, at=at, compiled=compiled, budget=budget)
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
