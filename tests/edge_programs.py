"""Programs and points at the edges of the subset, where the smooth random programs never go (issue #13,
"never a silent wrong derivative").

Four construct families, each program tagged with its family:

* ``gather``: integer-array index arguments with repeats (and negative indices that alias positive
  ones), passed as parameters that are not differentiated: 1-D gathers ``x[idx]``, row gathers
  ``X[idx, :]`` / ``X[idx]``, column gathers ``X[:, idx]``, embedding lookups ``W[tokens]``;
* ``tuple``: tuple (and list) literals in array positions: ``np.sum((x, 3.0 * x))``,
  ``np.max((x, 2.0 * x))``, ``np.dot((x, x), (1.0, 2.0))``, ``np.linalg.norm((x, x + 2))``, ...
  wengert may refuse these with a located WengertError (counted as "refused"), never give a wrong number;
* ``guarded``: np.where / np.maximum / np.minimum / np.clip / if-branches whose untaken side is
  non-finite or undefined at the point: ``np.where(x > 0, np.sqrt(x), 0.0)`` at x <= 0, ...;
* ``assign``: item assignment into a new array or a parameter: y[i] = e, y[i] += e, slices, masks,
  an integer-array index argument with repeats (NumPy keeps the last write) and loops whose passes
  overwrite and read what earlier passes wrote;
* ``kink``: abs, relu, maximum/minimum, max/min reductions, clip, sqrt, norm and power at their kinks,
  ties, bounds and zeros.

Each drawn point is tagged with its kind: ``smooth`` (away from every kink: central differences are
a reference), ``repeat`` / ``alias`` (gathers with repeated or aliasing indices: smooth too),
``untaken`` (the other side of a guard is non-finite there, but the point is inside a smooth region),
and the non-smooth kinds ``zero``, ``kink``, ``tie`` and ``bound``, where central differences are no
reference. Where the documented convention (the midpoint of the Clarke subdifferential: |x|'(0) = 0,
ties of max/maximum/min split equally, clip' = 1/2 on a bound, relu'(0) = 1/2, norm'(0) = 0,
d/dy 0**y = 0 for y > 0, d/dx x**0 = 0) or plain calculus determines the gradient, a template carries
a NumPy *reference* gradient, valid at every point it draws, smooth or not; templates without one
(compositions such as sqrt(x * x) at 0, whose value at a kink no convention fixes) are checked for
agreement between the modes only.

Everything is drawn from a random.Random, like tests/strategies.py.
"""

import math
from dataclasses import dataclass, field

import numpy as np

FAMILIES = ("general", "gather", "tuple", "guarded", "kink", "assign")
POINT_KINDS = ("smooth", "repeat", "alias", "untaken", "zero", "kink", "tie", "bound")
FD_KINDS = frozenset({"smooth", "repeat", "alias", "untaken"})  # central differences are a reference there
AVOID = 0.05  # smooth draws stay this far from every kink, tie and bound (finite-difference steps are ~3e-3)


@dataclass
class Point:
    """Argument values (in parameter order) and the kind of point they are."""

    kind: str
    args: tuple


@dataclass
class Edge:
    """What an edge program adds to a Program: how to draw points, and the convention gradient."""

    kinds: tuple                    # the point kinds this program draws from
    draw: object                    # draw(rng, kind) -> dict name -> value
    reference: object = None        # reference(values dict) -> dict wrt name -> gradient, or None
    refusable: bool = False         # a located WengertError is an acceptable outcome
    template: str = ""              # the template's name (for the report)
    extra: dict = field(default_factory=dict)


# ---- values ------------------------------------------------------------------------------------------

def _uniform(rng, low, high, avoid=()):
    """A number in [low, high] rounded to 3 decimals, at least AVOID from every value in avoid."""
    for _ in range(1000):
        v = round(rng.uniform(low, high), 3)
        if all(abs(v - a) >= AVOID for a in avoid):
            return v
    raise AssertionError(f"no value in [{low}, {high}] away from {avoid}")


def _fill(rng, shape, low, high, avoid=()):
    if shape == "float":
        return _uniform(rng, low, high, avoid)
    return np.array([_uniform(rng, low, high, avoid) for _ in range(math.prod(shape))], dtype=float).reshape(shape)


def _plant(rng, value, special, everywhere=False):
    """value with a random nonempty subset of its entries (all of them if everywhere) set to special,
    which is a number or a function rng -> number."""
    pick = special if callable(special) else (lambda r: special)
    if not isinstance(value, np.ndarray):
        return float(pick(rng))
    out = value.copy()
    flat = out.reshape(-1)
    chosen = range(flat.size) if everywhere else rng.sample(range(flat.size), rng.randint(1, flat.size))
    for k in chosen:
        flat[k] = pick(rng)
    return out


def _as_array(v):
    return np.asarray(v, dtype=float)


def _unbroadcast(g, shape):
    """Sum a gradient over the axes a parameter of this shape was broadcast along."""
    g = np.asarray(g, dtype=float)
    if shape == "float":
        return float(np.sum(g))
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for axis, n in enumerate(shape):
        if n == 1 and g.shape[axis] != 1:
            g = g.sum(axis=axis, keepdims=True)
    return np.broadcast_to(g, shape).copy()


