"""tools/bench.py: the arithmetic of ``make bench`` (the timing itself is not tested)."""

import importlib.util
import sys
from pathlib import Path

import pytest

SPEC = importlib.util.spec_from_file_location(
    "bench", Path(__file__).resolve().parents[3] / "tools" / "bench.py"
)
bench = importlib.util.module_from_spec(SPEC)
sys.modules["bench"] = bench  # dataclasses look their module up there
SPEC.loader.exec_module(bench)


def test_ratios_are_relative_to_the_first_row():
    rows = bench.ratio_rows([("empty app", 2.0), ("storage stack", 3.0), ("platform", 4.5)])
    assert [row.split()[-1] for row in rows] == ["1.00×", "1.50×", "2.25×"]
    assert "4.50 s" in rows[2]


def test_median_sample_takes_the_median_of_walls_and_of_each_phase(monkeypatch):
    samples = iter([(5.0, {"build": 1.0}), (3.0, {"build": 3.0}), (4.0, {"build": 2.0})])
    monkeypatch.setattr(bench, "sample", lambda scenario, env=None: next(samples))
    wall, phases = bench.median_sample(bench.SCENARIOS[0], 3)
    assert (wall, phases) == (4.0, {"build": 2.0})


def test_scenarios_start_with_the_empty_app_and_end_with_the_full_platform():
    assert (bench.SCENARIOS[0].name, bench.SCENARIOS[0].nag) == ("empty", False)
    assert bench.SCENARIOS[-1].name == "platform"


def test_runs_must_be_positive():
    with pytest.raises(SystemExit):
        bench.main(["--runs", "0"])
