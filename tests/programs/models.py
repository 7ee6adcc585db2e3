"""Small but real array programs: the cost functions of common models."""
import numpy as np


# ---- helpers (inlined by wengert) -----------------------------------------------------------------------

def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def logsumexp_rows(U):
    """Row-wise log-sum-exp with the max trick, as a length-N vector."""
    m = np.max(U, axis=1, keepdims=True)
    return m[:, 0] + np.log(np.sum(np.exp(U - m), axis=1))


def logsumexp_all(v):
    m = np.max(v)
    return m + np.log(np.sum(np.exp(v - m)))


# ---- linear models ------------------------------------------------------------------------------------------

def logistic_nll(w, b, X, y):
    """Mean negative log-likelihood of logistic regression, written stably with logaddexp."""
    z = X @ w + b
    return np.mean(np.logaddexp(0.0, z) - y * z)


def logistic_nll_naive(w, b, X, y):
    """The same cost from the textbook formula with probabilities."""
    p = sigmoid(np.dot(X, w) + b)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def least_squares(w, X, y):
    N = X.shape[0]
    r = X @ w - y
    return np.sum(r ** 2) / N


def ridge(w, lam, X, y):
    return np.mean((np.dot(X, w) - y) ** 2) + lam * np.sum(w * w)


def multi_output_least_squares(W, X, Y):
    """Frobenius norm squared of the residual matrix, over the number of rows."""
    return np.linalg.norm(X @ W - Y) ** 2 / len(X)


# ---- neural networks ------------------------------------------------------------------------------------------

def tanh_mlp(W1, b1, W2, b2, X, y):
    """One tanh hidden layer with biases, linear output, mean squared error."""
    H = np.tanh(X @ W1 + b1)
    out = H @ W2 + b2
    return 0.5 * np.mean((out - y) ** 2)


def relu_net(W1, b1, W2, b2, W3, X, Y):
    """Two ReLU hidden layers, softmax cross-entropy over the classes in one-hot Y."""
    H1 = np.maximum(0, X @ W1 + b1)
    H2 = np.maximum(H1 @ W2 + b2, 0.0)
    U = H2 @ W3
    return np.mean(logsumexp_rows(U) - np.sum(U * Y, axis=1))


def softmax_cross_entropy(U, Y):
    """Softmax cross-entropy of logits U against one-hot Y, with the max trick spelled out."""
    shifted = U - np.max(U, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.sum(Y * log_probs) / U.shape[0]


# ---- batch normalization --------------------------------------------------------------------------------------

def batchnorm(x, gamma, beta, eps):
    """Batch normalization at training time (Ioffe & Szegedy): x is N x D, statistics over the batch."""
    mu = np.mean(x, axis=0)
    var = np.mean((x - mu) ** 2, axis=0)
    xhat = (x - mu) / np.sqrt(var + eps)
    return gamma * xhat + beta


def batchnorm_probe(x, gamma, beta, dy):
    """<batchnorm(x), dy>: its gradient is batch norm's backward pass applied to the upstream dy."""
    return np.sum(batchnorm(x, gamma, beta, 1e-5) * dy)


def batchnorm_tanh_layer(x, gamma, beta):
    """A batch-normalized tanh layer, with a nonlinear loss on top."""
    return np.sum(np.tanh(batchnorm(x, gamma, beta, 1e-5)) ** 2)


# ---- Gaussian mixtures ---------------------------------------------------------------------------------------

def gmm_loglik(x, mu, log_sigma, logits):
    """Log-likelihood of 1-D data x under a K-component Gaussian mixture (weights = softmax(logits))."""
    z = (x[:, None] - mu[None, :]) / np.exp(log_sigma)
    log_w = logits - logsumexp_all(logits)
    comp = log_w - 0.5 * z ** 2 - log_sigma - 0.5 * np.log(2 * np.pi)
    return np.sum(logsumexp_rows(comp))


def gmm_diag_loglik(X, means, log_sigmas, logits):
    """Log-likelihood of X (N x D) under a mixture of K diagonal Gaussians (means, log_sigmas: K x D)."""
    D = X.shape[1]
    Z = (X[:, None, :] - means[None, :, :]) / np.exp(log_sigmas)
    log_w = logits - logsumexp_all(logits)
    comp = log_w - 0.5 * np.sum(Z ** 2, axis=2) - np.sum(log_sigmas, axis=1) - 0.5 * D * np.log(2 * np.pi)
    return np.sum(logsumexp_rows(comp))
