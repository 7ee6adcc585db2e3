"""Every example in examples/ runs to completion (in a quick setting) and prints the number it is about."""

import importlib.util
import re
import shutil
import subprocess
import sys

from conftest import ROOT

HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
HAS_DOT = shutil.which("dot") is not None
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run_example(name, *options):
    """stdout of `python examples/NAME.py OPTIONS`, which must exit 0."""
    done = subprocess.run([sys.executable, str(ROOT / "examples" / f"{name}.py"), *map(str, options)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, f"examples/{name}.py failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done.stdout


def number_after(label, text):
    """The number printed right after `label` (the first occurrence)."""
    match = re.search(re.escape(label) + r"\s*(-?[0-9.]+(?:e[-+]?\d+)?)", text)
    assert match, f"{label!r} not found in:\n{text[-3000:]}"
    return float(match.group(1))


def assert_pictures(directory, *names, needs_dot=False):
    if needs_dot and not HAS_DOT or not needs_dot and not HAS_MATPLOTLIB:
        return
    for name in names:
        assert (directory / name).read_bytes()[:8] == PNG_MAGIC, name


def test_lecture_trace_reproduces_the_reference_table(tmp_path):
    out = run_example("lecture_trace", "--out", tmp_path)
    assert number_after("f(2, 5) =", out) == 11.652071455223084
    assert number_after("df/dx1 =", out) == 5.5 and number_after("df/dx2 =", out) == 1.7163378145367738
    assert "v-1bar = v-1bar + v1bar / v-1 = 5.5" in out
    assert '"x2" -> "v4" [label="cos v0 = 0.283662"];' in out
    assert (tmp_path / "lecture_graph.dot").read_text().startswith('digraph "f"')
    assert_pictures(tmp_path, "lecture_graph.png", "lecture_graph_forward.png", needs_dot=True)


def test_forward_and_reverse_agree_with_the_lecture_formulas(tmp_path):
    out = run_example("forward_vs_reverse", "--max-n", 20, "--out", tmp_path)
    for line in [l for l in out.splitlines() if "lecture:" in l]:
        generated, formula = (float(v) for v in re.findall(r"= (-?\d+\.\d+)", line))
        assert abs(generated - formula) < 1e-14, line
    assert out.count("lecture:") == 5
    assert number_after("forward and reverse gradients agree: max |difference| =", out) < 1e-12
    assert re.search(r"^def both_jvp\(w0, w1, x, w1_dot\): +def y2_vjp\(w0, w1, x, g\):$", out, re.M), \
        "tangent and adjoint code side by side"
    assert re.search(r"^\s+20 ", out, re.M), "the timing table stops at --max-n"
    assert_pictures(tmp_path, "forward_vs_reverse.png")


def test_iris_mlp_trains_and_plots(tmp_path):
    out = run_example("iris_mlp", "--plot", tmp_path / "iris.png")
    assert number_after("generated vs hand-written gradient: max |difference| =", out) < 1e-12
    assert number_after("final training accuracy:", out) >= 0.8
    assert_pictures(tmp_path, "iris.png")


def test_optimizers_reach_the_rosenbrock_minimum(tmp_path):
    out = run_example("optimizers", "--steps", 1000, "--epochs", 30, "--out", tmp_path)
    assert number_after("best final Rosenbrock loss:", out) < 1e-3
    adam = re.search(r"^\s+Adam\s+(\S+)\s+(\S+)", out, re.M)
    assert float(adam.group(1)) < 1e-3 and float(adam.group(2)) < 0.1  # loss, distance to (1, 1)
    assert len(re.findall(r"^\s+(GD|momentum|Nesterov|AdaGrad|RMSProp|Adam|Rprop)\s", out, re.M)) == 14
    assert_pictures(tmp_path, "optimizers_loss.png", "optimizers_rosenbrock.png")


def test_activation_derivatives_match_the_lecture(tmp_path):
    out = run_example("activations", "--out", tmp_path)
    assert number_after("largest difference over all five:", out) < 1e-12
    assert number_after("relu'(0) =", out) == 0.5
    assert number_after("leaky_relu'(0) =", out) == 0.55
    assert_pictures(tmp_path, "activations.png")


def test_batchnorm_gradient_matches_the_hand_derived_backprop(tmp_path):
    out = run_example("batchnorm", "--batch", 8, "--features", 3, "--out", tmp_path)
    assert number_after("max difference over all three:", out) < 1e-10
    check = re.search(r"dL/dx\[0, 0\]: (\S+) vs generated (\S+)", out)
    assert abs(float(check.group(1)) - float(check.group(2))) < 1e-6
    assert_pictures(tmp_path, "batchnorm_graph.png", needs_dot=True)


def test_expression_swell_symbolic_grows_exponentially_and_the_trace_linearly(tmp_path):
    out = run_example("expression_swell", "--max-depth", 6, "--out", tmp_path)
    rows = [tuple(float(v) for v in line.split()) for line in out.splitlines()
            if re.match(r"^\s+\d+(\s+\d+){4}\s+\d+\.\d+$", line)]
    assert [int(r[0]) for r in rows] == [1, 2, 3, 4, 5, 6]
    grad_ops = [r[2] for r in rows]
    sympy_ops = [r[3] for r in rows]
    assert len({b - a for a, b in zip(grad_ops[1:], grad_ops[2:])}) == 1  # a fixed number of ops per step
    assert all(b > 2 * a for a, b in zip(sympy_ops[2:], sympy_ops[3:]))  # more than doubling
    assert sympy_ops[-1] > 20 * grad_ops[-1]
    assert number_after("relative difference", out) < 1e-12
    assert_pictures(tmp_path, "expression_swell.png")
