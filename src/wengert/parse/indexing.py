"""Indexing: x[i], slices, fancy and boolean indices, np.nonzero's results, and the items of records (dicts).
"""

import ast

from ..trace import Const
from . import numpy_calls
from .expressions import Record


class Indexing:
    """The Parser's x[...]: basic, fancy and boolean indices, and items of tuples and dicts."""

    def nonzero_item(self, index, nonzero):
        """np.nonzero(m)[k]: the positions of m's nonzero entries along axis k."""
        if not (isinstance(index, ast.Constant) and type(index.value) is int and index.value >= 0):
            raise self.m.error(index, "np.nonzero(m) can only be indexed by a non-negative integer literal here",
                               "write np.nonzero(m)[0], or unpack it: rows, cols = np.nonzero(m)")
        return self.b.emit("nonzero", (nonzero.mask,), {"axis": index.value})

    def nonzero_mask(self, nonzero):
        """x[np.nonzero(m)] selects what x[m != 0] selects (the same positions, in the same order)."""
        return self.b.emit("not_equal", (nonzero.mask, Const(0)))

    def record_item(self, e, record):
        index = e.slice
        if not (isinstance(index, ast.Constant) and isinstance(index.value, str)):
            raise self.m.error(index, "a dict can only be read with a string literal key here",
                               "write d[\"a\"]; to choose at run time, use a tuple or an array")
        if index.value not in record:
            raise self.m.error(index, f"the dict has no key {index.value!r} (its keys: "
                               f"{', '.join(map(repr, record))})", "read one of its keys")
        return record[index.value]

    def expr_Subscript(self, e, env):
        if self.dotted(e.value) in numpy_calls.CONCATENATORS:
            return numpy_calls.concatenator(self, e, env, self.dotted(e.value))
        base = self.expr(e.value, env)
        if isinstance(base, Record):
            return self.record_item(e, base)
        if isinstance(base, Nonzero):
            return self.nonzero_item(e.slice, base)
        index = e.slice
        if isinstance(base, tuple):
            if isinstance(index, ast.Constant) and isinstance(index.value, int):
                if not -len(base) <= index.value < len(base):
                    raise self.m.error(e, f"tuple index {index.value} is out of range (the tuple has "
                                       f"{len(base)} items)", "index within the tuple")
                return base[index.value]
            if isinstance(index, (ast.Slice, ast.Tuple)) or any(isinstance(v, tuple) for v in base):
                raise self.m.error(e, "a tuple can only be indexed by an integer", "write t[0], t[i], ...")
            # t[i] with an integer i known at run time: the items as an array (np.stack), and its item i
        value = self.as_value(base, e.value)
        if isinstance(value, Const) and (value.value is None or isinstance(value.value, (bool, int, float))):
            raise self.m.error(e, f"{value.value!r} cannot be indexed: it is not an array",
                               "index an array (a parameter or a variable holding one)")
        items = index.elts if isinstance(index, ast.Tuple) else [index]
        spec, dynamic = [], []
        for item in items:
            spec.append(self.index_item(item, env, dynamic, sole=len(items) == 1))
        return self.b.emit("index", (value,) + tuple(dynamic), {"spec": tuple(spec)})

    def index_item(self, item, env, dynamic, sole=False):
        """One entry of an index spec: ("int", k), ("slice", lower, upper, step), ("newaxis",), ("ellipsis",), or
        ("arg", j) for the value computed at run time that is appended to dynamic as the j-th (an integer, an
        integer array or a mask); a slice bound is an int, None or ("arg", j). sole: item is the whole index."""

        def bound(x):
            if x is None:
                return None
            v = self.expr(x, env)
            if isinstance(v, Nonzero):
                if sole is False:
                    raise self.m.error(x, "np.nonzero(m) is supported as the whole index only",
                                       "write x[np.nonzero(m)] or index with np.nonzero(m)[0]")
                v = self.nonzero_mask(v)
            v = self.as_value(v, x, shape=True)
            if isinstance(v, Const) and isinstance(v.value, int):
                return v.value
            dynamic.append(v)
            return ("arg", len(dynamic))

        if isinstance(item, ast.Slice):
            sole = False
            return ("slice", bound(item.lower), bound(item.upper), bound(item.step))
        if isinstance(item, ast.Constant) and item.value is None:
            return ("newaxis",)
        if isinstance(item, ast.Constant) and item.value is Ellipsis:
            return ("ellipsis",)
        if self.dotted(item) == "numpy.newaxis":
            return ("newaxis",)
        if isinstance(item, ast.List):  # x[[0, 2]]: an integer array (a tuple would index several axes)
            value = self.expr(item, env)
            if not value or not all(isinstance(v, Const) and type(v.value) in (int, bool) for v in value):
                raise self.m.error(item, "a list index must hold integer (or bool) literals",
                                   "write x[[0, 2]], or index with an integer array")
            dynamic.append(self.b.emit("index_array", (Const(tuple(v.value for v in value)),)))
            return ("arg", len(dynamic))
        v = bound(item)
        if isinstance(v, int):
            return ("int", v)
        if v is None:
            raise self.m.error(item, "this index is not supported", "index with integers, slices, None, "
                               "integer arrays or boolean masks")
        return v


class Nonzero:
    """The value of np.nonzero(m): a tuple of index arrays, one per axis of m, whose number (m's rank) may be
    known only at run time. Item k is an op; as an index it selects what the mask m != 0 selects."""

    def __init__(self, mask, node):
        self.mask, self.node = mask, node
