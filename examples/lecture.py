"""The worked examples of the lecture (REFERENCE.md sections 1 and 2)."""
import math


def f(x1, x2):
    """Griewank's evaluation-trace example: f(2, 5) = 11.652..., grad = (5.5, 1.716...)."""
    return math.log(x1) + x1 * x2 - math.sin(x2)


def y1(w0, w1, x):
    """Forward mode on a small graph: y1 = sin(w1 x + w0)."""
    return math.sin(w1 * x + w0)


def y2(w0, w1, x):
    """Reverse mode on a small graph: y2 = cos(w1 x + w0)."""
    return math.cos(w1 * x + w0)


def loss(w, x, y):
    """L = 1/2 (y - w x)^2, the lecture's a1..a7 decomposition."""
    return 0.5 * (y - w * x) ** 2
