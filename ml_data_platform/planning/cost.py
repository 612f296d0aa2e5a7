"""Month-by-month cost estimate: Kinesis, Firehose, Athena queries and the raw zone's S3
storage under its lifecycle, compared with keeping the same data in S3 Standard.

Model (pure Python, deterministic):
- A month is 30 days (``prices.DAYS_PER_MONTH``); events arrive steadily at the average rate
  from day 0. Only the raw zone has a volume in the profile; other zones are not estimated.
- Raw data ages continuously through ``Lifecycle.storage_schedule()`` and is deleted at
  ``Lifecycle.expiration_days()``. A month's storage is the data held in each class, integrated
  over the month (GB-days / 30 = GB-months).
- Objects are as large as Firehose buffering makes them (``Buffering.object_bytes``). Their
  count drives transition requests (per 1,000), the Intelligent-Tiering monitoring fee and
  dynamic partitioning's per-object fee. Objects smaller than 128 KiB are not transitioned
  (S3's default since September 2024): they stay in Standard.
- Intelligent-Tiering objects are assumed not read after delivery: frequent tier for 30 days,
  infrequent until day 90, archive instant access after.
- Deleting an object before its class's minimum storage duration bills the remaining days.
- Kinesis: one stream read once (by Firehose); Firehose: one delivery stream to the lake.
- Managed Service for Apache Flink (only with ``analytics_parallelism``): one
  streaming-features application running all month on ``ceil(parallelism / parallelism per
  KPU)`` KPUs plus the orchestration KPU, 50 GB of running application storage per KPU, and
  ``analytics_backup_gb`` of snapshots.
- Athena: ``queries_per_day`` queries every day, each scanning
  ``WorkloadProfile.query_scanned_bytes`` (default: one day of raw data as stored, i.e. a query
  filtering on one day's partitions), rounded up to a whole MB and at least
  ``minimum_scanned_mb``. The charge is the same with the lifecycle and with S3 Standard only
  (the default scan reads data young enough to still be in Standard). The S3 requests and
  retrievals the queries make are not priced.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType

from ml_data_platform.core.inputs import require_int
from ml_data_platform.planning.prices import (
    DAYS_PER_MONTH,
    FLINK_ORCHESTRATION_KPUS,
    FLINK_RUNNING_STORAGE_GB_PER_KPU,
    GB,
    HOURS_PER_MONTH,
    MB,
    SECONDS_PER_MONTH,
    STANDARD,
    PriceTable,
    S3Prices,
    flink_kpus,
    load_prices,
)
from ml_data_platform.planning.profile import WorkloadProfile, Zone
from ml_data_platform.planning.sizing import (
    Buffering,
    StreamRecommendation,
    recommend_buffering,
    recommend_stream_mode,
)
from ml_data_platform.storage.lifecycle import Lifecycle, StorageClass, Transition

S3_MIN_TRANSITION_OBJECT_BYTES = 128 * 1024
"""Lifecycle skips smaller objects by default (S3 User Guide, lifecycle-transition-general-
considerations.html); Intelligent-Tiering does not auto-tier them either."""
INTELLIGENT_TIERING_INFREQUENT_AFTER_DAYS = 30
INTELLIGENT_TIERING_ARCHIVE_INSTANT_AFTER_DAYS = 90
"""Days without access before Intelligent-Tiering moves an object down a tier
(S3 User Guide, intelligent-tiering-overview.html)."""


class LineItem(Enum):
    """Cost lines of the estimate."""

    KINESIS = "kinesis"
    FIREHOSE = "firehose"
    ATHENA = "athena"
    FLINK = "flink"
    S3_STORAGE = "s3-storage"
    S3_TRANSITIONS = "s3-transitions"
    S3_MONITORING = "s3-monitoring"
    S3_EARLY_DELETION = "s3-early-deletion"


@dataclass(frozen=True)
class StorageMonth:
    """One month of raw-zone storage under one lifecycle.

    Args:
        gb_months: GB-months held per storage class (API name; only classes with data).
        storage: Storage charge.
        transitions: Lifecycle transition requests.
        monitoring: Intelligent-Tiering monitoring and automation.
        early_deletion: Remaining minimum storage duration of objects expired early.
    """

    gb_months: Mapping[str, float]
    storage: float
    transitions: float
    monitoring: float
    early_deletion: float

    @property
    def total(self) -> float:
        return self.storage + self.transitions + self.monitoring + self.early_deletion


@dataclass(frozen=True)
class MonthCost:
    """Costs of one month (1-based), with the lifecycle and with S3 Standard only;
    ``flink``: the streaming-features application (0 without one)."""

    month: int
    lifecycle: StorageMonth
    standard_only: StorageMonth
    kinesis: float
    firehose: float
    athena: float
    flink: float = 0.0

    @property
    def items(self) -> Mapping[LineItem, float]:
        """Line items with the lifecycle."""
        return MappingProxyType(
            {
                LineItem.KINESIS: self.kinesis,
                LineItem.FIREHOSE: self.firehose,
                LineItem.ATHENA: self.athena,
                LineItem.FLINK: self.flink,
                LineItem.S3_STORAGE: self.lifecycle.storage,
                LineItem.S3_TRANSITIONS: self.lifecycle.transitions,
                LineItem.S3_MONITORING: self.lifecycle.monitoring,
                LineItem.S3_EARLY_DELETION: self.lifecycle.early_deletion,
            }
        )

    @property
    def total(self) -> float:
        """Everything, with the lifecycle."""
        return self._shared + self.lifecycle.total

    @property
    def standard_only_total(self) -> float:
        """Everything, with the raw zone kept in S3 Standard."""
        return self._shared + self.standard_only.total

    @property
    def _shared(self) -> float:
        """What the raw zone's lifecycle does not change."""
        return self.kinesis + self.firehose + self.athena + self.flink

    @property
    def savings(self) -> float:
        """What the lifecycle saves this month (negative if it costs more)."""
        return self.standard_only_total - self.total


