"""Entry point of the reference streaming-features job on Managed Service for Apache Flink.

Reads the property groups the ``FlinkApplication`` construct writes (``source``,
``sink.features`` and ``job``: ``window.seconds``, ``lateness.seconds``) from
``/etc/flink/application_properties.json`` (on the service) or the file named by
``FLINK_APPLICATION_PROPERTIES`` (locally), and runs ``INSERT INTO features SELECT ...``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from features import (
    DEFAULT_LATENESS_SECONDS,
    DEFAULT_WINDOW_SECONDS,
    configure,
    features_query,
    kinesis_sink_options,
    kinesis_source_options,
    sink_ddl,
    source_ddl,
)

SERVICE_PROPERTIES = "/etc/flink/application_properties.json"


def read_properties() -> dict[str, dict[str, str]]:
    path = Path(os.environ.get("FLINK_APPLICATION_PROPERTIES", SERVICE_PROPERTIES))
    return {g["PropertyGroupId"]: g["PropertyMap"] for g in json.loads(path.read_text())}


def statements(properties: dict[str, dict[str, str]]) -> list[str]:
    """The job's SQL: the two tables and the insert."""
    source, sink = properties["source"], properties["sink.features"]
    job = properties.get("job", {})
    endpoint = job.get("aws.endpoint")
    return [
        source_ddl(
            "events",
            kinesis_source_options(
                source["stream.arn"],
                source["aws.region"],
                start=job.get("start.position", "LATEST"),
                endpoint=endpoint,
            ),
            lateness_seconds=int(job.get("lateness.seconds", DEFAULT_LATENESS_SECONDS)),
        ),
        sink_ddl(
            "features",
            kinesis_sink_options(sink["stream.arn"], sink["aws.region"], endpoint=endpoint),
        ),
        "INSERT INTO `features` "
        + features_query(
            "events", window_seconds=int(job.get("window.seconds", DEFAULT_WINDOW_SECONDS))
        ),
    ]


def main() -> None:
    from pyflink.table import EnvironmentSettings, TableEnvironment

    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    configure(t_env)
    local_jar = os.environ.get("FLINK_CONNECTOR_JAR")
    if local_jar:  # on the service, the jarfile run option puts the jar on the class path
        t_env.get_config().set("pipeline.jars", f"file://{local_jar}")
    *ddl, insert = statements(read_properties())
    for statement in ddl:
        t_env.execute_sql(statement)
    t_env.execute_sql(insert)


if __name__ == "__main__":
    main()
