"""The lecture MLP's generated gradient on NumPy vs a Dask LocalCluster of 1 and 2 worker processes.

One generated function, wengert.grad(cost, wrt=("W", "V")), runs on every backend. The data are random,
chunked by rows (the same numbers for both). NumPy: X, Y in this process, one BLAS thread (unless
OPENBLAS_NUM_THREADS etc. say otherwise). Dask: X, Y made on the workers and kept there (persist); each
worker process has one thread and one BLAS thread; the timed step builds the graph, computes dW, dV on
the cluster and gathers them. Times are medians of --repeat runs, in wall time and in CPU time (of all
processes: this one and the workers). Memory: the NumPy column is the peak of the gradient's own
allocations (tracemalloc, inputs excluded); the Dask columns are each worker process's peak resident set
size (VmHWM, read inside the workers; its share of X and Y and the Python interpreter included) and, for
reference, an idle worker's.

    python benchmarks/dask_mlp.py [--sizes 100000,1000000] [--chunk-rows 50000]
"""
import argparse
import importlib.util
import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")  # NumPy with one BLAS thread, like each Dask worker: set to change
import statistics
import sys
import time
import tracemalloc

import numpy as np
import dask
import dask.array as da
from distributed import Client, LocalCluster, wait

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "examples"))
from _timing import format_time, table  # noqa: E402

_spec = importlib.util.spec_from_file_location("lecture_dask_mlp", os.path.join(HERE, "..", "examples", "dask_mlp.py"))
lecture_dask_mlp = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lecture_dask_mlp)
peak_rss = lecture_dask_mlp.peak_memory  # this process's peak resident set size in bytes (run inside each worker)


def one_hot(labels, classes):
    return np.eye(classes)[labels]


def lazy_data(N, D, C, chunk_rows, seed=0):
    """X and one-hot Y as Dask arrays chunked by rows; the same numbers wherever they are computed."""
    rng = da.random.default_rng(seed)
    X = rng.normal(size=(N, D), chunks=(chunk_rows, D))
    labels = rng.integers(0, C, size=N, chunks=chunk_rows)
    Y = labels.map_blocks(one_hot, C, dtype=float, chunks=(labels.chunks[0], (C,)), new_axis=1)
    return X, Y


def median_time(fn, repeat, cpu_clock=time.process_time):
    """Median (wall seconds, CPU seconds) of fn(); CPU time is what a busy machine does not inflate."""
    fn()  # warm up
    walls, cpus = [], []
    for _ in range(repeat):
        cpu, start = cpu_clock(), time.perf_counter()
        fn()
        walls.append(time.perf_counter() - start)
        cpus.append(cpu_clock() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def numpy_run(df, args, repeat):
    seconds = median_time(lambda: df(*args), repeat)
    tracemalloc.start()
    result = df(*args)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, peak, result


def dask_run(df, lazy, W, V, workers, repeat):
    """(median seconds, peak RSS per worker, idle RSS per worker, gradient) on a fresh local cluster."""
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, memory_limit="8GB",
                      host="127.0.0.1", dashboard_address=None) as cluster, Client(cluster) as client:
        idle = list(client.run(peak_rss).values())
        Xd, Yd = client.persist(list(lazy))  # made on the workers, kept there
        wait([Xd, Yd])
        def cpu_clock():  # this process and every worker process
            return time.process_time() + sum(client.run(time.process_time).values())

        seconds = median_time(lambda: client.compute(list(df(Xd, Yd, W, V)), sync=True), repeat, cpu_clock)
        result = client.compute(list(df(Xd, Yd, W, V)), sync=True)
        peaks = list(client.run(peak_rss).values())
    return seconds, peaks, idle, result


def megabytes(values):
    return " / ".join(f"{v / 1e6:.0f}" for v in values)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated N")
    parser.add_argument("--shape", default="32,64,10", help="D,M,C: features, hidden units, classes")
    parser.add_argument("--chunk-rows", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    D, M, C = map(int, args.shape.split(","))
    import wengert  # here, not at the top: worker processes re-import this script, and need neither
    from mlp import cost
    df = wengert.grad(cost, wrt=("W", "V"))

    rows, idle_rss = [], None
    for N in map(int, args.sizes.split(",")):
        lazy = lazy_data(N, D, C, args.chunk_rows)
        X, Y = dask.compute(*lazy, scheduler="threads")
        rng = np.random.default_rng(1)
        W, V = rng.normal(scale=0.1, size=(M, C)), rng.normal(scale=0.1, size=(D, M))
        (numpy_s, numpy_cpu), numpy_peak, reference = numpy_run(df, (X, Y, W, V), args.repeat)
        del X, Y
        row = [f"{N:,}", format_time(numpy_s), format_time(numpy_cpu), f"{numpy_peak / 1e6:.0f}"]
        for workers in (1, 2):
            (seconds, cpu), peaks, idle, result = dask_run(df, lazy, W, V, workers, args.repeat)
            error = max(float(np.max(np.abs(r - g))) for r, g in zip(reference, result))
            assert error < 1e-10, f"Dask and NumPy gradients differ by {error}"
            idle_rss = idle
            row += [format_time(seconds), f"{seconds / numpy_s:.1f}x", format_time(cpu), megabytes(peaks)]
        rows.append(row)
        print(f"N={N:,} done", file=sys.stderr, flush=True)

    print(f"lecture MLP gradient dW, dV; D={D}, M={M}, C={C}; chunks of {args.chunk_rows:,} rows; "
          f"median of {args.repeat}; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end; "
          f"NumPy BLAS threads: {os.environ['OPENBLAS_NUM_THREADS']}")
    print(table(["N", "NumPy", "CPU", "MB", "Dask 1 worker", "ratio", "CPU", "peak MB",
                 "Dask 2 workers", "ratio", "CPU", "peak MB/worker"], rows))
    print("(wall time; CPU: CPU time of all processes; MB: NumPy's peak allocations; peak MB: each worker's "
          "peak RSS)")
    print(f"(an idle worker process: {megabytes(idle_rss)} MB; Dask and NumPy results agree to 1e-10)")


if __name__ == "__main__":
    main()
