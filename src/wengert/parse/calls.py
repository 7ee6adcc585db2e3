"""Calls: NumPy, math and scipy.special functions and array methods (through the spellings of tables.py and
the CALLS table of calls that need their own reading), builtins (sum, max, round, ...) and user primitives.
"""

import ast
import inspect
import math
import string

from .. import custom, shapes
from ..primitives import PRIMS
from ..trace import Const
from . import linalg_calls, numpy_calls, scipy_calls
from .expressions import Record
from .indexing import Nonzero
from .inlining import Instance
from .tables import ATTRS, BUILTINS, CONSTRUCTORS, KEYWORD_ONLY, MATH, MAX_DIMS, METHODS, NUMPY, PLAIN_METHODS, REDUCING_METHODS, REQUIRED, SEQUENCE_ARGS, SHAPE_ARGS, SINGLE_AXIS, VALUE_KEYWORDS


class Calls:
    """The Parser's calls of library functions, builtins and array methods."""

    def expr_Call(self, e, env):
        f = e.func
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and isinstance(env.get(f.value.id), Instance):
            return self.self_method(e, env[f.value.id], env)
        if isinstance(f, ast.Attribute) and f.attr in METHODS and self.dotted(f.value) not in ("numpy", "math"):
            if not (isinstance(f.value, ast.Name) and self.m.aliases.get(f.value.id) in ("numpy", "math")):
                return self.method(e, f.attr, self.value(f.value, env), env)
        dotted = self.dotted(f)
        if dotted is None:
            raise self.m.error(e, "only calls of named functions are supported", "call np.<name> or math.<name>")
        if dotted == "numpy.sum" and len(e.args) == 1 and not e.keywords and isinstance(e.args[0], ast.ListComp):
            return self.sum_of_list(e.args[0], env)
        if dotted in NUMPY or dotted in MATH or dotted in BUILTINS:
            prim = NUMPY.get(dotted) or MATH.get(dotted) or BUILTINS[dotted]
            if self.sizes is not None and prim in ("shape", "len", "size", "ndim") and len(e.args) == 1 \
                    and not e.keywords:
                value = self.value(e.args[0], env)
                return self.static_size(prim, value) or self.b.emit(prim, (value,))
            lib = "math" if dotted in MATH or dotted == "abs" else "np"
            return self.primitive(e, prim, env, lib)
        if dotted in ("numpy.array", "numpy.asarray"):
            return self.array_call(e, dotted, env)
        helper = self.m.function(dotted, near=self._current) if "." not in dotted else None
        if helper is not None and custom.is_primitive(self, helper):
            return self.user_primitive(e, helper, env)
        if dotted in CALLS and helper is None:
            return CALLS[dotted](self, e, env)
        if helper is not None:
            return self.inline(e, helper, env)
        raise self.m.error(e, f"call to unsupported function {dotted!r}", scipy_calls.unsupported_hint(dotted) or
                           "use math/NumPy functions wengert knows or functions defined in this file")

    def static_size(self, prim, value):
        """In a parse for given sizes (self.sizes): value.shape as a tuple whose literal dims are numbers, and
        len, size, ndim as numbers where its shape key fixes them; else None."""
        if self.sizes is None or prim not in ("shape", "len", "size", "ndim"):
            return None
        key = self.b.shape(value)
        if not shapes.known(key) or self.is_list(value):
            return None
        dims = [shapes.literal_size(d) for d in key]
        if prim == "ndim":
            return Const(len(key))
        if prim == "len":
            return Const(dims[0]) if dims and dims[0] is not None else None
        if prim == "size":
            return Const(math.prod(dims)) if None not in dims else None
        if all(d is None for d in dims):
            return None
        whole = self.b.emit("shape", (value,)) if None in dims else None
        return tuple(Const(d) if d is not None else self.b.emit("index", (whole,), {"spec": (("int", i),)})
                     for i, d in enumerate(dims))

    def user_primitive(self, e, node, env):
        """A call of a function decorated @wengert.primitive: one op of its own table entry (see custom.py)."""
        prim = custom.register(self, node)
        n = len(node.args.args)
        if e.keywords or len(e.args) != n:
            raise self.m.error(e, f"primitive {node.name} takes {n} positional argument{'s' * (n != 1)}",
                               "pass every argument positionally")
        return self.b.emit(prim, tuple(self.value(a, env) for a in e.args))

    def array_call(self, e, dotted, env):
        """np.array(literal) stacks its items (nested lists: stacks of stacks); np.array(x) copies x,
        np.asarray(x) is x."""
        if len(e.args) != 1 or e.keywords:
            raise self.m.error(e, f"{ast.unparse(e.func)} takes one argument here (no dtype or other keywords)",
                               f"write {ast.unparse(e.func)}([a, b])")
        value = self.expr(e.args[0], env)
        if isinstance(value, tuple):
            if not value:
                raise self.m.error(e, "an empty array literal is not supported", "use np.zeros(0)")
            return self.b.emit("stack", tuple(self.as_value(v, e.args[0]) for v in value), {}, share=False)
        if self.is_list(value):
            return self.b.emit("stack_list", (value,))
        value = self.as_value(value, e.args[0])
        return self.b.emit("copy", (value,), share=False) if dotted == "numpy.array" else value

    def primitive(self, e, prim, env, lib="np"):
        n_values, names = ATTRS.get(prim, (len(e.args), ()))
        if prim in SEQUENCE_ARGS:
            items = self.expr(e.args[0], env) if e.args else None
            if self.is_list(items):
                if prim != "stack" or len(e.args) > 1 or e.keywords:
                    raise self.m.error(e, f"np.{prim} of a list appended to in a loop is not supported",
                                       "stack it first: np.stack(hs)")
                return self.b.emit("stack_list", (items,))
            if not isinstance(items, tuple) or not items:
                raise self.m.error(e, f"np.{prim} needs a tuple or list of arrays", f"write np.{prim}((a, b))")
            args = [self.as_value(a, e.args[0]) for a in items]
        else:
            args = [self.value(a, env, shape=(prim, i) in SHAPE_ARGS) for i, a in enumerate(e.args[:n_values])]
        keywords = [kw for kw in e.keywords if kw.arg in VALUE_KEYWORDS.get(prim, ())]
        for kw in sorted(keywords, key=lambda kw: VALUE_KEYWORDS[prim].index(kw.arg)):
            if VALUE_KEYWORDS[prim].index(kw.arg) + 1 != len(args):
                raise self.m.error(kw, f"{kw.arg}= is given, but an earlier argument is missing or repeated",
                                   f"write np.{prim}(x, {', '.join(VALUE_KEYWORDS[prim])}) positionally or by keyword")
            args.append(self.value(kw.value, env))
        e = ast.Call(e.func, e.args, [kw for kw in e.keywords if kw not in keywords], lineno=e.lineno,
                     col_offset=e.col_offset) if keywords else e
        fewest, most = _arity(prim)
        if not fewest <= len(args) <= most:
            callee = ast.unparse(e.func)
            takes = f"{fewest}" if fewest == most else f"{fewest} or more"
            what = "arrays in its sequence" if prim in SEQUENCE_ARGS else "value argument" + "s" * (most != 1)
            example = "(a, b)" if prim in SEQUENCE_ARGS else ", ".join("xyz"[:min(fewest, 3)])
            raise self.m.error(e, f"{callee} takes {takes} {what} here (got {len(args)})",
                               f"write it as in NumPy, e.g. {callee}({example})")
        positional = [n for n in names if n not in KEYWORD_ONLY]  # NumPy's third positional is dtype or out
        if len(e.args) > n_values + len(positional):
            keyword = "; pass keepdims=... by keyword" if "keepdims" in names else ""
            raise self.m.error(e, f"{ast.unparse(e.func)} takes at most {n_values + len(positional)} positional "
                               f"arguments here (got {len(e.args)}){keyword}",
                               f"supported keywords: {', '.join(names) or 'none'}")
        attrs = {}
        for name, a in zip(positional, e.args[n_values:]):
            attrs[name] = self.literal(a)
        for kw in e.keywords:
            if kw.arg not in names:
                raise self.m.error(kw.value, f"keyword {kw.arg!r} is not supported here",
                                   f"supported keywords: {', '.join(names) or 'none'}")
            attrs[kw.arg] = self.literal(kw.value)
        for name in REQUIRED.get(prim, ()):
            if name not in attrs:
                raise self.m.error(e, f"{ast.unparse(e.func)} needs {name}=", f"write e.g. {name}=0")
        if prim == "norm" and attrs.get("ord") not in (None, 2, "fro"):
            raise self.m.error(e, f"np.linalg.norm with ord={attrs['ord']!r} is not supported",
                               "use the default 2-norm / Frobenius norm")
        attrs.pop("ord", None)
        if prim == "reshape":
            args[1] = self.shape_tuple(args[1])
        self.check_attrs(e, attrs)
        if lib == "math" and PRIMS[prim].math:
            attrs["lib"] = "math"
        return self.b.emit(prim, tuple(args), attrs, share=prim not in CONSTRUCTORS)

    def check_attrs(self, e, attrs):
        """axis/axes must be integers (or a tuple of them, or None), keepdims a bool."""
        for name, value in attrs.items():
            if name == "shift" and not all(isinstance(v, int) and not isinstance(v, bool)
                                           for v in (value if isinstance(value, tuple) else (value,))):
                raise self.m.error(e, f"shift={value!r} is not supported: it must be an integer or a tuple of them",
                                   "write e.g. np.roll(x, 1, axis=0)")
            if name in ("axis1", "axis2", "source", "destination", "k", "offset"):
                name = "axis" if name not in ("k", "offset") or value is None else "k"  # checked as an axis
                if value is None or name == "k" and not (isinstance(value, int) and not isinstance(value, bool)):
                    raise self.m.error(e, f"this argument must be an integer (got {value!r})", "write e.g. 0")
            items = value if isinstance(value, tuple) and name in ("axis", "axes") else (value,)
            ints = all(isinstance(v, int) and not isinstance(v, bool) for v in items)
            if name in ("axis", "axes") and not (value is None or ints) or name == "keepdims" and \
                    not isinstance(value, bool):
                kind = "True or False" if name == "keepdims" else "an integer, a tuple of integers or None"
                raise self.m.error(e, f"{name}={value!r} is not supported: {name} must be {kind}",
                                   f"write e.g. {name}={'True' if name == 'keepdims' else '0'}")
            if name == "axis" and isinstance(value, tuple) and getattr(e.func, "attr", None) in SINGLE_AXIS:
                raise self.m.error(e, f"axis={value!r} is not supported: {e.func.attr} takes one axis",
                                   "write e.g. axis=0")
            if name == "ddof" and not (isinstance(value, int) and not isinstance(value, bool)):
                raise self.m.error(e, f"ddof={value!r} is not supported: ddof must be an integer", "write e.g. ddof=1")
            if name in ("axis", "axes") and value is not None and any(abs(v) >= MAX_DIMS for v in items):
                # no array has such an axis; emission would spell out an index that long (make fuzz, mutant 2161)
                raise self.m.error(e, f"{name}={value!r} is out of range: a NumPy array has at most {MAX_DIMS} "
                                   "dimensions", f"write an axis between -ndim and ndim - 1, e.g. {name}=0")

    def method(self, e, name, obj, env):
        if name in numpy_calls.METHODS:
            return numpy_calls.method(self, e, name, obj, env)
        if name in REDUCING_METHODS:
            attrs = {}
            keywords = ATTRS.get(name, (1, ("axis", "keepdims")))[1]
            if len(e.args) > 1 or any(kw.arg not in keywords for kw in e.keywords):
                more = "".join(f" and {k}=..." for k in keywords[1:])
                raise self.m.error(e, f".{name}() takes at most axis{more} here",
                                   f"write x.{name}(axis=0{''.join(f', {k}=...' for k in keywords[1:])})")
            for n, a in zip(("axis",), e.args):
                attrs[n] = self.literal(a)
            for kw in e.keywords:
                attrs[kw.arg] = self.literal(kw.value)
            self.check_attrs(e, attrs)
            return self.b.emit(name, (obj,), attrs)
        if name in PLAIN_METHODS and not e.args and not e.keywords:
            return self.b.emit(PLAIN_METHODS[name], (obj,))
        if name == "astype" and len(e.args) == 1 and not e.keywords and \
                self.dotted(e.args[0]) in ("float", "numpy.float64"):
            return self.b.emit("astype_float", (obj,))
        if name in PLAIN_METHODS or name == "astype":
            raise self.m.error(e, f"this call of .{name}() is not supported",
                               "write x.astype(float)" if name == "astype" else f"write x.{name}() without arguments")
        if e.keywords or name in ("reshape", "dot") and not e.args or name == "dot" and len(e.args) != 1:
            raise self.m.error(e, f"this call of .{name}() is not supported",
                               "pass positional arguments as in NumPy, e.g. x.dot(y), x.reshape(2, -1)")
        if name == "copy":
            if e.args:
                raise self.m.error(e, ".copy() takes no arguments here", "write y = x.copy()")
            return self.b.emit("copy", (obj,), share=False)
        if name == "reshape":
            shape = tuple(self.value(a, env, shape=True) for a in e.args)
            return self.reshape(obj, shape[0] if len(shape) == 1 else shape, e)
        if name == "dot":
            return self.b.emit("dot", (obj, self.value(e.args[0], env)))
        if name == "transpose":
            axes = tuple(self.literal(a) for a in e.args)
            axes = axes[0] if len(axes) == 1 and isinstance(axes[0], tuple) else axes
            self.check_attrs(e, {"axes": axes or None})
            return self.b.emit("transpose", (obj,), {"axes": axes or None})
        raise self.m.error(e, f"method {name!r} is not supported", "use the np.<name> function")

    def reshape(self, x, shape, node):
        return self.b.emit("reshape", (x, self.shape_tuple(self.as_value(shape, node, shape=True))))

    def shape_tuple(self, shape):
        """reshape(x, -1) means reshape(x, (-1,)): always a tuple in the generated code (Dask needs it)."""
        if isinstance(shape, Const) and isinstance(shape.value, int):
            return Const((shape.value,))
        return shape

    def call_divmod(self, e, env):
        a, b = (self.operand(x, env) for x in self.positional(e, "divmod", 2, 2))
        return self.b.emit("floordiv", (a, b)), self.b.emit("mod", (a, b))

    def call_round(self, e, env):
        args = self.positional(e, "round", 1, 2, ("ndigits",))
        digits = [kw.value for kw in e.keywords] + list(args[1:])
        x = self.operand(args[0], env)
        if not digits or isinstance(digits[0], ast.Constant) and digits[0].value is None:
            return self.b.emit("pyround", (x,))
        return self.b.emit("pyround", (x, self.operand(digits[0], env)))

    def call_int(self, e, env):
        x = self.operand(self.positional(e, "int", 1, 1)[0], env)
        return self.b.emit("int", (x,))

    def call_float(self, e, env):
        (arg,) = self.positional(e, "float", 1, 1)
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            try:
                return Const(float(arg.value))
            except ValueError:
                raise self.m.error(arg, f"float({arg.value!r}) is not a number", "write float('inf')") from None
        return self.b.emit("float", (self.operand(arg, env),))

    def call_print(self, e, env):
        raise self.m.error(e, "print is not supported in a differentiated function",
                           "remove it, or call the function itself (not its derivative) to print")

    def call_iterator(self, e, env):
        name = self.dotted(e.func)
        raise self.m.error(e, f"{name}(...) is supported only as what a for loop or a comprehension loops over",
                           f"write for ... in {name}(...): or sum(... for ... in {name}(...))")

    def call_sum(self, e, env):
        args = self.positional(e, "sum", 1, 2, ("start",))
        starts = [kw.value for kw in e.keywords] + list(args[1:])
        start = self.operand(starts[0], env) if starts else Const(0)
        return self.fold(e, args[0], env, "add", start)

    def call_fsum(self, e, env):
        return self.fold(e, self.positional(e, "math.fsum", 1, 1)[0], env, "add", Const(0.0))

    def call_prod(self, e, env):
        args = self.positional(e, "math.prod", 1, 1, ("start",))
        start = self.operand(e.keywords[0].value, env) if e.keywords else Const(1)
        return self.fold(e, args[0], env, "mul", start)

    def call_max(self, e, env, prim="maximum"):
        name = "max" if prim == "maximum" else "min"
        args = self.positional(e, name, 1, math.inf)
        if len(args) > 1:
            values = [self.operand(a, env) for a in args]
            result = values[0]
            for v in values[1:]:
                result = self.b.emit(prim, (result, v))
            return result
        return self.fold(e, args[0], env, prim, Const(-math.inf if prim == "maximum" else math.inf))

    def call_min(self, e, env):
        return self.call_max(e, env, "minimum")


