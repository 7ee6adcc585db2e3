"""One small scalar-valued function per array primitive (the argument called w is a fixed weight).

Each wraps the primitive so that its cotangent is not uniform (a weighted sum or a sin on top),
otherwise a wrong adjoint could still give the right answer by symmetry."""
import numpy as np


# ---- elementwise binary ops under broadcasting: f(a, b) --------------------------------------------

def add(a, b):
    return np.sum(np.sin(a + b))


def sub(a, b):
    return np.sum(np.sin(a - b))


def mul(a, b):
    return np.sum(np.sin(a * b))


def div(a, b):
    return np.sum(np.sin(a / b))


def power(a, b):
    return np.sum(np.sin(a ** b))


def maximum(a, b):
    return np.sum(np.sin(np.maximum(a, b)))


def minimum(a, b):
    return np.sum(np.sin(np.minimum(a, b)))


def logaddexp(a, b):
    return np.sum(np.sin(np.logaddexp(a, b)))


def where_greater(a, b):
    return np.sum(np.sin(np.where(a > b, a * b, a - b)))


BINARY = [add, sub, mul, div, power, maximum, minimum, logaddexp, where_greater]


# ---- unary ufuncs: f(x, w) ----------------------------------------------------------------------------

def u_neg(x, w):
    return np.sum(w * -x)


def u_exp(x, w):
    return np.sum(w * np.exp(x))


def u_log(x, w):
    return np.sum(w * np.log(x))


def u_sqrt(x, w):
    return np.sum(w * np.sqrt(x))


def u_tanh(x, w):
    return np.sum(w * np.tanh(x))


def u_sin(x, w):
    return np.sum(w * np.sin(x))


def u_cos(x, w):
    return np.sum(w * np.cos(x))


def u_tan(x, w):
    return np.sum(w * np.tan(x))


def u_sinh(x, w):
    return np.sum(w * np.sinh(x))


def u_cosh(x, w):
    return np.sum(w * np.cosh(x))


def u_arctan(x, w):
    return np.sum(w * np.arctan(x))


def u_arcsin(x, w):
    return np.sum(w * np.arcsin(x))


def u_arccos(x, w):
    return np.sum(w * np.arccos(x))


def u_abs(x, w):
    return np.sum(w * np.abs(x))


def u_absolute(x, w):
    return np.sum(w * np.absolute(x))


def u_log1p(x, w):
    return np.sum(w * np.log1p(x))


def u_expm1(x, w):
    return np.sum(w * np.expm1(x))


def u_square(x, w):
    return np.sum(w * np.square(x))


def u_clip(x, w):
    return np.sum(w * np.clip(x, -0.5, 0.5))


def clip_bounds(x, lo, hi):
    """np.clip with differentiated bounds: the result follows lo where x < lo and hi where x > hi."""
    return np.sum(np.sin(np.clip(x, lo, hi)))


def u_relu(x, w):
    return np.sum(w * np.maximum(x, 0))


def u_power_const(x, w):
    return np.sum(w * x ** 3)


def u_const_power(x, w):
    return np.sum(w * 2.0 ** x)


# ---- reductions: f(x), x of shape (2, 3, 4) ----------------------------------------------------------

def r_sum_all(x):
    return np.sin(np.sum(x))


def r_sum_axis0(x):
    return np.sum(np.sin(np.sum(x, axis=0)))


def r_sum_axis1_keepdims(x):
    return np.sum(np.sin(np.sum(x, axis=1, keepdims=True) * x))


def r_sum_axis_negative(x):
    return np.sum(np.sin(np.sum(x, axis=-1)))


def r_sum_axis_tuple(x):
    return np.sum(np.sin(np.sum(x, axis=(0, 2))))


def r_sum_axis_tuple_keepdims(x):
    return np.sum(np.sin(np.sum(x, axis=(0, 2), keepdims=True) * x))


def r_sum_all_keepdims(x):
    return np.sum(np.sin(np.sum(x, keepdims=True) * x))


def r_sum_method(x):
    return np.sum(np.sin(x.sum(axis=1)))


def r_sum_method_positional(x):
    return np.sum(np.sin(x.sum(2)))


def r_mean_all(x):
    return np.sin(np.mean(x))


def r_mean_axis1(x):
    return np.sum(np.sin(np.mean(x, axis=1)))


def r_mean_axis_tuple_keepdims(x):
    return np.sum(np.sin(np.mean(x, axis=(1, 2), keepdims=True) * x))


def r_mean_method(x):
    return np.sum(np.sin(x.mean(axis=0)))


