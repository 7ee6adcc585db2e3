"""Shared program generators for the fuzz tests and `make fuzz`.

Two families:

* random *well-formed* programs over the whole supported subset (scalars, arrays with
  broadcasting, reductions, indexing, branches, loops, helper calls), for the derivative checks
  (``programs()`` / ``random_program(rng)``, the "general" family), and, from tests/edge_programs.py,
  the edge families "gather", "tuple", "guarded" and "kink" (``fuzz_programs()`` /
  ``fuzz_program(rng)``); each program draws a point of some kind (smooth, repeat, alias, untaken,
  zero, kink, tie, bound) and ``check_program`` / ``verdict`` say what held there;
* *mutants* of real sources (tests/programs/*.py, examples/*.py): statements deleted, swapped,
  duplicated or replaced, expressions and operators replaced, and token-level edits, for the
  parser-robustness checks (``mutants()`` / ``mutant(rng)``).

Everything is driven by a ``random.Random`` so that `make fuzz` can run thousands of cases
without Hypothesis; the Hypothesis strategies draw a seed (and a size) and call the same code.
"""

import ast
import contextlib
import functools
import io
import math
import random
import re
import signal
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from hypothesis import strategies as st

from wengert.api import generate
from wengert.errors import WengertError
from wengert.parse import Module, parse

ROOT = Path(__file__).resolve().parents[1]
CORPUS_GLOBS = ("tests/programs/*.py", "examples/*.py")


# =====================================================================================================
# Part 1: mutants of real sources, for parser robustness
# =====================================================================================================

@functools.lru_cache(maxsize=None)
def corpus():
    """(path relative to the repository, source text) of every corpus file, in a fixed order."""
    files = sorted(p for pattern in CORPUS_GLOBS for p in ROOT.glob(pattern) if p.name != "__init__.py")
    return tuple((str(p.relative_to(ROOT)), p.read_text(encoding="utf-8")) for p in files)


@functools.lru_cache(maxsize=None)
def _pieces():
    """Statements, expressions and tokens found in the corpus: the material replacements are drawn from."""
    statements, expressions, tokens = [], [], set()
    for _, text in corpus():
        tree = ast.parse(text)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                statements.extend(s for s in node.body if not isinstance(s, ast.FunctionDef))
            elif isinstance(node, ast.expr) and not isinstance(node, (ast.Name, ast.Constant)):
                if _size(node) <= 12:
                    expressions.append(node)
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type in (tokenize.NAME, tokenize.OP, tokenize.NUMBER) and len(tok.string) < 20:
                tokens.add(tok.string)
    return statements, expressions, sorted(tokens)


# Tokens outside the corpus that probe the parser's error paths.
ODD_TOKENS = ["lambda", "yield", "await", "async", "global", "nonlocal", "del", "assert", "raise", "try",
              "with", "class", "match", "case", "is", "in", "not", "and", "or", "if", "else", "for", "while",
              "break", "continue", "return", "pass", "None", "True", "False", "...", ":=", "//", "%", "<<", ">>",
              "&", "|", "^", "~", "**", "*", "@", "->", "'text'", "b'x'", "f'{x}'", "1j", "0x1f", "1e999", "-0.0",
              "10**400", "[]", "{}", "()", "[", "]", "{", "}", "(", ")", ",", ":", ";", ".", "=", "+=", "@=", "\\",
              "__import__", "print", "len", "range", "np.linalg.inv", "math.floor", "np.float32", "x.real"]

# Expressions outside the corpus that probe the parser's error paths.
ODD_EXPRESSIONS = [
    "lambda t: t", "[t for t in x]", "{t: t for t in x}", "{1, 2}", "{'a': 1}", "x[::2, ...]", "x[[0, 1]]",
    "x[x > 0]", "x[0:1:0]", "x if x else x", "(yield x)", "x.real", "x.copy()", "x.sum(axis=(0, 1))",
    "np.sum(x, axis=x)", "np.sum(x, 0, True, 4)", "np.zeros((2, x))", "np.reshape(x, -1)", "np.stack(x)",
    "np.concatenate(x)", "np.where(x)", "np.clip(x)", "np.maximum(x)", "np.dot(x)", "math.pow(x)",
    "math.log(x, 2)", "np.linalg.norm(x, 1)", "np.linalg.norm(x, axis=0)", "np.transpose(x, (1, 0, 2))",
    "x @ x @ x", "x ** -1", "x // 2", "x % 2", "x << 1", "~x", "not x", "x is None", "x in x", "x < x < x",
    "None", "'text'", "b'bytes'", "f'{x}'", "1j", "...", "(x, (x, x))", "()", "(x,)", "x[0][0][0]",
    "len(x, x)", "abs()", "range(3)", "print(x)", "np.e ** x", "math.inf * x", "-math.inf", "np.nan",
    "x.T.T", "x.shape[0] * x", "x.ndim", "x.size", "x.dtype", "x.reshape(())", "x.reshape(2, -1)",
    "np.ones(3) * x", "np.eye(2) @ x", "np.zeros_like(x) + x", "np.sum()", "np.mean(x, keepdims=x)",
    "np.max(x, axis=-5)", "np.outer(x)", "np.trace(x, 1)", "np.power(x)", "undefined_name(x)",
    "x.undefined_method()", "np.undefined(x)", "float(x)", "int(x)", "x[None, None, None]",
    "np.einsum('ii', x)", "np.einsum('ij,jk', x)", "np.einsum('i...', x)", "np.einsum(x, x)",
    "np.einsum('ij->k', x)", "np.tensordot(x, x, axes=9)", "np.tensordot(x, x, axes=x)", "np.linalg.slogdet(x)[2]",
    "np.linalg.eigh(x, 'U')", "np.linalg.matrix_power(x, x)", "np.linalg.multi_dot(x)", "np.linalg.norm(x, 'nuc')",
    "np.linalg.norm(x, 'fro', 0)", "np.linalg.norm(x, np.inf, (0, 1, 2))", "np.linalg.solve(x)", "np.cross(x, 1.0)",
    "np.einsum(x, [0, 'a'])", "np.einsum(x, [0, 0])", "np.einsum('...i,...->...', x, x)", "np.einsum('i..j', x)",
    "np.cross(x, x, axisa=x)", "np.cross(x, x, axis=5)", "np.linalg.eigh(x, 'Q')", "np.linalg.eigh(x, UPLO=x)",
    "np.linalg.svd(x, full_matrices=False)[0]", "np.diff(x, n=x)", "np.diff(x, 2, -3)", "np.select(x, x)",
    "np.select([x > 0], [x], default=x)", "np.rollaxis(x, -1)", "np.rollaxis(x, 1, 7)", "np.angle(x)",
    "np.imag(x)", "np.real(x, x)",
]

