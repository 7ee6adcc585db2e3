"""wengert: source-to-source automatic differentiation for NumPy.

    import wengert
    df = wengert.grad(f)             # reverse mode; plain NumPy source underneath
    print(wengert.source(df))
"""

from .api import grad, value_and_grad, jvp, vjp, source, generate
from .errors import WengertError

__all__ = ["grad", "value_and_grad", "jvp", "vjp", "source", "generate", "WengertError"]
__version__ = "0.1.0"