def _arity(prim):
    """(fewest, most) value arguments of a primitive, read off its emission template."""
    template = PRIMS[prim].numpy
    if not callable(template):
        holes = {int(f) for _, f, _, _ in string.Formatter().parse(template) if f and f.isdigit()}
        return (max(holes) + 1,) * 2 if holes else (0, 0)
    params = inspect.signature(template).parameters.values()
    required = sum(1 for q in params if q.kind is q.POSITIONAL_OR_KEYWORD and q.default is q.empty)
    return (max(required, 1), math.inf) if any(q.kind is q.VAR_POSITIONAL for q in params) else (required, required)


CALLS = {"divmod": Calls.call_divmod, "round": Calls.call_round, "int": Calls.call_int,
         "float": Calls.call_float, "print": Calls.call_print, "sum": Calls.call_sum, "max": Calls.call_max,
         "min": Calls.call_min, "math.fsum": Calls.call_fsum, "math.prod": Calls.call_prod,
         "_wengert_maximum": lambda p, e, env: p.call_max(e, env), "_wengert_minimum": Calls.call_min}
CALLS.update({name: Calls.call_iterator for name in ("range", "enumerate", "zip", "reversed")})


def _with_first(p, e, env, value):
    """(call, env): e with its first argument replaced by an already computed value."""
    slot = ast.Name("_wengert_first", ast.Load(), lineno=e.args[0].lineno, col_offset=e.args[0].col_offset)
    call = ast.Call(e.func, [slot] + e.args[1:], e.keywords, lineno=e.lineno, col_offset=e.col_offset)
    return call, {**env, "_wengert_first": value}


