"""Run the streaming-features pipeline on a local Flink mini-cluster over a bounded input.

Runs with the Flink venv's interpreter (``.venv-flink/bin/python``, PyFlink 1.20, Java 17), not
the main venv: ``python run_features.py <events.jsonl>`` prints one JSON object per emitted
window row, in emission order. The source is a file with the job's event schema and watermark
(the same DDL as the Kinesis source, another connector), read at parallelism 1 so watermarks
advance record by record (Flink emits a watermark as soon as it moved more than the 200 ms
watermark interval) and the late-data behaviour is deterministic.
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

from features import JSON_FORMAT, build_features, configure, source_ddl  # noqa: E402


def main(events_file: str, window_seconds: int, lateness_seconds: int) -> None:
    from pyflink.table import EnvironmentSettings, TableEnvironment

    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    configure(t_env)
    config = t_env.get_config()
    config.set("parallelism.default", "1")
    config.set("python.executable", sys.executable)
    t_env.execute_sql(
        source_ddl(
            "events",
            {"connector": "filesystem", "path": events_file, **JSON_FORMAT},
            lateness_seconds=lateness_seconds,
        )
    )
    table = build_features(t_env, "events", window_seconds=window_seconds)
    with table.execute().collect() as rows:
        for row in rows:
            user_id, event_type, start, end, count = row
            print(
                json.dumps(
                    {
                        "user_id": user_id,
                        "event_type": event_type,
                        "window_start": start.isoformat(),
                        "window_end": end.isoformat(),
                        "event_count": count,
                    }
                ),
                flush=True,
            )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
