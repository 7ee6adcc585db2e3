"""The `wengert` command: print derivative code, the evaluation trace, or a symbolic check.

The file is read as text and parsed; it is never imported or executed.
"""

import argparse
import ast
import sys

import numpy as np

from .api import KINDS, MODES, generate, resolve_wrt
from .errors import NeedsSizes, WengertError
from .parse import Module, parse, with_shapes
from .table import trace_table


class UsageError(Exception):
    """A malformed command-line argument (reported as `wengert: error: ...`, exit status 2)."""


def main(argv=None):
    """Run the CLI; returns the exit status (0 ok, 1 check failed, 2 bad input)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse has printed usage and the error already
        return e.code
    try:
        return args.run(args)
    except WengertError as e:
        primal = getattr(args, "primal", None)  # an error with no line: at the def of the function
        print(str(e if primal is None else e.placed(primal.filename, primal.line)), file=sys.stderr)
    except UsageError as e:
        print(f"wengert: error: {e}", file=sys.stderr)
    return 2


def build_parser():
    parser = argparse.ArgumentParser(prog="wengert", description="Source-to-source automatic differentiation "
                                     "for NumPy: prints readable, standalone derivative code.")
    sub = parser.add_subparsers(dest="command", required=True)
    target = dict(metavar="FILE:FUNC", help="the function to differentiate, e.g. examples/lecture.py:f, or a "
                  "method, e.g. model.py:Model.loss (self is read, not differentiated: give shapes of its "
                  "attributes as --shape self.W=N,M)")
    wrt = dict(action="append", default=None,
               help="parameters to differentiate by: names or indices, comma separated (or --wrt repeated)")

    g = sub.add_parser("grad", help="print a standalone module with the derivative of FUNC")
    g.add_argument("target", **target)
    g.add_argument("--mode", choices=MODES, default=None, help="reverse (default) or forward")
    g.add_argument("--wrt", **wrt)
    g.add_argument("--kind", choices=KINDS, default="grad", help="what the generated function returns")
    g.add_argument("--shape", action="append", default=[], metavar="NAME=DIMS",
                   help="specialize to a parameter's shape: X=N,D (symbols or sizes; 1 marks a broadcast "
                        "axis; X= for a scalar), once per parameter")
    g.add_argument("--checkpoint", nargs="?", type=_snapshots, const=True, default=False, metavar="N",
                   help="reverse mode over the outermost loops in bounded memory: about 2 sqrt(n) states of an "
                        "n-pass loop (each pass run twice); with N, at most N states (binomial schedule)")
    g.set_defaults(run=run_grad)

    for kind, text in (("hessian", "print a standalone module computing the Hessian of FUNC w.r.t. one parameter"),
                       ("jacobian", "print a standalone module computing the Jacobian of FUNC w.r.t. one parameter")):
        h = sub.add_parser(kind, help=text)
        h.add_argument("target", **target)
        h.add_argument("--wrt", required=True, help="the parameter (name or index)")
        if kind == "jacobian":
            h.add_argument("--mode", choices=MODES, default="forward", help="forward (default) or reverse")
        h.add_argument("--shape", action="append", default=[], metavar="NAME=DIMS",
                       help="shape of an array parameter, e.g. x=n (all directions at once need ranks)")
        h.set_defaults(run=run_second, kind=kind)

    t = sub.add_parser("trace", help="print the evaluation trace (primal and adjoint) of FUNC")
    t.add_argument("target", **target)
    t.add_argument("--at", action="append", default=[], metavar="NAME=VALUE",
                   help="a parameter value (a number or a nested list), once per parameter")
    t.set_defaults(run=run_trace)

    c = sub.add_parser("check", help="check the derivative of FUNC symbolically with SymPy")
    c.add_argument("target", **target)
    c.add_argument("--wrt", **wrt)
    c.add_argument("--mode", choices=MODES + ("both",), default="reverse", help="which derivative code to check")
    c.add_argument("--order", type=int, default=1, help="derivative order to check (default 1)")
    c.add_argument("--shape", action="append", default=[], metavar="NAME=DIMS",
                   help="an array parameter's shape in sizes, e.g. X=3,2 (small: one symbol per element)")
    c.add_argument("--at", action="append", default=[], metavar="NAME=VALUE",
                   help="a parameter value (a number or a nested list) at which loops and branches are decided; "
                   "parameters not differentiated stay fixed at it")
    c.add_argument("--budget", type=int, default=None, metavar="N",
                   help="symbolic size limit (scalars the function makes x components checked); past it the check "
                   "is numerical, against central differences in high precision. 0: no limit")
    c.set_defaults(run=run_check)

    d = sub.add_parser("graph", help="draw the computational graph of FUNC (DOT text, or .svg/.png with Graphviz)")
    d.add_argument("target", **target)
    d.add_argument("--mode", choices=MODES, default="reverse",
                   help="with --at: show adjoints (reverse, default) or tangents (forward) on the nodes")
    d.add_argument("--at", action="append", default=[], metavar="NAME=VALUE",
                   help="a parameter value (a number or a nested list), once per parameter")
    d.add_argument("--wrt", default=None, metavar="NAME", help="forward mode: the parameter whose tangent is 1 "
                   "(default: the first)")
    d.add_argument("-o", "--output", default=None, metavar="FILE",
                   help="write FILE.dot, FILE.svg or FILE.png (pictures need Graphviz's dot); default: print DOT")
    d.set_defaults(run=run_graph)
    return parser


def run_grad(args):
    primal = args.primal = load_sized(args)
    if args.shape:
        primal = with_shapes(primal, {**primal.shapes, **dict(parse_shape(text, primal) for text in args.shape)})
    mode = args.mode or ("forward" if args.kind == "jvp" else "reverse")
    if (args.kind, mode) in (("jvp", "reverse"), ("vjp", "forward")):
        raise UsageError(f"--kind {args.kind} is {'forward' if args.kind == 'jvp' else 'reverse'} mode; "
                         "drop --mode")
    checkpoint = "" if args.checkpoint is False else ", checkpointed" if args.checkpoint is True else \
        f", checkpointed: {args.checkpoint} snapshots"
    header = f"# Generated by wengert from {args.target} ({args.kind}, {mode} mode{checkpoint}). Do not edit."
    sys.stdout.write(generate(primal, args.kind, parse_wrt(args.wrt), mode, header=header, checkpoint=args.checkpoint))
    return 0


def _snapshots(text):
    """--checkpoint N: a number of snapshots, at least 1."""
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of snapshots (an integer >= 1)")
    return n


def run_second(args):
    primal = args.primal = load_sized(args)
    if args.shape:
        primal = with_shapes(primal, {**primal.shapes, **dict(parse_shape(text, primal) for text in args.shape)})
    mode = getattr(args, "mode", "reverse")
    header = f"# Generated by wengert from {args.target} ({args.kind}{', ' + mode + ' mode' if args.kind == 'jacobian' else ''}). Do not edit."
    sys.stdout.write(generate(primal, args.kind, parse_wrt(args.wrt), mode, header=header))
    return 0


def run_trace(args):
    primal = args.primal = load(args.target)
    point = dict(parse_assignment(text, primal) for text in args.at) if args.at else None
    sys.stdout.write(str(trace_table(primal, point)))
    return 0


def run_check(args):
    from .sympy_check import check_primal

    primal = args.primal = load_sized(args)
    wrt = parse_wrt(args.wrt)
    wrt = None if wrt is None and not primal.bound else resolve_wrt(primal, wrt)[0]  # not a method's self
    sizes = dict(parse_shape(text, primal) for text in args.shape)
    symbolic = [f"{name}={','.join(map(str, dims))}" for name, dims in sizes.items()
                if not all(isinstance(d, int) or d.isdigit() for d in dims)]
    if symbolic:
        raise UsageError(f"--shape {symbolic[0]}: give sizes for the check (e.g. X=3,2), not names")
    sizes = {name: tuple(int(d) for d in dims) for name, dims in sizes.items()}
    at = dict(parse_assignment(text, primal) for text in args.at) if args.at else None
    options = {} if args.budget is None else {"budget": args.budget or None}
    report = check_primal(primal, wrt=wrt, mode=args.mode, order=args.order, shapes=sizes, at=at, **options)
    print(report)
    return 0 if report.ok else 1


def run_graph(args):
    from .graph import GraphvizMissing, graph_of

    primal = args.primal = load(args.target)
    point = dict(parse_assignment(text, primal) for text in args.at) if args.at else None
    drawn = graph_of(primal, point, mode=args.mode, wrt=args.wrt)
    if args.output is None:
        sys.stdout.write(drawn.source)
        return 0
    if not args.output.lower().endswith((".dot", ".gv", ".svg", ".png")):
        raise UsageError(f"-o {args.output}: the file name must end in .dot, .gv, .svg or .png")
    try:
        drawn.save(args.output)
    except GraphvizMissing as e:
        raise UsageError(str(e)) from None
    except OSError as e:
        raise UsageError(f"cannot write {args.output}: {e.strerror or e}") from None
    return 0


# ---- arguments -------------------------------------------------------------------------------------

def load_sized(args):
    """load(args.target); a function whose recursion the shapes end (NeedsSizes) is parsed for the sizes that
    --shape gives (numbers only, e.g. --shape A=4,4)."""
    try:
        return load(args.target)
    except NeedsSizes:
        sizes = {}
        for text in args.shape or ():
            name, _, dims = (part.strip() for part in text.partition("="))
            items = [d.strip() for d in dims.split(",")] if dims else []
            if not all(d.isdigit() for d in items):
                raise
            sizes[name] = tuple(int(d) for d in items)
        if not sizes:
            raise
        return load(args.target, sizes)


def load(target, sizes=None):
    """The primal trace of FILE:FUNC or FILE:CLASS.METHOD, read from the file's text."""
    path, _, name = target.rpartition(":")
    parts = name.split(".")
    if not path or len(parts) > 2 or not all(p.isidentifier() for p in parts):
        raise UsageError(f"expected FILE:FUNC or FILE:CLASS.METHOD, e.g. examples/lecture.py:f (got {target!r})")
    module = Module.from_file(path)
    if len(parts) == 2:
        return parse(module, method_node(module, path, *parts))
    node = module.function(name)
    if node is None:
        defined = sorted({n.name for n in ast.walk(module.tree) if isinstance(n, ast.FunctionDef)})
        raise WengertError(f"no function {name!r} in {path}", path, 0, 0, "",
                           f"functions defined there: {', '.join(defined)}" if defined else "the file defines none")
    return parse(module, node, sizes)


