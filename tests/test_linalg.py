"""Linear algebra and contractions (issue 15, part B): np.linalg.solve, inv, det, slogdet, cholesky, eigh,
norm with ord/axis/keepdims, multi_dot, matrix_power, np.einsum, tensordot, inner, vdot, cross.

Each: reverse and forward mode against central differences, Hessians (vector mode) against central
differences of the gradient, stacked matrices where NumPy takes them, the SymPy check on small sizes, and
bad input located at the call.
"""

import numpy as np
import pytest

import wengert
from wengert import WengertError

PROGRAM = '''import numpy as np


def solve_vec(A, b):
    return np.sum(np.sin(np.linalg.solve(A, b)))


def solve_mat(A, B):
    return np.sum(np.linalg.solve(A, B) ** 2)


def inv(A):
    return np.sum(np.linalg.inv(A) ** 2)


def det(A):
    return np.sum(np.linalg.det(A) ** 2)


def slogdet(A):
    sign, logdet = np.linalg.slogdet(A)
    return np.sum(logdet * sign)


def cholesky(A):
    L = np.linalg.cholesky(A)
    return np.sum(np.sin(L)) + np.sum(L[..., 0] * L[..., -1, :])


def eigh(A):
    w, V = np.linalg.eigh(A)
    return np.sum(w ** 2 * np.cos(w)) + np.sum(V ** 2 * np.sin(w)[..., None, :])


def eigvals(A):
    return np.sum(np.exp(np.linalg.eigvalsh(A)))


def einsum2(A, B):
    return np.sum(np.sin(np.einsum("ij,jk->ik", A, B))) + np.sum(np.einsum("ij,kj", A, B.T) ** 3)


def einsum_reduce(A, B):
    return np.sum(np.einsum("ij->j", A) ** 2) + np.einsum("ij,ij->", A, np.cos(B))


def einsum3(A, B):
    return np.sum(np.einsum("ij,jk,kl->il", A, B, A) ** 2)


def einsum_batch(A, B):
    return np.sum(np.einsum("bij,bjk->bik", A, B) ** 2)


def tensordot(A, B):
    return np.sum(np.tensordot(A, B, axes=1) ** 2) + np.sum(np.tensordot(A, B, axes=((0,), (1,))) ** 3) + \\
        np.tensordot(A, B, axes=2) ** 2


def products(A, B):
    return np.sum(np.inner(A, B) ** 2) + np.vdot(A, B) ** 2 + np.sum(np.linalg.multi_dot([A, B.T, A]) ** 2)


def cross(a, b):
    return np.sum(np.cross(a, b) ** 2 * a)


def power(A):
    return np.sum(np.linalg.matrix_power(A, 3)) + np.sum(np.linalg.matrix_power(A, -2) ** 2)


def vector_norms(x):
    return np.linalg.norm(x, 1) + np.linalg.norm(x, np.inf) + np.linalg.norm(x, 3) + \\
        np.linalg.norm(x, -np.inf) + np.linalg.norm(x, ord=2) + np.linalg.norm(x, 0.5)


def matrix_norms(A):
    return np.linalg.norm(A, "fro") + np.linalg.norm(A, 1) + np.linalg.norm(A, np.inf) + \\
        np.linalg.norm(A, -1) + np.linalg.norm(A, -np.inf)


def norms_1_3(x):
    return np.linalg.norm(x, 1) + np.linalg.norm(x, 3)


def norms_fro_axis(A):
    return np.linalg.norm(A, "fro") + np.sum(np.linalg.norm(A, axis=0))


def singular_values(A):
    return np.sum(np.linalg.svd(A, compute_uv=False) ** 3) + np.linalg.norm(A, "nuc") + np.linalg.norm(A, 2) + \
        np.linalg.norm(A, -2)


def singular_vectors(A):
    U, s, Vh = np.linalg.svd(A, full_matrices=False)
    return np.sum(s * s) + np.sum(U)


def pinv(A):
    return np.sum(np.sin(np.linalg.pinv(A))) + np.sum(np.linalg.pinv(A) @ A ** 2)


def axis_norms(A):
    return np.sum(np.linalg.norm(A, axis=1) ** 3) + np.sum(np.linalg.norm(A, 1, axis=0, keepdims=True) * A) + \\
        np.sum(np.linalg.norm(A, np.inf, axis=-1)) + np.linalg.norm(A, keepdims=True)[0, 0]
'''


