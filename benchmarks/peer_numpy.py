"""The port of HIPS/autograd's tests/test_numpy.py alone (kept for its command); the whole port of the five
peer files is benchmarks/peer/:

    PYTHONPATH=src:. python benchmarks/peer_numpy.py [-v]
    PYTHONPATH=src:. python -m benchmarks.peer.run [-v]"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from benchmarks.peer.run import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] + ["test_numpy"]))