def method_node(module, path, cls_name, name):
    """The FunctionDef of CLASS.METHOD: defined in the class body, or inherited from a base class in the file."""
    classes = module.classes.get(cls_name)
    if not classes:
        defined = sorted(module.classes)
        raise WengertError(f"no class {cls_name!r} in {path}", path, 0, 0, "",
                           f"classes defined there: {', '.join(defined)}" if defined else "the file defines none")
    node = module.method(classes[0], name)
    if node is None:
        defined = [s.name for s in classes[0].body if isinstance(s, ast.FunctionDef)]
        raise module.error(classes[0], f"class {cls_name} has no method {name!r} in {path}",
                           f"methods defined there: {', '.join(defined)}" if defined else "it defines none")
    return node


def param_name(name, primal):
    """The trace parameter a command-line NAME stands for: a parameter, or self.ATTR of a method."""
    b = primal.bound
    if b is not None and name.startswith(b.self_name + "."):
        attr = name[len(b.self_name) + 1:]
        for param, a in b.attrs:
            if a == attr or a == f"_{b.cls.lstrip('_')}{attr}":
                return param
        return None
    return name if name in primal.params and (b is None or name in primal.inputs()) else None


def parse_wrt(text):
    """'x1,x2' -> ['x1', 'x2']; '0' -> 0; a single item stays single (the result is not a tuple)."""
    if text is None:
        return None
    text = ",".join(text) if isinstance(text, list) else text  # --wrt a --wrt b is --wrt a,b
    items = [int(w) if w.lstrip("-").isdigit() else w for w in (w.strip() for w in text.split(","))]
    if "" in items:
        raise UsageError(f"--wrt {text!r}: give parameter names or indices separated by commas")
    return items[0] if len(items) == 1 else items


