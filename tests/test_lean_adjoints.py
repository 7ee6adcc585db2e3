"""Adjoints that cost no more passes than they need (issue #16: why gmm and kmeans trailed autograd).

The tie weights of max/min (hit / number of ties) are finite wherever the reduced values are: the tie count is
at least 1. The analysis used to count them as a possible inf/nan (a division), so every cotangent downstream
of a max or min, in gmm's log-sum-exp and kmeans' min, was multiplied through _mul0: an extra full pass (and a
temporary) per product over the (N, K, D) arrays. Also: sum(-g) is -sum(g) (negate the reduced array), and
g * (2 * x) is (2 * g) * x when g is the lighter operand (x ** 2's adjoint behind a reduction)."""

import numpy as np
import pytest

import wengert


def kmeans_cost(C, P):
    distances = np.sum((P[:, None, :] - C[None, :, :]) ** 2, axis=2)
    return np.sum(np.min(distances, axis=1))


def soft_assign(M, X):
    inner = M @ X.T
    a = np.max(inner, axis=0)
    return np.sum(a + np.log(np.sum(np.exp(inner - a), axis=0))) + np.sum(M ** 2)


def max_sqrt(x):
    return np.max(np.sqrt(x)) * 3.0


def central(f, args, i, h=1e-6):
    x = args[i]
    out = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[k] = h
        out[k] = (f(*args[:i], x + e, *args[i + 1:]) - f(*args[:i], x - e, *args[i + 1:])) / (2 * h)
    return out


def points(seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(3, 2)), rng.normal(size=(12, 2))


def test_kmeans_gradient_is_plain_products():
    C, P = points()
    text = wengert.source(wengert.grad(kmeans_cost, wrt="C"), C, P)
    assert "_mul0" not in text, text
    assert "-np.sum(" in text and "np.sum(-" not in text, text   # the negation after the reduction
    assert "2 * ddistances[:, :, None] * v1" in text, text        # the 2 scales the (N, K, 1) cotangent
    hvp = wengert.source(wengert.hvp(kmeans_cost, wrt="C"), C, P, C)  # forward over reverse knows it too
    assert "_mul0" not in hvp, hvp
    # the tangent of C, broadcast over the points, is summed over them as the (K, D) array it is: no (N, K, D)
    # product of a broadcast tangent
    assert "broadcast_arrays" not in hvp and "ddistances[:, :, None], axis=0" in hvp, hvp


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_kmeans_gradient_and_hessian_match_differences(mode):
    C, P = points()
    g = wengert.grad(kmeans_cost, wrt="C", mode=mode)
    np.testing.assert_allclose(g(C, P), central(kmeans_cost, (C, P), 0), rtol=1e-6, atol=1e-8)
    H = wengert.hessian(kmeans_cost, wrt="C")(C, P)
    grad = wengert.grad(kmeans_cost, wrt="C")
    numeric = np.stack([central(lambda c, p: grad(c, p)[k], (C, P), 0) for k in np.ndindex(C.shape)])
    np.testing.assert_allclose(H.reshape(C.size, C.size), numeric.reshape(C.size, C.size), atol=1e-5)
    v = np.arange(C.size, dtype=float).reshape(C.shape)
    np.testing.assert_allclose(wengert.hvp(kmeans_cost, wrt="C")(C, P, v),
                               np.tensordot(H, v, axes=2), rtol=1e-10, atol=1e-10)


def test_ties_split_in_every_mode():
    C = np.array([[1.0, 0.0], [-1.0, 0.0]])
    P = np.array([[0.0, 0.0], [0.0, 1.0], [2.0, 0.0]])  # the first two points are as far from both centroids
    expected = np.array([[2.0 * (1 - 0) / 2 + 2.0 * (1 - 0) / 2 + 2 * (1 - 2), 2 * (0 - 1) / 2],
                         [2.0 * (-1 - 0) / 2 + 2.0 * (-1 - 0) / 2, 2 * (0 - 1) / 2]])
    for mode in ("reverse", "forward"):
        np.testing.assert_allclose(wengert.grad(kmeans_cost, wrt="C", mode=mode)(C, P), expected)


def test_log_sum_exp_gradient_is_plain_and_right():
    rng = np.random.default_rng(1)
    M, X = rng.normal(size=(3, 2)), rng.normal(size=(5, 2))
    text = wengert.source(wengert.grad(soft_assign, wrt="M"), M, X)
    assert "_mul0" not in text, text
    np.testing.assert_allclose(wengert.grad(soft_assign, wrt="M")(M, X), central(soft_assign, (M, X), 0),
                               rtol=1e-6, atol=1e-8)


def test_max_of_a_value_that_can_be_infinite_keeps_the_zero_rule():
    # sqrt'(0) is inf, but 0 is not the max: its weight is 0, and 0 * inf must stay 0 in both modes (forward
    # mode multiplied the tangent by the tie weights plainly and gave nan here, reverse mode 0)
    x = np.array([0.0, 4.0, 4.0])
    for mode in ("reverse", "forward"):
        np.testing.assert_array_equal(wengert.grad(max_sqrt, mode=mode)(x), [0.0, 0.375, 0.375])


def test_sum_of_a_broadcast_scalar_cotangent_is_no_array_of_ones(load_source):
    """log(sum(exp(x - max(x)))): the gradient is exp(x - a) / sum(...), with no np.ones_like(x) / s made first
    and no tie mask (the max over every element is a constant shift)."""
    module = load_source("import numpy as np\n\ndef lse(x):\n    a = np.max(x)\n"
                         "    return a + np.log(np.sum(np.exp(x - a)))\n")
    x = np.array([0.5, 2.0, 2.0, -1.0])  # a tie at the max
    df = wengert.grad(module.lse)
    text = wengert.source(df, x)
    assert "ones_like" not in text and "==" not in text, text
    np.testing.assert_allclose(df(x), np.exp(x) / np.sum(np.exp(x)), rtol=1e-14)
