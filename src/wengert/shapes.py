"""What is known statically about shapes, enough to decide broadcasting at compile time.

A shape key is one of
  ()                 a scalar,
  (d0, d1, ...)      an array of known rank; each dim is 1, a symbol (a str, never 1) or None (unknown size),
  "name"             unknown rank: the same shape as the variable called name,
  ("const", v)       a non-array literal (None, a tuple, ...).
A rule returns None for "unknown"; the Builder then gives the value a token of its own.
"""

SCALAR = ()
EMPTY_LIST = ("const", "[]")  # a list before its first item: it takes the key of the items appended to it


def known(key):
    """Is key the shape of an array (not a token, a literal or the shape of a shape)?"""
    return isinstance(key, tuple) and (not key or key[0] not in ("const", "shapeof"))


def same(a, b):
    """Do keys a and b prove equal shapes? Not when a dim is None: two unknown sizes may differ."""
    return a == b and not (isinstance(a, tuple) and None in a)


def broadcast(*keys):
    """Elementwise result shape key, or None when it cannot be decided statically."""
    if all(k == SCALAR for k in keys):  # the common case in scalar code
        return SCALAR
    keys = [k for k in keys if k != SCALAR and not (isinstance(k, tuple) and k[:1] in (("const",), ("shapeof",)))]
    if not keys:
        return SCALAR
    if all(k == keys[0] for k in keys):
        return keys[0]
    if not all(known(k) for k in keys):
        return None
    rank = max(len(k) for k in keys)
    dims = []
    for i in range(rank):
        column = [k[i - rank + len(k)] for k in keys if i - rank + len(k) >= 0]
        sized = [d for d in column if d != 1]
        dims.append(next((d for d in sized if d is not None), sized[0] if sized else 1))
    return tuple(dims)


def unbroadcast_axes(g, x):
    """(leading axes, unit axes) to sum g over to get x's shape, or None if undecidable."""
    if not (known(g) and known(x)) or len(g) < len(x):
        return None
    lead = len(g) - len(x)
    units = []
    for i, (dg, dx) in enumerate(zip(g[lead:], x)):
        if dx == 1 and dg != 1:
            if dg is None:
                return None
            units.append(i)
        elif dx != dg or dx is None:
            return None
    return tuple(range(lead)), tuple(units)


def axes_of(axis, rank):
    axes = axis if isinstance(axis, tuple) else (axis,)
    return {a % rank for a in axes} if rank else set(axes)


def reduce(key, axis=None, keepdims=False):
    if axis is None:
        if not keepdims:
            return SCALAR
        return tuple(1 for _ in key) if known(key) else None
    if not known(key):
        return None
    axes = axes_of(axis, len(key))
    return tuple(1 if i in axes else d for i, d in enumerate(key) if keepdims or i not in axes)


def matmul(a, b):
    if not (known(a) and known(b)) or not a or not b:
        return None
    if len(a) == 1 and len(b) == 1:
        return SCALAR
    if len(a) == 1:
        return b[:-2] + b[-1:]
    if len(b) == 1:
        return a[:-1]
    return broadcast(a[:-2], b[:-2]) + (a[-2], b[-1]) if broadcast(a[:-2], b[:-2]) is not None else None


def dot(a, b):
    if known(a) and known(b) and (not a or not b):  # a number times an array
        return broadcast(a, b)
    if known(a) and known(b) and len(a) <= 2 and len(b) <= 2:
        if not a or not b:
            return broadcast(a, b)
        return matmul(a, b)
    if known(a) and known(b) and a and b:  # N-D: a's last axis with b's second-to-last (its only one if 1-D)
        return tuple(a[:-1]) + (tuple(b[:-2]) + tuple(b[-1:]) if len(b) >= 2 else ())
    return None


def transpose(a, axes=None):
    if not known(a):
        return None
    return tuple(a[i] for i in axes) if axes else a[::-1]


def join(*keys, axis=0, stack=False):
    """Shape of np.concatenate (np.stack when stack) of arrays with these keys; sizes known only when equal,
    along the joined axis a sum (the symbol "n+m" when not all literal)."""
    if not keys or not all(known(k) for k in keys) or len({len(k) for k in keys}) != 1 or not (stack or keys[0]):
        return None
    dims = [col[0] if len(set(col)) == 1 else None for col in zip(*keys)]
    if stack:
        dims.insert(axis % (len(dims) + 1), _size(len(keys)))
    else:
        a = axis % len(dims)
        col = [k[a] for k in keys]
        literal = all(str(d).isdigit() for d in col)
        dims[a] = None if None in col else _size(sum(map(int, col))) if literal else "+".join(map(str, col))
    return tuple(dims)


def _size(n):
    return 1 if n == 1 else f"{n}"


def index(a, spec, dyn=()):
    """Shape after basic indexing with spec (see parse/indexing.py for the spec format); dyn: the keys of the values
    an ("arg", i) item names. An index that is not known to be a number may be an integer array (its
    length, repeats included, makes the result's) or a boolean mask (a length known only at run time):
    then the shape is unknown."""
    if isinstance(a, tuple) and a[:1] == ("shapeof",) and len(spec) == 1 and \
            (spec[0][0] == "int" or spec[0][0] == "arg" and dyn[spec[0][1] - 1] == SCALAR):
        return SCALAR  # x.shape[k]: a number
    arrays = [j for j, item in enumerate(spec) if item[0] == "arg" and dyn[item[1] - 1] != SCALAR]
    if not known(a) or any(not known(dyn[spec[j][1] - 1]) or len(dyn[spec[j][1] - 1]) != 1 for j in arrays) \
            or arrays and arrays != list(range(arrays[0], arrays[0] + len(arrays))):
        return None
    # 1-D integer arrays or masks side by side: they select along their axes together, one axis of a length
    # known at run time (None) in their place
    n_real = sum(1 for item in spec if item[0] in ("int", "arg", "slice"))
    dims, i = [], 0
    for j, item in enumerate(spec):
        kind = item[0]
        if j in arrays:
            dims.extend([None] if j == arrays[0] else [])
            i += 1
        elif kind == "newaxis":
            dims.append(1)
        elif kind == "ellipsis":
            skip = len(a) - n_real
            dims.extend(a[i:i + skip])
            i += skip
        elif kind in ("int", "arg"):
            i += 1
        else:
            full = item[1:] == (None, None, None)
            dims.append(a[i] if full and i < len(a) else _sliced(a[i], item[1:]) if i < len(a) else None)
            i += 1  # past the last axis: NumPy raises at run time
    if i > len(a):
        return None
    return tuple(dims) + tuple(a[i:])


def literal_size(d):
    """The number a dim stands for when it is a literal size (1, "4"), else None."""
    return 1 if d == 1 else int(d) if isinstance(d, str) and d.isdigit() else None


def _sliced(d, bounds):
    """The length of a literal-size dim after a slice with integer (or no) bounds, else None (unknown)."""
    n = literal_size(d)
    if n is None or not all(b is None or type(b) is int for b in bounds) or bounds[2] == 0:
        return None
    return _size(len(range(*slice(*bounds).indices(n))))


def from_literal(shape):
    """Key of an array built from a literal shape tuple (np.zeros((3, 1)))."""
    if isinstance(shape, int):
        shape = (shape,)
    if isinstance(shape, tuple) and all(isinstance(d, int) for d in shape):
        return tuple(map(_size, shape))
    return None