def r_max_all(x):
    return np.sin(np.max(x))


def r_max_axis1(x):
    return np.sum(np.sin(np.max(x, axis=1)))


def r_max_axis_tuple(x):
    return np.sum(np.sin(np.max(x, axis=(0, 2))))


def r_max_keepdims(x):
    return np.sum(np.sin(x - np.max(x, axis=-1, keepdims=True)))


def r_max_method(x):
    return np.sum(np.sin(x.max(axis=2)))


def r_amax(x):
    return np.sum(np.sin(np.amax(x, axis=0)))


def r_min_all(x):
    return np.sin(np.min(x))


def r_min_axis0(x):
    return np.sum(np.sin(np.min(x, axis=0)))


def r_min_method_keepdims(x):
    return np.sum(np.sin(x.min(axis=1, keepdims=True) * x))


def r_amin(x):
    return np.sum(np.sin(np.amin(x, axis=(1, 2))))


REDUCTIONS = [r_sum_all, r_sum_axis0, r_sum_axis1_keepdims, r_sum_axis_negative, r_sum_axis_tuple,
              r_sum_axis_tuple_keepdims, r_sum_all_keepdims, r_sum_method, r_sum_method_positional,
              r_mean_all, r_mean_axis1, r_mean_axis_tuple_keepdims, r_mean_method,
              r_max_all, r_max_axis1, r_max_axis_tuple, r_max_keepdims, r_max_method, r_amax,
              r_min_all, r_min_axis0, r_min_method_keepdims, r_amin]


# ---- products: f(a, b) ----------------------------------------------------------------------------------

def dot(a, b):
    return np.sum(np.sin(np.dot(a, b)))


def dot_method(a, b):
    return np.sum(np.sin(a.dot(b)))


def matmul_operator(a, b):
    return np.sum(np.sin(a @ b))


def matmul_function(a, b):
    return np.sum(np.sin(np.matmul(a, b)))


def outer(a, b):
    return np.sum(np.sin(np.outer(a, b)))


# ---- shape manipulation, linear algebra: f(x) ---------------------------------------------------------

def transpose_T(x, w):
    return np.sum(w * np.sin(x.T))


def transpose_function(x, w):
    return np.sum(w * np.sin(np.transpose(x)))


def transpose_axes(x, w):
    return np.sum(w * np.sin(np.transpose(x, (1, 2, 0))))


def transpose_method_axes(x, w):
    return np.sum(w * np.sin(x.transpose(2, 0, 1)))


def trace(x):
    return np.sin(np.trace(x * x))


def trace_batched(x):
    """np.trace of a 3-D or 4-D array sums the diagonals of the first two axes: the result is an array."""
    return np.sum(np.sin(np.trace(x)))


def reshape_function(x, w):
    return np.sum(w * np.sin(np.reshape(x, (4, 6))))


def reshape_method(x, w):
    return np.sum(w * np.sin(x.reshape(6, 4)))


def reshape_method_tuple_inferred(x, w):
    return np.sum(w * np.sin(x.reshape((-1, 3))))


def reshape_flatten(x, w):
    return np.sum(w * np.sin(x.reshape(-1)))


def norm_vector(x):
    return np.sin(np.linalg.norm(x))


def norm_frobenius(x):
    return np.sin(np.linalg.norm(x))


def norm_fro_keyword(x):
    return np.linalg.norm(x, ord="fro") ** 2 + np.linalg.norm(x)


# ---- indexing and joining: f(x), x of shape (3, 4) unless said otherwise ------------------------------

def index_int(x):
    return np.sum(np.sin(x[0] * x[2]))


def index_negative(x):
    return np.sum(np.sin(x[-1]))


def index_column(x):
    return np.sum(np.sin(x[:, 0] * x[:, 3]))


def index_block(x):
    return np.sum(np.sin(x[1:, 1:]))


def index_step(x):
    return np.sum(np.sin(x[::2, 1:4:2]))


def index_element(x):
    return np.sin(x[1, 2]) * x[0, 0]


def index_newaxis_column(x):
    return np.sum(np.sin(x[:, None] * x[None, :]))


def index_newaxis_front(x):
    return np.sum(np.sin(x[None, :, :] + x[:, None, :]))


def index_ellipsis(x):
    return np.sum(np.sin(x[..., 0]) * x[..., 1])


def index_repeated(x):
    return np.sum(np.sin(x[0] + x[0] + x[1:2]))


