"""What a restore job restores: the objects of a dataset's days in archive storage classes,
the rules S3 sets for them, and what the restore costs.

Rules (https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-initiate-restore-object.html):
- S3 Glacier Flexible Retrieval and S3 Glacier Deep Archive objects need ``ExpirationInDays``
  ≥ 1 (how long the temporary copy stays); objects in the Intelligent-Tiering archive access
  tiers must be restored without it (they move back to the frequent access tier); so the two
  kinds cannot share a job.
- A job's task completes when the restore is *initiated*: the data is readable when S3 emits
  ``Object Restore Completed`` (``RestoreCompletedNotification``), hours later.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any

from ml_data_platform.planning.prices import GB, PriceTable
from ml_data_platform.storage.layout import PartitionGranularity, PartitionLayout

MAX_DAYS_IN_ONE_JOB = 3_660
"""Longest date range one job covers (ten years of daily prefixes)."""
MAX_EXPIRATION_DAYS = 30_000
"""Upper bound accepted for ``ExpirationInDays`` here (S3 documents no maximum; this keeps a
typo such as 70000 from keeping copies for two centuries)."""


class ArchiveClass(Enum):
    """Storage classes whose objects must be restored before they are read."""

    GLACIER = "GLACIER"
    DEEP_ARCHIVE = "DEEP_ARCHIVE"
    INTELLIGENT_TIERING = "INTELLIGENT_TIERING"

    @property
    def needs_expiration(self) -> bool:
        """Glacier and Deep Archive restore a temporary copy for ``ExpirationInDays``."""
        return self is not ArchiveClass.INTELLIGENT_TIERING


class RestoreTier(Enum):
    """Retrieval tiers of ``S3InitiateRestoreObject`` (``GlacierJobTier``)."""

    BULK = "BULK"
    STANDARD = "STANDARD"


@dataclass(frozen=True)
class RestoreRequest:
    """A validated restore: dataset, days, classes, tier and how long copies stay.

    Args:
        dataset: Dataset name (the top-level prefix of the zone).
        first_day: First arrival day (UTC) to restore.
        last_day: Last arrival day, inclusive.
        storage_classes: Classes to restore; Glacier/Deep Archive or Intelligent-Tiering,
            not both.
        tier: ``BULK`` (cheapest, up to 48 hours) or ``STANDARD``.
        expiration_days: Days the restored copy stays (Glacier/Deep Archive: required, ≥ 1;
            Intelligent-Tiering: must be None).
    """

    dataset: str
    first_day: date
    last_day: date
    storage_classes: tuple[ArchiveClass, ...]
    tier: RestoreTier
    expiration_days: int | None

    def __post_init__(self) -> None:
        PartitionLayout(self.dataset)  # validates the dataset name
        if self.last_day < self.first_day:
            raise ValueError(
                f"the date range ends ({self.last_day}) before it starts ({self.first_day})"
            )
        if (self.last_day - self.first_day).days + 1 > MAX_DAYS_IN_ONE_JOB:
            raise ValueError(
                f"the date range {self.first_day}..{self.last_day} is longer than "
                f"{MAX_DAYS_IN_ONE_JOB} days: split it into several jobs"
            )
        if not self.storage_classes:
            raise ValueError("storage_classes must name at least one archive storage class")
        kinds = {c.needs_expiration for c in self.storage_classes}
        if len(kinds) > 1:
            raise ValueError(
                "GLACIER/DEEP_ARCHIVE and INTELLIGENT_TIERING cannot share a restore job: the "
                "first need ExpirationInDays, the Intelligent-Tiering archive tiers must omit it; "
                "run one job for each"
            )
        if kinds == {True}:
            if self.expiration_days is None:
                raise ValueError(
                    "expiration_days (--days) is required for GLACIER/DEEP_ARCHIVE: how many "
                    "days the restored copy stays readable (≥ 1)"
                )
            if isinstance(self.expiration_days, bool) or not isinstance(self.expiration_days, int):
                raise TypeError(f"expiration_days must be an integer, got {self.expiration_days!r}")
            if not 1 <= self.expiration_days <= MAX_EXPIRATION_DAYS:
                raise ValueError(
                    f"expiration_days must be 1–{MAX_EXPIRATION_DAYS}, got {self.expiration_days}"
                )
        elif self.expiration_days is not None:
            raise ValueError(
                "expiration_days (--days) must be omitted for INTELLIGENT_TIERING: restored "
                "objects move back to the frequent access tier and stay there"
            )

    @property
    def prefixes(self) -> list[str]:
        """One prefix per arrival day, e.g. ``clicks/year=2026/month=01/day=05/`` (hourly
        partitions are below it)."""
        layout = PartitionLayout(self.dataset, PartitionGranularity.DAY)
        day, prefixes = self.first_day, []
        while day <= self.last_day:
            prefixes.append(layout.prefix_for(datetime(day.year, day.month, day.day)))
            day += timedelta(days=1)
        return prefixes

    def wants(self, storage_class: str | None) -> bool:
        """Whether an object listed with ``storage_class`` is restored by this request."""
        return storage_class in {c.value for c in self.storage_classes}


@dataclass(frozen=True)
class ArchivedObject:
    """One object to restore."""

    key: str
    size: int
    storage_class: ArchiveClass


@dataclass
class Selection:
    """The objects a request restores, with totals per storage class."""

    objects: list[ArchivedObject] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.objects)

    @property
    def bytes(self) -> int:
        return sum(o.size for o in self.objects)

    def by_class(self) -> dict[ArchiveClass, tuple[int, int]]:
        """``{class: (objects, bytes)}``."""
        totals: dict[ArchiveClass, tuple[int, int]] = {}
        for o in self.objects:
            count, size = totals.get(o.storage_class, (0, 0))
            totals[o.storage_class] = (count + 1, size + o.size)
        return totals


@dataclass(frozen=True)
class RestoreCost:
    """Estimated cost of one restore job (list prices of ``PriceTable.region``)."""

    retrieval: float
    requests: float
    batch_operations: float
    temporary_copies: float
    currency: str

    @property
    def total(self) -> float:
        return self.retrieval + self.requests + self.batch_operations + self.temporary_copies


def estimate_cost(request: RestoreRequest, selection: Selection, prices: PriceTable) -> RestoreCost:
    """Retrieval per GB and per request by class and tier, the Batch Operations fees, and the
    temporary copies (Glacier/Deep Archive) at the STANDARD storage price for their days."""
    restore = prices.restore
    if restore is None:
        raise ValueError(f"the price table of {prices.region} has no s3_restore prices")
    tier = request.tier.value
    retrieval = requests = copies = 0.0
    for archive_class, (count, size) in selection.by_class().items():
        retrieval += size / GB * restore.retrieval_gb[archive_class.value][tier]
        requests += count / 1000 * restore.requests_per_1000[archive_class.value][tier]
        if archive_class.needs_expiration and request.expiration_days:
            copies += (
                size / GB * prices.s3.storage_gb_month["STANDARD"] * request.expiration_days / 30
            )
    batch = restore.batch_operations_per_job + (
        selection.count / 1_000_000 * restore.batch_operations_per_million_objects
    )
    return RestoreCost(retrieval, requests, batch, copies, prices.currency)


def select(request: RestoreRequest, listed: Iterable[dict[str, Any]]) -> Selection:
    """The objects of ListObjectsV2 ``Contents`` entries that ``request`` restores."""
    selection = Selection()
    for entry in listed:
        if request.wants(entry.get("StorageClass")):
            selection.objects.append(
                ArchivedObject(
                    entry["Key"], int(entry["Size"]), ArchiveClass(entry["StorageClass"])
                )
            )
    return selection


def parse_classes(values: Sequence[str]) -> tuple[ArchiveClass, ...]:
    """``["GLACIER", "DEEP_ARCHIVE"]`` -> enum members; ``ValueError`` names the bad one."""
    classes = []
    for value in values:
        try:
            classes.append(ArchiveClass(value.upper()))
        except ValueError:
            known = ", ".join(c.value for c in ArchiveClass)
            raise ValueError(
                f"storage class {value!r} is not restored from an archive: use {known} "
                "(GLACIER_IR, STANDARD_IA and the others are readable without a restore)"
            ) from None
    return tuple(dict.fromkeys(classes))
