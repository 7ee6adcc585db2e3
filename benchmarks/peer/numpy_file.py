"""Port of HIPS/autograd's tests/test_numpy.py: its cases restated as wengert programs (no code copied).

Excluded: complex inputs; in-place autograd specifics (its own array-box types); integer-only functions."""

import numpy as np

from .harness import Case

R = np.random.default_rng(1)


def randn(*shape):
    return R.standard_normal(shape)


# (name, body of f with the arguments named in params, params, arguments)
# f's value (an array or a number) is reduced as sum(W * f) with a fixed random W of f's shape (a parameter
# not differentiated).
_RAW = [
    ("dot mat vec", "np.dot(x, y)", "x, y", (randn(10, 11), randn(11))),
    ("dot mat mat.T", "np.dot(x, y)", "x, y", (randn(10, 11), randn(11, 10))),
    ("dot vec mat", "np.dot(x, y)", "x, y", (randn(10), randn(10, 11))),
    ("dot vec vec", "np.dot(x, y)", "x, y", (randn(11), randn(11))),
    ("dot mat float", "np.dot(x, y)", "x, y", (randn(10, 11), float(randn()))),
    ("dot float mat", "np.dot(x, y)", "x, y", (float(randn()), randn(10, 11))),
    ("dot vec float", "np.dot(x, y)", "x, y", (randn(10), float(randn()))),
    ("dot float vec", "np.dot(x, y)", "x, y", (float(randn()), randn(10))),
    ("outer", "np.outer(x, y)", "x, y", (randn(11), randn(11))),
    ("max", "np.max(x)", "x", (randn(10, 11),)),
    ("max axis", "np.max(x, axis=1)", "x", (randn(3, 4, 5),)),
    ("max axis keepdims", "np.max(x, axis=1, keepdims=True)", "x", (randn(3, 4, 5),)),
    ("min", "np.min(x)", "x", (randn(10, 11),)),
    ("min axis", "np.min(x, axis=1)", "x", (randn(3, 4, 5),)),
    ("min axis keepdims", "np.min(x, axis=1, keepdims=True)", "x", (randn(3, 4, 5),)),
    ("sum", "np.sum(x)", "x", (randn(10, 11),)),
    ("sum axis 0", "np.sum(x, axis=0)", "x", (randn(10, 11),)),
    ("sum keepdims", "np.sum(x, axis=0, keepdims=True)", "x", (randn(10, 11),)),
    ("sum axis tuple", "np.sum(x, axis=(1, 2))", "x", (randn(10, 11, 7),)),
    ("flipud", "np.flipud(x)", "x", (randn(10, 11),)),
    ("fliplr", "np.fliplr(x)", "x", (randn(10, 11),)),
    ("rot90", "np.rot90(x)", "x", (randn(10, 11),)),
    ("cumsum axis 0", "np.cumsum(x, axis=0)", "x", (randn(10, 11),)),
    ("cumsum axis 1", "np.cumsum(x, axis=1)", "x", (randn(10, 11),)),
    ("cumsum 1-d", "np.cumsum(x)", "x", (randn(10),)),
    ("cumsum flattened", "np.cumsum(x)", "x", (randn(10, 11),)),
    ("builtin sum of a list", "sum([x, y])", "x, y", (randn(10, 11), randn(10, 11))),
    ("mean", "np.mean(x)", "x", (randn(10, 11),)),
    ("mean axis", "np.mean(x, axis=0)", "x", (randn(10, 11),)),
    ("mean keepdims", "np.mean(x, axis=0, keepdims=True)", "x", (randn(10, 11),)),
    ("index ints", "x[3, 0, 1]", "x", (randn(5, 6, 4),)),
    ("index reversed slice", "x[::-1, 2:4, :]", "x", (randn(5, 6, 4),)),
    ("index list", "x[[0, 1, 2], :, :]", "x", (randn(5, 6, 4),)),
    ("index mixed", "x[3, 2:, [1, 3]]", "x", (randn(5, 6, 4),)),
    ("vector slice", "x[2:4]", "x", (randn(5),)),
    ("slice fan-out", "x[::-1, 2:4, :] + x[::-1, 3:5, :]", "x", (randn(5, 6, 4),)),
    ("slice of a slice", "x[2:6][1:3]", "x", (randn(7),)),
    ("reshape method tuple", "x.reshape((5 * 4, 6))", "x", (randn(5, 6, 4),)),
    ("reshape call", "np.reshape(x, (5 * 4, 6))", "x", (randn(5, 6, 4),)),
    ("reshape method args", "x.reshape(5 * 4, 6)", "x", (randn(5, 6, 4),)),
    ("ravel method", "x.ravel()", "x", (randn(5, 6, 4),)),
    ("ravel call", "np.ravel(x)", "x", (randn(5, 6, 4),)),
    ("flatten method", "x.flatten()", "x", (randn(5, 6, 4),)),
    ("append", "np.append(x, y)", "x, y", (np.array([1.0, 2.0, 3.0]), 4.0)),
    ("concatenate", "np.concatenate((x, y))", "x, y", (randn(5, 6, 4), randn(4, 6, 4))),
    ("concatenate three", "np.concatenate((y, x, y))", "x, y", (randn(5, 6, 4), randn(5, 6, 4))),
    ("concatenate axis 1", "np.concatenate((y, x, y), axis=1)", "x, y", (randn(5, 6, 4), randn(5, 6, 4))),
    ("concatenate axis positional", "np.concatenate((y, x, y), 1)", "x, y", (randn(5, 6, 4), randn(5, 6, 4))),
    ("trace offset", "np.trace(x, offset=3)", "x", (randn(10, 11),)),
    ("trace offset tall", "np.trace(x, offset=-2)", "x", (randn(11, 10),)),
    ("split", "np.split(x, 2)[0]", "x", (randn(10),)),
    ("trace extra dims", "np.trace(x, offset=1)", "x", (randn(5, 6, 4, 3),)),
    ("diag of a matrix", "np.diag(x)", "x", (randn(10, 10),)),
    ("transpose attribute", "x.T", "x", (randn(8, 8),)),
    ("roll axis", "np.roll(x, 2, axis=1)", "x", (randn(4, 5),)),
    ("roll flattened", "np.roll(x, 2)", "x", (randn(4, 5),)),
    ("triu k", "np.triu(x, k=2)", "x", (randn(5, 5),)),
    ("tril k", "np.tril(x, k=2)", "x", (randn(5, 5),)),
    ("clip keywords", "np.clip(x, a_min=0.1, a_max=1.1)", "x", (randn(5, 5),)),
    ("prod", "np.prod(x)", "x", (randn(2, 3) ** 2 / 10 + 0.1,)),
    ("prod axis", "np.prod(x, axis=0)", "x", (randn(2, 3) ** 2 + 0.1,)),
    ("prod keepdims", "np.prod(x, axis=0, keepdims=True)", "x", (randn(2, 3) ** 2 + 0.1,)),
    ("prod vector", "np.prod(x)", "x", (randn(7) ** 2 + 0.1,)),
    ("array 1-d from a number", "np.array([x, x * 1.0, x + 2.5])", "x", (3.0,)),
    ("array 2-d from a number", "np.array([[x, x * 1.0, x + 2.5], [x ** 2, x, x / 2.0]])", "x", (3.0,)),
    ("array from a number", "np.array(x)", "x", (3.0,)),
    ("array from arrays", "np.array([x, x])", "x", (randn(3, 2),)),
    ("array of arrays 2-d", "np.array([[2 * x, x + 1], [x, x]])", "x", (randn(3, 2),)),
    ("r_ one", "np.r_[x]", "x", (randn(3, 2),)),
    ("r_ two", "np.r_[x, x]", "x", (randn(3, 2),)),
    ("c_", "np.c_[x, x]", "x", (randn(3, 2),)),
    ("where", "np.where(x > y, x, y)", "x, y", (randn(4, 5), randn(4, 5))),
    ("squeeze call", "np.squeeze(x)", "x", (randn(5, 1, 4),)),
    ("squeeze method", "x.squeeze()", "x", (randn(5, 1, 4),)),
    ("repeat axis 1", "np.repeat(x, 2, axis=1)", "x", (randn(5, 3, 4),)),
    ("repeat once", "np.repeat(x, 1, axis=1)", "x", (randn(5, 3, 4),)),
    ("repeat axis 0", "np.repeat(x, 2, axis=0)", "x", (randn(5, 3),)),
    ("repeat 1-d", "np.repeat(x, 2, axis=0)", "x", (randn(5),)),
    ("expand_dims positional", "np.expand_dims(x, 2)", "x", (randn(5, 1, 4),)),
    ("expand_dims keyword", "np.expand_dims(x, axis=2)", "x", (randn(5, 1, 4),)),
    ("repeated index", "np.sum(x[[0, 0]])", "x", (randn(3),)),
    ("repeated index 2", "np.sum(x[[0, 1, 0]])", "x", (randn(3),)),
    ("dot of slices", "np.dot(x[:2], x[2:])", "x", (randn(4),)),
    ("diagonal", "np.diagonal(x, axis1=-1, axis2=-2)", "x", (randn(4, 4),)),
    ("diagonal batched", "np.diagonal(x, axis1=-1, axis2=-2)", "x", (randn(3, 4, 4),)),
    ("nan_to_num", "np.sum(np.sin(np.nan_to_num(x + np.array([0.0, 1.0, 2.0, -1.0]))))", "x", (randn(4),)),
]
for ddof in (0, 1):  # var / std with ddof, keepdims and axis
    for keep in (True, False):
        for shape in ((3,), (3, 4), (1, 3)):
            for fn in ("var", "std"):
                _RAW.append((f"{fn} {shape} ddof={ddof} keepdims={keep}",
                              f"np.{fn}(x, keepdims={keep}, ddof={ddof})", "x", (randn(*shape),)))
for keep in (True, False):
    for axis in (None, 1):
        for shape in ((3, 4), (1, 3)):
            for fn in ("var", "std"):
                _RAW.append((f"{fn} {shape} axis={axis} ddof=2 keepdims={keep}",
                              f"np.{fn}(x, axis={axis}, keepdims={keep}, ddof=2)", "x", (randn(*shape),)))

CASES = [Case(*raw) for raw in _RAW]
