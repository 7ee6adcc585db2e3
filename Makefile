# Every target sets up .venv itself: `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench fuzz clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -e '.[test,dask]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/wengert grad examples/lecture.py:f
	$(VENV)/bin/wengert trace examples/lecture.py:f --at x1=2 --at x2=5
	$(VENV)/bin/wengert check examples/lecture.py:f

test: $(STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) benchmarks/scalar.py
	$(PY) benchmarks/mlp.py
	$(PY) benchmarks/rnn.py --threads 1
	$(PY) benchmarks/hessian.py --threads 1
	$(PY) benchmarks/compile.py
	$(PY) benchmarks/problems.py --threads 1 --clock cpu

# 10,000 random programs (every derivative agrees) and parser mutants (compiled or a located WengertError).
fuzz: $(STAMP)
	$(PY) fuzz/run.py --programs 10000 --mutants 3000

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis

# ---- the lecture's worked examples and the pictures in docs/ ---------------------------------------------
EXAMPLES := lecture_trace forward_vs_reverse iris_mlp optimizers activations batchnorm expression_swell
EXAMPLES_STAMP := $(VENV)/.examples-installed

.PHONY: examples docs

$(EXAMPLES_STAMP): $(STAMP)
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
