"""Run the streaming-features pipeline on one local Flink mini-cluster: first over a bounded
file, then (optionally) end to end against Kinesis on the local emulator.

Runs with the Flink venv's interpreter (``.venv-flink/bin/python``: PyFlink 1.20, Java 17), not
the main venv, so one JVM and one ``TableEnvironment`` serve both jobs:

    python run_jobs.py EVENTS WINDOW LATENESS [ENDPOINT SOURCE_STREAM SINK_STREAM JAR]

1. Bounded: the job's pipeline (``features.build_features``) over ``EVENTS`` read by the
   filesystem connector with the job's own source DDL (schema + watermark) at parallelism 1,
   so watermarks advance record by record (Flink emits one as soon as it moved more than the
   200 ms interval) and late data is deterministic. Prints ``ROW <json>`` per emitted row, in
   emission order, then ``BOUNDED DONE``.
2. Kinesis: the job's own Kinesis DDL (``kinesis_source_options``/``kinesis_sink_options``
   with the endpoint overridden) reads ``SOURCE_STREAM`` from the start and writes the
   features to ``SINK_STREAM``; prints ``KINESIS RUNNING`` and runs until the caller stops the
   process group (the job is unbounded). The caller sets ``JAVA_TOOL_OPTIONS`` to turn CBOR
   off: moto speaks JSON only.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

JOB = (
    Path(__file__).resolve().parents[2]
    / "ml_data_platform"
    / "analytics"
    / "jobs"
    / "streaming_features"
)
sys.path.insert(0, str(JOB))

from features import (  # noqa: E402
    JSON_FORMAT,
    build_features,
    configure,
    features_query,
    kinesis_sink_options,
    kinesis_source_options,
    sink_ddl,
    source_ddl,
)

REGION = "us-east-1"
ACCOUNT = "123456789012"
MAX_RUN_MS = 15 * 60 * 1000
"""The Kinesis job stops by itself after this, should the caller never stop it."""


def bounded(t_env, events_file: str, window: int, lateness: int) -> None:
    t_env.execute_sql(
        source_ddl(
            "events_file",
            {"connector": "filesystem", "path": events_file, **JSON_FORMAT},
            lateness_seconds=lateness,
        )
    )
    table = build_features(t_env, "events_file", window_seconds=window)
    with table.execute().collect() as rows:
        for user_id, event_type, start, end, count in rows:
            row = {
                "user_id": user_id,
                "event_type": event_type,
                "window_start": start.isoformat(),
                "window_end": end.isoformat(),
                "event_count": count,
            }
            print("ROW " + json.dumps(row), flush=True)
    print("BOUNDED DONE", flush=True)


def kinesis(t_env, endpoint: str, source: str, sink: str, window: int, lateness: int) -> None:
    arn = f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/"
    source_options = kinesis_source_options(
        arn + source, REGION, start="TRIM_HORIZON", endpoint=endpoint
    )
    sink_options = kinesis_sink_options(arn + sink, REGION, endpoint=endpoint)
    sink_options["sink.http-client.protocol.version"] = "HTTP1_1"  # plain HTTP to the emulator
    t_env.execute_sql(source_ddl("events", source_options, lateness_seconds=lateness))
    t_env.execute_sql(sink_ddl("features", sink_options))
    result = t_env.execute_sql(
        "INSERT INTO `features` " + features_query("events", window_seconds=window)
    )
    print("KINESIS RUNNING", flush=True)
    try:
        result.wait(MAX_RUN_MS)
    finally:
        result.get_job_client().cancel()


def main(argv: list[str]) -> None:
    from pyflink.table import EnvironmentSettings, TableEnvironment

    events_file, window, lateness = argv[0], int(argv[1]), int(argv[2])
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    configure(t_env)
    config = t_env.get_config()
    config.set("parallelism.default", "1")
    config.set("python.executable", sys.executable)
    if len(argv) > 3:
        config.set("pipeline.jars", Path(argv[6]).resolve().as_uri())
    bounded(t_env, events_file, window, lateness)
    if len(argv) > 3:
        kinesis(t_env, argv[3], argv[4], argv[5], window, lateness)


if __name__ == "__main__":
    main(sys.argv[1:])
