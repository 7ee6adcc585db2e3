"""The generated code: deterministic, standalone, lean and readable."""

import ast
import math
import os
import re
import subprocess
import sys
import textwrap

import pytest

from wengert.api import generate

from conftest import ROOT, assert_close, generated, numeric_gradient, primal_of, run_module_text

LECTURE = (ROOT / "examples" / "lecture.py").read_text()

# A few functions with many names, helpers and repeated subexpressions: where nondeterminism would show.
CORPUS = LECTURE + textwrap.dedent('''

    import numpy as np


    def square(t):
        return t * t


    def layered(a, b, c, d):
        """Many intermediates that share subexpressions."""
        p = a * b + c
        q = math.sin(p) * d + square(p)
        r, s = q * a, np.exp(-b * c)
        r += s * q
        t = np.tanh(r) + math.log(1.0 + d * d) - p / (2.0 + c * c)
        return t * q + r ** 2


    def named(x1, x2):
        z = x1 * x2
        w = math.sin(z) + z
        return w * x1
''')
CORPUS_FUNCTIONS = ["f", "y1", "y2", "loss", "layered", "named"]
VARIANTS = [("grad", None, "reverse"), ("grad", None, "forward"), ("value_and_grad", None, "reverse"),
            ("jvp", None, "forward"), ("vjp", None, "reverse"), ("grad", 0, "reverse"), ("grad", 0, "forward")]


def all_generated_texts(source=CORPUS):
    """Every variant of every corpus function, each from an independent parse."""
    return [generate(primal_of(source, name), kind, wrt, mode)
            for name in CORPUS_FUNCTIONS for kind, wrt, mode in VARIANTS]


GENERATOR_SCRIPT = """
import sys
from wengert.api import generate
from wengert.parse import Module, parse
module = Module.from_file(sys.argv[1])
for name in sys.argv[2].split(","):
    for kind, wrt, mode in {variants!r}:
        sys.stdout.write(generate(parse(module, module.function(name)), kind, wrt, mode))
        sys.stdout.write("\\n=====\\n")
"""


# ---- deterministic ---------------------------------------------------------------------------------

def test_two_compilations_are_byte_identical():
    assert all_generated_texts() == all_generated_texts()


def test_the_same_trace_generates_the_same_text():
    primal = primal_of(CORPUS, "layered")
    assert generate(primal, "grad") == generate(primal, "grad")


@pytest.mark.parametrize("hash_seeds", [("0", "1"), ("12345", "random")])
def test_output_does_not_depend_on_hash_randomization(tmp_path, hash_seeds):
    path = tmp_path / "corpus.py"
    path.write_text(CORPUS)
    script = GENERATOR_SCRIPT.format(variants=VARIANTS)
    outputs = []
    for seed in hash_seeds:
        env = dict(os.environ, PYTHONHASHSEED=seed)
        run = subprocess.run([sys.executable, "-c", script, str(path), ",".join(CORPUS_FUNCTIONS)],
                             capture_output=True, text=True, env=env, check=True)
        outputs.append(run.stdout)
    in_process = "".join(text + "\n=====\n" for text in all_generated_texts(path.read_text()))
    assert outputs[0] == outputs[1] == in_process


# ---- standalone -----------------------------------------------------------------------------------

def test_generated_modules_import_only_numpy_and_math():
    for text in all_generated_texts():
        assert "wengert" not in text
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Import):
                assert {a.name for a in node.names} <= {"math", "numpy"}, text
            assert not isinstance(node, ast.ImportFrom), text


def test_generated_module_runs_without_wengert(monkeypatch):
    text = generate(primal_of(CORPUS, "layered"), "grad")
    monkeypatch.setitem(sys.modules, "wengert", None)  # any `import wengert` would now fail
    gradient = run_module_text(text, "layered_grad")(0.3, -0.4, 0.9, 1.2)
    monkeypatch.undo()
    expected = generated(CORPUS, "layered", mode="forward")[1](0.3, -0.4, 0.9, 1.2)
    assert_close(gradient, expected, rel=1e-12)


def test_math_is_imported_only_when_used():
    text = generate(primal_of(LECTURE, "f"), "grad", wrt="x1")
    assert "math" not in text and "import" not in text
    assert "import math" in generate(primal_of(LECTURE, "f"), "grad")


# ---- lean ---------------------------------------------------------------------------------------

REDUNDANT = [
    r"\*\s*1(\.0*)?(?![\d.eE])",            # x * 1.0
    r"(?<![\w.])1(\.0*)?\s*\*",              # 1.0 * x
    r"[+-]\s*0(\.0*)?(?![\d.eE])",           # x + 0.0, x - 0
    r"(?<![\w.])0(\.0*)?\s*\+",              # 0.0 + x
    r"/\s*1(\.0*)?(?![\d.eE])",              # x / 1.0
    r"\*\s*0(\.0*)?(?![\d.eE])",             # x * 0.0
    r"--",                                   # double negation
]


@pytest.mark.parametrize("pattern", REDUNDANT)
def test_no_redundant_arithmetic(pattern):
    for text in all_generated_texts():
        body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(('"""', "#")))
        assert not re.search(pattern, body), f"{pattern!r} in\n{text}"


