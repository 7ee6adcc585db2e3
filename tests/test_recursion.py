"""Recursion whose depth constants fix (issue 14): unrolled at compile time, the base case chosen by its
constant test; past MAX_RECURSION levels (a depth that depends on data) a located error says so."""

import numpy as np
import pytest

import wengert
from wengert.errors import WengertError
from wengert.parse import Module, parse
from wengert.parse.inlining import MAX_RECURSION

from test_items import every_mode, numeric_grad, numeric_hessian


def power(x, k):
    if k == 0:
        return 1.0
    return x * power(x, k - 1)


def powers(x):
    return power(x, 5) + power(np.sin(x), 2)


def product_tree(x, lo, hi):
    if hi - lo == 1:
        return x[lo] ** 2
    return product_tree(x, lo, lo + 1) * np.cos(product_tree(x, lo + 1, hi))


def nested_cos(x):
    return product_tree(x, 0, 4)


def test_scalar_recursion():
    g = wengert.grad(powers)(0.7)
    assert g == wengert.grad(powers, mode="forward")(0.7)
    assert g == pytest.approx(numeric_grad(powers, (0.7,)), rel=1e-7)
    wengert.check(powers)
    source = wengert.source(wengert.grad(powers))
    assert "power(" not in source.split("def powers_grad")[1]


