"""Every construct outside the subset is a WengertError naming it, with file:line:col, the line, a caret and a hint."""

import types

import pytest

import wengert
from wengert import WengertError
from wengert.parse import Module, parse

HEADER = "import math\nimport os\nimport numpy as np\n\n"


def original(x):
    """Used below under another name, to make its definition impossible to find."""
    return x * x


def parse_error(source, name="f", filename="case.py"):
    """The WengertError raised while parsing function `name` of `source`."""
    module = Module(source, filename)
    node = module.function(name)
    assert node is not None
    with pytest.raises(WengertError) as info:
        parse(module, node)
    return info.value


def position_of(source, marker):
    """(line, col, line text) of the only line containing marker."""
    hits = [(number, text) for number, text in enumerate(source.splitlines(), 1) if marker in text]
    assert len(hits) == 1, f"marker {marker!r} must occur on exactly one line"
    number, text = hits[0]
    return number, text.index(marker), text


def assert_located(err, source, marker, filename="case.py"):
    """err points at marker: attributes, the 'FILE:LINE:COL' header, the source line, the caret and a hint."""
    line, col, text = position_of(source, marker)
    assert (err.filename, err.line, err.col) == (filename, line, col), str(err)
    rendered = str(err)
    assert rendered.startswith(f"{filename}:{line}:{col + 1}: error: {err.message}")
    assert f"\n    {text}\n    {' ' * col}^" in rendered
    assert err.hint and f"\n  hint: {err.hint}" in rendered


