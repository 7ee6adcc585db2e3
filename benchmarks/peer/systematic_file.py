"""Port of HIPS/autograd's tests/test_systematic.py (the version with the split, stack and einsum-sublist
tests), generated systematically as the peer does, by our own code: statistics over argument kinds, axes and
keepdims; unary ufuncs over a number and three shapes; binary ufuncs over all pairs of shapes (broadcasting);
then the combinations of its miscellaneous tests (transpose, dot, tensordot, einsum, trace, cross, ...).

Applicable: functions of real float arrays with a real, non-boolean output. Excluded: np.all and np.any
(boolean outputs), all complex inputs (test_complex), np.msort (gone from NumPy 2, NumPy refuses it), and
the combinations NumPy itself refuses (not counted). A tuple or list argument of arrays (concatenate, stack,
vstack...) is restated with one parameter per array. Only first-order gradients are compared, in both modes."""

import itertools

import numpy as np

from .harness import Case

RNG = np.random.default_rng(0)
CASES = []


def R(*shape):
    return RNG.standard_normal(shape)


def rand(*shape):
    return RNG.random(shape)


def show(v):
    return "float" if isinstance(v, float) else "x".join(map(str, np.shape(v))) or "0-d"


def combos(name, template, arg_lists, wrt_count=None, **kwarg_lists):
    """One case per combination of the argument lists and keyword values (as the peer's combo_check)."""
    keys = list(kwarg_lists)
    for args in itertools.product(*arg_lists):
        for values in itertools.product(*(kwarg_lists[k] for k in keys)):
            kw = "".join(f", {k}={v!r}" for k, v in zip(keys, values))
            params = ", ".join("xyzuvw"[:len(args)])
            body = template.format(*params.split(", "), kw=kw)
            wrt = ", ".join(params.split(", ")[:wrt_count]) if wrt_count else None
            CASES.append(Case(f"{name} {' '.join(show(a) for a in args)}{kw}", body, params, args, wrt=wrt))


def transform(lims, x):
    return x * (lims[1] - lims[0]) + lims[0]


# ---- statistics ------------------------------------------------------------------------------------------
for fn in ("max", "mean", "min", "sum", "prod", "var", "std"):
    x, a = 3.5, np.array(float(R()))  # a Python float and a 0-d array
    b, c, d = R(3), R(2, 3), R(1, 3)
    combos(fn, "np.%s({0})" % fn, [[x, a]])
    combos(fn, "np.%s({0}{kw})" % fn, [[b, c, d]], axis=[None, 0], keepdims=[True, False])
    combos(fn, "np.%s({0}{kw})" % fn, [[c, d]], axis=[None, 0, 1], keepdims=[True, False])

# ---- unary ufuncs ------------------------------------------------------------------------------------------
UNARY = [("sin", None), ("abs", [0.1, 4.0]), ("absolute", [0.1, 4.0]), ("arccosh", [1.1, 4.0]),
         ("arcsinh", [-0.9, 0.9]), ("arctanh", [-0.9, 0.9]), ("ceil", [-1.5, 1.5]), ("cos", None), ("cosh", None),
         ("deg2rad", None), ("degrees/", None), ("exp", None), ("exp2", None), ("expm1", None), ("fabs", None),
         ("floor", [-1.5, 1.5]), ("log", [0.2, 2.0]), ("log10", [0.2, 2.0]), ("log1p", [0.2, 2.0]),
         ("log2", [0.2, 2.0]), ("rad2deg/", None), ("radians", None), ("sign", None), ("sinh", None),
         ("sqrt", [1.0, 3.0]), ("square", None), ("tan", [-1.1, 1.1]), ("tanh", None), ("real", None),
         ("real_if_close", None), ("imag", None), ("conj", None), ("angle", None)]
for fn, lims in UNARY:
    lims = lims or [-2, 2]
    args = [transform(lims, 0.4), transform(lims, rand(2)), transform(lims, rand(3, 2)), transform(lims, rand(1, 2))]
    template = "np.%s({0}) / 50.0" % fn[:-1] if fn.endswith("/") else "np.%s({0})" % fn
    combos(fn.rstrip("/"), template, [args])

