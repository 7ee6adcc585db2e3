"""Property tests on random array programs with random broadcasting shapes: reverse mode == finite
differences, jvp == <grad, v>, and the shape-generic module == the version specialized to the shapes."""

import functools
import itertools
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import wengert

from conftest import load_file, run_module_text
from programs.gradcheck import numeric_grad

SETTINGS = settings(max_examples=int(os.environ.get("WENGERT_PROPERTY_EXAMPLES", 40)), deadline=None, suppress_health_check=[HealthCheck.too_slow])
LIMIT = 1e4  # skip programs whose value or gradient is this large: finite differences lose accuracy there
_file_numbers = itertools.count()

UNARY = ["np.sin({a})", "np.tanh({a})", "np.exp(-{a} ** 2)", "np.log(1 + {a} ** 2)", "np.sqrt(1 + {a} ** 2)",
         "np.cos({a})", "np.arctan({a})", "-{a}", "np.square({a})", "{a} * 2.5", "0.5 - {a}", "1 / (2 + {a} ** 2)",
         "np.abs({a})", "np.clip({a}, -0.5, 0.5)", "np.linalg.norm({a})", "np.trace({a})", "np.outer({a}, {a})",
         "{a}[len({a}) - 1]", "{a}[1:len({a})]", "np.log1p(np.exp({a}))", "np.maximum({a}, 0)",
         "(1 + {a} ** 2) ** 0.5", "{a} ** 2", "np.tan(0.5 * np.tanh({a}))", "np.arcsin(0.5 * np.tanh({a}))",
         "np.expm1(np.sinh(np.tanh({a})))", "np.cosh(np.tanh({a}))", "np.sign({a}) * {a}",
         "{a} / {a}.shape[-1]", "np.ones({a}.shape) * {a}", "np.zeros_like({a}) + {a} * len({a})",
         "np.where({a} > 0.1, {a}, 0.0)", "np.minimum(1.0, {a})", "np.amax({a})", "{a}[:, None] * {a}[None]", "{a} @ {a}.T",
         "{a}.T @ {a}", "np.log10(1 + {a} ** 2)", "np.log2(2 + np.tanh({a}))", "np.exp2(np.tanh({a}))",
         "np.arcsinh({a})", "np.arctanh(0.5 * np.tanh({a}))", "np.cbrt(2 + {a} ** 2)", "np.hypot({a}, 0.5)",
         "np.arctan2({a}, 1.5)", "np.fabs({a})", "np.fmax({a}, 0)", "np.floor({a}) * {a}", "np.mod({a}, 0.7)",
         "np.cumsum({a}, axis=-1)", "np.cumsum({a})", "np.flip({a})", "np.ravel({a})", "np.clip({a}, a_min=-0.5, a_max=0.5)"]
BINARY = ["{a} + {b}", "{a} - {b}", "{a} * {b}", "{a} / (1.5 + {b} ** 2)", "np.maximum({a}, {b})",
          "np.minimum({a}, {b})", "np.logaddexp({a}, {b})", "np.where({a} > {b}, {a}, {b} * 0.5)",
          "(1.5 + np.sin({a})) ** {b}", "np.where({a} > 0, {b}, -{b})", "np.concatenate(({a}, {b}), axis=-1)",
          "np.stack(({a}, {b}))", "np.concatenate([{a}, {b}])", "np.stack([{a}, {b}], axis=-1)",
          "np.outer({a}, {b})", "np.where({a} > 0.1, {b}, 0.0)", "{a}.reshape({b}.shape)", "{a} @ {b}.T",
          "np.sign({a}) * {b}", "np.clip({a}, -1.0, {b})", "np.maximum({a}, {b} * {a})", "{a}.dot({b})",
          "np.hypot({a}, {b})", "np.arctan2({a}, 1.5 + {b} ** 2)", "np.logaddexp2({a}, {b})", "np.fmin({a}, {b})"]
PRODUCTS = ["{a} @ {b}", "np.dot({a}, {b})", "np.matmul({a}, {b})"]
REDUCTIONS = ["np.sum", "np.mean", "np.max", "np.min", "np.var", "np.std"]


SCALARS = {"float": lambda: 0.5, "scalar": lambda: np.float64(0.5)}  # kinds of 0-d values besides 0-d arrays


def shape_of(expr, shapes):
    """The shape expr has on arrays of the given shapes, or None when NumPy rejects it or it is empty."""
    return _shape_of(expr, tuple(sorted(shapes.items())))


