"""The port of a peer's NumPy gradient tests (HIPS/autograd's test_numpy, test_linalg, test_systematic,
test_scalar_ops, test_binary_ops; benchmarks/peer) runs in full: no wrong gradient, no internal error, and
at least as many agreeing cases as when this test was written. About 12 s of CPU.

    PYTHONPATH=src:. python -m benchmarks.peer.run -v        (the table, and each case's status)"""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from benchmarks.peer import run  # noqa: E402
from benchmarks.peer.harness import run_file  # noqa: E402

# agreeing cases per file (the 10 refused: np.vstack and friends of a single array, not a sequence)
FLOOR = {"test_numpy": 126, "test_linalg": 65, "test_systematic": 950, "test_scalar_ops": 48,
         "test_binary_ops": 220}


@pytest.fixture(scope="module")
def counts():
    """Each file's counts (agree, wrong, refused, internal), the port run once."""
    return {name: run_file(module.CASES) for name, module in run.FILES.items()}


@pytest.mark.parametrize("name", list(run.FILES))
def test_peer_file_has_no_wrong_answer_and_no_internal_error(counts, name):
    assert counts[name]["wrong"] == 0 and counts[name]["internal"] == 0, counts[name]
    assert counts[name]["agree"] >= FLOOR[name], counts[name]


def test_the_port_agrees_on_at_least_90_percent(counts):
    agree = sum(c["agree"] for c in counts.values())
    applicable = sum(sum(c.values()) for c in counts.values())
    assert agree >= 0.9 * applicable, counts