# ---- the outer function every edge expression is wrapped in ------------------------------------------
# Its derivative is never zero, so a convention gradient of the inner value stays determined after it.

OUTERS = [("{v}", lambda v: 1.0), ("np.sin({v}) + 0.25 * {v}", lambda v: math.cos(v) + 0.25),
          ("np.tanh({v})", lambda v: 1.0 - math.tanh(v) ** 2), ("2.0 * {v} - 1.0", lambda v: 2.0)]


@dataclass
class EdgeProgram:
    """The parts random_edge_program returns; strategies.Program is built from them."""

    family: str
    template: str
    source: str
    params: list
    shapes: list          # "float", a tuple (a float array) or ("int", shape) for an index argument
    wrt: list
    edge: Edge
    size: int


def _module(params, lines, outer):
    body = "".join(f"    {line}\n" for line in lines)
    scipy = "import scipy.special\n" if "scipy." in body else ""
    return (f"import math\n\nimport numpy as np\n{scipy}\n\ndef prog({', '.join(params)}):\n{body}"
            f"    return {outer.format(v='v')}\n")


def _inner_function(params, lines):
    """The inner value v as a plain Python function (for the reference gradient's outer factor)."""
    text = f"def _inner({', '.join(params)}):\n" + "".join(f"    {line}\n" for line in lines) + "    return v\n"
    namespace = {"np": np, "math": math}
    if "scipy." in text:
        import scipy.special
        namespace["scipy"] = scipy
    exec(text, namespace)
    return namespace["_inner"]


def _wrapped_reference(params, shapes, lines, outer_d, inner_reference, wrt):
    """reference(values) = outer'(v) * the inner reference, summed to each parameter's shape."""
    inner = _inner_function(params, lines)

    def reference(values):
        with np.errstate(all="ignore"):
            v = float(inner(*(values[p] for p in params)))
            partials = inner_reference({p: (v_ if isinstance(v_, np.ndarray) else np.float64(v_))
                                        for p, v_ in values.items()})
            factor = outer_d(v)
            return {p: _unbroadcast(factor * np.asarray(partials[p], dtype=float), shapes[params.index(p)])
                    for p in wrt}
    return reference


# =====================================================================================================
# gather: integer index arguments with repeats
# =====================================================================================================

GATHER_H = [("{t} ** 2", lambda t: 2 * t), ("np.tanh({t})", lambda t: 1 - np.tanh(t) ** 2),
            ("np.sin({t}) * {t}", lambda t: np.sin(t) + t * np.cos(t)),
            ("np.exp(-{t} * {t})", lambda t: -2 * t * np.exp(-t * t)), ("3.0 * {t}", lambda t: 3.0 + 0 * t)]


def _indices(rng, n, shape, kind):
    """An int64 index array of this shape into an axis of length n: distinct entries (smooth), with at
    least one repeat (repeat), or with a negative index aliasing a positive one (alias)."""
    size = math.prod(shape)
    if kind == "smooth":
        size = min(size, n)  # the caller sized shape so that distinct indices fit
        return np.array(rng.sample(range(n), size), dtype=np.int64).reshape(shape)
    while True:
        flat = [rng.randrange(n) for _ in range(size)]
        if kind == "alias":
            k = rng.randrange(size)
            j = rng.choice([i for i in range(size) if i != k]) if size > 1 else k
            flat[j] = flat[k] - n  # the same element, spelled negatively
            if j == k:
                flat[k] -= n
        if kind == "alias" or len(set(flat)) < len(flat):
            return np.array(flat, dtype=np.int64).reshape(shape)


def _gather(rng):
    form = rng.choice(["vec", "row", "rows", "embed", "column"])
    h_text, h_d = rng.choice(GATHER_H)
    reduce = rng.choice(["np.sum", "np.sum", "np.mean"])
    n = rng.randint(2, 4)
    d = rng.randint(1, 3)
    kinds = ("repeat", "repeat", "alias", "smooth")
    if form == "vec":
        params, shapes, gathered = ["x", "idx"], [(n,), None], "x[idx]"
    elif form == "row":
        params, shapes, gathered = ["X", "idx"], [(n, d), None], "X[idx, :]"
    elif form == "rows":
        params, shapes, gathered = ["X", "idx"], [(n, d), None], "X[idx]"
    elif form == "column":
        params, shapes, gathered = ["X", "idx"], [(d, n), None], "X[:, idx]"
    else:
        params, shapes, gathered = ["W", "tokens"], [(n, d), None], "W[tokens]"
    table = params[0]
    index_shape = (rng.randint(2, 2 * n),) if form != "embed" else (rng.randint(1, 3), rng.randint(2, 3))
    shapes[1] = ("int", index_shape)
    extra = rng.random() < 0.3  # the table is also used directly: its two gradients add up
    lines = [f"t = {gathered}", f"v = {reduce}({h_text.format(t='t')})"]
    if extra:
        lines.append(f"v = v + 0.5 * np.sum({table} * {table})")

    def draw(rng, kind):
        values = {table: _fill(rng, shapes[0], -1.5, 1.5)}
        shape = index_shape if kind != "smooth" else ((min(index_shape[0], n),) if form != "embed"
                                                      else (1, min(index_shape[1], n)))
        values[params[1]] = _indices(rng, n, shape, kind)
        return values

    def inner_reference(values):
        x, idx = values[table], values[params[1]]
        t = x[:, idx] if form == "column" else x[idx]
        dt = h_d(t) / (t.size if reduce == "np.mean" else 1)
        g = np.zeros_like(x)
        if form == "column":
            np.add.at(g, (slice(None), idx), dt)
        else:
            np.add.at(g, idx, dt)
        if extra:
            g = g + x
        return {table: g}

    # a column gather is outside what the issue asked for: a located refusal is fine there
    return params, shapes, [table], lines, kinds, draw, inner_reference, form == "column", f"gather_{form}"


