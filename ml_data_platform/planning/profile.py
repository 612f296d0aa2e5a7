"""The workload the planner sizes and prices: rates, sizes, retention and access per zone."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import cast

from ml_data_platform.core.inputs import require_int
from ml_data_platform.core.limits import (
    KINESIS_MAX_RETENTION_HOURS,
    KINESIS_MIN_RETENTION_HOURS,
    MIB,
)
from ml_data_platform.planning.prices import (
    FLINK_MAX_PARALLELISM_PER_KPU,
    SECONDS_PER_DAY,
    flink_kpus,
)
from ml_data_platform.planning.sizing import require_positive
from ml_data_platform.storage import zones
from ml_data_platform.storage.lifecycle import LifecyclePreset


class Zone(str, Enum):
    """The default data lake zones (equal to their names, so ``"raw"`` works as a key too)."""

    RAW = zones.RAW
    CURATED = zones.CURATED
    ANALYTICS = zones.ANALYTICS


class AccessPattern(Enum):
    """How a zone's objects are read over time; each maps to a lifecycle preset."""

    FREQUENT = "frequent"
    """Read often for as long as kept: S3 Standard only (``STANDARD``)."""
    FREQUENT_THEN_MONTHLY = "frequent-then-monthly"
    """Read often for a month, then about monthly: Standard-IA after 30 days
    (``INFREQUENT_ACCESS``)."""
    MONTHLY_THEN_RARE = "monthly-then-rare"
    """Read in the first month, then rarely: IA 30 → Glacier IR 90 → Deep Archive 180
    (``ARCHIVE``)."""
    UNPREDICTABLE = "unpredictable"
    """No known pattern: Intelligent-Tiering from day 0 (``INTELLIGENT_TIERING``)."""
    LOGS = "logs"
    """Kept for audits, then deleted: IA 30, expire after 365 days (``LOGS``)."""

    @property
    def preset(self) -> LifecyclePreset:
        """The lifecycle preset for this pattern."""
        return _PRESETS[self]


_PRESETS = {
    AccessPattern.FREQUENT: LifecyclePreset.STANDARD,
    AccessPattern.FREQUENT_THEN_MONTHLY: LifecyclePreset.INFREQUENT_ACCESS,
    AccessPattern.MONTHLY_THEN_RARE: LifecyclePreset.ARCHIVE,
    AccessPattern.UNPREDICTABLE: LifecyclePreset.INTELLIGENT_TIERING,
    AccessPattern.LOGS: LifecyclePreset.LOGS,
}
DEFAULT_ZONE_ACCESS: Mapping[Zone, AccessPattern] = MappingProxyType(
    {
        Zone.RAW: AccessPattern.MONTHLY_THEN_RARE,
        Zone.CURATED: AccessPattern.UNPREDICTABLE,
        Zone.ANALYTICS: AccessPattern.FREQUENT_THEN_MONTHLY,
    }
)


