"""How the parser reads the NumPy calls of issue 15 whose arguments are not plain values or whose meaning is
another primitive's: literal shapes, repeats, pad widths, split sections and quantiles are checked here;
np.split returns one value per piece; np.take, np.partition, np.rot90, np.rollaxis, np.diagflat and np.trace with
an offset are written with other primitives. tables.py and calls.py merge these tables; the primitives are in
primitives/ (shape, reductions, elementwise, constructors, items).
"""

import ast

from ..primitives.shape import PAD_MODES, SPLITS, along_axis
from ..trace import Const, Value

# np.name -> primitive, read by calls.py's generic call path (value arguments, then literal attributes)
NUMPY = {"numpy.sinc": "sinc", "numpy.cumprod": "cumprod", "numpy.atleast_1d": "atleast_1d",
         "numpy.atleast_2d": "atleast_2d", "numpy.atleast_3d": "atleast_3d", "numpy.hstack": "hstack",
         "numpy.vstack": "vstack", "numpy.row_stack": "vstack", "numpy.dstack": "dstack",
         "numpy.column_stack": "column_stack", "numpy.tri": "tri", "numpy.argpartition": "argpartition",
         "numpy.kron": "kron"}
ATTRS = {"cumprod": (1, ("axis",)), "tri": (1, ("M", "k")), "argpartition": (1, ("kth", "axis"))}
REQUIRED = {"argpartition": ("kth",)}
SEQUENCE_ARGS = {"hstack", "vstack", "dstack", "column_stack"}
SINGLE_AXIS = {"cumprod"}
REDUCING_METHODS = {"cumprod"}
METHODS = {"repeat", "take", "trace"}  # x.name(...) read as np.name(x, ...)
_REQUIRED = object()


def _arguments(p, e, name, params, lib="np"):
    """{parameter: ast node} of the call e of np.<name>(params...) (lib.<name>), bound as NumPy binds them. params:
    (name, default) pairs; a default _REQUIRED must be given. Unknown keywords and missing arguments are located
    errors."""
    names = [n for n, _ in params]
    if len(e.args) > len(params):
        raise p.m.error(e, f"{lib}.{name} takes at most {len(params)} arguments here (got {len(e.args)})",
                        f"its arguments: {', '.join(names)}")
    bound = dict(zip(names, e.args))
    for kw in e.keywords:
        if kw.arg not in names or kw.arg in bound:
            why = "is not supported here" if kw.arg not in names else "is given twice"
            raise p.m.error(kw.value if kw.arg else e, f"keyword {kw.arg!r} of {lib}.{name} {why}",
                            f"its arguments: {', '.join(names)}")
        bound[kw.arg] = kw.value
    for n, default in params:
        if n not in bound:
            if default is _REQUIRED:
                raise p.m.error(e, f"{lib}.{name} needs its argument {n}", f"write {lib}.{name}({', '.join(names[:2])})")
            bound[n] = default
    return bound


def _literal(p, node):
    return node if not isinstance(node, ast.AST) else p.literal(node)


def _integer(p, node, what, allow_none=False):
    v = _literal(p, node)
    if v is None and allow_none or isinstance(v, int) and not isinstance(v, bool):
        return v
    raise p.m.error(node, f"{what}={v!r} is not supported: it must be an integer{' or None' * allow_none}",
                    f"write e.g. {what}=0")


def _integers(p, node, what):
    """An integer or a tuple of integers, literal."""
    v = _literal(p, node)
    items = v if isinstance(v, tuple) else (v,)
    if not items or not all(isinstance(i, int) and not isinstance(i, bool) for i in items):
        raise p.m.error(node, f"{what}={v!r} is not supported: it must be an integer or a tuple of integers",
                        f"write e.g. {what}=2")
    return v


def _shape_value(p, node, env):
    """A shape argument: a literal tuple (an int n means (n,)) or a value like x.shape."""
    v = p.value(node, env, shape=True)
    if isinstance(v, Const) and isinstance(v.value, int) and not isinstance(v.value, bool):
        return Const((v.value,))
    return v


def _broadcast_to(p, e, env):
    a = _arguments(p, e, "broadcast_to", [("array", _REQUIRED), ("shape", _REQUIRED)])
    return p.b.emit("broadcast_to", (p.value(a["array"], env), _shape_value(p, a["shape"], env)))


