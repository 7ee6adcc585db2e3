"""Train the lecture MLP on more data than one Dask worker may hold, with the generated gradient.

The cost is examples/mlp.py's, unchanged, and wengert.value_and_grad(cost) is the same generated NumPy
code that runs on one machine: called with Dask arrays X and Y (chunked by rows) and NumPy weights W and V,
it returns lazy Dask arrays, which the cluster computes chunk by chunk. X and Y are generated on the
workers (as if read from storage each epoch), so no process ever holds the whole data set.

    python examples/dask_mlp.py                                   # 2 million rows, 2 local workers of 400 MB
    python examples/dask_mlp.py --rows 20000 --epochs 5           # a quick run
    python examples/dask_mlp.py --scheduler tcp://scheduler:8786  # an existing cluster
"""
import argparse
import os
import resource
import sys
import time

import numpy as np
import dask
import dask.array as da
from distributed import Client, LocalCluster, progress


def one_hot_labels(block, teacher):
    """Labels of a block of rows: the arg-max of a fixed random linear 'teacher', one-hot."""
    return np.eye(teacher.shape[1])[np.argmax(block @ teacher, axis=1)]


def make_data(rows, features, classes, chunk_rows, seed=0):
    """X ~ N(0, 1) and one-hot Y, as lazy Dask arrays chunked by rows (each chunk made where it is used)."""
    X = da.random.default_rng(seed).normal(size=(rows, features), chunks=(chunk_rows, features))
    teacher = np.random.default_rng(seed + 1).normal(size=(features, classes))
    Y = X.map_blocks(one_hot_labels, teacher, dtype=float, chunks=(X.chunks[0], (classes,)))
    return X, Y


def peak_memory():
    """This process's peak resident set size in bytes: Linux's VmHWM (getrusage's ru_maxrss would count a
    worker's parent too, as it was when the worker started); ru_maxrss elsewhere."""
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=2_000_000, help="examples (default 2 million)")
    parser.add_argument("--features", type=int, default=32)
    parser.add_argument("--hidden", type=int, default=16)
    parser.add_argument("--classes", type=int, default=4)
    parser.add_argument("--chunk-rows", type=int, default=100_000, help="rows per Dask chunk")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--learning-rate", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=2, help="local worker processes")
    parser.add_argument("--memory-limit", default="400MB", help="per local worker")
    parser.add_argument("--scheduler", help="address of a running scheduler, e.g. tcp://scheduler:8786")
    args = parser.parse_args(argv)
    import wengert  # here, not at the top: local worker processes re-import this script, and need neither
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from mlp import cost

    X, Y = make_data(args.rows, args.features, args.classes, args.chunk_rows)
    data_bytes = X.nbytes + Y.nbytes
    rng = np.random.default_rng(2)
    W = rng.normal(scale=0.1, size=(args.hidden, args.classes))
    V = rng.normal(scale=0.1, size=(args.features, args.hidden))
    cost_and_gradient = wengert.value_and_grad(cost, wrt=("W", "V"))

    if args.scheduler:
        cluster, client = None, Client(args.scheduler)
        print(f"cluster: {args.scheduler}, {len(client.scheduler_info()['workers'])} workers")
    else:
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                               memory_limit=args.memory_limit, host="127.0.0.1", dashboard_address=None)
        client = Client(cluster)
        limit = dask.utils.parse_bytes(args.memory_limit)
        print(f"cluster: {args.workers} local worker processes, memory limit {limit / 1e6:.0f} MB each")
        fits = "fits in" if data_bytes <= limit else "is larger than"
        print(f"data: {args.rows} rows, {data_bytes / 1e6:.0f} MB, {fits} one worker's memory limit")
    print(f"chunks: {X.numblocks[0]} of {args.chunk_rows} rows; W {W.shape}, V {V.shape}")

    try:
        for epoch in range(1, args.epochs + 1):
            start = time.perf_counter()
            loss, (dW, dV) = cost_and_gradient(X, Y, W, V)  # lazy: nothing is computed yet
            futures = client.compute([loss, dW, dV])
            progress(futures)
            loss, dW, dV = client.gather(futures)
            W = W - args.learning_rate * dW
            V = V - args.learning_rate * dV
            print(f"\nepoch {epoch}/{args.epochs}  {time.perf_counter() - start:6.1f}s  loss {loss:.6f}", flush=True)
        if cluster is not None:
            peaks = client.run(peak_memory)
            print("peak memory per worker: " + ", ".join(f"{p / 1e6:.0f} MB" for p in peaks.values()))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


if __name__ == "__main__":
    main()
