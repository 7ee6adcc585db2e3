"""One small function per scipy.special function wengert reads (w is a fixed weight, so that a wrong adjoint
cannot give the right answer by symmetry), imported the three usual ways. Scalar versions (s_*) for SymPy."""
import math

import numpy as np
import scipy.special
import scipy.special as sc
from scipy import special
from scipy.special import expit, gammaln, log_softmax, logsumexp, softmax, xlogy


def u_expit(x, w):
    return np.sum(w * expit(x))


def u_log_expit(x, w):
    return np.sum(w * sc.log_expit(x))


def u_gammaln(x, w):
    return np.sum(w * gammaln(x))


def u_digamma(x, w):
    return np.sum(w * special.digamma(x))


def u_polygamma(x, w):
    return np.sum(w * sc.polygamma(1, x))


def u_erf(x, w):
    return np.sum(w * scipy.special.erf(x))


def u_erfc(x, w):
    return np.sum(w * sc.erfc(x))


def u_log1p(x, w):
    return np.sum(w * sc.log1p(x) + sc.expm1(w * x))


def b_xlogy(x, y):
    return np.sum(np.cos(y) * xlogy(x, y))


def b_xlog1py(x, y):
    return np.sum(np.cos(y) * sc.xlog1py(x, y))


def softmax_rows(U, W):
    return np.sum(W * softmax(U, axis=1))


def softmax_all(U, W):
    return np.sum(W * softmax(U))


def log_softmax_columns(U, W):
    return np.sum(W * log_softmax(U, axis=0))


def lse_rows(U, W):
    return np.sum(W[:, 0] * logsumexp(U, axis=1))


def lse_keepdims(U, W):
    return np.sum(W * logsumexp(U, axis=-1, keepdims=True) * U)


def lse_all(U, W):
    return logsumexp(U) * np.sum(W)


def lse_weighted(U, W):
    return np.sum(logsumexp(U, axis=1, b=W) * W[:, 1])


def lse_weighted_positional(U, W):
    return np.sum(logsumexp(U, 0, W[0]))


def s_special(x, y):
    return (expit(x) + sc.log_expit(y) + gammaln(2 + x) + special.digamma(2 + y) + sc.erf(x) + sc.erfc(y)
            + xlogy(x, 2 + y) + sc.xlog1py(y, 1 + x) + sc.polygamma(1, 2 + x))


def s_math(x, y):
    return math.erf(x) * math.erfc(y) + math.lgamma(2 + x)


def lse_weights_grow(x, B):
    return np.sum(logsumexp(x, axis=0, b=B) * np.cos(x))


def s_scalar_chain(x):
    return expit(x) * scipy.special.erf(x) + gammaln(x + 1.0) + special.log_expit(-x)