def _tile(p, e, env):
    a = _arguments(p, e, "tile", [("A", _REQUIRED), ("reps", _REQUIRED)])
    reps = _integers(p, a["reps"], "reps")
    if any(r < 0 for r in (reps if isinstance(reps, tuple) else (reps,))):
        raise p.m.error(a["reps"], f"reps={reps!r} has a negative count", "write counts >= 0")
    return p.b.emit("tile", (p.value(a["A"], env),), {"reps": reps})


def _repeat(p, e, env):
    a = _arguments(p, e, "repeat", [("a", _REQUIRED), ("repeats", _REQUIRED), ("axis", None)])
    repeats = _integers(p, a["repeats"], "repeats")
    if any(r < 0 for r in (repeats if isinstance(repeats, tuple) else (repeats,))):
        raise p.m.error(a["repeats"], f"repeats={repeats!r} has a negative count", "write counts >= 0")
    return p.b.emit("repeat", (p.value(a["a"], env),),
                    {"repeats": repeats, "axis": _integer(p, a["axis"], "axis", allow_none=True)})


def _index_item(p, node, env):
    """(spec item, dynamic values) of np.take's indices: an integer, a literal list, or a value."""
    if isinstance(node, (ast.List, ast.Tuple)):
        values = [_literal(p, v) for v in node.elts]
        if not values or not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            raise p.m.error(node, "np.take's indices must be integers", "write np.take(x, [0, 2])")
        return ("arg", 1), [p.b.emit("index_array", (Const(tuple(values)),))]
    v = p.value(node, env)
    if isinstance(v, Const):
        if not isinstance(v.value, int) or isinstance(v.value, bool):
            raise p.m.error(node, f"np.take's index {v.value!r} is not an integer", "write np.take(x, 2)")
        return ("int", v.value), []
    return ("arg", 1), [v]


def _take(p, e, env):
    """np.take(x, indices, axis): x[..., indices] along axis (x flattened without axis)."""
    a = _arguments(p, e, "take", [("a", _REQUIRED), ("indices", _REQUIRED), ("axis", None)])
    x = p.value(a["a"], env)
    axis = _integer(p, a["axis"], "axis", allow_none=True)
    if axis is None:
        x, axis = p.b.emit("ravel", (x,)), 0
    item, dynamic = _index_item(p, a["indices"], env)
    return p.b.emit("index", (x, *dynamic), {"spec": along_axis(axis, item)})


def _take_along_axis(p, e, env):
    a = _arguments(p, e, "take_along_axis", [("arr", _REQUIRED), ("indices", _REQUIRED), ("axis", -1)])
    return p.b.emit("take_along", (p.value(a["arr"], env), p.value(a["indices"], env)),
                    {"axis": _integer(p, a["axis"], "axis", allow_none=True)})


def _sort(p, e, env):
    a = _arguments(p, e, "sort", [("a", _REQUIRED), ("axis", -1), ("kind", None)])  # kind: the same values
    x, axis = p.value(a["a"], env), _integer(p, a["axis"], "axis", allow_none=True)
    if axis is None:
        x, axis = p.b.emit("ravel", (x,)), -1
    return p.b.emit("sort", (x,), {"axis": axis})


def _partition(p, e, env):
    """np.partition(x, kth, axis): x gathered by np.argpartition's permutation (so the value and its derivative
    come from one and the same arrangement)."""
    a = _arguments(p, e, "partition", [("a", _REQUIRED), ("kth", _REQUIRED), ("axis", -1)])
    x, axis = p.value(a["a"], env), _integer(p, a["axis"], "axis", allow_none=True)
    kth = _integers(p, a["kth"], "kth")
    if axis is None:
        x, axis = p.b.emit("ravel", (x,)), -1
    order = p.b.emit("argpartition", (x,), {"kth": kth, "axis": axis})
    return p.b.emit("take_along", (x, order), {"axis": axis})