# ---- binary ufuncs -----------------------------------------------------------------------------------------
BINARY = [("np.add({0}, {1})", [-2, 2], [-2, 2], False), ("np.logaddexp({0}, {1})", [-2, 2], [-2, 2], False),
          ("np.logaddexp2({0}, {1})", [-2, 2], [-2, 2], False),
          ("np.remainder({0}, {1})", [-0.9, 0.9], [0.7, 1.9], True),
          ("np.true_divide({0}, {1})", [-2, 2], [0.8, 1.2], False),
          ("np.mod({0}, {1})", [-2, 2], [0.8, 2.1], True),
          ("np.true_divide({0}, {1})", [-2, 2], [-0.3, -2.0], False),
          ("np.mod({0}, {1})", [-2, 2], [-0.3, -2.0], True),
          ("{0} * {1}", [-2, 2], [-2, 2], False), ("{0} + {1}", [-2, 2], [-2, 2], False),
          ("{0} - {1}", [-2, 2], [-2, 2], False), ("{0} % {1}", [-2, 2], [0.3, 2.0], True),
          ("{0} % {1}", [-2, 2], [-0.3, -2.0], True)]
for template, lims_a, lims_b, distinct in BINARY:
    if distinct:  # the peer's no_same_args: different values on the two sides
        a_vals = [0.6, rand(2), rand(3, 2), rand(1, 2)]
        b_vals = [0.7, rand(2), rand(3, 2), rand(1, 2)]
    else:
        a_vals = [0.6, rand(2), rand(3, 2), rand(1, 2)]
        b_vals = a_vals
    combos(template.split("(")[0].replace("{0} ", "op").replace(" {1}", ""), template,
           [[transform(lims_a, v) for v in a_vals], [transform(lims_b, v) for v in b_vals]])

# ---- miscellaneous -------------------------------------------------------------------------------------
combos("transpose", "np.transpose({0}{kw})", [[R(2, 3, 4)]],
       axes=[None, (0, 1, 2), (0, 2, 1), (2, 0, 1), (2, 1, 0), (1, 0, 2), (1, 2, 0)])
combos("repeat", "np.repeat({0}{kw})", [[R(2, 3, 4), R(3, 1)]], repeats=[0, 1, 2], axis=[None, 0, 1])
combos("diff", "np.diff({0}{kw})", [[R(5, 5), R(5, 5, 5)]], n=[1, 2], axis=[0, 1])
combos("diff", "np.diff({0}{kw})", [[R(1), R(1, 1)]], axis=[0])
combos("diff", "np.diff({0}{kw})", [[R(1, 1), R(3, 1)]], axis=[1])
combos("tile", "np.tile({0}{kw})", [[R(2, 1, 3, 1)]], reps=[(1, 4, 1, 2)])
combos("tile", "np.tile({0}{kw})", [[R(1, 2)]], reps=[(1, 2), (2, 3), (3, 2, 1)])
combos("tile", "np.tile({0}{kw})", [[R(1)]], reps=[(2,), 2])
combos("kron", "np.kron({0}, {1})", [[R(5, 5), R(4, 4)], [R(3, 3), R(2, 2)]])
combos("inner", "np.inner({0}, {1})", [[1.5, R(3), R(2, 3)], [0.3, R(3), R(4, 3)]])
combos("dot", "np.dot({0}, {1})", [[1.5, R(3), R(2, 3), R(2, 2, 3)], [0.3, R(3), R(3, 4), R(2, 3, 4)]])
combos("matmul", "np.matmul({0}, {1})", [[R(3), R(2, 3), R(2, 2, 3)], [R(3), R(3, 4), R(2, 3, 4)]])
combos("tensordot", "np.tensordot({0}, {1}{kw})", [[R(1, 3), R(2, 3, 2)], [R(3), R(3, 1), R(3, 4, 2)]],
       axes=[((1,), (0,))])
combos("tensordot", "np.tensordot({0}, {1}{kw})", [[R(3), R(3, 1), R(3, 4, 2)], [R(1, 3), R(2, 3, 2)]],
       axes=[((0,), (1,))])
combos("tensordot", "np.tensordot({0}, {1}{kw})", [[R(2, 3), R(2, 3, 4)], [R(1, 2, 3), R(2, 2, 3, 4)]],
       axes=[((0, 1), (1, 2)), ((1, 0), (2, 1))])
