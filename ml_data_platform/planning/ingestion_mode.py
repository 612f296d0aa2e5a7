"""Dedicated or shared ingestion, priced per dataset and in total, and the cheaper one chosen.

**Dedicated**: a dataset has its own Kinesis stream and Firehose delivery (``IngestionStack``).
Every stream has a fixed charge whatever its traffic: stream-hours (on-demand) or shard-hours
(provisioned).

**Shared**: the datasets of one group share one stream; one Firehose delivery with dynamic
partitioning reads the dataset field of each record (a jq query) and writes it under that
dataset's own prefix, so each keeps its table and Athena location. The group pays one stream's
fixed charge and the delivery's jq processing hours once; every record pays dynamic
partitioning per GB, and every object delivered per 1,000 objects.

What both pay alike per record is priced in both, so the comparison is complete: Kinesis data
(on-demand: written GB with records rounded up to 1 KB, read GB; provisioned: 25 KB PUT payload
units) and Firehose ingestion with records rounded up to 5 KB (plus format conversion for
Parquet, which only a dedicated delivery can do: one schema per delivery).

Choice per group: a dataset is worth sharing when the stream charge it saves is more than the
partitioning charges its records and objects add; the group is worth having when those savings
together pay for its own stream and jq hours. Otherwise every dataset stays dedicated.

Assumptions (also in ``IngestionModePlan.notes``):
- jq processing hours are billed for the time jq runs; AWS gives no rate per GB, so a shared
  delivery is assumed to run jq all month (``HOURS_PER_MONTH`` hours) unless ``jq_hours`` is
  given (measure it with the ``JQProcessing.Duration`` metric). Its price is unconfirmed (see
  the price table's notes).
- One object per dataset per buffer flush (``Buffering.object_bytes``); a dataset whose time
  partition changes within a flush (hourly partitions at the hour) writes one more.
- A provisioned shared stream gets the environment's shard count, or more when the group's
  average throughput needs more (``shards_for_throughput``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from ml_data_platform.core.inputs import repeated
from ml_data_platform.core.limits import (
    FIREHOSE_DEFAULT_BUFFER_INTERVAL_SECONDS,
    FIREHOSE_MIN_BUFFER_SIZE_MIB_FOR_CONVERSION,
)
from ml_data_platform.planning.prices import (
    GB,
    HOURS_PER_MONTH,
    SECONDS_PER_MONTH,
    PriceTable,
    load_prices,
)
from ml_data_platform.planning.sizing import (
    Buffering,
    StreamMode,
    require_positive,
    shards_for_throughput,
)

DEFAULT_GROUP = "default"


class IngestionMode(Enum):
    """How a dataset's records reach the lake."""

    DEDICATED = "dedicated"
    SHARED = "shared"


@dataclass(frozen=True)
class DatasetVolume:
    """The expected traffic of one dataset.

    Args:
        name: Dataset name.
        records_per_second: Average write rate (> 0).
        record_bytes: Average record size in bytes (≥ 1).
        parquet: Lands as Parquet (then dedicated only: one schema per Firehose).
            Default: False.
        group: Datasets can share a stream only within a group (same time granularity and
            delivery settings). Default: ``"default"``.
        partitioned: Partitioned by keys read from its records (``partition_keys``): its own
            delivery pays dynamic partitioning and jq all month, and it stays dedicated (a
            shared delivery partitions by dataset and time only). Default: False.
    """

    name: str
    records_per_second: float
    record_bytes: int
    parquet: bool = False
    group: str = DEFAULT_GROUP
    partitioned: bool = False

    def __post_init__(self) -> None:
        require_positive(self.records_per_second, f"{self.name}: records_per_second")
        if isinstance(self.record_bytes, bool) or not isinstance(self.record_bytes, int):
            raise TypeError(f"{self.name}: record_bytes must be an int, got {self.record_bytes!r}")
        if self.record_bytes < 1:
            raise ValueError(f"{self.name}: record_bytes must be ≥ 1, got {self.record_bytes}")

    @property
    def bytes_per_second(self) -> float:
        return self.records_per_second * self.record_bytes


@dataclass(frozen=True)
class ModeCost:
    """A month of one dataset in one mode, by line (currency of the price table).

    Args:
        stream_fixed: Stream-hours or shard-hours (shared: this dataset's equal share).
        stream_data: Kinesis per-record charges.
        firehose: Firehose ingestion (records rounded up to 5 KB), plus format conversion.
        partitioning: Dynamic partitioning per GB and per object, plus the jq processing
            hours (shared: the dataset's equal share; dedicated: only a ``partitioned``
            dataset's, all of its delivery's).
    """

    stream_fixed: float
    stream_data: float
    firehose: float
    partitioning: float = 0.0

    @property
    def total(self) -> float:
        return self.stream_fixed + self.stream_data + self.firehose + self.partitioning


