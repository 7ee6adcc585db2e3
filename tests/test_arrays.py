"""Array primitives one by one: reverse gradient vs finite differences (with the argument's shape),
value_and_grad, jvp == <grad, v> and vjp, under NumPy broadcasting.

Subgradient convention at kinks (wengert/primitives/): the midpoint of the Clarke subdifferential.
abs'(0) = 0; np.maximum / np.minimum split a tie 1/2 - 1/2 (so relu'(0) = 1/2 for np.maximum(x, 0));
np.max / np.min split the cotangent equally among tied elements; clip'(x) = 1/2 on a bound.
Forward and reverse mode use the same convention, so jvp == <grad, v> holds at kinks too."""

import numpy as np
import pytest

import wengert
from wengert.api import generate
from wengert.parse import module_of, parse

from conftest import param_id
from programs import primitives as P
from programs.gradcheck import check_gradients, numeric_grad

RNG_SEED = 20240611


def rng(*salt):
    return np.random.default_rng([RNG_SEED, *salt])


def make(shape, low=-2.0, high=2.0, seed=0):
    """A random argument: shape "float" gives a Python float, () a 0-d array."""
    r = rng(seed)
    if shape == "float":
        return float(r.uniform(low, high))
    return np.asarray(r.uniform(low, high, size=shape))


def away_from_zero(shape, seed=0):
    x = make(shape, 0.5, 2.0, seed)
    signs = np.where(rng(seed, 1).random(np.shape(x)) < 0.5, -1.0, 1.0)
    return float(x * signs) if shape == "float" else x * signs


# ---- elementwise binary ops under broadcasting --------------------------------------------------------

BROADCAST_PAIRS = [
    ((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 4), (3, 1)), ((3, 4), (1, 4)), ((3, 4), ()), ((3, 4), "float"),
    ((3, 1), (1, 4)), ((2, 3, 4), (3, 1)), ((2, 3, 4), (4,)), ((2, 3, 4), (1, 1, 1)), ((2, 1, 4), (3, 1)),
    ((2, 3, 4), (2, 1, 4)), ((1,), (3, 4)), ((4,), ()), ((), ()), ("float", "float"), ((1, 1), ()),
]
ORDERED_PAIRS = BROADCAST_PAIRS + [(b, a) for a, b in BROADCAST_PAIRS if a != b]


def binary_args(op, sa, sb, seed):
    if op is P.power:
        return make(sa, 0.5, 2.0, seed), make(sb, -1.5, 1.5, seed + 1)
    if op is P.div:
        return make(sa, seed=seed), away_from_zero(sb, seed + 1)
    return make(sa, seed=seed), make(sb, seed=seed + 1)


@pytest.mark.parametrize("sa, sb", ORDERED_PAIRS, ids=param_id)
@pytest.mark.parametrize("op", P.BINARY, ids=lambda f: f.__name__)
def test_binary_op_broadcasting(op, sa, sb):
    a, b = binary_args(op, sa, sb, seed=len(str(sa)) + 7 * len(str(sb)))
    ga, gb = check_gradients(op, (a, b), ("a", "b"))
    assert np.shape(ga) == np.shape(a) and np.shape(gb) == np.shape(b)


@pytest.mark.parametrize("sa, sb", [((3, 4), (4,)), ((2, 3, 4), (3, 1)), ((3, 4), "float")], ids=param_id)
@pytest.mark.parametrize("op", P.BINARY, ids=lambda f: f.__name__)
def test_binary_op_one_argument_at_a_time(op, sa, sb):
    """Activity analysis: differentiating by one argument only gives that argument's gradient."""
    a, b = binary_args(op, sa, sb, seed=3)
    (ga,) = check_gradients(op, (a, b), "a")
    (gb,) = check_gradients(op, (a, b), "b")
    both = wengert.grad(op, wrt=("a", "b"))(a, b)
    np.testing.assert_allclose(ga, both[0], rtol=1e-14)
    np.testing.assert_allclose(gb, both[1], rtol=1e-14)


# ---- unary ufuncs -----------------------------------------------------------------------------------------

