"""User-defined primitives (issue 15, part A): @wengert.primitive with .defvjp / .defjvp rules.

wengert never reads a primitive's body; its rules are parsed as ordinary code of wengert's subset and replayed
where the primitive is applied, so Hessians differentiate the rules again. The generated module imports the
primitive from the user's module.
"""

import importlib.util
import itertools
import sys

import numpy as np
import pytest

import wengert
from wengert import WengertError
from wengert.cli import main

_numbers = itertools.count()

PROGRAM = '''import numpy as np
import scipy.special
import wengert


@wengert.primitive(shape="elementwise")
def cube_root(x):
    return np.cbrt(x)


@cube_root.defvjp
def cube_root_vjp(g, y, x):
    return g / (3.0 * y * y)


@cube_root.defjvp
def cube_root_jvp(t, y, x):
    return t / (3.0 * y * y)


@wengert.primitive(shape="elementwise")
def hypot(a, b):
    return np.hypot(a, b)


@hypot.defvjp
def hypot_vjp(g, y, a, b):
    return g * a / y, g * b / y


@hypot.defjvp
def hypot_jvp(ta, tb, y, a, b):
    return (a * ta + b * tb) / y


@wengert.primitive(shape="elementwise")
def j0(x):
    return scipy.special.j0(x)


@j0.defvjp
def j0_vjp(g, y, x):
    return -g * j1(x)


@j0.defjvp
def j0_jvp(t, y, x):
    return -t * j1(x)


@wengert.primitive(shape="elementwise")
def j1(x):
    return scipy.special.j1(x)


@j1.defvjp
def j1_vjp(g, y, x):
    return g * (j0(x) - y / x)


@j1.defjvp
def j1_jvp(t, y, x):
    return t * (j0(x) - y / x)


def f(x):
    return np.sum(cube_root(x) * np.sin(x))


def two(a, b):
    return np.sum(hypot(a, b) ** 2 + cube_root(a * b))


def bessel(x):
    return np.sum(j0(x) * x + j1(2.0 * x))


def scalar(x):
    return cube_root(x) * x + hypot(x, 2.0)
'''


def load(tmp_path, source):
    """Write source as a module importable by its name (generated code imports the primitives from it)."""
    name = f"wengert_custom_case_{next(_numbers)}"
    path = tmp_path / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def program(tmp_path):
    return load(tmp_path, PROGRAM)


def central(f, x, h=1e-6):
    """d f / d x by central differences, shaped f(x).shape + x.shape."""
    x = np.asarray(x, dtype=float)
    columns = []
    for i in np.ndindex(*x.shape):
        e = np.zeros_like(x)
        e[i] = h
        columns.append((np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * h))
    return np.moveaxis(np.array(columns), 0, -1).reshape(np.shape(columns[0]) + x.shape)


