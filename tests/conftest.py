"""Shared helpers: compile source text as wengert does, load programs from files, finite differences."""

import importlib.util
import itertools
import math
from pathlib import Path

import pytest

from wengert.api import generate
from wengert.parse import Module, parse

ROOT = Path(__file__).resolve().parents[1]
_module_numbers = itertools.count()


def primal_of(source, name, filename="case.py"):
    """The primal Trace of function `name` in the module text `source`."""
    module = Module(source, filename)
    node = module.function(name)
    assert node is not None, f"no function {name!r} in the test source"
    return parse(module, node)


def run_module_text(text, name):
    """Execute a generated module in a fresh namespace (no wengert in it) and return `name`."""
    namespace = {"__name__": "generated"}
    exec(compile(text, "<generated>", "exec"), namespace)
    return namespace[name]


def generated(source, name, kind="grad", wrt=None, mode="reverse", filename="case.py"):
    """(module text, function) for the requested derivative of `name` in `source`."""
    text = generate(primal_of(source, name, filename), kind, wrt, mode)
    return text, run_module_text(text, f"{name}_{kind}")


def central_difference(f, args, i, h=1e-4):
    """d f / d args[i] by the fourth-order central stencil (error O(h^4))."""
    step = h * max(1.0, abs(args[i]))

    def at(k):
        shifted = list(args)
        shifted[i] = args[i] + k * step
        return f(*shifted)

    return (at(-2) - 8 * at(-1) + 8 * at(1) - at(2)) / (12 * step)


def numeric_gradient(f, args):
    return tuple(central_difference(f, args, i) for i in range(len(args)))


def assert_close(actual, expected, rel=1e-6, abs_=1e-8):
    """Elementwise closeness of two equally nested tuples of floats."""
    if isinstance(expected, tuple):
        assert isinstance(actual, tuple) and len(actual) == len(expected), (actual, expected)
        for a, e in zip(actual, expected):
            assert_close(a, e, rel, abs_)
    else:
        assert math.isclose(float(actual), float(expected), rel_tol=rel, abs_tol=abs_), (actual, expected)


def load_file(path):
    """Import a .py file under a unique module name (so wengert can read its source with inspect)."""
    spec = importlib.util.spec_from_file_location(f"wengert_case_{next(_module_numbers)}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def load_source(tmp_path):
    """Write module text to a fresh file in tmp_path and import it."""

    def load(source):
        path = tmp_path / f"case_{next(_module_numbers)}.py"
        path.write_text(source, encoding="utf-8")
        return load_file(path)

    return load


@pytest.fixture(scope="session")
def lecture():
    """examples/lecture.py, imported from its file."""
    return load_file(ROOT / "examples" / "lecture.py")


def param_id(value):
    """A test id for a parameter: a function by its name (its repr holds a memory address, and every
    pytest-xdist worker must collect the same ids), anything else as str() gives it."""
    return value.__name__ if callable(value) and hasattr(value, "__name__") else str(value)


def pytest_make_parametrize_id(config, val, argname):
    """Functions without explicit ids are named by param_id too."""
    return param_id(val) if callable(val) and hasattr(val, "__name__") else None
