"""wengert: source-to-source automatic differentiation for NumPy.

    import wengert
    df = wengert.grad(f)             # reverse mode; plain NumPy source underneath
    print(wengert.source(df))
"""

from .api import grad, value_and_grad, jvp, vjp, hessian, hvp, jacobian, source, generate
from .errors import WengertError
from .table import Table, trace
from .sympy_check import check, CheckFailed
from .graph import graph
from .custom import primitive

__all__ = ["grad", "value_and_grad", "jvp", "vjp", "hessian", "hvp", "jacobian", "source", "generate", "WengertError", "trace", "Table", "check", "CheckFailed", "primitive"]
__version__ = "0.1.0"
