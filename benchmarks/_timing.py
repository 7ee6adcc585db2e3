"""Timing helpers shared by the benchmarks.

`per_call` times several callables in interleaved rounds (A, B, C, B, C, A, C, A, B, ...: each
round starts one further on), so a slow spell of a busy machine hits every candidate alike and
none always runs right after the same neighbour; each measurement is a timeit loop sized to about
`target` seconds, and the result is the median time per call (`samples` gives all of them,
`paired_ratios` the median of the rounds' ratios to a baseline). `once` times a fresh, uncached
operation. `table` lays out plain text columns.
"""

import os
import statistics
import time
import timeit


def blas_threads(argv):
    """Apply `--threads N` from argv to BLAS (call before NumPy is imported: BLAS reads it at load time)."""
    for i, arg in enumerate(argv):
        value = argv[i + 1] if arg == "--threads" and i + 1 < len(argv) else \
            arg.partition("=")[2] if arg.startswith("--threads=") else None
        if value:
            for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
                os.environ[variable] = value
            return value
    return None


def loop_size(timer, target):
    """Calls per measurement so that one measurement takes about `target` seconds."""
    number = 1
    while True:
        elapsed = timer.timeit(number)
        if elapsed >= target / 10:
            return max(1, round(number * target / elapsed))
        number *= 10


def per_call(candidates, rounds=15, target=0.02):
    """Median seconds per call of each entry of `candidates` (name -> (fn, args)), called as fn(*args)."""
    return {label: statistics.median(s) for label, s in samples(candidates, rounds, target).items()}


def paired_ratios(samples, baseline):
    """Median over rounds of each candidate's time / the baseline's time in the same round: steadier than
    a ratio of medians when the machine's speed drifts between rounds (other jobs, clock changes)."""
    return {label: statistics.median(t / b for t, b in zip(s, samples[baseline])) for label, s in samples.items()}


def samples(candidates, rounds=15, target=0.02, clock=time.perf_counter):
    """Seconds per call of each entry of `candidates` in each of `rounds` interleaved rounds
    (clock=time.process_time: CPU seconds of the whole process, steadier than wall time on a busy machine)."""
    timers, numbers, samples = {}, {}, {}
    for label, (fn, args) in candidates.items():
        fn(*args)  # warm up: JIT compilation, caches, lazy imports
        names = [f"a{i}" for i in range(len(args))]
        stmt = f"fn({', '.join(names)})"  # no *args unpacking: the loop adds as little as it can
        timers[label] = timeit.Timer(stmt, timer=clock, globals={"fn": fn, **dict(zip(names, args))})
        numbers[label] = loop_size(timers[label], target)
        samples[label] = []
    labels = list(timers)
    for r in range(rounds):
        # Each round starts one candidate further on: every candidate follows every other equally often
        # (what runs just before, e.g. a multi-threaded PyTorch call, leaves caches and cores in its state).
        for label in labels[r % len(labels):] + labels[:r % len(labels)]:
            samples[label].append(timers[label].timeit(numbers[label]) / numbers[label])
    return samples


def once(fn, setup=None, repeat=20, clock=time.perf_counter):
    """Median seconds of fn() run once after each setup() (for work that must not be cached).
    clock=time.process_time gives CPU time: on a busy machine the steadier figure for one-thread work."""
    times = []
    for _ in range(repeat):
        if setup is not None:
            setup()
        start = clock()
        fn()
        times.append(clock() - start)
    return statistics.median(times)


def format_time(seconds):
    """A duration with a readable unit: '153 ns', '4.21 µs', '12.3 ms'."""
    for unit, scale in (("s", 1), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if seconds >= scale or unit == "ns":
            value = seconds / scale
            return f"{value:.3g} {unit}" if value < 100 else f"{value:.0f} {unit}"


def table(headers, rows):
    """Plain text table: first column left-aligned, the others right-aligned."""
    cells = [list(map(str, headers))] + [list(map(str, row)) for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row):
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule] + [line(row) for row in cells[1:]])


def ratio_table(times, baseline):
    """`table` of time per call and ratio to the `baseline` entry of `times` (name -> seconds)."""
    ratios = {name: t / times[baseline] for name, t in times.items()}
    rows = [(name, format_time(t), f"{ratios[name]:.{2 if ratios[name] < 10 else 0}f}x") for name, t in times.items()]
    return table(("", "time/call", f"vs {baseline}"), rows)
