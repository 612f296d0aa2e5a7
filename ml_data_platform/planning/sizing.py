"""Sizing rules for the ingestion path: Kinesis shards and capacity mode, Firehose buffering.

The one source of truth the constructs import; service limits come from ``core/limits.py``.
Sources: https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html,
https://docs.aws.amazon.com/firehose/latest/dev/buffering.html
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

from ml_data_platform.core.limits import (
    FIREHOSE_MAX_BUFFER_INTERVAL_SECONDS,
    FIREHOSE_MAX_BUFFER_SIZE_MIB,
    FIREHOSE_MIN_BUFFER_INTERVAL_SECONDS,
    FIREHOSE_MIN_BUFFER_SIZE_MIB,
    FIREHOSE_MIN_BUFFER_SIZE_MIB_FOR_CONVERSION,
    KINESIS_ON_DEMAND_INITIAL_WRITE_BYTES_PER_SECOND,
    KINESIS_ON_DEMAND_MAX_WRITE_BYTES_PER_SECOND,
    KINESIS_SHARD_WRITE_BYTES_PER_SECOND,
    KINESIS_SHARD_WRITE_RECORDS_PER_SECOND,
    MIB,
)
from ml_data_platform.planning.prices import SECONDS_PER_HOUR, PriceTable, load_prices
from ml_data_platform.storage.layout import PartitionGranularity

DEFAULT_HEADROOM = 0.25
MAX_HEADROOM = 4.0
SPIKY_PEAK_TO_AVERAGE = 3.0
"""Peak/average ratio from which a workload counts as spiky (on-demand absorbs it)."""
ON_DEMAND_INITIAL_SHARDS = (
    KINESIS_ON_DEMAND_INITIAL_WRITE_BYTES_PER_SECOND // KINESIS_SHARD_WRITE_BYTES_PER_SECOND
)
"""A new on-demand stream writes like 4 shards: 4 MiB/s and 4,000 records/s."""
DYNAMIC_PARTITIONING_DELAY_FACTOR = 1.5
"""With dynamic partitioning, multi-stage buffering can deliver up to 1.5 × the interval late."""


class StreamMode(Enum):
    """Kinesis Data Streams capacity mode."""

    ON_DEMAND = "on-demand"
    """Capacity scales with traffic; billed per GB and stream hour."""
    PROVISIONED = "provisioned"
    """A fixed number of shards; billed per shard hour."""


@dataclass(frozen=True)
class StreamRecommendation:
    """A capacity mode for the ingestion stream.

    Args:
        mode: On-demand or provisioned.
        shard_count: Shards, only for provisioned mode (else None).
        reason: Why, with the numbers that decided it.
    """

    mode: StreamMode
    shard_count: int | None
    reason: str

    def __post_init__(self) -> None:
        if self.mode is StreamMode.PROVISIONED:
            if isinstance(self.shard_count, bool) or not isinstance(self.shard_count, int):
                raise ValueError(
                    f"provisioned mode needs an integer shard_count, got {self.shard_count!r}"
                )
            if self.shard_count < 1:
                raise ValueError(f"shard_count must be ≥ 1, got {self.shard_count}")
        elif self.shard_count is not None:
            raise ValueError(f"shard_count is only for provisioned mode, got {self.shard_count}")


@dataclass(frozen=True)
class Buffering:
    """Firehose buffering hints (delivery happens at whichever is reached first).

    Args:
        size_mib: Buffer size in MiB.
        interval_seconds: Buffer interval in seconds.
        reason: Why, with the expected object size.
    """

    size_mib: int
    interval_seconds: int
    reason: str

    def object_bytes(self, average_bytes_per_second: float) -> float:
        """Expected size of one delivered object (before compression) at this rate."""
        return _object_bytes(self.size_mib, self.interval_seconds, average_bytes_per_second)


def _object_bytes(size_mib: int, interval_seconds: int, bytes_per_second: float) -> float:
    # A zero interval (zero buffering) counts as one second.
    return min(size_mib * MIB, bytes_per_second * max(1, interval_seconds))


def require_positive(value: float, name: str) -> float:
    """Return ``value`` as a float if it is a finite number > 0; ``ValueError`` names it."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def _require_positive_int(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def shards_for_throughput(
    records_per_second: float, average_record_bytes: int, *, headroom: float = DEFAULT_HEADROOM
) -> int:
    """Shards needed to write ``records_per_second`` records of ``average_record_bytes``.

    Each shard takes 1 MiB/s and 1,000 records/s; the limit needing more shards wins, times
    ``1 + headroom``, rounded up, at least 1.

    Args:
        records_per_second: Write rate to carry (> 0).
        average_record_bytes: Average record size in bytes (≥ 1).
        headroom: Spare capacity as a fraction, 0–4. Default: 0.25.
    """
    require_positive(records_per_second, "records_per_second")
    _require_positive_int(average_record_bytes, "average_record_bytes")
    if (
        isinstance(headroom, bool)
        or not isinstance(headroom, (int, float))
        or not 0 <= headroom <= MAX_HEADROOM
    ):
        raise ValueError(f"headroom must be a number from 0 to {MAX_HEADROOM:g}, got {headroom!r}")
    by_bytes = records_per_second * average_record_bytes / KINESIS_SHARD_WRITE_BYTES_PER_SECOND
    by_records = records_per_second / KINESIS_SHARD_WRITE_RECORDS_PER_SECOND
    # Round away float noise first (10 × 1.1 is 11.000000000000002, which must stay 11).
    return max(1, math.ceil(round(max(by_bytes, by_records) * (1 + headroom), 9)))