@pytest.fixture(scope="module")
def la(tmp_path_factory):
    import importlib.util
    path = tmp_path_factory.mktemp("linalg") / "linalg_cases.py"
    path.write_text(PROGRAM, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("wengert_linalg_cases", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def central(f, x, h=1e-6):
    """d f / d x by central differences, shaped f(x).shape + x.shape."""
    columns = []
    for i in np.ndindex(*x.shape):
        e = np.zeros_like(x)
        e[i] = h
        columns.append((np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * h))
    return np.moveaxis(np.array(columns), 0, -1).reshape(np.shape(columns[0]) + x.shape)


rng = np.random.default_rng(7)


def well(*shape):
    """Well-conditioned square matrices (diagonally dominant)."""
    return rng.normal(size=shape) + 3 * np.eye(shape[-1])


def spd(*shape):
    m = rng.normal(size=shape)
    return m @ np.swapaxes(m, -1, -2) + shape[-1] * np.eye(shape[-1])


def symmetric(*shape):
    m = rng.normal(size=shape)
    return m + np.swapaxes(m, -1, -2)


CASES = [  # (function, arguments, a label)
    ("solve_vec", lambda: (well(3, 3), rng.normal(size=3)), "vector right-hand side"),
    ("solve_vec", lambda: (well(2, 3, 3), rng.normal(size=3)), "a stack of matrices, one vector"),
    ("solve_mat", lambda: (well(3, 3), rng.normal(size=(3, 2))), "matrix right-hand side"),
    ("solve_mat", lambda: (well(2, 3, 3), rng.normal(size=(2, 3, 2))), "stacks"),
    ("inv", lambda: (well(3, 3),), ""),
    ("inv", lambda: (well(2, 3, 3),), "stack"),
    ("det", lambda: (well(3, 3),), ""),
    ("det", lambda: (well(2, 2, 2),), "stack"),
    ("slogdet", lambda: (well(3, 3) - 6 * np.eye(3),), "negative determinant"),
    ("slogdet", lambda: (well(2, 3, 3),), "stack"),
    ("cholesky", lambda: (spd(3, 3),), ""),
    ("cholesky", lambda: (spd(3, 3) + np.triu(rng.normal(size=(3, 3)), 1),), "upper triangle not read"),
    ("cholesky", lambda: (spd(2, 3, 3),), "stack"),
    ("eigh", lambda: (symmetric(3, 3),), ""),
    ("eigh", lambda: (symmetric(2, 3, 3),), "stack"),
    ("eigvals", lambda: (symmetric(3, 3) + np.triu(rng.normal(size=(3, 3)), 1),), "upper triangle not read"),
    ("einsum2", lambda: (rng.normal(size=(2, 3)), rng.normal(size=(3, 4))), ""),
    ("einsum_reduce", lambda: (rng.normal(size=(2, 3)), rng.normal(size=(2, 3))), "an index summed in one operand"),
    ("einsum3", lambda: (rng.normal(size=(3, 3)), rng.normal(size=(3, 3))), "three operands"),
    ("einsum_batch", lambda: (rng.normal(size=(2, 2, 3)), rng.normal(size=(2, 3, 2))), ""),
    ("tensordot", lambda: (rng.normal(size=(3, 3)), rng.normal(size=(3, 3))), "int and pair axes"),
    ("products", lambda: (rng.normal(size=(2, 3)), rng.normal(size=(2, 3))), "inner, vdot, multi_dot"),
    ("singular_values", lambda: (rng.normal(size=(3, 4)),), "svd, nuclear and spectral norms"),
    ("pinv", lambda: (rng.normal(size=(3, 2)),), "tall"),
    ("pinv", lambda: (rng.normal(size=(2, 2, 3)),), "wide, stacked"),
    ("cross", lambda: (rng.normal(size=(2, 3)), rng.normal(size=(3,))), "broadcast"),
    ("power", lambda: (well(3, 3) / 3,), "positive and negative powers"),
    ("vector_norms", lambda: (rng.normal(size=4),), ""),
    ("matrix_norms", lambda: (rng.normal(size=(3, 4)),), ""),
    ("axis_norms", lambda: (rng.normal(size=(3, 4)),), ""),
]
IDS = [f"{name}-{label or i}" for i, (name, _, label) in enumerate(CASES)]


@pytest.mark.parametrize("name, make, label", CASES, ids=IDS)
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_gradient_matches_central_differences(la, name, make, label, mode):
    f, args = getattr(la, name), make()
    for i, x in enumerate(args):
        expected = central(lambda v: f(*args[:i], v, *args[i + 1:]), x)
        got = wengert.grad(f, wrt=i, mode=mode)(*args)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6 * max(1.0, np.max(np.abs(expected))))


@pytest.mark.parametrize("name, make, label", [c for c in CASES if c[0] != "singular_values"],
                         ids=[i for c, i in zip(CASES, IDS) if c[0] != "singular_values"])
def test_hessian_matches_central_differences_of_the_gradient(la, name, make, label):
    f, args = getattr(la, name), make()
    for i, x in enumerate(args):
        grad = wengert.grad(f, wrt=i)
        expected = central(lambda v: grad(*args[:i], v, *args[i + 1:]), x, h=1e-5)
        got = wengert.hessian(f, wrt=i)(*args)
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5 * max(1.0, np.max(np.abs(expected))))
        v = rng.normal(size=x.shape)
        hv = wengert.hvp(f, wrt=i)(*args, v)
        np.testing.assert_allclose(hv, np.tensordot(got, v, axes=x.ndim), rtol=1e-7,
                                   atol=1e-9 * max(1.0, np.max(np.abs(hv))))


