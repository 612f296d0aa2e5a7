"""Workload planning: a ``WorkloadProfile`` becomes Kinesis, Firehose and lifecycle settings
(``sizing``), a month-by-month cost estimate (``cost``) and a cdk.json context (``plan``);
dedicated vs shared ingestion priced per dataset (``ingestion_mode``)."""

from ml_data_platform.datasets import DeliveryFormat
from ml_data_platform.planning.cost import (
    AnalyticsCost,
    CostEstimate,
    LineItem,
    MonthCost,
    StorageMonth,
    analytics_costs,
    estimate_costs,
    estimate_storage,
)
from ml_data_platform.planning.ingestion_mode import (
    DatasetComparison,
    DatasetVolume,
    IngestionMode,
    IngestionModePlan,
    ModeCost,
    compare_ingestion_modes,
)
from ml_data_platform.planning.plan import Plan, plan
from ml_data_platform.planning.prices import PriceTable, available_regions, load_prices
from ml_data_platform.planning.profile import (
    DEFAULT_ZONE_ACCESS,
    AccessPattern,
    WorkloadProfile,
    Zone,
)
from ml_data_platform.planning.sizing import (
    Buffering,
    PartitioningRecommendation,
    StreamMode,
    StreamRecommendation,
    recommend_buffering,
    recommend_partitioning,
    recommend_stream_mode,
    shards_for_throughput,
)

__all__ = [
    "DEFAULT_ZONE_ACCESS",
    "AccessPattern",
    "AnalyticsCost",
    "Buffering",
    "CostEstimate",
    "DatasetComparison",
    "DatasetVolume",
    "DeliveryFormat",
    "IngestionMode",
    "IngestionModePlan",
    "LineItem",
    "ModeCost",
    "MonthCost",
    "PartitioningRecommendation",
    "Plan",
    "PriceTable",
    "StorageMonth",
    "StreamMode",
    "StreamRecommendation",
    "WorkloadProfile",
    "Zone",
    "analytics_costs",
    "available_regions",
    "compare_ingestion_modes",
    "estimate_costs",
    "estimate_storage",
    "load_prices",
    "plan",
    "recommend_buffering",
    "recommend_partitioning",
    "recommend_stream_mode",
    "shards_for_throughput",
]