def _nan_sum(p, e, env, value):
    call, env = _with_first(p, e, env, value)
    return call, "sum", env


def _nan_reduction(mean):
    """np.nansum / np.nanmean: the sum (mean) of the elements that are not nan; their gradient is 0."""
    def call(p, e, env):
        if not e.args:
            raise p.m.error(e, f"{ast.unparse(e.func)} takes 1 value argument here (got 0)", "write it as in NumPy")
        x = p.value(e.args[0], env)
        missing = p.b.emit("isnan", (x,))
        total = p.primitive(*_nan_sum(p, e, env, p.b.emit("where", (missing, Const(0.0), x))))
        if not mean:
            return total
        count = p.primitive(*_nan_sum(p, e, env, p.b.emit("where", (missing, Const(0.0), Const(1.0)))))
        return p.b.emit("div", (total, count))
    return call


CALLS["numpy.nansum"] = _nan_reduction(mean=False)
CALLS["numpy.nanmean"] = _nan_reduction(mean=True)
CALLS["numpy.ptp"] = lambda p, e, env: p.b.emit("sub", (p.primitive(e, "max", env), p.primitive(e, "min", env)))


def _append(p, e, env):
    """np.append(a, b): both flattened, then joined (NumPy's reading without axis)."""
    if len(e.args) != 2 or e.keywords:
        raise p.m.error(e, f"{ast.unparse(e.func)} takes two arrays here (no axis)",
                        "write np.concatenate((a, b), axis=k) to join along an axis")
    a, b = (p.b.emit("ravel", (p.value(x, env),)) for x in e.args)
    return p.b.emit("concatenate", (a, b), {"axis": 0})


