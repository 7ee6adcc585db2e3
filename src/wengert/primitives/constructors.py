"""Arrays built from shapes or other arrays' shapes: no derivative flows through them."""

import numpy as np

from .. import shapes
from .core import PRIMS, nondiff


zeros = nondiff("zeros", "np.zeros({0})", lambda s: np.zeros(s, dtype=object) * 0,
                lambda s: shapes.from_literal(s[1]) if isinstance(s, tuple) and s[:1] == ("const",) else
                (None,) if s == shapes.SCALAR else None)  # np.zeros(n): a vector
ones = nondiff("ones", "np.ones({0})", lambda s: np.ones(s, dtype=object),
               lambda s: shapes.from_literal(s[1]) if isinstance(s, tuple) and s[:1] == ("const",) else
                (None,) if s == shapes.SCALAR else None)  # np.zeros(n): a vector
eye = nondiff("eye", "np.eye({0})", lambda n: np.eye(n, dtype=int).astype(object))
zeros_like_ = nondiff("zeros_like", "np.zeros_like({0})", lambda a: np.zeros_like(np.asarray(a), dtype=object) * 0,
                      lambda a: a)
ones_like = nondiff("ones_like", "np.ones_like({0})", lambda a: np.ones_like(np.asarray(a), dtype=object),
                    lambda a: a)

eye_like = nondiff("eye_like", "np.eye(*np.shape({0}))", lambda a: np.eye(*np.shape(a), dtype=int).astype(object),
                   lambda a: a)


for _name in ("zeros_like", "ones_like", "eye_like"):
    PRIMS[_name].shape_args = (0,)