def _quantile_call(how):
    def handler(p, e, env):
        params = [("a", _REQUIRED)] + ([] if how == "median" else [("q", _REQUIRED)]) + \
            [("axis", None), ("keepdims", False)]
        a = _arguments(p, e, how, params)
        q = 0.5 if how == "median" else _literal(p, a["q"])
        top = 100 if how == "percentile" else 1
        if not isinstance(q, (int, float)) or isinstance(q, bool) or not 0 <= q <= top:
            raise p.m.error(a["q"], f"q={q!r} is not supported: it must be a number between 0 and {top}",
                            f"write one q per call, e.g. np.{how}(x, {top / 2!r})")
        axis = _integer(p, a["axis"], "axis", allow_none=True)
        keepdims = _literal(p, a["keepdims"])
        if not isinstance(keepdims, bool):
            raise p.m.error(a["keepdims"], "keepdims must be True or False", "write keepdims=True")
        attrs = {"q": q if how != "median" else None, "axis": axis, "keepdims": keepdims or None, "how": how}
        return p.b.emit("quantile", (p.value(a["a"], env),), attrs)
    return handler


def _average(p, e, env):
    a = _arguments(p, e, "average", [("a", _REQUIRED), ("axis", None), ("weights", None), ("returned", False),
                                     ("keepdims", False)])
    if _literal(p, a["returned"]) is not False:
        raise p.m.error(a["returned"], "np.average with returned=True is not supported",
                        "compute the sum of the weights separately with np.sum")
    axis = _literal(p, a["axis"])
    if axis is not None and not (isinstance(axis, int) or isinstance(axis, tuple) and all(
            isinstance(i, int) for i in axis)):
        raise p.m.error(a["axis"], f"axis={axis!r} is not supported", "write e.g. axis=0")
    keepdims = _literal(p, a["keepdims"])
    x = p.value(a["a"], env)
    if a["weights"] is None:
        return p.b.emit("mean", (x,), {"axis": axis, "keepdims": keepdims or None})
    w = p.value(a["weights"], env)
    return p.b.emit("average", (x, w), {"axis": axis, "keepdims": keepdims or None})


def _pad(p, e, env):
    a = _arguments(p, e, "pad", [("array", _REQUIRED), ("pad_width", _REQUIRED), ("mode", "constant"),
                                 ("constant_values", 0)])
    width = _literal(p, a["pad_width"])
    rows = width if isinstance(width, tuple) else (width,)
    flat = [v for row in rows for v in (row if isinstance(row, tuple) else (row,))]
    if not flat or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in flat) or \
            any(isinstance(row, tuple) and len(row) not in (1, 2) for row in rows):
        raise p.m.error(a["pad_width"], f"pad_width={width!r} is not supported",
                        "write an integer, a pair (before, after), or one pair per axis, of counts >= 0")
    mode = _literal(p, a["mode"])
    if mode not in PAD_MODES:
        raise p.m.error(a["mode"], f"mode={mode!r} is not supported", f"use one of {', '.join(PAD_MODES)}")
    value = _literal(p, a["constant_values"])
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise p.m.error(a["constant_values"], "constant_values must be a number literal here",
                        "write np.pad(x, 1, constant_values=0.0)")
    if value and mode != "constant":
        raise p.m.error(a["constant_values"], f"constant_values is read only by mode='constant' (not {mode!r})",
                        "drop constant_values")
    return p.b.emit("pad", (p.value(a["array"], env),), {"pad_width": width, "mode": mode,
                                                         "constant_values": value or None})


def _split_call(how):
    def handler(p, e, env):
        params = [("ary", _REQUIRED), ("indices_or_sections", _REQUIRED)]
        a = _arguments(p, e, how, params + ([("axis", 0)] if how in ("split", "array_split") else []))
        sections = _integers(p, a["indices_or_sections"], "indices_or_sections")
        if isinstance(sections, int) and sections <= 0:
            raise p.m.error(a["indices_or_sections"], f"np.{how} into {sections} pieces is not possible",
                            "give a number of pieces >= 1, or a list of split points")
        axis = _integer(p, a.get("axis", 0), "axis")
        x = p.value(a["ary"], env)
        count = sections if isinstance(sections, int) else len(sections) + 1
        return tuple(p.b.emit("section", (x,), {"how": how, "sections": sections, "i": i, "axis": axis or None})
                     for i in range(count))
    return handler