ODD_STATEMENTS = [
    "x[0] = 1.0", "x += x", "x, y = y", "a, b = 1.0", "(a, b), c = (1.0, 2.0), 3.0", "del x", "global x",
    "assert x", "raise ValueError", "pass", "print(x)", "import os", "from math import sin", "x = y = 1.0",
    "x: float = 1.0", "x: float", "for i in range(3):\n    x = x * 2.0", "while False:\n    pass",
    "for i, j in x:\n    pass", "for i in x:\n    break\nelse:\n    pass", "if x:\n    return x",
    "with x:\n    pass", "try:\n    pass\nexcept Exception:\n    pass", "def inner(t):\n    return t",
    "class C:\n    pass", "x = lambda t: t", "return", "return None", "return x, x", "break", "continue",
    "x @= x", "x //= 2", "x **= 2", "x = x if x > 0 else -x", "async def g():\n    pass",
    "match x:\n    case 1:\n        pass", "try:\n    pass\nexcept* ValueError:\n    pass", "nonlocal x",
    "x = [1, 2]", "x = {1, 2}", "x = (1.0, 2.0)[5]", "x = x.T[0]", "yield x", "x = await x",
]

MUTATIONS = ("delete", "swap", "duplicate", "replace_statement", "odd_statement", "replace_expression",
             "odd_expression", "operator", "constant", "callee", "keyword", "token_delete", "token_replace",
             "token_insert", "line_delete", "line_swap", "indent")


def mutant(rng, source=None):
    """(description, mutated source) of a random corpus file (or of `source`), one to three mutations deep."""
    path, text = rng.choice(corpus()) if source is None else ("<source>", source)
    steps = []
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        kind = rng.choice(MUTATIONS)
        try:
            text = MUTATORS[kind](rng, text)
        except (SyntaxError, ValueError, IndexError, tokenize.TokenError, IndentationError):
            continue  # an earlier step broke the text for this AST/token-level step: skip it
        steps.append(kind)
    return f"{path}: {' + '.join(steps) or 'unchanged'}", text


