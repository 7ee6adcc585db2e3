"""Generated gradients run unchanged on Dask arrays: lazily, on a local 2-process cluster, matching NumPy."""
import os
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")

import wengert  # noqa: E402
from wengert.errors import WengertError  # noqa: E402

from conftest import ROOT, load_file  # noqa: E402

mlp = load_file(ROOT / "examples" / "mlp.py")


def mlp_data(n, d=4, m=6, c=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    Y = np.eye(c)[rng.integers(0, c, n)]
    return X, Y, rng.normal(size=(m, c)), rng.normal(size=(d, m))


def by_rows(a, rows):
    return da.from_array(a, chunks=(rows,) + a.shape[1:])


def refuse_to_compute(*args, **kwargs):
    raise AssertionError("the generated gradient computed a Dask array while building its result")


def lazily(fn, *args):
    """fn(*args) with any Dask computation (and Dask's 'computing a NumPy fallback' warning) an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        with dask.config.set(scheduler=refuse_to_compute):
            return fn(*args)


def graph_bytes(x):
    """Size of x's task graph as sent to a scheduler: large when it carries arrays built on the client."""
    return len(pickle.dumps(dict(x.__dask_graph__())))


# ---- the lecture MLP on a local cluster of two worker processes ------------------------------------------------------

@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                                       dashboard_address=None)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def test_mlp_gradient_on_a_two_worker_cluster_matches_numpy(client):
    X, Y, W, V = mlp_data(2000)
    df = wengert.grad(mlp.cost, wrt=("W", "V"))
    dW, dV = lazily(df, by_rows(X, 500), by_rows(Y, 500), W, V)
    assert isinstance(dW, da.Array) and isinstance(dV, da.Array)
    with distributed.get_task_stream(client) as tasks:
        got_W, got_V = client.compute([dW, dV], sync=True)
    assert len({task["worker"] for task in tasks.data}) == 2, "both worker processes computed chunks"
    ref_W, ref_V = df(X, Y, W, V)
    np.testing.assert_allclose(got_W, ref_W, rtol=0, atol=1e-10)
    np.testing.assert_allclose(got_V, ref_V, rtol=0, atol=1e-10)
    hand_W, hand_V = mlp.gradients(X, Y, W, V)
    np.testing.assert_allclose(got_W, hand_W, rtol=0, atol=1e-10)
    np.testing.assert_allclose(got_V, hand_V, rtol=0, atol=1e-10)


def test_value_and_grad_on_the_cluster(client):
    X, Y, W, V = mlp_data(1000, seed=2)
    cost_and_gradient = wengert.value_and_grad(mlp.cost, wrt=("W", "V"))
    value, (dW, dV) = lazily(cost_and_gradient, by_rows(X, 250), by_rows(Y, 250), W, V)
    got = client.compute([value, dW, dV], sync=True)
    np.testing.assert_allclose(got[0], mlp.cost(X, Y, W, V), rtol=1e-12)
    for g, h in zip(got[1:], mlp.gradients(X, Y, W, V)):
        np.testing.assert_allclose(g, h, rtol=0, atol=1e-10)


# ---- other programs, on dask's threaded scheduler -----------------------------------------------------------------

def affine_tanh(X, w, b):
    return np.sum(np.tanh(X * w + b) ** 2)


def weighted_sines(X, w):
    return np.sum(np.sin(X) * w)


def column_slices(X, w):
    return np.sum(np.sin(X[:, 0]) * X[:, 2]) + np.sum(X[1:, 1:] * w[1:]) + X[3, 1] * w[0] \
        + np.sum(np.cos(X[:2, None] * X[None, 2:5]))


def joined(A, B):
    return np.sum(np.sin(np.concatenate((A, B), axis=1)) * 1.5) + np.sum(np.concatenate([A, B * B]) ** 2)


def mean_of_squares(X, y, w):
    r = np.dot(X, w) - y
    return np.mean(r ** 2) + np.sum(r) / X.size


def vector_dot(x, y):
    return np.sin(np.dot(x, y))


def flattened(X, w):
    return np.sum(np.tanh(X.reshape(-1)) * np.reshape(X * w, -1))


