"""The computational graph: DOT text with the lecture's names, local partials on the edges, values at a point."""

import math
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

import wengert
from wengert.cli import main
from wengert.errors import WengertError
from wengert.graph import Graph, graph_of

from conftest import ROOT, primal_of

LECTURE = str(ROOT / "examples" / "lecture.py")
LECTURE_SOURCE = (ROOT / "examples" / "lecture.py").read_text()
EDGE = re.compile(r'^  "([^"]+)" -> "([^"]+)" \[(?:label="((?:[^"\\]|\\.)*)")?[^\]]*\];$', re.M)
NODE = re.compile(r'^  "([^"]+)" \[label="((?:[^"\\]|\\.)*)"', re.M)
HAS_DOT = shutil.which("dot") is not None


def lecture_graph(args=None, mode="reverse", wrt=None):
    return graph_of(primal_of(LECTURE_SOURCE, "f", LECTURE), args, mode=mode, wrt=wrt)


def edges(dot):
    """{(tail, head): label lines} of DOT text (an unlabelled edge has no lines)."""
    return {(a, b): (label or "").replace("\\n", " ") for a, b, label in EDGE.findall(dot)}


def nodes(dot):
    return {name: label.split("\\n") for name, label in NODE.findall(dot)}


def edge_value(label):
    """The number an edge label shows: 'cos v0 = 0.283662' -> 0.283662, '-1' -> -1."""
    return float(label.rsplit("=", 1)[-1])


def test_lecture_graph_has_the_leaves_one_node_per_op_and_the_local_partials():
    dot = lecture_graph().source
    assert dot.startswith('digraph "f" {') and dot.rstrip().endswith("}")
    labels = {name: lines[0] for name, lines in nodes(dot).items()}
    assert labels == {"x1": "v-1 = x1", "x2": "v0 = x2", "v1": "v1 = ln v-1", "v2": "v2 = v-1 * v0",
                      "v3": "v3 = v1 + v2", "v4": "v4 = sin v0", "v5": "v5 = v3 - v4  (y)"}
    assert edges(dot) == {("x1", "v1"): "1 / v-1", ("x1", "v2"): "v0", ("x2", "v2"): "v-1",
                          ("v1", "v3"): "1", ("v2", "v3"): "1", ("x2", "v4"): "cos v0",
                          ("v3", "v5"): "1", ("v4", "v5"): "-1"}


def test_values_and_adjoints_at_the_lecture_point():
    dot = lecture_graph({"x1": 2.0, "x2": 5.0}).source
    shown = nodes(dot)
    assert shown["x1"] == ["v-1 = x1", "= 2", "v-1bar = 5.5"]
    assert shown["x2"] == ["v0 = x2", "= 5", "v0bar = 1.71634"]
    assert shown["v5"][1:] == ["= 11.6521", "v5bar = 1"]
    assert shown["v4"][1:] == ["= -0.958924", "v4bar = -1"]
    assert edges(dot)[("x2", "v4")] == "cos v0 = 0.283662"
    assert edges(dot)[("x1", "v1")] == "1 / v-1 = 0.5"


def test_edge_values_are_partials_whose_path_products_sum_to_the_gradient():
    """Chain rule over the drawn graph: the sum over paths of products of edge values is the gradient."""
    point = {"x1": 2.0, "x2": 5.0}
    partial = {pair: edge_value(label) for pair, label in edges(lecture_graph(point).source).items()}

    def paths_sum(node):
        if node == "v5":
            return 1.0
        return sum(value * paths_sum(head) for (tail, head), value in partial.items() if tail == node)

    assert math.isclose(paths_sum("x1"), 5.5, rel_tol=1e-5)
    assert math.isclose(paths_sum("x2"), 1.7163378145367738, rel_tol=1e-5)


def test_forward_mode_shows_tangents_seeded_at_one_parameter():
    shown = nodes(lecture_graph({"x1": 2.0, "x2": 5.0}, mode="forward", wrt="x2").source)
    assert shown["x2"][2] == "v0dot = 1" and shown["x1"][2] == "v-1dot = 0"
    assert shown["v1"][2] == "v1dot = 0" and shown["v2"][2] == "v2dot = 2"
    assert shown["v5"][2] == "v5dot = 1.71634"
    default = nodes(lecture_graph({"x1": 2.0, "x2": 5.0}, mode="forward").source)
    assert default["x1"][2] == "v-1dot = 1" and default["v5"][2] == "v5dot = 5.5"


