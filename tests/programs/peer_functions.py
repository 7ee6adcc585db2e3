"""Programs for the functions the peer port (benchmarks/peer) asked for: np.cross's axes, einsum's ellipsis
and sublist forms, eigh's UPLO='U', np.rollaxis, np.diff, np.select, and np.real/imag/conj/angle of real
values. Each is a scalar function of its arrays, checked in both modes and in vector mode."""

import numpy as np


def cross_axes(a, b):
    """a's vectors along axis 0, b's along the last, the result's along axis 0; then axis= for all three."""
    return np.sum(np.cross(a, b, axisa=0, axisc=0) ** 2) + np.sum(np.sin(np.cross(a, b.T, axis=0)))


def einsum_ellipsis(a, b):
    """Stacked products broadcast over '...' (a: 2x3, b: 2x3x4), an elementwise '...' and a tail '...'."""
    return (np.sum(np.einsum("...ij,...jk->...ik", a, b) ** 2) + np.sum(np.einsum("...,...->...", a, a) * a)
            + np.sum(np.sin(np.einsum("jk...,lj...->lk...", b, np.swapaxes(b, 0, 1)))))


def einsum_sublist(a, b):
    """The sublist form: operand, its axis numbers, ..., the output's numbers."""
    return np.sum(np.einsum(a, [0, 1], b[0], [1, 2], [0, 2]) ** 2) + np.sum(
        np.einsum(a, [Ellipsis, 1], b, [Ellipsis, 1, 2], [Ellipsis, 2]) ** 3)


def eigh_upper(m):
    """eigh reading the upper triangle: values and vectors (the last term depends on their signs, which
    LAPACK chooses differently for 'U' than for the lower triangle of the transpose)."""
    w, v = np.linalg.eigh(m, "U")
    return np.sum(w ** 2) + np.sum(v * v * m) + np.sum(np.linalg.eigh(m, UPLO="U")[1][0] * m[1])


def eigh_upper_only(m):
    w, v = np.linalg.eigh(m, "U")
    return np.sum(w ** 3) + np.sum(v[0] * v[1])


def rollaxis(x):
    return np.sum(np.rollaxis(x, 2) * np.arange(24.0).reshape(4, 2, 3)) + np.sum(np.rollaxis(x, 0, 3) ** 3)


def diff(x):
    return np.sum(np.diff(x) ** 2) + np.sum(np.sin(np.diff(x, n=2, axis=0))) + np.sum(np.diff(x, 1, -2) ** 3)


def select(x, y):
    return np.sum(np.select([x > 0.5, y < 0.0], [x * y, y ** 2], default=np.sin(x)) ** 2) + np.sum(
        np.select([x < 0.0], [x ** 3]))


def real_parts(x):
    return (np.sum(np.real(x) ** 2) + np.sum(np.conj(x) * np.real_if_close(x)) + np.sum(np.imag(x) * x)
            + np.sum(np.angle(x) * x) + np.sum(np.conjugate(x) ** 3))


def angle_symbolic(x):
    return np.angle(x) * x + np.real(x) ** 2 + np.imag(x)


def einsum_diagonal(a, b):
    """Repeated indices read diagonals: a trace, a diagonal times a vector, the peer's 'ijk,lji,lli->lki'."""
    return (np.einsum("ii->", a[0]) ** 2 + np.sum(np.einsum("ii,i->i", a[1], a[0, 0]) ** 3)
            + np.sum(np.sin(np.einsum("ijk,lji,lli->lki", b, np.swapaxes(b, 0, 2), np.swapaxes(b, 0, 2)))))


def einsum_trace(a):
    return np.einsum("ii", a) * np.einsum("ij,jj->", a, a)


def dot_stacks(a, b):
    """np.dot of 3-D operands and of a number, a vector @ a stack, a stack @ a vector: cotangents as einsums."""
    return (np.sum(np.dot(a, b) ** 2) + np.sum(np.dot(2.0, a) * a) + np.sum(np.matmul(a[0, 0], b) ** 2)
            + np.sum(np.matmul(b, b[0, 0]) ** 3) + np.sum(np.dot(a, b[0, :, 0]) * a[..., 0]))


def matmul_of(a, c):
    return a @ c


def dot_of(a, c):
    return np.dot(a, c)


def trace_of_stack(x, w):
    """np.trace of a 3-D array (the cotangent helper _trace_vjp, whose tangent in vector mode comes only
    from x when w is not differentiated)."""
    return np.sum(w * np.trace(x)) + np.sum(np.trace(x * x) ** 2)


def trace_only(x):
    return np.trace(x)