# =====================================================================================================
# tuple: tuple and list literals in array positions
# =====================================================================================================

TUPLE_ITEMS = [("x", 1.0, 0.0), ("3.0 * x", 3.0, 0.0), ("2.0 * x", 2.0, 0.0), ("x + 2", 1.0, 2.0),
               ("-x", -1.0, 0.0), ("0.5 * x - 1.0", 0.5, -1.0), ("x + 1.0", 1.0, 1.0)]
TUPLE_REDUCERS = ["sum", "mean", "max", "min", "exp", "norm", "dot", "tanh", "stack_sum"]


def _tuple(rng):
    reducer = rng.choice(TUPLE_REDUCERS)
    scalar = reducer == "dot" and rng.random() < 0.6 or rng.random() < 0.4
    shape = "float" if scalar else (rng.randint(1, 3),)
    k = rng.choice([2, 2, 3])
    pool = TUPLE_ITEMS if not (reducer == "norm" and rng.random() < 0.5) else [i for i in TUPLE_ITEMS if i[2] == 0]
    items = [rng.choice(pool) for _ in range(k)]
    listy = rng.random() < 0.2
    literal = ("[{}]" if listy else "({})").format(", ".join(t for t, _, _ in items) + ("," if k == 1 else ""))
    coeffs = [rng.choice([1.0, 2.0, -0.5, 0.25]) for _ in range(k)]
    const = "({})".format(", ".join(repr(c) for c in coeffs))
    text = {"sum": f"np.sum({literal})", "mean": f"np.mean({literal})", "max": f"np.max({literal})",
            "min": f"np.min({literal})", "exp": f"np.sum(np.exp({literal}))", "norm": f"np.linalg.norm({literal})",
            "dot": f"np.dot({literal}, {const})" if scalar else f"np.sum(np.dot({const}, {literal}))",
            "tanh": f"np.sum(np.tanh({literal}))", "stack_sum": f"np.sum(np.stack({literal}) * 1.5)"}[reducer]
    lines = [f"v = {text}"]
    # tie points: x where two items with different slopes are equal, exactly in floating point
    ties = []
    for (t1, a1, b1) in items:
        for (t2, a2, b2) in items:
            if a1 != a2:
                x = (b2 - b1) / (a1 - a2)
                if eval(t1, {"x": x}) == eval(t2, {"x": x}):
                    ties.append(x)
    kinds = ["smooth", "smooth"]
    if reducer in ("max", "min") and ties:
        kinds += ["tie", "tie"]
    if reducer == "norm" and all(b == 0 for _, _, b in items):
        kinds += ["zero", "zero"]
    avoid = tuple(ties) + (0.0,)

    def draw(rng, kind):
        x = _fill(rng, shape, -1.5, 1.5, avoid)
        if kind == "tie":
            x = _plant(rng, x, rng.choice(ties))
        elif kind == "zero":
            x = _plant(rng, x, 0.0, everywhere=True)
        return {"x": x}

    def inner_reference(values):
        x = _as_array(values["x"])
        vals = np.stack([a * x + b for _, a, b in items])
        slopes = np.array([a for _, a, _ in items]).reshape((k,) + (1,) * x.ndim)
        if reducer == "sum":
            g = np.sum(slopes * np.ones_like(vals), axis=0)
        elif reducer == "stack_sum":
            g = 1.5 * np.sum(slopes * np.ones_like(vals), axis=0)
        elif reducer == "mean":
            g = np.sum(slopes * np.ones_like(vals), axis=0) / vals.size
        elif reducer in ("max", "min"):
            best = vals.max() if reducer == "max" else vals.min()
            hit = vals == best
            g = np.sum(slopes * hit, axis=0) / hit.sum()
        elif reducer == "exp":
            g = np.sum(slopes * np.exp(vals), axis=0)
        elif reducer == "tanh":
            g = np.sum(slopes * (1 - np.tanh(vals) ** 2), axis=0)
        elif reducer == "norm":
            norm = np.sqrt(np.sum(vals * vals))
            g = np.sum(slopes * vals, axis=0) / norm if norm > 0 else np.zeros_like(x)
        else:  # dot
            c = np.array(coeffs).reshape(slopes.shape)
            g = np.sum(c * slopes * np.ones_like(vals), axis=0)
        return {"x": g}

    return ["x"], [shape], ["x"], lines, tuple(kinds), draw, inner_reference, True, f"tuple_{reducer}"


