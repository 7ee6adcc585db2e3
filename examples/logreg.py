"""Logistic regression: its negative log-likelihood, for gradients and Hessians."""
import numpy as np


def nll(w, X, y):
    """Mean negative log-likelihood of labels y in {0, 1} under p = sigmoid(X w)."""
    p = 1 / (1 + np.exp(-(X @ w)))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
