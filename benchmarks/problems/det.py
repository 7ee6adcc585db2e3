"""Determinant by minors (GradBench `det`, from cmpad's det_by_minor): expansion along the first row,
det(A) = sum_j (-1)^j A[0, j] det(minor(A, j)). wengert refuses recursion, so each size has its own
function, each calling the one below it in a loop over the minors (the recursion written out)."""

import numpy as np

KIND = "grad"
JAX_TRACE_UNROLLS = True  # jax.jit traces every path of the expansion: minutes to compile
WRT = ("A",)


def minor(A, j):
    return np.concatenate((A[1:, :j], A[1:, j + 1:]), axis=1)


def det2(A):
    return A[0, 0] * A[1, 1] - A[0, 1] * A[1, 0]


def det3(A):
    total = 0.0
    sign = 1.0
    for j in range(3):
        total = total + sign * A[0, j] * det2(minor(A, j))
        sign = -sign
    return total


def det4(A):
    total = 0.0
    sign = 1.0
    for j in range(4):
        total = total + sign * A[0, j] * det3(minor(A, j))
        sign = -sign
    return total


def det5(A):
    total = 0.0
    sign = 1.0
    for j in range(5):
        total = total + sign * A[0, j] * det4(minor(A, j))
        sign = -sign
    return total


def det6(A):
    total = 0.0
    sign = 1.0
    for j in range(6):
        total = total + sign * A[0, j] * det5(minor(A, j))
        sign = -sign
    return total


def det7(A):
    total = 0.0
    sign = 1.0
    for j in range(7):
        total = total + sign * A[0, j] * det6(minor(A, j))
        sign = -sign
    return total


def objective(A):
    return det6(A)


def objective_large(A):
    return det7(A)


def data(large=False, seed=0, small=False):
    """The arguments in parameter order: default sizes run in seconds, large ones in minutes, small ones
    are for the tests (central differences)."""
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(7, 7) if large else (6, 6)),)
