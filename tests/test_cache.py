"""The compile cache under threads, and editing a function's source: threads compiling the same function
get the same function; threads compiling different functions at once get what they would alone; a
changed source file gives a new derivative."""

import contextlib
import importlib.util
import sys
import threading

import numpy as np
import pytest

import wengert
from wengert.api import generate
from wengert.parse import Module, parse

from conftest import ROOT, load_file

THREADS = 8


@contextlib.contextmanager
def frequent_switches():
    """Let threads switch every 10 microseconds, so that a race shows up within a few compilations."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def run_together(task, n=THREADS):
    """task(k) in n threads that start at the same moment; their results (re-raising any error)."""
    barrier = threading.Barrier(n)
    results, errors = [None] * n, []

    def run(k):
        barrier.wait()
        try:
            results[k] = task(k)
        except BaseException as e:  # noqa: BLE001  reported below, in the test's thread
            errors.append(e)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(n)]
    with frequent_switches():
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    if errors:
        raise errors[0]
    return results


def test_threads_compiling_the_same_function_get_the_same_function(lecture):
    functions = run_together(lambda k: wengert.grad(lecture.f))
    assert all(fn is functions[0] for fn in functions)
    assert functions[0](2.0, 5.0) == pytest.approx((5.5, 1.7163378145367738))


def test_threads_specializing_one_derivative_get_one_function(load_source):
    module = load_source("import numpy as np\n\n\ndef cost(W, x):\n    return np.sum(np.tanh(W @ x) ** 2)\n")
    grad = wengert.grad(module.cost)
    W, x = np.full((3, 2), 0.5), np.array([1.0, -2.0])
    specialized = run_together(lambda k: grad.__wengert_specialize__(W, x))
    assert all(fn is specialized[0] for fn in specialized)
    gradients = run_together(lambda k: grad(W, x))
    for dW, dx in gradients:
        np.testing.assert_array_equal(dW, gradients[0][0])
        np.testing.assert_array_equal(dx, gradients[0][1])


CONTROL = ROOT / "tests" / "programs" / "control.py"
NAMES = ["branch", "elif_chain", "sum_of_sines", "nested_loops", "loop_with_break", "branch_in_loop",
         "for_over_rows", "while_inside_for"]


def test_threads_compiling_different_functions_at_once_get_what_they_would_alone():
    """Each thread builds its own traces: the Builder being filled is per thread, not global."""
    module = Module(CONTROL.read_text(), str(CONTROL))
    alone = {name: generate(parse(module, module.function(name)), "grad") for name in NAMES}

    def compile_all(k):
        names = NAMES[k % 2::2]
        return {name: generate(parse(module, module.function(name)), "grad") for name in names * 3}

    for result in run_together(compile_all):
        for name, text in result.items():
            assert text == alone[name], name


def test_the_recursion_limit_is_restored_after_threads_compile_deep_expressions():
    before = sys.getrecursionlimit()
    source = "def f(x, y):\n    return " + " + ".join(["x * y", "x"] * 600) + "\n"
    module = Module(source, "deep.py")
    texts = run_together(lambda k: generate(parse(module, module.function("f")), "grad"), n=4)
    assert len(set(texts)) == 1
    assert sys.getrecursionlimit() == before


def load_as(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_editing_the_source_file_recompiles(tmp_path):
    path = tmp_path / "edited.py"
    path.write_text("import math\n\n\ndef f(x):\n    return math.sin(x) * x\n", encoding="utf-8")
    before = wengert.grad(load_as(path, "edited_before").f)
    path.write_text("import math\n\n\ndef f(x):\n    return math.cos(x) * x * x\n", encoding="utf-8")
    after = wengert.grad(load_as(path, "edited_after").f)
    assert wengert.source(before) != wengert.source(after)
    assert "math.sin" in wengert.source(before) and "math.sin" in wengert.source(after)  # d cos = -sin
    x = 0.7
    assert before(x) == pytest.approx(np.cos(x) * x + np.sin(x))
    assert after(x) == pytest.approx(-np.sin(x) * x * x + 2 * x * np.cos(x))


def test_editing_an_array_function_recompiles_its_specializations(tmp_path):
    path = tmp_path / "edited_array.py"
    path.write_text("import numpy as np\n\n\ndef f(x):\n    return np.sum(x * x)\n", encoding="utf-8")
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(wengert.grad(load_file(path).f)(x), 2 * x)
    path.write_text("import numpy as np\n\n\ndef f(x):\n    return np.sum(x * x * x)\n", encoding="utf-8")
    np.testing.assert_allclose(wengert.grad(load_file(path).f)(x), 3 * x * x)


def test_an_unchanged_function_is_compiled_once(lecture):
    assert wengert.grad(lecture.f) is wengert.grad(lecture.f)
