"""The ADBench LSTM (GradBench `lstm`): two layers of an LSTM with diagonal weights over a character sequence,
each step predicting the next one; the objective is the negative mean log-softmax likelihood. main[2 l] holds
the four gates' weights of layer l, main[2 l + 1] their biases (ADBench's (2 layers, 4 b) rows, split into
gates); extra holds the input weight, output weight and output bias; state the initial h and c of each layer."""

import numpy as np

KIND = "grad"
JAX_TRACE_UNROLLS = True  # jax.jit traces the Python loop into one long program: minutes to compile
WRT = ("main", "extra")


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def cell(weight, bias, x, h, c):
    forget = sigmoid(x * weight[0] + bias[0])
    ingate = sigmoid(h * weight[1] + bias[1])
    outgate = sigmoid(x * weight[2] + bias[2])
    change = np.tanh(h * weight[3] + bias[3])
    c = c * forget + ingate * change
    h = outgate * np.tanh(c)
    return h, c


def objective(main, extra, state, sequence):
    h0, c0, h1, c1 = state[0], state[1], state[2], state[3]
    total = 0.0
    for t in range(sequence.shape[0] - 1):
        h0, c0 = cell(main[0], main[1], sequence[t] * extra[0], h0, c0)
        h1, c1 = cell(main[2], main[3], h0, h1, c1)
        y = h1 * extra[1] + extra[2]
        a = np.max(y)
        total = total + np.sum(sequence[t + 1] * (y - a - np.log(np.sum(np.exp(y - a)))))
    return -total / ((sequence.shape[0] - 1) * sequence.shape[1])


def data(large=False, seed=0, small=False):
    """The arguments in parameter order: default sizes run in seconds, large ones in minutes, small ones
    are for the tests (central differences)."""
    rng = np.random.default_rng(seed)
    c, b = (4, 3) if small else (1024, 1024) if large else (100, 256)
    return (rng.normal(size=(4, 4, b)), rng.normal(size=(3, b)), rng.normal(size=(4, b)),
            rng.normal(size=(c, b)))
