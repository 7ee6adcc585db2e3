"""Runs the port of a peer's NumPy gradient tests (HIPS/autograd's tests/test_numpy.py, test_linalg.py,
test_systematic.py, test_scalar_ops.py, test_binary_ops.py) and prints a table per file and in total.

    PYTHONPATH=src python -m benchmarks.peer.run [-v] [--order 2] [FILE ...]   (from the repository's root)

--order 2 also compares each case's Hessian (vector mode, w.r.t. its first differentiated parameter) with
central differences of its gradient, as the peer's check_grads does by default.

Columns: applicable, agree (both modes match central differences), wrong, refused (a located WengertError),
internal errors. Exit status 1 on a wrong answer or an
internal error."""

import sys

from . import binary_file, linalg_file, numpy_file, scalar_file, systematic_file
from . import harness
from .harness import STATUSES, run_file

FILES = {"test_numpy": numpy_file, "test_linalg": linalg_file, "test_systematic": systematic_file,
         "test_scalar_ops": scalar_file, "test_binary_ops": binary_file}


def main(argv):
    verbose = "-v" in argv
    if "--order" in argv:
        harness.ORDER[0] = int(argv[argv.index("--order") + 1])
        argv = argv[:argv.index("--order")] + argv[argv.index("--order") + 2:]
    chosen = [a for a in argv if not a.startswith("-")] or list(FILES)
    total = dict.fromkeys(STATUSES, 0)
    rows = []
    for name in chosen:
        counts = run_file(FILES[name].CASES, verbose, name)
        rows.append((name, counts))
        for k in STATUSES:
            total[k] += counts[k]
    rows.append(("total", total))
    print(f"{'file':16} {'applicable':>10} {'agree':>6} {'%':>5} {'wrong':>6} {'refused':>8} "
          f"{'internal':>9}")
    for name, c in rows:
        n = sum(c.values())
        print(f"{name:16} {n:10} {c['agree']:6} {100 * c['agree'] / max(n, 1):5.1f} {c['wrong']:6} "
              f"{c['refused']:8} {c['internal']:9}")
    return 1 if total["wrong"] or total["internal"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
