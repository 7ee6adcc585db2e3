# Every target sets up .venv itself: `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/wengert grad examples/lecture.py:f
	$(VENV)/bin/wengert trace examples/lecture.py:f --at x1=2 --at x2=5
	$(VENV)/bin/wengert check examples/lecture.py:f

test: $(STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) benchmarks/scalar.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
