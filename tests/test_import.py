"""`import wengert` stays light: SymPy (wengert.check), astor (printing source), SciPy (only a function calling
scipy.special needs it) and Graphviz / matplotlib (pictures) load only when something needs them."""

import subprocess
import sys


def loaded_after(code):
    """The heavy modules loaded by a fresh interpreter after running code."""
    probe = code + "\nimport sys\nprint(sorted(m for m in ('sympy', 'astor', 'graphviz', 'matplotlib', 'dask', 'scipy') " \
                   "if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


def test_import_loads_neither_sympy_nor_astor():
    assert loaded_after("import wengert") == "[]"


def test_a_gradient_is_compiled_and_run_without_sympy_or_astor(tmp_path):
    (tmp_path / "lecture_f.py").write_text("import math\n\n\ndef f(x, y):\n    return math.log(x) + x * y - math.sin(y)\n")
    code = (f"import sys\nsys.path.insert(0, {str(tmp_path)!r})\nimport wengert, lecture_f\n"
            "assert abs(wengert.grad(lecture_f.f)(2.0, 5.0)[0] - 5.5) < 1e-12\n")
    assert loaded_after(code) == "[]"


def test_check_and_source_load_what_they_need():
    code = ("import wengert, linecache\n"
            "from wengert.parse import Module, parse\n"
            "m = Module('import math\\n\\ndef f(x):\\n    return math.sin(x)\\n', 'm.py')\n"
            "wengert.generate(parse(m, m.function('f')))\n"
            "wengert.check\n")
    assert loaded_after(code) == "['astor', 'sympy']"


# ---- the pipeline reads top to bottom ----------------------------------------------------------------------

LAYERS = ["shapes", "trace", "primitives", "simplify", "shift", "builder"]  # each imports only those before it


def _wengert_imports(path):
    """The wengert modules a source file imports (relative imports, by their first name under wengert)."""
    import ast
    package = path.parent.name == "primitives"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            inside = node.level == 1 and package  # from .core import ... within primitives/
            if inside:
                continue
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(a.name for a in node.names)
    return found


def test_the_ir_the_table_and_the_rewrites_do_not_import_the_builder():
    from pathlib import Path
    import wengert
    root = Path(wengert.__file__).parent
    for k, layer in enumerate(LAYERS):
        files = sorted((root / layer).glob("*.py")) if (root / layer).is_dir() else [root / f"{layer}.py"]
        later = set(LAYERS[k + 1:]) | {layer}
        for path in files:
            assert not _wengert_imports(path) & later, f"{path.name} imports {_wengert_imports(path) & later}"
