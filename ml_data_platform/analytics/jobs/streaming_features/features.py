"""The streaming-features pipeline: events per user and event type per tumbling window.

Pure functions that build SQL, so the same pipeline runs on Managed Service for Apache Flink
(Kinesis source and sink, see ``main.py``) and in tests on a local mini-cluster (a bounded file
source with the same schema and watermark). Needs only PyFlink at run time, not the
ml_data_platform package.

Event time and late data: the source declares ``WATERMARK FOR event_time AS event_time -
INTERVAL '<lateness>' SECOND``. An event up to ``lateness`` seconds out of order still lands in
its window; a window is emitted once the watermark passes its end, and an event that arrives
after that (later than ``lateness``) is dropped by the window aggregation (Flink's window TVFs
have no allowed lateness beyond the watermark). Windows are emitted in event-time order.
"""

from __future__ import annotations

from collections.abc import Mapping

DEFAULT_WINDOW_SECONDS = 60
DEFAULT_LATENESS_SECONDS = 5

EVENT_COLUMNS = (
    ("event_id", "STRING"),
    ("user_id", "STRING"),
    ("event_type", "STRING"),
    ("event_time", "TIMESTAMP_LTZ(3)"),
)
"""The columns the job reads from a dataset's events (other fields are ignored)."""
FEATURE_COLUMNS = (
    ("user_id", "STRING"),
    ("event_type", "STRING"),
    ("window_start", "TIMESTAMP(3)"),
    ("window_end", "TIMESTAMP(3)"),
    ("event_count", "BIGINT"),
)
"""The features the job writes (one row per user, event type and window)."""


def _with(options: Mapping[str, str]) -> str:
    return ",\n  ".join(f"'{key}' = '{value}'" for key, value in options.items())


def source_ddl(
    table: str, options: Mapping[str, str], *, lateness_seconds: int = DEFAULT_LATENESS_SECONDS
) -> str:
    """``CREATE TABLE`` for the events, with the event-time watermark."""
    if lateness_seconds < 0:
        raise ValueError(f"lateness_seconds must be ≥ 0, got {lateness_seconds}")
    columns = ",\n  ".join(f"`{name}` {kind}" for name, kind in EVENT_COLUMNS)
    return (
        f"CREATE TABLE `{table}` (\n  {columns},\n"
        f"  WATERMARK FOR `event_time` AS `event_time` - INTERVAL '{lateness_seconds}' SECOND\n"
        f") WITH (\n  {_with(options)}\n)"
    )


def sink_ddl(table: str, options: Mapping[str, str]) -> str:
    """``CREATE TABLE`` for the features."""
    columns = ",\n  ".join(f"`{name}` {kind}" for name, kind in FEATURE_COLUMNS)
    return f"CREATE TABLE `{table}` (\n  {columns}\n) WITH (\n  {_with(options)}\n)"


def features_query(source_table: str, *, window_seconds: int = DEFAULT_WINDOW_SECONDS) -> str:
    """The windowed aggregation over ``source_table`` (a table with ``EVENT_COLUMNS`` and a
    watermark on ``event_time``)."""
    if window_seconds < 1:
        raise ValueError(f"window_seconds must be ≥ 1, got {window_seconds}")
    return f"""
SELECT
  `user_id`,
  `event_type`,
  CAST(`window_start` AS TIMESTAMP(3)) AS `window_start`,
  CAST(`window_end` AS TIMESTAMP(3)) AS `window_end`,
  COUNT(*) AS `event_count`
FROM TABLE(
  TUMBLE(TABLE `{source_table}`, DESCRIPTOR(`event_time`), INTERVAL '{window_seconds}' SECOND)
)
WHERE `user_id` IS NOT NULL AND `event_type` IS NOT NULL
GROUP BY `user_id`, `event_type`, `window_start`, `window_end`
""".strip()


def configure(t_env) -> None:
    """Session settings the pipeline relies on: window bounds are UTC times."""
    t_env.get_config().set("table.local-time-zone", "UTC")


def build_features(t_env, source_table: str, *, window_seconds: int = DEFAULT_WINDOW_SECONDS):
    """The features ``Table`` computed from ``source_table`` in ``t_env``."""
    return t_env.sql_query(features_query(source_table, window_seconds=window_seconds))


JSON_FORMAT = {
    "format": "json",
    "json.timestamp-format.standard": "ISO-8601",
    "json.ignore-parse-errors": "true",
}
"""Events are JSON with ISO-8601 UTC times (``2026-12-04T10:00:00.000Z``); a record that does
not parse is skipped instead of failing the job."""
SINK_JSON_FORMAT = {"format": "json", "json.timestamp-format.standard": "SQL"}
"""Features are JSON with ``yyyy-MM-dd HH:mm:ss.SSS`` times (what Firehose's JSON-to-Parquet
conversion reads as a timestamp)."""


def kinesis_source_options(
    stream_arn: str,
    region: str,
    *,
    start: str = "LATEST",
    endpoint: str | None = None,
) -> dict[str, str]:
    """Options of the Kinesis Table API source (``flink-connector-kinesis``)."""
    options = {
        "connector": "kinesis",
        "stream": stream_arn.rsplit("/", 1)[-1],
        "aws.region": region,
        "scan.stream.initpos": start,
        **JSON_FORMAT,
    }
    if endpoint:
        options["aws.endpoint"] = endpoint
    return options


def kinesis_sink_options(
    stream_arn: str, region: str, *, endpoint: str | None = None
) -> dict[str, str]:
    """Options of the Kinesis Table API sink, partitioned by user."""
    options = {
        "connector": "kinesis",
        "stream": stream_arn.rsplit("/", 1)[-1],
        "aws.region": region,
        "sink.partitioner-field-delimiter": "|",
        **SINK_JSON_FORMAT,
    }
    if endpoint:
        options["aws.endpoint"] = endpoint
    return options
