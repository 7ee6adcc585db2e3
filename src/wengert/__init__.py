"""wengert: source-to-source automatic differentiation for NumPy.

    import wengert
    df = wengert.grad(f)             # reverse mode; plain NumPy source underneath
    print(wengert.source(df))
"""

from .api import grad, value_and_grad, jvp, vjp, hessian, hvp, jacobian, source, generate
from .errors import WengertError
from .table import Table, trace
from .graph import graph
from .custom import primitive

__all__ = ["grad", "value_and_grad", "jvp", "vjp", "hessian", "hvp", "jacobian", "source", "generate", "WengertError", "trace", "Table", "check", "CheckFailed", "primitive"]
__version__ = "0.1.0"


def __getattr__(name):
    """check and CheckFailed load SymPy (a second or so): imported when first used, not with wengert."""
    if name in ("check", "CheckFailed"):
        from . import sympy_check
        return getattr(sympy_check, name)
    raise AttributeError(f"module 'wengert' has no attribute {name!r}")