def recommend_stream_mode(
    peak_records_per_second: float,
    average_record_bytes: int,
    average_records_per_second: float,
    *,
    prices: PriceTable | None = None,
) -> StreamRecommendation:
    """Choose the ingestion stream's capacity mode. The first rule that applies wins:

    1. Peak above on-demand's maximum write throughput (200 MiB/s): provisioned.
    2. Spiky, peak/average ≥ 3: on-demand (it follows the traffic; shards sized for the peak
       would idle, and a peak beyond the forecast would throttle).
    3. Small, the peak fits on-demand's initial write capacity (4 MiB/s and 4,000 records/s,
       no headroom): on-demand, no capacity to manage and no scaling wait.
    4. Otherwise the price table decides, for a month at the average rate: provisioned (shards
       for the peak with 25 % headroom: shard-hours and 25 KB PUT payload units) against
       on-demand (stream-hours, GB written with records rounded up to 1 KB, GB read once by
       Firehose). Provisioned only if cheaper.

    Args:
        peak_records_per_second: Highest write rate to plan for.
        average_record_bytes: Average record size in bytes.
        average_records_per_second: Average write rate (≤ the peak).
        prices: Price table for rule 4. Default: ``load_prices("us-east-1")``.
    """
    require_positive(peak_records_per_second, "peak_records_per_second")
    require_positive(average_records_per_second, "average_records_per_second")
    shards = shards_for_throughput(peak_records_per_second, average_record_bytes)
    if average_records_per_second > peak_records_per_second:
        raise ValueError(
            f"average_records_per_second ({average_records_per_second:g}) must be ≤ "
            f"peak_records_per_second ({peak_records_per_second:g})"
        )
    peak_bytes = peak_records_per_second * average_record_bytes
    ratio = peak_records_per_second / average_records_per_second
    if peak_bytes > KINESIS_ON_DEMAND_MAX_WRITE_BYTES_PER_SECOND:
        return StreamRecommendation(
            StreamMode.PROVISIONED,
            shards,
            f"peak {peak_bytes / MIB:,.1f} MiB/s exceeds on-demand's "
            f"{KINESIS_ON_DEMAND_MAX_WRITE_BYTES_PER_SECOND / MIB:,.0f} MiB/s maximum",
        )
    if ratio >= SPIKY_PEAK_TO_AVERAGE:
        return StreamRecommendation(
            StreamMode.ON_DEMAND,
            None,
            f"spiky: peak/average {ratio:.1f} ≥ {SPIKY_PEAK_TO_AVERAGE:g}, on-demand follows "
            "the traffic",
        )
    if shards_for_throughput(peak_records_per_second, average_record_bytes, headroom=0) <= (
        ON_DEMAND_INITIAL_SHARDS
    ):
        return StreamRecommendation(
            StreamMode.ON_DEMAND,
            None,
            f"small: peak {peak_bytes / MIB:,.2f} MiB/s, {peak_records_per_second:,.0f} "
            f"records/s fits on-demand's initial capacity ({ON_DEMAND_INITIAL_SHARDS} MiB/s, "
            f"{ON_DEMAND_INITIAL_SHARDS * KINESIS_SHARD_WRITE_RECORDS_PER_SECOND:,} records/s)",
        )
    prices = prices or load_prices()
    provisioned = prices.kinesis.provisioned_monthly(
        shards, average_records_per_second, average_record_bytes
    )
    on_demand = prices.kinesis.on_demand_monthly(average_records_per_second, average_record_bytes)
    costs = (
        f"{shards} shards {provisioned:,.0f} vs on-demand {on_demand:,.0f} {prices.currency}/month "
        f"({prices.region} prices v{prices.version})"
    )
    if provisioned < on_demand:
        return StreamRecommendation(
            StreamMode.PROVISIONED,
            shards,
            f"steady (peak/average {ratio:.1f}) and cheaper: {costs}",
        )
    return StreamRecommendation(StreamMode.ON_DEMAND, None, f"on-demand is not dearer: {costs}")


