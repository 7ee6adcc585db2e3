"""Methods (issue #13 item 8): wengert.grad(model.loss) differentiates a method of a class defined in a file.

self is an input that is read, never differentiated: each attribute the method reads as self.attr becomes a
leading parameter of the generated function, filled in from the instance at every call; self.other(...) calls
of methods of the class are inlined like calls of the file's functions. wrt counts the parameters after self.
"""

import subprocess
import sys

import numpy as np
import pytest

import wengert
from wengert import WengertError
from wengert.cli import main

from conftest import ROOT, run_module_text

MODEL = '''import numpy as np


class Model:
    def __init__(self, W, reg):
        self.W = W
        self.reg = reg

    def predict(self, X):
        return np.tanh(X @ self.W)

    def penalty(self, w):
        return self.reg * np.sum(w ** 2)

    @staticmethod
    def square(t):
        return t * t

    def loss(self, w, X):
        r = self.predict(X) * w
        return np.sum(self.square(r)) + self.penalty(w)


class Sub(Model):
    def predict(self, X):
        return X @ self.W


class Heir(Model):
    pass
'''

REFUSED = [  # (method source, the text the error points at, words of the message)
    ("    def loss(self, w):\n        self.last = w\n        return np.sum(w)\n", "self.last", ["mutates"]),
    ("    def loss(self, w):\n        self.count += 1.0\n        return np.sum(w)\n", "self.count", ["mutates"]),
    ("    def loss(self, w):\n        s = self\n        return np.sum(w)\n", "self\n", ["instance"]),
    ("    def loss(self, w):\n        return np.sum(w) * self.nope(w)\n", "self.nope(w)", ["no method 'nope'"]),
    ("    def loss(self, w):\n        return np.sum(w) * self.helper\n\n    def helper(self):\n        return 1.0\n",
     "self.helper\n", ["is a method"]),
    ("    @classmethod\n    def loss(cls, w):\n        return np.sum(w)\n", "def loss", ["classmethod"]),
    ("    @property\n    def loss(self):\n        return 1.0\n", "def loss", ["property"]),
]


def central(f, x, h=1e-6):
    """d f / d x by central differences, shaped f(x).shape + x.shape."""
    columns = []
    for i in np.ndindex(*x.shape):
        e = np.zeros_like(x)
        e[i] = h
        columns.append((np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * h))
    return np.moveaxis(np.array(columns), 0, -1).reshape(np.shape(columns[0]) + x.shape)


@pytest.fixture
def models(load_source):
    return load_source(MODEL)


@pytest.fixture
def data():
    rng = np.random.default_rng(3)
    return rng.normal(size=(3, 2)), rng.normal(size=(2,)), rng.normal(size=(5, 3))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_bound_method_gradient_matches_central_differences(models, data, mode):
    W, w, X = data
    model = models.Model(W, 0.3)
    expected = central(lambda v: model.loss(v, X), w)
    for wrt in (0, "w", None):  # wrt counts the parameters after self; the default is all of them
        g = wengert.grad(model.loss, wrt=wrt, mode=mode)(w, X)
        np.testing.assert_allclose(g[0] if wrt is None else g, expected, rtol=1e-6, atol=1e-8)
    dX = wengert.grad(model.loss, wrt=1, mode=mode)(w, X)
    np.testing.assert_allclose(dX, central(lambda v: model.loss(w, v), X), rtol=1e-6, atol=1e-8)


def test_attributes_are_read_at_call_time(models, data):
    W, w, X = data
    model = models.Model(W, 0.3)
    g = wengert.grad(model.loss, wrt=0)
    model.reg, model.W = 2.0, W * 0.5
    np.testing.assert_allclose(g(w, X), central(lambda v: model.loss(v, X), w), rtol=1e-6, atol=1e-8)