UNARY_DOMAINS = {
    P.u_neg: (-2, 2), P.u_exp: (-2, 2), P.u_log: (0.5, 2), P.u_sqrt: (0.5, 2), P.u_tanh: (-2, 2),
    P.u_sin: (-2, 2), P.u_cos: (-2, 2), P.u_tan: (-1.2, 1.2), P.u_sinh: (-2, 2), P.u_cosh: (-2, 2),
    P.u_arctan: (-2, 2), P.u_arcsin: (-0.9, 0.9), P.u_arccos: (-0.9, 0.9), P.u_abs: None, P.u_absolute: None,
    P.u_log1p: (-0.5, 2), P.u_expm1: (-2, 2), P.u_square: (-2, 2), P.u_clip: "clip", P.u_relu: None,
    P.u_power_const: (-2, 2), P.u_const_power: (-2, 2),
}


def unary_arg(fn, shape, seed):
    domain = UNARY_DOMAINS[fn]
    if domain is None:  # keep away from the kink at 0
        return away_from_zero(shape, seed)
    if domain == "clip":  # keep away from the bounds at +-0.5
        x = away_from_zero(shape, seed)
        return x - 0.25 * np.sign(x) if shape != "float" else x - 0.25 * np.sign(x).item()
    return make(shape, *domain, seed=seed)


@pytest.mark.parametrize("shape", [(3, 4), (5,), (2, 1, 3), (), "float"], ids=param_id)
@pytest.mark.parametrize("fn", list(UNARY_DOMAINS), ids=lambda f: f.__name__)
def test_unary_ufunc(fn, shape):
    x = unary_arg(fn, shape, seed=11)
    w = make(shape, seed=12)
    (gx,) = check_gradients(fn, (x, w), ("x",))
    assert np.shape(gx) == np.shape(x)


@pytest.mark.parametrize("fn", [P.u_abs, P.u_clip, P.u_relu, P.u_exp, P.u_log])
def test_unary_with_broadcast_weight(fn):
    """The elementwise result broadcasts against a larger weight: the gradient keeps x's shape."""
    x = unary_arg(fn, (4,), seed=5)
    w = make((3, 4), seed=6)
    gx, gw = check_gradients(fn, (x, w), ("x", "w"))
    assert gx.shape == (4,) and gw.shape == (3, 4)


@pytest.mark.parametrize("sx, slo, shi", [((3, 4), "float", "float"), ((3, 4), (4,), (3, 1)), ((5,), (), (5,)),
                                           ((2, 3), (2, 3), (2, 3))], ids=param_id)
def test_clip_with_differentiated_bounds(sx, slo, shi):
    x = make(sx, -3.0, 3.0, seed=13)
    lo, hi = make(slo, -1.5, -0.25, seed=14), make(shi, 0.25, 1.5, seed=15)
    gx, glo, ghi = check_gradients(P.clip_bounds, (x, lo, hi), ("x", "lo", "hi"))
    assert np.shape(glo) == np.shape(lo) and np.shape(ghi) == np.shape(hi)
    assert np.any(glo != 0) and np.any(ghi != 0)


# ---- reductions -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("fn", P.REDUCTIONS, ids=lambda f: f.__name__)
def test_reduction(fn):
    x = make((2, 3, 4), seed=21)
    (gx,) = check_gradients(fn, (x,), ("x",))
    assert gx.shape == (2, 3, 4)


@pytest.mark.parametrize("fn", [P.r_sum_all, P.r_mean_all, P.r_max_all, P.r_min_all, P.r_sum_axis0])
@pytest.mark.parametrize("shape", [(5,), (1, 4), (3, 1, 2)], ids=param_id)
def test_reduction_other_ranks(fn, shape):
    x = make(shape, seed=22)
    check_gradients(fn, (x,), "x")


# ---- dot, matmul, outer ----------------------------------------------------------------------------------