def _bodies(tree):
    """Every statement list inside a function body (including nested blocks), with at least one statement."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) or _inside_function(node):
            for name in ("body", "orelse", "finalbody"):
                block = getattr(node, name, None)
                if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                    out.append(block)
    return out


def _inside_function(node):
    return isinstance(node, (ast.If, ast.For, ast.While, ast.With, ast.Try)) and getattr(node, "_in_function", False)


def _mark_function_blocks(tree):
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef):
            for node in ast.walk(fn):
                node._in_function = True
    return tree


def _tree(text):
    return _mark_function_blocks(ast.parse(text))


def _statement_edit(edit):
    def mutate(rng, text):
        tree = _tree(text)
        bodies = _bodies(tree)
        if not bodies:
            return text
        edit(rng, rng.choice(bodies))
        return ast.unparse(ast.fix_missing_locations(tree))
    return mutate


def _delete(rng, body):
    if len(body) > 1:
        del body[rng.randrange(len(body))]


def _swap(rng, body):
    if len(body) > 1:
        i, j = rng.sample(range(len(body)), 2)
        body[i], body[j] = body[j], body[i]


def _duplicate(rng, body):
    i = rng.randrange(len(body))
    body.insert(rng.randrange(len(body) + 1), body[i])


def _replace_statement(rng, body):
    statements, _, _ = _pieces()
    body[rng.randrange(len(body))] = rng.choice(statements)


def _odd_statement(rng, body):
    body.insert(rng.randrange(len(body) + 1), ast.parse(rng.choice(ODD_STATEMENTS)).body[0])


def _expression_edit(choose):
    def mutate(rng, text):
        tree = _tree(text)
        spots = [(node, name, i) for node in ast.walk(tree) if getattr(node, "_in_function", False)
                 for name, value in ast.iter_fields(node)
                 for i, item in ([(None, value)] if not isinstance(value, list) else enumerate(value))
                 if isinstance(item, ast.expr) and not isinstance(node, ast.arguments)
                 and not (isinstance(item, ast.Name) and isinstance(item.ctx, ast.Store))]
        if not spots:
            return text
        node, name, i = rng.choice(spots)
        old = getattr(node, name) if i is None else getattr(node, name)[i]
        new = choose(rng, old)
        if i is None:
            setattr(node, name, new)
        else:
            getattr(node, name)[i] = new
        return ast.unparse(ast.fix_missing_locations(tree))
    return mutate


def _a_corpus_expression(rng, old):
    return _pieces()[1][rng.randrange(len(_pieces()[1]))]


def _an_odd_expression(rng, old):
    return ast.parse(rng.choice(ODD_EXPRESSIONS), mode="eval").body


BINARY_OPERATORS = [ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.MatMult, ast.FloorDiv, ast.Mod, ast.LShift,
                    ast.BitAnd, ast.BitOr, ast.BitXor]
COMPARE_OPERATORS = [ast.Lt, ast.Gt, ast.LtE, ast.GtE, ast.Eq, ast.NotEq, ast.Is, ast.IsNot, ast.In, ast.NotIn]


def _operator(rng, text):
    tree = _tree(text)
    nodes = [n for n in ast.walk(tree) if isinstance(n, (ast.BinOp, ast.Compare, ast.UnaryOp, ast.AugAssign,
                                                          ast.BoolOp)) and getattr(n, "_in_function", False)]
    if not nodes:
        return text
    node = rng.choice(nodes)
    if isinstance(node, (ast.BinOp, ast.AugAssign)):
        node.op = rng.choice(BINARY_OPERATORS)()
    elif isinstance(node, ast.Compare):
        node.ops = [rng.choice(COMPARE_OPERATORS)() for _ in node.ops]
    elif isinstance(node, ast.UnaryOp):
        node.op = rng.choice([ast.USub, ast.UAdd, ast.Not, ast.Invert])()
    else:
        node.op = rng.choice([ast.And, ast.Or])()
    return ast.unparse(tree)


ODD_CONSTANTS = [0, 0.0, -1, 1, 2, -2.5, 1e308, -1e308, 1e-320, float("inf"), True, False, None, "s", b"b", 3j,
                 Ellipsis, 10 ** 30, -(10 ** 30)]


def _constant(rng, text):
    tree = _tree(text)
    nodes = [n for n in ast.walk(tree) if isinstance(n, ast.Constant) and getattr(n, "_in_function", False)]
    if not nodes:
        return text
    rng.choice(nodes).value = rng.choice(ODD_CONSTANTS)
    return ast.unparse(tree)


CALLEES = ["np.sum", "np.mean", "np.max", "np.min", "np.exp", "np.log", "np.sqrt", "np.tanh", "np.dot",
           "np.matmul", "np.outer", "np.where", "np.maximum", "np.minimum", "np.clip", "np.concatenate", "np.stack",
           "np.reshape", "np.transpose", "np.linalg.norm", "np.trace", "np.zeros", "np.ones", "np.eye",
           "np.zeros_like", "np.shape", "np.size", "np.abs", "np.sign", "np.logaddexp", "np.power", "math.sin",
           "math.pow", "math.log", "math.atan", "abs", "len", "range", "np.floor", "max", "sorted", "helper",
           "np.linalg.solve", "np.linalg.inv", "np.linalg.det", "np.linalg.slogdet", "np.linalg.cholesky",
           "np.linalg.eigh", "np.einsum", "np.tensordot", "np.inner", "np.vdot", "np.cross", "np.linalg.multi_dot",
           "np.linalg.matrix_power", "np.linalg.eigvalsh", "np.diff", "np.rollaxis", "np.select", "np.angle",
           "np.real", "np.imag", "np.conj", "np.linalg.svd"]


def _callee(rng, text):
    tree = _tree(text)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n, "_in_function", False)]
    if not calls:
        return text
    call = rng.choice(calls)
    if rng.random() < 0.8:
        call.func = ast.parse(rng.choice(CALLEES), mode="eval").body
    elif call.args:
        del call.args[rng.randrange(len(call.args))]
    return ast.unparse(ast.fix_missing_locations(tree))


def _keyword(rng, text):
    tree = _tree(text)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n, "_in_function", False)]
    if not calls:
        return text
    call = rng.choice(calls)
    name = rng.choice(["axis", "keepdims", "axes", "ord", "out", "dtype", "where"])
    value = rng.choice(["0", "1", "-1", "(0, 1)", "None", "True", "x", "'x'", "[0]", "5"])
    call.keywords.append(ast.keyword(name, ast.parse(value, mode="eval").body))
    return ast.unparse(ast.fix_missing_locations(tree))


def _tokens(text):
    return [t for t in tokenize.generate_tokens(io.StringIO(text).readline)
            if t.type not in (tokenize.ENDMARKER, tokenize.NL, tokenize.COMMENT)]


def _splice(text, start, end, replacement):
    """Replace the text between two (row, col) token positions."""
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    a = offsets[start[0] - 1] + start[1]
    b = offsets[end[0] - 1] + end[1]
    return text[:a] + replacement + text[b:]


def _token_edit(kind):
    def mutate(rng, text):
        tokens = [t for t in _tokens(text) if t.type not in (tokenize.INDENT, tokenize.DEDENT, tokenize.NEWLINE)]
        if not tokens:
            return text
        tok = rng.choice(tokens)
        pool = _pieces()[2] + ODD_TOKENS
        if kind == "delete":
            return _splice(text, tok.start, tok.end, "")
        if kind == "replace":
            return _splice(text, tok.start, tok.end, rng.choice(pool))
        return _splice(text, tok.start, tok.start, rng.choice(pool) + " ")
    return mutate


def _line_delete(rng, text):
    lines = text.splitlines(keepends=True)
    if lines:
        del lines[rng.randrange(len(lines))]
    return "".join(lines)


def _line_swap(rng, text):
    lines = text.splitlines(keepends=True)
    if len(lines) > 1:
        i = rng.randrange(len(lines) - 1)
        lines[i], lines[i + 1] = lines[i + 1], lines[i]
    return "".join(lines)


def _indent(rng, text):
    lines = text.splitlines(keepends=True)
    if lines:
        i = rng.randrange(len(lines))
        lines[i] = rng.choice(["    ", "\t", " "]) + lines[i] if rng.random() < 0.6 else lines[i].lstrip(" ")
    return "".join(lines)


MUTATORS = {
    "delete": _statement_edit(_delete), "swap": _statement_edit(_swap), "duplicate": _statement_edit(_duplicate),
    "replace_statement": _statement_edit(_replace_statement), "odd_statement": _statement_edit(_odd_statement),
    "replace_expression": _expression_edit(_a_corpus_expression), "odd_expression": _expression_edit(_an_odd_expression),
    "operator": _operator, "constant": _constant, "callee": _callee, "keyword": _keyword,
    "token_delete": _token_edit("delete"), "token_replace": _token_edit("replace"),
    "token_insert": _token_edit("insert"), "line_delete": _line_delete, "line_swap": _line_swap, "indent": _indent,
}
assert set(MUTATORS) == set(MUTATIONS)


def _size(node):
    return sum(1 for _ in ast.walk(node))


# ---- what must happen to a mutant -------------------------------------------------------------------

class Hang(Exception):
    """A compile took longer than the deadline."""


@contextlib.contextmanager
def deadline(seconds):
    """Raise Hang in the main thread when the block runs longer than `seconds` (no-op elsewhere)."""
    def expire(signum, frame):
        raise Hang(f"no result after {seconds} s")

    try:
        previous = signal.signal(signal.SIGALRM, expire)
    except ValueError:  # not the main thread: no alarm available
        yield
        return
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass
class Outcome:
    """What compiling every function of one source gave: counts, and the first WengertError seen."""

    compiled: int = 0
    rejected: int = 0
    errors: list = field(default_factory=list)


DERIVATIVES = (("grad", "reverse"), ("grad", "forward"), ("jvp", "forward"))


def compile_source(text, filename="mutant.py", only=None):
    """Parse `text` and differentiate each function in it (or those named in `only`) every way in
    DERIVATIVES; generated modules are compiled by Python too. Returns an Outcome. Anything but a
    WengertError propagates: that is the failure the robustness tests look for. A WengertError must
    name the file, and a line inside it when the error is about a construct of the source."""
    outcome = Outcome()
    try:
        module = Module(text, filename)
    except WengertError as e:
        _check_location(e, text, filename, syntax=True)
        outcome.rejected += 1
        outcome.errors.append(e)
        return outcome
    for node in ast.walk(module.tree):
        if not isinstance(node, ast.FunctionDef) or (only is not None and node.name not in only):
            continue
        try:
            primal = parse(module, node)
        except WengertError as e:
            _check_location(e, text, filename)
            outcome.rejected += 1
            outcome.errors.append(e)
            continue
        for kind, mode in DERIVATIVES:
            try:
                source = generate(primal, kind, None, mode)
            except WengertError as e:
                assert e.filename == filename, str(e)
                outcome.rejected += 1
                outcome.errors.append(e)
                continue
            compile(source, "<generated>", "exec")  # the printed module must be valid Python
            outcome.compiled += 1
    return outcome


def _check_location(err, text, filename, syntax=False):
    """A parse-time WengertError points into the file: a line of it (and a column on that line)."""
    assert err.filename == filename, str(err)
    n_lines = max(1, len(text.splitlines()))
    assert 1 <= err.line <= n_lines + 1, f"line {err.line} is outside the file ({n_lines} lines):\n{err}"
    assert err.col >= 0, str(err)
    assert err.hint, f"no hint in:\n{err}"


def changed_functions(original, text):
    """Names of the functions of `text` that differ from every function of `original` (or None when
    `text` does not parse, so that everything is checked), plus the functions that call them."""
    try:
        before, after = ast.parse(original), ast.parse(text)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    known = {ast.dump(n) for n in ast.walk(before) if isinstance(n, ast.FunctionDef)}
    functions = [n for n in ast.walk(after) if isinstance(n, ast.FunctionDef)]
    changed = {n.name for n in functions if ast.dump(n) not in known}
    callers = {n.name for n in functions for c in ast.walk(n)
               if isinstance(c, ast.Call) and isinstance(c.func, ast.Name) and c.func.id in changed}
    return changed | callers


@st.composite
def mutants(draw):
    """(description, original text, mutated text) of a corpus file."""
    rng = random.Random(draw(st.integers(0, 2 ** 32 - 1)))
    path, original = rng.choice(corpus())
    description, text = mutant(rng, original)
    return f"{path}: {description.split(': ', 1)[1]}", original, text


# =====================================================================================================
# Part 2: random well-formed programs over the whole subset, for the derivative checks
# =====================================================================================================
#
# The expression menus of the other property tests are reused: the scalar templates of
# test_properties, the array candidates (broadcasting, reductions, indexing, products, joins) of
# test_array_properties and the loop templates of test_control_flow_properties. This module adds the
# statements around them: branches, for/while loops with break and continue, early returns, tuple
# unpacking, augmented assignments, and a module-level helper (itself possibly branching) that the
# program calls. Conditions are rendered twice: plainly, and as _decide(value, threshold) calls that
# log their outcome and margin, so that finite differences are only trusted away from branch switches.

from test_array_properties import candidates as array_candidates  # noqa: E402
from test_control_flow_properties import TEMPLATES as LOOP_TEMPLATES, THRESHOLDS  # noqa: E402
from test_properties import BINARY as SCALAR_BINARY, UNARY as SCALAR_UNARY  # noqa: E402
from edge_programs import FAMILIES, FD_KINDS, POINT_KINDS, Point, edge_point, random_edge_program  # noqa: E402, F401
from edge_programs import _plant  # noqa: E402

MAX_ELEMENTS = 12  # elements of any value: finite differences cost one program run per element and step
FEATURES = ("scalar", "array", "broadcast", "reduction", "indexing", "branch", "loop", "while", "break",
            "helper", "early_return", "unpack", "augmented", "math", "boolean", "iterate", "comprehension",
            "list_comprehension", "record", "nonzero", "assert", "sequence")

# Loop bodies keep the state's shape and stay bounded: s is the loop state, b another value.
STATE_UPDATES = ["np.tanh({s}) * 0.5 + {b} * 0.25", "np.sin({s}) * 0.75 + np.cos({b}) * 0.1",
                 "{s} * 0.5 + np.tanh({b})", "np.tanh({s} * {b}) + 0.5", "{s} - 0.25 * np.sin({s} + {b})",
                 "np.exp(-0.1 * {s} * {s}) * {b} + 0.5 * {s}"]
HELPER_BODIES = ["np.sin({p}) * {q} + 0.5 * {p}", "np.tanh({p} - {q}) * {p}", "{p} * {q} / (1.5 + {q} * {q})",
                 "np.log(1 + {p} * {p}) - {q}", "np.exp(-{p} * {p}) + np.sin({q})"]


@dataclass
class Program:
    """A generated program: its clean text (what wengert reads), an instrumented twin whose conditions
    log (outcome, margin) into LOG, its parameters and their shapes ("float" or a tuple)."""

    source: str
    instrumented: str
    params: list
    shapes: list
    features: set
    size: int  # statements, including the helper's: the SymPy check takes only small programs
    family: str = "general"  # the construct family (edge_programs.FAMILIES)
    wrt: list = None         # the differentiated parameters (None: all of them)
    edge: object = None      # an edge_programs.Edge: how points are drawn, the convention gradient

    @property
    def differentiated(self):
        return list(self.params) if self.wrt is None else list(self.wrt)

    def arguments(self, rng):
        """Argument values (Python floats and float64 arrays) drawn from rng."""
        return tuple(round(rng.uniform(-1.5, 1.5), 3) if s == "float" else
                     np.round(np.array([rng.uniform(-1.5, 1.5) for _ in range(math.prod(s))]).reshape(s), 3)
                     for s in self.shapes)

    def point(self, rng):
        """A Point (kind, argument values) drawn from rng. Edge programs draw their own kinds; a general
        program draws a smooth point most of the time, else one with zeros, ties or the program's own
        constants (clip bounds, thresholds) planted in its arguments."""
        if self.edge is not None:
            return edge_point(self.params, self.edge, rng)
        args = self.arguments(rng)
        kind = rng.choices(["smooth", "zero", "tie", "bound"], weights=[6, 1.5, 1.5, 1])[0]
        if kind == "smooth":  # a drawn exact zero (-0.0 after rounding) sits on the usual threshold: a kink
            return Point("zero" if any(np.any(np.asarray(a) == 0) for a in args) else "smooth", args)
        args = list(args)
        i = rng.randrange(len(args))
        if kind == "zero":
            args[i] = _plant(rng, args[i], 0.0)
        elif kind == "bound":
            constants = sorted({float(c) for c in re.findall(r"(?<![\w.])-?\d+\.\d+|(?<![\w.])\d+(?![\w.])",
                                                             self.source) if abs(float(c)) <= 1.5} | {0.0})
            args[i] = _plant(rng, args[i], lambda r: r.choice(constants))
        else:  # tie: entries of one argument equal to other entries of it, or of another argument
            partners = [j for j in range(len(args)) if j != i and np.shape(args[j]) == np.shape(args[i])]
            if partners and (rng.random() < 0.5 or np.size(args[i]) < 2):
                j = rng.choice(partners)
                if isinstance(args[i], np.ndarray):
                    moved = args[i].copy()
                    chosen = rng.sample(range(moved.size), rng.randint(1, moved.size))
                    moved.reshape(-1)[chosen] = args[j].reshape(-1)[chosen]
                    args[i] = moved
                else:
                    args[i] = args[j]
            elif np.size(args[i]) >= 2:
                flat = np.ravel(args[i])
                args[i] = _plant(rng, args[i], float(flat[rng.randrange(flat.size)]))
            else:
                return Point("smooth", tuple(self.arguments(rng)))
        return Point(kind, tuple(args))


def _sample(shape):
    """A value of that shape as the program would hold it: reductions give NumPy scalars, not 0-d arrays."""
    return 0.5 if shape == "float" else np.float64(0.5) if shape == () else np.full(shape, 0.5)


@functools.lru_cache(maxsize=200_000)
def _shape_in(expr, shapes, helper):
    """The shape expr has on values of the given shapes ("float" for a Python float), or None when
    NumPy rejects it or it is too large or empty."""
    env = {"np": np, "math": math, **{n: _sample(s) for n, s in shapes}}
    if helper:
        exec(helper, env)
    try:
        with np.errstate(all="ignore"):
            value = eval(expr, env)
    except Exception:
        return None
    if type(value) is float:
        return "float"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (np.ndarray, np.floating)):
        return None
    shape = np.shape(value)
    return shape if len(shape) <= 3 and 1 <= math.prod(shape) <= MAX_ELEMENTS else None


class _Writer:
    """Builds one program from rng: statements as (indent, text) with condition placeholders."""

    def __init__(self, rng):
        self.rng = rng
        self.given = set()  # the TAKEN_NAMES given to variables
        self.lines = []
        self.conditions = []
        self.features = set()
        self.shapes = {}
        self.helper = ""
        self.helper_lines = []
        self.counter = 0

    def shape(self, expr, names=None):
        names = self.shapes if names is None else names
        used = tuple(sorted((n, s) for n, s in names.items() if n in expr))
        return _shape_in(expr, used, self.helper)

    def condition(self, value, threshold):
        self.conditions.append((value, threshold))
        self.features.add("branch")
        return f"__COND{len(self.conditions) - 1}__"

    def fresh(self, stem="t"):
        self.counter += 1
        if stem == "t" and self.rng.random() < 0.03:  # names the generated code uses itself must not clash
            unused = [n for n in TAKEN_NAMES if n not in self.given]
            if unused:
                name = self.rng.choice(unused)
                self.given.add(name)
                return name
        return f"{stem}{self.counter}"

    # ---- expressions ------------------------------------------------------------------------------
    def expression(self, scope, first=None):
        """(text, shape) of a random expression over the names in scope (built on `first` if given)."""
        rng = self.rng
        shapes = {n: self.shapes[n] for n in scope}
        first = [first] if first else list(shapes)
        options = []
        floats = [n for n in first if shapes[n] == "float"]
        if floats and rng.random() < 0.5:
            a, b = rng.choice(floats), rng.choice(list(shapes))
            m = rng.choice(["math", "np"]) if shapes[b] == "float" else "np"
            template = rng.choice(sorted(SCALAR_UNARY.values()) + sorted(SCALAR_BINARY.values()))
            b = b if m == "np" or shapes[b] == "float" else a
            options.append(template.format(m=m, a=a, b=b, atan="math.atan" if m == "math" else "np.arctan"))
            self.features.add("math" if m == "math" else "scalar")
        if floats and rng.random() < 0.1:  # and/or return an operand, with its derivative
            a, b = rng.choice(floats), rng.choice(floats)
            cond = self.condition(a, rng.choice(THRESHOLDS))
            options.insert(0, f"({cond} and {a} * {b} or np.cos({b}))")
            self.features.add("boolean")
        if self.helper and rng.random() < 0.25:
            options.append(f"helper({rng.choice(first)}, {rng.choice(list(shapes))})")
        if not options:
            arrays = {n: (s if s == "float" else tuple(s)) for n, s in shapes.items()}
            texts = array_candidates(arrays, first)
            if texts:
                options.append(rng.choice(texts))
        for text in options:
            shape = self.shape(text, shapes)
            if shape is not None:
                self._note(text, shape)
                return text, shape
        name = rng.choice(first)
        return f"np.sin({name}) * 0.5", shapes[name]

    def _note(self, text, shape):
        if "helper(" in text:
            self.features.add("helper")
        if shape != "float":
            self.features.add("array")
        if any(r in text for r in ("np.sum", "np.mean", "np.max", "np.min", ".sum(", "np.linalg.norm", "np.trace")):
            self.features.add("reduction")
        if "[" in text:
            self.features.add("indexing")

    # ---- statements -------------------------------------------------------------------------------
    def assignment(self, indent, scope, target=None, first=None):
        text, shape = self.expression(scope, first)
        target = target or self.fresh()
        self.lines.append((indent, f"{target} = {text}"))
        self.shapes[target] = shape
        return target

    def branch(self, indent, scope):
        """if/else (or only if, when the name already exists) binding one name to same-shaped values."""
        rng = self.rng
        test = rng.choice(scope)
        cond = self.condition(f"np.sum({test})" if self.shapes[test] != "float" else test, rng.choice(THRESHOLDS))
        then_text, shape = self.expression(scope)
        alternatives = [t for t in (f"{then_text} * 0.5 - 0.25", f"np.cos({then_text})") if self.shape(t) == shape]
        existing = [n for n in scope if self.shapes[n] == shape and n.startswith("t")]
        target = rng.choice(existing) if existing and rng.random() < 0.4 else self.fresh()
        self.lines.append((indent, f"if {cond}:"))
        self.lines.append((indent + 1, f"{target} = {then_text}"))
        if target not in self.shapes or rng.random() < 0.6:
            self.lines.append((indent, "else:"))
            other = rng.choice(alternatives) if alternatives else then_text
            self.lines.append((indent + 1, f"{target} = {other}"))
        self.shapes[target] = shape
        return target

    def loop(self, indent, scope):
        """A for or while loop updating one state value (and maybe a second) with break/continue."""
        rng = self.rng
        state = rng.choice(scope)
        state_shape = self.shapes[state]
        s = self.fresh("s")
        alias = rng.random() < 0.6  # the state starts as the very same value (no += then: NumPy would write into it)
        self.lines.append((indent, f"{s} = {state}" if alias else f"{s} = {state} * 0.75"))
        self.shapes[s] = state_shape
        kind = rng.choice(["for", "for", "for_start", "while", "for_down", "enumerate"])
        arrays = [n for n in scope if self.shapes[n] not in ("float", ())]
        item = None
        if kind == "enumerate" and arrays:
            i, item = self.fresh("i"), self.fresh("v")
            seq = rng.choice(arrays)
            pair = rng.random() < 0.5
            header = f"for {i}, ({item}, _) in enumerate(zip({seq}, {seq}))" if pair else \
                f"for {i}, {item} in enumerate({seq})"
            self.lines.append((indent, f"{header}:"))
            self.features.add("iterate")
        elif kind == "for_down":
            i = self.fresh("i")
            self.lines.append((indent, f"for {i} in range({rng.choice([2, 3])}, 0, -1):"))
            self.features.add("loop")
        elif kind == "while":
            k = self.fresh("k")
            self.lines.append((indent, f"{k} = 0"))
            self.lines.append((indent, f"while {k} < {rng.choice([1, 2, 3])}:"))
            self.lines.append((indent + 1, f"{k} = {k} + 1"))
            self.features.add("while")
        else:
            i = self.fresh("i")
            bounds = f"{rng.choice([1, 2, 3])}" if kind == "for" else f"1, {rng.choice([2, 3])}"
            self.lines.append((indent, f"for {i} in range({bounds}):"))
            self.features.add("loop")
        inner = scope + [s]
        for _ in range(rng.choice([1, 1, 2])):
            others = [n for n in inner if self.shape(f"{s} + {n}") == state_shape]
            b = rng.choice(others) if others else s
            update = rng.choice(STATE_UPDATES).format(s=s, b=b)
            if self.shape(update) != state_shape:
                update = f"np.tanh({s}) * 0.5"
            op = rng.choice(["=", "="] if alias else ["=", "=", "+="])
            if op == "+=":
                self.features.add("augmented")
                update = f"0.25 * np.sin({update})"
            self.lines.append((indent + 1, f"{s} {op} {update}"))
        if item is not None:  # the item and the index (integer arithmetic) enter the state
            self.lines.append((indent + 1, f"{s} = {s} + 0.125 * np.sum(np.sin({item})) * ({i} % 2 + 1)"))
        if rng.random() < 0.3:
            cond = self.condition(f"np.sum({s})" if state_shape != "float" else s, rng.choice(THRESHOLDS))
            self.lines.append((indent + 1, f"if {cond}:"))
            self.lines.append((indent + 2, rng.choice(["break", "continue"])))
            self.lines.append((indent + 1, f"{s} = {s} * 0.9"))
            self.features.add("break")
        return s

    def comprehension(self, indent, scope):
        """A generator in sum/max/min over an array's items, or max/min of several floats."""
        rng = self.rng
        arrays = [n for n in scope if self.shapes[n] not in ("float", ())]
        floats = [n for n in scope if self.shapes[n] == "float"]
        options = []
        if arrays:
            a = rng.choice(arrays)
            k = self.fresh("k")
            options += [(f"sum(np.tanh({a}[{k}]) * 0.5 for {k} in range(len({a})) if {k} % 2 == 0)", "comprehension"),
                        (f"sum(({k} + 1) * np.sin(v) for {k}, v in enumerate({a}))", "comprehension"),
                        (f"{rng.choice(['max', 'min'])}(np.sum(np.cos(v)) for v in {a})", "comprehension"),
                        (f"np.stack([np.tanh({a}[{k}]) * ({k} + 1) for {k} in range(len({a})) if {k} < 3])",
                         "list_comprehension"),
                        (f"np.sum(np.array([np.cos(v) * 0.5 for v in {a}]), axis=0)", "list_comprehension"),
                        (f"{a}[np.nonzero(np.arange(len({a})) % 2 == 0)[0]] * 0.5", "nonzero"),
                        (f"dict(u={a}, w=0.5)['u'] * {{'r': 0.75, 's': {a}}}['r']", "record"),
                        (f"{a}[list(range(1, len({a}))) + [0]] * 0.5", "sequence")]
        if floats:
            a, b = rng.choice(floats), rng.choice(floats)
            options.append((f"{rng.choice(['max', 'min'])}({a}, {b} * 0.5, 0.25) + float({a})", "comprehension"))
        for text, feature in rng.sample(options, len(options)):
            shape = self.shape(text)
            if shape is not None:
                if arrays and rng.random() < 0.3:  # kept in every derivative's primal part; always true here
                    self.lines.append((indent, f"assert len({rng.choice(arrays)}) >= 1, 'no rows'"))
                    self.features.add("assert")
                target = self.fresh()
                self.lines.append((indent, f"{target} = {text}"))
                self.shapes[target] = shape
                self.features.add(feature)
                return target
        return self.assignment(indent, scope)

    def make_helper(self):
        """def helper(p, q): an elementwise function, sometimes with a branch inside."""
        rng = self.rng
        body = rng.choice(HELPER_BODIES).format(p="p", q="q")
        lines = ["def helper(p, q):", f"    r = {body}"]
        if rng.random() < 0.4:
            self.conditions.append(("np.sum(p)", rng.choice(THRESHOLDS)))
            lines += [f"    if __COND{len(self.conditions) - 1}__:", "        r = r * 0.5 + q"]
        lines.append("    return r + 0.25 * p")
        self.helper_lines = lines
        # The shape check runs the helper with conditions rendered plainly.
        self.helper = _render_conditions("\n".join(lines) + "\n", self.conditions, instrumented=False)