@functools.lru_cache(maxsize=None)
def _shape_of(expr, shapes):
    env = {"np": np, **{n: SCALARS[s]() if s in SCALARS else np.full(s, 0.5) for n, s in shapes}}
    try:
        with np.errstate(all="ignore"):
            value = eval(expr, env)
    except Exception:
        return None
    if type(value) is float:  # arithmetic on Python floats stays a Python float (not indexable)
        return "float"
    if isinstance(value, np.generic):  # a NumPy scalar: indexable, but it has no .dot
        return "scalar"
    shape = np.shape(value)
    return shape if len(shape) <= 4 and 1 <= np.prod(shape) <= 128 else None


def candidates(shapes, first):
    """Every operation applicable to the current names whose (first) operand is one of `first`,
    as (expression text, the names it reads)."""
    names = list(shapes)
    out = [(t.format(a=a), (a,)) for t in UNARY for a in first]
    out += [(t.format(a=a, b=b), (a, b)) for t in BINARY + PRODUCTS for a in first for b in names]
    out += [(t.format(a=b, b=a), (a, b)) for t in BINARY + PRODUCTS for a in first for b in names]
    for a in first:
        rank = 0 if shapes[a] in SCALARS else len(shapes[a])
        axes = [None] + list(range(-rank, rank)) + ([(0, rank - 1)] if rank >= 2 else [])
        for red, axis, keep in itertools.product(REDUCTIONS, axes, (False, True)):
            text = f"{red}({a}{'' if axis is None else f', axis={axis}'}{', keepdims=True' if keep else ''})"
            out.append((text, (a,)))
        unary = []
        if rank:
            unary += [f"{a}.mean(axis=0)", f"{a}.max(axis=-1)", f"{a}.min(0, keepdims=True)",
                      f"{a}.sum(axis={rank - 1})", f"{a}.T", f"{a}[0]", f"{a}[1:]", f"{a}[..., None]",
                      f"{a}.reshape(-1)", f"{a}[:1] * {a}[-1:]"]
        if rank >= 2:
            unary += [f"{a}[:, 0]", f"{a}[:, 1:]", f"np.transpose({a}, {tuple(range(rank))[::-1]})",
                      f"{a}.reshape({a}.shape[0], -1)", f"np.sum({a}, axis=0) / {a}.shape[0]"]
        if rank:  # issue 15: sorting (ties at tie points), scans, tiles, repeats, stacks, pads
            unary += [f"np.sort({a})", f"np.cumprod({a}, axis=-1)", f"np.tile({a}, 2)", f"np.repeat({a}, 2, axis=0)",
                      f"np.hstack(({a}, {a} * {a}))", f"np.pad({a}, 1, mode='edge')", f"np.median({a}, axis=-1)",
                      f"np.partition({a}, 0)"]
        if rank >= 2:
            unary += [f"np.vstack(({a}, {a}[::-1]))", f"np.rot90({a})", f"np.sort({a}, axis=0)",
                      f"np.repeat({a}, 2, axis=-1)"]
        if rank <= 2:
            unary.append(f"{a}[None]")
        if rank == 2:
            unary.append(f"np.transpose({a}, (-1, 0))")
        if rank == 3:
            unary += [f"np.transpose({a}, (1, 2, 0))", f"np.transpose({a}, (-1, 0, 1))", f"{a}.transpose(0, -1, 1)"]
        out += [(text, (a,)) for text in unary]
    return [text for text, used in out if shape_of(text, {n: shapes[n] for n in used}) is not None]


@st.composite
def family_shapes(draw, base, array=False):
    """A shape that broadcasts against base: a suffix of it with some dims set to 1 (or a Python float)."""
    if not array and draw(st.integers(0, 9)) == 0:
        return "float"
    k = draw(st.integers(1 if array else 0, len(base)))
    suffix = base[len(base) - k:]
    return tuple(1 if draw(st.booleans()) and draw(st.booleans()) else d for d in suffix)