@dataclass(frozen=True)
class CostEstimate:
    """A month-by-month estimate and its totals.

    Args:
        months: One entry per month, in order.
        region: Region of the price table used.
        currency: Currency of every amount.
        price_version: Version of the price table used.
        notes: Assumptions that matter for this profile, and what is not priced.
    """

    months: tuple[MonthCost, ...]
    region: str
    currency: str
    price_version: int
    notes: tuple[str, ...]

    @property
    def totals(self) -> Mapping[LineItem, float]:
        """Line items with the lifecycle, summed over all months."""
        return MappingProxyType(
            {item: sum(month.items[item] for month in self.months) for item in LineItem}
        )

    @property
    def total(self) -> float:
        return sum(month.total for month in self.months)

    @property
    def standard_only_total(self) -> float:
        return sum(month.standard_only_total for month in self.months)

    @property
    def savings(self) -> float:
        return self.standard_only_total - self.total


def estimate_costs(
    profile: WorkloadProfile,
    lifecycle_per_zone: Mapping[Zone, Lifecycle],
    months: int = 12,
    prices: PriceTable | None = None,
    *,
    stream: StreamRecommendation | None = None,
    buffering: Buffering | None = None,
) -> CostEstimate:
    """Estimate ``months`` months of ingestion, Athena queries and raw-zone storage for
    ``profile``.

    Args:
        profile: The workload.
        lifecycle_per_zone: Lifecycle per zone; the raw zone's is used.
        months: Months to estimate (≥ 1). Default: 12.
        prices: Price table. Default: ``load_prices(profile.region)``.
        stream: Capacity mode. Default: ``recommend_stream_mode`` for the profile.
        buffering: Firehose buffering. Default: ``recommend_buffering`` for the profile.
    """
    require_int(months, "months", minimum=1)
    if Zone.RAW not in lifecycle_per_zone:
        raise ValueError(f"lifecycle_per_zone needs the raw zone, got {list(lifecycle_per_zone)}")
    lifecycle = lifecycle_per_zone[Zone.RAW]
    prices = prices or load_prices(profile.region)
    events, size = profile.average_events_per_second, profile.average_event_bytes
    stream = stream or recommend_stream_mode(
        profile.peak_events_per_second, size, events, prices=prices
    )
    buffering = buffering or recommend_buffering(
        profile.average_bytes_per_second,
        parquet=profile.parquet,
        dynamic_partitioning=profile.dynamic_partitioning,
    )
    object_bytes = buffering.object_bytes(profile.average_bytes_per_second)
    monthly_bytes = profile.average_bytes_per_second * SECONDS_PER_MONTH
    monthly_objects = monthly_bytes / object_bytes
    monthly_gb = monthly_bytes / profile.compression_ratio / GB
    notes = _notes(profile, prices)
    schedule = lifecycle.storage_schedule()
    stored_object_bytes = object_bytes / profile.compression_ratio
    if schedule and stored_object_bytes < S3_MIN_TRANSITION_OBJECT_BYTES:
        notes.append(
            f"objects of ~{stored_object_bytes / 1024:,.0f} KiB are under 128 KiB: lifecycle "
            "does not transition them, so they stay in S3 Standard (raise the buffering or add "
            "an ObjectSizeGreaterThan filter)"
        )
        schedule = []
    expiration = lifecycle.expiration_days()
    with_lifecycle = estimate_storage(
        monthly_gb, monthly_objects, schedule, expiration, prices.s3, months
    )
    standard_only = estimate_storage(monthly_gb, monthly_objects, (), expiration, prices.s3, months)
    if stream.shard_count is None:  # on-demand: StreamRecommendation enforces it
        kinesis = prices.kinesis.on_demand_monthly(events, size)
    else:
        kinesis = prices.kinesis.provisioned_monthly(stream.shard_count, events, size)
    firehose = prices.firehose.monthly(
        events,
        size,
        parquet=profile.parquet,
        dynamic_partitioning=profile.dynamic_partitioning,
        objects=monthly_objects,
        # the keys come from the records (jq), all month: measure JQProcessing.Duration
        jq_hours=HOURS_PER_MONTH if profile.dynamic_partitioning else 0.0,
    )
    athena = prices.athena.monthly(profile.queries_per_day, profile.query_scanned_bytes)
    flink = _flink(profile, prices)
    return CostEstimate(
        months=tuple(
            MonthCost(index + 1, lifecycle_month, standard_month, kinesis, firehose, athena, flink)
            for index, (lifecycle_month, standard_month) in enumerate(
                zip(with_lifecycle, standard_only, strict=True)
            )
        ),
        region=prices.region,
        currency=prices.currency,
        price_version=prices.version,
        notes=tuple(notes),
    )