CALLS["numpy.append"] = _append


def _dict_call(p, e, env):
    """dict(a=x, b=y): the record {"a": x, "b": y}."""
    if e.args or any(kw.arg is None for kw in e.keywords):
        raise p.m.error(e, "dict() takes keyword arguments only here", 'write dict(a=x, b=y) or {"a": x, "b": y}')
    record = Record()
    for kw in e.keywords:
        record[kw.arg] = p.expr(kw.value, env)
    return record


def _list_call(p, e, env):
    """list(range(a, b, s)): the integer positions as an array that + joins; list((a, b)) or list([a, b]): the
    items."""
    (arg,) = p.positional(e, "list", 1, 1)
    if isinstance(arg, ast.Call) and p.dotted(arg.func) == "range":
        start, stop, step = p.range_args(arg, env)
        bounds = (start, stop, step) if step != Const(1) else (stop,) if start == Const(0) else (start, stop)
        positions = p.b.emit("arange", bounds, share=False)
        p.sequences.add(positions.name)
        return positions
    value = p.expr(arg, env)
    if isinstance(value, tuple):
        return value
    raise p.m.error(e, "list() is supported here of range(...) or of a tuple or list literal",
                    "write list(range(n)), or index and stack arrays directly")


CALLS["dict"] = _dict_call
CALLS["list"] = _list_call
CALLS["numpy.nonzero"] = lambda p, e, env: Nonzero(p.value(p.positional(e, "np.nonzero", 1, 1)[0], env), e)


