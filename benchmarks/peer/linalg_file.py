"""Port of HIPS/autograd's tests/test_linalg.py (its newest version: pinv, stacked inv/solve/det/slogdet,
norm variants, eigh lower/upper and broadcast, cholesky, svd) as wengert programs; no code copied.

Excluded (not applicable): the *_complex tests and np.linalg.eig (complex eigenvalues of a real matrix);
test_norm_list_of_boxes is kept (a list of numbers). check_symmetric_matrix_grads' symmetrization is written
into the program (the lower triangle, mirrored), as the peer does before calling the function."""

import numpy as np

from .harness import Case

R = np.random.default_rng(42)


def randn(*shape):
    return R.standard_normal(shape)


def rand_psd(d):
    m = randn(d, d)
    return m @ m.T


SYMMETRIZE = "L = np.tril(x)\ns = (L + np.swapaxes(L, -1, -2)) / 2.0"
EYE = np.eye

CASES = []


def case(name, body, params, args, **kw):
    CASES.append(Case(name, body, params, args, **kw))


m = randn(8, 8)
case("inv", "np.linalg.inv(x)", "x", (m @ m + EYE(8),))
for M in range(2, 8):
    case(f"pinv 5x{M}", "np.linalg.pinv(x)", "x", (randn(5, M),))
    case(f"pinv stacked 2x5x{M}", "np.linalg.pinv(x)", "x", (randn(2, 5, M),))
for M in range(2, 8):
    case(f"pinv low rank x.T x, x 5x{M}", "np.linalg.pinv(np.swapaxes(x, -1, -2) @ x)", "x", (randn(5, M),))
    case(f"pinv low rank stacked, x 2x5x{M}", "np.linalg.pinv(np.swapaxes(x, -1, -2) @ x)", "x",
         (randn(2, 5, M),))
case("inv 3-d", "np.linalg.inv(x)", "x", (randn(4, 4, 4) + 5 * EYE(4),))
case("inv 4-d", "np.linalg.inv(x)", "x", (randn(4, 4, 4, 4) + 5 * EYE(4),))
case("solve arg1", "np.linalg.solve(a, b)", "a, b", (randn(8, 8) + 10 * EYE(8), randn(8, 7)), wrt="a")
case("solve arg1 1-d", "np.linalg.solve(a, b)", "a, b", (randn(8, 8) + 10 * EYE(8), randn(8)), wrt="a")
case("solve arg2", "np.linalg.solve(a, b)", "a, b", (randn(6, 6) + EYE(6), randn(6, 5)), wrt="b")
case("solve arg1 3-d", "np.linalg.solve(a, b[..., None])[..., 0]", "a, b",
     (randn(5, 4, 4) + 5 * EYE(4), randn(5, 4)), wrt="a")
case("solve arg1 3-d 3-d", "np.linalg.solve(a, b)", "a, b", (randn(5, 4, 4) + 5 * EYE(4), randn(5, 4, 6)),
     wrt="a")
case("det", "np.linalg.det(x)", "x", (randn(6, 6),))
case("det 3-d", "np.linalg.det(x)", "x", (randn(3, 3, 3),))
m = randn(6, 6)
case("slogdet", "np.linalg.slogdet(x)[1]", "x", (m,), pre="")
case("slogdet of -mat", "np.linalg.slogdet(x)[1]", "x", (-m,))
case("slogdet 3-d", "np.sum(np.linalg.slogdet(x)[1])", "x",
     (np.stack([rand_psd(5) + 5 * EYE(5) for _ in range(3)]),))
case("vector 2-norm", "np.linalg.norm(x)", "x", (randn(6),))
case("norm of a list of numbers", "np.linalg.norm([x, x + 2])", "x", (0.0,))
case("norm of a tuple of numbers", "np.linalg.norm((x, x + 2))", "x", (0.0,))
case("frobenius norm", "np.linalg.norm(x)", "x", (randn(6, 5),))
case("frobenius norm axis", "np.linalg.norm(x, axis=(0, 1))", "x", (randn(6, 5, 4),))
for order in range(2, 5):
    case(f"vector norm ord={order}", f"np.linalg.norm(x, ord={order})", "x", (randn(6),))
for axis in range(3):
    case(f"norm axis={axis}", f"np.linalg.norm(x, axis={axis})", "x", (randn(6, 5, 4),))
case("nuclear norm", "np.linalg.norm(x, ord='nuc')", "x", (randn(6, 5),))
case("nuclear norm axis", "np.linalg.norm(x, ord='nuc', axis=(0, 1))", "x", (randn(6, 5, 4),))
case("eigh lower", "np.linalg.eigh(x)", "x", (randn(6, 6),))
case("eigh upper", "np.linalg.eigh(x, 'U')", "x", (randn(6, 6),))
m = randn(2, 3, 6, 6) + 10 * EYE(6)
hmat = np.einsum("...ij,...kj->...ik", m, m)
case("eigh lower broadcasting", "np.linalg.eigh(x)", "x", (hmat,))
case("eigh upper broadcasting", "np.linalg.eigh(x, 'U')", "x", (hmat,))
case("cholesky", "np.linalg.cholesky(s)", "x", (rand_psd(6),), pre=SYMMETRIZE)
case("cholesky broadcast", "np.linalg.cholesky(s)", "x", (np.stack([rand_psd(6) for _ in range(3)]),),
     pre=SYMMETRIZE)
case("cholesky reparameterization trick", "np.linalg.norm(np.dot(np.linalg.cholesky(s), r))", "x, r",
     (rand_psd(6), randn(6)), wrt="x", pre=SYMMETRIZE)
for label, shape in (("wide 2-d", (3, 5)), ("wide 3-d", (4, 3, 5)), ("square 2-d", (4, 4)),
                     ("square 3-d", (3, 4, 4)), ("tall 2-d", (5, 3)), ("tall 3-d", (4, 5, 3))):
    case(f"svd {label}", "np.linalg.svd(x, full_matrices=False)", "x", (randn(*shape),))
case("svd only s 2-d", "np.linalg.svd(x, full_matrices=False, compute_uv=False)", "x", (randn(5, 3),))
case("svd only s 3-d", "np.linalg.svd(x, full_matrices=False, compute_uv=False)", "x", (randn(4, 5, 3),))
