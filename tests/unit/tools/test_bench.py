"""tools/bench.py: the arithmetic of ``make bench`` (the timing itself is not tested)."""

import importlib.util
import json
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


def point(datasets, seconds, resources=100, size=100_000):
    return bench.ScalePoint(datasets, seconds, 3, resources, size)


def test_marginal_seconds_per_added_dataset():
    points = [point(1, 3.0), point(10, 4.8), point(100, 22.8)]
    assert bench.marginal_seconds(points) == pytest.approx([0.2, 0.2])


def test_scale_rows_judge_limits_and_linearity():
    rows = bench.scale_rows([point(10, 4.0), point(100, 22.0), point(300, 62.0, 350, 500_000)])
    # slopes 0.2 then 0.2: linear; worst 350/500 = 70 % < 80 %
    assert "every stack < 80% of each limit: met (70%)" in rows[-2]
    assert "linear growth" in rows[-1] and ": met (0.200 → 0.200 s/dataset)" in rows[-1]
    rows = bench.scale_rows([point(10, 4.0), point(100, 22.0), point(300, 162.0, 100, 900_000)])
    assert "NOT met (90%)" in rows[-2]  # template bytes 900,000 of 1 MB
    assert "NOT met (0.200 → 0.700 s/dataset)" in rows[-1]


def test_with_datasets_keeps_one_environment_and_the_first_name():
    context = bench.with_datasets(json.loads(bench.CONTEXT_FILE.read_text())["context"], 3)
    (dev,) = context["ml-data-platform"]["environments"].values()
    assert [d["name"] for d in dev["datasets"]] == ["clickstream", "dataset-0001", "dataset-0002"]
    # The copies are plain dedicated datasets: no streaming-features job each (one per copy
    # would measure Flink applications, not datasets), no shared ingestion.
    assert dev["datasets"][0]["analytics"] == {"enabled": True}
    assert not set(bench.COPY_DROPS) & {k for d in dev["datasets"][1:] for k in d}


@pytest.mark.parametrize("text", ["10,1", "0,5", "a,b", "5,5"])
def test_dataset_counts_must_be_ascending_positive_integers(text):
    with pytest.raises(SystemExit):
        bench.main(["--datasets", text, "--only-datasets"])