DOT_SHAPES = [((), ()), ((), (3,)), ((3,), ()), ((), (3, 4)), ((2, 3), ()),
              ((3,), (3,)), ((3,), (3, 4)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((1, 3), (3, 1)), ((3, 1), (1, 4))]
MATMUL_SHAPES = [((3,), (3,)), ((3,), (3, 4)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((1, 3), (3, 1)),
                 ((3, 1), (1, 4)), ((1,), (1, 4)),
                 ((2, 3, 4), (4, 5)), ((2, 3, 4), (4,)), ((4,), (2, 4, 5)), ((2, 3, 4), (2, 4, 5)),
                 ((1, 3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2)), ((3, 4), (2, 4, 5))]


@pytest.mark.parametrize("sa, sb", DOT_SHAPES, ids=param_id)
@pytest.mark.parametrize("fn", [P.dot, P.dot_method], ids=lambda f: f.__name__)
def test_dot(fn, sa, sb):
    a, b = make(sa, seed=31), make(sb, seed=32)
    ga, gb = check_gradients(fn, (a, b), ("a", "b"))
    assert np.shape(ga) == np.shape(a) and np.shape(gb) == np.shape(b)


@pytest.mark.parametrize("sa, sb", [((2, 3, 4), (4,)), ((2, 3, 4), (4, 5)), ((3,), (2, 3, 4))], ids=param_id)
def test_dot_higher_rank(sa, sb):
    """np.dot beyond 2-D: a sum product over the last axis of a and the second-to-last of b."""
    a, b = make(sa, seed=33), make(sb, seed=34)
    check_gradients(P.dot, (a, b), ("a", "b"))


@pytest.mark.parametrize("sa, sb", MATMUL_SHAPES, ids=param_id)
@pytest.mark.parametrize("fn", [P.matmul_operator, P.matmul_function], ids=lambda f: f.__name__)
def test_matmul(fn, sa, sb):
    a, b = make(sa, seed=35), make(sb, seed=36)
    ga, gb = check_gradients(fn, (a, b), ("a", "b"))
    assert np.shape(ga) == np.shape(a) and np.shape(gb) == np.shape(b)


def test_matmul_one_operand_active():
    a, b = make((2, 3, 4), seed=37), make((4, 5), seed=38)
    check_gradients(P.matmul_operator, (a, b), "b")
    check_gradients(P.matmul_operator, (a, b), "a")


@pytest.mark.parametrize("sa, sb", [((3,), (4,)), ((1,), (4,)), ((3,), (1,))], ids=param_id)
def test_outer(sa, sb):
    a, b = make(sa, seed=39), make(sb, seed=40)
    check_gradients(P.outer, (a, b), ("a", "b"))


# ---- transpose, trace, reshape, norm -----------------------------------------------------------------------

@pytest.mark.parametrize("fn, shape, out", [
    (P.transpose_T, (3, 4), (4, 3)), (P.transpose_T, (2, 3, 4), (4, 3, 2)), (P.transpose_T, (5,), (5,)),
    (P.transpose_function, (3, 4), (4, 3)), (P.transpose_function, (2, 3, 4), (4, 3, 2)),
    (P.transpose_axes, (2, 3, 4), (3, 4, 2)), (P.transpose_method_axes, (2, 3, 4), (4, 2, 3)),
    (P.reshape_function, (2, 3, 4), (4, 6)), (P.reshape_function, (24,), (4, 6)),
    (P.reshape_method, (2, 3, 4), (6, 4)), (P.reshape_method_tuple_inferred, (2, 3, 4), (8, 3)),
    (P.reshape_flatten, (2, 3, 4), (24,)), (P.reshape_flatten, (3, 1), (3,)),
], ids=param_id)
def test_shape_manipulation(fn, shape, out):
    x, w = make(shape, seed=41), make(out, seed=42)
    (gx,) = check_gradients(fn, (x, w), ("x",))
    assert gx.shape == shape


def test_reshape_to_an_integer_is_printed_as_a_tuple():
    """x.reshape(-1) means x.reshape((-1,)); Dask's reshape accepts only the tuple."""
    text = wengert.source(wengert.grad(P.reshape_flatten, wrt="x"))
    assert "np.reshape(x, (-1,))" in text and "np.reshape(x, -1)" not in text, text


@pytest.mark.parametrize("shape", [(3, 3), (3, 5), (5, 2), (1, 1)], ids=param_id)
def test_trace(shape):
    check_gradients(P.trace, (make(shape, seed=43),), "x")


@pytest.mark.parametrize("shape", [(3, 3, 2), (2, 4, 1, 3), (1, 1, 1), (3, 4)], ids=param_id)
def test_trace_of_higher_rank_arrays(shape):
    (gx,) = check_gradients(P.trace_batched, (make(shape, seed=45),), ("x",))
    off_diagonal = ~np.eye(shape[0], shape[1], dtype=bool)
    assert np.all(gx[off_diagonal] == 0)


@pytest.mark.parametrize("fn, shape", [(P.norm_vector, (5,)), (P.norm_vector, (1,)), (P.norm_frobenius, (3, 4)),
                                       (P.norm_fro_keyword, (3, 4))], ids=param_id)
def test_norm(fn, shape):
    x = make(shape, seed=44)
    (gx,) = check_gradients(fn, (x,), ("x",))
    if fn is not P.norm_fro_keyword:  # d sin(|x|) = cos(|x|) x / |x|
        r = np.linalg.norm(x)
        np.testing.assert_allclose(gx, np.cos(r) * x / r, rtol=1e-12)


# ---- indexing and joining -------------------------------------------------------------------------------------

@pytest.mark.parametrize("fn, shape", [
    (P.index_int, (3, 4)), (P.index_int, (3,)), (P.index_negative, (3, 4)), (P.index_column, (3, 4)),
    (P.index_block, (3, 4)), (P.index_block, (2, 2)), (P.index_step, (5, 6)), (P.index_element, (3, 4)),
    (P.index_newaxis_column, (3,)), (P.index_newaxis_column, (3, 4)), (P.index_newaxis_front, (3, 4)),
    (P.index_ellipsis, (2, 3, 4)), (P.index_ellipsis, (4, 2)), (P.index_repeated, (3, 4)), (P.index_negative, (1, 4)),
    (P.index_negative, (1, 1)), (P.slices_of_unknown_size_add, (3, 4)), (P.slices_of_unknown_size_mul, (3, 4)),
    (P.slices_of_unknown_size_plain_sum, (3, 4)), (P.slices_of_unknown_size_vectors, (3, 4)),
    (P.slices_of_unknown_size_max, (3, 4)), (P.slices_of_unknown_size_add, (2, 1)),
], ids=param_id)
def test_indexing(fn, shape):
    x = make(shape, seed=51)
    (gx,) = check_gradients(fn, (x,), ("x",))
    assert gx.shape == shape


def test_indexing_scatters_zeros_elsewhere():
    """The adjoint of x[1:, 1:] is zero on the first row and column."""
    x = make((3, 4), seed=52)
    gx = wengert.grad(P.index_block, wrt="x")(x)
    assert np.all(gx[0] == 0) and np.all(gx[:, 0] == 0)
    np.testing.assert_allclose(gx[1:, 1:], np.cos(x[1:, 1:]), rtol=1e-14)


@pytest.mark.parametrize("fn, sa, sb", [
    (P.concatenate_rows, (2, 4), (3, 4)), (P.concatenate_rows, (2,), (5,)), (P.concatenate_rows, (1, 3), (1, 3)),
    (P.concatenate_columns, (3, 2), (3, 4)), (P.concatenate_list_three, (3, 2), (3, 2)),
    (P.concatenate_list_three, (4,), (4,)), (P.stack_front, (3, 4), (3, 4)), (P.stack_front, (), ()),
    (P.stack_last, (3, 4), (3, 4)), (P.stack_last, (5,), (5,)), (P.stack_middle, (3, 4), (3, 4)),
], ids=param_id)
def test_joining(fn, sa, sb):
    a, b = make(sa, seed=53), make(sb, seed=54)
    ga, gb = check_gradients(fn, (a, b), ("a", "b"))
    assert np.shape(ga) == sa and np.shape(gb) == sb


def test_stacking_more_operands_than_any_primitive_has(load_source):
    """np.stack of 70 items: one op with 70 operands, each a hole of the emitted template."""
    items = ", ".join(f"x[{i}]" for i in range(70))
    module = load_source(f"import numpy as np\n\n\ndef f(x):\n    return np.sum(np.stack([{items}]) ** 2)\n")
    x = make((70,), seed=55)
    np.testing.assert_allclose(wengert.grad(module.f)(x), 2 * x, rtol=1e-14)


# ---- non-differentiable values flowing through -------------------------------------------------------------------

@pytest.mark.parametrize("fn, shapes", [
    (P.mean_by_shape, [(5, 3)]), (P.mean_by_len, [(7,)]), (P.mean_by_len, [(4, 2)]), (P.by_size_and_ndim, [(3, 4)]),
    (P.by_size_and_ndim, [(2, 3, 4)]), (P.shape_unpacked, [(4, 3)]), (P.plus_zeros, [(3, 4)]),
    (P.plus_zeros_literal, [(3, 4)]), (P.plus_zeros_literal, [(4,)]), (P.times_eye, [(3, 3)]),
    (P.times_eye, [(3,)]), (P.ones_like_weight, [(2, 3)]), (P.where_mask, [(3, 4), (3, 4)]),
    (P.where_mask, [(3, 4), (4,)]), (P.where_mask, [(4,), (3, 4)]), (P.where_scalar_branch, [(3, 4)]),
    (P.where_mixed_shapes, [(3, 1), (1, 4)]), (P.where_mixed_shapes, [(3, 4), "float"]),
    (P.comparison_as_weight, [(3, 4)]), (P.shape_reshape, [(12,), (3, 4)]),
], ids=param_id)
def test_nondifferentiable_values_flow(fn, shapes):
    args = tuple(away_from_zero(s, seed=61 + i) for i, s in enumerate(shapes))
    names = tuple(list(fn.__code__.co_varnames[:fn.__code__.co_argcount]))
    grads = check_gradients(fn, args, names)
    for g, a in zip(grads, args):
        assert np.shape(g) == np.shape(a)


def test_shape_divisor_uses_the_runtime_size():
    """X.shape[0] is read at run time: the same compiled gradient serves every batch size."""
    df = wengert.grad(P.mean_by_shape, wrt="X")
    for n in (2, 5, 9):
        X = make((n, 3), seed=n)
        np.testing.assert_allclose(df(X), np.cos(X) / n, rtol=1e-14)
    assert len(df.__wengert_cache__) == 1


def test_where_routes_the_cotangent_by_the_mask():
    x = np.array([-1.0, 0.5, 2.0])
    y = np.array([0.0, 1.0, 1.0])
    gx, gy = wengert.grad(P.where_mask, wrt=("x", "y"))(x, y)
    np.testing.assert_array_equal(gx, [0.0, 0.0, np.cos(2.0)])
    np.testing.assert_array_equal(gy, [0.0, 2.0, 0.0])


# ---- kinks: the documented subgradient convention --------------------------------------------------------------

def check_kink(fn, args, wrt, expected):
    grads = wengert.grad(fn, wrt=wrt)(*args)
    grads = grads if isinstance(wrt, tuple) else (grads,)
    for g, e in zip(grads, expected):
        np.testing.assert_array_equal(g, e)
    rng_ = rng(99)
    names = wrt if isinstance(wrt, tuple) else (wrt,)
    directions = [rng_.normal(size=np.shape(args[fn.__code__.co_varnames.index(n)])) for n in names]
    _, along = wengert.jvp(fn, wrt=wrt)(*args, *directions)
    np.testing.assert_allclose(along, sum(np.sum(g * d) for g, d in zip(grads, directions)), rtol=1e-12)


def test_abs_at_zero_is_zero():
    check_kink(P.kink_abs, (np.array([0.0, 1.5, -2.0, 0.0]),), "x", [[0.0, 1.0, -1.0, 0.0]])


@pytest.mark.parametrize("fn", [P.kink_relu, P.kink_relu_reversed])
def test_relu_at_zero_is_one_half(fn):
    check_kink(fn, (np.array([-1.0, 0.0, 2.0]),), "x", [[0.0, 0.5, 1.0]])


def test_maximum_tie_splits_evenly():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 5.0])
    check_kink(P.kink_maximum, (a, b), ("a", "b"), [[0.5, 1.0, 0.0], [0.5, 0.0, 1.0]])


