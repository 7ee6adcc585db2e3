"""One small function per NumPy function of issue 15 (the argument called w is a fixed weight, so that a wrong
adjoint cannot give the right answer by symmetry). Scalar versions (s_*) keep SymPy on the real domain."""
import math

import numpy as np


def u_log10(x, w):
    return np.sum(w * np.log10(x))


def u_log2(x, w):
    return np.sum(w * np.log2(x))


def u_exp2(x, w):
    return np.sum(w * np.exp2(x))


def u_arcsinh(x, w):
    return np.sum(w * np.arcsinh(x))


def u_arccosh(x, w):
    return np.sum(w * np.arccosh(x))


def u_arctanh(x, w):
    return np.sum(w * np.arctanh(x))


def u_reciprocal(x, w):
    return np.sum(w * np.reciprocal(x))


def u_cbrt(x, w):
    return np.sum(w * np.cbrt(x))


def u_fabs(x, w):
    return np.sum(w * np.fabs(x))


def u_positive(x, w):
    return np.sum(w * np.positive(x))


def u_deg2rad(x, w):
    return np.sum(w * np.deg2rad(x))


def u_rad2deg(x, w):
    return np.sum(w * np.rad2deg(x))


def u_radians(x, w):
    return np.sum(w * np.radians(x))


def u_degrees(x, w):
    return np.sum(w * np.degrees(x))


def u_nan_to_num(x, w):
    return np.sum(w * np.nan_to_num(x))


def u_negative(x, w):
    return np.sum(w * np.negative(x))


def st_floor(x, w):
    return np.sum(w * x * np.floor(x))


def st_ceil(x, w):
    return np.sum(w * x * np.ceil(x))


def st_trunc(x, w):
    return np.sum(w * x * np.trunc(x))


def st_rint(x, w):
    return np.sum(w * x * np.rint(x))


def st_round(x, w):
    return np.sum(w * x * np.round(x))


def st_around(x, w):
    return np.sum(w * x * np.around(x))


def b_float_power(a, b):
    return np.sum(np.sin(np.float_power(a, b)))


def b_logaddexp2(a, b):
    return np.sum(np.sin(np.logaddexp2(a, b)))


def b_hypot(a, b):
    return np.sum(np.sin(np.hypot(a, b)))


def b_arctan2(a, b):
    return np.sum(np.sin(np.arctan2(a, b)))


def b_fmax(a, b):
    return np.sum(np.sin(np.fmax(a, b)))


def b_fmin(a, b):
    return np.sum(np.sin(np.fmin(a, b)))


def b_heaviside(a, b):
    return np.sum(np.sin(np.heaviside(a, b)))


def b_mod(a, b):
    return np.sum(np.sin(np.mod(a, b)))


def b_fmod(a, b):
    return np.sum(np.sin(np.fmod(a, b)))


def b_remainder(a, b):
    return np.sum(np.sin(np.remainder(a, b)))


def b_true_divide(a, b):
    return np.sum(np.sin(np.true_divide(a, b)))


def s_unary(x, y):
    return (np.log10(2 + x) + np.log2(2 + y) + np.exp2(x) + np.arcsinh(y) + np.arccosh(2 + x) + np.arctanh(y / 2)
            + np.reciprocal(2 + x) + np.cbrt(2 + y) + np.fabs(x) + np.positive(y) + np.deg2rad(x) + np.rad2deg(y)
            + np.nan_to_num(x * y) + np.negative(x))


def s_binary(x, y):
    return (np.float_power(2 + x, y) + np.logaddexp2(x, y) + np.hypot(x, y) + np.arctan2(y, 2 + x) + np.fmax(x, y)
            + np.fmin(x, y) + np.heaviside(x, y) + np.true_divide(x, 2 + y))


def s_steps(x, y):
    return np.floor(3 * x) * y + np.ceil(x) * x + np.trunc(y) * x + np.rint(x) + np.round(y) + np.mod(x, 0.3) + np.fmod(y, 0.7)


def s_math(x, y):
    return (math.log10(2 + x) + math.log2(2 + y) + math.asinh(x) + math.acosh(2 + y) + math.atanh(x / 2)
            + math.cbrt(2 + y) + math.hypot(x, y) + math.atan2(y, 2 + x) + math.radians(x) + math.degrees(y)
            + math.floor(3 * x) * y + math.ceil(y) * x + math.trunc(x) + math.fmod(x, 0.7))


