"""The evaluation-trace table: the lecture's notation and numbers (REFERENCE.md section 1)."""

import ast
import math
import re

import numpy as np
import pytest

import wengert
from wengert import WengertError
from wengert.table import show, trace_table

from conftest import ROOT, primal_of

# Every number of REFERENCE.md section 1.
REFERENCE_NUMBERS = [11.652071455223084, 5.5, 1.7163378145367738, -0.2836621854632263, 0.6931471805599453,
                     10, -0.9589242746631385, 10.693147180559945, 2, 5, 1, -1]
LECTURE = (ROOT / "examples" / "lecture.py").read_text()


def sections(table):
    """The table's text as {heading: [(lhs, rhs, value text or None), ...]}."""
    out, rows = {}, None
    for line in str(table).splitlines():
        if line and not line.startswith(" "):
            rows = out[line] = []
        elif line:
            cells = re.split(r"\s+=\s+", line.strip())
            assert len(cells) in (2, 3), line
            rows.append((cells[0], cells[1], cells[2] if len(cells) == 3 else None))
    return out


def forward_and_reverse(table):
    found = sections(table)
    (fwd,) = [rows for heading, rows in found.items() if heading.startswith("Forward primal trace")]
    (rev,) = [rows for heading, rows in found.items() if heading.startswith("Reverse adjoint trace")]
    return fwd, rev


def number(text):
    return np.asarray(ast.literal_eval(text), dtype=float)


def lecture_table(x1=2.0, x2=5.0):
    return trace_table(primal_of(LECTURE, "f", "lecture.py"), {"x1": x1, "x2": x2})


def test_every_reference_number_appears():
    fwd, rev = forward_and_reverse(lecture_table())
    values = [float(number(v)) for _, _, v in fwd + rev]
    for expected in REFERENCE_NUMBERS:
        assert any(math.isclose(v, expected, rel_tol=1e-14) for v in values), expected


def test_forward_trace_uses_lecture_names():
    fwd, _ = forward_and_reverse(lecture_table())
    assert [lhs for lhs, _, _ in fwd] == ["v-1", "v0", "v1", "v2", "v3", "v4", "v5", "y"]
    assert fwd[:2] == [("v-1", "x1", "2.0"), ("v0", "x2", "5.0")]
    rhs = {lhs: r for lhs, r, _ in fwd}
    assert rhs["v1"] == "ln v-1" and rhs["v2"] == "v-1 * v0" and rhs["y"] == "v5"
    assert "sin v0" in rhs.values()
    assert float(fwd[-1][2]) == 11.652071455223084


def test_reverse_trace_runs_top_to_bottom_from_the_seed():
    table = lecture_table()
    heading = [h for h in sections(table) if h.startswith("Reverse")][0]
    assert "top to bottom" in heading
    _, rev = forward_and_reverse(table)
    assert rev[0] == ("v5bar", "ybar", "1.0")
    assert rev[-2:] == [("x1bar", "v-1bar", "5.5"), ("x2bar", "v0bar", "1.7163378145367738")]
    assert ("v-1bar", "v-1bar + v1bar / v-1", "5.5") in rev
    assert ("v0bar", "v0bar + v2bar * v-1", "1.7163378145367738") in rev
    assert ("v0bar", "v4bar * cos v0") in [row[:2] for row in rev]
    # every adjoint is defined on a line above the lines that read it
    defined = set()
    for lhs, rhs, _ in rev:
        used = set(re.findall(r"v-?\d+bar", rhs)) - {lhs}
        assert used <= defined, (lhs, rhs)
        defined.add(lhs)


@pytest.mark.parametrize("point", [(2.0, 5.0), (0.5, -1.25), (3.7, 0.1)])
def test_adjoint_values_equal_the_gradient(point, lecture):
    _, rev = forward_and_reverse(lecture_table(*point))
    finals = {lhs: float(v) for lhs, _, v in rev if lhs in ("x1bar", "x2bar")}
    expected = wengert.grad(lecture.f)(*point)
    assert finals["x1bar"] == pytest.approx(expected[0], rel=1e-13)
    assert finals["x2bar"] == pytest.approx(expected[1], rel=1e-13)


def test_trace_of_a_live_function_with_and_without_values(lecture):
    with_values = wengert.trace(lecture.f, 2.0, 5.0)
    assert isinstance(with_values, wengert.Table)
    assert "11.652071455223084" in str(with_values)
    bare_fwd, bare_rev = forward_and_reverse(wengert.trace(lecture.f))
    fwd, rev = forward_and_reverse(with_values)
    assert [r[:2] for r in bare_fwd] == [r[:2] for r in fwd]
    assert [r[:2] for r in bare_rev] == [r[:2] for r in rev]
    assert all(v is None for _, _, v in bare_fwd + bare_rev)


def test_output_name_does_not_clash_with_a_parameter_called_y(lecture):
    fwd, rev = forward_and_reverse(wengert.trace(lecture.loss, 2.0, 3.0, 1.0))
    assert fwd[-1] == ("y_", "v4", "12.5")
    assert rev[0] == ("v4bar", "y_bar", "1.0")
    assert rev[-1] == ("ybar", "v0bar", "-5.0")  # d/dy of 0.5 (y - w x)^2 at w=2, x=3, y=1


def test_array_adjoints_equal_the_gradient():
    source = "import numpy as np\n\ndef g(a, b):\n    return np.sum(np.tanh(a) * b)\n"
    a, b = np.array([0.5, -1.0, 2.0]), np.array([1.5, 0.25, -3.0])
    _, rev = forward_and_reverse(trace_table(primal_of(source, "g"), {"a": a, "b": b}))
    finals = {lhs: number(v) for lhs, _, v in rev if lhs in ("abar", "bbar")}
    np.testing.assert_allclose(finals["abar"], (1 - np.tanh(a) ** 2) * b, rtol=1e-7)  # arrays are shown with 8 digits
    np.testing.assert_allclose(finals["bbar"], np.tanh(a), rtol=1e-7)  # arrays are shown with 8 digits


def test_values_are_shown_compactly():
    assert show(np.float64(10.0)) == "10.0"
    assert show(np.array([[1.0, 2.0], [3.0, 4.0]])) == "[[1., 2.], [3., 4.]]"
    assert show(np.zeros((50, 3))) == "<array of shape (50, 3)>"


def test_missing_value_is_a_located_error():
    with pytest.raises(WengertError, match=r"lecture\.py:\d+:\d+: error: no value given for x2"):
        trace_table(primal_of(LECTURE, "f", "lecture.py"), {"x1": 2.0})


def test_a_point_outside_the_domain_is_a_wengert_error():
    with pytest.raises(WengertError, match="cannot evaluate ln v-1 at the given point"):
        lecture_table(-1.0, 5.0)
