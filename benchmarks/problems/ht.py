"""Hand tracking (ADBench / GradBench `ht`), simplified: the Jacobian of the residual between observed points
and a posed hand mesh w.r.t. the 26 pose parameters (3 global rotation, 3 translation, 4 angles per finger).

What is kept from ADBench: five fingers of three bones each below a fixed palm, the same 26 parameters (per
finger a spread and a bend at the base and a bend at each of the two other joints, in the finger's own frame),
rotations composed down each finger's chain, linear blend skinning of every vertex over all 16 bones, then a
global rotation and translation; the residual is points - posed vertices. Simplified: rotations and offsets
instead of 4 x 4 homogeneous matrices, the global rotation as z-y-x Euler angles instead of an angle-axis
vector, every vertex has its own observed point (ADBench's correspondences gather vertices by index), and the
'complicated' variant (points on triangles, the `us` parameters) is left out."""

import numpy as np

KIND = "jacobian"
WRT = ("theta",)


def rot_x(a):
    c, s, z = np.cos(a), np.sin(a), 0 * a
    return np.stack((np.stack((z + 1, z, z)), np.stack((z, c, -s)), np.stack((z, s, c))))


def rot_y(a):
    c, s, z = np.cos(a), np.sin(a), 0 * a
    return np.stack((np.stack((c, z, s)), np.stack((z, z + 1, z)), np.stack((-s, z, c))))


def rot_z(a):
    c, s, z = np.cos(a), np.sin(a), 0 * a
    return np.stack((np.stack((c, -s, z)), np.stack((s, c, z)), np.stack((z, z, z + 1))))


def finger(a, frame, joints):
    """The three bones' rotations and offsets: a vertex v of bone k moves to R_k (v - j_k) + posed joint k."""
    R1 = frame @ rot_z(a[0]) @ rot_x(a[1]) @ frame.T
    R2 = R1 @ frame @ rot_x(a[2]) @ frame.T
    R3 = R2 @ frame @ rot_x(a[3]) @ frame.T
    p2 = joints[0] + R1 @ (joints[1] - joints[0])
    p3 = p2 + R2 @ (joints[2] - joints[1])
    return R1, R2, R3, joints[0] - R1 @ joints[0], p2 - R2 @ joints[1], p3 - R3 @ joints[2]


def objective(theta, frames, joints, vertices, weights, points):
    """points, vertices: (3, V); weights: (16, V), bone 0 the palm; frames: (5, 3, 3); joints: (5, 3, 3)."""
    a1, b1, c1, s1, t1, u1 = finger(theta[6:10], frames[0], joints[0])
    a2, b2, c2, s2, t2, u2 = finger(theta[10:14], frames[1], joints[1])
    a3, b3, c3, s3, t3, u3 = finger(theta[14:18], frames[2], joints[2])
    a4, b4, c4, s4, t4, u4 = finger(theta[18:22], frames[3], joints[3])
    a5, b5, c5, s5, t5, u5 = finger(theta[22:26], frames[4], joints[4])
    palm = rot_x(0 * theta[0])
    rotations = np.stack((palm, a1, b1, c1, a2, b2, c2, a3, b3, c3, a4, b4, c4, a5, b5, c5))   # (16, 3, 3)
    offsets = np.stack((0 * s1, s1, t1, u1, s2, t2, u2, s3, t3, u3, s4, t4, u4, s5, t5, u5))     # (16, 3)
    by_bone = rotations @ vertices + offsets[:, :, None]                                         # (16, 3, V)
    posed = np.sum(weights[:, None, :] * by_bone, axis=0)                                        # (3, V)
    world = rot_z(theta[0]) @ rot_y(theta[1]) @ rot_x(theta[2]) @ posed + theta[3:6][:, None]
    return points - world


def data(large=False, seed=0, small=False):
    """The arguments in parameter order: default sizes run in seconds, large ones in minutes, small ones
    are for the tests (central differences)."""
    rng = np.random.default_rng(seed)
    V = 10 if small else 2000 if large else 200
    frames = np.stack([np.array([[np.cos(t), -np.sin(t), 0.0], [np.sin(t), np.cos(t), 0.0], [0.0, 0.0, 1.0]])
                       for t in np.linspace(-0.4, 0.4, 5)])
    joints = np.stack([np.stack([base, base + frame @ [0.0, 1.0, 0.0], base + frame @ [0.0, 1.8, 0.0]])
                       for base, frame in zip(np.array([[x, 1.0, 0.0] for x in np.linspace(-1, 1, 5)]), frames)])
    vertices = rng.normal(size=(3, V)) * [[1.0], [1.5], [0.3]] + [[0.0], [1.5], [0.0]]
    weights = rng.dirichlet(0.2 * np.ones(16), size=V).T
    return 0.3 * rng.normal(size=26), frames, joints, vertices, weights, rng.normal(size=(3, V))