def _render_conditions(text, conditions, instrumented):
    for k, (value, threshold) in enumerate(conditions):
        text = text.replace(f"__COND{k}__", f"_decide({value}, {threshold})" if instrumented
                            else f"{value} > {threshold}")
    return text


# names of helpers the generated code calls: a variable may have one (no generated name is a substring of another)
TAKEN_NAMES = ("_mul0", "_div0", "_unbroadcast", "_scatter")


def random_program(rng, max_statements=6):
    """A random Program over the whole subset (see FEATURES), drawn from a random.Random."""
    w = _Writer(rng)
    base = tuple(rng.choice([2, 3]) for _ in range(rng.choice([1, 1, 2])))
    n_params = rng.choice([1, 2, 2, 3])
    params = [f"a{i}" for i in range(n_params)]
    for i, p in enumerate(params):
        if rng.random() < (0.35 if i == 0 else 0.3):
            w.shapes[p] = "float"
        else:
            k = rng.randint(1, len(base))
            w.shapes[p] = tuple(1 if rng.random() < 0.2 else d for d in base[len(base) - k:])
    if len({s for s in w.shapes.values() if s != "float"}) > 1:
        w.features.add("broadcast")
    if any(s == "float" for s in w.shapes.values()):
        w.features.add("scalar")
    if rng.random() < 0.3:
        w.make_helper()
    scope = list(params)
    latest = params[0]
    for _ in range(rng.randint(1, max_statements)):
        roll = rng.random()
        if roll < 0.12:
            latest = w.comprehension(1, scope)
        elif roll < 0.55:
            latest = w.assignment(1, scope, first=latest if rng.random() < 0.7 else None)
        elif roll < 0.7:
            latest = w.branch(1, scope)
        elif roll < 0.85:
            latest = w.loop(1, scope)
        elif roll < 0.93:
            a, sa = w.expression(scope, latest)
            b, sb = w.expression(scope)
            x, y = w.fresh(), w.fresh()
            w.lines.append((1, f"{x}, {y} = {a}, {b}"))
            w.shapes[x], w.shapes[y] = sa, sb
            w.features.add("unpack")
            scope += [x]
            latest = y
        else:
            # On an array, x += y writes into x's memory, which a view (a0.T, a1[1:]) shares with another
            # name; wengert computes x = x + y. Numbers are immutable: there both mean the same.
            target = latest if latest.startswith("t") and w.shapes[latest] in ("float", ()) else None
            if target:
                text, shape = w.expression(scope, latest)
                if w.shape(f"{target} + {text}") == w.shapes[target]:
                    w.lines.append((1, f"{target} {rng.choice(['+=', '-=', '*='])} {text}"))
                    w.features.add("augmented")
                    continue
            latest = w.assignment(1, scope, first=latest)
        if latest not in scope:
            scope.append(latest)
    reach = " + ".join(f"np.sum({p})" for p in params)
    result = f"np.sum(np.sin({latest})) + 0.25 * np.sum({latest}) + 0.125 * ({reach})"
    if rng.random() < 0.15:  # an early return in one branch
        cond = w.condition(f"np.sum({latest})", rng.choice(THRESHOLDS))
        w.lines.append((1, f"if {cond}:"))
        w.lines.append((2, f"return np.sum(np.cos({latest})) + 0.125 * ({reach})"))
        w.features.add("early_return")
    w.lines.append((1, f"return {result}"))
    body = "\n".join("    " * indent + text for indent, text in w.lines)
    head = "import math\n\nimport numpy as np\n\n\n"
    helper = "\n".join(w.helper_lines) + "\n\n\n" if w.helper_lines else ""
    text = f"{head}{helper}def prog({', '.join(params)}):\n{body}\n"
    spy = ("LOG = []\n\n\ndef _decide(value, threshold):\n    value = float(value)\n"
           "    LOG.append((value > threshold, abs(value - threshold)))\n    return value > threshold\n\n\n")
    return Program(_render_conditions(text, w.conditions, False),
                   _render_conditions(text.replace(head, head + spy, 1), w.conditions, True),
                   params, [w.shapes[p] for p in params], w.features,
                   len(w.lines) + len(w.helper_lines))


