"""Bundle adjustment (ADBench / GradBench `ba`): the reprojection error of each observation, one row per
observation, with the camera (Rodrigues rotation, center, focal length, principal point, two radial distortion
coefficients: 11 numbers) and the point of that observation gathered into rows beforehand, as ADBench does.

    X_cam = R(rot) (X - center);  p = -X_cam[:2] / X_cam[2];  d = 1 + k1 |p|^2 + k2 |p|^4
    err = w (f d p + principal - feature)

The Jacobian is block-diagonal: each observation's two residuals depend only on its own 11 + 3 + 1 numbers, so
its blocks are two gradients, of sum(err[:, 0]) and of sum(err[:, 1]) (`selected` with r = e0, e1). The weight
residual 1 - w^2 has the obvious derivative and is left out. The rotation uses the general Rodrigues formula
(ADBench switches to a first-order one below |rot| = 1e-10; the data's rotations are far from 0)."""

import numpy as np

KIND = "jac_rows"
WRT = ("cams", "X", "w")


def residual(cams, X, w, feats):
    rot = cams[:, 0:3]
    theta = np.sqrt(np.sum(rot ** 2, axis=1))
    axis = rot / theta[:, None]
    v = X - cams[:, 3:6]
    cross = np.stack((axis[:, 1] * v[:, 2] - axis[:, 2] * v[:, 1],
                      axis[:, 2] * v[:, 0] - axis[:, 0] * v[:, 2],
                      axis[:, 0] * v[:, 1] - axis[:, 1] * v[:, 0]), axis=1)
    cos, sin = np.cos(theta), np.sin(theta)
    along = np.sum(axis * v, axis=1) * (1 - cos)
    Xcam = v * cos[:, None] + cross * sin[:, None] + axis * along[:, None]
    p = -Xcam[:, 0:2] / Xcam[:, 2:3]
    rsq = np.sum(p ** 2, axis=1)
    distortion = 1 + cams[:, 9] * rsq + cams[:, 10] * rsq ** 2
    projected = p * (cams[:, 6] * distortion)[:, None] + cams[:, 7:9]
    return w[:, None] * (projected - feats)


def objective(cams, X, w, feats):
    return residual(cams, X, w, feats)


def selected(cams, X, w, feats, r):
    return np.sum(residual(cams, X, w, feats) * r)


def data(large=False, seed=0, small=False):
    """The arguments in parameter order: default sizes run in seconds, large ones in minutes, small ones
    are for the tests (central differences)."""
    rng = np.random.default_rng(seed)
    n, m, p = (2, 3, 4) if small else (200, 50_000, 200_000) if large else (20, 5000, 20_000)
    cams = np.concatenate([rng.uniform(0.1, 0.5, size=(n, 3)), rng.normal(size=(n, 3)),
                           rng.uniform(1, 2, size=(n, 1)), 0.1 * rng.normal(size=(n, 2)),
                           0.01 * rng.normal(size=(n, 2))], axis=1)
    points = rng.normal(size=(m, 3)) + np.array([0.0, 0.0, 10.0])
    which_cam, which_point = rng.integers(0, n, size=p), rng.integers(0, m, size=p)
    return cams[which_cam], points[which_point], rng.uniform(0.5, 1.5, size=p), rng.normal(size=(p, 2))