# (id, function source, the text the error must point at, words the message must contain, function name)
CASES = [
    ("try", "def f(x):\n    try:\n        y = x * 2\n    except ValueError:\n        y = x\n    return y\n",
     "try:", ["try"], "f"),
    ("with", "def f(x):\n    with open('log') as fh:\n        y = x\n    return y\n",
     "with open", ["with"], "f"),
    ("lambda", "def f(x):\n    g = lambda t: t * t\n    return g(x)\n",
     "lambda t", ["lambda"], "f"),
    ("class", "def f(x):\n    class Point:\n        pass\n    return x\n",
     "class Point", ["class"], "f"),
    ("closure", "def f(x):\n    zeta = 2.0\n    def inner(y):\n        return zeta * y\n    return inner(x)\n",
     "zeta * y", ["inner reads zeta", "closure"], "f"),
    ("decorated nested def", "def f(x):\n    @staticmethod\n    def inner(y):\n        return y\n    return x\n",
     "def inner", ["nested function"], "f"),
    ("global", "def f(x):\n    global COUNT\n    return x\n",
     "global COUNT", ["global"], "f"),
    ("nonlocal", "def f(x):\n    def inner(y):\n        nonlocal x\n        return y\n    return inner(x)\n",
     "nonlocal x", ["nonlocal"], "inner"),
    ("yield statement", "def f(x):\n    yield x\n",
     "yield x", ["yield"], "f"),
    ("yield expression", "def f(x):\n    y = yield x\n    return y\n",
     "yield x", ["yield"], "f"),
    ("yield from", "def f(x):\n    yield from x\n    return x\n",
     "yield from", ["yield"], "f"),
    ("*args", "def f(*args):\n    return args[0]\n",
     "args)", ["*args"], "f"),
    ("**kwargs", "def f(x, **options):\n    return x\n",
     "options", ["**kwargs"], "f"),
    ("computed default of a helper", "def g(a, b=np.ones(2)):\n    return a * b\n\ndef f(x):\n    return g(x)\n",
     "np.ones(2)", ["default", "b"], "f"),
    ("item assignment into a view", "def f(x):\n    y = x * 2.0\n    r = y[0:2]\n    r[0] = 1.0\n    return y\n",
     "r[0]", ["may share its memory", "view"], "f"),
    ("item assignment through a second name", "def f(x):\n    y = x\n    y[0] += 1.0\n    return x\n",
     "y[0]", ["may share its memory", "so is x"], "f"),
    ("helper changes its argument", "def h(a):\n    a[0] = 1.0\n    return a[1]\n\ndef f(x):\n    y = x * 2.0\n"
     "    return h(y) + y[0]\n", "a[0]", ["argument a of h", "caller's array"], "f"),
    ("item of a tuple", "def f(x):\n    t = (x, x)\n    t[0] = 1.0\n    return x\n",
     "t[0]", ["tuple"], "f"),
    ("os.system assigned", "def f(x):\n    status = os.system('ls')\n    return x\n",
     "os.system", ["os.system"], "f"),
    ("os.system statement", "def f(x):\n    os.system('ls')\n    return x\n",
     "os.system", ["os.system"], "f"),
    ("print statement", "def f(x):\n    print(x)\n    return x\n",
     "print", ["print"], "f"),
    ("unknown numpy function", "def f(x):\n    return np.unwrap(x) * x\n",
     "np.unwrap", ["unwrap"], "f"),
    ("unknown math function", "def f(x):\n    return math.gamma(x) * x\n",
     "math.gamma", ["gamma"], "f"),
    ("unknown builtin", "def f(x):\n    return hash(x) * x\n",
     "hash", ["hash"], "f"),
    ("call of a call", "def f(x):\n    return np.vectorize(math.sin)(x)\n",
     "np.vectorize", ["call"], "f"),
    ("bare expression", "def f(x):\n    np.sin(x)\n    return x\n",
     "np.sin", ["no effect"], "f"),
    ("unknown name", "def f(x):\n    return x + undefined_thing\n",
     "undefined_thing", ["undefined_thing"], "f"),
    ("string return", "def f(x):\n    return 'done'\n",
     "'done'", ["str"], "f"),
    ("None return", "def f(x):\n    y = x * 2\n    return None\n",
     "None", ["None"], "f"),
    ("bare return", "def f(x):\n    y = x * 2\n    return\n",
     "return", ["return"], "f"),
    ("missing return", "def f(x):\n    y = x * 2\n",
     "def f", ["return"], "f"),
    ("recursion", "def fact(n):\n    return n * fact(n - 1.0)\n",
     "fact(n - 1.0)", ["recursive", "fact"], "fact"),
    ("mutual recursion", "def f(x):\n    return g(x) + 1.0\n\ndef g(x):\n    return f(x) * 2.0\n",
     "f(x) * 2.0", ["recursive", "'f'"], "f"),
    ("import inside", "def f(x):\n    import cmath\n    return x\n",
     "import cmath", ["import"], "f"),
    ("del", "def f(x):\n    y = x\n    del y\n    return x\n",
     "del y", ["del"], "f"),
    ("assert with a computed message", "def f(x):\n    assert x > 0, 'x' * 2\n    return x\n",
     "'x' * 2", ["assert", "message"], "f"),
    ("raise", "def f(x):\n    raise ValueError(x)\n",
     "raise", ["raise"], "f"),
    ("dict comprehension", "def f(x):\n    ys = {k: x * k for k in range(3)}\n    return x\n",
     "{k: x", ["comprehension"], "f"),
    ("dict with a number key", "def f(x):\n    d = {1: x}\n    return x\n",
     "1: x", ["dict", "string"], "f"),
    ("walrus", "def f(x):\n    z = (y := x * 2)\n    return z\n",
     "y :=", ["walrus"], "f"),
    ("shift", "def f(x):\n    return x << 2\n",
     "x << 2", ["LShift"], "f"),
    ("wrong unpack count", "def f(x):\n    a, b = x, x, x\n    return a\n",
     "a, b", ["unpack"], "f"),
    ("helper with wrong arity", "def g(a, b):\n    return a * b\n\ndef f(x):\n    return g(x)\n",
     "g(x)", ["missing", "'b'"], "f"),
    ("helper with too many arguments", "def g(a, b):\n    return a * b\n\ndef f(x):\n    return g(x, x, x)\n",
     "g(x, x, x)", ["2 positional", "got 3"], "f"),
    ("helper with an unknown keyword", "def g(a, b=1.0):\n    return a * b\n\ndef f(x):\n    return g(x, c=2.0)\n",
     "2.0)", ["unexpected keyword", "'c'"], "f"),
    ("indexed None", "def f(x):\n    return x * None[0]\n", "None[0]", ["None", "not an array"], "f"),
    ("indexed number", "def f(x):\n    y = 2.5\n    return x * y[1]\n", "y[1]", ["2.5", "not an array"], "f"),
]