@st.composite
def programs(draw, max_statements=6):
    """A random Program (see random_program) and a seed for its argument values."""
    seed = draw(st.integers(0, 2 ** 32 - 1))
    rng = random.Random(seed)
    return random_program(rng, max_statements), seed


GENERAL_SHARE = 0.4  # of fuzz_program's draws; the rest is split evenly between the four edge families


def fuzz_program(rng, family=None):
    """A random Program of any family (edge_programs.FAMILIES), or of the given one: a general program
    (random_program) or an edge program (edge_programs.random_edge_program)."""
    if family is None:
        family = "general" if rng.random() < GENERAL_SHARE else rng.choice(FAMILIES[1:])
    if family == "general":
        return random_program(rng)
    e = random_edge_program(rng, family)
    return Program(e.source, e.source, e.params, e.shapes, {e.family, e.template}, e.size, e.family, e.wrt, e.edge)


@st.composite
def fuzz_programs(draw, family=None):
    """A random Program of any family (see fuzz_program) and a seed for its point."""
    seed = draw(st.integers(0, 2 ** 32 - 1))
    return fuzz_program(random.Random(seed), family), seed


# ---- the derivative checks on one program -----------------------------------------------------------

LIMIT = 1e4    # values or gradients beyond this are skipped: finite differences lose accuracy
MARGIN = 1e-3  # conditions closer than this to their threshold are skipped (a step could flip them)
_loaded = iter(range(10 ** 9))