def test_maximum_tie_under_broadcasting():
    a, b = np.array([[1.0, 2.0], [3.0, 1.0]]), np.array([1.0])
    check_kink(P.kink_maximum, (a, b), ("a", "b"), [[[0.5, 1.0], [1.0, 0.5]], [1.0]])


def test_minimum_tie_splits_evenly():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 5.0])
    check_kink(P.kink_minimum, (a, b), ("a", "b"), [[0.5, 0.0, 1.0], [0.5, 1.0, 0.0]])


def test_max_splits_among_tied_elements():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 3.0]])
    check_kink(P.kink_max, (x,), "x", [[[0.0, 1 / 3, 1 / 3], [0.0, 0.0, 1 / 3]]])


def test_max_along_axis_splits_per_row():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0], [5.0, 4.0, 0.0]])
    check_kink(P.kink_max_axis, (x,), "x", [[[0.0, 0.5, 0.5], [0.5, 0.0, 0.5], [1.0, 0.0, 0.0]]])


def test_min_splits_among_tied_elements():
    x = np.array([-1.0, 4.0, -1.0, 0.0])
    check_kink(P.kink_min, (x,), "x", [[0.5, 0.0, 0.5, 0.0]])


def test_clip_at_a_bound_is_one_half():
    x = np.array([-1.0, 1.0, 0.0, 2.0, -3.0])
    check_kink(P.kink_clip, (x,), "x", [[0.5, 0.5, 1.0, 0.0, 0.0]])


