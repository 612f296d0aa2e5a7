"""Versioned public list prices per region (``<region>.json`` beside this module) and the
billing rules that turn usage into money.

Units: a TB is 2**40 bytes, a GB 2**30, a MB 2**20 and a KB 1,024, as AWS bills them; a month
is 30 days (720 hours), so the lifecycle presets' ages (30, 90, 180 days) fall on month
boundaries. A 730-hour month would add about 1.4 % to the hourly charges.

Billing rules (from the pricing pages listed in each price file's ``source``):
- Kinesis on-demand: per stream-hour, per GB written (each record rounded up to 1 KB) and per
  GB read (not rounded).
- Kinesis provisioned: per shard-hour and per million PUT payload units (25 KB chunks of a
  record, rounded up).
- Firehose: ingestion and format conversion per GB, each record rounded up to 5 KB; dynamic
  partitioning per GB processed and per 1,000 objects delivered to S3.
- Athena (SQL queries): per TB scanned, each query's bytes rounded up to a whole MB with a
  minimum per query (10 MB: ``minimum_scanned_mb``).
- Managed Service for Apache Flink: per KPU-hour for ``ceil(parallelism / parallelism per
  KPU)`` KPUs plus one orchestration KPU per application; running application storage per
  GB-month, 50 GB per KPU; durable application backups (snapshots) per GB-month.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from ml_data_platform.core.inputs import require_int
from ml_data_platform.storage.lifecycle import StorageClass

TB = 2**40
GB = 2**30
MB = 2**20
KB = 1024
DAYS_PER_MONTH = 30
HOURS_PER_MONTH = DAYS_PER_MONTH * 24
SECONDS_PER_HOUR = 3600
SECONDS_PER_DAY = 24 * SECONDS_PER_HOUR
SECONDS_PER_MONTH = DAYS_PER_MONTH * SECONDS_PER_DAY
STANDARD = "STANDARD"
"""API name of S3 Standard, where objects land (it is not a lifecycle target)."""

KINESIS_ON_DEMAND_WRITE_UNIT_BYTES = 1 * KB
KINESIS_PUT_PAYLOAD_UNIT_BYTES = 25 * KB
FIREHOSE_BILLING_UNIT_BYTES = 5 * KB

FLINK_ORCHESTRATION_KPUS = 1
"""KPUs billed per Apache Flink application on top of its own, for orchestration (Managed
Service for Apache Flink developer guide, how-pricing.html)."""
FLINK_RUNNING_STORAGE_GB_PER_KPU = 50
"""Running application storage allocated with each KPU (developer guide, how-resources.html:
one KPU is 1 vCPU, 4 GB of memory and 50 GB of disk)."""
FLINK_MAX_PARALLELISM_PER_KPU = 8
"""``ParallelismPerKPU`` is 1–8 (developer guide, how-scaling.html)."""

_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")


def billed_bytes(record_bytes: int, unit: int) -> int:
    """``record_bytes`` rounded up to a whole number of ``unit``-byte billing units."""
    return -(-record_bytes // unit) * unit


@dataclass(frozen=True)
class S3Prices:
    """S3 prices per GB-month, per 1,000 lifecycle transitions and for Intelligent-Tiering.

    Args:
        storage_gb_month: By storage class API name, ``STANDARD`` included; the
            ``INTELLIGENT_TIERING`` entry is its frequent access tier.
        transition_per_1000_requests: Lifecycle transition requests into each class.
        intelligent_tiering_infrequent_gb_month: Objects not read for 30 days.
        intelligent_tiering_archive_instant_gb_month: Objects not read for 90 days.
        intelligent_tiering_monitoring_per_1000_objects: Monthly fee per 1,000 objects
            (objects ≥ 128 KiB only).
    """

    storage_gb_month: Mapping[str, float]
    transition_per_1000_requests: Mapping[str, float]
    intelligent_tiering_infrequent_gb_month: float
    intelligent_tiering_archive_instant_gb_month: float
    intelligent_tiering_monitoring_per_1000_objects: float


@dataclass(frozen=True)
class KinesisPrices:
    """Kinesis Data Streams prices for both capacity modes."""

    on_demand_stream_hour: float
    on_demand_written_gb: float
    on_demand_read_gb: float
    shard_hour: float
    put_payload_units_per_million: float

    def on_demand_monthly(self, records_per_second: float, record_bytes: int) -> float:
        """One on-demand stream for a month, written at this rate and read once."""
        records = records_per_second * SECONDS_PER_MONTH
        written_gb = records * billed_bytes(record_bytes, KINESIS_ON_DEMAND_WRITE_UNIT_BYTES) / GB
        read_gb = records * record_bytes / GB
        return (
            self.on_demand_stream_hour * HOURS_PER_MONTH
            + written_gb * self.on_demand_written_gb
            + read_gb * self.on_demand_read_gb
        )

    def provisioned_monthly(
        self, shard_count: int, records_per_second: float, record_bytes: int
    ) -> float:
        """A provisioned stream of ``shard_count`` shards for a month, written at this rate."""
        units_per_record = billed_bytes(record_bytes, KINESIS_PUT_PAYLOAD_UNIT_BYTES) // (
            KINESIS_PUT_PAYLOAD_UNIT_BYTES
        )
        units = records_per_second * SECONDS_PER_MONTH * units_per_record
        return (
            shard_count * HOURS_PER_MONTH * self.shard_hour
            + units / 1_000_000 * self.put_payload_units_per_million
        )


@dataclass(frozen=True)
class FirehosePrices:
    """Amazon Data Firehose prices (Kinesis stream or Direct PUT as source)."""

    ingestion_gb: float
    format_conversion_gb: float
    dynamic_partitioning_gb: float
    dynamic_partitioning_per_1000_objects: float
    dynamic_partitioning_jq_hour: float

    def monthly(
        self,
        records_per_second: float,
        record_bytes: int,
        *,
        parquet: bool,
        dynamic_partitioning: bool,
        objects: float,
        jq_hours: float = 0.0,
    ) -> float:
        """One delivery stream for a month; ``objects`` is the number of S3 objects written,
        ``jq_hours`` the hours its dynamic partitioning runs jq (keys read from the records)."""
        records = records_per_second * SECONDS_PER_MONTH
        billed_gb = records * billed_bytes(record_bytes, FIREHOSE_BILLING_UNIT_BYTES) / GB
        cost = billed_gb * self.ingestion_gb
        if parquet:
            cost += billed_gb * self.format_conversion_gb
        if dynamic_partitioning:
            cost += records * record_bytes / GB * self.dynamic_partitioning_gb
            cost += objects / 1000 * self.dynamic_partitioning_per_1000_objects
            cost += jq_hours * self.dynamic_partitioning_jq_hour
        return cost


@dataclass(frozen=True)
class AthenaPrices:
    """Amazon Athena SQL query prices (per data scanned).

    Args:
        scanned_tb: Per TB scanned.
        minimum_scanned_mb: Least data billed per query, in MB; each query's bytes are also
            rounded up to a whole MB.
    """

    scanned_tb: float
    minimum_scanned_mb: int

    def billed_bytes_per_query(self, scanned_bytes: float) -> int:
        """``scanned_bytes`` rounded up to a whole MB, at least ``minimum_scanned_mb``."""
        return max(math.ceil(scanned_bytes / MB), self.minimum_scanned_mb) * MB

    def monthly(self, queries_per_day: float, scanned_bytes_per_query: float) -> float:
        """A month of ``queries_per_day`` queries, each scanning ``scanned_bytes_per_query``."""
        queries = queries_per_day * DAYS_PER_MONTH
        return queries * self.billed_bytes_per_query(scanned_bytes_per_query) / TB * self.scanned_tb


def flink_kpus(parallelism: int, parallelism_per_kpu: int = 1) -> int:
    """KPUs a Flink application runs on: ``parallelism / parallelism_per_kpu``, rounded up
    (without the orchestration KPU)."""
    require_int(parallelism, "parallelism", minimum=1)
    require_int(
        parallelism_per_kpu,
        "parallelism_per_kpu",
        minimum=1,
        maximum=FLINK_MAX_PARALLELISM_PER_KPU,
    )
    return -(-parallelism // parallelism_per_kpu)


@dataclass(frozen=True)
class FlinkPrices:
    """Amazon Managed Service for Apache Flink prices (Apache Flink applications).

    Args:
        kpu_hour: Per KPU-hour (1 vCPU, 4 GB of memory).
        running_storage_gb_month: Running application storage, per GB-month
            (``FLINK_RUNNING_STORAGE_GB_PER_KPU`` per KPU).
        backup_gb_month: Durable application backups (snapshots), per GB-month.
    """

    kpu_hour: float
    running_storage_gb_month: float
    backup_gb_month: float

    def kpu_monthly(self, kpus: int) -> float:
        """``kpus`` KPUs and the orchestration KPU, running all month."""
        return (kpus + FLINK_ORCHESTRATION_KPUS) * HOURS_PER_MONTH * self.kpu_hour

    def storage_monthly(self, kpus: int) -> float:
        """The running application storage of ``kpus`` KPUs for a month."""
        return kpus * FLINK_RUNNING_STORAGE_GB_PER_KPU * self.running_storage_gb_month

    def monthly(
        self, parallelism: int, parallelism_per_kpu: int = 1, backup_gb: float = 0.0
    ) -> float:
        """One application running all month at ``parallelism``, keeping ``backup_gb`` GB of
        snapshots."""
        kpus = flink_kpus(parallelism, parallelism_per_kpu)
        if isinstance(backup_gb, bool) or not isinstance(backup_gb, (int, float)) or backup_gb < 0:
            raise ValueError(f"backup_gb must be a number ≥ 0, got {backup_gb!r}")
        return (
            self.kpu_monthly(kpus) + self.storage_monthly(kpus) + backup_gb * self.backup_gb_month
        )


RESTORE_CLASSES = ("GLACIER", "DEEP_ARCHIVE", "INTELLIGENT_TIERING")
"""Storage classes whose objects are restored before they can be read (Intelligent-Tiering:
its archive access tiers)."""
RESTORE_TIERS = ("STANDARD", "BULK")
"""Retrieval tiers S3 Batch Operations restores with."""


@dataclass(frozen=True)
class RestorePrices:
    """S3 restore (retrieval) prices and S3 Batch Operations fees.

    Args:
        retrieval_gb: ``{storage class: {tier: price per GB restored}}``.
        requests_per_1000: ``{storage class: {tier: price per 1,000 restore requests}}``.
        batch_operations_per_job: Fee per Batch Operations job.
        batch_operations_per_million_objects: Fee per million objects a job processes.
    """

    retrieval_gb: Mapping[str, Mapping[str, float]]
    requests_per_1000: Mapping[str, Mapping[str, float]]
    batch_operations_per_job: float
    batch_operations_per_million_objects: float


@dataclass(frozen=True)
class PriceTable:
    """One region's prices, as read from ``<region>.json``.

    Args:
        region: AWS region the prices apply to.
        version: Revision of the price file; bump it when a number changes.
        currency: ISO currency code of every price.
        retrieved: Date (ISO 8601) the prices were looked up.
        sources: AWS pricing pages the prices come from.
        notes: How each number was confirmed, and what is not priced.
        s3: S3 prices.
        kinesis: Kinesis Data Streams prices.
        firehose: Firehose prices.
        athena: Athena query prices.
        restore: S3 restore prices (``s3_restore``), for the restore CLI. Default: none.
        flink: Managed Service for Apache Flink prices (``flink``), for profiles with a
            streaming-features application. Default: none.
    """

    region: str
    version: int
    currency: str
    retrieved: str
    sources: tuple[str, ...]
    notes: tuple[str, ...]
    s3: S3Prices
    kinesis: KinesisPrices
    firehose: FirehosePrices
    athena: AthenaPrices
    restore: RestorePrices | None = None
    flink: FlinkPrices | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PriceTable:
        """Build a table from the JSON document; ``ValueError`` names a missing or bad key."""
        reader = _Reader(data, f"price table {data.get('region', '?')!r}")
        classes = (STANDARD, *(c.api_name for c in StorageClass))
        return cls(
            region=reader.text("region"),
            version=reader.integer("version"),
            currency=reader.text("currency"),
            retrieved=reader.text("retrieved"),
            sources=tuple(reader.texts("source")),
            notes=tuple(reader.texts("notes")),
            s3=S3Prices(
                storage_gb_month=reader.prices("s3.storage_gb_month", classes),
                transition_per_1000_requests=reader.prices(
                    "s3.transition_per_1000_requests", [c.api_name for c in StorageClass]
                ),
                intelligent_tiering_infrequent_gb_month=reader.price(
                    "s3.intelligent_tiering.infrequent_gb_month"
                ),
                intelligent_tiering_archive_instant_gb_month=reader.price(
                    "s3.intelligent_tiering.archive_instant_gb_month"
                ),
                intelligent_tiering_monitoring_per_1000_objects=reader.price(
                    "s3.intelligent_tiering.monitoring_per_1000_objects"
                ),
            ),
            kinesis=KinesisPrices(
                on_demand_stream_hour=reader.price("kinesis.on_demand.stream_hour"),
                on_demand_written_gb=reader.price("kinesis.on_demand.written_gb"),
                on_demand_read_gb=reader.price("kinesis.on_demand.read_gb"),
                shard_hour=reader.price("kinesis.provisioned.shard_hour"),
                put_payload_units_per_million=reader.price(
                    "kinesis.provisioned.put_payload_units_per_million"
                ),
            ),
            firehose=FirehosePrices(
                ingestion_gb=reader.price("firehose.ingestion_gb"),
                format_conversion_gb=reader.price("firehose.format_conversion_gb"),
                dynamic_partitioning_gb=reader.price("firehose.dynamic_partitioning_gb"),
                dynamic_partitioning_per_1000_objects=reader.price(
                    "firehose.dynamic_partitioning_per_1000_objects"
                ),
                dynamic_partitioning_jq_hour=reader.price("firehose.dynamic_partitioning_jq_hour"),
            ),
            athena=AthenaPrices(
                scanned_tb=reader.price("athena.scanned_tb"),
                minimum_scanned_mb=reader.integer("athena.minimum_scanned_mb"),
            ),
            restore=_restore_prices(reader) if "s3_restore" in data else None,
            flink=(
                FlinkPrices(
                    kpu_hour=reader.price("flink.kpu_hour"),
                    running_storage_gb_month=reader.price("flink.running_storage_gb_month"),
                    backup_gb_month=reader.price("flink.backup_gb_month"),
                )
                if "flink" in data
                else None
            ),
        )


def available_regions() -> tuple[str, ...]:
    """Regions that have a price file, sorted."""
    files = resources.files(__package__).iterdir()
    return tuple(sorted(f.name[: -len(".json")] for f in files if f.name.endswith(".json")))


@cache
def load_prices(region: str = "us-east-1") -> PriceTable:
    """The price table of ``region``; ``ValueError`` if there is none."""
    if not isinstance(region, str) or not _REGION.match(region):
        raise ValueError(f"region {region!r} is not an AWS region name (e.g. 'us-east-1')")
    path = resources.files(__package__) / f"{region}.json"
    if not path.is_file():
        raise ValueError(
            f"no price table for region {region!r}; available: {', '.join(available_regions())} "
            f"(add ml_data_platform/planning/prices/{region}.json)"
        )
    table = PriceTable.from_dict(json.loads(path.read_text(encoding="utf-8")))
    if table.region != region:
        raise ValueError(f"{region}.json declares region {table.region!r}")
    return table


def _restore_prices(reader: _Reader) -> RestorePrices:
    return RestorePrices(
        retrieval_gb=MappingProxyType(
            {
                c: reader.prices(f"s3_restore.retrieval_gb.{c}", RESTORE_TIERS)
                for c in RESTORE_CLASSES
            }
        ),
        requests_per_1000=MappingProxyType(
            {
                c: reader.prices(f"s3_restore.requests_per_1000.{c}", RESTORE_TIERS)
                for c in RESTORE_CLASSES
            }
        ),
        batch_operations_per_job=reader.price("s3_restore.batch_operations_per_job"),
        batch_operations_per_million_objects=reader.price(
            "s3_restore.batch_operations_per_million_objects"
        ),
    )


class _Reader:
    """Typed access to the nested JSON document, with errors naming the key path."""

    def __init__(self, data: Mapping[str, Any], where: str) -> None:
        self._data = data
        self._where = where

    def _get(self, path: str) -> Any:
        node: Any = self._data
        for key in path.split("."):
            if not isinstance(node, Mapping) or key not in node:
                raise ValueError(f"{self._where}: missing key {path!r}")
            node = node[key]
        return node

    def _fail(self, path: str, expected: str, value: Any) -> ValueError:
        return ValueError(f"{self._where}: {path} must be {expected}, got {value!r}")

    def text(self, path: str) -> str:
        value = self._get(path)
        if not isinstance(value, str) or not value:
            raise self._fail(path, "a non-empty string", value)
        return value

    def texts(self, path: str) -> list[str]:
        value = self._get(path)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._fail(path, "a list of strings", value)
        return value

    def integer(self, path: str) -> int:
        value: object = self._get(path)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self._fail(path, "a positive integer", value)
        return value

    def price(self, path: str) -> float:
        value = self._get(path)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise self._fail(path, "a non-negative number", value)
        return float(value)

    def prices(self, path: str, keys: list[str] | tuple[str, ...]) -> Mapping[str, float]:
        return MappingProxyType({key: self.price(f"{path}.{key}") for key in keys})
