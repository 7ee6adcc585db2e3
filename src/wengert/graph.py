"""The computational graph of a trace, as in the lecture's figures: DOT text, SVG or PNG.

Parameters are the leaves (v-1, v0, ... as in the evaluation-trace table), every op is one
node (v1, v2, ...), and every edge is labelled with the local partial derivative of its
head by its tail, taken from the primitives' own derivative rules (those reverse mode
uses). With a point, nodes show their values and their adjoints (reverse mode) or
tangents (forward mode, seeded on one parameter), edges the values of the partials.

DOT text needs nothing else; pictures need Graphviz's `dot` program (and use the Python
`graphviz` package when it is installed).
"""

import os
import re
import shutil
import subprocess

import numpy as np

from . import shapes
from .api import signature
from .errors import WengertError
from .parse import infer_scalars, module_of, parse, with_shapes
from .primitives import PRIMS, Lazy
from .table import _Sheet, check_point, pretty
from .builder import Builder, activity
from .trace import AUTO, Const, Names, Var

MODES = ("reverse", "forward")
FORMATS = ("svg", "png")
WHOLE_FLOAT = re.compile(r"(?<![\w.])(\d+)\.0\b")
LEFT_TO_RIGHT_DEPTH = 6  # deeper graphs are drawn top to bottom, to fit a page
WRAPPERS = ("unbroadcast", "broadcast_like")  # broadcasting bookkeeping around an elementwise partial


class GraphvizMissing(RuntimeError):
    """Rendering a picture needs Graphviz's `dot` program, and it is not installed."""


class Graph:
    """A drawn computational graph: `source` is DOT text; save() writes .dot, .svg or .png."""

    def __init__(self, source, name):
        self.source = source
        self.name = name

    def __str__(self):
        return self.source

    def __repr__(self):
        return f"<wengert.Graph of {self.name}: {self.source.count(' -> ')} edges>"

    def pipe(self, format="svg"):
        """The picture as bytes in format ('svg' or 'png'); raises GraphvizMissing without `dot`."""
        if format not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}, not {format!r}")
        dot = shutil.which("dot")
        if dot is None:
            raise GraphvizMissing(f"drawing a .{format} needs Graphviz's `dot` program, which is not installed: "
                                  "install Graphviz (Debian/Ubuntu: apt-get install graphviz; macOS: brew install "
                                  "graphviz), or write DOT text instead (-o graph.dot)")
        try:
            import graphviz
        except ImportError:
            return subprocess.run([dot, f"-T{format}"], input=self.source.encode(), capture_output=True,
                                  check=True).stdout
        return graphviz.Source(self.source).pipe(format=format)

    def save(self, path):
        """Write DOT text (.dot, .gv) or a picture (.svg, .png), chosen by path's extension."""
        ext = os.path.splitext(path)[1].lower().lstrip(".")
        if ext in ("dot", "gv"):
            data = self.source.encode()
        elif ext in FORMATS:
            data = self.pipe(ext)
        else:
            raise ValueError(f"cannot write {path!r}: use a .dot, .gv, .svg or .png file name")
        with open(path, "wb") as out:
            out.write(data)
        return path

    def _repr_svg_(self):
        """Jupyter shows the picture when `dot` is installed (and falls back to text otherwise)."""
        if shutil.which("dot") is None:
            return None
        return self.pipe("svg").decode()


def graph(f, *args, mode="reverse", wrt=None):
    """The computational graph of a live function; with args, the values at that point too.

    mode="reverse" puts adjoints (v1bar, ...) on the nodes, mode="forward" tangents (v1dot, ...)
    seeded with 1 on parameter wrt (default: the first)."""
    module, node = module_of(f)
    primal = parse(module, node)
    if args and len(args) != len(primal.params):
        raise TypeError(f"{primal.name} takes {len(primal.params)} arguments, got {len(args)}")
    return graph_of(primal, dict(zip(primal.params, args)) if args else None, mode=mode, wrt=wrt)


def graph_of(primal, args=None, mode="reverse", wrt=None):
    """The computational graph of a primal Trace; args: {parameter: value} or None."""
    if mode not in MODES:
        raise WengertError(f"unknown mode {mode!r}", primal.filename, primal.line, 0, "", "use mode='reverse' or 'forward'")
    _straight_line(primal)
    if wrt is not None and wrt not in primal.params:
        raise WengertError(f"wrt={wrt!r} is not a parameter of {primal.name}({', '.join(primal.params)})",
                           primal.filename, primal.line, 0, "", "name the parameter whose tangent is seeded with 1")
    if args is not None:
        check_point(primal, args)
        primal = with_shapes(primal, {p: signature(args[p]) for p in primal.params})
    else:
        primal = infer_scalars(primal)  # not scalar_output: a graph, unlike a gradient, may end in an array
    return _Drawing(primal, args, mode, wrt or (primal.params[0] if primal.params else None)).graph()