def parse_shape(text, primal):
    """'X=N,D' -> ('X', ('N', 'D')); 'b=1,M' -> ('b', (1, 'M')); 'x=' -> ('x', ()) a scalar."""
    name, sep, dims = (part.strip() for part in text.partition("="))
    if not sep or param_name(name, primal) is None:
        attrs = f" or an attribute it reads ({', '.join(f'{primal.bound.self_name}.{a}' for _, a in primal.bound.attrs)})" \
            if primal.bound and primal.bound.attrs else ""
        raise UsageError(f"--shape {text!r}: expected NAME=DIMS for a parameter of {primal.name}{attrs}, e.g. X=N,D")
    name = param_name(name, primal)
    items = [d.strip() for d in dims.split(",")] if dims else []
    if any(not (d.isidentifier() or d.isdigit()) for d in items):
        raise UsageError(f"--shape {text!r}: dimensions are names or sizes separated by commas")
    return name, tuple(1 if d == "1" else d for d in items)


def parse_assignment(text, primal=None):
    """'x=2' -> ('x', 2.0); 'X=[[1, 2], [3, 4]]' -> ('X', a float array); self.W=... for a method's attribute."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if primal is not None and primal.bound is not None and "." in name:
        name = param_name(name, primal) or name
    try:
        literal = ast.literal_eval(value.strip()) if sep and name.isidentifier() else None
        number = isinstance(literal, (int, float, list, tuple)) and not isinstance(literal, bool)
        if number:
            return name, float(literal) if isinstance(literal, (int, float)) else np.asarray(literal, dtype=float)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        pass
    raise UsageError(f"--at {text!r}: expected NAME=VALUE with a number or a nested list, e.g. --at x1=2")
