"""Control flow support: the stack that carries values from a loop's forward sweep to its reverse sweep, and
the rows a loop collects (accumulate.py)."""

import numpy as np

from .core import defprim, helper


# ---- the stack that carries values from a loop's forward sweep to its reverse sweep ------------------

def _push_src(stack, *values):
    return f"{stack}.append({values[0] if len(values) == 1 else '(' + ', '.join(values) + ')'})"


defprim("new_stack", "[]", effect=True, statement_value=True, sympy=lambda: [])
defprim("push", _push_src, effect=True, sympy=lambda stack, *values: stack.append(values[0] if len(values) == 1
                                                                                  else tuple(values)))
defprim("pop", "{0}.pop()", effect=True, statement_value=True, sympy=lambda stack: stack.pop())


# ---- what a loop collects to sum outer products after it (accumulate.py) -----------------------------------

helper('''
def _rows(vectors):
    """Equally long vectors as the rows of a matrix, in their own array library (np.stack dispatches to Dask)."""
    if set(map(type, vectors)) == {np.ndarray}:
        return np.array(vectors)  # NumPy's fast path
    return np.stack(vectors)
''')
defprim("clear", "{0}.clear()", effect=True, sympy=lambda vectors: vectors.clear())  # after their product
defprim("rows", "_rows({0})", sympy=lambda vectors: np.array(vectors, dtype=object))