@dataclass(frozen=True)
class DatasetComparison:
    """Both modes for one dataset and the recommendation.

    Args:
        volume: The dataset's traffic.
        dedicated: Its month with its own stream.
        shared: Its month in its group's shared stream (with its share of the group's fixed
            charges), or None when it cannot share (Parquet).
        recommended: The cheaper choice for the whole group.
        reason: Why, with the numbers.
    """

    volume: DatasetVolume
    dedicated: ModeCost
    shared: ModeCost | None
    recommended: IngestionMode
    reason: str

    @property
    def recommended_cost(self) -> ModeCost:
        return (
            self.shared
            if self.recommended is IngestionMode.SHARED and self.shared
            else (self.dedicated)
        )


@dataclass(frozen=True)
class IngestionModePlan:
    """Every dataset in both modes, the totals, and the recommended mix.

    Args:
        datasets: One comparison per dataset, in the given order.
        currency: Of every amount.
        notes: Assumptions behind the numbers.
    """

    datasets: tuple[DatasetComparison, ...]
    currency: str
    notes: tuple[str, ...]

    @property
    def all_dedicated_total(self) -> float:
        """A month with every dataset on its own stream."""
        return sum(d.dedicated.total for d in self.datasets)

    @property
    def recommended_total(self) -> float:
        """A month with the recommended mode of each dataset."""
        return sum(d.recommended_cost.total for d in self.datasets)

    @property
    def modes(self) -> Mapping[str, IngestionMode]:
        """``{dataset name: recommended mode}``."""
        return {d.volume.name: d.recommended for d in self.datasets}


def compare_ingestion_modes(
    volumes: Sequence[DatasetVolume],
    *,
    stream_mode: StreamMode = StreamMode.ON_DEMAND,
    shard_count: int | None = None,
    buffer_size_mib: int = FIREHOSE_MIN_BUFFER_SIZE_MIB_FOR_CONVERSION,
    buffer_interval_seconds: int = FIREHOSE_DEFAULT_BUFFER_INTERVAL_SECONDS,
    jq_hours: float = HOURS_PER_MONTH,
    prices: PriceTable | None = None,
) -> IngestionModePlan:
    """Price each dataset dedicated and shared, and recommend the cheaper mix per group.

    Args:
        volumes: The datasets (unique names).
        stream_mode: Capacity mode of every stream (the environment's). Default: on-demand.
        shard_count: Shards per provisioned stream. Default: none (on-demand).
        buffer_size_mib, buffer_interval_seconds: The Firehose buffering (decides objects per
            month). Default: 64 MiB, 300 s.
        jq_hours: jq processing hours per shared delivery per month. Default: all month.
        prices: Price table. Default: ``load_prices()`` (us-east-1).
    """
    names = [v.name for v in volumes]
    duplicates = repeated(names)
    if duplicates:
        raise ValueError(f"volumes: duplicate dataset names {duplicates}")
    if stream_mode is StreamMode.PROVISIONED and shard_count is None:
        raise ValueError("shard_count is required with stream_mode=PROVISIONED")
    if stream_mode is StreamMode.ON_DEMAND and shard_count is not None:
        raise ValueError("shard_count is only valid with stream_mode=PROVISIONED")
    prices = prices or load_prices()
    pricer = _Pricer(prices, stream_mode, shard_count, buffer_size_mib, buffer_interval_seconds)
    jq_monthly = jq_hours * prices.firehose.dynamic_partitioning_jq_hour
    results: dict[str, DatasetComparison] = {}
    for group in dict.fromkeys(v.group for v in volumes):
        members = [v for v in volumes if v.group == group]
        results.update(_choose(members, pricer, jq_monthly, group))
    notes = (
        f"shared deliveries run jq {jq_hours:,.0f} h/month (assumed; measure "
        "JQProcessing.Duration), billed at "
        f"{prices.firehose.dynamic_partitioning_jq_hour} {prices.currency}/h",
        "one object per dataset per buffer flush",
        "Parquet datasets stay dedicated: Firehose converts with one table schema per delivery",
    )
    return IngestionModePlan(tuple(results[n] for n in names), prices.currency, notes)


