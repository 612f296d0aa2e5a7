"""The reference streaming-features job's contract: its settings, what it reads and writes,
and its code (``jobs/streaming_features``) with the connector jar.

The job itself (PyFlink, Table API/SQL) is ``jobs/streaming_features/features.py`` +
``main.py``; ``stacks.AnalyticsStack`` deploys it per dataset from the ``analytics`` section of
a dataset in cdk.json.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ml_data_platform.analytics.code import FlinkCode
from ml_data_platform.analytics.jobs import STREAMING_FEATURES
from ml_data_platform.core.inputs import require_int
from ml_data_platform.datasets import Column, DataFormat, Dataset

DEFAULT_CONNECTOR_JAR = Path("build") / "flink" / "ml-data-platform-flink-connectors.jar"
"""Where ``make flink-jar`` writes the connector jar (relative to the app's working folder,
the repository root for ``make synth``)."""
FEATURES_SUFFIX = "-features"
"""The features of dataset ``clicks`` land as dataset ``clicks-features`` (curated zone)."""
FEATURE_COLUMNS = (
    Column("user_id", "string"),
    Column("event_type", "string"),
    Column("window_start", "timestamp"),
    Column("window_end", "timestamp"),
    Column("event_count", "bigint"),
)
"""The job's output (``features.FEATURE_COLUMNS`` in the job), as Glue columns."""
REQUIRED_COLUMNS = ("user_id", "event_type", "event_time")
"""The columns the job reads from a dataset's events."""
DEFAULT_WINDOW_SECONDS = 60
DEFAULT_LATENESS_SECONDS = 5


@dataclass(frozen=True)
class StreamingFeatures:
    """Settings of the streaming-features job for one dataset (its ``analytics`` section).

    Args:
        window_seconds: Tumbling-window length (≥ 1). Default: 60.
        lateness_seconds: Out-of-orderness the event-time watermark allows (≥ 0); later
            events are dropped. Default: 5.
        parallelism: Initial parallelism of the application (≥ 1; autoscaling on). Default: 1.
        start_on_deploy: Start the application after each deployment (a custom resource;
            not on the local emulator). Default: False.
    """

    window_seconds: int = DEFAULT_WINDOW_SECONDS
    lateness_seconds: int = DEFAULT_LATENESS_SECONDS
    parallelism: int = 1
    start_on_deploy: bool = False

    def __post_init__(self) -> None:
        require_int(self.window_seconds, "window_seconds", minimum=1)
        require_int(self.lateness_seconds, "lateness_seconds", minimum=0)
        require_int(self.parallelism, "parallelism", minimum=1)
        if not isinstance(self.start_on_deploy, bool):
            raise TypeError(f"start_on_deploy must be a bool, got {self.start_on_deploy!r}")

    def job_properties(self) -> dict[str, str]:
        """The ``job`` property group the job reads."""
        return {
            "window.seconds": str(self.window_seconds),
            "lateness.seconds": str(self.lateness_seconds),
        }


def features_dataset(dataset: Dataset) -> Dataset:
    """The curated-zone dataset (Parquet) the features of ``dataset`` land as; raises
    ``ValueError`` if ``dataset`` lacks a column the job reads."""
    names = {column.name for column in dataset.columns}
    missing = [column for column in REQUIRED_COLUMNS if column not in names]
    if missing:
        raise ValueError(
            f"dataset {dataset.name!r}: the streaming-features job reads columns "
            f"{list(REQUIRED_COLUMNS)}; it lacks {missing}"
        )
    return Dataset(
        dataset.name + FEATURES_SUFFIX,
        list(FEATURE_COLUMNS),
        dataset.granularity,
        DataFormat.PARQUET,
        f"Streaming features of {dataset.name}: events per user and event type per window",
    )


def streaming_features_code(connector_jar: str | Path = DEFAULT_CONNECTOR_JAR) -> FlinkCode:
    """The reference job's code (``main.py`` + ``features.py``) with the connector jar."""
    return FlinkCode.from_asset(STREAMING_FEATURES, jar=connector_jar, py_files=["features.py"])