combos("tensordot", "np.tensordot({0}, {1}{kw})", [[R(2, 2), R(4, 2, 2)], [R(2, 2), R(2, 2, 4)]], axes=[1, 2])
combos("tensordot", "np.tensordot({0}, {1}{kw})", [[R(4)], [np.array(float(R()))]], axes=[0])
combos("tensordot", "np.tensordot({0}, {1}{kw})", [[R(2, 6)], [R(6, 3)]], axes=[((-1,), (0,))])
for fn in ("maximum", "fmax", "minimum", "fmin"):
    combos(fn, "np.%s({0}, {1})" % fn, [[R(1), R(1, 4), R(3, 4)], [R(1), R(1, 4), R(3, 4)]])
combos("sort", "np.sort({0})", [[R(1), R(7)]])
combos("partition", "np.partition({0}{kw})", [[R(7), R(14)]], kth=[0, 3, 6])
for fn, shapes in (("atleast_1d", 6), ("atleast_2d", 6), ("atleast_3d", 7)):
    combos(fn, "np.%s({0})" % fn, [[1.2, R(1), R(7), R(1, 4), R(2, 4), R(2, 4, 5), R(2, 4, 3, 5)][:shapes]])
# einsum: the subscripts are a literal; the operands are differentiated
combos("einsum ij->ji", "np.einsum('ij->ji', {0})", [[R(1, 1), R(4, 4), R(3, 4)]])
combos("einsum ij,jk->ik", "np.einsum('ij,jk->ik', {0}, {1})", [[R(2, 3)], [R(3, 4)]])
combos("einsum ...ij,...jk->...ik", "np.einsum('...ij,...jk->...ik', {0}, {1})",
       [[R(2, 3), R(2, 2, 3)], [R(3, 4), R(2, 3, 4)]])
combos("einsum ijk,lji->lki", "np.einsum('ijk,lji->lki', {0}, {1})", [[R(3, 4, 4)], [R(4, 4, 3)]])
for sub in ("...jk,...lj->...lk", "...,...->..."):
    combos(f"einsum {sub}", f"np.einsum('{sub}', {{0}}, {{1}})", [[R(4, 4), R(3, 4, 4)], [R(4, 4), R(3, 4, 4)]])
combos("einsum jk...,lj...->lk...", "np.einsum('jk...,lj...->lk...', {0}, {1})",
       [[R(3, 2), R(3, 2, 4)], [R(2, 3), R(2, 3, 4)]])
combos("einsum j...k,lj...->lk...", "np.einsum('j...k,lj...->lk...', {0}, {1})",
       [[R(2, 2), R(2, 2, 2)], [R(2, 2), R(2, 2, 2)]])
combos("einsum ijk,lji,lli->lki", "np.einsum('ijk,lji,lli->lki', {0}, {1}, {2})",
       [[R(3, 4, 4)], [R(4, 4, 3)], [R(4, 4, 3)]])
# einsum's sublist form: operand, its axis numbers, ..., the output's
combos("einsum sublist transpose", "np.einsum({0}, [0, 1], [1, 0])", [[R(1, 1), R(4, 4), R(3, 4)]])
combos("einsum sublist matmult", "np.einsum({0}, [0, 1], {1}, [1, 2], [0, 2])", [[R(2, 3)], [R(3, 4)]])
combos("einsum sublist matmult broadcast", "np.einsum({0}, [Ellipsis, 0, 1], {1}, [Ellipsis, 1, 2], "
       "[Ellipsis, 0, 2])", [[R(2, 3), R(2, 2, 3)], [R(3, 4), R(2, 3, 4)]])
combos("einsum sublist covsum", "np.einsum({0}, [0, 1, 2], {1}, [3, 1, 0], [3, 2, 0])", [[R(3, 4, 4)], [R(4, 4, 3)]])
combos("einsum sublist three args", "np.einsum({0}, [0, 1, 2], {1}, [3, 1, 0], {2}, [3, 3, 0], [3, 2, 0])",
       [[R(3, 4, 4)], [R(4, 4, 3)], [R(4, 4, 3)]])
