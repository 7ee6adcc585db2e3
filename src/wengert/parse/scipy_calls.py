"""How the parser reads scipy.special (an optional extra; the primitives are in primitives/special.py), however
it is imported: ``from scipy.special import expit``, ``import scipy.special as sc``, ``from scipy import special``.
parse/tables.py and parse/calls.py merge these tables; a scipy.special function not listed here is a located error."""

from .numpy_calls import _REQUIRED, _arguments, _integer, _literal

# scipy.special.name -> primitive, read by the generic call path of parse/calls.py (value arguments only)
FUNCTIONS = {f"scipy.special.{n}": n for n in ("expit", "log_expit", "gammaln", "erf", "erfc", "xlogy", "xlog1py",
                                                 "log1p", "expm1", "exp2")}
MATH = {"math.erf": "erf", "math.erfc": "erfc", "math.lgamma": "gammaln"}
LIB = "scipy.special"


def _axis(p, node):
    """An integer, a tuple of integers, or None."""
    v = _literal(p, node)
    items = v if isinstance(v, tuple) else (v,)
    if v is not None and not all(isinstance(i, int) and not isinstance(i, bool) for i in items):
        raise p.m.error(node, f"axis={v!r} is not supported: it must be an integer, a tuple of integers or None",
                        "write e.g. axis=-1")
    return v


def _softmax_call(name):
    def handler(p, e, env):
        a = _arguments(p, e, name, [("x", _REQUIRED), ("axis", None)], LIB)
        return p.b.emit(name, (p.value(a["x"], env),), {"axis": _axis(p, a["axis"])})
    return handler


def _logsumexp(p, e, env):
    a = _arguments(p, e, "logsumexp", [("a", _REQUIRED), ("axis", None), ("b", None), ("keepdims", False),
                                       ("return_sign", False)], LIB)
    if _literal(p, a["return_sign"]) is not False:
        raise p.m.error(a["return_sign"], "scipy.special.logsumexp with return_sign=True is not supported",
                        "keep the weights b= nonnegative and drop return_sign")
    keepdims = _literal(p, a["keepdims"])
    if not isinstance(keepdims, bool):
        raise p.m.error(a["keepdims"], "keepdims must be True or False", "write keepdims=True")
    weights = () if a["b"] is None else (p.value(a["b"], env),)
    return p.b.emit("logsumexp", (p.value(a["a"], env), *weights),
                    {"axis": _axis(p, a["axis"]), "keepdims": keepdims or None})


def _digamma(name):
    def handler(p, e, env):
        a = _arguments(p, e, name, [("x", _REQUIRED)], LIB)
        return p.b.emit("polygamma", (p.value(a["x"], env),), {"n": 0})
    return handler


def _polygamma(p, e, env):
    a = _arguments(p, e, "polygamma", [("n", _REQUIRED), ("x", _REQUIRED)], LIB)
    n = _integer(p, a["n"], "n")
    if n < 0:
        raise p.m.error(a["n"], f"n={n} is not supported: the order must be an integer >= 0", "write e.g. n=1")
    return p.b.emit("polygamma", (p.value(a["x"], env),), {"n": n})


CALLS = {"scipy.special.softmax": _softmax_call("softmax"), "scipy.special.log_softmax": _softmax_call("log_softmax"),
         "scipy.special.logsumexp": _logsumexp, "scipy.special.digamma": _digamma("digamma"),
         "scipy.special.psi": _digamma("psi"), "scipy.special.polygamma": _polygamma}
SUPPORTED = sorted(name.rsplit(".", 1)[1] for name in [*FUNCTIONS, *CALLS])


def unsupported_hint(dotted):
    """The hint of the error for a scipy.special function wengert does not read, or None for other names."""
    if not dotted.startswith("scipy."):
        return None
    return (f"wengert reads these scipy.special functions: {', '.join(SUPPORTED)}; for another, declare it "
            "with @wengert.primitive and give its derivative rule (defvjp/defjvp)")
