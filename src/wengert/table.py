"""The lecture's evaluation trace: the forward primal trace and the reverse adjoint trace, with values.

Parameters are named v-(n-1) .. v0 and op results v1, v2, ... in trace order, as on the
slides. The adjoint lines come from the primitives' own adjoint rules (the same ones
reverse mode uses), printed over those names and evaluated numerically.
"""

import ast
from dataclasses import dataclass, field
import math
import re

import numpy as np

from . import custom
from .api import signature
from .compile import python_ast
from .emit import const_ast
from .errors import WengertError
from .parse import infer_scalars, module_of, parse, with_shapes
from .primitives import HELPERS, PRIMS, SCIPY, Lazy
from .interpret import unroll
from .builder import Builder, activity
from .trace import Const, If, Loop, Names, Var

LIBRARY_PREFIX = re.compile(r"\b(?:np|math)\.|(?<![\w.])_(?=[a-z]\w*\()")  # np.sin -> sin, _scatter( -> scatter(
UNARY_CALL = re.compile(r"\b([a-z]\w*)\((v-?\d+(?:bar)?)\)")  # sin(v0) -> sin v0
LARGE = 8  # arrays with more elements are shown by shape


@dataclass
class Table:
    """Sections of rows (lhs, rhs, value); str() lays them out as on the slides."""

    sections: list = field(default_factory=list)  # [(heading, [(lhs, rhs, value or None), ...])]

    def __str__(self):
        out = []
        for heading, rows in self.sections:
            out.append(heading)
            w_lhs = max(len(r[0]) for r in rows)
            w_rhs = max(len(r[1]) for r in rows)
            w_value = max((len(show(r[2])) for r in rows if r[2] is not None), default=0)
            for lhs, rhs, value, *note in rows:
                line = f"  {lhs:<{w_lhs}} = {rhs:<{w_rhs}}" + ("" if value is None else f" = {show(value):<{w_value}}")
                out.append((line + (f"   # {note[0]}" if note and note[0] else "")).rstrip())
            out.append("")
        return "\n".join(out).rstrip() + "\n"


def trace(f, *args):
    """The evaluation-trace table of a live function; with args, every line shows its value."""
    module, node = module_of(f)
    primal = parse(module, node)
    if args and len(args) != len(primal.params):
        raise TypeError(f"{primal.name} takes {len(primal.params)} arguments, got {len(args)}")
    return trace_table(primal, dict(zip(primal.params, args)) if args else None)


def check_point(primal, args):
    """A WengertError unless args gives exactly one value per parameter of primal."""
    missing = [p for p in primal.params if p not in args]
    unknown = [a for a in args if a not in primal.params]
    if missing or unknown:
        what = f"no value given for {', '.join(missing)}" if missing else f"{', '.join(unknown)} is not a parameter"
        raise WengertError(f"{what} of {primal.name}({', '.join(primal.params)})", primal.filename, primal.line, 0, "",
                           "give one value for every parameter, e.g. --at x=1.5")


def trace_table(primal, args=None):
    """The forward primal trace and (for one output) the reverse adjoint trace of primal."""
    if args is not None:
        check_point(primal, args)
        notes = {}
        if any(isinstance(op, (If, Loop)) for op in primal.ops):
            record = unroll(primal, args)  # the trace of this evaluation: loops unrolled, branches taken
            primal, notes = record.trace, record.notes
        primal = with_shapes(primal, {p: signature(args[p]) for p in primal.params})
        return _Sheet(primal, args, notes).table()
    if any(isinstance(op, (If, Loop)) for op in primal.ops):
        raise WengertError(f"{primal.name} has loops or branches: its evaluation trace depends on the inputs",
                           primal.filename, primal.line, 0, "", "give a value for every parameter, e.g. --at x=1.5")
    primal = infer_scalars(primal)
    return _Sheet(primal, args).table()


