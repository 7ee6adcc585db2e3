"""wengert's own SymPy functions, for meanings SymPy's do not give with the derivative the rules give. Imported
only when a symbolic meaning is evaluated (wengert.check): it imports SymPy."""

import sympy


class Sign(sympy.Function):
    """The meaning of np.sign: sympy.sign's value, with derivative 0 like the rules (it is constant away from 0).
    sympy.sign's own derivative stays an unevaluated Derivative when SymPy cannot prove the argument real, as
    for (1.5 + sin(t)) ** t: then no point could be checked."""

    @classmethod
    def eval(cls, x):
        value = sympy.sign(x)
        return value if value.is_number else None  # -sign(y) for sign(-y) would bring sympy.sign back

    def fdiff(self, argindex=1):
        return sympy.S.Zero


class _Extremum(sympy.Function):
    """The meaning of np.max / np.min: SymPy's Max / Min, but with the derivative of the rules, which split the
    cotangent equally among the k tied arguments. SymPy's own give every tied argument Heaviside(0) = 1/2:
    the same for two ties, but 3/2 in all for three. (Subclassing Max instead breaks its evaluation.)"""

    extremum = None  # sympy.Max or sympy.Min
    sign = 1         # +1: the largest argument attains it; -1: the smallest

    @classmethod
    def eval(cls, *args):
        if any(isinstance(a, cls) for a in args):  # nested pairwise reductions: one extremum of all
            return cls(*(b for a in args for b in (a.args if isinstance(a, cls) else (a,))))
        value = cls.extremum(*args)
        if not isinstance(value, cls.extremum):  # decided (numbers, a single or dominating argument)
            return value
        if len(value.args) < len(args):  # dominated arguments dropped
            return cls(*value.args)
        return None

    def fdiff(self, argindex=1):
        args = self.args
        hits = [sympy.Heaviside(self.sign * (a - self.extremum(*args[:i], *args[i + 1:])), 1)  # 1 if a attains it
                for i, a in enumerate(args)]
        return hits[argindex - 1] / sympy.Add(*hits)


class SplitMax(_Extremum):
    extremum, sign = sympy.Max, 1


class SplitMin(_Extremum):
    extremum, sign = sympy.Min, -1


class _Step(sympy.Function):
    """A piecewise-constant function (floor, ceil, ...): its value on numbers, derivative 0 like the rules (the
    jumps are measure zero; SymPy's own leave an unevaluated Derivative)."""

    step = None

    @classmethod
    def eval(cls, x):
        return sympy.Integer(cls.step(float(x))) if x.is_number and x.is_real else None

    def fdiff(self, argindex=1):
        return sympy.S.Zero


_STEPS = {}


def step(name, fn):
    """The _Step subclass for np.<name> (one per name, so SymPy caches and compares them as functions)."""
    if name not in _STEPS:
        _STEPS[name] = type(name.capitalize(), (_Step,), {"step": staticmethod(fn)})
    return _STEPS[name]


class PyRound(sympy.Function):
    """Python's round(x[, ndigits]) (half to even), derivative 0."""

    @classmethod
    def eval(cls, x, *digits):
        if not (x.is_number and x.is_finite and all(d.is_Integer for d in digits)):
            return None
        return sympy.Integer(round(float(x))) if not digits else sympy.Float(round(float(x), int(digits[0])))

    def fdiff(self, argindex=1):
        return sympy.S.Zero


def sinc_pi(x):
    """np.sinc, the normalized sinc: sin(pi x) / (pi x), 1 at 0 (SymPy's sinc is sin(x) / x)."""
    return sympy.sinc(sympy.pi * x)