def test_clip_bounds_at_a_tie_share_with_x():
    x = np.array([-1.0, 1.0, 0.0, 2.0, -3.0])
    lo, hi = np.full(5, -1.0), np.full(5, 1.0)
    check_kink(P.kink_clip_bounds, (x, lo, hi), ("x", "lo", "hi"),
               [[0.5, 0.5, 1.0, 0.0, 0.0], [0.5, 0.0, 0.0, 0.0, 1.0], [0.0, 0.5, 0.0, 1.0, 0.0]])


# ---- one function, many shapes: the dispatcher specializes per broadcast signature -------------------------

AFFINE_CASES = [((5, 3), (3,), "float"), ((5, 3), (5, 1), (1, 3)), ((4,), (), (4,)), ((2, 5, 3), (3,), (5, 1)),
                ((7, 3), (3,), "float"), ((5, 3), (3,), ()), ((1, 3), (3,), (1, 1)), ((5, 3), (3,), "float")]


def test_one_function_many_broadcast_signatures():
    df = wengert.grad(P.affine, wrt=("x", "w", "b"))
    for k, shapes in enumerate(AFFINE_CASES):
        args = tuple(make(s, seed=70 + 3 * k + i) for i, s in enumerate(shapes))
        grads = df(*args)
        for g, a, n in zip(grads, args, numeric_grad(P.affine, args, ("x", "w", "b"))):
            assert np.shape(g) == np.shape(a), shapes
            np.testing.assert_allclose(g, n, rtol=1e-6, atol=1e-8, err_msg=str(shapes))
    # (5,3)/(7,3) share a signature, a float and a 0-d array too: 5 distinct signatures in all.
    assert len(df.__wengert_cache__) == 5


