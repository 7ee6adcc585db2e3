"""Plain Python (issue 14, tests/programs/language.py): integer and float arithmetic, builtins, tuple loop
targets over enumerate/zip/reversed/arrays, comprehensions, defaults and keywords. Each program against
finite differences (grad, value_and_grad, jvp, vjp; forward mode too), Hessians, the SymPy check, the CLI;
generated comprehensions stay loops; bad input gets a located error."""

import subprocess
import sys

import numpy as np
import pytest

import wengert
from wengert import WengertError

from conftest import ROOT, primal_of, run_module_text
from programs import language as L
from programs.gradcheck import check_gradients, numeric_grad

LANGUAGE = ROOT / "tests" / "programs" / "language.py"
V5 = np.array([0.35, -1.2, 0.8, 1.7, -0.45])
V6 = np.array([0.3, 1.1, -0.6, 0.9, 1.4, -0.2])

CASES = [  # (function, arguments, wrt); points away from the jumps of %, //, round and int
    (L.wrapped_phase, (1.3, 0.7), ("x", "y")),
    (L.divmod_parts, (2.3, 0.9), ("x", "y")),
    (L.divmod_parts, (-2.3, 0.9), ("x", "y")),
    (L.casts, (1.3, 2.6), ("x", "y")),
    (L.shape_arithmetic, (V5,), "x"),
    (L.shape_arithmetic, (V6,), "x"),
    (L.max_min_abs, (1.3, 0.7), ("x", "y")),
    (L.max_min_abs, (-0.4, 0.9), ("x", "y")),
    (L.sum_of_squares, (V5,), "x"),
    (L.sum_with_start, (V5,), "x"),
    (L.even_terms, (V6,), "x"),
    (L.largest_product, (V5,), "x"),
    (L.fsum_prod, (V5,), "x"),
    (L.backwards, (V6,), "x"),
    (L.weighted, (V5, V5[::-1] * 2.0), ("xs", "ws")),
    (L.pair_rows, (V6.reshape(3, 2),), "P"),
    (L.enumerate_array, (V5,), "x"),
    (L.comprehension_zip, (V5, V6), ("ws", "vs")),
    (L.names_like_temporaries, (V5,), "x"),
    (L.names_like_helpers, (np.abs(V5) + 0.1, V5), ("x", "c")),
    (L.nested_generators, (V6,), "x"),
    (L.positional_defaults, (1.5,), ("x", "y", "c")),
    (L.smallest_square, (V5,), "x"),
    (L.with_array_default, (V5[:3], np.arange(6.0).reshape(2, 3) / 5), ("w", "reg")),
    (L.checked_ring, (V5,), ("x", "scale")),
    (L.shape_in_the_value, (np.arange(15.0).reshape(3, 5) / 7, V5), "x"),
    (L.checked_log, (1.3, 0.7), ("a", "b")),
    (L.record, (1.3, 0.7), ("x", "y")),
    (L.record_params, (V5[:3], np.arange(6.0).reshape(2, 3) / 5), ("w", "X")),
]


def ids(case):
    return f"{case[0].__name__}-{np.ndim(case[1][0])}-{float(np.sum(case[1][0])):.2f}"


def full_args(f, args):
    """The arguments f gets, its defaults included (the finite differences perturb them too)."""
    import inspect
    bound = inspect.signature(f).bind(*args)
    bound.apply_defaults()
    return tuple(bound.arguments.values())


@pytest.mark.parametrize("f, args, wrt", CASES, ids=[ids(c) for c in CASES])
def test_gradient_agrees_with_finite_differences_in_both_modes(f, args, wrt):
    args = full_args(f, args)
    grads = check_gradients(f, args, wrt)
    forward = wengert.grad(f, wrt=wrt, mode="forward")(*args)
    for g, h in zip(grads, forward if isinstance(wrt, tuple) else (forward,)):
        np.testing.assert_allclose(h, g, rtol=1e-10, atol=1e-12)