class _Sheet:
    """Names, values and rows of one table under construction."""

    def __init__(self, primal, args, notes=None):
        self.primal = primal
        self.notes = notes or {}
        self.values = dict(args) if args is not None else None
        n = len(primal.params)
        self.names = {p: f"v{i - n + 1}" for i, p in enumerate(primal.params)}
        outs = [name for op in primal.ops for name in op.outs]
        self.names.update({name: f"v{i}" for i, name in enumerate(outs, 1)})
        self.names.update({f"bar:{name}": f"{lecture}bar" for name, lecture in list(self.names.items())})
        self.y = "y"
        while self.y in primal.params:
            self.y += "_"
        self.namespace = {"np": np, "math": math, "scipy": SCIPY}
        for source in HELPERS.values():
            exec(source, self.namespace)
        if self.values is not None:
            custom.bind(primal, self.namespace)

    def table(self):
        name = self.primal.name
        sections = [(f"Forward primal trace of {name} (executed top to bottom):", self.forward())]
        if len(self.primal.outputs) == 1 and isinstance(self.primal.outputs[0], Var):
            sections.append((f"Reverse adjoint trace of {name} (executed top to bottom; the slides list it "
                             "bottom to top):", self.reverse()))
        return Table(sections)

    # ---- rows ---------------------------------------------------------------------------------------------
    def forward(self):
        p = self.primal
        rows = [(self.names[x], x, self.value(Var(x))) for x in p.params]
        for op in p.ops:
            self.evaluate(op)
            note = self.notes.get(op.outs[0], "")
            rows += [(self.names[name], self.text(op), self.value(Var(name)), note) for name in op.outs]
        for i, y in enumerate(p.outputs, 1):
            lhs = self.y if len(p.outputs) == 1 else f"{self.y}{i}"
            rows.append((lhs, self.render_text(y), self.value(y)))
        return rows

    def reverse(self):
        p = self.primal
        b = Builder(Names(set(self.names)), p.shapes)
        for op in p.ops:
            b.add(op)
        built = len(b.ops)
        active = activity(p, p.params)
        (y,) = p.outputs
        adjoints = {}
        rows = []
        if y.name in active:
            adjoints[y.name] = self.bar(y.name, b, 1.0)
            rows.append((self.names[adjoints[y.name].name], f"{self.y}bar", self.value(adjoints[y.name])))
        with b:
            for op in reversed(p.ops):
                g = adjoints.get(op.outs[0])
                rule = PRIMS[op.prim]
                if g is None or len(op.outs) != 1:
                    continue
                if rule.adjoint is None:
                    raise WengertError(f"{op.prim} has no reverse-mode rule yet", p.filename,
                                       p.lineno.get(op.outs[0], 0), 0, "", "use forward mode or another operation")
                kw = op.kw
                b.lib = kw.pop("lib", "np")
                for i, (arg, c) in enumerate(zip(op.args, rule.adjoint(g, op.out, *op.args, **kw), strict=True)):
                    if not (isinstance(arg, Var) and arg.name in active):
                        continue
                    if rule.diff_args is not None and i not in rule.diff_args or c is None:
                        raise WengertError(f"argument {i + 1} of {op.prim} cannot depend on the differentiated "
                                           "inputs", p.filename, p.lineno.get(op.outs[0], 0))
                    c = c.build() if isinstance(c, Lazy) else c
                    for new in b.ops[built:]:
                        self.evaluate(new)
                    built = len(b.ops)
                    rows.append(self.accumulate(adjoints, arg.name, c, b))
        for x in p.params:
            rhs = self.names[adjoints[x].name] if x in adjoints else "0"
            rows.append((f"{x}bar", rhs, self.value(adjoints.get(x, Const(0.0)))))
        return rows

    def bar(self, name, b, value):
        """The adjoint variable of primal `name`: same shape, starting at value."""
        var = Var(f"bar:{name}")
        b.shapes[var.name] = b.shape(Var(name))
        if self.values is not None:
            self.values[var.name] = value
        return var

    def accumulate(self, adjoints, name, contribution, b):
        """``xbar = xbar + contribution`` (the first contribution just sets xbar)."""
        term = self.render(contribution, b.defs)
        if name in adjoints:
            bar = adjoints[name]
            if self.values is not None:
                self.values[bar.name] = self.values[bar.name] + self.value(contribution)
            if isinstance(term, ast.UnaryOp) and isinstance(term.op, ast.USub):
                term = ast.BinOp(ast.Name(self.names[bar.name]), ast.Sub(), term.operand)
            else:
                term = ast.BinOp(ast.Name(self.names[bar.name]), ast.Add(), term)
        else:
            bar = adjoints[name] = self.bar(name, b, self.value(contribution))
        return self.names[bar.name], pretty(term), self.value(bar)

    # ---- text and values ---------------------------------------------------------------------------------
    def text(self, op):
        return pretty(self.op_ast(op, lambda a: self.render(a, {})))

    def render_text(self, v):
        return pretty(self.render(v, {}))

    def render(self, v, defs):
        """AST of v over lecture names, inlining the temporaries of an adjoint rule (those in defs)."""
        if isinstance(v, Const):
            return const_ast(v.value)
        if v.name in defs and v.name not in self.names:
            return self.op_ast(defs[v.name], lambda a: self.render(a, defs))
        return ast.Name(self.names.get(v.name, v.name))

    @staticmethod
    def op_ast(op, render_arg):
        kw = op.kw
        holes = [f"__a{i}" for i in range(len(op.args))]
        shown = PRIMS[{"mul0": "mul", "div0": "div"}.get(op.prim, op.prim)]  # 0 * inf = 0 is a floating-point detail here
        tree = python_ast(shown.source(holes, kw, kw.pop("lib", "np")), mode="eval").body
        fill = {h: render_arg(a) for h, a in zip(holes, op.args)}

        class Fill(ast.NodeTransformer):
            def visit_Name(self, node):
                return fill.get(node.id, node)

        tree = Fill().visit(tree)
        right = getattr(tree, "right", None)
        if isinstance(tree, ast.BinOp) and isinstance(tree.op, ast.Mult) and isinstance(right, ast.BinOp) and \
                isinstance(right.op, ast.Div) and isinstance(right.left, ast.Constant) and right.left.value == 1:
            return ast.BinOp(tree.left, ast.Div(), right.right)  # a * (1 / b) reads a / b, as on the slides
        return tree

    def evaluate(self, op):
        if self.values is None:
            return
        kw = op.kw
        holes = {f"__a{i}": self.value(a) for i, a in enumerate(op.args)}
        src = PRIMS[op.prim].source(list(holes), kw, kw.pop("lib", "np"))
        try:
            with np.errstate(all="ignore"):
                result = eval(src, self.namespace, holes)
        except (ArithmeticError, ValueError, TypeError) as e:
            raise WengertError(f"cannot evaluate {self.text(op)} at the given point: {e}", self.primal.filename,
                               self.primal.lineno.get(op.outs[0], 0), 0, "",
                               "choose a point inside the function's domain") from None
        results = result if len(op.outs) > 1 else (result,)
        self.values.update(zip(op.outs, results))

    def value(self, v):
        if self.values is None:
            return None
        return v.value if isinstance(v, Const) else self.values[v.name]


def pretty(node):
    """Lecture-style text of an expression AST: no library prefixes, ln for log, `sin v0` for sin(v0)."""
    text = LIBRARY_PREFIX.sub("", ast.unparse(node))
    text = re.sub(r"\blog\(", "ln(", text)
    return UNARY_CALL.sub(r"\1 \2", text)


def show(value):
    """A value as a short string: repr for scalars, numpy's compact form for small arrays, else the shape."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if np.ndim(value) == 0:
        return repr(value.item() if hasattr(value, "item") else value)
    a = np.asarray(value)
    if a.size > LARGE:
        return f"<array of shape {a.shape}>"
    return " ".join(np.array2string(a, separator=", ").split())