# =====================================================================================================
# guarded and kink: elementwise templates
# =====================================================================================================
# (name, family, expression or statement lines over x (and y), parameter specs, kinds and how to plant
# them, reference partials or None). Specs: "num" (a float or an array), "arr" (an array: 1 / 0.0 raises on a
# Python float), "vec" (an array of >= 2 entries), "mat", "float", "same" (the first parameter's shape). Domains are (low, high, avoid) for smooth draws; a kind maps to (parameter, special,
# everywhere) or to a function (rng, values) -> values.

def _w(cond, a, b):
    return np.where(cond, a, b)


def _tie_with(name, other):
    """Kind 'tie': some entries of `name` set equal to the same entries of `other`."""
    def plant(rng, values):
        x, y = values[other], values[name]
        if not isinstance(y, np.ndarray):
            values[name] = float(np.ravel(x)[0]) if isinstance(x, np.ndarray) else x
            return values
        y = y.copy()
        xs = np.broadcast_to(x, y.shape)
        chosen = rng.sample(range(y.size), rng.randint(1, y.size))
        for k in chosen:
            y.reshape(-1)[k] = xs.reshape(-1)[k]
        values[name] = y
        return values
    return plant


def _tie_max(name, axis=None, smallest=False):
    """Kind 'tie': the extreme entry (per slice along axis) copied to other entries."""
    def plant(rng, values):
        x = values[name]
        moved = (np.moveaxis(x, axis, -1) if axis is not None else x.reshape(1, -1)).copy()
        for row in moved.reshape(-1, moved.shape[-1]):  # views of the contiguous copy: rows change in place
            if axis is not None and rng.random() < 0.3:
                continue
            best = row.min() if smallest else row.max()
            others = [i for i in range(row.size) if row[i] != best]
            for i in rng.sample(others, rng.randint(1, len(others))) if others else []:
                row[i] = best
        values[name] = np.moveaxis(moved, -1, axis) if axis is not None else moved.reshape(x.shape)
        return values
    return plant


def _extreme_ref(name, axis=None, smallest=False):
    def ref(v):
        x = v[name]
        best = (x.min if smallest else x.max)(axis=axis, keepdims=True)
        hit = (x == best).astype(float)
        return {name: hit / hit.sum(axis=axis, keepdims=True)}
    return ref


def _norm_ref(shift):
    def ref(v):
        d = v["x"] - shift
        n = np.sqrt(np.sum(d * d))
        return {"x": d / n if n > 0 else np.zeros_like(d)}
    return ref


def _power_ref(v):
    x, y = v["x"], v["y"]
    return {"x": y * x ** (y - 1), "y": _w(x > 0, x ** y * np.log(np.where(x > 0, x, 1.0)), 0.0)}


def _sorted_ref(v):
    """d/dx sum(sort(x) * [1, 2, ...]): output i's weight reaches the element sorted there; k tied elements
    share the weights of their k places equally."""
    x = v["x"]
    g = np.zeros_like(x)
    g[np.argsort(x, kind="stable")] = np.arange(1.0, 1.0 + x.size)
    for value in np.unique(x):
        g[x == value] = np.mean(g[x == value])
    return {"x": g}


