"""How NumPy, math and builtin spellings map to primitives: the names the parser reads as calls, methods and
attributes, with the literal arguments each takes (numpy_calls.py and scipy_calls.py add their own).
"""

from . import numpy_calls, scipy_calls


# Dotted callee -> primitive. "math.*" entries are emitted with math when the arguments are scalars.
UFUNCS = ["sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sinh", "cosh", "arctan", "arcsin", "arccos",
          "log1p", "expm1", "square", "abs", "sign", "maximum", "minimum", "logaddexp", "clip",
          "log10", "log2", "exp2", "arcsinh", "arccosh", "arctanh", "reciprocal", "cbrt", "fabs", "positive",
          "deg2rad", "rad2deg", "float_power", "logaddexp2", "hypot", "arctan2", "fmax", "fmin", "heaviside",
          "nan_to_num", "floor", "ceil", "trunc", "rint", "round", "isfinite", "isnan", "mod", "fmod"]
NUMPY = {f"numpy.{n}": n for n in UFUNCS}
NUMPY.update({"numpy.absolute": "abs", "numpy.power": "pow", "numpy.add": "add", "numpy.subtract": "sub",
              "numpy.multiply": "mul", "numpy.divide": "div", "numpy.negative": "neg",
              "numpy.sum": "sum", "numpy.mean": "mean", "numpy.max": "max", "numpy.min": "min",
              "numpy.amax": "max", "numpy.amin": "min",
              "numpy.zeros": "zeros", "numpy.ones": "ones", "numpy.eye": "eye", "numpy.zeros_like": "zeros_like",
              "numpy.ones_like": "ones_like", "numpy.shape": "shape", "numpy.size": "size", "numpy.ndim": "ndim",
              "numpy.dot": "dot", "numpy.matmul": "matmul", "numpy.outer": "outer", "numpy.trace": "trace",
              "numpy.transpose": "transpose", "numpy.reshape": "reshape", "numpy.where": "where",
              "numpy.concatenate": "concatenate", "numpy.stack": "stack",
              "numpy.radians": "deg2rad", "numpy.degrees": "rad2deg", "numpy.remainder": "mod",
              "numpy.true_divide": "div", "numpy.around": "round", "numpy.var": "var", "numpy.std": "std",
              "numpy.cumsum": "cumsum", "numpy.arange": "arange", "numpy.linspace": "linspace", "numpy.full": "full",
              "numpy.full_like": "full_like", "numpy.empty": "zeros", "numpy.empty_like": "zeros_like",
              "numpy.identity": "eye", "numpy.ravel": "ravel", "numpy.squeeze": "squeeze", "numpy.flip": "flip",
              "numpy.copy": "copy", "numpy.expand_dims": "expand_dims", "numpy.prod": "prod",
              "numpy.swapaxes": "swapaxes_ij", "numpy.moveaxis": "moveaxis", "numpy.triu": "triu", "numpy.tril": "tril",
              "numpy.flipud": "flipud", "numpy.fliplr": "fliplr", "numpy.roll": "roll", "numpy.diag": "diag",
              "numpy.diagonal": "diagonal",
              "numpy.argmax": "argmax", "numpy.argmin": "argmin", "numpy.argsort": "argsort",
              "numpy.flatnonzero": "flatnonzero", "numpy.angle": "angle"})


# Calls that make a new array the function may change by item assignment: never shared with an equal one.
CONSTRUCTORS = {"zeros", "ones", "zeros_like", "ones_like", "eye", "copy", "full", "full_like", "arange", "linspace"}
MATH = {f"math.{n}": n for n in ["sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sinh", "cosh", "log1p", "expm1"]}
MATH.update({"math.atan": "arctan", "math.asin": "arcsin", "math.acos": "arccos", "math.fabs": "abs", "math.pow": "pow",
             "math.log10": "log10", "math.log2": "log2", "math.asinh": "arcsinh", "math.acosh": "arccosh",
             "math.atanh": "arctanh", "math.cbrt": "cbrt", "math.hypot": "hypot", "math.atan2": "arctan2",
             "math.radians": "deg2rad", "math.degrees": "rad2deg", "math.floor": "floor", "math.ceil": "ceil",
             "math.trunc": "trunc", "math.fmod": "fmod"})
