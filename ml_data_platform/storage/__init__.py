"""S3 data lake storage: key, buckets, zones, lifecycle, layout and access points."""

from ml_data_platform.storage.access_point import AccessLevel, LakeAccessPoint
from ml_data_platform.storage.bucket import AccessLogsBucket, DataLakeBucket
from ml_data_platform.storage.data_lake import DataLake
from ml_data_platform.storage.key import DataLakeKey
from ml_data_platform.storage.layout import (
    KeyProjection,
    PartitionGranularity,
    PartitionKey,
    PartitionLayout,
)
from ml_data_platform.storage.lifecycle import (
    Lifecycle,
    LifecyclePreset,
    LifecycleRule,
    StorageClass,
    Transition,
)
from ml_data_platform.storage.zones import ANALYTICS, CURATED, DEFAULT_ZONES, RAW, DataLakeZone

__all__ = [
    "ANALYTICS",
    "CURATED",
    "DEFAULT_ZONES",
    "RAW",
    "AccessLevel",
    "AccessLogsBucket",
    "DataLake",
    "DataLakeBucket",
    "DataLakeKey",
    "DataLakeZone",
    "KeyProjection",
    "LakeAccessPoint",
    "Lifecycle",
    "LifecyclePreset",
    "LifecycleRule",
    "PartitionGranularity",
    "PartitionKey",
    "PartitionLayout",
    "StorageClass",
    "Transition",
]