HESSIANS = [(L.wrapped_phase, (1.3, 0.7), "x"), (L.casts, (1.3, 2.6), "x"), (L.divmod_parts, (2.3, 0.9), "y"),
            (L.shape_arithmetic, (V5,), "x"), (L.sum_of_squares, (V5,), "x"), (L.smallest_square, (V5,), "x"),
            (L.fsum_prod, (V5,), "x"), (L.weighted, (V5, V5 * 2.0), "xs"), (L.pair_rows, (V6.reshape(3, 2),), "P"),
            (L.nested_generators, (V6,), "x"), (L.positional_defaults, (1.5, 3.0, 0.5), "x"),
            (L.checked_ring, (V5, 1.5), "x"), (L.checked_log, (1.3, 0.7), "a"), (L.record, (1.3, 0.7), "y"),
            (L.record_params, (V5[:3], np.arange(6.0).reshape(2, 3) / 5), "w"),
            (L.shape_in_the_value, (np.arange(15.0).reshape(3, 5) / 7, V5), "x"),
            (L.names_like_temporaries, (V5,), "x")]


@pytest.mark.parametrize("f, args, wrt", HESSIANS, ids=[ids(c) for c in HESSIANS])
def test_hessian_is_the_derivative_of_the_gradient(f, args, wrt):
    names = list(__import__("inspect").signature(f).parameters)
    i = names.index(wrt)
    H = np.asarray(wengert.hessian(f, wrt=wrt)(*args))
    grad = wengert.grad(f, wrt=wrt)
    x = np.asarray(args[i], dtype=float)
    h = 1e-5
    expected = np.zeros(x.shape + x.shape)
    for pos in np.ndindex(*x.shape):
        up, down = list(args), list(args)
        xu, xd = x.copy(), x.copy()
        xu[pos] += h
        xd[pos] -= h
        up[i], down[i] = (xu, xd) if x.ndim else (float(xu), float(xd))
        column = (np.asarray(grad(*up)) - np.asarray(grad(*down))) / (2 * h)
        expected[(Ellipsis,) + pos] = column
    np.testing.assert_allclose(H, expected, rtol=1e-5, atol=1e-6)


SYMPY = [(L.wrapped_phase, None), (L.divmod_parts, None), (L.casts, None), (L.max_min_abs, None),
         (L.shape_arithmetic, {"x": (5,)}), (L.sum_of_squares, {"x": (4,)}), (L.even_terms, {"x": (5,)}),
         (L.largest_product, {"x": (4,)}), (L.fsum_prod, {"x": (3,)}), (L.backwards, {"x": (4,)}),
         (L.weighted, {"xs": (3,), "ws": (3,)}), (L.pair_rows, {"P": (3, 2)}), (L.enumerate_array, {"x": (3,)}),
         (L.comprehension_zip, {"ws": (3,), "vs": (4,)}),
         (L.names_like_temporaries, {"x": (3,)}), (L.nested_generators, {"x": (4,)}),
         (L.positional_defaults, None), (L.smallest_square, {"x": (4,)}), (L.checked_ring, {"x": (3,)}),
         (L.checked_log, None), (L.record, None), (L.record_params, {"w": (2,), "X": (3, 2)})]


KINKED = {L.max_min_abs, L.largest_product, L.smallest_square}  # nested Max/Min: SymPy's simplify is slow there


@pytest.mark.parametrize("f, shapes", SYMPY, ids=[f.__name__ for f, _ in SYMPY])
def test_sympy_agrees(f, shapes):
    assert wengert.check(f, shapes=shapes, method="points" if f in KINKED else "auto")


def test_a_comprehension_over_a_run_time_range_stays_a_loop():
    for f in (L.sum_of_squares, L.even_terms, L.largest_product, L.nested_generators):
        small, large = (wengert.source(wengert.grad(f), np.ones(n)) for n in (4, 40))
        assert small == large and "for " in small and "range(" in small, small


