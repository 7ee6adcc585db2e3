# Every target sets up .venv itself, installing only what it needs: `make demo` wengert alone (NumPy, SymPy,
# astor), `make test` the test tools and Dask, `make bench` the libraries compared against.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
BENCH_STAMP := $(VENV)/.installed-bench
TEST_WORKERS ?= 2

.PHONY: demo test bench fuzz clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -e .
	touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(PY) -m pip install -q -e '.[test,dask]'
	touch $(TEST_STAMP)

$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install -q -e '.[bench,dask]'
	touch $(BENCH_STAMP)

demo: $(STAMP)
	$(VENV)/bin/wengert grad examples/lecture.py:f
	$(VENV)/bin/wengert trace examples/lecture.py:f --at x1=2 --at x2=5
	$(VENV)/bin/wengert check examples/lecture.py:f

# Both cores (pytest-xdist): TEST_WORKERS=0 runs in one process.
test: $(TEST_STAMP)
	$(PY) -m pytest -n $(TEST_WORKERS)

bench: $(BENCH_STAMP)
	$(PY) benchmarks/startup.py
	$(PY) benchmarks/dispatch.py
	$(PY) benchmarks/scalar.py
	$(PY) benchmarks/gaussian.py --threads 1
	$(PY) benchmarks/loops.py
	$(PY) benchmarks/mlp.py
	$(PY) benchmarks/rnn.py --threads 1
	$(PY) benchmarks/memory.py --threads 1
	$(PY) benchmarks/hessian.py --threads 1
	$(PY) benchmarks/compile.py
	$(PY) benchmarks/problems.py --threads 1 --clock cpu

# 10,000 random programs (every derivative agrees) and parser mutants (compiled or a located WengertError).
fuzz: $(TEST_STAMP)
	$(PY) fuzz/run.py --programs 10000 --mutants 3000

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis

# ---- the lecture's worked examples and the pictures in docs/ ---------------------------------------------
EXAMPLES := lecture_trace forward_vs_reverse iris_mlp optimizers activations batchnorm expression_swell
EXAMPLES_STAMP := $(VENV)/.examples-installed

.PHONY: examples docs

$(EXAMPLES_STAMP): $(TEST_STAMP)
	$(PY) -m pip install -q -e '.[test,examples]'
	touch $(EXAMPLES_STAMP)

examples: $(EXAMPLES_STAMP)
	@set -e; for name in $(EXAMPLES); do echo "==== python examples/$$name.py"; $(PY) examples/$$name.py; echo; done

docs: $(EXAMPLES_STAMP)
	@command -v dot >/dev/null || { echo "Graphviz's dot is missing: apt-get install -y graphviz"; \
	  (apt-get install -y -q graphviz || (apt-get update -q && apt-get install -y -q graphviz)) >/dev/null \
	  || echo "could not install Graphviz: the graph pictures are left out (DOT text is still written)"; }
	mkdir -p docs
	$(PY) examples/lecture_trace.py --out docs
	$(PY) examples/forward_vs_reverse.py --out docs
	$(PY) examples/iris_mlp.py --plot docs/iris_mlp.png
	$(PY) examples/optimizers.py --out docs
	$(PY) examples/activations.py --out docs
	$(PY) examples/batchnorm.py --out docs
	$(PY) examples/expression_swell.py --out docs
	@ls -l docs