def _real_part(imaginary):
    """np.real, np.conj, np.real_if_close of a real number or array: the value itself; np.imag: its zeros
    (wengert's values are real)."""
    def call(p, e, env):
        if len(e.args) != 1 or e.keywords:
            raise p.m.error(e, f"{ast.unparse(e.func)} takes one array here", "write it as in NumPy: np.real(x)")
        x = p.value(e.args[0], env)
        return p.b.emit("zeros_like", (x,)) if imaginary else x
    return call


for _name in ("real", "conj", "conjugate", "real_if_close"):
    CALLS[f"numpy.{_name}"] = _real_part(imaginary=False)


def _rollaxis(p, e, env):
    """np.rollaxis(a, axis, start=0): np.moveaxis(a, axis, start), with start one less when it lies past
    axis (NumPy's reading of start as the position before which the axis goes)."""
    names = ("axis", "start")
    opts = {n: p.literal(a) for n, a in zip(names, e.args[1:])}
    opts.update({k.arg: p.literal(k.value) for k in e.keywords if k.arg in names})
    if not 2 <= len(e.args) + len(e.keywords) <= 3 or len(e.args) > 3 or any(k.arg not in names for k in e.keywords) \
            or "axis" not in opts or not all(isinstance(v, int) and not isinstance(v, bool) for v in opts.values()):
        raise p.m.error(e, "np.rollaxis takes an array, an integer axis and an integer start here",
                        "write np.rollaxis(a, 2, 0), or np.moveaxis(a, source, destination)")
    axis, start = opts["axis"], opts.get("start", 0)
    if axis < 0 or start < 0:
        raise p.m.error(e, "np.rollaxis with a negative axis or start is not supported here",
                        "write np.moveaxis(a, source, destination)")
    x = p.value(e.args[0], env)
    if start > axis:
        start -= 1
    return x if start == axis else p.b.emit("moveaxis", (x,), {"source": axis, "destination": start})


