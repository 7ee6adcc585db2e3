"""`make fuzz`: thousands of random programs and parser mutants, outside the test suite.

Every generated program (tests/strategies.py, the whole subset: scalars, arrays with broadcasting,
reductions, indexing, branches, loops, helper calls) must give the same gradient in reverse mode,
forward mode, jvp, the printed standalone module and central differences (and SymPy for the small
ones), and print byte-identical source twice. Every mutant of a real source (tests/programs,
examples) must compile or be rejected with a located WengertError, within a deadline.

    python fuzz/run.py [--programs 10000] [--mutants 3000] [--seed 0] [--jobs N]

Prints the counts; exits with status 1 if anything disagreed or crashed, listing the seeds
(rerun one with --seed SEED --programs 1 --mutants 0, or --mutants 1 --programs 0).
"""

import argparse
import collections
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


def check_program(seed):
    """("agreed" | "agreed without finite differences" | "skipped" | "failed", sympy checked?, detail)."""
    import strategies
    from wengert import compile as compiled

    if len(compiled._cache) > 2000:  # thousands of distinct programs: do not keep them all compiled
        compiled._cache.clear()
    program = strategies.random_program(random.Random(seed))
    try:
        with strategies.deadline(PROGRAM_SECONDS):
            agreed = strategies.check_program(program, seed, _directory, sympy=program.size <= SYMPY_SIZE)
    except strategies.Skip as e:
        return "skipped", False, str(e)
    except BaseException as e:  # noqa: BLE001  any failure is the finding
        return "failed", False, f"program seed {seed}: {type(e).__name__}: {e}\n{traceback.format_exc(limit=-3)}"
    status = "agreed" if "finite differences" in agreed else "agreed without finite differences"
    return status, "sympy" in agreed, ""


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


def run(task, seeds, jobs, label):
    counts, details, extra = collections.Counter(), [], 0
    started = time.time()
    with multiprocessing.Pool(jobs, initializer=_start) as pool:
        for k, result in enumerate(pool.imap_unordered(task, seeds, chunksize=4), 1):
            counts[result[0]] += 1
            if result[-1] and result[0] not in ("skipped",):
                details.append(result[-1])
                print(f"  {label}: FAILED {result[-1]}", flush=True)  # at once: a long run's log is useful early
            if len(result) == 3 and result[1]:
                extra += 1
            if k % 500 == 0:
                print(f"  {label}: {k}/{len(seeds)} in {time.time() - started:.0f} s {dict(counts)}", flush=True)
    return counts, details, extra


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--programs", type=int, default=10_000)
    parser.add_argument("--mutants", type=int, default=3_000)
    parser.add_argument("--seed", type=int, default=0, help="first seed (programs and mutants count up from it)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    failures = []

    if args.programs:
        started = time.time()
        counts, details, sympy = run(check_program, range(args.seed, args.seed + args.programs), args.jobs,
                                     "programs")
        agreed = counts["agreed"] + counts["agreed without finite differences"]
        print(f"programs: {args.programs} generated, {agreed} agreed (reverse = forward = jvp = printed module; "
              f"{counts['agreed']} also = central differences, {sympy} also = SymPy), {counts['skipped']} skipped "
              f"(not smooth or bounded at the drawn point), {counts['failed']} failed "
              f"[{time.time() - started:.0f} s]")
        failures += details
    if args.mutants:
        started = time.time()
        counts, details, _ = run(check_mutant, range(args.seed, args.seed + args.mutants), args.jobs, "mutants")
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