def test_array_recursion_and_its_hessian():
    x = np.array([0.3, -0.5, 0.8, 1.1])
    np.testing.assert_allclose(every_mode(nested_cos, (x,)), numeric_grad(nested_cos, (x,)), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(wengert.hessian(nested_cos)(x), numeric_hessian(nested_cos, x), rtol=1e-4, atol=1e-6)


def test_data_dependent_depth_is_a_located_error():
    source = ("def halve(x, k):\n    if x > k:\n        return x\n    return halve(x * 2.0, k)\n\n\n"
              "def f(x):\n    return halve(x, 10.0)\n")
    module = Module(source, "case.py")
    with pytest.raises(WengertError) as info:
        parse(module, module.function("f"))
    e = info.value
    assert (e.line, e.col) == (4, 11) and f"deeper than {MAX_RECURSION} levels" in e.message
    assert "depends on data" in e.message and e.hint


# ---- recursion whose depth the shapes of the arguments fix: unrolled for the shapes of each call ------------

def det(A):
    """Cofactor expansion along the first row, recursing on the minors until n == 1."""
    n = A.shape[0]
    if n == 1:
        return A[0, 0]
    total = 0.0
    for j in range(n):
        cols = [k for k in range(n) if k != j]
        total = total + (-1) ** j * A[0, j] * det(A[1:, cols])
    return total


def det_by_len(A):
    if len(A) == 1:
        return A[0, 0]
    total = 0.0
    sign = 1.0
    for j in range(len(A)):
        minor = np.concatenate((A[1:, :j], A[1:, j + 1:]), axis=1)
        total = total + sign * A[0, j] * det_by_len(minor)
        sign = -sign
    return total


def det_by_lists(A):
    n = len(A)
    if n == 1:
        return A[0][0]
    total = 0.0
    for j in range(n):
        cols = list(range(j)) + list(range(j + 1, n))
        total += (-1) ** j * A[0, j] * det_by_lists(A[1:][:, cols])
    return total


def det_by_mask(A):
    n = A.shape[0]
    if n == 1:
        return A[0, 0]
    total = 0.0
    for j in range(n):
        total = total + (-1) ** j * A[0, j] * det_by_mask(A[1:, np.arange(n) != j])
    return total


def det_of_order(A, n):
    if n == 1:
        return A[0, 0]
    total = 0.0
    for j in range(n):
        cols = [k for k in range(n) if k != j]
        total = total + (-1) ** j * A[0, j] * det_of_order(A[1:, cols], n - 1)
    return total


def det_by_order(A):
    return det_of_order(A, A.shape[0])


def halves(x):
    """A recursive sum over halves of a fixed-length vector."""
    if x.shape[0] == 1:
        return x[0] ** 2
    m = x.shape[0] // 2
    return halves(x[:m]) + np.sin(halves(x[m:]))


def shrinks_by_data(x):
    n = x.shape[0]
    if np.sum(x ** 2) < 1.0:
        return np.sum(x) * n
    return shrinks_by_data(x * 0.5)


MATRICES = [np.array([[1.3]]), np.array([[0.4, -1.1], [0.7, 0.2]]),
            np.array([[0.3, -0.5, 0.8], [0.1, 1.2, -0.4], [0.7, 0.2, -1.1]]),
            np.array([[0.3, -0.5, 0.8, 0.2], [0.1, 1.2, -0.4, 0.5], [0.7, 0.2, -1.1, 0.3], [-0.6, 0.9, 0.4, 1.0]])]


@pytest.mark.parametrize("f", [det, det_by_len, det_by_lists, det_by_order])
@pytest.mark.parametrize("A", MATRICES, ids=lambda A: f"{len(A)}x{len(A)}")
def test_determinant_by_minors_in_every_mode(f, A):
    assert f(A) == pytest.approx(np.linalg.det(A))
    g = every_mode(f, (A,))
    np.testing.assert_allclose(g, numeric_grad(f, (A,)), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(g, np.linalg.det(A) * np.linalg.inv(A).T, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("f", [det, det_by_len])
def test_determinant_hessian_and_sympy(f):
    A = MATRICES[2]
    flat = lambda v: f(v.reshape(3, 3))  # noqa: E731
    H = wengert.hessian(f)(A).reshape(9, 9)
    np.testing.assert_allclose(H, numeric_hessian(flat, A.ravel()), rtol=1e-4, atol=1e-6)
    assert wengert.check(f, shapes={"A": (3, 3)})


@pytest.mark.parametrize("n", [1, 2, 5, 8])
def test_recursive_sum_over_halves(n):
    x = np.linspace(-0.9, 1.1, n)
    np.testing.assert_allclose(every_mode(halves, (x,)), numeric_grad(halves, (x,)), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(wengert.hessian(halves)(x), numeric_hessian(halves, x), rtol=1e-4, atol=1e-5)


def test_sympy_agrees_on_the_halves():
    assert wengert.check(halves, shapes={"x": (5,)})


def test_each_shape_gets_its_own_unrolled_code_with_loops_kept():
    small, large = (wengert.source(wengert.grad(det), A) for A in MATRICES[2:])
    assert small != large and "det(" not in small.split("def det_grad")[1]
    assert "for j in range(3):" in small and "for j in range(4):" in large, small
    g = wengert.grad(det)
    for A in MATRICES + MATRICES[::-1]:  # a version per shape, called in any order
        np.testing.assert_allclose(g(A), np.linalg.det(A) * np.linalg.inv(A).T, rtol=1e-9, atol=1e-12)


def test_past_the_limit_the_unrolled_recursion_is_a_located_error():
    with pytest.raises(WengertError) as info:
        wengert.grad(det)(np.eye(20))
    e = info.value
    assert "recursion of 'det'" in e.message and e.line == det.__code__.co_firstlineno + 8 and e.hint
    with pytest.raises(WengertError, match="more than 512 calls") as info:
        wengert.grad(halves)(np.ones(600))
    assert info.value.line == halves.__code__.co_firstlineno + 5


def test_a_depth_that_depends_on_data_is_a_located_error_at_the_call():
    g = wengert.grad(shrinks_by_data)  # the shapes are not known yet
    with pytest.raises(WengertError) as info:
        g(np.array([3.0, 4.0]))
    e = info.value
    assert "depends on data" in e.message and e.line == shrinks_by_data.__code__.co_firstlineno + 4
    assert e.col == e.source_line.index("shrinks_by_data(x * 0.5)")


def test_command_line_unrolls_for_the_sizes_given(tmp_path, capsys):
    import inspect
    from wengert.cli import main
    from conftest import run_module_text
    path = tmp_path / "det.py"
    path.write_text("import numpy as np\n\n\n" + inspect.getsource(det))
    assert main(["grad", f"{path}:det", "--shape", "A=3,3"]) == 0
    det_grad = run_module_text(capsys.readouterr().out, "det_grad")
    A = MATRICES[2]
    np.testing.assert_allclose(det_grad(A), np.linalg.det(A) * np.linalg.inv(A).T, rtol=1e-9)
    assert main(["grad", f"{path}:det", "--shape", "A=n,n"]) == 2
    err = capsys.readouterr().err
    assert "depend on the shapes" in err and "--shape A=4,4" in err


def test_a_recursion_that_shapes_cannot_end_says_which_test():
    with pytest.raises(WengertError) as info:
        wengert.grad(det_by_mask)(MATRICES[2])
    e = info.value
    assert "does not end at compile time" in e.message and "n == 1" in e.message and "mask" in e.message
    assert e.line == det_by_mask.__code__.co_firstlineno + 6 and "cols = [k for k in range(n) if k != j]" in e.hint