CALLS["numpy.rollaxis"] = _rollaxis


def _diff(p, e, env):
    """np.diff(a, n=1, axis=-1): n times a[..., 1:] - a[..., :-1] along axis (the slices, written out)."""
    names = ("n", "axis")
    opts = {n: p.literal(a) for n, a in zip(names, e.args[1:])}
    opts.update({k.arg: p.literal(k.value) for k in e.keywords if k.arg in names})
    if not e.args or len(e.args) > 3 or any(k.arg not in names for k in e.keywords) or \
            not all(isinstance(v, int) and not isinstance(v, bool) for v in opts.values()) or opts.get("n", 1) < 0:
        raise p.m.error(e, "np.diff takes an array, an integer n >= 0 and an integer axis here (no prepend, append)",
                        "write np.diff(a, n=1, axis=-1)")
    n, axis = opts.get("n", 1), opts.get("axis", -1)
    x = p.value(e.args[0], env)
    at = dict(lineno=e.lineno, col_offset=e.col_offset)

    def sliced(lower, upper):
        part = ast.Slice(ast.Constant(lower, **at) if lower is not None else None,
                         ast.Constant(upper, **at) if upper is not None else None, None, **at)
        full = ast.Slice(None, None, None, **at)
        items = [full] * axis + [part] if axis >= 0 else [ast.Constant(Ellipsis, **at), part] + [full] * (-axis - 1)
        return ast.Subscript(ast.Name("_wengert_diff", ast.Load(), **at), ast.Tuple(items, ast.Load(), **at),
                             ast.Load(), **at)

    for _ in range(n):
        x = p.value(ast.BinOp(sliced(1, None), ast.Sub(), sliced(None, -1), **at), {**env, "_wengert_diff": x})
    return x


