"""Workload planning: a ``WorkloadProfile`` becomes Kinesis, Firehose and lifecycle settings
(``sizing``), a month-by-month cost estimate (``cost``) and a cdk.json context (``plan``)."""

from ml_data_platform.datasets import DeliveryFormat
from ml_data_platform.planning.cost import (
    CostEstimate,
    LineItem,
    MonthCost,
    StorageMonth,
    estimate_costs,
    estimate_storage,
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
    "Buffering",
    "CostEstimate",
    "DeliveryFormat",
    "LineItem",
    "MonthCost",
    "PartitioningRecommendation",
    "Plan",
    "PriceTable",
    "StorageMonth",
    "StreamMode",
    "StreamRecommendation",
    "WorkloadProfile",
    "Zone",
    "available_regions",
    "estimate_costs",
    "estimate_storage",
    "load_prices",
    "plan",
    "recommend_buffering",
    "recommend_partitioning",
    "recommend_stream_mode",
    "shards_for_throughput",
]
