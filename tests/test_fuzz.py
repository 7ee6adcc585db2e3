"""Random programs over the whole subset (tests/strategies.py): reverse mode = forward mode = jvp =
central differences (and SymPy for the small ones); two compilations print byte-identical source,
and the printed module runs standalone and gives the same gradient. `make fuzz` runs 10,000."""

import os
import random

import numpy as np
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


# ---- the construct families and kinds of point the smooth programs never reach (issue #13) ------------

FAMILY_PROGRAMS = int(os.environ.get("WENGERT_FUZZ_FAMILY_PROGRAMS", 250))


def test_every_family_agrees_at_every_kind_of_point(program_dir):
    """A fixed draw over every construct family (general, gather, tuple, guarded, kink) at every kind of
    point (smooth, repeated or aliasing indices, untaken non-finite sides, zeros, kinks, ties, bounds):
    the modes agree everywhere (nan only with nan), reverse mode equals the convention's gradient where
    the family knows it, and nothing fails; a refusal must be a located WengertError. `make fuzz` and
    `fuzz/run.py --family NAME` run more of the same."""
    from strategies import fuzz_program, verdict

    failed, first = {}, ""
    for seed in range(FAMILY_PROGRAMS):
        program = fuzz_program(random.Random(seed))
        status, kind, _, detail = verdict(program, seed, program_dir, sympy=False)
        if status == "failed":
            failed.setdefault(f"{program.family}/{kind}", []).append(seed)
            first = first or detail
    assert not failed, ("failing seeds by family/kind (rerun: python fuzz/run.py --seed SEED --programs 1 "
                        f"--mutants 0): {failed}\nfirst failure: {first}")


def test_the_families_cover_every_kind_of_point():
    """Within a few hundred seeds every family occurs with every kind of point it has, and the edge
    families draw non-smooth points often (600: the kink family has sorting, scan and stacking templates too)."""
    from strategies import FAMILIES, POINT_KINDS, fuzz_program, point_of

    seen = set()
    for seed in range(600):
        program = fuzz_program(random.Random(seed))
        seen.add((program.family, point_of(program, seed).kind))
    assert {f for f, _ in seen} == set(FAMILIES)
    assert {k for _, k in seen} == set(POINT_KINDS)
    for family, kinds in {"general": "smooth zero tie bound", "gather": "smooth repeat alias",
                          "tuple": "smooth tie zero", "guarded": "smooth untaken zero bound tie",
                          "kink": "smooth zero kink tie bound"}.items():
        assert {(family, k) for k in kinds.split()} <= seen, (family, sorted(seen))


def test_agreement_treats_nan_and_inf_strictly():
    from strategies import agree

    assert agree(np.array([np.inf, 0.5, np.nan]), np.array([np.inf, 0.5, np.nan]), 1e-9, 1e-9)
    assert not agree(np.array([np.inf, 0.5]), np.array([np.inf, np.nan]), 1e-9, 1e-9)  # nan vs a number
    assert not agree(np.array([0.0]), np.array([np.nan]), 1e-9, 1e-9)
    assert not agree(np.array([np.inf]), np.array([-np.inf]), 1e-9, 1e-9)
    assert not agree(np.array([np.inf]), np.array([1e300]), 1e-9, 1e-9)
    assert agree(np.array([np.inf, 0.5]), np.array([np.nan, 0.5]), 1e-9, 1e-9)  # inf - inf: no derivative
    assert not agree(np.zeros(2), np.zeros(3), 1e-9, 1e-9)


def _edge_case(template, kind=None):
    """The first seed whose edge program is built from this template (at a point of this kind), and the program."""
    from strategies import FAMILIES, fuzz_program, point_of

    for seed in range(2000):
        for family in FAMILIES[1:]:
            program = fuzz_program(random.Random(seed), family)
            if program.edge.template == template and kind in (None, point_of(program, seed).kind):
                return seed, program
    raise AssertionError(f"no seed draws {template} at a {kind} point")


def test_the_convention_check_catches_a_wrong_number(program_dir, monkeypatch):
    """With every gradient zeroed in all modes alike (the old tuple-literal bug), the modes agree and only
    the convention (or central differences) can tell: check_program must fail."""
    import strategies
    import wengert

    real_vg, real_grad, real_jvp = wengert.value_and_grad, wengert.grad, wengert.jvp
    zero = lambda g: tuple(0 * np.asarray(x) for x in g)  # noqa: E731
    monkeypatch.setattr(wengert, "value_and_grad", lambda f, wrt=None, mode="reverse": (
        lambda *a: (lambda v, g: (v, zero(g)))(*real_vg(f, wrt=wrt, mode=mode)(*a))))
    monkeypatch.setattr(wengert, "grad", lambda f, wrt=None, mode="reverse": (
        lambda *a: zero(real_grad(f, wrt=wrt, mode=mode)(*a))))
    monkeypatch.setattr(wengert, "jvp", lambda f, wrt=None: (lambda *a: (real_jvp(f, wrt=wrt)(*a)[0], 0.0)))
    real_generate = strategies.generate
    monkeypatch.setattr(strategies, "generate", lambda *a: real_generate(*a) + (
        "\n_real = prog_grad\n\n\ndef prog_grad(*a):\n    return tuple(0 * np.asarray(g) for g in _real(*a))\n"))
    seed, program = _edge_case("abs", "smooth")
    with pytest.raises(AssertionError, match="convention"):
        check_program(program, seed, program_dir)


def test_a_refusal_outside_the_refusable_families_fails(program_dir, monkeypatch):
    """A WengertError is an acceptable outcome for a tuple literal, and a failure for a kink program."""
    import wengert
    from wengert.errors import WengertError
    from strategies import Refused

    def refuse(*args, **kwargs):
        raise WengertError("refused for the test", "prog.py", 7, 4, "", "a hint")

    monkeypatch.setattr(wengert, "value_and_grad", lambda *a, **k: refuse)
    seed, program = _edge_case("tuple_sum")
    with pytest.raises(Refused):
        check_program(program, seed, program_dir)
    seed, program = _edge_case("abs")
    with pytest.raises(WengertError):
        check_program(program, seed, program_dir)
