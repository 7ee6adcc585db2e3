"""Parser robustness: real sources (tests/programs, examples) and mutants of them either compile or
raise a WengertError that names the file and a line in it; never another exception, never a hang.
`make fuzz` runs many more mutants (fuzz/run.py)."""

import ast
import os

import pytest
from hypothesis import HealthCheck, given, settings

from wengert import WengertError
from wengert.parse import Module, parse

from strategies import (ODD_EXPRESSIONS, ODD_STATEMENTS, changed_functions, compile_source, corpus, deadline,
                        mutants)

SECONDS = 120  # per source: a hang shows up as strategies.Hang instead of a stuck test run
EXAMPLES = int(os.environ.get("WENGERT_MUTANTS", 60))
HEADER = "import math\nimport numpy as np\n\n\n"


@pytest.mark.parametrize("path, text", corpus(), ids=[path for path, _ in corpus()])
def test_corpus_file_compiles_or_is_rejected_cleanly(path, text):
    with deadline(SECONDS):
        outcome = compile_source(text, path)
    assert outcome.compiled + outcome.rejected > 0


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(case=mutants())
def test_mutant_compiles_or_is_rejected_with_a_location(case):
    description, original, text = case
    try:
        with deadline(SECONDS):
            compile_source(text, only=changed_functions(original, text))
    except (WengertError, AssertionError):
        raise
    except Exception as e:
        raise AssertionError(f"{description}: {type(e).__name__}: {e}\n{text}") from e


def function_with(statement):
    """A small function with `statement` (possibly several lines) as its first statement."""
    body = "\n".join("    " + line for line in statement.splitlines())
    return HEADER + f"def f(x, y):\n{body}\n    z = x * y\n    return np.sum(z) + np.sum(x)\n"


@pytest.mark.parametrize("statement", ODD_STATEMENTS)
def test_odd_statement_compiles_or_is_rejected_with_a_location(statement):
    with deadline(SECONDS):
        compile_source(function_with(statement))


@pytest.mark.parametrize("expression", ODD_EXPRESSIONS)
def test_odd_expression_compiles_or_is_rejected_with_a_location(expression):
    with deadline(SECONDS):
        compile_source(function_with(f"w = {expression}\nx = x + np.sum(w) * 0.0"))


# Constructs Python parses but wengert does not take: (statement, text the error must point at,
# words the message must contain). Each names the construct and gives the alternative as the hint.
REJECTED = [
    ("match x:\n    case 1:\n        x = y\n    case _:\n        x = 2 * y", "match x", ["match"]),
    ("try:\n    x = y\nexcept* ValueError:\n    x = y", "try:", ["except*"]),
    ("async def g(t):\n    return t", "async def", ["async"]),
    ("w = {x, y}", "{x, y}", ["set"]),
    ("x.w: float", "x.w: float", ["annotation"]),
    ("w = x.tolist()", "x.tolist()", ["tolist"]),
    ("w = x[[0, 1.5]]", "[0, 1.5]", ["list index", "integer"]),
    ("w = x.copy(1)", "x.copy(1)", ["copy", "not supported"]),
    ("w = np.array([x, y], dtype=float)", "np.array([x, y], dtype=float)", ["np.array", "one argument"]),
    ("w = np.array([])", "np.array([])", ["empty"]),
    ("w = np.sum(x, axis=1.5)", "np.sum(x, axis=1.5)", ["axis"]),
    ("w = np.sum(x, axis=10000000000000000000000000000000)", "np.sum(x, axis=1", ["axis", "out of range"]),  # hung
    ("w = np.clip(x)", "np.clip(x)", ["np.clip", "3"]),
    ("w = np.sum(x, 0, True, 1)", "np.sum(x, 0, True, 1)", ["np.sum", "at most"]),
    ("w = np.sum(x, 0, True)", "np.sum(x, 0, True)", ["np.sum", "at most 2", "keepdims"]),  # NumPy: dtype
    ("w = x.max(0, True)", "x.max(0, True)", [".max()", "keepdims"]),  # NumPy: out
    ("w = (x, y)[2]", "(x, y)[2]", ["tuple index 2"]),
    ("w = (x, y)[0:1]", "(x, y)[0:1]", ["tuple"]),
]


@pytest.mark.parametrize("statement, marker, words", REJECTED, ids=[r[1] for r in REJECTED])
def test_construct_is_rejected_at_its_line_and_column(statement, marker, words):
    source = function_with(statement)
    module = Module(source, "case.py")
    with pytest.raises(WengertError) as info:
        parse(module, module.function("f"))
    err = info.value
    line = next(i for i, text in enumerate(source.splitlines(), 1) if marker in text)
    assert (err.filename, err.line, err.col) == ("case.py", line, source.splitlines()[line - 1].index(marker)), str(err)
    for word in words:
        assert word in err.message, str(err)
    assert err.hint, str(err)


@pytest.mark.parametrize("source, line", [
    ("def f(x):\n    return x\0\n", 2),                    # a null byte
    ("def f(x):\n    return x  # \ud800\n", 2),            # a lone surrogate
    ("def f(x):\n    return " + "-" * 100_000 + "x\n", 2),  # deeper than Python's own parser goes
    ("def f(x):\n    return x" + "[0]" * 50_000 + "\n", 2),
])
def test_text_python_cannot_parse_is_a_wengert_error(source, line):
    with pytest.raises(WengertError) as info:
        Module(source, "case.py")
    assert info.value.line == line and info.value.hint, str(info.value)


def test_a_byte_order_mark_is_not_code(tmp_path):
    path = tmp_path / "bom.py"
    path.write_text("\ufeffdef f(x):\n    return x * x\n", encoding="utf-8")
    module = Module.from_file(str(path))
    assert parse(module, module.function("f")).params == ("x",)


def test_every_mutation_kind_changes_the_source():
    """The mutators are live: each one, applied to a corpus file, produces a different text."""
    import random

    from strategies import MUTATORS

    path, text = next((p, t) for p, t in corpus() if p.endswith("control.py"))
    for kind, mutate in MUTATORS.items():
        rng = random.Random(0)
        changed = any(mutate(rng, text) != text for _ in range(5))
        assert changed, kind
        ast.parse(text)  # the original is untouched
