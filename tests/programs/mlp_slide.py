"""The lecture slide's MLP cost, literally: its logsumexp returns an N x 1 column, so
`np.sum(U*Y, 1) - logsumexp(U)` broadcasts (N,) against (N, 1) to an N x N matrix."""
import numpy as np


def logistic(q):
    return 1 / (1 + np.exp(-q))


def logsumexp(Z):
    Zmax = np.max(Z, axis=1)[:, None]
    lse = Zmax + np.log(np.sum(np.exp(Z - Zmax), axis=1))[:, None]
    return lse


def softmax(u):
    u_exp = np.exp(u - np.max(u, 1)[:, None])
    return u_exp / np.sum(u_exp, axis=-1)[:, None]


def cost_slide(X, Y, W, V):
    Q = np.dot(X, V)
    Z = logistic(Q)
    U = np.dot(Z, W)
    Yh = softmax(U)  # computed on the slide but unused: wengert's dead-code pass drops it  # noqa: F841
    nll = - np.mean(np.sum(U*Y, 1) - logsumexp(U))
    return nll