def _softmax(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _cumprod_ref(v):
    """d/dx sum(cumprod(x) * [1, 2, ...]), by products that skip x[k] (no division: right at zeros)."""
    x = v["x"]
    g = np.zeros_like(x)
    for k in range(x.size):
        g[k] = sum((j + 1) * np.prod(np.delete(x[:j + 1], k)) for j in range(k, x.size))
    return {"x": g}


ANY = (-1.5, 1.5, ())
POS = (AVOID, 1.5, ())
NEG = lambda r: round(r.uniform(-1.5, -AVOID), 3)  # noqa: E731

ELEMENTWISE = [
    # ---- guarded: the untaken side is non-finite or undefined ----
    ("where_sqrt", "guarded", "np.where(x > 0, np.sqrt(x), 0.0)", {"x": ("num", POS)},
     {"untaken": ("x", NEG), "zero": ("x", 0.0)}, lambda v: {"x": _w(v["x"] > 0, 0.5 / np.sqrt(v["x"]), 0.0)}),
    ("where_reciprocal", "guarded", "np.where(x != 0, 1 / x, 0.0)", {"x": ("arr", (-1.5, 1.5, (0.0,)))},
     {"zero": ("x", 0.0)}, lambda v: {"x": _w(v["x"] != 0, -1 / v["x"] ** 2, 0.0)}),
    ("where_log", "guarded", "np.where(x > 0, np.log(x), x)", {"x": ("num", POS)},
     {"untaken": ("x", NEG), "zero": ("x", 0.0)}, lambda v: {"x": _w(v["x"] > 0, 1 / v["x"], 1.0)}),
    ("maximum_log", "guarded", "np.maximum(x, np.log(x))", {"x": ("num", POS)},
     {"zero": ("x", 0.0)}, lambda v: {"x": np.ones_like(v["x"])}),
    ("maximum_log_floor", "guarded", "np.maximum(np.log(x), -1.0)", {"x": ("num", (AVOID, 1.5, (math.exp(-1),)))},
     {"zero": ("x", 0.0)}, lambda v: {"x": _w(np.log(v["x"]) > -1, 1 / v["x"], 0.0)}),
    ("minimum_reciprocal", "guarded", "np.minimum(1.0 / x, 2.0)", {"x": ("arr", (AVOID, 1.5, (0.5,)))},
     {"zero": ("x", 0.0), "tie": ("x", 0.5)},
     lambda v: {"x": _w(1 / v["x"] < 2, -1 / v["x"] ** 2, _w(1 / v["x"] == 2, -0.5 / v["x"] ** 2, 0.0))}),
    ("clip_log", "guarded", "np.clip(np.log(x), -2.0, 2.0)", {"x": ("num", (AVOID, 1.5, (math.exp(-2),)))},
     {"zero": ("x", 0.0)}, lambda v: {"x": _w((np.log(v["x"]) > -2) & (np.log(v["x"]) < 2), 1 / v["x"], 0.0)}),
    ("where_sqrt_shifted", "guarded", "np.where(x > 1, np.sqrt(x - 1), 0.0)", {"x": ("num", (-1.5, 1.5, (1.0,)))},
     {"untaken": ("x", NEG), "bound": ("x", 1.0)},
     lambda v: {"x": _w(v["x"] > 1, 0.5 / np.sqrt(v["x"] - 1), 0.0)}),
    ("where_xlogx", "guarded", "np.where(np.abs(x) > 0, x * np.log(np.abs(x)), 0.0)",
     {"x": ("num", (-1.5, 1.5, (0.0,)))}, {"zero": ("x", 0.0)},
     lambda v: {"x": _w(np.abs(v["x"]) > 0, np.log(np.abs(v["x"])) + 1, 0.0)}),
    ("where_bump", "guarded", "np.where(x < 0, np.exp(1.0 / x), 0.0)", {"x": ("arr", (-1.5, 1.5, (0.0,)))},
     {"zero": ("x", 0.0)}, lambda v: {"x": _w(v["x"] < 0, -np.exp(1 / v["x"]) / v["x"] ** 2, 0.0)}),
    ("if_sqrt", "guarded", ["if x > 0:", "    v = np.sqrt(x)", "else:", "    v = 0.0 * x"], {"x": ("float", POS)},
     {"untaken": ("x", NEG), "zero": ("x", 0.0)}, lambda v: {"x": _w(v["x"] > 0, 0.5 / np.sqrt(v["x"]), 0.0)}),
    ("if_reciprocal", "guarded", ["if x != 0:", "    v = 1.0 / x", "else:", "    v = 0.0 * x"],
     {"x": ("float", (-1.5, 1.5, (0.0,)))}, {"zero": ("x", 0.0)},
     lambda v: {"x": _w(v["x"] != 0, -1 / v["x"] ** 2, 0.0)}),
    ("sqrt_of_relu", "guarded", "np.sqrt(np.maximum(x, 0.0))", {"x": ("num", POS)},
     {"untaken": ("x", NEG), "zero": ("x", 0.0)}, None),
    # ---- kink: kinks, ties, bounds and zeros with a convention ----
    ("abs", "kink", "np.abs(x)", {"x": ("num", (-1.5, 1.5, (0.0,)))}, {"kink": ("x", 0.0)},
     lambda v: {"x": np.sign(v["x"])}),
    ("builtin_abs", "kink", "abs(x)", {"x": ("float", (-1.5, 1.5, (0.0,)))}, {"kink": ("x", 0.0)},
     lambda v: {"x": np.sign(v["x"])}),
    ("relu", "kink", "np.maximum(x, 0.0)", {"x": ("num", (-1.5, 1.5, (0.0,)))}, {"kink": ("x", 0.0)},
     lambda v: {"x": (v["x"] > 0) + 0.5 * (v["x"] == 0)}),
    ("relu_flipped", "kink", "np.maximum(0.0, x)", {"x": ("num", (-1.5, 1.5, (0.0,)))}, {"kink": ("x", 0.0)},
     lambda v: {"x": (v["x"] > 0) + 0.5 * (v["x"] == 0)}),
    ("minimum_const", "kink", "np.minimum(x, 1.0)", {"x": ("num", (-1.5, 1.5, (1.0,)))}, {"tie": ("x", 1.0)},
     lambda v: {"x": (v["x"] < 1) + 0.5 * (v["x"] == 1)}),
    ("maximum", "kink", "np.maximum(x, y)", {"x": ("num", ANY), "y": ("same", ANY)}, {"tie": _tie_with("y", "x")},
     lambda v: {"x": (v["x"] > v["y"]) + 0.5 * (v["x"] == v["y"]), "y": (v["y"] > v["x"]) + 0.5 * (v["x"] == v["y"])}),
    ("minimum", "kink", "np.minimum(x, y)", {"x": ("num", ANY), "y": ("same", ANY)}, {"tie": _tie_with("y", "x")},
     lambda v: {"x": (v["x"] < v["y"]) + 0.5 * (v["x"] == v["y"]), "y": (v["y"] < v["x"]) + 0.5 * (v["x"] == v["y"])}),
    ("max", "kink", "np.max(x)", {"x": ("vec", ANY)}, {"tie": _tie_max("x")}, _extreme_ref("x")),
    ("min", "kink", "np.min(x)", {"x": ("vec", ANY)}, {"tie": _tie_max("x", smallest=True)},
     _extreme_ref("x", smallest=True)),
    ("max_axis0", "kink", "np.sum(np.max(X, axis=0))", {"X": ("mat", ANY)}, {"tie": _tie_max("X", axis=0)},
     _extreme_ref("X", axis=0)),
    ("min_axis1", "kink", "np.sum(np.min(X, axis=1))", {"X": ("mat", ANY)},
     {"tie": _tie_max("X", axis=1, smallest=True)}, _extreme_ref("X", axis=1, smallest=True)),
    ("clip", "kink", "np.clip(x, -0.5, 0.5)", {"x": ("num", (-1.5, 1.5, (-0.5, 0.5)))},
     {"bound": ("x", lambda r: r.choice([-0.5, 0.5]))},
     lambda v: {"x": ((v["x"] > -0.5) & (v["x"] < 0.5)) + 0.5 * ((v["x"] == -0.5) | (v["x"] == 0.5))}),
    ("sqrt", "kink", "np.sqrt(x)", {"x": ("num", POS)}, {"zero": ("x", 0.0)},
     lambda v: {"x": 0.5 / np.sqrt(v["x"])}),
    ("norm", "kink", "np.linalg.norm(x)", {"x": ("vec", (-1.5, 1.5, (0.0,)))}, {"zero": ("x", 0.0, True)},
     _norm_ref(0.0)),
    ("norm_shifted", "kink", "np.linalg.norm(x - 1.0)", {"x": ("vec", (-1.5, 1.5, (1.0,)))},
     {"zero": ("x", 1.0, True)}, _norm_ref(1.0)),
    ("power_half", "kink", "x ** 0.5", {"x": ("num", POS)}, {"zero": ("x", 0.0)},
     lambda v: {"x": 0.5 / np.sqrt(v["x"])}),
    ("power_three_halves", "kink", "x ** 1.5", {"x": ("num", POS)}, {"zero": ("x", 0.0)},
     lambda v: {"x": 1.5 * np.sqrt(v["x"])}),
    ("power_zero", "kink", "x ** 0.0", {"x": ("num", (-1.5, 1.5, (0.0,)))}, {"zero": ("x", 0.0)},
     lambda v: {"x": np.zeros_like(v["x"])}),
    ("power_int_zero", "kink", "np.power(x, 0)", {"x": ("num", (-1.5, 1.5, (0.0,)))}, {"zero": ("x", 0.0)},
     lambda v: {"x": np.zeros_like(v["x"])}),
    ("power_variable", "kink", "np.power(x, y)", {"x": ("num", POS), "y": ("float", (0.2, 3.0, (1.0,)))},
     {"zero": ("x", 0.0)}, _power_ref),
    ("power_variable_exact", "kink", "x ** y", {"x": ("num", POS), "y": ("float", (0.2, 3.0, (1.0,)))},
     {"zero": lambda r, v: {**v, "x": _plant(r, v["x"], 0.0), "y": r.choice([0.5, 1.0, 1.5, 2.0, 3.0])}},
     _power_ref),
    # ---- kink compositions that no convention fixes: the modes must agree ----
    ("sqrt_of_square", "kink", "np.sqrt(x * x)", {"x": ("num", (-1.5, 1.5, (0.0,)))}, {"zero": ("x", 0.0)}, None),
    ("root_of_abs", "kink", "np.abs(x) ** 0.5", {"x": ("num", (-1.5, 1.5, (0.0,)))}, {"zero": ("x", 0.0)}, None),
    ("norm_squared", "kink", "np.linalg.norm(x) ** 2", {"x": ("vec", (-1.5, 1.5, (0.0,)))},
     {"zero": ("x", 0.0, True)}, None),
    ("norm_of_relu", "kink", "np.linalg.norm(np.maximum(x, 0.0))", {"x": ("vec", (-1.5, 1.5, (0.0,)))},
     {"zero": ("x", NEG, True), "kink": ("x", 0.0)}, None),
    ("sign_times", "kink", "np.sign(x) * x", {"x": ("num", (-1.5, 1.5, (0.0,)))}, {"kink": ("x", 0.0)}, None),
    ("clip_of_abs", "kink", "np.clip(np.abs(x), 0.0, 1.0)", {"x": ("num", (-1.5, 1.5, (0.0, -1.0, 1.0)))},
     {"kink": ("x", 0.0), "bound": ("x", lambda r: r.choice([-1.0, 1.0]))}, None),
    ("max_of_abs", "kink", "np.max(np.abs(x))", {"x": ("vec", (-1.5, 1.5, (0.0,)))},
     {"tie": _tie_max("x"), "kink": ("x", 0.0, True)}, None),
    ("power_of_relu", "kink", "np.power(np.maximum(x, 0.0), y)", {"x": ("num", POS), "y": ("float", (0.2, 3.0, ()))},
     {"zero": ("x", 0.0), "untaken": ("x", NEG)}, None),
    # ---- sorting at ties, scans at zeros, repeats, tiles and stacks (issue 15) ----
    ("sort", "kink", "np.sort(x) * np.cumsum(np.ones_like(x))", {"x": ("vec", ANY)}, {"tie": _tie_max("x")},
     _sorted_ref),
    ("sort_rows", "kink", "np.sort(X, axis=0) * X[::-1]", {"X": ("mat", ANY)}, {"tie": _tie_max("X", axis=0)}, None),
    ("partition", "kink", "np.partition(x, 1) * np.cumsum(np.ones_like(x))", {"x": ("vec", ANY)},
     {"tie": _tie_max("x", smallest=True)}, None),
    ("median", "kink", "np.median(x) * x", {"x": ("vec", ANY)}, {"tie": _tie_max("x")}, None),
    ("quantile_rows", "kink", "np.quantile(X, 0.3, axis=1) ** 2", {"X": ("mat", ANY)},
     {"tie": _tie_max("X", axis=1, smallest=True)}, None),
    ("cumprod", "kink", "np.cumprod(x) * np.cumsum(np.ones_like(x))", {"x": ("vec", (-1.5, 1.5, (0.0,)))},
     {"zero": ("x", 0.0)}, _cumprod_ref),
    ("cumprod_all_zeros", "kink", "np.cumprod(X, axis=1) ** 2", {"X": ("mat", ANY)}, {"zero": ("X", 0.0, True)},
     None),
    ("repeat_tile", "kink", "np.repeat(x, 2) * np.tile(np.abs(x), 2)", {"x": ("vec", (-1.5, 1.5, (0.0,)))},
     {"kink": ("x", 0.0)}, None),
    ("stack_sort", "kink", "np.hstack((x, x ** 2)) * np.sort(np.hstack((x, -x)))", {"x": ("vec", (-1.5, 1.5, (0.0,)))},
     {"zero": ("x", 0.0)}, None),
    # ---- scipy.special: softmax and logsumexp at ties (the max's split share cancels), xlogy at x == 0 ----
    ("logsumexp_rows", "kink", "np.sum(scipy.special.logsumexp(X, axis=1))", {"X": ("mat", ANY)},
     {"tie": _tie_max("X", axis=1)}, lambda v: {"X": _softmax(v["X"], 1)}),
    ("logsumexp_all", "kink", "scipy.special.logsumexp(x)", {"x": ("vec", ANY)}, {"tie": _tie_max("x")},
     lambda v: {"x": _softmax(v["x"], None)}),
    ("softmax_weighted", "kink", "np.sum(scipy.special.softmax(x) * np.cumsum(np.ones_like(x)))", {"x": ("vec", ANY)},
     {"tie": _tie_max("x")}, lambda v: {"x": _softmax(v["x"], None) * (np.arange(1.0, 1.0 + v["x"].size) - np.sum(
         _softmax(v["x"], None) * np.arange(1.0, 1.0 + v["x"].size)))}),
    ("log_softmax_columns", "kink", "np.sum(scipy.special.log_softmax(X, axis=0) * X[::-1])", {"X": ("mat", ANY)},
     {"tie": _tie_max("X", axis=0)}, None),
    ("xlogy_zero", "guarded", "np.sum(scipy.special.xlogy(x, y))", {"x": ("num", (-1.5, 1.5, (0.0,))), "y": ("same", POS)},
     {"zero": ("x", 0.0)}, lambda v: {"x": np.log(v["y"]), "y": v["x"] / v["y"]}),
    ("vstack_max", "kink", "np.max(np.vstack((x, y)), axis=0)", {"x": ("vec", ANY), "y": ("same", ANY)},
     {"tie": _tie_with("y", "x")},
     lambda v: {"x": (v["x"] > v["y"]) + 0.5 * (v["x"] == v["y"]), "y": (v["y"] > v["x"]) + 0.5 * (v["x"] == v["y"])}),
]
EDGE_TEMPLATES = {name: row for name, *row in ELEMENTWISE}


def _elementwise(rng, family):
    name, _, expr, specs, specials, ref = rng.choice([t for t in ELEMENTWISE if t[1] == family])
    size = rng.randint(1, 4)
    shapes, domains = [], {}
    for p, (spec, domain) in specs.items():
        if spec == "same":
            shapes.append(shapes[0])
        elif spec == "float" or (spec == "num" and rng.random() < 0.35):
            shapes.append("float")
        elif spec == "mat":
            shapes.append((rng.randint(2, 3), rng.randint(2, 3)))
        else:
            shapes.append((max(size, 2) if spec == "vec" else size,))
        domains[p] = domain
    params = list(specs)
    if isinstance(expr, list):
        lines = list(expr)
    elif all(s == "float" for s in shapes) and (rng.random() < 0.5 or name == "builtin_abs"):
        lines = [f"v = {expr}"]
    else:
        lines = [f"v = np.sum({expr})"]
    kinds = ("smooth",) + tuple(k for k in specials for _ in range(2))

    def draw(rng, kind):
        values = {p: _fill(rng, s, *domains[p]) for p, s in zip(params, shapes)}
        if kind != "smooth":
            special = specials[kind]
            if callable(special):
                values = special(rng, values)
            else:
                p, value, *everywhere = special
                values[p] = _plant(rng, values[p], value, bool(everywhere and everywhere[0]))
        return values

    return params, shapes, list(params), lines, kinds, draw, ref, False, name


# =====================================================================================================
# assign: item assignment, with overlapping writes and repeated indices
# =====================================================================================================

def _assign(rng):
    n = rng.randint(3, 5)
    k = rng.randint(2, n)
    h = [h for h, _ in GATHER_H]

    def fx(t):
        return rng.choice(h).format(t=t)

    def pos():
        return rng.randrange(-n, n)

    init = rng.choice(["np.zeros(n)", "x.copy()", "x * 0.5", "np.ones(n)", "np.copy(x)"])
    target = "y"  # (not the parameter: the function itself would change the caller's array between calls)
    lines = ["n = x.shape[0]", "m = x > 0.0", "w = 0.0"] + ([f"y = {init}"] if init else [])
    for _ in range(rng.randint(2, 5)):
        form = rng.choice(["set", "add", "slice", "scale", "fancy", "fancy_add", "loop", "carry", "mask", "row",
                           "literal", "pushed"])
        a = rng.randrange(0, n - 1)
        b = rng.randrange(a + 1, n + 1)
        c = round(rng.uniform(-1.5, 1.5), 2)
        if form == "set":
            lines.append(f"{target}[{pos()}] = {fx(f'x[{pos()}]')}")
        elif form == "add":
            lines.append(f"{target}[{pos()}] += {fx(f'{target}[{pos()}]')}")
        elif form == "slice":
            lines.append(f"{target}[{a}:{b}] = {fx(f'x[{n - b}:{n - a}]')}")
        elif form == "scale":
            lines.append(f"{target}[{a}:{b}] *= {c}")
        elif form == "fancy":
            lines.append(f"{target}[idx] = {fx(f'x[:{k}]')}")
        elif form == "fancy_add":
            lines.append(f"{target}[idx] += {c} * x[{n - k}:]")
        elif form == "loop":
            lines += ["for i in range(n):", f"    {target}[i] = {c} * {target}[i - 1] + {fx('x[i]')}"]
        elif form == "carry":
            lines += ["for i in range(n - 1):", f"    {target}[i + 1] += {target}[i] * x[i]"]
        elif form == "literal":  # list-literal indices, repeated on both sides
            p, q, r = pos(), pos(), pos()
            lines.append(f"{target}[[{p}, {q}, {p}]] += {fx(f'x[[{r}, {r}, {q}]]')}")
        elif form == "pushed":  # the adjoint reads y after a branch changed it; later passes change y again
            lines += ["for i in range(n):", "    if x[i] > 0.0:", f"        {target}[i] = {c} * x[i]",
                      f"        w = w + np.sum({target} * np.sin({target}))", "    else:",
                      f"        {target}[i] = {c}", "        w = w - x[i]"]
        elif form == "mask":
            lines.append(f"{target}[m] = {fx('x[m]')}")  # m: where the parameter is positive
        else:
            lines += ["z = np.zeros((2, n))", f"z[0, :] = {target}", f"z[1] = {fx(target)}", f"z[:, {pos()}] *= {c}",
                      f"{target} = z[1] + z[0] * {c}"]
    lines.append(f"v = np.sum({fx(target)}) + w")

    def draw(rng, kind):
        x = _fill(rng, (n,), -1.5, 1.5, avoid=(0.0,))
        return {"x": x, "idx": _indices(rng, n, (k,), kind)}

    kinds = ("smooth", "repeat", "alias")
    return ["x", "idx"], [(n,), ("int", (k,))], ["x"], lines, kinds, draw, None, False, "assign"


BUILDERS = {"assign": _assign, "gather": _gather, "tuple": _tuple, "guarded": lambda r: _elementwise(r, "guarded"),
            "kink": lambda r: _elementwise(r, "kink")}


def random_edge_program(rng, family=None):
    """An EdgeProgram of the given family (or a random one of the edge families) drawn from rng."""
    family = family or rng.choice(sorted(BUILDERS))
    params, shapes, wrt, lines, kinds, draw, inner_ref, refusable, template = BUILDERS[family](rng)
    outer, outer_d = rng.choice(OUTERS)
    source = _module(params, lines, outer)
    reference = (_wrapped_reference(params, shapes, lines, outer_d, inner_ref, wrt)
                 if inner_ref is not None else None)
    edge = Edge(kinds, draw, reference, refusable, template)
    return EdgeProgram(family, template, source, params, shapes, wrt, edge, len(lines) + 1)


def edge_point(program_params, edge, rng):
    """A Point of one of the edge's kinds, drawn from rng."""
    kind = rng.choice(edge.kinds)
    values = edge.draw(rng, kind)
    return Point(kind, tuple(values[p] for p in program_params))
