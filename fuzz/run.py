"""`make fuzz`: thousands of random programs and parser mutants, outside the test suite.

Programs come in construct families (tests/strategies.fuzz_program, tests/edge_programs.py):
"general" programs over the whole subset (scalars, arrays with broadcasting, reductions, indexing,
branches, loops, helper calls), and the edge families "gather" (integer index arguments with
repeats), "tuple" (tuple and list literals in array positions), "guarded" (where/maximum/clip/if
whose untaken side is non-finite) and "kink" (abs, relu, max, clip, sqrt, norm, power at kinks,
ties, bounds and zeros). Each is checked at a point of some kind (smooth, repeat, alias, untaken,
zero, kink, tie, bound). At every point reverse mode, forward mode, jvp and the printed standalone
module must agree (nan only with nan, inf only with the same inf), so must the checkpointed gradient of a
program with loops (checkpoint=True or a few snapshots),
and the source must print byte-identical twice; where the family knows the convention gradient, reverse mode must equal it; at smooth points
central differences (and SymPy for small general programs) must agree too. A located WengertError
is an acceptable outcome ("refused") only for the tuple family and column gathers.
Every mutant of a real source (tests/programs, examples) must compile or be rejected with a located
WengertError, within a deadline.

    python fuzz/run.py [--programs 10000] [--mutants 3000] [--seed 0] [--jobs N] [--family NAME]

Prints the counts per family and per kind of point; exits with status 1 if anything disagreed or
crashed, listing the seeds (rerun one with --seed SEED --programs 1 --mutants 0, or --mutants 1
--programs 0).
"""

import argparse
import collections
import functools
import multiprocessing
import os
import random
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

SYMPY_SIZE = 5      # statements: the SymPy check runs on programs at most this long
MUTANT_SECONDS = 60  # a mutant that takes longer than this to compile counts as a hang
PROGRAM_SECONDS = 600  # a program whose checks take longer fails as a hang (one stuck seed kept a run from ending)
_directory = None


def _start():
    global _directory
    _directory = tempfile.mkdtemp(prefix="wengert_fuzz_")


def check_program(seed, family=None):
    """(family, point kind, "agreed" | "skipped" | "refused" | "failed", witnesses, detail)."""
    import strategies
    from wengert import compile as compiled

    if len(compiled._cache) > 2000:  # thousands of distinct programs: do not keep them all compiled
        compiled._cache.clear()
    program = strategies.fuzz_program(random.Random(seed), family)
    try:
        status, kind, agreed, detail = strategies.verdict(program, seed, _directory,
                                                          sympy=program.size <= SYMPY_SIZE,
                                                          seconds=PROGRAM_SECONDS)
    except BaseException as e:  # noqa: BLE001  drawing the point itself failed
        return program.family, "?", "failed", set(), f"program seed {seed}: {type(e).__name__}: {e}"
    return program.family, kind, status, agreed, detail


def check_mutant(seed):
    """("compiled" | "rejected" | "internal error" | "hang", detail)."""
    import strategies

    rng = random.Random(seed)
    path, original = rng.choice(strategies.corpus())
    description, text = strategies.mutant(rng, original)
    try:
        with strategies.deadline(MUTANT_SECONDS):
            outcome = strategies.compile_source(text, only=strategies.changed_functions(original, text))
    except strategies.Hang:
        return "hang", f"mutant seed {seed} ({description})"
    except BaseException as e:  # noqa: BLE001  anything but a WengertError is the finding
        return "internal error", f"mutant seed {seed} ({description}): {type(e).__name__}: {e}"
    return ("compiled" if outcome.compiled and not outcome.rejected else "rejected"), ""


def _seeded(task, seed):
    return seed, task(seed)


