"""Real-time analytics between the stream and the lake: Managed Service for Apache Flink."""

from ml_data_platform.analytics.checkpointing import (
    FlinkCheckpointingCheck,
    require_flink_checkpointing,
)
from ml_data_platform.analytics.code import FlinkCode
from ml_data_platform.analytics.flink_application import (
    FlinkApplication,
    FlinkLogLevel,
    FlinkRuntime,
)

__all__ = [
    "FlinkApplication",
    "FlinkCheckpointingCheck",
    "FlinkCode",
    "FlinkLogLevel",
    "FlinkRuntime",
    "require_flink_checkpointing",
]