@pytest.mark.parametrize("source, marker, words, name", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_construct_is_rejected_with_location(source, marker, words, name):
    source = HEADER + source
    err = parse_error(source, name)
    for word in words:
        assert word in err.message, str(err)
    assert_located(err, source, marker)


def test_error_through_the_api_names_the_real_file(load_source):
    module = load_source(HEADER + "def f(x):\n    try:\n        y = x\n    except Exception:\n        y = 0.0\n"
                                  "    return y\n")
    with pytest.raises(WengertError) as info:
        wengert.grad(module.f)
    assert info.value.filename == module.__file__
    with open(module.__file__) as fh:
        assert_located(info.value, fh.read(), "try:", filename=module.__file__)


def test_recursion_through_the_api(load_source):
    module = load_source("def fact(n):\n    return n * fact(n - 1.0)\n")
    with pytest.raises(WengertError, match="recursive call to 'fact'") as info:
        wengert.grad(module.fact)
    with open(module.__file__) as fh:
        assert_located(info.value, fh.read(), "fact(n - 1.0)", filename=module.__file__)


@pytest.mark.parametrize("source, line", [
    ("def f(x):\n    return x +\n", 2),
    ("def f(x)\n    return x\n", 1),
    ("def f(x):\n    y = (x * 2\n    return y\n", 2),
    ("def f(x):\nreturn x\n", 2),
])
def test_syntax_error(source, line):
    with pytest.raises(WengertError) as info:
        Module(source, "bad.py")
    err = info.value
    assert "syntax" in err.message or "indent" in err.message
    assert (err.filename, err.line) == ("bad.py", line)
    text = source.splitlines()[line - 1]
    assert 0 <= err.col <= len(text)
    assert f"\n    {text}\n    {' ' * err.col}^" in str(err)
    assert err.hint


def test_missing_file(tmp_path):
    path = str(tmp_path / "missing.py")
    with pytest.raises(WengertError) as info:
        Module.from_file(path)
    assert info.value.filename == path
    assert path in info.value.message
    assert info.value.hint


def test_missing_function_in_a_module():
    assert Module("def f(x):\n    return x\n", "case.py").function("g") is None


def test_function_without_source_file():
    namespace = {}
    exec("def generated_elsewhere(x):\n    return x * x\n", namespace)
    with pytest.raises(WengertError, match="generated_elsewhere") as info:
        wengert.grad(namespace["generated_elsewhere"])
    assert "source" in info.value.message and info.value.hint


def test_builtin_function_is_a_wengert_error():
    with pytest.raises(WengertError, match="not available"):
        wengert.grad(len)


def test_function_whose_definition_cannot_be_found():
    ghost = types.FunctionType(original.__code__, globals(), "ghost")
    with pytest.raises(WengertError, match="'ghost'") as info:
        wengert.grad(ghost)
    assert info.value.filename == __file__ and info.value.line == original.__code__.co_firstlineno
    assert info.value.source_line.startswith("def original(x)")  # where its code starts, not line 0
    assert info.value.hint


def test_error_is_formatted_without_a_source_line():
    err = WengertError("something is wrong", "where.py", 3, 4, "", "do this instead")
    assert str(err) == "where.py:3:5: error: something is wrong\n  hint: do this instead"


# ---- no error without a place (issue #13 item 9): the def, or the statement concerned, never line 0 --------

TWO = "import numpy as np\n\n\ndef two(x):\n    y = x * 2.0\n    return y, x\n"


def test_returning_a_tuple_is_reported_at_the_return(load_source):
    module = load_source(TWO)
    for derive in (wengert.grad, wengert.value_and_grad, wengert.vjp):
        with pytest.raises(WengertError) as info:
            derive(module.two)
        assert "returns 2 values" in info.value.message
        assert_located(info.value, TWO, "return y, x", filename=module.__file__)


@pytest.mark.parametrize("call", [
    lambda f: wengert.grad(f, wrt="z"),
    lambda f: wengert.grad(f, wrt=()),
    lambda f: wengert.grad(f, mode="sideways"),
    lambda f: wengert.hessian(f, wrt=("x", "y")),
    lambda f: wengert.jacobian(f, wrt=("x", "y")),
], ids=["unknown wrt", "empty wrt", "unknown mode", "hessian of two", "jacobian of two"])
def test_api_misuse_is_reported_at_the_def(load_source, call):
    source = "import numpy as np\n\n\ndef f(x, y):\n    return np.sum(x * y)\n"
    module = load_source(source)
    with pytest.raises(WengertError) as info:
        call(module.f)
    assert_located(info.value, source, "def f(x, y):", filename=module.__file__)


def test_an_error_without_a_line_names_the_file_only():
    err = WengertError("cannot read it", "gone.py", 0, 0, "", "give a path")
    assert str(err) == "gone.py: error: cannot read it\n  hint: give a path"


def test_a_generated_error_is_placed_at_the_def_when_nothing_else_is_known():
    from wengert.errors import GENERATED
    err = WengertError("no rule", GENERATED, 0, 0, "", "use hvp").placed("case.py", 0)
    assert err.filename == GENERATED  # no line to give: left for the caller to place
    Module(HEADER + "def f(x):\n    return x\n", "case.py")  # remembered: its lines can be quoted
    err = WengertError("no rule", GENERATED, 0, 0, "", "use hvp").placed("case.py", 5)
    assert (err.filename, err.line, err.col, err.source_line) == ("case.py", 5, 0, "def f(x):")
    assert str(err).startswith("case.py:5:1: error: no rule\n    def f(x):\n    ^")