@st.composite
def array_programs(draw):
    """(source, parameter shapes) of a random function `prog` returning a scalar."""
    base = tuple(draw(st.lists(st.sampled_from([2, 3, 4]), min_size=1, max_size=3)))
    n_params = draw(st.integers(1, 3))
    params = [f"a{i}" for i in range(n_params)]
    shapes = {p: draw(family_shapes(base, array=p == "a0")) for p in params}
    lines = []
    latest = params
    for i in range(draw(st.integers(1, 6))):
        chain = draw(st.integers(0, 3)) > 0  # mostly build on the latest value, sometimes on any
        options = candidates(shapes, [latest[-1]] if chain else list(shapes))
        expr = draw(st.sampled_from(options))
        name = f"t{i}"
        lines.append(f"{name} = {expr}")
        shapes[name] = shape_of(expr, shapes)
        latest = [name]
    last = f"t{len(lines) - 1}"
    lines.append(f"return np.sum(np.sin({last})) + 0.25 * np.sum({last})")
    body = "".join(f"    {line}\n" for line in lines)
    source = f"import numpy as np\n\n\ndef prog({', '.join(params)}):\n{body}"
    return source, [shapes[p] for p in params]


def arguments(shapes, seed):
    r = np.random.default_rng(seed)
    return tuple(float(r.normal()) if s == "float" else r.normal(size=s) for s in shapes)


@pytest.fixture(scope="module")
def program_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("array_programs")


def load_program(directory, source):
    path = directory / f"array_program_{next(_file_numbers)}.py"
    path.write_text(source, encoding="utf-8")
    return load_file(path).prog


def smooth_numeric_grad(prog, args, wrt):
    """Finite differences at two step sizes; None when they disagree (a kink or a near-tie nearby)."""
    coarse, fine = numeric_grad(prog, args, wrt, h=1e-3), numeric_grad(prog, args, wrt, h=2e-4)
    for c, f in zip(coarse, fine):
        if not np.allclose(c, f, rtol=1e-6, atol=1e-7):
            return None
    return coarse


@SETTINGS
@given(case=array_programs(), seed=st.integers(0, 2 ** 32 - 1))
def test_reverse_equals_forward_equals_finite_differences(program_dir, case, seed):
    source, shapes = case
    prog = load_program(program_dir, source)
    args = arguments(shapes, seed)
    with np.errstate(all="ignore"):
        value = float(prog(*args))
    assume(np.isfinite(value) and abs(value) < LIMIT)
    wrt = tuple(f"a{i}" for i in range(len(args)))

    value_r, grads = wengert.value_and_grad(prog, wrt=wrt)(*args)
    assume(all(np.all(np.isfinite(g)) and np.max(np.abs(g)) < LIMIT for g in grads))
    np.testing.assert_allclose(value_r, value, rtol=1e-12, atol=1e-12, err_msg=source)
    for g, a in zip(grads, args):
        assert np.shape(g) == np.shape(a), (source, np.shape(g), np.shape(a))

    numeric = smooth_numeric_grad(prog, args, wrt)
    assume(numeric is not None)
    for g, n in zip(grads, numeric):
        np.testing.assert_allclose(g, n, rtol=1e-5, atol=1e-6, err_msg=source)

    r = np.random.default_rng(seed + 1)
    directions = tuple(float(r.normal()) if s == "float" else r.normal(size=s) for s in shapes)
    value_f, along = wengert.jvp(prog, wrt=wrt)(*args, *directions)
    np.testing.assert_allclose(value_f, value, rtol=1e-12, atol=1e-12, err_msg=source)
    expected = sum(float(np.sum(g * d)) for g, d in zip(grads, directions))
    np.testing.assert_allclose(along, expected, rtol=1e-9, atol=1e-9, err_msg=source)


@SETTINGS
@given(case=array_programs(), seed=st.integers(0, 2 ** 32 - 1))
def test_generic_module_equals_specialized(program_dir, case, seed):
    """The printed (shape-generic) gradient undoes broadcasting at run time; it must agree exactly (where a
    function needs ranks, np.vstack say, the module printed for the arguments' broadcast signatures)."""
    from strategies import printed_module  # strategies imports this module's candidates
    source, shapes = case
    prog = load_program(program_dir, source)
    args = arguments(shapes, seed)
    wrt = tuple(f"a{i}" for i in range(len(args)))
    with np.errstate(all="ignore"):
        prog(*args)  # the program itself runs on these shapes
        specialized = wengert.grad(prog, wrt=wrt)(*args)
        generic = run_module_text(printed_module(source, wrt, args), "prog_grad")(*args)
    for g, s, a in zip(generic, specialized, args):
        assert np.shape(g) == np.shape(a), source
        np.testing.assert_allclose(g, s, rtol=1e-10, atol=1e-12, err_msg=source)