# ---- reductions and scans: f(x, w) with x a matrix -------------------------------------------------------

def r_var(x, w):
    return np.var(x) + np.sum(w[0] * np.var(x, axis=0)) + np.sum(np.var(x, axis=1, keepdims=True) * w[:, :1])


def r_std(x, w):
    return np.std(x) + np.sum(w[0] * np.std(x, axis=0, ddof=1)) + np.sum(np.std(x, axis=-1, keepdims=True) * w)


def r_methods(x, w):
    return x.var() + np.sum(w[0] * x.std(axis=0)) + np.sum(x.var(1, ddof=1) * w[:, 0]) + np.sum(w * x.cumsum(0))


def r_cumsum(x, w):
    return np.sum(w * np.cumsum(x, axis=1)) + np.sum(np.sin(np.cumsum(x, axis=0))) + np.sum(np.cumsum(x) ** 2)


def s_moments(x, y):
    v = np.stack((x, y, x * y, 0.5))
    return np.var(v) + np.std(v, ddof=1) + np.sum(np.cumsum(v) * v) + v.var() * v.std()


# ---- constructors: f(x, a) with x a vector, a a number ----------------------------------------------------

def c_constructors(x, a):
    n = len(x)
    r = np.arange(n) * 0.5 + np.arange(1, n + 1) + np.arange(0, n, 1)
    e = np.eye(n, k=1) + np.identity(n) + np.eye(n, k=-1)
    z = np.full((n,), a) + np.full_like(x, 2.0) + np.empty(n) * 0 + np.empty_like(x) * 0
    return np.sum(x * r) + np.sum(np.dot(e, x) * x) + np.sum(z * x * a)


def c_linspace(a, x):
    return np.sum(np.sin(np.linspace(a, 2 * a + 1, 4)) * x[0]) + np.sum(np.linspace(0.0, a * a, 3) ** 2)


def c_arange_of_active(x, a):
    return np.sum(np.arange(a, a + 3) * x)


def c_full_like_of_active(x, a):
    return np.sum(np.full_like(x, a) * x)


def s_constructors(x, y):
    return (np.sum(np.linspace(x, y, 4) ** 2) + np.sum(np.full((2,), x) * y) + np.sum(np.arange(3) * x)
            + np.sum(np.eye(2, k=1) * y) + np.sum(np.full_like(np.ones(2), 0.5) * x))


# ---- shape and layout: f(x, w) with x and w matrices ----------------------------------------------------

def l_flat(x, w):
    v = np.ravel(x) * w.ravel() + x.flatten() * 2 + np.copy(x).ravel() + x.copy().flatten()
    return np.sum(v * np.flip(v)) + np.sum(x.astype(float) ** 3)


def l_squeeze(x, w):
    s = np.squeeze(x[:, :1], axis=1) + x[None].squeeze(0)[:, 1] + np.squeeze(np.expand_dims(x, axis=0), axis=0)[:, 2]
    return np.sum(s ** 2 * np.flip(x, axis=1)[:, 0]) + np.sum(np.flip(x) * w) + np.sum(np.squeeze(x[None]) ** 3)


def l_clip(x, w):
    return np.sum(np.clip(x, a_min=-0.5, a_max=0.5) * w) + np.sum(np.clip(x, -0.3, a_max=w) ** 2)


def s_layout(x, y):
    v = np.stack((x, y, x * y))
    return (np.sum(np.flip(v) * v) + np.sum(np.ravel(np.outer(v, v)) * np.arange(9))
            + np.sum(np.clip(v, a_min=-0.5, a_max=0.5) * v) + np.sum(np.squeeze(v[None]) ** 2)
            + np.sum(v.copy() * v.astype(float)))


def l_squeeze_unknown(x, w):
    return np.sum(np.squeeze(x[:, :1]) * w[:, 0])


def r_prod(x, w):
    return (np.sum(w[0] * np.prod(x, axis=0)) + np.prod(x) + np.sum(x.prod(axis=1, keepdims=True) * w)
            + np.sum(np.prod(np.sin(x), axis=(0, 1))))


