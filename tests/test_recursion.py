"""Recursion whose depth constants fix (issue 14): unrolled at compile time, the base case chosen by its
constant test; past MAX_RECURSION levels (a depth that depends on data) a located error says so."""

import numpy as np
import pytest

import wengert
from wengert.errors import WengertError
from wengert.parse import MAX_RECURSION, Module, parse

from test_items import every_mode, numeric_grad, numeric_hessian


def power(x, k):
    if k == 0:
        return 1.0
    return x * power(x, k - 1)


def powers(x):
    return power(x, 5) + power(np.sin(x), 2)


def product_tree(x, lo, hi):
    if hi - lo == 1:
        return x[lo] ** 2
    return product_tree(x, lo, lo + 1) * np.cos(product_tree(x, lo + 1, hi))


def nested_cos(x):
    return product_tree(x, 0, 4)


def test_scalar_recursion():
    g = wengert.grad(powers)(0.7)
    assert g == wengert.grad(powers, mode="forward")(0.7)
    assert g == pytest.approx(numeric_grad(powers, (0.7,)), rel=1e-7)
    wengert.check(powers)
    source = wengert.source(wengert.grad(powers))
    assert "power(" not in source.split("def powers_grad")[1]


def test_array_recursion_and_its_hessian():
    x = np.array([0.3, -0.5, 0.8, 1.1])
    np.testing.assert_allclose(every_mode(nested_cos, (x,)), numeric_grad(nested_cos, (x,)), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(wengert.hessian(nested_cos)(x), numeric_hessian(nested_cos, x), rtol=1e-4, atol=1e-6)


def test_data_dependent_depth_is_a_located_error():
    source = ("def halve(x, k):\n    if x > k:\n        return x\n    return halve(x * 2.0, k)\n\n\n"
              "def f(x):\n    return halve(x, 10.0)\n")
    module = Module(source, "case.py")
    with pytest.raises(WengertError) as info:
        parse(module, module.function("f"))
    e = info.value
    assert (e.line, e.col) == (4, 11) and f"deeper than {MAX_RECURSION} levels" in e.message
    assert "depends on data" in e.message and e.hint
