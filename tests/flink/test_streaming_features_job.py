"""The reference streaming-features job, run for real on a local Flink mini-cluster.

PyFlink 1.20 lives in its own venv (``.venv-flink``, made by ``make flink-venv``; the connector
jar by ``make flink-jar``; ``make test`` runs both first). One session fixture starts the local
emulator (moto server) and ONE mini-cluster process (``run_jobs.py``) that runs the job twice:

1. over a bounded input (``data/events.jsonl``) read with the job's own schema and watermark;
2. end to end: the same events put on a Kinesis stream of the emulator, read by the job's
   Kinesis source (endpoint override, CBOR off) and written by its Kinesis sink to a features
   stream, which the fixture reads back with boto3, then stops the job.

Cost: one JVM + mini-cluster, ~30–60 s on an idle 2-core machine (JVM start, two jobs, Python
workers), several minutes when the machine is loaded; it starts right after collection and runs
beside the rest of the suite (``tests.early``), so these tests run last.

The input, windows of 60 s and 5 s of allowed out-of-orderness (watermark = max event time - 5 s):
events 1–5 fall in [10:00, 10:01); event 6 (10:01:03) moves the watermark to 10:00:58; event 7
(10:00:57) is out of order but its window is still open, so it counts; event 8 (10:01:10) moves
the watermark to 10:01:05 and closes the first window; event 9 (10:00:40) is then late and
dropped; a line that is not JSON is skipped; events 10–11 (10:02:30/31) close the second window.
The bounded run's end of input closes the third; on the unbounded stream it stays open.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from ml_data_platform.local.emulator import MotoServer
from tests import early
from tests.conftest import ROOT

FLINK_PYTHON = ROOT / ".venv-flink" / "bin" / "python"
CONNECTOR_JAR = ROOT / "build" / "flink" / "ml-data-platform-flink-connectors.jar"
HERE = Path(__file__).resolve().parent
EVENTS = HERE / "data" / "events.jsonl"
JOB = ROOT / "ml_data_platform" / "analytics" / "jobs" / "streaming_features"
# The shaded connector relocates the AWS SDK v1 (and its system-property names); SDK v2 reads
# aws.cborEnabled. moto answers CBOR requests with HTTP 500.
NO_CBOR = (
    "-Dorg.apache.flink.kinesis.shaded.com.amazonaws.sdk.disableCbor=true "
    "-Dcom.amazonaws.sdk.disableCbor=true -Daws.cborEnabled=false"
)
KINESIS_ROWS = 5
"""Rows of the two windows the stream closes (window 3 stays open on an unbounded stream)."""
TIMEOUT_SECONDS = 600


@dataclass
class FlinkRun:
    bounded: list[dict]
    kinesis: list[dict]


def _lines(process: subprocess.Popen) -> queue.Queue:
    lines: queue.Queue = queue.Queue()

    def pump() -> None:
        for line in process.stdout:  # type: ignore[union-attr]
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _read_stream(kinesis, stream: str) -> list[dict]:
    shard = kinesis.list_shards(StreamName=stream)["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(
        StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    return [json.loads(r["Data"]) for r in kinesis.get_records(ShardIterator=iterator)["Records"]]


@pytest.fixture(scope="session")
def flink_run() -> FlinkRun:
    """Both runs of the job on one mini-cluster (see the module docstring), started after
    collection (``tests.early``): the JVM works while the rest of the suite runs."""
    return early.result("flink_run")


@early.start_after_collection("flink_run")
def _run_flink() -> FlinkRun:
    assert FLINK_PYTHON.exists(), "run `make flink-venv` (make test does) to create .venv-flink"
    assert CONNECTOR_JAR.exists(), "run `make flink-jar` (make test does) to build the jar"
    log = early.temp_dir("flink-") / "job.log"
    with MotoServer() as moto:
        kinesis = moto.client("kinesis")
        for stream in ("clicks", "clicks-features"):
            kinesis.create_stream(StreamName=stream, ShardCount=1)
        for line in EVENTS.read_text().splitlines():
            kinesis.put_record(StreamName="clicks", Data=line.encode(), PartitionKey="p")
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1",
            "JAVA_TOOL_OPTIONS": NO_CBOR,
        }
        command = [str(FLINK_PYTHON), str(HERE / "run_jobs.py"), str(EVENTS), "60", "5"]
        command += [moto.endpoint_url, "clicks", "clicks-features", str(CONNECTOR_JAR)]
        with log.open("w") as stderr:
            process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
                env=env,
                start_new_session=True,  # its own process group: the JVM stops with it
            )
        try:
            lines = _lines(process)
            deadline = time.monotonic() + TIMEOUT_SECONDS
            bounded, running = [], False
            while not running:
                line = lines.get(timeout=max(1.0, deadline - time.monotonic()))
                assert line is not None, f"the job process ended early:\n{log.read_text()[-4000:]}"
                if line.startswith("ROW "):
                    bounded.append(json.loads(line[4:]))
                running = line == "KINESIS RUNNING"
            written: list[dict] = []
            while len(written) < KINESIS_ROWS and time.monotonic() < deadline:
                assert process.poll() is None, f"the Kinesis job failed:\n{log.read_text()[-4000:]}"
                time.sleep(1)
                written = _read_stream(kinesis, "clicks-features")
            time.sleep(2)  # anything beyond the expected rows would show up now
            written = _read_stream(kinesis, "clicks-features")
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=60)
    return FlinkRun(bounded, written)


@pytest.fixture(scope="session")
def emitted(flink_run) -> list[dict]:
    return flink_run.bounded


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


def test_end_to_end_through_kinesis_on_the_emulator(flink_run):
    """What reached the features stream: the closed windows' rows, as JSON the Parquet
    conversion reads (times ``yyyy-MM-dd HH:mm:ss``), the late event still dropped."""
    rows = flink_run.kinesis
    assert len(rows) == KINESIS_ROWS
    assert {(r["window_start"], r["user_id"], r["event_type"]): r["event_count"] for r in rows} == {
        ("2026-12-04 10:00:00", "u1", "click"): 4,
        ("2026-12-04 10:00:00", "u1", "view"): 1,
        ("2026-12-04 10:00:00", "u2", "view"): 1,
        ("2026-12-04 10:01:00", "u1", "click"): 1,
        ("2026-12-04 10:01:00", "u2", "view"): 1,
    }
    assert set(rows[0]) == {"user_id", "event_type", "window_start", "window_end", "event_count"}


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