def test_signatures_do_not_leak_between_calls():
    """A size-1 axis that broadcasts must not reuse the version compiled for a full-size axis."""
    df = wengert.grad(P.add, wrt=("a", "b"))
    a = make((3, 4), seed=80)
    full, unit = make((3, 4), seed=81), make((3, 1), seed=82)
    _, g_full = df(a, full)
    _, g_unit = df(a, unit)
    _, g_full_again = df(a, full)
    assert g_full.shape == (3, 4) and g_unit.shape == (3, 1)
    np.testing.assert_allclose(g_unit, np.sum(np.cos(a + unit), axis=1, keepdims=True), rtol=1e-14)
    np.testing.assert_array_equal(g_full, g_full_again)


@pytest.mark.parametrize("s", [0.7, np.float64(0.7), np.array(0.7)], ids=["float", "float64", "0-d array"])
def test_scalar_parameter_as_float_or_0d_array(s):
    x = make((3, 4), seed=90)
    gx, gs = check_gradients(P.scaled, (x, s), ("x", "s"))
    assert np.shape(gs) == ()
    np.testing.assert_allclose(gs, np.sum(x * np.cos(s * x)) + 2 * s, rtol=1e-12)


def test_specialized_source_has_no_unbroadcast_when_shapes_match():
    """Specialized to equal shapes, the gradient of a + b needs no summing over axes."""
    df = wengert.grad(P.add, wrt=("a", "b"))
    a, b = make((3, 4), seed=1), make((3, 4), seed=2)
    text = wengert.source(df, a, b)
    assert "_unbroadcast" not in text and "np.sum(" not in text
    text_row = wengert.source(df, a, make((4,), seed=3))
    assert "_unbroadcast" not in text_row and "axis=0" in text_row


# ---- the generic (unspecialized) version: broadcasting undone at run time -------------------------------

def generic_gradient(fn, wrt):
    """The shape-generic gradient module wengert prints for fn (what the CLI shows), compiled."""
    module, node = module_of(fn)
    text = generate(parse(module, node), "grad", wrt)
    namespace = {}
    exec(compile(text, "<generic>", "exec"), namespace)
    return namespace[f"{fn.__name__}_grad"]