def test_a_sum_of_a_generator_is_an_accumulating_loop_in_the_primal():
    text = wengert.source(wengert.value_and_grad(L.sum_of_squares), V5)
    assert "total = 0" in text and "for i in range(n):" in text, text


def test_cli_hessian_where_a_shape_enters_the_value():
    done = subprocess.run([sys.executable, "-m", "wengert", "hessian", f"{LANGUAGE}:shape_in_the_value", "--wrt", "x",
                           "--shape", "X=n,d", "--shape", "x=d"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    X = np.arange(15.0).reshape(3, 5) / 7
    got = run_module_text(done.stdout, "shape_in_the_value_hessian")(X, V5)
    np.testing.assert_allclose(got, wengert.hessian(L.shape_in_the_value, wrt="x")(X, V5), rtol=1e-12)


def test_asserts_stay_in_the_primal_part_and_check_at_run_time():
    for kind, mode in (("grad", "reverse"), ("grad", "forward"), ("hessian", "reverse")):
        text = wengert.source(getattr(wengert, kind)(L.checked_ring, wrt="x", **(
            {"mode": mode} if kind == "grad" else {})), V5, 1.5)
        assert "assert n >= 2, 'needs two entries'" in text and "assert i < n" in text, text
    for make in (wengert.grad(L.checked_log), wengert.grad(L.checked_log, mode="forward"),
                 lambda a, b: wengert.vjp(L.checked_log)(a, b, 1.0), lambda a, b: wengert.jvp(L.checked_log)(a, b, 1.0, 0.0)):
        with pytest.raises(AssertionError, match="a must be positive"):
            make(-1.0, 2.0)
    with pytest.raises(AssertionError, match="needs two entries"):
        wengert.grad(L.checked_ring)(V5[:1])


def test_math_prod_of_an_array_is_right_at_zeros():
    x = np.array([0.0, 2.0, -1.5, 0.0])
    g = wengert.grad(L.fsum_prod)(x)
    np.testing.assert_allclose(g, numeric_grad(L.fsum_prod, (x,), "x"), rtol=1e-6, atol=1e-8)


def test_modulo_convention_at_a_jump():
    """At x = k * y exactly, the derivative is the formula's: d/dx = 1, d/dy = -(x // y) (README)."""
    dx, dy = wengert.grad(lambda_free_mod)(3.0, 1.5)
    assert (dx, dy) == (1.0, -2.0)
    fdx, fdy = wengert.grad(lambda_free_mod, mode="forward")(3.0, 1.5)
    assert (fdx, fdy) == (1.0, -2.0)


def lambda_free_mod(x, y):
    return x % y


def test_a_local_helper_is_inlined(load_source):
    m = load_source("def g(x, n):\n    def sq(u, v):\n        return u * v\n"
                    "    for i in range(n):\n        x = sq(x, x)\n    return x\n")
    assert wengert.grad(m.g, wrt="x")(1.1, 2) == pytest.approx(4 * 1.1 ** 3)
    assert wengert.grad(m.g, wrt="x", mode="forward")(1.1, 3) == pytest.approx(8 * 1.1 ** 7)


def test_keywords_defaults_and_wrt_by_name():
    f = L.with_defaults
    assert wengert.grad(f, wrt="c")(1.5, c=0.25) == pytest.approx(1.5 ** 2 + 1.5)
    assert wengert.grad(f, wrt="y")(1.5, y=2.0) == pytest.approx(1.5 + 2.0)
    value, along = wengert.jvp(f, wrt="x")(1.5, 1.0, c=2.0)
    assert value == pytest.approx(f(1.5, c=2.0))
    assert along == pytest.approx(numeric_grad(lambda x: f(x, c=2.0), (1.5,), 0))
    value, g = wengert.vjp(f, wrt=("x", "c"))(1.5, 2.0)
    assert value == pytest.approx(f(1.5)) and g[1] == pytest.approx(2.0 * (1.5 ** 2 + 1.5))
    with pytest.raises(TypeError):
        wengert.grad(f)(1.5, 2.0, 0.5)  # c is keyword-only, as in f


CLI = [("checked_ring", ["--shape", "x=n"]), ("shape_in_the_value", ["--shape", "X=n,d", "--shape", "x=d"]), ("record", []), ("wrapped_phase", []), ("shape_arithmetic", ["--shape", "x=n"]), ("weighted", ["--shape", "xs=n", "--shape", "ws=n"]),
       ("positional_defaults", [])]


@pytest.mark.parametrize("name, shapes", CLI, ids=[c[0] for c in CLI])
def test_cli_module_computes_the_same_gradient(name, shapes):
    f = getattr(L, name)
    args = {"wrapped_phase": (1.3, 0.7), "shape_arithmetic": (V5,), "weighted": (V5, V5 * 2.0),
            "positional_defaults": (1.5, 3.0, 0.5), "checked_ring": (V5, 1.5), "record": (1.3, 0.7),
            "shape_in_the_value": (np.arange(15.0).reshape(3, 5) / 7, V5)}[name]
    done = subprocess.run([sys.executable, "-m", "wengert", "grad", f"{LANGUAGE}:{name}", *shapes],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    got = run_module_text(done.stdout, f"{name}_grad")(*args)
    expected = wengert.grad(f)(*args)
    for g, e in zip(got if isinstance(got, tuple) else (got,), expected if isinstance(expected, tuple) else (expected,)):
        np.testing.assert_allclose(g, e, rtol=1e-12)


# ---- bad input -------------------------------------------------------------------------------------------

BAD = [  # (id, source, line, col, words in the message)
    ("print", "def f(x):\n    y = x * 2.0\n    print(y)\n    return y\n", 3, 4, ["print", "not supported"]),
    ("print-assigned", "def f(x):\n    y = print(x)\n    return x\n", 2, 8, ["print"]),
    ("stored-lambda", "def f(x):\n    sq = lambda t: t * t\n    return sq(x) + x\n", 2, 9, ["lambda"]),
    ("try", "def f(x):\n    try:\n        y = 1.0 / x\n    except ZeroDivisionError:\n        y = 0.0\n    return y\n",
     2, 4, ["try"]),
    ("with", "def f(x):\n    with open('f') as fh:\n        y = x\n    return y\n", 2, 4, ["with"]),
    ("yield", "def f(x):\n    for i in range(3):\n        yield x * i\n    return x\n", 3, 8, ["yield"]),
    ("global", "def f(x):\n    global K\n    return x * 2.0\n", 2, 4, ["global"]),
    ("nonlocal", "def f(x):\n    nonlocal k\n    return x\n", 2, 4, ["nonlocal"]),
    ("range-outside-a-loop", "def f(x):\n    r = range(3)\n    return x\n", 2, 8, ["range", "for loop"]),
    ("zip-outside-a-loop", "def f(x, y):\n    z = zip(x, y)\n    return x\n", 2, 8, ["zip"]),
    ("generator-to-numpy", "import numpy as np\ndef f(x):\n    return np.sum(x[i] for i in range(3))\n", 3, 17,
     ["generator expression", "sum"]),
    ("range-step-zero", "def f(x):\n    s = 0.0\n    for i in range(0, 3, 0):\n        s = s + x\n    return s\n",
     3, 25, ["step", "zero"]),
    ("loop-over-a-number", "def f(x):\n    s = 0.0\n    for v in 3.0:\n        s = s + v * x\n    return s\n",
     3, 13, ["number"]),
    ("unpack-range", "def f(x):\n    s = 0.0\n    for a, b in range(3):\n        s = s + a * x\n    return s\n",
     3, 8, ["unpack"]),
    ("enumerate-keywords", "def f(x):\n    s = 0.0\n    for i, v in enumerate(x, begin=1):\n        s = s + v\n"
     "    return s\n", 3, 16, ["enumerate"]),
    ("max-key", "def f(x):\n    return max(x, key=abs)\n", 2, 22, ["max", "key"]),
    ("int-base", "def f(x):\n    return int(x, 2) * x\n", 2, 11, ["int", "1 positional"]),
    ("helper-missing-argument", "def g(a, *, b):\n    return a * b\n\ndef f(x):\n    return g(x)\n", 5, 11,
     ["missing", "'b'"]),
    ("helper-computed-default", "import numpy as np\ndef g(a, b=np.zeros(2)):\n    return a * b\n\n"
     "def f(x):\n    return np.sum(g(x))\n", 2, 11, ["default", "constants"]),
    ("helper-keyword-twice", "def g(a, b=1.0):\n    return a * b\n\ndef f(x):\n    return g(x, a=x)\n", 5, 18,
     ["repeated keyword", "'a'"]),
    ("star-args", "def f(x, *rest):\n    return x\n", 1, 10, ["*args"]),
    ("parameter-named-like-a-helper", "import numpy as np\ndef f(x, _mul0):\n    return np.sum(np.sqrt(x) * _mul0)\n",
     2, 9, ["_mul0", "helper"]),
    ("tuple-from-branches", "def f(x):\n    if x > 0:\n        t = (x, 2 * x)\n    else:\n        t = (x, x)\n"
     "    return t[0] * t[1]\n", 2, 4, ["t holds a tuple", "branch"]),
    ("closure-two-levels", "k = 5.0\ndef f(x):\n    k = 1.0\n    def g(y):\n        def h(z):\n"
     "            return z * k\n        return h(y)\n    return g(x)\n", 6, 23, ["reads k", "closure"]),
    ("dict-computed-key", "def f(x):\n    d = {'a': x}\n    k = 'a'\n    return d[k]\n", 3, 8, ["str constants"]),
    ("dict-number-key", "def f(x):\n    d = {1: x}\n    return d[1]\n", 2, 9, ["keys", "string literals"]),
    ("dict-missing-key", "def f(x):\n    d = {'a': x}\n    return d['b']\n", 3, 13, ["no key 'b'"]),
    ("dict-assigned-into", "def f(x):\n    d = {'a': x}\n    d['b'] = x\n    return d['a']\n", 3, 4,
     ["dict", "read-only"]),
    ("dict-as-array", "def f(x):\n    d = {'a': x}\n    return d * 2.0\n", 3, 11, ["dict"]),
    ("dict-carried-by-a-loop", "def f(x):\n    d = {'a': x}\n    for i in range(3):\n        d = {'a': d['a'] * 2.0}\n"
     "    return d['a']\n", 3, 4, ["dict", "loops"]),
    ("dict-assigned-in-a-branch", "def f(x):\n    d = {'a': x}\n    if x > 0:\n        d = {'a': x * 3.0}\n"
     "    return d['a']\n", 3, 4, ["dict", "branch"]),
    ("assert-computed-message", "def f(x):\n    assert x > 0, 'x' * 2\n    return x\n", 2, 18, ["message"]),
    ("nonzero-run-time-item", "import numpy as np\ndef f(x, k):\n    return np.sum(x[np.nonzero(x > 0)[k]])\n", 3,
     38, ["nonzero", "literal"]),
    ("nonzero-as-array", "import numpy as np\ndef f(x):\n    return np.sum(np.nonzero(x > 0) * x)\n", 3, 18,
     ["nonzero", "tuple"]),
]


@pytest.mark.parametrize("source, line, col, words", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_is_located_with_a_hint(source, line, col, words):
    with pytest.raises(WengertError) as info:
        primal_of(source, "f", "bad.py")
    e = info.value
    assert (e.filename, e.line, e.col) == ("bad.py", line, col), str(e)
    for word in words:
        assert word in e.message, str(e)
    assert e.hint and e.source_line == source.splitlines()[line - 1], str(e)