def s_prod(x, y):
    v = np.stack((x, y, x * y, 0.0))
    return np.prod(v[:3]) + np.sum(np.prod(np.stack((v, v * v)), axis=0)) + np.prod(v) + v[:2].prod()


def l_axes(x, w):
    a = np.swapaxes(x, 0, 2) * w
    b = np.moveaxis(x, 0, -1)
    return np.sum(np.sin(a)) + np.sum(b[..., 0] ** 2 * np.moveaxis(w, (0, 1), (1, 2))[0])


def l_triangles(x, w):
    c = np.triu(x[0], 1) + np.tril(x[1]) + np.tril(x[1], k=-1) * w[0, :, 0]
    return np.sum(c ** 2 * np.swapaxes(x[1], -1, 0)) + np.sum(np.triu(x[0, :, :2] @ x[0, :, :2].T) ** 3)


def l_triangle_of_vector(x, w):
    return np.sum(np.triu(x[0, 0], -1) ** 2 * w[:, :, 0])


def s_axes(x, y):
    m = np.stack((np.stack((x, y)), np.stack((x * y, y * y))))
    return (np.sum(np.triu(m) * np.tril(m, -1).T) + np.sum(np.swapaxes(m, 0, 1) * m)
            + np.sum(np.moveaxis(m, 0, 1) * m ** 2) + np.sum(np.triu(np.stack((x, y, x))) * 2.0))


def r_cumsum_of_a_number(x, w):
    return np.sum(np.cumsum(x[0, 0], axis=-1) * w[0, :1]) + np.sum(np.cumsum(x[1, 1]) ** 2)


def l_flips_and_rolls(x, w):
    return (np.sum(np.sin(np.flipud(x)) * w) + np.sum(np.fliplr(x) ** 2 * w) + np.sum(np.roll(x, 2, axis=1) * w ** 2)
            + np.sum(np.roll(x[0], -1) * x[1]) + np.sum(np.roll(x, (1, 2), axis=(0, 1)) * np.cos(x)))


def l_roll_flattened(x, w):
    return np.sum(np.roll(x, 2) * w * x)


def s_flips_and_rolls(x, y):
    m = np.stack((np.stack((x, y, 1.0)), np.stack((x * y, y * y, x))))
    return (np.sum(np.flipud(m) * m) + np.sum(np.fliplr(m) * m ** 2) + np.sum(np.roll(m, 1, axis=1) * m)
            + np.sum(np.roll(m, 2) * m))


def l_diagonals(x, w):
    return (np.sum(np.diagonal(x) * w[0, :3]) + np.sum(np.diagonal(x, 1) ** 2) + np.sum(np.diag(x, -1) ** 3)
            + np.sum(np.diag(x[0])[:3] * np.cos(x)) + np.sum(np.diag(x[1], 1) ** 2))


def l_diagonals_batched(x, w):
    return (np.sum(np.diagonal(np.stack((x, x * x)), axis1=-1, axis2=-2) ** 2 * w[0, :3])
            + np.sum(np.diagonal(x, 1) ** 2))


def s_diagonals(x, y):
    m = np.stack((np.stack((x, y, 1.0)), np.stack((x * y, y * y, x))))
    return (np.sum(np.diagonal(m) * m[0, :2]) + np.sum(np.diag(m, 1) ** 2)
            + np.sum(np.diag(m[0]) * np.diag(m[1], -1)[1:, :3]))


def r_nan_and_ptp(x, w):
    return (np.sum(np.nansum(x * w, axis=0) ** 2) + np.nanmean(x ** 3) + np.sum(np.ptp(x, axis=1) * w[:, 0])
            + np.ptp(x) + np.sum(np.nanmean(x, axis=1, keepdims=True) * w))


def r_nan_skipped(x, w):
    return np.nansum(x * w) + np.sum(np.nanmean(x, axis=0) ** 2)


def s_nan(x, y):
    v = np.stack((x, y, x * y))
    return np.nansum(v * v) + np.nanmean(v) * x + np.ptp(v[:2]) * y


def append_flat(x, y):
    """np.append without axis: both flattened, then joined (y a number or an array of any shape)."""
    return np.sum(np.sin(np.append(x, y * x[0, 0])) ** 2)