def _straight_line(primal):
    for op in primal.ops:
        if getattr(op, "blocks", None):
            raise WengertError(f"{primal.name} has control flow ({op.prim}); the graph is drawn for straight-line "
                               "code only", primal.filename, primal.lineno.get(op.outs[0], 0) if op.outs else 0, 0,
                               "", "use `wengert trace` or `wengert grad` for this function")


class _Drawing:
    """Nodes, edges and their labels of one graph under construction."""

    def __init__(self, primal, args, mode, seeded):
        self.primal, self.mode, self.seeded = primal, mode, seeded
        self.sheet = _Sheet(primal, args)
        self.sheet.names.update({f"dot:{name}": f"{lecture}dot" for name, lecture in list(self.sheet.names.items())
                                 if ":" not in name})
        self.numeric = args is not None
        self.sheet.forward()  # evaluates every primal op when there is a point
        self.adjoints = {}
        self.tangents = {}
        single = len(primal.outputs) == 1 and isinstance(primal.outputs[0], Var)
        if self.numeric and mode == "reverse" and single:
            self.sheet.reverse()
            self.adjoints = {name[4:]: value for name, value in self.sheet.values.items() if name.startswith("bar:")}
        self.b = Builder(Names(set(self.sheet.names)), primal.shapes)
        for op in primal.ops:
            self.b.add(op)
        self.built = len(self.b.ops)
        self.active = activity(primal, primal.params)
        if self.numeric and mode == "forward":
            self.sweep_tangents()

    # ---- numbers --------------------------------------------------------------------------------------
    def settle(self):
        """Evaluate the ops that derivative rules have just appended, where their inputs have values."""
        for op in self.b.ops[self.built:]:
            try:
                self.sheet.evaluate(op)
            except (KeyError, WengertError):  # a value it reads is missing, or a scalar partial met a
                # broadcasting wrapper (stripped from labels anyway): the label goes without a value
                pass
        self.built = len(self.b.ops)

    def seed(self, prefix, name, value):
        var = Var(f"{prefix}:{name}")
        self.b.shapes[var.name] = self.b.shape(Var(name))
        if self.numeric:
            self.sheet.values[var.name] = value
        return var

    def sweep_tangents(self):
        """One forward sweep with the primitives' tangent rules: tangent 1 on the seeded parameter."""
        x = self.seeded
        tangents = {x: self.seed("dot", x, np.ones_like(self.sheet.values[x]) if np.ndim(self.sheet.values[x])
                                 else 1.0)}
        with self.b:
            for op in self.primal.ops:
                ts = tuple(tangents.get(a.name) if isinstance(a, Var) else None for a in op.args)
                rule = PRIMS[op.prim]
                if len(op.outs) != 1 or rule.nondiff or all(t is None for t in ts):
                    continue
                if rule.tangent is None:
                    raise WengertError(f"{op.prim} has no forward-mode rule yet", self.primal.filename,
                                       self.primal.lineno.get(op.outs[0], 0), 0, "", "use mode='reverse'")
                kw = op.kw
                self.b.lib = kw.pop("lib", "np")
                t = rule.tangent(ts, op.out, *op.args, **kw)
                if t is not None:
                    self.settle()
                    tangents[op.outs[0]] = t
        self.tangents = {name: self.sheet.value(t) for name, t in tangents.items()}
        for name, value in self.tangents.items():
            self.sheet.values[f"dot:{name}"] = value

    # ---- edge labels ----------------------------------------------------------------------------------
    def partials(self, op):
        """One (text, value) per argument of op: its local partial derivative (None: no edge label)."""
        rule = PRIMS[op.prim]
        if rule.nondiff or len(op.outs) != 1 or op.outs[0] not in self.active:
            return [None] * len(op.args)
        kw = op.kw
        self.b.lib = kw.pop("lib", "np")
        elementwise = rule.shape is shapes.broadcast
        with self.b:
            if elementwise:  # a true local partial: the adjoint rule with cotangent 1
                terms = rule.adjoint(Const(1.0), op.out, *op.args, **kw)
            elif self.mode == "reverse":  # a Jacobian: show the vector-Jacobian product instead
                self.b.shapes[f"bar:{op.outs[0]}"] = self.b.shape(op.out)
                terms = rule.adjoint(Var(f"bar:{op.outs[0]}"), op.out, *op.args, **kw)
            else:  # and in forward mode the Jacobian-vector product, one argument at a time
                terms = []
                for i, a in enumerate(op.args):
                    if isinstance(a, Var):
                        self.b.shapes[f"dot:{a.name}"] = self.b.shape(a)
                    one = tuple(Var(f"dot:{a.name}") if j == i and isinstance(a, Var) else None
                                for j in range(len(op.args)))
                    ok = isinstance(a, Var) and (rule.diff_args is None or i in rule.diff_args)
                    terms.append(rule.tangent(one, op.out, *op.args, **kw) if ok and rule.tangent else None)
            labels = []
            for i, (arg, term) in enumerate(zip(op.args, terms)):
                if not (isinstance(arg, Var) and arg.name in self.active) or term is None or \
                        (rule.diff_args is not None and i not in rule.diff_args):
                    labels.append(None)
                    continue
                term = term.build() if isinstance(term, Lazy) else term
                while isinstance(term, Var) and term.name in self.b.defs and self.b.defs[term.name].prim in WRAPPERS:
                    term = self.b.defs[term.name].args[0]
                text = self.render(term)
                value = None
                if self.numeric:
                    self.settle()
                    value = term.value if isinstance(term, Const) else self.sheet.values.get(term.name)
                labels.append((text, value))
        self.b.lib = "np"
        return labels

    def render(self, term):
        if isinstance(term, Const):
            return show(term.value)
        return WHOLE_FLOAT.sub(r"\1", pretty(self.sheet.render(term, self.b.defs)))  # 1.0 / v-1 -> 1 / v-1

    # ---- DOT text -------------------------------------------------------------------------------------
    def graph(self):
        p, names = self.primal, self.sheet.names
        kind = "adjoints" if self.mode == "reverse" else f"tangents seeded at {self.seeded}"
        title = f"{p.name}: computational graph" + (f" with values and {kind}" if self.numeric else "")
        lines = [f"digraph {quote(p.name)} {{",
                 f"  rankdir={'LR' if self.depth() <= LEFT_TO_RIGHT_DEPTH else 'TB'};",
                 f"  label={quote(title)}; labelloc=t; fontname=Helvetica; fontsize=14;",
                 '  node [fontname=Helvetica, fontsize=11, shape=box, style="rounded,filled", fillcolor="#eef3fb"];',
                 '  edge [fontname=Helvetica, fontsize=10, color="#555555"];']
        outputs = {y.name for y in p.outputs if isinstance(y, Var)}
        for x in p.params:
            rows = [f"{names[x]} = {x}"] + self.numbers(x)
            style = ', fillcolor="#fff2cc", shape=ellipse, style=filled'
            lines.append(f"  {quote(x)} [label={quote(chr(10).join(rows))}{style}];")
        for op in p.ops:
            out = op.outs[0]
            rows = [f"{names[out]} = {self.sheet.text(op)}"] + self.numbers(out)
            if not AUTO.match(out):  # the source's own name for it
                rows[0] += f"  [{out}]"
            if out in outputs:
                y = self.sheet.y
                rows[0] += f"  ({y})" if len(p.outputs) == 1 else f"  ({y}{[v.name for v in p.outputs].index(out) + 1})"
            extra = ', peripheries=2, fillcolor="#e2f0d9"' if out in outputs else ""
            extra += ', fillcolor="#f2f2f2", fontcolor="#777777"' if out not in self.active and out not in outputs \
                else ""
            lines.append(f"  {quote(out)} [label={quote(chr(10).join(rows))}{extra}];")
        for op in p.ops:
            for arg, label in zip(op.args, self.partials(op)):
                if not isinstance(arg, Var):
                    continue
                if label is None:
                    lines.append(f"  {quote(arg.name)} -> {quote(op.outs[0])} [style=dashed];")
                    continue
                text, value = label
                shown = wrap(text if value is None or text == show(value) else f"{text} = {show(value)}")
                lines.append(f"  {quote(arg.name)} -> {quote(op.outs[0])} [label={quote(shown)}];")
        lines.append("}")
        return Graph("\n".join(lines) + "\n", p.name)

    def depth(self):
        """Length of the longest path from a leaf to an op."""
        level = {x: 0 for x in self.primal.params}
        for op in self.primal.ops:
            level[op.outs[0]] = 1 + max((level.get(a.name, 0) for a in op.args if isinstance(a, Var)), default=0)
        return max(level.values(), default=0)

    def numbers(self, name):
        if not self.numeric or name not in self.sheet.values:
            return []
        rows = [f"= {show(self.sheet.values[name])}"]
        lecture = self.sheet.names[name]
        if self.mode == "reverse" and self.adjoints:  # not on the path to the output: adjoint 0
            rows.append(f"{lecture}bar = {show(self.adjoints.get(name, 0.0))}")
        elif self.mode == "forward":  # not reached from the seeded parameter: tangent 0
            rows.append(f"{lecture}dot = {show(self.tangents.get(name, 0.0))}")
        return rows


def show(value, digits=6):
    """A short form of a value for a picture: 6 significant digits, small arrays inline, else the shape."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if np.ndim(value) == 0:
        return f"{float(value) + 0.0:.{digits}g}"  # + 0.0: no -0
    a = np.asarray(value)
    if a.size > 4:
        return f"<{'x'.join(map(str, a.shape))} array>"
    return "[" + ", ".join(f"{float(v) + 0.0:.{digits}g}" for v in a.ravel()) + "]"


def wrap(text, width=40):
    """Break a long label into lines of about width characters, at spaces."""
    lines = [""]
    for word in text.split(" "):
        if lines[-1] and len(lines[-1]) + 1 + len(word) > width:
            lines.append(word)
        else:
            lines[-1] = f"{lines[-1]} {word}" if lines[-1] else word
    return "\n".join(lines)


def quote(text):
    """A DOT string literal."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