@dataclass(frozen=True)
class WorkloadProfile:
    """What the platform must carry; ``plan()`` turns it into settings and costs.

    Args:
        peak_events_per_second: Highest sustained write rate to plan capacity for.
        average_events_per_second: Average write rate over a month (drives the costs); at
            most the peak.
        average_event_bytes: Average size of one event (one Kinesis record) in bytes.
        retention_days: Days raw data is kept before it expires. Default: forever (None).
        stream_retention_hours: Kinesis retention, 24–8,760 hours. Default: 24.
        zone_access: Access pattern per zone (``Zone`` or its name); zones left out keep
            their default. Default: raw MONTHLY_THEN_RARE, curated UNPREDICTABLE, analytics
            FREQUENT_THEN_MONTHLY.
        queries_per_day: Athena queries per day on the lake, each priced by the data it scans
            (``query_scanned_mib``). Default: 0.
        parquet: Firehose converts JSON to Parquet (else GZIP JSON). Default: False.
        dynamic_partitioning: Firehose partitions by keys in the records. Default: False.
        region: AWS region; selects the price table. Default: "us-east-1".
        compression_ratio: Ingested bytes per stored byte in S3 (GZIP JSON and Parquet are
            often 4–10). Default: 1.0 (no compression assumed: storage is an upper bound).
        query_scanned_mib: Average data one query scans, in MiB. Default: one day of raw data
            as stored (average bytes/s × 86,400 / compression_ratio), i.e. a query filtering on
            one day's partitions.
        analytics_parallelism: Parallelism of the dataset's streaming-features application
            on Managed Service for Apache Flink (cdk.json ``datasets[].analytics.parallelism``),
            priced running all month. Default: None (no application: ``analytics`` off).
        analytics_parallelism_per_kpu: Parallel tasks per KPU, 1–8. Default: 1 (the
            construct's).
        analytics_backup_gb: GB of durable application backups (snapshots) kept. Default: 0
            (not priced).
    """

    peak_events_per_second: float
    average_events_per_second: float
    average_event_bytes: int
    retention_days: int | None = None
    stream_retention_hours: int = KINESIS_MIN_RETENTION_HOURS
    zone_access: Mapping[str, AccessPattern] = field(default_factory=dict)
    queries_per_day: int = 0
    parquet: bool = False
    dynamic_partitioning: bool = False
    region: str = "us-east-1"
    compression_ratio: float = 1.0
    query_scanned_mib: float | None = None
    analytics_parallelism: int | None = None
    analytics_parallelism_per_kpu: int = 1
    analytics_backup_gb: float = 0.0

    def __post_init__(self) -> None:
        peak = require_positive(self.peak_events_per_second, "peak_events_per_second")
        average = require_positive(self.average_events_per_second, "average_events_per_second")
        if peak < average:
            raise ValueError(
                f"peak_events_per_second ({peak:g}) must be ≥ average_events_per_second "
                f"({average:g})"
            )
        require_int(self.average_event_bytes, "average_event_bytes", minimum=1)
        if self.retention_days is not None:
            require_int(self.retention_days, "retention_days", minimum=1)
        require_int(
            self.stream_retention_hours,
            "stream_retention_hours",
            minimum=KINESIS_MIN_RETENTION_HOURS,
            maximum=KINESIS_MAX_RETENTION_HOURS,
        )
        require_int(self.queries_per_day, "queries_per_day", minimum=0)
        for name in ("parquet", "dynamic_partitioning"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"{name} must be a bool, got {getattr(self, name)!r}")
        if not isinstance(self.region, str) or not self.region:
            raise ValueError(
                f"region must be a region name such as 'us-east-1', got {self.region!r}"
            )
        require_positive(self.compression_ratio, "compression_ratio")
        if self.query_scanned_mib is not None:
            require_positive(self.query_scanned_mib, "query_scanned_mib")
        if self.analytics_parallelism is not None:
            require_int(self.analytics_parallelism, "analytics_parallelism", minimum=1)
        require_int(
            self.analytics_parallelism_per_kpu,
            "analytics_parallelism_per_kpu",
            minimum=1,
            maximum=FLINK_MAX_PARALLELISM_PER_KPU,
        )
        backup = self.analytics_backup_gb
        if isinstance(backup, bool) or not isinstance(backup, (int, float)) or backup < 0:
            raise ValueError(f"analytics_backup_gb must be a number ≥ 0, got {backup!r}")
        object.__setattr__(self, "zone_access", _zone_access(self.zone_access))

    @property
    def analytics_kpus(self) -> int | None:
        """KPUs of the streaming-features application (without the orchestration KPU), or
        None without one."""
        if self.analytics_parallelism is None:
            return None
        return flink_kpus(self.analytics_parallelism, self.analytics_parallelism_per_kpu)

    @property
    def average_bytes_per_second(self) -> float:
        """Average ingested bytes per second."""
        return self.average_events_per_second * self.average_event_bytes

    @property
    def query_scanned_bytes(self) -> float:
        """Bytes one Athena query scans: ``query_scanned_mib``, or by default one day of raw
        data as stored."""
        if self.query_scanned_mib is not None:
            return self.query_scanned_mib * MIB
        return self.average_bytes_per_second * SECONDS_PER_DAY / self.compression_ratio


def _zone_access(overrides: Mapping[str, AccessPattern]) -> Mapping[str, AccessPattern]:
    if not isinstance(overrides, Mapping):
        raise TypeError(
            f"zone_access must be a mapping of zone to AccessPattern, got {overrides!r}"
        )
    names = [zone.value for zone in Zone]
    unknown = sorted(str(key) for key in overrides if key not in names)
    if unknown:
        raise ValueError(f"zone_access: unknown zones {unknown}; zones are {names}")
    merged = dict(DEFAULT_ZONE_ACCESS)
    for key, pattern in overrides.items():
        zone = Zone(key)
        if not isinstance(pattern, AccessPattern):
            choices = ", ".join(p.name for p in AccessPattern)
            raise ValueError(
                f"zone_access[{zone.value!r}] must be an AccessPattern ({choices}), got {pattern!r}"
            )
        merged[zone] = pattern
    return MappingProxyType(cast(dict[str, AccessPattern], merged))  # Zone is a str enum