def run(task, seeds, jobs, label):
    """[(seed, task(seed))] over a pool of jobs, in the order they finish, and the failures' details."""
    results, details = [], []
    started = time.time()
    with multiprocessing.Pool(jobs, initializer=_start) as pool:
        for k, (seed, result) in enumerate(pool.imap_unordered(functools.partial(_seeded, task), seeds,
                                                               chunksize=4), 1):
            results.append((seed, result))
            status = result[-3] if len(result) == 5 else result[0]
            if status in ("failed", "internal error", "hang"):
                details.append(result[-1])
                print(f"  {label}: FAILED {result[-1].splitlines()[0]}", flush=True)  # at once: long runs
            if k % 500 == 0:
                counts = collections.Counter(r[-3] if len(r) == 5 else r[0] for _, r in results)
                print(f"  {label}: {k}/{len(seeds)} in {time.time() - started:.0f} s {dict(counts)}", flush=True)
    return results, details


def table(results, column, names):
    """Per family (column 0) or per kind of point (column 1): agreed (and with which extra witness),
    skipped, refused, failed, and the failing seeds."""
    import strategies

    rows = collections.defaultdict(collections.Counter)
    seeds = collections.defaultdict(list)
    for seed, (family, kind, status, agreed, _) in results:
        key = (family, kind)[column]
        rows[key][status] += 1
        for witness in ("finite differences", "convention", "sympy"):
            rows[key][witness] += witness in agreed
        if status == "failed":
            seeds[key].append(seed)
    order = [n for n in names if n in rows] + sorted(set(rows) - set(names))
    lines = [f"  {'':10} {'programs':>8} {'agreed':>7} {'+FD':>5} {'+conv':>5} {'+sympy':>6} {'skipped':>7} "
             f"{'refused':>7} {'failed':>6}  failing seeds"]
    for key in order:
        c = rows[key]
        total = sum(c[s] for s in strategies.STATUSES)
        shown = " ".join(map(str, sorted(seeds[key])[:12])) + (" ..." if len(seeds[key]) > 12 else "")
        lines.append(f"  {key:10} {total:8} {c['agreed']:7} {c['finite differences']:5} {c['convention']:5} "
                     f"{c['sympy']:6} {c['skipped']:7} {c['refused']:7} {c['failed']:6}  {shown}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--programs", type=int, default=10_000)
    parser.add_argument("--mutants", type=int, default=3_000)
    parser.add_argument("--seed", type=int, default=0, help="first seed (programs and mutants count up from it)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--family", choices=("general", "gather", "tuple", "guarded", "kink"),
                        help="draw programs of this construct family only")
    args = parser.parse_args(argv)
    failures = []

    if args.programs:
        import strategies

        started = time.time()
        seeds = range(args.seed, args.seed + args.programs)
        results, details = run(functools.partial(check_program, family=args.family), seeds, args.jobs, "programs")
        seeded = sorted(results)
        counts = collections.Counter(r[2] for _, r in seeded)
        witness = collections.Counter(w for _, r in seeded for w in r[3])
        print("programs per construct family:")
        print(table(seeded, 0, strategies.FAMILIES))
        print("programs per kind of point:")
        print(table(seeded, 1, strategies.POINT_KINDS))
        print(f"programs: {args.programs} generated, {counts['agreed']} agreed (reverse = forward = jvp = printed "
              f"module, nan and inf included; {witness['finite differences']} also = central differences, "
              f"{witness['convention']} also = the convention's gradient, {witness['sympy']} also = SymPy, "
              f"{witness['checkpointed']} with loops also = the checkpointed gradient), "
              f"{counts['skipped']} skipped (value not finite at the drawn point), {counts['refused']} refused "
              f"(a located WengertError, allowed for the family), {counts['failed']} failed "
              f"[{time.time() - started:.0f} s]")
        failed = sorted(seed for seed, r in seeded if r[2] == "failed")
        if failed:
            print(f"failing program seeds: {' '.join(map(str, failed))}")
        failures += details
    if args.mutants:
        started = time.time()
        results, details = run(check_mutant, range(args.seed, args.seed + args.mutants), args.jobs, "mutants")
        counts = collections.Counter(r[0] for _, r in results)
        clean = counts["compiled"] + counts["rejected"]
        print(f"parser mutants: {args.mutants} generated, {clean} handled cleanly ({counts['compiled']} compiled, "
              f"{counts['rejected']} rejected with a located WengertError), {counts['internal error']} internal "
              f"errors, {counts['hang']} hangs [{time.time() - started:.0f} s]")
        failures += details
    for detail in failures[:20]:
        print("\n" + detail)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
