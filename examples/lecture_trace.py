"""The lecture's evaluation trace (REFERENCE.md section 1), reproduced by wengert.

f(x1, x2) = ln(x1) + x1*x2 - sin(x2) at (2, 5): the forward primal trace, the reverse
adjoint trace (both from wengert.trace), the generated gradient code, and the
computational graph with the local partials on its edges and values, adjoints on its nodes.

Run: python examples/lecture_trace.py [--out DIR]
"""
import argparse
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wengert  # noqa: E402
from lecture import f  # noqa: E402
from _figures import output_folder  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=None, help="directory for the graph picture (default: a temporary one)")
    args = parser.parse_args(argv)
    out = output_folder(args.out, "wengert-lecture-")

    print(wengert.trace(f, 2.0, 5.0))
    value, (dx1, dx2) = wengert.value_and_grad(f)(2.0, 5.0)
    print(f"f(2, 5) = {value!r}")
    print(f"df/dx1 = {dx1!r}, df/dx2 = {dx2!r}")
    print("\nThe generated gradient (reverse mode), plain Python:\n")
    print(wengert.source(wengert.grad(f)))

    drawn = wengert.graph(f, 2.0, 5.0)
    print("The computational graph at (2, 5) as DOT text (edges: local partials; nodes: value and adjoint):\n")
    print(drawn.source)
    dot_path = drawn.save(os.path.join(out, "lecture_graph.dot"))
    if shutil.which("dot"):
        for ext in ("png", "svg"):
            print(f"wrote {drawn.save(os.path.join(out, f'lecture_graph.{ext}'))}")
        forward = wengert.graph(f, 2.0, 5.0, mode="forward")
        print(f"wrote {forward.save(os.path.join(out, 'lecture_graph_forward.png'))} (forward mode, seeded at x1)")
    else:
        print(f"wrote {dot_path}; install Graphviz (apt-get install graphviz) for the picture")


if __name__ == "__main__":
    main()