def recommend_buffering(
    average_bytes_per_second: float,
    *,
    parquet: bool,
    dynamic_partitioning: bool,
    target_object_mib: int = FIREHOSE_MAX_BUFFER_SIZE_MIB,
    max_latency_seconds: int = FIREHOSE_MAX_BUFFER_INTERVAL_SECONDS,
) -> Buffering:
    """Buffering hints that deliver objects as large as possible within a latency budget.

    - Interval: the latency budget, clamped to 0–900 s; with dynamic partitioning divided by 1.5
      (its multi-stage buffering can deliver up to 1.5 × the interval late) and at least 1 s
      (no zero buffering).
    - Size: the target object size, clamped to 1–128 MiB, at least 64 MiB with Parquet
      conversion or dynamic partitioning.

    Firehose delivers when either is reached, so objects are about
    min(size, rate × interval) big; the reason says which one triggers.

    Args:
        average_bytes_per_second: Average incoming rate in bytes/s.
        parquet: Whether Firehose converts records to Parquet.
        dynamic_partitioning: Whether Firehose partitions by record keys.
        target_object_mib: Desired object size in MiB. Default: 128.
        max_latency_seconds: Longest acceptable delivery delay. Default: 900.
    """
    require_positive(average_bytes_per_second, "average_bytes_per_second")
    _require_positive_int(target_object_mib, "target_object_mib")
    if (
        isinstance(max_latency_seconds, bool)
        or not isinstance(max_latency_seconds, int)
        or (max_latency_seconds < 0)
    ):
        raise ValueError(f"max_latency_seconds must be an integer ≥ 0, got {max_latency_seconds!r}")
    notes = []
    budget = max_latency_seconds
    if dynamic_partitioning:
        budget = math.floor(budget / DYNAMIC_PARTITIONING_DELAY_FACTOR)
        if budget < 1:
            raise ValueError(
                f"max_latency_seconds {max_latency_seconds} is too short for dynamic "
                "partitioning: it has no zero buffering and delivers up to 1.5 × the interval "
                "late (need ≥ 2)"
            )
        notes.append(f"interval = latency / {DYNAMIC_PARTITIONING_DELAY_FACTOR:g}")
    interval = min(
        max(budget, FIREHOSE_MIN_BUFFER_INTERVAL_SECONDS), FIREHOSE_MAX_BUFFER_INTERVAL_SECONDS
    )
    if interval < budget:
        notes.append(f"interval capped at {FIREHOSE_MAX_BUFFER_INTERVAL_SECONDS} s")
    size = min(max(target_object_mib, FIREHOSE_MIN_BUFFER_SIZE_MIB), FIREHOSE_MAX_BUFFER_SIZE_MIB)
    if size < target_object_mib:
        notes.append(f"size capped at {FIREHOSE_MAX_BUFFER_SIZE_MIB} MiB")
    if (parquet or dynamic_partitioning) and size < FIREHOSE_MIN_BUFFER_SIZE_MIB_FOR_CONVERSION:
        size = FIREHOSE_MIN_BUFFER_SIZE_MIB_FOR_CONVERSION
        feature = "Parquet conversion" if parquet else "dynamic partitioning"
        notes.append(f"size raised to {size} MiB ({feature} needs it)")
    rate_mib = average_bytes_per_second / MIB
    object_mib = _object_bytes(size, interval, average_bytes_per_second) / MIB
    if object_mib >= size:
        trigger = (
            f"at {rate_mib:,.2f} MiB/s the {size} MiB buffer fills in {size / rate_mib:,.0f} s "
            f"(interval {interval} s): objects ≈ {size} MiB"
        )
    else:
        trigger = (
            f"at {rate_mib:,.3f} MiB/s {object_mib:,.1f} MiB arrive per {interval} s interval: "
            f"objects ≈ {object_mib:,.1f} MiB, delivered by the interval"
        )
    return Buffering(size, interval, "; ".join([trigger, *notes]))


HOURLY_PARTITION_MIN_BYTES = 128 * MIB
"""An hour of data, as stored, at least this large gets hourly partitions. Athena prunes
partitions by time: finer partitions only pay off when each holds enough data; below this an
hourly partition holds a few small objects, and queries list many partitions for little data."""


@dataclass(frozen=True)
class PartitioningRecommendation:
    """The time partitioning of a dataset's objects (``Dataset.granularity``).

    Args:
        granularity: ``PartitionGranularity.HOUR`` or ``DAY``.
        reason: Why, with the data per hour that decided it.
    """

    granularity: PartitionGranularity
    reason: str


def recommend_partitioning(stored_bytes_per_second: float) -> PartitioningRecommendation:
    """Hourly partitions when an hour of stored data reaches ``HOURLY_PARTITION_MIN_BYTES``,
    else daily ones."""
    require_positive(stored_bytes_per_second, "stored_bytes_per_second")
    per_hour = stored_bytes_per_second * SECONDS_PER_HOUR
    threshold = f"{HOURLY_PARTITION_MIN_BYTES / MIB:g} MiB"
    if per_hour >= HOURLY_PARTITION_MIN_BYTES:
        return PartitioningRecommendation(
            PartitionGranularity.HOUR, f"{per_hour / MIB:,.0f} MiB/hour stored ≥ {threshold}"
        )
    return PartitioningRecommendation(
        PartitionGranularity.DAY,
        f"{per_hour / MIB:,.1f} MiB/hour stored < {threshold}: daily partitions",
    )