def estimate_storage(
    monthly_gb: float,
    monthly_objects: float,
    schedule: Sequence[Transition],
    expiration_days: int | None,
    prices: S3Prices,
    months: int,
) -> tuple[StorageMonth, ...]:
    """S3 charges per month for data written steadily at ``monthly_gb`` GB (in
    ``monthly_objects`` objects) per month, moved by ``schedule`` (ascending days) and deleted
    after ``expiration_days`` (None: kept)."""
    end_of_life = math.inf if expiration_days is None else float(expiration_days)
    bands = _bands(schedule, end_of_life, prices)
    gb_per_day, objects_per_day = monthly_gb / DAYS_PER_MONTH, monthly_objects / DAYS_PER_MONTH
    early = _early_deletion(schedule, end_of_life, prices)
    result = []
    for index in range(months):
        start, end = index * DAYS_PER_MONTH, (index + 1) * DAYS_PER_MONTH
        gb_months: dict[str, float] = {}
        storage = monitoring = 0.0
        for band in bands:
            held_days = _held(band.start, band.end, start, end)
            gb_month = gb_per_day * held_days / DAYS_PER_MONTH
            gb_months[band.storage_class] = gb_months.get(band.storage_class, 0.0) + gb_month
            storage += gb_month * band.price
            if band.monitored:
                object_months = objects_per_day * held_days / DAYS_PER_MONTH
                monitoring += (
                    object_months / 1000 * prices.intelligent_tiering_monitoring_per_1000_objects
                )
        transitions = sum(
            objects_per_day
            * _crossed(t.after_days, start, end)
            / 1000
            * prices.transition_per_1000_requests[t.storage_class.api_name]
            for t in schedule
            if t.after_days < end_of_life
        )
        expired_gb = gb_per_day * _crossed(end_of_life, start, end)
        result.append(
            StorageMonth(
                gb_months=MappingProxyType({k: v for k, v in gb_months.items() if v > 0}),
                storage=storage,
                transitions=transitions,
                monitoring=monitoring,
                early_deletion=expired_gb * early,
            )
        )
    return tuple(result)