CALLS["numpy.diff"] = _diff


def _select(p, e, env):
    """np.select(condlist, choicelist, default=0): the first choice whose condition holds, as nested
    np.where (the first condition outermost)."""
    default = [k.value for k in e.keywords if k.arg == "default"] + e.args[2:3]
    if len(e.args) < 2 or len(e.args) > 3 or len(default) > 1 or any(k.arg != "default" for k in e.keywords) or \
            not all(isinstance(a, (ast.List, ast.Tuple)) for a in e.args[:2]) or \
            len(e.args[0].elts) != len(e.args[1].elts) or not e.args[0].elts:
        raise p.m.error(e, "np.select takes two literal lists of the same length (conditions, choices) and "
                        "default here", "write np.select([x < 0, x > 1], [a, b], default=0.0)")
    out = p.value(default[0], env) if default else Const(0)
    for cond, choice in reversed(list(zip(e.args[0].elts, e.args[1].elts))):
        out = p.b.emit("where", (p.value(cond, env), p.value(choice, env), out))
    return out


CALLS["numpy.select"] = _select
CALLS["numpy.imag"] = _real_part(imaginary=True)
CALLS.update(linalg_calls.CALLS)  # np.linalg, einsum and the other contractions (see linalg_calls.py)
CALLS.update(numpy_calls.CALLS)  # shapes, repeats, sorting, quantiles, splits... (see numpy_calls.py)
CALLS.update(scipy_calls.CALLS)  # scipy.special's softmax, logsumexp, digamma... (see scipy_calls.py)
