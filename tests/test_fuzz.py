"""Random programs over the whole subset (tests/strategies.py): reverse mode = forward mode = jvp =
central differences (and SymPy for the small ones); two compilations print byte-identical source,
and the printed module runs standalone and gives the same gradient. `make fuzz` runs 10,000."""

import os
import random

import pytest
from hypothesis import HealthCheck, given, settings

from strategies import FEATURES, Skip, check_program, programs, random_program

EXAMPLES = int(os.environ.get("WENGERT_FUZZ_EXAMPLES", 25))
SYMPY_SIZE = 5  # statements: the SymPy check runs on programs at most this long


@pytest.fixture(scope="module")
def program_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz_programs")


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(case=programs())
def test_every_witness_agrees_with_reverse_mode(program_dir, case):
    program, seed = case
    try:
        agreed = check_program(program, seed, program_dir, sympy=program.size <= SYMPY_SIZE)
    except Skip:
        return
    assert {"forward", "jvp", "printed module"} <= agreed


def test_the_generator_covers_the_whole_subset():
    """Over a few hundred seeds every construct of the subset occurs, and programs differ."""
    seen, texts = set(), set()
    for seed in range(300):
        program = random_program(random.Random(seed))
        seen |= program.features
        texts.add(program.source)
    assert seen == set(FEATURES), set(FEATURES) - seen
    assert len(texts) > 290


def test_the_checks_catch_a_wrong_gradient(program_dir, monkeypatch):
    """The harness can fail: with reverse mode off by a factor, check_program raises AssertionError."""
    import wengert

    real = wengert.value_and_grad

    def off_by_a_factor(f, wrt=None, mode="reverse"):
        fn = real(f, wrt=wrt, mode=mode)
        return lambda *args: (lambda value, grads: (value, tuple(g * 1.5 for g in grads)))(*fn(*args))

    monkeypatch.setattr(wengert, "value_and_grad", off_by_a_factor)
    program = random_program(random.Random(3))
    with pytest.raises(AssertionError):
        check_program(program, 3, program_dir)