def test_jvp_vjp_hessian_of_a_method(models, data):
    W, w, X = data
    model = models.Model(W, 0.3)
    expected = central(lambda v: model.loss(v, X), w)
    t = np.array([0.5, -2.0])
    value, dot = wengert.jvp(model.loss, wrt=0)(w, X, t)
    assert value == pytest.approx(model.loss(w, X)) and dot == pytest.approx(expected @ t, rel=1e-6)
    value, pulled = wengert.vjp(model.loss, wrt="w")(w, X, 3.0)
    np.testing.assert_allclose(pulled, 3.0 * expected, rtol=1e-6)
    H = wengert.hessian(model.loss, wrt=0)(w, X)
    grad = wengert.grad(model.loss, wrt=0)
    np.testing.assert_allclose(H, central(lambda v: grad(v, X), w), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_wrt_may_name_an_attribute_of_self(models, data, mode):
    W, w, X = data
    model = models.Model(W, 0.3)

    def with_W(V):
        return models.Model(V, 0.3).loss(w, X)

    dW = wengert.grad(model.loss, wrt="self.W", mode=mode)(w, X)
    np.testing.assert_allclose(dW, central(with_W, W), rtol=1e-6, atol=1e-8)
    dW, dw, dreg = wengert.grad(models.Model.loss, wrt=("self.W", "w", "self.reg"), mode=mode)(model, w, X)
    np.testing.assert_allclose(dw, central(lambda v: model.loss(v, X), w), rtol=1e-6, atol=1e-8)
    assert dreg == pytest.approx(np.sum(w ** 2))
    H = wengert.hessian(model.loss, wrt="self.W")(w, X)
    grad = wengert.grad(models.Model.loss, wrt="self.W")
    np.testing.assert_allclose(H, central(lambda V: grad(models.Model(V, 0.3), w, X), W), rtol=1e-5, atol=1e-7)
    with pytest.raises(WengertError, match="self.W, self.reg"):
        wengert.grad(model.loss, wrt="self.bias")


def test_unbound_method_takes_self_first(models, data):
    W, w, X = data
    model = models.Model(W, 0.3)
    g = wengert.grad(models.Model.loss, wrt="w")
    np.testing.assert_allclose(g(model, w, X), central(lambda v: model.loss(v, X), w), rtol=1e-6, atol=1e-8)
    heir = models.Heir(W, 1.5)  # inherits everything: the same code runs
    np.testing.assert_allclose(g(heir, w, X), central(lambda v: heir.loss(v, X), w), rtol=1e-6, atol=1e-8)
    text = wengert.source(g)
    assert "def loss_grad(self, w, X):" in text and "self.W" in text and "self.reg" in text


def test_staticmethod_is_a_plain_function(models):
    assert wengert.grad(models.Model.square)(3.0) == pytest.approx(6.0)
    assert wengert.grad(models.Model(None, 0.0).square)(-2.0) == pytest.approx(-4.0)


def test_an_overriding_subclass_is_refused_not_miscomputed(models, data):
    """Model.loss inlined Model.predict; a Sub instance calls Sub.predict: a located error, not a wrong number."""
    W, w, X = data
    with pytest.raises(WengertError) as info:
        wengert.grad(models.Model.loss, wrt=0)(models.Sub(W, 0.3), w, X)
    err = info.value
    assert "Sub.predict" in err.message and err.line == MODEL.splitlines().index("    def loss(self, w, X):") + 1
    assert err.source_line.strip() == "def loss(self, w, X):" and err.hint
    with pytest.raises(WengertError, match="Sub.predict"):
        wengert.grad(models.Sub(W, 0.3).loss, wrt=0)(w, X)


def test_missing_attribute_at_call_time(models, data):
    W, w, X = data
    model = models.Model(W, 0.3)
    g = wengert.grad(model.loss, wrt=0)
    del model.reg
    with pytest.raises(WengertError, match=r"reads self\.reg, but the Model instance has no attribute 'reg'"):
        g(w, X)


def test_private_attributes_are_read_under_their_mangled_name(load_source):
    module = load_source("import numpy as np\n\n\nclass C:\n    def __init__(self):\n        self.__k = 3.0\n\n"
                         "    def f(self, x):\n        return self.__k * np.sum(x ** 2)\n")
    assert wengert.grad(module.C().f)(np.array([1.0, 2.0])).tolist() == [6.0, 12.0]


@pytest.mark.parametrize("method, marker, words", REFUSED, ids=[r[1].strip() + "-" + r[2][0] for r in REFUSED])
def test_refused_method_is_located(load_source, method, marker, words):
    source = "import numpy as np\n\n\nclass M:\n" + method
    module = load_source(source)
    with pytest.raises(WengertError) as info:
        wengert.grad(getattr(module.M(), "loss") if "property" not in method else module.M.__dict__["loss"].fget)
    err = info.value
    line = next(i for i, text in enumerate(source.splitlines(), 1) if marker.rstrip("\n") in text
                and (marker.endswith("\n") is False or text.endswith(marker.rstrip("\n"))))
    text = source.splitlines()[line - 1]
    assert (err.filename, err.line, err.col) == (module.__file__, line, text.index(marker.rstrip("\n").strip()
                                                  if marker.startswith("def") else marker.rstrip("\n"))), str(err)
    assert all(word in err.message for word in words) and err.hint, str(err)
    assert "TypeError" not in str(err)


# ---- the command line -----------------------------------------------------------------------------------

def test_cli_grad_of_a_method(tmp_path, capsys, data):
    path = tmp_path / "model.py"
    path.write_text(MODEL)
    for argv in (["--wrt", "w"], ["--wrt", "0", "--shape", "self.W=M,N", "--shape", "X=B,M", "--shape", "w=N"],
                 ["--wrt", "w", "--mode", "forward"]):
        assert main(["grad", f"{path}:Model.loss", *argv]) == 0
        text = capsys.readouterr().out
        loss_grad = run_module_text(text, "loss_grad")
        namespace = {}
        exec(compile(MODEL, str(path), "exec"), namespace)  # the test runs the model; the CLI only read it
        W, w, X = data
        model = namespace["Model"](W, 0.7)
        np.testing.assert_allclose(loss_grad(model, w, X), central(lambda v: model.loss(v, X), w), rtol=1e-6,
                                   atol=1e-8)


def test_cli_grad_by_an_attribute_of_self(tmp_path, capsys, data):
    path = tmp_path / "model.py"
    path.write_text(MODEL)
    assert main(["grad", f"{path}:Model.loss", "--wrt", "self.W", "--shape", "self.W=M,N", "--shape", "X=B,M",
                 "--shape", "w=N"]) == 0
    loss_grad = run_module_text(capsys.readouterr().out, "loss_grad")
    namespace = {}
    exec(compile(MODEL, str(path), "exec"), namespace)
    W, w, X = data
    Model = namespace["Model"]
    np.testing.assert_allclose(loss_grad(Model(W, 0.7), w, X), central(lambda V: Model(V, 0.7).loss(w, X), W),
                               rtol=1e-6, atol=1e-8)


def test_cli_never_runs_the_file(tmp_path, capsys):
    path = tmp_path / "model.py"
    path.write_text("import numpy as np\nraise SystemExit('executed!')\n\n\nclass M:\n"
                    "    def f(self, x):\n        return np.sum(self.a * x)\n")
    assert main(["grad", f"{path}:M.f"]) == 0
    assert "def f_grad(self, x):" in capsys.readouterr().out


@pytest.mark.parametrize("target, argv, words, marker", [
    ("Model.nope", [], "class Model has no method 'nope'", "class Model:"),
    ("Model.loss", ["--wrt", "self"], "wrt='self' is not a parameter", "def loss(self, w, X):"),
    ("Mutating.loss", [], "mutates the instance", "self.w = w"),
])
def test_cli_refusals_are_located_with_status_2(tmp_path, target, argv, words, marker):
    path = tmp_path / "model.py"
    source = MODEL + "\n\nclass Mutating:\n    def loss(self, w):\n        self.w = w\n        return np.sum(w)\n"
    path.write_text(source)
    line, text = next((i, t) for i, t in enumerate(source.splitlines(), 1) if marker in t)
    line = f"{line}:{text.index(marker) + 1}"
    run = subprocess.run([sys.executable, "-m", "wengert", "grad", f"{path}:{target}", *argv],
                         capture_output=True, text=True, env={"PYTHONPATH": str(ROOT / "src")})
    assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr
    assert run.stderr.startswith(f"{path}:{line}:") and words in run.stderr and "hint:" in run.stderr, run.stderr


def test_cli_shape_of_an_unknown_attribute_says_what_to_give(tmp_path, capsys):
    path = tmp_path / "model.py"
    path.write_text(MODEL)
    assert main(["grad", f"{path}:Model.loss", "--shape", "self.Q=3"]) == 2
    err = capsys.readouterr().err
    assert "self.W" in err and "self.reg" in err and "Traceback" not in err
