"""Date-partitioned object layout: ``<dataset>/year=YYYY/month=MM/day=DD/hour=HH/``.

One source of truth for three consumers: code that writes objects (``prefix_for``), Firehose
(``firehose_prefix``/``firehose_error_prefix``) and Athena partition projection
(``projection_parameters``), so the three can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from ml_data_platform.core.names import validate_slug

ERROR_OUTPUT_TYPE = "!{firehose:error-output-type}"
FIRST_PROJECTED_YEAR = 2020
LAST_PROJECTED_YEAR = 2099


class PartitionGranularity(Enum):
    """How finely objects are partitioned by arrival time."""

    DAY = ("year", "month", "day")
    HOUR = ("year", "month", "day", "hour")

    @property
    def keys(self) -> tuple[str, ...]:
        return self.value


# key -> (strftime, Firehose timestamp format, projection range, digits)
_KEY_FORMATS = {
    "year": ("%Y", "yyyy", f"{FIRST_PROJECTED_YEAR},{LAST_PROJECTED_YEAR}", 4),
    "month": ("%m", "MM", "1,12", 2),
    "day": ("%d", "dd", "1,31", 2),
    "hour": ("%H", "HH", "0,23", 2),
}


@dataclass(frozen=True)
class PartitionLayout:
    """Where objects of ``dataset`` live in a zone bucket.

    Args:
        dataset: Dataset name, also the top-level prefix (lowercase, digits, ``-``).
        granularity: Partition by day or hour. Default: ``HOUR``.
    """

    dataset: str
    granularity: PartitionGranularity = PartitionGranularity.HOUR

    def __post_init__(self) -> None:
        validate_slug(self.dataset, "dataset")

    @property
    def partition_keys(self) -> tuple[str, ...]:
        return self.granularity.keys

    @property
    def dataset_prefix(self) -> str:
        return f"{self.dataset}/"

    def prefix_for(self, when: datetime) -> str:
        """The prefix for objects that arrived at ``when`` (UTC), e.g.
        ``clicks/year=2026/month=11/day=24/hour=20/``."""
        parts = (f"{k}={when.strftime(_KEY_FORMATS[k][0])}" for k in self.partition_keys)
        return self.dataset_prefix + "/".join(parts) + "/"

    def firehose_prefix(self) -> str:
        """Firehose S3 prefix using the arrival timestamp namespace."""
        parts = (f"{k}=!{{timestamp:{_KEY_FORMATS[k][1]}}}" for k in self.partition_keys)
        return self.dataset_prefix + "/".join(parts) + "/"

    def firehose_error_prefix(self) -> str:
        """Firehose error output prefix (must contain ``!{firehose:error-output-type}``)."""
        parts = (f"{k}=!{{timestamp:{_KEY_FORMATS[k][1]}}}" for k in self.partition_keys)
        return f"errors/{self.dataset}/{ERROR_OUTPUT_TYPE}/" + "/".join(parts) + "/"

    def location(self, bucket_name: str) -> str:
        """S3 URI of the dataset root in ``bucket_name``."""
        return f"s3://{bucket_name}/{self.dataset_prefix}"

    def projection_parameters(self, bucket_name: str) -> dict[str, str]:
        """Glue table parameters for Athena partition projection over this layout."""
        params = {"projection.enabled": "true"}
        for key in self.partition_keys:
            _, _, value_range, digits = _KEY_FORMATS[key]
            params[f"projection.{key}.type"] = "integer"
            params[f"projection.{key}.range"] = value_range
            params[f"projection.{key}.digits"] = str(digits)
        template = "/".join(f"{k}=${{{k}}}" for k in self.partition_keys)
        params["storage.location.template"] = self.location(bucket_name) + template + "/"
        return params