def test_every_assigned_name_is_used_later():
    for text in all_generated_texts():
        for fn in [n for n in ast.parse(text).body if isinstance(n, ast.FunctionDef)]:
            for i, stmt in enumerate(fn.body):
                if not isinstance(stmt, ast.Assign):
                    continue
                assigned = {n.id for t in stmt.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
                later = {n.id for s in fn.body[i + 1:] for n in ast.walk(s)
                         if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
                assert assigned <= later, f"unused {assigned - later} in\n{text}"


@pytest.mark.parametrize("kind, mode", [("grad", "reverse"), ("grad", "forward"), ("value_and_grad", "reverse"),
                                        ("vjp", "reverse"), ("value_and_grad", "forward")])
def test_no_derivative_for_a_parameter_not_in_wrt(kind, mode):
    text = generate(primal_of(LECTURE, "f"), kind, wrt="x1", mode=mode)
    assert not re.search(r"dx2|x2_dot|_dx2\b", text), text
    assert "cos" not in text, text  # cos(x2) is needed only for the x2 derivative


def test_jvp_with_one_tangent_takes_one_tangent():
    text = generate(primal_of(LECTURE, "y1"), "jvp", wrt="w1")
    assert "def y1_jvp(w0, w1, x, w1_dot):" in text
    assert "w0_dot" not in text and "x_dot" not in text


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_lecture_gradient_is_short(mode):
    text = generate(primal_of(LECTURE, "f"), "grad", mode=mode)
    fn = ast.parse(text).body[-1]
    assignments = [s for s in fn.body if isinstance(s, ast.Assign)]
    assert len(assignments) <= 4, text


def test_gradient_does_not_recompute_the_primal_value():
    """grad returns only the gradient, so the value log(x1) + x1 x2 - sin(x2) is not computed."""
    text = generate(primal_of(LECTURE, "f"), "grad")
    assert "log" not in text and "sin" not in text


# ---- readable -----------------------------------------------------------------------------------

def test_adjoints_are_named_after_their_variables():
    text = generate(primal_of(LECTURE, "f"), "grad")
    assert re.search(r"^\s+dx1 = ", text, re.M) and re.search(r"^\s+dx2 = ", text, re.M)
    assert "return dx1, dx2" in text


def test_user_names_and_their_adjoints_appear():
    text = generate(primal_of(CORPUS, "named"), "grad")
    assert re.search(r"^\s+z = x1 \* x2$", text, re.M), text
    assert re.search(r"^\s+dz = ", text, re.M), text


def test_jvp_tangents_are_named_with_dot():
    text = generate(primal_of(LECTURE, "f"), "jvp")
    assert "def f_jvp(x1, x2, x1_dot, x2_dot):" in text


def test_vjp_takes_the_cotangent_as_g():
    assert "def f_vjp(x1, x2, g):" in generate(primal_of(LECTURE, "f"), "vjp")


def test_cotangent_name_avoids_a_user_name():
    source = "import math\n\ndef h(g, x):\n    return g * math.sin(x)\n"
    text, fn = generated(source, "h", kind="vjp")
    assert "def h_vjp(g, x, g_):" in text
    value, (dg, dx) = fn(2.0, 0.5, 3.0)
    assert_close((value, dg, dx), (2.0 * math.sin(0.5), 3.0 * math.sin(0.5), 3.0 * 2.0 * math.cos(0.5)), rel=1e-12)


def test_temporaries_avoid_a_parameter_named_like_one():
    """A parameter called v1 keeps its name, so the temporaries are numbered around it (v1 = v1 * x overwrote it)."""
    source = "import math\n\ndef f(v1, x):\n    a = math.sin(v1 * x)\n    return a * math.cos(a * x) + v1\n"
    text, fn = generated(source, "f")
    assert not re.search(r"\bv1 =", text)
    f = lambda v1, x: math.sin(v1 * x) * math.cos(math.sin(v1 * x) * x) + v1
    assert_close(fn(0.3, 0.7), numeric_gradient(f, (0.3, 0.7)))


def test_a_freed_array_is_not_read_again():
    """Arrays of the forward pass that the backward pass does not need are freed (del) after their last use,
    in the version specialized to array shapes; never one read later or returned."""
    import numpy as np
    import wengert
    from conftest import load_file

    mlp = load_file(ROOT / "examples" / "mlp.py")
    rng = np.random.default_rng(0)
    texts = [wengert.source(wengert.grad(mlp.cost, wrt=("W", "V")), rng.normal(size=(5, 3)), np.eye(2)[[0, 1, 1, 0, 1]],
                            rng.normal(size=(4, 2)), rng.normal(size=(3, 4))),
             wengert.source(wengert.value_and_grad(mlp.cost, wrt="V"), rng.normal(size=(5, 3)),
                            np.eye(2)[[0, 1, 1, 0, 1]], rng.normal(size=(4, 2)), rng.normal(size=(3, 4)))]
    deleted = 0
    for text in texts:
        fn = next(n for n in ast.parse(text).body if isinstance(n, ast.FunctionDef))
        for i, stmt in enumerate(fn.body):
            if isinstance(stmt, ast.Delete):
                gone = {t.id for t in stmt.targets}
                deleted += len(gone)
                later = {n.id for s in fn.body[i + 1:] for n in ast.walk(s) if isinstance(n, ast.Name)}
                assert not gone & later, text
    assert deleted >= 2

