"""The lecture's two-layer MLP (REFERENCE.md section 3): logistic hidden layer, softmax cross-entropy."""
import numpy as np


def logsumexp(U):
    """Row-wise log-sum-exp with the max trick; returns a length-N vector."""
    Umax = np.max(U, axis=1, keepdims=True)
    return Umax[:, 0] + np.log(np.sum(np.exp(U - Umax), axis=1))


def cost(X, Y, W, V):
    """Mean negative log-likelihood of the MLP; X: N x D, Y: N x C one-hot, W: M x C, V: D x M."""
    Q = np.dot(X, V)
    Z = 1 / (1 + np.exp(-Q))
    U = np.dot(Z, W)
    nll = -np.mean(np.sum(U * Y, 1) - logsumexp(U))
    return nll


def gradients(X, Y, W, V):
    """The lecture's hand-written gradient of cost w.r.t. (W, V)."""
    Z = 1 / (1 + np.exp(-np.dot(X, V)))
    N, D = X.shape
    U = np.dot(Z, W)
    Yh = np.exp(U - np.max(U, 1)[:, None])
    Yh = Yh / np.sum(Yh, axis=-1)[:, None]
    dY = Yh - Y
    dW = np.dot(Z.T, dY) / N
    dZ = np.dot(dY, W.T)
    dV = np.dot(X.T, dZ * Z * (1 - Z)) / N
    return dW, dV