BUILTINS = {"abs": "abs", "len": "len"}
CONSTANTS = {"math.pi": 3.141592653589793, "math.e": 2.718281828459045, "numpy.pi": 3.141592653589793,
             "numpy.e": 2.718281828459045, "math.inf": float("inf"), "numpy.inf": float("inf"),
             "numpy.newaxis": None}


# Primitives with static attributes: (number of leading value arguments, attribute names in order).
ATTRS = {"sum": (1, ("axis", "keepdims")), "mean": (1, ("axis", "keepdims")), "max": (1, ("axis", "keepdims")),
         "min": (1, ("axis", "keepdims")), "transpose": (1, ("axes",)), "norm": (1, ("ord",)),
         "concatenate": (1, ("axis",)), "stack": (1, ("axis",)), "var": (1, ("axis", "keepdims", "ddof")),
         "std": (1, ("axis", "keepdims", "ddof")), "cumsum": (1, ("axis",)), "linspace": (2, ("num",)),
         "eye": (1, ("M", "k")), "squeeze": (1, ("axis",)), "flip": (1, ("axis",)), "expand_dims": (1, ("axis",)),
         "prod": (1, ("axis", "keepdims")), "swapaxes_ij": (1, ("axis1", "axis2")),
         "moveaxis": (1, ("source", "destination")), "triu": (1, ("k",)), "tril": (1, ("k",)),
         "roll": (1, ("shift", "axis")), "diag": (1, ("k",)), "diagonal": (1, ("offset", "axis1", "axis2")),
         "argmax": (1, ("axis",)), "argmin": (1, ("axis",)), "argsort": (1, ("axis",))}
REQUIRED = {"expand_dims": ("axis",), "roll": ("shift",), "swapaxes_ij": ("axis1", "axis2"), "moveaxis": ("source", "destination")}
VALUE_KEYWORDS = {"clip": ("a_min", "a_max")}  # value arguments NumPy also takes by keyword (after the first)
SINGLE_AXIS = {"cumsum"}  # an integer axis (or None), no tuple
KEYWORD_ONLY = {"keepdims", "ddof"}  # positionally, NumPy reads dtype or out there
SEQUENCE_ARGS = {"concatenate", "stack"}  # the first argument is a tuple or list of arrays
SHAPE_ARGS = {("zeros", 0), ("ones", 0), ("reshape", 1), ("full", 0)}  # (primitive, position) where a tuple is a shape
REDUCING_METHODS = {"sum", "mean", "max", "min", "var", "std", "cumsum", "squeeze", "prod"}  # x.name(axis, keyword=...)
PLAIN_METHODS = {"ravel": "ravel", "flatten": "flatten", "copy": "copy"}  # x.name() with no arguments
METHODS = {"reshape", "dot", "transpose", "astype"} | REDUCING_METHODS | set(PLAIN_METHODS)


# the NumPy functions of numpy_calls.py (issue 15): their spellings join the tables above
NUMPY.update(numpy_calls.NUMPY)
del NUMPY["numpy.trace"]  # np.trace(x, offset=...) is read in numpy_calls.CALLS
ATTRS.update(numpy_calls.ATTRS)
REQUIRED.update(numpy_calls.REQUIRED)
SEQUENCE_ARGS |= numpy_calls.SEQUENCE_ARGS
SINGLE_AXIS |= numpy_calls.SINGLE_AXIS
REDUCING_METHODS |= numpy_calls.REDUCING_METHODS
METHODS |= numpy_calls.REDUCING_METHODS | numpy_calls.METHODS
NUMPY.update(scipy_calls.FUNCTIONS)  # scipy.special (an optional extra), see scipy_calls.py
MATH.update(scipy_calls.MATH)
ATTRIBUTES = {"T": "transpose", "shape": "shape", "size": "size", "ndim": "ndim"}
MAX_DIMS = 64  # NumPy 2: no array has more axes