def _rot90(p, e, env):
    """np.rot90(x, k, axes): flips and a swap of the two axes, as NumPy defines it."""
    a = _arguments(p, e, "rot90", [("m", _REQUIRED), ("k", 1), ("axes", (0, 1))])
    k = _integer(p, a["k"], "k") % 4
    axes = _literal(p, a["axes"])
    if not (isinstance(axes, tuple) and len(axes) == 2 and all(isinstance(i, int) for i in axes)) or \
            axes[0] == axes[1]:
        raise p.m.error(a["axes"], f"axes={axes!r} is not supported: np.rot90 needs two different axes",
                        "write axes=(0, 1)")
    x = p.value(a["m"], env)
    first, second = axes
    if k == 0:
        return x
    if k == 2:
        return p.b.emit("flip", (p.b.emit("flip", (x,), {"axis": first}),), {"axis": second})
    swap = {"axis1": first, "axis2": second}
    if k == 1:
        return p.b.emit("swapaxes_ij", (p.b.emit("flip", (x,), {"axis": second}),), swap)
    return p.b.emit("flip", (p.b.emit("swapaxes_ij", (x,), swap),), {"axis": second})


def _trace(p, e, env):
    """np.trace(x, offset, axis1, axis2): the sum of that diagonal (without them, the trace primitive)."""
    a = _arguments(p, e, "trace", [("a", _REQUIRED), ("offset", 0), ("axis1", 0), ("axis2", 1)])
    offset, axis1, axis2 = (_integer(p, a[n], n) for n in ("offset", "axis1", "axis2"))
    x = p.value(a["a"], env)
    if (offset, axis1, axis2) == (0, 0, 1):
        return p.b.emit("trace", (x,))
    if axis1 == axis2:
        raise p.m.error(e, "np.trace needs two different axes", "write axis1=0, axis2=1")
    diagonal = p.b.emit("diagonal", (x,), {"offset": offset or None, "axis1": axis1, "axis2": axis2})
    return p.b.emit("sum", (diagonal,), {"axis": -1})


def _diagflat(p, e, env):
    a = _arguments(p, e, "diagflat", [("v", _REQUIRED), ("k", 0)])
    return p.b.emit("diag", (p.b.emit("ravel", (p.value(a["v"], env),)),), {"k": _integer(p, a["k"], "k") or None})


CALLS = {"numpy.broadcast_to": _broadcast_to, "numpy.tile": _tile, "numpy.repeat": _repeat, "numpy.take": _take,
         "numpy.take_along_axis": _take_along_axis, "numpy.sort": _sort, "numpy.partition": _partition,
         "numpy.median": _quantile_call("median"), "numpy.percentile": _quantile_call("percentile"),
         "numpy.quantile": _quantile_call("quantile"), "numpy.average": _average, "numpy.pad": _pad,
         "numpy.rot90": _rot90, "numpy.trace": _trace, "numpy.diagflat": _diagflat}
CALLS.update({f"numpy.{how}": _split_call(how) for how in SPLITS})


def _qr(p, e, env):
    """np.linalg.qr(a) (mode 'reduced'): the pair Q, R."""
    a = _arguments(p, e, "linalg.qr", [("a", _REQUIRED), ("mode", "reduced")])
    if _literal(p, a["mode"]) != "reduced":
        raise p.m.error(a["mode"], f"np.linalg.qr with mode={_literal(p, a['mode'])!r} is not supported",
                        "use the default mode='reduced'")
    x = p.value(a["a"], env)
    return p.b.emit("qr_q", (x,)), p.b.emit("qr_r", (x,))


CALLS["numpy.linalg.qr"] = _qr
CONCATENATORS = {"numpy.r_": "r_", "numpy.c_": "c_"}


def concatenator(p, e, env, name):
    """np.r_[a, b] / np.c_[a, b] of arrays and numbers (no slices, no string directives)."""
    items = e.slice.elts if isinstance(e.slice, ast.Tuple) else [e.slice]
    for item in items:
        if isinstance(item, ast.Slice) or isinstance(item, ast.Constant) and isinstance(item.value, str):
            raise p.m.error(item, f"np.{CONCATENATORS[name]}[...] with a slice or a string is not supported",
                            "write np.arange or np.linspace for ranges, np.concatenate for an axis")
    return p.b.emit(CONCATENATORS[name], tuple(p.value(item, env) for item in items))


def method(p, e, name, obj, env):
    """x.repeat(...), x.take(...), x.trace(...): np.name(x, ...)."""
    slot = ast.Name("_wengert_self", ast.Load(), lineno=e.lineno, col_offset=e.col_offset)
    call = ast.Call(e.func, [slot] + e.args, e.keywords, lineno=e.lineno, col_offset=e.col_offset)
    assert isinstance(obj, Value)
    return CALLS[f"numpy.{name}"](p, call, {**env, "_wengert_self": obj})
