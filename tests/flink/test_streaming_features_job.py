"""The reference streaming-features job, run for real on a local Flink mini-cluster.

PyFlink 1.20 lives in its own venv (``.venv-flink``, made by ``make flink-venv``, which ``make
test`` runs first): the job runs once per session in that interpreter over a bounded input
(``data/events.jsonl``) and every test asserts on the rows it emitted, in emission order.
Cost: one job, ~10–15 s on an idle 2-core machine (JVM start + mini-cluster + Python workers).

The input, windows of 60 s and 5 s of allowed out-of-orderness (watermark = max event time - 5 s):
events 1–5 fall in [10:00, 10:01); event 6 (10:01:03) moves the watermark to 10:00:58; event 7
(10:00:57) is out of order but its window is still open, so it counts; event 8 (10:01:10) moves
the watermark to 10:01:05 and closes the first window; event 9 (10:00:40) is then late and
dropped; a line that is not JSON is skipped; events 10–11 close the second window, and the
end of input closes the third.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

FLINK_PYTHON = ROOT / ".venv-flink" / "bin" / "python"
HERE = Path(__file__).resolve().parent
EVENTS = HERE / "data" / "events.jsonl"
JOB = ROOT / "ml_data_platform" / "analytics" / "jobs" / "streaming_features"


@pytest.fixture(scope="session")
def emitted() -> list[dict]:
    """The rows the job emitted, in order (one mini-cluster run for the whole session)."""
    assert FLINK_PYTHON.exists(), "run `make flink-venv` (make test does) to create .venv-flink"
    result = subprocess.run(
        [str(FLINK_PYTHON), str(HERE / "run_features.py"), str(EVENTS), "60", "5"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def counts(rows: list[dict]) -> dict[tuple[str, str, str], int]:
    return {
        (r["window_start"][11:16], r["user_id"], r["event_type"]): r["event_count"] for r in rows
    }


def test_events_per_user_and_type_per_minute(emitted):
    assert counts(emitted) == {
        ("10:00", "u1", "click"): 4,
        ("10:00", "u1", "view"): 1,
        ("10:00", "u2", "view"): 1,
        ("10:01", "u1", "click"): 1,
        ("10:01", "u2", "view"): 1,
        ("10:02", "u2", "view"): 1,
        ("10:02", "u3", "click"): 1,
    }


def test_windows_are_one_minute_tumbling_in_utc(emitted):
    for row in emitted:
        assert row["window_start"].endswith(":00")
        start, end = row["window_start"], row["window_end"]
        assert start[:11] == "2026-12-04T" and end[:11] == "2026-12-04T"
        assert int(end[14:16]) - int(start[14:16]) == 1


def test_out_of_order_within_lateness_counts_and_late_event_is_dropped(emitted):
    first = counts(emitted)[("10:00", "u1", "click")]
    # events 1, 2, 5 and the out-of-order 7; not the late 9
    assert first == 4
    assert sum(r["event_count"] for r in emitted) == 10  # 11 events, 1 late, 1 unparseable


def test_windows_are_emitted_in_event_time_order(emitted):
    ends = [r["window_end"] for r in emitted]
    assert ends == sorted(ends)
    assert len(emitted) == 7


def test_job_module_builds_the_same_query_the_service_runs():
    sys.path.insert(0, str(JOB))
    try:
        import main  # the entry point the service runs

        properties = {
            "source": {
                "stream.arn": "arn:aws:kinesis:us-east-1:1:stream/clicks",
                "aws.region": "us-east-1",
            },
            "sink.features": {
                "stream.arn": "arn:aws:kinesis:us-east-1:1:stream/feat",
                "aws.region": "us-east-1",
            },
            "job": {"window.seconds": "120", "lateness.seconds": "10"},
        }
        source, sink, insert = main.statements(properties)
    finally:
        sys.path.remove(str(JOB))
        sys.modules.pop("main", None)
        sys.modules.pop("features", None)
    assert "'connector' = 'kinesis'" in source and "'stream' = 'clicks'" in source
    assert "INTERVAL '10' SECOND" in source
    assert "'stream' = 'feat'" in sink
    assert insert.startswith("INSERT INTO `features`") and "INTERVAL '120' SECOND" in insert