def slices_of_unknown_size_add(x):
    """x[1:] and x[:1] have statically unknown lengths; at run time x[:1] broadcasts."""
    return np.sum(np.sin(x[1:] + x[:1]))


def slices_of_unknown_size_mul(x):
    return np.sum(np.sin(x[1:] * x[:1]))


def slices_of_unknown_size_plain_sum(x):
    return np.sum(x[1:] * x[:1]) + np.mean(x[:1] - x[2:])


def slices_of_unknown_size_vectors(x):
    return np.sum(np.sin(x[1:, 0] + x[0, :1]))


def slices_of_unknown_size_max(x):
    return np.sum(np.sin(np.maximum(x[:, 1:], x[:, :1]) * x[:1, :1]))


def concatenate_rows(a, b):
    return np.sum(np.sin(np.concatenate((a, b))))


def concatenate_columns(a, b):
    return np.sum(np.sin(np.concatenate((a, b), axis=1) * 1.5))


def concatenate_list_three(a, b):
    return np.sum(np.sin(np.concatenate([a, b, a * b], axis=-1)))


def stack_front(a, b):
    return np.sum(np.sin(np.stack((a, b))) * np.stack((a, a)))


def stack_last(a, b):
    return np.sum(np.sin(np.stack((a, b, a), axis=-1)))


def stack_middle(a, b):
    return np.sum(np.sin(np.stack([a, b], axis=1)))


# ---- non-differentiable values flowing through ---------------------------------------------------------

def mean_by_shape(X):
    return np.sum(np.sin(X)) / X.shape[0]


def mean_by_len(x):
    return np.sum(x ** 2) / len(x)


def by_size_and_ndim(X):
    return np.sum(X ** 2) / X.size + X.ndim * np.sum(X)


def shape_unpacked(X):
    N, D = X.shape
    return np.sum(np.sin(X)) / (N * D) + N


def plus_zeros(x):
    return np.sum(np.sin(x + np.zeros(x.shape)))


def plus_zeros_literal(x):
    return np.sum(np.sin(x + np.zeros((3, 4)) + np.ones(4)))


def times_eye(X):
    return np.sum(np.sin(X * np.eye(3) + X))


def ones_like_weight(x):
    return np.sum(np.ones_like(x) * np.sin(x) + np.zeros_like(x))


def where_mask(x, y):
    mask = x > y
    return np.sum(np.where(mask, np.sin(x), y ** 2))


def where_scalar_branch(x):
    return np.sum(np.where(x < 0.25, 0.0, x ** 3))


def where_mixed_shapes(x, y):
    return np.sum(np.sin(np.where(x >= 0, x, y)))


def comparison_as_weight(x):
    return np.sum((x > 0) * x ** 2)


def shape_reshape(x, Y):
    return np.sum(np.sin(np.reshape(x, Y.shape)) * Y)


# ---- kinks (evaluated exactly at the tie) --------------------------------------------------------------

def kink_abs(x):
    return np.sum(np.abs(x))


def kink_relu(x):
    return np.sum(np.maximum(x, 0))


def kink_relu_reversed(x):
    return np.sum(np.maximum(0.0, x))


def kink_maximum(a, b):
    return np.sum(np.maximum(a, b))


def kink_minimum(a, b):
    return np.sum(np.minimum(a, b))


def kink_max(x):
    return np.max(x)


def kink_max_axis(x):
    return np.sum(np.max(x, axis=1))


def kink_min(x):
    return np.min(x)


def kink_clip(x):
    return np.sum(np.clip(x, -1.0, 1.0))


def kink_clip_bounds(x, lo, hi):
    return np.sum(np.clip(x, lo, hi))


# ---- the same function at many shapes ------------------------------------------------------------------

def affine(x, w, b):
    return np.sum(np.tanh(x * w + b) ** 2)


def scaled(x, s):
    return np.sum(np.sin(s * x)) + s ** 2


# ---- the max trick: the output does not depend on the shift m (wengert skips its adjoint) ---------------
# and look-alikes where it does depend on m (the adjoint through m must stay).

def lse_keepdims(U):
    m = np.max(U, axis=1, keepdims=True)
    return np.sum(np.sin(m + np.log(np.sum(np.exp(U - m), axis=1, keepdims=True))))


def lse_column(U):
    m = np.max(U, axis=1)[:, None]
    return np.sum(np.sin(m[:, 0] + np.log(np.sum(np.exp(U - m), axis=1))))


def lse_axis0(U):
    m = np.max(U, axis=0, keepdims=True)
    return np.sum(np.sin(m + np.log(np.sum(np.exp(U - m), axis=0, keepdims=True))))