@dataclass(frozen=True)
class _Band:
    """Objects aged ``start`` ≤ age < ``end`` days are in ``storage_class`` at ``price``."""

    storage_class: str
    price: float
    start: float
    end: float
    monitored: bool = False


def _bands(schedule: Sequence[Transition], end_of_life: float, prices: S3Prices) -> list[_Band]:
    starts = [(STANDARD, 0.0), *((t.storage_class.api_name, float(t.after_days)) for t in schedule)]
    ends = [start for _, start in starts[1:]] + [end_of_life]
    bands = []
    for (name, start), end in zip(starts, ends, strict=True):
        end = min(end, end_of_life)
        if name == StorageClass.INTELLIGENT_TIERING.api_name:
            infrequent = start + INTELLIGENT_TIERING_INFREQUENT_AFTER_DAYS
            archive = start + INTELLIGENT_TIERING_ARCHIVE_INSTANT_AFTER_DAYS
            tiers = (
                (prices.storage_gb_month[name], start, infrequent),
                (prices.intelligent_tiering_infrequent_gb_month, infrequent, archive),
                (prices.intelligent_tiering_archive_instant_gb_month, archive, end),
            )
            bands += [_Band(name, p, s, min(e, end), monitored=True) for p, s, e in tiers]
        else:
            bands.append(_Band(name, prices.storage_gb_month[name], start, end))
    return [band for band in bands if band.end > band.start]


def _early_deletion(schedule: Sequence[Transition], end_of_life: float, prices: S3Prices) -> float:
    """Charge per GB expired for the minimum storage duration its last class still lacks."""
    reached = [t for t in schedule if t.after_days < end_of_life]
    if not reached or math.isinf(end_of_life):
        return 0.0
    last = reached[-1]
    missing_days = last.storage_class.minimum_storage_days - (end_of_life - last.after_days)
    price = prices.storage_gb_month[last.storage_class.api_name]
    return max(0.0, missing_days) / DAYS_PER_MONTH * price


def _held(age_from: float, age_to: float, start: float, end: float) -> float:
    """GB-days held per GB/day of ingest, aged from ``age_from`` to ``age_to`` days, during
    days ``start``–``end``: at day t that data is min(t, age_to) - min(t, age_from) days of
    ingest (ingest started at day 0)."""
    return _integral_of_min(age_to, start, end) - _integral_of_min(age_from, start, end)


def _integral_of_min(age: float, start: float, end: float) -> float:
    """∫ min(t, age) dt for t from ``start`` to ``end``."""
    if age >= end:
        return (end * end - start * start) / 2
    if age <= start:
        return age * (end - start)
    return (age * age - start * start) / 2 + age * (end - age)


def _crossed(age: float, start: float, end: float) -> float:
    """Days of ingest that reach ``age`` between days ``start`` and ``end``."""
    return max(0.0, end - age) - max(0.0, start - age)