X = np.array([0.7, 1.9, 3.1, 4.6])
B = np.array([1.3, -0.4, 2.2, 0.9])


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("name", ["f", "bessel"])
def test_gradient_through_primitives_matches_central_differences(program, name, mode):
    fn = getattr(program, name)
    np.testing.assert_allclose(wengert.grad(fn, mode=mode)(X), central(fn, X), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_two_input_primitive_gives_one_cotangent_per_input(program, mode):
    da, db = wengert.grad(program.two, mode=mode)(X, B)
    np.testing.assert_allclose(da, central(lambda a: program.two(a, B), X), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(db, central(lambda b: program.two(X, b), B), rtol=1e-6, atol=1e-8)


def test_jvp_and_vjp(program):
    t = np.array([0.3, -1.0, 0.5, 2.0])
    value, dot = wengert.jvp(program.f)(X, t)
    assert value == pytest.approx(program.f(X))
    assert dot == pytest.approx(central(program.f, X) @ t, rel=1e-6)
    value, pulled = wengert.vjp(program.two, wrt="b")(X, B, 2.5)
    np.testing.assert_allclose(pulled, 2.5 * central(lambda b: program.two(X, b), B), rtol=1e-6)


@pytest.mark.parametrize("name", ["f", "bessel"])
def test_hessian_differentiates_the_rules_again(program, name):
    fn = getattr(program, name)
    grad = wengert.grad(fn)
    expected = central(grad, X, h=1e-5)
    np.testing.assert_allclose(wengert.hessian(fn)(X), expected, rtol=1e-5, atol=1e-7)
    v = np.array([1.0, -0.5, 0.25, 2.0])
    np.testing.assert_allclose(wengert.hvp(fn)(X, v), expected @ v, rtol=1e-5, atol=1e-7)


def test_scalar_function_hessian_and_symbolic_check(program):
    x = 1.7
    grad = wengert.grad(program.scalar)
    assert grad(x) == pytest.approx((program.scalar(x + 1e-6) - program.scalar(x - 1e-6)) / 2e-6, rel=1e-7)
    assert wengert.hessian(program.scalar)(x) == pytest.approx((grad(x + 1e-5) - grad(x - 1e-5)) / 2e-5, rel=1e-6)
    report = wengert.check(program.scalar, at=(x,))
    text = str(report)
    assert "cube_root(x)" in text and "user primitives cube_root, hypot" in text
    assert "generated code at x=1.7" in text  # the module is imported: the generated code ran too


def test_check_of_arrays_and_second_order(program):
    assert wengert.check(program.two, shapes={"a": (2,), "b": (2,)})
    from wengert.parse import module_of, parse
    from wengert.sympy_check import check_primal
    assert check_primal(parse(*module_of(program.f)), shapes={"x": (2,)}, order=2)


def test_generated_module_imports_the_primitive(program):
    source = wengert.source(wengert.grad(program.f), X)
    assert f"from {program.__name__} import cube_root\n" in source
    assert "np.cbrt" not in source  # the body is never read
    assert "cube_root(x)" in source


def test_cli_reads_the_decorators_without_running_the_file(program, tmp_path, capsys, monkeypatch):
    path = f"{tmp_path}/{program.__name__}.py"
    assert main(["grad", f"{path}:two", "--shape", "a=n", "--shape", "b=n"]) == 0
    text = capsys.readouterr().out
    assert f"from {program.__name__} import cube_root, hypot" not in text  # one import line per primitive
    assert f"from {program.__name__} import cube_root\n" in text and f"from {program.__name__} import hypot\n" in text
    namespace = {}
    exec(compile(text, "<cli>", "exec"), namespace)
    da, db = namespace["two_grad"](X, B)
    np.testing.assert_allclose(da, central(lambda a: program.two(a, B), X), rtol=1e-6, atol=1e-8)
    assert main(["hessian", f"{path}:bessel", "--wrt", "x", "--shape", "x=n"]) == 0
    namespace = {}
    exec(compile(capsys.readouterr().out, "<cli>", "exec"), namespace)
    np.testing.assert_allclose(namespace["bessel_hessian"](X), central(wengert.grad(program.bessel), X, h=1e-5),
                               rtol=1e-5, atol=1e-7)
    assert main(["check", f"{path}:scalar"]) == 0
    assert "OK" in capsys.readouterr().out


def test_cli_check_in_a_fresh_process_does_not_import_the_file(program, tmp_path):
    import subprocess
    path = f"{tmp_path}/{program.__name__}.py"
    done = subprocess.run([sys.executable, "-m", "wengert", "check", f"{path}:scalar"], capture_output=True,
                          text=True, env={**__import__("os").environ, "PYTHONPATH": ":".join(sys.path)})
    assert done.returncode == 0, done.stderr
    assert "OK (1/1" in done.stdout and "the generated code was not run" in done.stdout


ONLY_VJP = '''import numpy as np
import wengert


@wengert.primitive
def soft(x):
    return np.log1p(np.exp(x))


@soft.defvjp
def soft_vjp(g, y, x):
    return g / (1.0 + np.exp(-x))


def f(x):
    return np.sum(soft(x))
'''


def error_of(call):
    with pytest.raises(WengertError) as info:
        call()
    return info.value


def test_a_vjp_alone_serves_reverse_mode_and_forward_mode_says_what_is_missing(tmp_path):
    m = load(tmp_path, ONLY_VJP)
    np.testing.assert_allclose(wengert.grad(m.f)(X), central(m.f, X), rtol=1e-6)
    e = error_of(lambda: wengert.jvp(m.f)(X, X))
    assert "soft has no forward-mode rule" in e.message and "@soft.defjvp" in e.hint
    assert e.line == 16 and "soft(x)" in e.source_line


def test_a_jvp_alone_serves_forward_mode_and_reverse_mode_says_what_is_missing(tmp_path):
    m = load(tmp_path, ONLY_VJP.replace("defvjp", "defjvp").replace("soft_vjp(g, y, x)", "soft_jvp(t, y, x)")
             .replace("return g /", "return t /"))
    value, dot = wengert.jvp(m.f)(X, B)
    assert dot == pytest.approx(central(m.f, X) @ B, rel=1e-6)
    e = error_of(lambda: wengert.grad(m.f)(X))
    assert "soft has no reverse-mode rule" in e.message and "@soft.defvjp" in e.hint and e.line == 16


def test_a_primitive_without_rules_is_refused_in_both_modes(tmp_path):
    m = load(tmp_path, ONLY_VJP.replace("@soft.defvjp\n", ""))
    for call in (lambda: wengert.grad(m.f)(X), lambda: wengert.jvp(m.f)(X, B)):
        e = error_of(call)
        assert "soft has no" in e.message and "soft(x)" in e.source_line and e.filename.endswith(".py")


BAD_RULES = [  # (replace this, by that, line, text at the error, words of the message)
    ("def soft_vjp(g, y, x):", "def soft_vjp(g, x):", 11, "def soft_vjp", "takes 2 parameters; it must take 3"),
    ("return g / (1.0 + np.exp(-x))", "return g, g", 12, "return g, g", "returns 2 values; it must return 1"),
    ("return g / (1.0 + np.exp(-x))", "if x > 0:\n        return g\n    return 0.0 * g", 11, "def soft_vjp",
     "straight-line"),
    ("return np.sum(soft(x))", "return np.sum(soft(x, x))", 16, "soft(x, x)", "takes 1 positional argument"),
    ("@wengert.primitive\n", "@wengert.primitive(shape='rows')\n", 5, "'rows'", "not a shape wengert knows"),
]


@pytest.mark.parametrize("old, new, line, at, words", BAD_RULES)
def test_bad_rules_are_located(tmp_path, old, new, line, at, words):
    assert old in ONLY_VJP
    m = load(tmp_path, ONLY_VJP.replace(old, new))
    e = error_of(lambda: wengert.grad(m.f)(X))
    assert words in e.message and e.line == line, str(e)
    assert e.source_line[e.col:].startswith(at.split("\n")[0]), str(e)


def test_two_inputs_wrong_cotangent_count_and_jvp_arity(tmp_path):
    m = load(tmp_path, PROGRAM.replace("return g * a / y, g * b / y", "return g * a / y"))
    e = error_of(lambda: wengert.grad(m.two)(X, B))
    assert "returns 1 value; it must return 2" in e.message and "return g * a / y" in e.source_line
    m = load(tmp_path, PROGRAM.replace("def hypot_jvp(ta, tb, y, a, b)", "def hypot_jvp(t, y, a, b)"))
    e = error_of(lambda: wengert.jvp(m.two)(X, B, X, B))
    assert "takes 4 parameters; it must take 5: (t1, t2, y, x1, x2)" in e.message and "def hypot_jvp" in e.source_line


def test_evaluation_trace_runs_the_live_primitive_and_the_cli_refuses_to(program, tmp_path, capsys):
    table = str(wengert.trace(program.scalar, 1.7))
    assert "cube_root v0" in table and repr(float(program.scalar(1.7)))[:12] in table
    path = f"{tmp_path}/{program.__name__}.py"
    assert main(["trace", f"{path}:scalar"]) == 0  # no values: nothing to run
    import subprocess
    done = subprocess.run([sys.executable, "-m", "wengert", "trace", f"{path}:scalar", "--at", "x=1.7"],
                          capture_output=True, text=True,
                          env={**__import__("os").environ, "PYTHONPATH": ":".join(sys.path)})
    assert done.returncode == 2 and "cannot evaluate primitive cube_root" in done.stderr
    assert "def cube_root(x):" in done.stderr