def test_array_program_names_its_variables_and_labels_matrix_edges_with_the_adjoint_product():
    source = ("import numpy as np\n\n\ndef layer(X, V):\n    Q = np.dot(X, V)\n"
              "    Z = 1 / (1 + np.exp(-Q))\n    return np.sum(Z)\n")
    primal = primal_of(source, "layer")
    X, V = np.ones((5, 3)), np.full((3, 4), 0.1)
    dot = graph_of(primal, {"X": X, "V": V}).source
    assert nodes(dot)["Q"][0] == "v1 = dot(v-1, v0)  [Q]"
    assert edges(dot)[("V", "Q")].startswith("dot(v-1.T, v1bar)")
    assert "<5x4 array>" in nodes(dot)["Q"][1]
    assert nodes(dot)["V"][2] == "v0bar = <3x4 array>"


def test_wrong_input_is_reported_without_a_traceback():
    primal = primal_of(LECTURE_SOURCE, "f", LECTURE)
    with pytest.raises(WengertError, match="no value given for x2"):
        graph_of(primal, {"x1": 2.0})
    with pytest.raises(WengertError, match="unknown mode"):
        graph_of(primal, mode="sideways")
    with pytest.raises(WengertError, match="not a parameter"):
        graph_of(primal, mode="forward", wrt="z")
    branching = "def g(x):\n    if x > 0:\n        y = x\n    else:\n        y = -x\n    return y\n"
    with pytest.raises(WengertError):
        graph_of(primal_of(branching, "g"))


def test_graph_of_a_live_function_is_exported_and_checks_its_arguments():
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        from lecture import f
    finally:
        sys.path.remove(str(ROOT / "examples"))
    drawn = wengert.graph(f, 2.0, 5.0)
    assert isinstance(drawn, Graph) and drawn.source == lecture_graph({"x1": 2.0, "x2": 5.0}).source
    assert str(drawn) == drawn.source
    with pytest.raises(TypeError, match="takes 2 arguments"):
        wengert.graph(f, 2.0)


def test_repr_svg_renders_with_graphviz_and_is_absent_without(monkeypatch, tmp_path):
    drawn = lecture_graph()
    if HAS_DOT:
        assert drawn._repr_svg_().lstrip().startswith(("<?xml", "<svg", "<!DOCTYPE"))
    monkeypatch.setenv("PATH", str(tmp_path))
    assert drawn._repr_svg_() is None


# ---- the command ---------------------------------------------------------------------------------------

def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_prints_dot_text(capsys):
    status, out, err = run(capsys, "graph", f"{LECTURE}:f")
    assert status == 0 and err == ""
    assert out == lecture_graph().source


def test_cli_values_forward_mode_and_dot_file(capsys, tmp_path):
    status, out, _ = run(capsys, "graph", f"{LECTURE}:f", "--at", "x1=2", "--at", "x2=5")
    assert status == 0 and "11.6521" in out and "v-1bar = 5.5" in out
    status, out, _ = run(capsys, "graph", f"{LECTURE}:f", "--at", "x1=2", "--at", "x2=5", "--mode", "forward",
                         "--wrt", "x2")
    assert status == 0 and "v5dot = 1.71634" in out
    target = tmp_path / "f.dot"
    status, out, _ = run(capsys, "graph", f"{LECTURE}:f", "-o", str(target))
    assert status == 0 and out == ""
    assert target.read_text() == lecture_graph().source


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot program is not installed")
def test_cli_writes_png_and_svg_with_graphviz(capsys, tmp_path):
    png, svg = tmp_path / "f.png", tmp_path / "f.svg"
    assert run(capsys, "graph", f"{LECTURE}:f", "--at", "x1=2", "--at", "x2=5", "-o", str(png))[0] == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert run(capsys, "graph", f"{LECTURE}:f", "-o", str(svg))[0] == 0
    assert "<svg" in svg.read_text() and "cos v0" in svg.read_text()


def test_cli_picture_without_graphviz_exits_2_with_advice(tmp_path):
    """No `dot` on PATH: a clear message and status 2, not a traceback (in a real process)."""
    env = {"PATH": str(tmp_path), "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run([sys.executable, "-m", "wengert", "graph", f"{LECTURE}:f", "-o", str(tmp_path / "f.png")],
                          capture_output=True, text=True, cwd=ROOT, env=env)
    assert done.returncode == 2
    assert done.stderr.startswith("wengert: error: ") and "install Graphviz" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "f.png").exists()


def test_cli_rejects_an_unknown_picture_format(capsys, tmp_path):
    status, _, err = run(capsys, "graph", f"{LECTURE}:f", "-o", str(tmp_path / "f.jpg"))
    assert status == 2 and ".dot, .gv, .svg or .png" in err