@pytest.mark.parametrize("op", P.BINARY, ids=lambda f: f.__name__)
def test_generic_version_handles_every_broadcast_pair(op):
    df = generic_gradient(op, ("a", "b"))
    specialized = wengert.grad(op, wrt=("a", "b"))
    for sa, sb in ORDERED_PAIRS:
        a, b = binary_args(op, sa, sb, seed=5)
        ga, gb = df(a, b)
        assert np.shape(ga) == np.shape(a) and np.shape(gb) == np.shape(b), (sa, sb)
        for g, h in zip((ga, gb), specialized(a, b)):
            np.testing.assert_allclose(g, h, rtol=1e-12, atol=1e-14, err_msg=str((sa, sb)))


@pytest.mark.parametrize("fn, shapes", [
    (P.matmul_operator, MATMUL_SHAPES), (P.dot, DOT_SHAPES),
    (P.r_sum_axis1_keepdims, [((2, 3, 4),), ((1, 1, 1),), ((2, 1, 3),)]),
    (P.r_max_axis1, [((2, 3, 4),), ((2, 1, 4),)]), (P.r_mean_axis_tuple_keepdims, [((2, 3, 4),), ((1, 3, 1),)]),
    (P.affine, AFFINE_CASES),
], ids=lambda v: getattr(v, "__name__", "shapes"))
def test_generic_version_matches_specialized(fn, shapes):
    names = fn.__code__.co_varnames[:fn.__code__.co_argcount]
    df, specialized = generic_gradient(fn, names), wengert.grad(fn, wrt=names)
    for case in shapes:
        args = tuple(make(s, seed=7 + i) for i, s in enumerate(case))
        for g, h, a in zip(df(*args), specialized(*args), args):
            assert np.shape(g) == np.shape(a), case
            np.testing.assert_allclose(g, h, rtol=1e-12, atol=1e-14, err_msg=str(case))


# ---- the max trick -----------------------------------------------------------------------------------------

MAX_TRICK = [P.lse_keepdims, P.lse_column, P.lse_axis0, P.min_trick, P.lse_whole, P.softmax_whole]
MAX_TRICK_LOOKALIKES = [P.not_lse_whole_rows, P.not_lse_plus_one, P.not_lse_doubled, P.not_softmax_squared, P.not_lse_shift_squared,
                        P.not_lse_other_axis, P.not_lse_sum_of_shift]