PROGRAMS = [
    (affine_tanh, [(400, 3), (3,), (1, 3)]),    # broadcasting both ways: the adjoints of w, b are unbroadcast
    (weighted_sines, [(400, 3), (3,)]),         # the cotangent 1.0 broadcast to X's shape
    (column_slices, [(400, 3), (2,)]),          # indexing: the adjoint scatters into zeros shaped like X
    (joined, [(400, 2), (400, 2)]),             # concatenate: the adjoint cuts the cotangent back into pieces
    (mean_of_squares, [(400, 3), (400,), (3,)]),  # np.mean and X.size: sizes read without computing anything
    (vector_dot, [(400,), (400,)]),             # a vector . vector product: its cotangent is a scalar
    (flattened, [(400, 3), (3,)]),              # reshape(-1): Dask's reshape takes only a tuple
]


def dask_args(shapes, seed):
    """Random arguments: Dask arrays chunked in four along the first axis when they have >= 100 rows."""
    rng = np.random.default_rng(seed)
    args = [rng.uniform(-1.5, 1.5, size=s) for s in shapes]
    return args, [by_rows(a, a.shape[0] // 4) if a.ndim and a.shape[0] >= 100 else a for a in args]


@pytest.mark.parametrize("program, shapes", PROGRAMS, ids=lambda p: getattr(p, "__name__", ""))
def test_program_on_dask_is_lazy_and_matches_numpy(program, shapes):
    args, lazy_args = dask_args(shapes, seed=len(shapes))
    names = program.__code__.co_varnames[:program.__code__.co_argcount]
    df = wengert.grad(program, wrt=names)
    got = lazily(df, *lazy_args)
    for g, a, lazy in zip(got, args, lazy_args):
        if isinstance(lazy, da.Array):
            assert isinstance(g, da.Array), f"{type(g)} for a Dask argument"
            assert g.chunks == lazy.chunks, "the gradient is not chunked like its argument"
    computed = dask.compute(*got, scheduler="threads")
    for g, r, a in zip(computed, df(*args), args):
        assert np.shape(g) == np.shape(a)
        np.testing.assert_allclose(g, r, rtol=1e-12, atol=1e-12)


def shifted_sines(X, b):
    return np.sum(np.sin(X + b))


def column_weights(X, w):
    return np.sum(np.sum(X, axis=0) * w)


@pytest.mark.parametrize("program", [weighted_sines, column_weights], ids=lambda p: p.__name__)
def test_broadcast_cotangent_is_not_shipped_as_data(program):
    """A cotangent broadcast to X's shape (1.0; the NumPy w over X's rows) is a Dask array made on the
    workers, chunk by chunk, not one NumPy array of X's size in the graph."""
    X = da.random.default_rng(0).normal(size=(200_000, 5), chunks=(50_000, 5))
    w = np.linspace(0.5, 1.5, 5)
    dX, dw = lazily(wengert.grad(program, wrt=("X", "w")), X, w)
    assert isinstance(dX, da.Array) and dX.chunks == X.chunks
    assert graph_bytes(dX) < 100_000 and graph_bytes(dw) < 100_000  # X itself would be 8 MB
    np.testing.assert_allclose(dX[:3].compute(), wengert.grad(program, wrt="X")(X[:3].compute(), w), rtol=1e-12)


def test_broadcast_tangent_is_not_shipped_as_data():
    """Forward mode: b's tangent broadcast to the shape of X + b is a Dask array too."""
    X = da.random.default_rng(1).normal(size=(200_000, 5), chunks=(50_000, 5))
    b, b_dot = np.linspace(-1, 1, 5), np.linspace(0.5, 1, 5)
    value, along = lazily(wengert.jvp(shifted_sines, wrt="b"), X, b, b_dot)
    assert graph_bytes(along) < 100_000
    X_local = X.compute(scheduler="threads")
    expected = np.sum(np.cos(X_local + b) * b_dot)
    np.testing.assert_allclose(along.compute(scheduler="threads"), expected, rtol=1e-10)
    np.testing.assert_allclose(value.compute(scheduler="threads"), shifted_sines(X_local, b), rtol=1e-12)


def test_rnn_gradient_gathers_dask_rows_lazily():
    """The reverse loop's rows (Dask and NumPy states mixed: h0 is NumPy) are stacked by Dask, not computed."""
    rng = np.random.default_rng(3)
    Wh, Wx, h0, xs = 0.5 * rng.normal(size=(4, 4)), 0.5 * rng.normal(size=(4, 3)), rng.normal(size=4), \
        rng.normal(size=(5, 3))
    rnn = load_file(ROOT / "tests" / "programs" / "control.py").elman_rnn
    grad = wengert.grad(rnn, wrt=("Wh", "Wx"))
    got = lazily(grad, da.from_array(Wh, chunks=2), da.from_array(Wx, chunks=2), h0, by_rows(xs, 2))
    assert all(isinstance(g, da.Array) for g in got)
    for g, e in zip(dask.compute(*got, scheduler="threads"), grad(Wh, Wx, h0, xs)):
        np.testing.assert_allclose(g, e, rtol=1e-12)

def test_numpy_arguments_still_give_numpy_results():
    args, _ = dask_args(PROGRAMS[2][1], seed=3)
    for g in wengert.grad(column_slices, wrt=("X", "w"))(*args):
        assert type(g) is np.ndarray


# ---- bad input: array libraries that cannot work together ---------------------------------------------------------

class NoDask:
    """A NumPy-protocol duck array that, like many array libraries, knows only itself and NumPy."""

    def __init__(self, a):
        self.a = np.asarray(a)
        self.shape, self.ndim, self.dtype = self.a.shape, self.a.ndim, self.a.dtype

    @property
    def T(self):
        return NoDask(self.a.T)

    def __array_function__(self, func, types, args, kwargs):
        if not all(issubclass(t, (NoDask, np.ndarray)) for t in types):
            return NotImplemented
        return func(*[x.a if isinstance(x, NoDask) else x for x in args], **kwargs)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if not all(isinstance(x, (NoDask, np.ndarray, float, int)) for x in inputs):
            return NotImplemented
        return getattr(ufunc, method)(*[x.a if isinstance(x, NoDask) else x for x in inputs], **kwargs)


def test_dask_mixed_with_a_library_that_cannot_interoperate_names_the_parameters():
    X, Y, W, V = mlp_data(100)
    df = wengert.grad(mlp.cost, wrt=("W", "V"))
    with pytest.raises(WengertError) as caught:
        df(by_rows(X, 25), by_rows(Y, 25), W, NoDask(V))
    message = str(caught.value)
    assert "X, Y: dask.array.core.Array" in message
    assert "V: " in message and "NoDask" in message
    assert "W" not in message.split("(")[1].split(")")[0], "W is a NumPy array: it mixes with anything"
    assert "mlp.py:" in message and "def cost" in message
    assert isinstance(caught.value.__cause__, TypeError)


def test_one_foreign_library_alone_still_runs():
    """NoDask with NumPy is fine: the check only speaks when two libraries meet."""
    X, Y, W, V = mlp_data(50)
    dW, dV = wengert.grad(mlp.cost, wrt=("W", "V"))(NoDask(X), Y, W, V)
    np.testing.assert_allclose(np.asarray(dW), mlp.gradients(X, Y, W, V)[0], rtol=0, atol=1e-12)


def test_a_type_error_without_two_array_libraries_is_not_reworded():
    df = wengert.grad(mlp.cost, wrt=("W", "V"))
    X, Y, W, V = mlp_data(20)
    with pytest.raises(TypeError):
        df(X, Y, W, "not an array")


# ---- the example script -------------------------------------------------------------------------------------------

def test_example_trains_on_a_small_data_set():
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    run = subprocess.run([sys.executable, str(ROOT / "examples" / "dask_mlp.py"), "--rows", "4000", "--epochs", "3",
                          "--chunk-rows", "1000", "--workers", "2"], capture_output=True, text=True, env=env,
                         timeout=600, cwd=ROOT)
    assert run.returncode == 0, run.stderr[-3000:]
    losses = [float(line.split()[-1]) for line in run.stdout.splitlines() if line.startswith("epoch")]
    assert len(losses) == 3
    assert losses[-1] < losses[0]