def test_jvp_vjp_and_jacobian_of_solve(la, tmp_path):
    A, b = well(3, 3), rng.normal(size=3)
    f = la.solve_vec
    t = rng.normal(size=(3, 3))
    _, dot = wengert.jvp(f, wrt=0)(A, b, t)
    assert dot == pytest.approx(np.sum(central(lambda v: f(v, b), A) * t), rel=1e-6)
    _, pulled = wengert.vjp(f, wrt=1)(A, b, 2.0)
    np.testing.assert_allclose(pulled, 2.0 * central(lambda v: f(A, v), b), rtol=1e-6)


def test_adjoint_of_solve_is_a_solve_never_an_inverse(la):
    A, b = well(3, 3), rng.normal(size=3)
    for wrt in (0, 1):
        text = wengert.source(wengert.grad(la.solve_vec, wrt=wrt), A, b)
        assert "np.linalg.solve(" in text and "inv" not in text
    text = wengert.source(wengert.grad(la.einsum3), *CASES[18][1]())
    assert "optimize=True" in text  # three operands: NumPy picks the contraction order


def test_eigh_gradient_ignores_the_upper_triangle_as_numpy_does(la):
    A = symmetric(3, 3)
    g = wengert.grad(la.eigvals)(A)
    assert np.all(np.triu(g, 1) == 0.0) and np.any(np.tril(g, -1) != 0.0)


SYMPY = {  # small exact points (max/min norms are covered numerically: SymPy is slow on their ties)
    "det": (np.array([[2.0, 1.0], [0.5, 3.0]]),), "inv": (np.array([[2.0, 1.0], [0.5, 3.0]]),),
    "solve_vec": (np.array([[2.0, 1.0], [0.5, 3.0]]), np.array([0.5, -1.0])),
    "einsum2": (np.array([[0.5, 1.0], [-1.5, 2.0]]), np.array([[1.0, 0.25], [0.5, -1.0]])),
    "tensordot": (np.array([[0.5, 1.0], [-1.5, 2.0]]), np.array([[1.0, 0.25], [0.5, -1.0]])),
    "cross": (np.array([0.5, 1.0, -2.0]), np.array([1.5, -0.5, 0.25])),
    "norms_1_3": (np.array([0.5, -1.25]),), "norms_fro_axis": (np.array([[0.5, -1.25], [2.0, 0.75]]),),
    "cholesky": (np.array([[2.0, 0.5], [0.5, 3.0]]),), "power": (np.array([[2.0, 0.5], [0.25, 3.0]]),),
    "pinv": (np.array([[1.0, 0.5], [0.25, 2.0], [-1.0, 0.75]]),),
}


@pytest.mark.parametrize("name", sorted(SYMPY))
def test_sympy_check(la, name):
    report = wengert.check(getattr(la, name), at=SYMPY[name])
    assert report.ok and "past the symbolic budget" not in str(report)


def test_sympy_check_catches_a_wrong_rule(la, monkeypatch):
    from wengert.primitives import PRIMS
    monkeypatch.setattr(PRIMS["inv"], "adjoint", lambda g, y, a: (-(y @ g @ y),))  # the transposes forgotten
    with pytest.raises(wengert.CheckFailed):
        wengert.check(la.inv, mode="reverse", at=(np.array([[2.0, 1.0], [0.5, 3.0]]),))