@pytest.mark.parametrize("fn", MAX_TRICK + MAX_TRICK_LOOKALIKES, ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape", [(4, 3), (4, 4), (1, 3), (4, 1)], ids=param_id)
def test_max_trick_and_lookalikes(fn, shape):
    check_gradients(fn, (make(shape, seed=101),), "U")


@pytest.mark.parametrize("fn", MAX_TRICK + MAX_TRICK_LOOKALIKES, ids=lambda f: f.__name__)
def test_max_trick_at_ties(fn):
    """Rows with tied maxima: where the output ignores m it is smooth, so the gradient is the true one."""
    U = np.array([[1.0, 1.0, -0.5], [0.25, 2.0, 2.0], [0.5, 0.5, 0.5]])
    g = wengert.grad(fn, wrt="U")(U)
    if fn in MAX_TRICK:
        np.testing.assert_allclose(g, numeric_grad(fn, (U,), "U"), rtol=1e-6, atol=1e-8)
    else:  # a kink: the adjoint through m splits among the ties, and forward mode uses the same subgradient
        v = rng(104).normal(size=U.shape)
        _, along = wengert.jvp(fn, wrt="U")(U, v)
        np.testing.assert_allclose(along, np.sum(g * v), rtol=1e-12)


def test_softmax_weighted_gradient():
    U, w = make((3, 5), seed=102), make((3, 5), seed=103)
    (gU,) = check_gradients(P.softmax_weighted, (U, w), ("U",))
    S = np.exp(U) / np.exp(U).sum(-1, keepdims=True)
    np.testing.assert_allclose(gU, S * (w - np.sum(w * S, -1, keepdims=True)), rtol=1e-12)


def test_max_trick_drops_the_adjoint_through_the_max():
    text = wengert.source(wengert.grad(P.lse_keepdims, wrt="U"), make((4, 3)))
    assert "==" not in text  # no tie mask: the max is a constant shift here
    text = wengert.source(wengert.grad(P.not_lse_plus_one, wrt="U"), make((4, 3)))
    assert "==" in text
    for fn in (P.lse_whole, P.softmax_whole):  # a max over every element is a constant shift too
        assert "==" not in wengert.source(wengert.grad(fn, wrt="U"), make((4, 3))), fn.__name__
    assert "==" in wengert.source(wengert.grad(P.not_lse_whole_rows, wrt="U"), make((4, 3)))


# ---- array-valued functions: jvp and vjp against finite differences -------------------------------------------

@pytest.mark.parametrize("fn, shapes", [(P.layer, [(3, 4), (4,), (3,)]), (P.layer, [(3, 4), (4, 2), (3, 1)]),
                                        (P.softmax_rows, [(3, 5)])], ids=param_id)
def test_array_valued_jvp_and_vjp(fn, shapes):
    args = tuple(make(s, seed=110 + i) for i, s in enumerate(shapes))
    names = fn.__code__.co_varnames[:fn.__code__.co_argcount]
    r = rng(111)
    directions = tuple(r.normal(size=s) for s in shapes)
    value, along = wengert.jvp(fn, wrt=names)(*args, *directions)
    np.testing.assert_allclose(value, fn(*args), rtol=1e-14)
    h = 1e-4  # fourth-order central difference along the directions
    moved = lambda k: fn(*(a + k * h * d for a, d in zip(args, directions)))  # noqa: E731
    numeric = (moved(-2) - 8 * moved(-1) + 8 * moved(1) - moved(2)) / (12 * h)
    np.testing.assert_allclose(along, numeric, rtol=1e-7, atol=1e-9)

    cotangent = r.normal(size=np.shape(value))
    value_r, pulled = wengert.vjp(fn, wrt=names)(*args, cotangent)
    np.testing.assert_allclose(value_r, value, rtol=1e-14)
    for p, a in zip(pulled, args):
        assert np.shape(p) == np.shape(a)
    # <cotangent, J v> == <J^T cotangent, v>
    np.testing.assert_allclose(np.sum(cotangent * along), sum(np.sum(p * d) for p, d in zip(pulled, directions)),
                               rtol=1e-10)


# ---- parameters that do not reach the output get zeros of their own shape -------------------------------------

def test_unused_array_parameter_gets_zeros():
    x, y = make((3, 2), seed=120), make((4, 5), seed=121)
    gx, gy = wengert.grad(P.ignores_y, wrt=("x", "y"))(x, y)
    np.testing.assert_allclose(gx, 2 * x, rtol=1e-14)
    assert np.shape(gy) == (4, 5) and np.all(gy == 0)


@pytest.mark.parametrize("s", [0.5, np.array(0.5), np.zeros((2, 1))], ids=["float", "0-d", "array"])
def test_unused_parameter_zero_has_its_shape(s):
    x = make((3,), seed=122)
    _, gs = wengert.grad(P.ignores_s, wrt=("x", "s"))(x, s)
    assert np.shape(gs) == np.shape(s) and np.all(gs == 0)


def test_reduction_with_axis_on_a_0d_array():
    s = np.array(0.3)
    (gs,) = check_gradients(P.reduce_0d_along_last_axis, (s,), ("s",))
    assert np.shape(gs) == ()


# ---- more spellings ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fn, args, wrt", [
    (P.transpose_negative_axes, [(2, 3, 4), (4, 2, 3)], "x"), (P.transpose_method_negative_axes, [(2, 3, 4), (3, 4, 2)], "x"),
    (P.index_reversed, [(4, 3)], "x"), (P.index_mixed, [(4, 5)], "x"),
    (P.index_dynamic_bounds, [(5, 2)], "x"), (P.unpack_rows, [(2, 3)], "x"), (P.augmented_assignments, [(2, 3)], "x"),
    (P.concatenate_with_constant, [(3,)], "x"), (P.where_constant_branches, [(3, 4)], "x"),
    (P.reductions_negative_tuple_axes, [(2, 3, 4)], "x"), (P.reductions_all_spellings, [(2, 3)], "x"),
    (P.method_chain, [(5, 2)], "x"),
], ids=lambda v: getattr(v, "__name__", str(v)))
def test_more_spellings(fn, args, wrt):
    values = tuple(make(s, seed=130 + i) for i, s in enumerate(args))
    check_gradients(fn, values, (wrt,))


@pytest.mark.parametrize("i", [0, 2, -2])
def test_index_by_an_integer_parameter(i):
    x = make((5,), seed=131)
    (gx,) = check_gradients(P.index_by_parameter, (x, i), ("x",))
    expected = np.zeros(5)
    expected[i] += np.cos(x[i]) * x[i + 1]
    expected[i + 1] += np.sin(x[i])
    np.testing.assert_allclose(gx, expected, rtol=1e-14)