class Skip(Exception):
    """The program's value is not finite at the drawn point: no verdict."""


def load_text(directory, text, stem="fuzz_program"):
    """Import module text from a new file in directory (wengert reads a function's source from its file)."""
    import importlib.util

    path = Path(directory) / f"{stem}_{next(_loaded)}.py"
    path.write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _path(spy, args):
    """Outcomes of every condition the instrumented twin evaluates at args, and the smallest margin."""
    spy.LOG.clear()
    with np.errstate(all="ignore"):
        spy.prog(*args)
    return tuple(o for o, _ in spy.LOG), min((m for _, m in spy.LOG), default=math.inf)


def _shifted(args, i, pos, step):
    out = list(args)
    if isinstance(args[i], np.ndarray):
        moved = args[i].copy()
        moved.reshape(-1)[pos] += step
        out[i] = moved
    else:
        out[i] = args[i] + step
    return out


def central_differences(prog, spy, args, path, h, which=None):
    """Fourth-order central differences of prog at args with relative step h, one array per parameter
    (per parameter index in `which`); Skip when a stencil point takes another path through the branches."""
    grads = []
    for i in range(len(args)) if which is None else which:
        a = args[i]
        flat = np.ravel(np.asarray(a, dtype=float))
        g = np.zeros(flat.shape)
        for pos in range(flat.size):
            step = h * max(1.0, abs(flat[pos]))
            values = []
            for k in (-2, -1, 1, 2):
                point = _shifted(args, i, pos, k * step)
                if spy is not None and _path(spy, point)[0] != path:
                    raise Skip("a finite-difference step crosses a branch")
                with np.errstate(all="ignore"):
                    values.append(float(prog(*point)))
            g[pos] = (values[0] - 8 * values[1] + 8 * values[2] - values[3]) / (12 * step)
        grads.append(g.reshape(np.shape(a)) if isinstance(a, np.ndarray) else float(g[0]))
    return grads