BAD = [  # (body, the text the error points at, words of the message)
    ("return np.sum(np.einsum('ii->', A))", "'ii->'", "repeats an index"),
    ("return np.sum(np.einsum('ij,jk->ik', A))", "'ij,jk->ik'", "name 2 operands, but 1 is given"),
    ("return np.sum(np.einsum('...ij->ij', A))", "'...ij->ij'", "ellipsis"),
    ("return np.sum(np.einsum('ij->iq', A))", "'ij->iq'", "names one no operand has"),
    ("return np.sum(np.einsum(s, A))", "np.einsum(s, A)", "string literal"),
    ("return np.sum(np.tensordot(A, A, axes=((0, 1), (0,))))", "((0, 1), (0,))", "different numbers of axes"),
    ("return np.linalg.norm(A, 'fro', axis=0)", "np.linalg.norm(A, 'fro', axis=0)", "matrix norm"),
    ("return np.linalg.norm(A, 0)", "np.linalg.norm(A, 0)", "not a differentiable norm"),
    ("return np.linalg.norm(A, 3, axis=(0, 1))", "return", "is not a matrix norm"),
    ("return np.sum(np.linalg.svd(A)[1])", "np.linalg.svd(A)", "full_matrices=True"),
    ("return np.sum(np.linalg.inv(A[0]))", "return", "needs a matrix"),
    ("return np.sum(np.linalg.solve(A[0], A))", "return", "needs a matrix"),
    ("return np.linalg.det(A, A)", "np.linalg.det(A, A)", "takes 1 positional argument"),
    ("return np.sum(np.linalg.matrix_power(A, 1.5))", "1.5", "not an integer"),
    ("return np.sum(np.einsum('ijk->i', A))", "return", "has 3 indices, but operand 1 has 2"),
    ("return np.sum(np.tensordot(A, A, axes=3))", "return", "do not have"),
]


@pytest.mark.parametrize("body, at, words", BAD)
def test_bad_input_is_located(tmp_path, body, at, words):
    import importlib.util
    path = tmp_path / "bad_case.py"
    path.write_text(f"import numpy as np\n\n\ndef f(A, s='ij'):\n    {body}\n".replace(", s='ij'", "")
                    .replace("def f(A)", "def f(A, s)" if "(s," in body else "def f(A)"), encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"bad_case_{abs(hash(body))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    args = (np.eye(3),) if "(s," not in body else (np.eye(3), "ij->ij")
    with pytest.raises(WengertError) as info:
        wengert.grad(module.f, wrt=0)(*args)
    e = info.value
    assert words in e.message and e.line == 5, str(e)
    assert e.source_line[e.col:].startswith(at), str(e)


def test_singular_vectors_are_refused_where_differentiated(la):
    A = rng.normal(size=(3, 2))
    for call in (lambda: wengert.grad(la.singular_vectors)(A), lambda: wengert.hessian(la.singular_values)(A)):
        with pytest.raises(WengertError) as info:
            call()
        assert "singular vectors" in info.value.message and info.value.line > 0
    U, s, Vh = np.linalg.svd(A, full_matrices=False)
    np.testing.assert_allclose(wengert.grad(la.singular_values)(A),  # values alone: U diag(3 s^2 + 1) Vh + ...
                               central(la.singular_values, A), rtol=1e-6)


def test_degenerate_eigenvalues_give_no_finite_eigenvector_derivative(la):
    """Documented: the eigenvector rule divides by eigenvalue gaps, which are 0 for a repeated eigenvalue."""
    A = np.diag([1.0, 1.0, 2.0])
    g = wengert.grad(la.eigh)(A)
    assert not np.all(np.isfinite(g))
    g = wengert.grad(la.eigvals)(A)  # eigenvalues alone stay differentiable there
    np.testing.assert_allclose(g, np.diag(np.exp([1.0, 1.0, 2.0])), rtol=1e-12)


def test_norm_at_zero_takes_the_midpoint_subgradient(la):
    A = np.zeros((3, 4))
    g = wengert.grad(la.axis_norms)(A)
    assert np.all(np.isfinite(g))
    np.testing.assert_array_equal(wengert.grad(la.axis_norms, mode="forward")(A), g)


def test_the_check_says_it_cannot_order_eigenvalues_symbolically(la):
    with pytest.raises(WengertError) as info:
        wengert.check(la.eigvals, at=(np.array([[2.0, 0.5], [0.5, 3.0]]),))
    assert "eigenvalues of a symbolic matrix" in info.value.message and info.value.line > 0