combos("trace", "np.trace({0}{kw})", [[R(5, 5), R(4, 5), R(5, 4), R(3, 4, 5)]], offset=[-1, 0, 1])
combos("diag", "np.diag({0}{kw})", [[R(5, 5)]], k=[-1, 0, 1])
combos("diag flat", "np.diag({0}{kw})", [[R(5)]], k=[-1, 0, 1])
for name in ("tril", "triu"):  # the peer's test_triu calls np.tril: both are restated as written
    combos(name, "np.tril({0}{kw})", [[R(5, 5)]], k=[-1, 0, 1])
    combos(name + " 3-d", "np.tril({0}{kw})", [[R(5, 5, 4)]], k=[-1, 0, 1])
combos("swapaxes", "np.swapaxes({0}{kw})", [[R(3, 4, 5)]], axis1=[0, 1, 2], axis2=[0, 1, 2])
combos("rollaxis", "np.rollaxis({0}{kw})", [[R(2, 3, 4)]], axis=[0, 1, 2], start=[0, 1, 2, 3])
combos("cross", "np.cross({0}, {1}{kw})", [[R(3, 3)], [R(3, 3)]], axisa=[-1, 0, 1], axisb=[-1, 0, 1],
       axisc=[-1, 0, 1], axis=[None, -1, 0, 1])
for fn, x in (("vsplit", R(4, 8)), ("vsplit", R(4, 4, 4)), ("hsplit", R(4, 8)), ("hsplit", R(4, 4, 4)),
              ("dsplit", R(4, 4, 4))):
    for sections in ([4, [1, 2]] if x.ndim == 2 else [2, [1, 2]]):
        combos(fn, "np.%s({0}, %r)" % (fn, sections), [[x]])
for fn, xs, sections, axes in (("split", [R(1), R(7)], [1], [0]), ("split", [R(4, 8)], [4, [1, 2]], [0, 1]),
                               ("split", [R(4, 4, 4)], [2, [1, 2]], [0, 1, 2]),
                               ("array_split", [R(1), R(7)], [1, 3], [0]),
                               ("array_split", [R(7, 7)], [4, [3, 5]], [0, 1]),
                               ("array_split", [R(7, 7, 7)], [4, [3, 5]], [0, 1, 2])):
    for s in sections:
        combos(fn, "np.%s({0}, %r{kw})" % (fn, s), [xs], axis=axes)
combos("concatenate list", "np.concatenate([{0}, {1}]{kw})", [[R(1)], [R(3)]], axis=[0])
combos("concatenate tuple", "np.concatenate(({0}, {1}){kw})", [[R(1)], [R(3)]], axis=[0])
combos("concatenate 2-d", "np.concatenate(({0}, {1}){kw})", [[R(2, 2)], [R(2, 2)]], axis=[0, 1])
combos("concatenate 3-d", "np.concatenate(({0}, {1}){kw})", [[R(2, 2, 2)], [R(2, 2, 2)]], axis=[0, 1, 2])
for fn, one, pair in (("vstack", R(2), (R(2), R(2))), ("vstack", R(2, 3), (R(2, 4), R(1, 4))),
                      ("vstack", R(2, 3, 4), (R(2, 3, 4), R(5, 3, 4))), ("hstack", R(2), (R(2), R(2))),
                      ("hstack", R(3, 2), (R(3, 4), R(3, 5))), ("hstack", R(2, 3, 4), (R(2, 1, 4), R(2, 5, 4))),
                      ("row_stack", R(2), (R(2), R(2))), ("row_stack", R(2, 3), (R(2, 4), R(1, 4))),
                      ("column_stack", R(2), (R(2), R(2))), ("column_stack", R(2, 2), (R(2, 2), R(2, 2)))):
    combos(fn, "np.%s({0})" % fn, [[one]])
    combos(fn, "np.%s(({0}, {1}))" % fn, [[pair[0]], [pair[1]]])
combos("stack one", "np.stack(({0},){kw})", [[R(2)]], axis=[0, 1])
combos("stack two", "np.stack(({0}, {1}){kw})", [[R(2)], [R(2)]], axis=[0, 1])
conds = [R(3, 4, 5) > 0 for _ in range(3)]
for default in (0.0, 1.1):
    CASES.append(Case(f"select default={default}", f"np.select([c1, c2, c3], [x, y, z], default={default})",
                      "x, y, z, c1, c2, c3", (R(3, 4, 5), R(3, 4, 5), R(3, 4, 5), *conds), wrt="x, y, z"))