def _close(a, b, rtol, atol):
    return np.shape(a) == np.shape(b) and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def agree(a, b, rtol, atol):
    """Same shape, non-finite exactly where the other is, the same infinity where both have one, and
    close elsewhere. A nan or an infinity against a number disagrees, as do inf and -inf. An infinity
    against a nan agrees: where a partial is infinite (sqrt at 0, not masked), the modes sum the paths
    through it in different orders, (a + b) * inf against a * inf + b * inf, and IEEE arithmetic
    gives inf for one and inf - inf = nan for the other; no derivative exists there."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        return False
    fin_a, fin_b = np.isfinite(a), np.isfinite(b)
    if not np.array_equal(fin_a, fin_b):
        return False
    infinite = np.isinf(a) & np.isinf(b)
    if not np.array_equal(a[infinite], b[infinite]):
        return False
    return bool(np.allclose(a[fin_a], b[fin_a], rtol=rtol, atol=atol))


class Refused(Exception):
    """wengert refused the program with a located WengertError, an acceptable outcome for its family."""


def point_rng(seed):
    """The random stream of a program's point: not random.Random(seed), which drew the program, so that
    the kind of point is not tied to the choice of template (the same first number decided both)."""
    return random.Random(f"point {seed}")


def point_of(program, seed):
    """The Point check_program uses for this program and seed."""
    return program.point(point_rng(seed))


def printed_module(source, wrt, args):
    """The standalone module of the gradient: generic, or, where a function needs the ranks of its arguments
    (np.hstack, np.median, ...), specialized to the arguments' broadcast signatures (the CLI's --shape)."""
    from wengert.api import signature
    from wengert.errors import NeedsRanks
    from wengert.parse import with_shapes
    primal = parse(*_module_and_node(source))
    try:
        return generate(primal, "grad", wrt)
    except NeedsRanks:
        return generate(with_shapes(primal, dict(zip(primal.params, map(signature, args)))), "grad", wrt)


def check_program(program, seed, directory, sympy=False):
    """Run every check on one program at the point drawn from seed. Returns the set of witnesses that
    agreed with reverse mode ({"forward", "jvp", "printed module", "finite differences", "convention",
    "sympy"}). Raises Skip when the program's value is not finite at the point, Refused when wengert
    refuses the program with a located WengertError and the program's family allows that, and
    AssertionError (with the program and the point) on any disagreement.

    At every point, smooth or not: reverse = forward = jvp = the printed module, where a non-finite
    value only equals a non-finite one (inf only the same inf; inf or nan where paths meet an infinite
    partial: see agree). Where the program's family knows the convention gradient (its edge's
    reference), reverse equals it too. Central differences (and SymPy, for small general programs)
    only at points of a smooth kind (edge_programs.FD_KINDS), away from branch thresholds and where the
    value and the gradient are finite and moderate."""
    import wengert
    from wengert.sympy_check import check_primal

    rng = point_rng(seed)
    point = program.point(rng)
    args = point.args
    prog = load_text(directory, program.source).prog
    spy = load_text(directory, program.instrumented, "fuzz_spy") if program.edge is None else None
    where = (f"\n[{program.family} program, {point.kind} point]\n{program.source}\n"
             f"at {', '.join(f'{p}={a!r}' for p, a in zip(program.params, args))}")
    with np.errstate(all="ignore"):
        value = float(prog(*args))
    if not math.isfinite(value):
        raise Skip("the value is not finite")
    path, margin = _path(spy, args) if spy is not None else ((), math.inf)
    wrt = tuple(program.differentiated)
    which = [program.params.index(name) for name in wrt]
    agreed = set()

    try:
        with np.errstate(all="ignore"):
            value_r, reverse = wengert.value_and_grad(prog, wrt=wrt)(*args)
            forward = wengert.grad(prog, wrt=wrt, mode="forward")(*args)
        directions = [rng.uniform(-1, 1) if program.shapes[i] == "float" else
                      np.array([rng.uniform(-1, 1) for _ in range(math.prod(program.shapes[i]))])
                      .reshape(program.shapes[i]) for i in which]
        with np.errstate(all="ignore"):
            value_f, along = wengert.jvp(prog, wrt=wrt)(*args, *directions)
        texts = [printed_module(program.source, wrt, args) for _ in range(2)]
    except WengertError as e:
        if not program.edge or not program.edge.refusable:
            raise
        assert e.line >= 1 and e.filename.endswith(".py"), f"a refusal without a place in the file: {e}{where}"
        raise Refused(e.message) from e

    assert math.isclose(float(value_r), value, rel_tol=1e-12, abs_tol=1e-12), f"value {value_r} != {value}{where}"
    for g, i in zip(reverse, which):
        assert np.shape(g) == np.shape(args[i]), f"gradient shape {np.shape(g)} != {np.shape(args[i])}{where}"

    for name, f, r in zip(wrt, forward, reverse):
        assert agree(f, r, 1e-9, 1e-9), f"forward {name}: {f!r} != reverse {r!r}{where}"
    agreed.add("forward")

    with np.errstate(all="ignore"):
        expected = sum(float(np.sum(np.asarray(g) * d)) for g, d in zip(reverse, directions))
    assert math.isclose(float(value_f), value, rel_tol=1e-12, abs_tol=1e-12), f"jvp value {value_f}{where}"
    assert agree(along, expected, 1e-9, 1e-9), \
        f"jvp {along} != <reverse, direction> {expected} (direction {directions}){where}"
    agreed.add("jvp")

    assert texts[0] == texts[1], f"two compilations differ{where}"
    assert "wengert" not in texts[0], f"the printed module mentions wengert{where}"
    namespace = {"__name__": "printed"}
    exec(compile(texts[0], "<printed>", "exec"), namespace)
    with np.errstate(all="ignore"):
        printed = namespace["prog_grad"](*args)
    for name, p, r in zip(wrt, printed, reverse):
        assert agree(p, r, 1e-10, 1e-12), f"printed module {name}: {p!r} != {r!r}{where}"

    if "for " in program.source or "while " in program.source:  # checkpointed loops: the same gradient
        checkpoint = (True, 1, 2, 3)[seed % 4]
        try:
            with np.errstate(all="ignore"):
                checkpointed = wengert.grad(prog, wrt=wrt, checkpoint=checkpoint)(*args)
        except WengertError as e:
            raise AssertionError(f"checkpoint={checkpoint} refused what the default differentiates: {e}{where}")
        else:
            for name, c, r in zip(wrt, checkpointed, reverse):
                assert agree(c, r, 1e-10, 1e-12), f"checkpoint={checkpoint} {name}: {c!r} != {r!r}{where}"
            agreed.add("checkpointed")
    agreed.add("printed module")

    if program.edge is not None and program.edge.reference is not None:
        convention = program.edge.reference(dict(zip(program.params, args)))
        for name, r in zip(wrt, reverse):
            assert agree(r, convention[name], 1e-9, 1e-12), \
                f"reverse {name}: {r!r} != the convention's {convention[name]!r}{where}"
        agreed.add("convention")

    smooth = (point.kind in FD_KINDS and margin > MARGIN and abs(value) < LIMIT
              and all(np.all(np.isfinite(g)) and np.max(np.abs(g)) < LIMIT for g in reverse))
    if smooth:
        coarse = central_differences(prog, spy, args, path, 1e-3, which)
        fine = central_differences(prog, spy, args, path, 2e-4, which)
        if all(_close(c, f, 1e-6, 1e-7) for c, f in zip(coarse, fine)):  # else a kink is near: no FD verdict
            for name, c, r in zip(wrt, coarse, reverse):
                assert _close(r, c, 1e-5, 1e-6), f"reverse {name}: {r!r} != finite differences {c!r}{where}"
            agreed.add("finite differences")

    if sympy and smooth and program.family == "general":
        module, node = _module_and_node(program.source)
        report = check_primal(parse(module, node), wrt, mode="both", at=args, method="points")
        assert report.ok, f"{report}{where}"
        agreed.add("sympy")
    return agreed


STATUSES = ("agreed", "skipped", "refused", "failed")


def verdict(program, seed, directory, sympy=False, seconds=None):
    """(status, point kind, witnesses, detail) of check_program: status is one of STATUSES; detail says
    why a program was skipped, refused or failed (with the program and point for a failure)."""
    import traceback

    kind = point_of(program, seed).kind
    try:
        with deadline(seconds) if seconds else contextlib.nullcontext():
            agreed = check_program(program, seed, directory, sympy=sympy)
    except Skip as e:
        return "skipped", kind, set(), str(e)
    except Refused as e:
        return "refused", kind, set(), str(e)
    except BaseException as e:  # noqa: BLE001  any failure is the finding
        trace = "" if isinstance(e, AssertionError) else "\n" + traceback.format_exc(limit=-3)
        return "failed", kind, set(), f"program seed {seed} ({program.family}): {type(e).__name__}: {e}{trace}"
    return "agreed", kind, agreed, ""


def _module_and_node(source):
    module = Module(source, "prog.py")
    return module, module.function("prog")