@dataclass(frozen=True)
class AnalyticsCost:
    """A month of one dataset's streaming-features application, running all month.

    Args:
        dataset: The dataset (its ``analytics`` section in cdk.json).
        parallelism: The application's parallelism (one task per KPU, as the platform runs it).
        kpus: Its KPUs, without the orchestration KPU.
        kpu_hours: KPU-hours of those KPUs and the orchestration KPU.
        running_storage: 50 GB of running application storage per KPU.
    """

    dataset: str
    parallelism: int
    kpus: int
    kpu_hours: float
    running_storage: float

    @property
    def total(self) -> float:
        return self.kpu_hours + self.running_storage


def analytics_costs(
    parallelism: Mapping[str, int], prices: PriceTable
) -> tuple[AnalyticsCost, ...]:
    """The FLINK line per dataset: ``{dataset name: parallelism}`` (an environment's
    ``EnvironmentSettings.analytics``) priced with ``prices``; snapshots are not priced."""
    flink = prices.flink
    if flink is None:
        raise ValueError(
            f"the {prices.region} price table has no Managed Service for Apache Flink prices "
            "(its 'flink' section)"
        )
    costs = []
    for name, tasks in parallelism.items():
        kpus = flink_kpus(tasks)
        costs.append(
            AnalyticsCost(name, tasks, kpus, flink.kpu_monthly(kpus), flink.storage_monthly(kpus))
        )
    return tuple(costs)


def _flink(profile: WorkloadProfile, prices: PriceTable) -> float:
    """A month of the streaming-features application; 0 without one."""
    if profile.analytics_parallelism is None:
        return 0.0
    if prices.flink is None:
        raise ValueError(
            f"analytics_parallelism: the {prices.region} price table has no Managed Service "
            "for Apache Flink prices (its 'flink' section)"
        )
    return prices.flink.monthly(
        profile.analytics_parallelism,
        profile.analytics_parallelism_per_kpu,
        profile.analytics_backup_gb,
    )


def _notes(profile: WorkloadProfile, prices: PriceTable) -> list[str]:
    notes = []
    if profile.stream_retention_hours > 24:
        notes.append(
            f"Kinesis retention {profile.stream_retention_hours} h: extended retention beyond "
            "24 h is not priced"
        )
    if profile.dynamic_partitioning:
        notes.append(
            "dynamic partitioning: one object per buffer flush assumed; multiply the object "
            "count by the active partitions per flush; jq assumed to run all month "
            f"({HOURS_PER_MONTH} h × {prices.firehose.dynamic_partitioning_jq_hour} "
            f"{prices.currency}/h: measure JQProcessing.Duration)"
        )
    if profile.queries_per_day:
        scanned = profile.query_scanned_bytes / MB
        source = (
            "query_scanned_mib"
            if profile.query_scanned_mib is not None
            else "default: one day of raw data as stored"
        )
        billed = prices.athena.billed_bytes_per_query(profile.query_scanned_bytes) // MB
        notes.append(
            f"Athena: {profile.queries_per_day:,} "
            f"{'query' if profile.queries_per_day == 1 else 'queries'}/day, "
            f"each scanning {scanned:,.1f} MiB "
            f"({source}), billed as {billed:,} MB each"
        )
    kpus = profile.analytics_kpus
    if kpus is not None and prices.flink is not None:
        flink = prices.flink
        backups = (
            f"{profile.analytics_backup_gb:,g} GB of snapshots"
            if profile.analytics_backup_gb
            else "snapshots not priced (analytics_backup_gb 0)"
        )
        notes.append(
            f"Flink: parallelism {profile.analytics_parallelism} at "
            f"{profile.analytics_parallelism_per_kpu} per KPU = {kpus} KPU"
            f"{'' if kpus == 1 else 's'} + {FLINK_ORCHESTRATION_KPUS} for orchestration, "
            f"running all month ({flink.kpu_monthly(kpus):,.2f}); "
            f"{kpus * FLINK_RUNNING_STORAGE_GB_PER_KPU:,} GB running storage "
            f"({flink.storage_monthly(kpus):,.2f}); {backups}. Not priced: KPUs autoscaling "
            "adds under load, the features stream and its delivery"
        )
    if profile.compression_ratio == 1:
        notes.append("no compression assumed (compression_ratio 1): storage is an upper bound")
    return notes