class _Pricer:
    def __init__(
        self,
        prices: PriceTable,
        stream_mode: StreamMode,
        shard_count: int | None,
        buffer_size_mib: int,
        buffer_interval_seconds: int,
    ) -> None:
        self.prices = prices
        self.stream_mode = stream_mode
        self.shard_count = shard_count
        self.buffering = Buffering(buffer_size_mib, buffer_interval_seconds, "")

    def stream_fixed(self, shards: int | None) -> float:
        kinesis = self.prices.kinesis
        if self.stream_mode is StreamMode.ON_DEMAND:
            return kinesis.on_demand_stream_hour * HOURS_PER_MONTH
        return (shards or 1) * kinesis.shard_hour * HOURS_PER_MONTH

    def stream_data(self, volume: DatasetVolume) -> float:
        kinesis = self.prices.kinesis
        rate, size = volume.records_per_second, volume.record_bytes
        if self.stream_mode is StreamMode.ON_DEMAND:
            return kinesis.on_demand_monthly(rate, size) - kinesis.on_demand_monthly(0, size)
        shards = self.shard_count or 1
        return kinesis.provisioned_monthly(shards, rate, size) - kinesis.provisioned_monthly(
            shards, 0, size
        )

    def firehose(self, volume: DatasetVolume) -> float:
        return self.prices.firehose.monthly(
            volume.records_per_second,
            volume.record_bytes,
            parquet=volume.parquet,
            dynamic_partitioning=False,
            objects=0,
        )

    def partitioning(self, volume: DatasetVolume) -> float:
        firehose = self.prices.firehose
        monthly_bytes = volume.bytes_per_second * SECONDS_PER_MONTH
        objects = monthly_bytes / self.buffering.object_bytes(volume.bytes_per_second)
        return (
            monthly_bytes / GB * firehose.dynamic_partitioning_gb
            + objects / 1000 * firehose.dynamic_partitioning_per_1000_objects
        )

    def dedicated(self, volume: DatasetVolume, jq_monthly: float) -> ModeCost:
        return ModeCost(
            self.stream_fixed(self.shard_count),
            self.stream_data(volume),
            self.firehose(volume),
            self.partitioning(volume) + jq_monthly if volume.partitioned else 0.0,
        )

    def shared_stream_fixed(self, members: Sequence[DatasetVolume]) -> float:
        if self.stream_mode is StreamMode.ON_DEMAND or not members:
            return self.stream_fixed(None)
        rate = sum(v.records_per_second for v in members)
        size = max(1, round(sum(v.bytes_per_second for v in members) / rate))
        return self.stream_fixed(max(self.shard_count or 1, shards_for_throughput(rate, size)))


def _choose(
    members: Sequence[DatasetVolume], pricer: _Pricer, jq_monthly: float, group: str
) -> dict[str, DatasetComparison]:
    dedicated = {v.name: pricer.dedicated(v, jq_monthly) for v in members}
    eligible = [v for v in members if not (v.parquet or v.partitioned)]
    # What sharing saves per dataset before the group's own fixed charges.
    saving = {v.name: dedicated[v.name].stream_fixed - pricer.partitioning(v) for v in eligible}
    candidates = [v for v in eligible if saving[v.name] > 0]
    stream_fixed = pricer.shared_stream_fixed(candidates)
    group_fixed = stream_fixed + jq_monthly
    total_saving = sum(saving[v.name] for v in candidates)
    shared = candidates if total_saving > group_fixed else []
    sharers = max(1, len(shared))
    result = {}
    for volume in members:
        name = volume.name
        if volume.parquet or volume.partitioned:
            result[name] = DatasetComparison(
                volume,
                dedicated[name],
                None,
                IngestionMode.DEDICATED,
                "Parquet: Firehose converts with one table schema per delivery"
                if volume.parquet
                else "partition keys: a shared delivery partitions by dataset and time only",
            )
            continue
        joined = volume in shared
        # Its equal share of the group's stream and jq hours (as one more member if it is not in).
        members_paying = sharers if joined else sharers + 1
        own = ModeCost(
            stream_fixed=stream_fixed / members_paying,
            stream_data=dedicated[name].stream_data,
            firehose=dedicated[name].firehose,
            partitioning=pricer.partitioning(volume) + jq_monthly / members_paying,
        )
        if joined:
            reason = (
                f"group '{group}': {len(shared)} datasets save {total_saving:,.2f} in stream "
                f"charges net of partitioning, more than the shared stream and jq "
                f"({group_fixed:,.2f})"
            )
        elif saving[name] <= 0:
            reason = (
                f"its partitioning charges ({pricer.partitioning(volume):,.2f}) are not less "
                f"than a stream of its own ({dedicated[name].stream_fixed:,.2f})"
            )
        else:
            reason = (
                f"group '{group}': sharing would save {total_saving:,.2f}, not more than the "
                f"shared stream and jq ({group_fixed:,.2f})"
            )
        mode = IngestionMode.SHARED if joined else IngestionMode.DEDICATED
        result[name] = DatasetComparison(volume, dedicated[name], own, mode, reason)
    return result