def softmax_weighted(U, w):
    E = np.exp(U - np.max(U, axis=-1, keepdims=True))
    return np.sum(w * E / np.sum(E, axis=-1, keepdims=True))


def min_trick(U):
    m = np.min(U, axis=1, keepdims=True)
    return np.sum(-m + np.log(np.sum(np.exp(m - U), axis=1)))


def lse_whole(U):
    m = np.max(U)  # over every element: m is a number
    return np.sin(m + np.log(np.sum(np.exp(U - m))))


def softmax_whole(U):
    E = np.exp(U - np.max(U))
    return np.sum(np.cos(E / np.sum(E)))


def not_lse_whole_rows(U):
    m = np.max(U)
    return np.sum(m + np.log(np.sum(np.exp(U - m), axis=1)))  # m counted once per row: not invariant


def not_lse_plus_one(U):
    m = np.max(U, axis=1, keepdims=True)
    return np.sum(m + np.log(np.sum(np.exp(U - m), axis=1, keepdims=True) + 1))


def not_lse_doubled(U):
    m = np.max(U, axis=1, keepdims=True)
    return np.sum(m + np.log(np.sum(np.exp(2 * (U - m)), axis=1, keepdims=True)))


def not_softmax_squared(U):
    E = np.exp(U - np.max(U, axis=1, keepdims=True))
    return np.sum(E / np.sum(E, axis=1, keepdims=True) ** 2)


def not_lse_shift_squared(U):
    m = np.max(U, axis=1, keepdims=True)
    return np.sum((U - m) * (U - m))


def not_lse_other_axis(U):
    m = np.max(U, axis=1, keepdims=True)
    return np.sum(m + np.log(np.sum(np.exp(U - m), axis=0, keepdims=True)))


def not_lse_sum_of_shift(U):
    m = np.max(U, axis=1, keepdims=True)
    return np.sum(np.sum(U - m, axis=1) ** 2)


# ---- array-valued functions (for jvp and vjp with an array cotangent) -------------------------------------

def layer(W, x, b):
    return np.tanh(W @ x + b)


def softmax_rows(U):
    E = np.exp(U - np.max(U, axis=1, keepdims=True))
    return E / np.sum(E, axis=1, keepdims=True)


# ---- parameters that do not reach the output ------------------------------------------------------------

def ignores_y(x, y):
    return np.sum(x ** 2) + y.shape[0]


def ignores_s(x, s):
    return np.sum(np.sin(x))


def reduce_0d_along_last_axis(s):
    """NumPy accepts axis=-1 (or 0) on a 0-d array and returns a 0-d result."""
    return np.sin(np.max(s, axis=-1)) + np.sum(s, axis=0)


# ---- more spellings: negative axes, dynamic indices, unpacking, augmented assignment --------------------

def transpose_negative_axes(x, w):
    return np.sum(w * np.sin(np.transpose(x, (-1, 0, 1))))


def transpose_method_negative_axes(x, w):
    return np.sum(w * np.sin(x.transpose(1, -1, 0)))


def index_by_parameter(x, i):
    return np.sin(x[i]) * x[i + 1]


def index_reversed(x):
    return np.sum(np.sin(x[::-1]) * x)


def index_mixed(x):
    return np.sum(np.sin(x[-1:, ::2])) + x[..., 1:].sum() + x[0, ...].sum()


def index_dynamic_bounds(x):
    n = x.shape[0] - 1
    return np.sum(np.sin(x[1:n]))


def unpack_rows(x):
    a, b = x
    return np.sum(a * np.sin(b))


def augmented_assignments(x):
    s = x * 0
    s += x ** 2
    s *= np.sin(x)
    s -= x
    s /= 2.0 + x ** 2
    return np.sum(s)


def concatenate_with_constant(x):
    return np.sum(np.sin(np.concatenate((x, np.zeros(2), x))))


def where_constant_branches(x):
    return np.sum(np.where(x > 0, 1.0, -1.0) * x ** 3)


def reductions_negative_tuple_axes(x):
    return np.sum(np.sin(np.sum(x, axis=(-1, 0)))) + np.sum(np.sin(np.max(x, axis=(0, -1), keepdims=True) * x))


def reductions_all_spellings(x):
    return np.sum(np.sin(np.mean(x, 0, keepdims=True) * x)) + x.mean() + x.sum() + np.sum(x, 1)[0]


def method_chain(x):
    return np.sum(np.sin(x.T.dot(x)))
