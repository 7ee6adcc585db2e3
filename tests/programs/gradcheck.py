"""Finite differences and the full consistency check used by the array tests."""
import functools
import inspect

import numpy as np

import wengert


@functools.lru_cache(maxsize=None)
def derived(kind, f, wrt):
    """wengert.<kind>(f, wrt=wrt), built once per function (it specializes per broadcast signature itself)."""
    return getattr(wengert, kind)(f, wrt=wrt)


def param_index(f, name):
    return list(inspect.signature(f).parameters).index(name) if isinstance(name, str) else name


def _shifted(args, i, flat_pos, step):
    out = list(args)
    x = args[i]
    if np.ndim(x) == 0 and not isinstance(x, np.ndarray):
        out[i] = x + step
    else:
        y = np.array(x, dtype=float, copy=True)
        y.reshape(-1)[flat_pos] += step
        out[i] = y
    return out


def numeric_grad(f, args, wrt, h=1e-3):
    """Gradient of f w.r.t. the named (or numbered) arguments by the fourth-order central stencil."""
    names = (wrt,) if isinstance(wrt, (str, int)) else tuple(wrt)
    grads = []
    for name in names:
        i = param_index(f, name)
        x = np.asarray(args[i], dtype=float)
        g = np.zeros(x.shape)
        for pos in range(x.size):
            step = h * max(1.0, abs(x.reshape(-1)[pos]))
            at = [float(f(*_shifted(args, i, pos, k * step))) for k in (-2, -1, 1, 2)]
            g.reshape(-1)[pos] = (at[0] - 8 * at[1] + 8 * at[2] - at[3]) / (12 * step)
        grads.append(g)
    return grads[0] if isinstance(wrt, (str, int)) else tuple(grads)


def as_tuple(g, wrt):
    return (g,) if isinstance(wrt, (str, int)) else g


def check_gradients(f, args, wrt, rtol=1e-6, atol=1e-8, seed=0):
    """grad == finite differences (with the arguments' shapes), value_and_grad, jvp == <grad, v>, vjp.
    Returns the reverse-mode gradient as a tuple in wrt order."""
    names = (wrt,) if isinstance(wrt, (str, int)) else tuple(wrt)
    grad = as_tuple(derived("grad", f, wrt)(*args), wrt)
    assert len(grad) == len(names)
    numeric = as_tuple(numeric_grad(f, args, wrt), wrt)
    for name, g, n in zip(names, grad, numeric):
        x = args[param_index(f, name)]
        assert np.shape(g) == np.shape(x), f"d/d{name}: shape {np.shape(g)} != {np.shape(x)}"
        np.testing.assert_allclose(g, n, rtol=rtol, atol=atol, err_msg=f"d/d{name} vs finite differences")

    value, grad_again = derived("value_and_grad", f, wrt)(*args)
    np.testing.assert_allclose(value, f(*args), rtol=1e-12, atol=1e-14)
    for g, h in zip(grad, as_tuple(grad_again, wrt)):
        np.testing.assert_allclose(h, g, rtol=1e-12, atol=1e-14)

    rng = np.random.default_rng(seed)
    directions = []
    for name in names:
        x = args[param_index(f, name)]
        v = rng.normal(size=np.shape(x))
        directions.append(float(v) if np.ndim(x) == 0 and not isinstance(x, np.ndarray) else v)
    value_f, along = derived("jvp", f, wrt)(*args, *directions)
    np.testing.assert_allclose(value_f, f(*args), rtol=1e-12, atol=1e-14)
    expected = sum(float(np.sum(g * v)) for g, v in zip(grad, directions))
    assert np.shape(along) == (), f"jvp of a scalar function has shape {np.shape(along)}"
    np.testing.assert_allclose(along, expected, rtol=1e-9, atol=1e-11, err_msg="jvp vs <grad, v>")

    value_r, pulled = derived("vjp", f, wrt)(*args, -1.5)
    for g, p in zip(grad, as_tuple(pulled, wrt)):
        np.testing.assert_allclose(p, -1.5 * np.asarray(g), rtol=1e-12, atol=1e-14, err_msg="vjp vs grad")
    return grad