# ---- issue 15, the rest: promotion, stacking, tiling, padding, splitting, gathering, sorting, scans ------------
# x is 3 x 4 and w 3 x 4 in every one (w a fixed weight)

def u_sinc(x, w):
    return np.sum(w * np.sinc(x))


def l_atleast(x, w):
    return np.sum(w * np.atleast_2d(x)) + np.sum(np.atleast_3d(x)[:, :, 0] * w) + np.sum(np.atleast_1d(x[0, 0]) ** 2) \
        + np.sum(np.atleast_2d(x[0]) * w[1]) + np.sum(np.atleast_3d(x[1]) ** 3)


def l_stacks(x, w):
    h = np.hstack((x, w * x))
    v = np.vstack((x, x[0] * x[1]))
    d = np.dstack((x, np.sin(x)))
    c = np.column_stack((x[:, 0], x))
    return np.sum(h[:, 1:6] ** 2) + np.sum(v[1:] * np.vstack([w, w[0]])[1:] ** 2) + np.sum(d[:, :, 1] * w) \
        + np.sum(c[:, :4] * w)


def l_stack_vectors(x, w):
    return np.sum(np.hstack((x[0], x[1] ** 2, x[0, 1])) * np.hstack([w[0], w[1], w[2, 2]])) \
        + np.sum(np.vstack((x[0], x[2])) * w[:2]) + np.sum(np.column_stack((x[0], x[1])) ** 2 * w[:2].T)


def l_tile_repeat(x, w):
    return np.sum(np.tile(x, (2, 1)) ** 2 * np.tile(w, (2, 1))) + np.sum(np.repeat(x, 2, axis=1) * np.repeat(w, 2, axis=1)) \
        + np.sum(np.repeat(x, [1, 0, 2], axis=0) ** 3) + np.sum(np.tile(x[0], 3) * np.tile(w[1], 3)) \
        + np.sum(np.repeat(x, 2) * np.repeat(w, 2)) + np.sum(np.tile(x[1], (2, 2)) ** 2) + np.sum(x.repeat(3, axis=-1) ** 2)


def l_broadcast_to(x, w):
    return np.sum(np.broadcast_to(x[0], (3, 4)) * w * x) + np.sum(np.broadcast_to(x[:, :1], x.shape) * w)


def l_pad(x, w):
    total = np.sum(np.pad(x, 1) ** 2) + np.sum(np.pad(x, ((1, 2), (0, 1)), mode="edge")[1:4, :4] * w)
    total = total + np.sum(np.pad(x, 2, mode="reflect")[:3, :4] * w) + np.sum(np.pad(x, (1, 2), mode="symmetric") ** 3)
    return total + np.sum(np.pad(x, 1, mode="wrap")[1:, 1:][:3, :4] * w) + np.sum(np.pad(x, 1, constant_values=0.5) ** 2)


def l_split(x, w):
    a, b = np.split(x, 2, axis=1)
    c = np.array_split(x, 2)[1]
    first, second, third = np.split(x, [1, 3])
    left, right = np.hsplit(x, [1])
    top = np.vsplit(x, 3)[0]
    return np.sum(a * b * w[:, :2]) + np.sum(c ** 2) + np.sum(third * w[2]) + np.sum(second ** 3) \
        + np.sum(left * right[:, :1]) + np.sum(top * w[0]) + np.sum(first)


def l_take(x, w):
    order = np.argsort(w, axis=1)
    return np.sum(np.take(x, [0, 2, 2], axis=1) ** 2) + np.sum(np.take(x, [5, 0, 5]) * w[0, :3]) \
        + np.sum(np.take(x, 1, axis=0) * w[1]) + np.sum(np.take_along_axis(x, order, axis=1) * w) \
        + np.sum(x.take([1, 1], axis=-1) ** 3) + np.sum(np.take_along_axis(x, np.argsort(w[0]), axis=None) ** 2)


def l_sort(x, w):
    return np.sum(w * np.sort(x, axis=0) ** 2) + np.sum(np.sort(x) * w) + np.sum(np.partition(x, 1, axis=1) * w) \
        + np.sum(np.sort(x, axis=None)[:12] * w.ravel()) + np.sum(np.partition(x[0], 2) ** 2 * w[0])


def l_rotations(x, w):
    return np.sum(np.rot90(x) * w.T) + np.sum(np.rot90(x, 2) ** 2 * w) + np.sum(np.rot90(x, k=3) * w.T ** 2) \
        + np.sum(np.rollaxis(x, 1) * w.T) + np.sum(np.diagflat(x[0]) * np.eye(4)) + np.trace(x, offset=1) \
        + np.trace(x * w, offset=-1) + np.sum(np.diagflat(x[1:3, :2], k=1) ** 2) + x.trace(offset=2)


def l_kron(x, w):
    return np.sum(np.kron(x, w) ** 2) + np.sum(np.kron(x[0], x) * np.kron(w[0], w)) + np.sum(np.kron(x[1, 1], x) * w[2, 3])


def r_cumprod(x, w):
    return np.sum(w * np.cumprod(x, axis=1)) + np.sum(np.cumprod(x, axis=0) * w) + np.sum(np.cumprod(x)[:12] * w.ravel()) \
        + np.sum(x.cumprod(axis=-1) ** 2)


def r_average(x, w):
    return np.sum(np.average(x, axis=1, weights=w[0] ** 2 + 1.0)) + np.average(x, weights=w ** 2) \
        + np.sum(np.average(x ** 2, axis=0, weights=w + 3.0) * w[0]) + np.sum(np.average(x, axis=0) ** 2) \
        + np.sum(np.average(x, axis=1, weights=w ** 2, keepdims=True) * w[:, :1])


def r_quantiles(x, w):
    return np.median(x) + np.sum(np.median(x, axis=0) * w[0]) + np.percentile(x, 30) \
        + np.sum(np.quantile(x, 0.8, axis=1) * w[:, 0]) + np.sum(np.median(x, axis=1, keepdims=True) * w)


def s_rest(x, y):
    v = np.array([x, y, x * y])
    m = np.array([[x, y], [y * y, x + 1.0]])
    return np.sum(np.sinc(v) * np.cumprod(v)) + np.sum(np.tile(v, 2) * np.repeat(v, 2)) \
        + np.sum(np.hstack((v, v ** 2)) * np.pad(v, (1, 2), mode="reflect")) + np.sum(np.rot90(m) * m) \
        + np.average(v, weights=np.array([1.0, 2.0, 3.0])) + np.sum(np.split(v, 3)[1]) + np.sum(np.atleast_2d(v) ** 2) \
        + np.trace(m, offset=1) + np.sum(np.broadcast_to(v, (2, 3)) * np.vstack((v, v))) + np.sum(np.kron(v, m) * np.kron(m, v))


def sorted_row(x, w):
    return np.sum(np.sort(x) * w)


def median_of(x):
    return np.median(x)


def average_without_axis(x, w):
    return np.average(x, weights=w)


def largest_by_sort(x):
    return np.sort(x)[-1]


def largest(x):
    return np.max(x)


def l_einsum_ellipsis(x, w):
    return np.sum(np.einsum('...j,...j->...', x, w) ** 2) + np.sum(np.einsum('i...,i...', x, x) * w[0]) \
        + np.sum(np.einsum('...ij,...jk', x[None], x.T) ** 2) + np.einsum('ij...,ij...->', x, w)


def l_concatenators(x, w):
    return np.sum(np.r_[x, w * x] ** 2) + np.sum(np.r_[x[0], 2.0, x[1, 1]] * np.r_[w[0], w[1, :2]]) \
        + np.sum(np.c_[x[0], x[1], x[2]] ** 3) + np.sum(np.c_[x, w] * np.c_[w, x])


def l_qr(x, w):
    q, r = np.linalg.qr(x.T)
    qs, rs = np.linalg.qr(np.stack((x[:, :3], x[:, 1:] + 2.0 * x[:, :3])))
    return np.sum(q * w.T) + np.sum(r ** 2 * w[:3, :3]) + np.sum(qs[1] ** 3) + np.sum(rs * w[:3, :3])


def s_ordered(x, y):
    v = np.array([x, y, x * y, 0.5])
    return np.sum(np.sort(v) * np.array([1.0, 2.0, 3.0, 4.0])) + np.median(v) ** 2 \
        + np.sum(np.partition(v, 1) * v) + np.max(np.cumprod(v)) + np.percentile(v, 30)
