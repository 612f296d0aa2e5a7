"""Public API of ml_data_platform: the one list of exports.

``__init__.py`` reads these imports to load each name on first use, and type checkers read
them as the package's interface.
"""

from ml_data_platform.analytics import (
    FlinkApplication,
    FlinkCheckpointingCheck,
    FlinkCode,
    FlinkLogLevel,
    FlinkRuntime,
    require_flink_checkpointing,
)
from ml_data_platform.catalog import (
    AthenaWorkgroup,
    DataCatalog,
    LakeCrawler,
    LakeFormationAccess,
    LakeTable,
    TableFormat,
)
from ml_data_platform.compliance import (
    ComplianceFindings,
    NagPack,
    acknowledge,
    acknowledge_policy_wildcards,
    check_validation_report,
    enable_compliance_checks,
)
from ml_data_platform.config import ConfigError, EnvironmentSettings, settings_from_context
from ml_data_platform.consumers import MlConsumer
from ml_data_platform.datasets import Column, DataFormat, Dataset
from ml_data_platform.events import ObjectCreatedPipelineTrigger, RestoreCompletedNotification
from ml_data_platform.monitoring import AlarmTopic
from ml_data_platform.planning.sizing import StreamMode, shards_for_throughput
from ml_data_platform.restore import LakeRestoreAccess
from ml_data_platform.stacks import (
    CatalogStack,
    IngestionStack,
    MlDataPlatform,
    MlDataPlatformStage,
    PipelineStack,
    PlatformOptions,
    ReplicaStack,
    ServicesStack,
    SharedIngestionStack,
    StorageStack,
    WarehouseStack,
    build_platform,
)
from ml_data_platform.storage import (
    AccessLevel,
    AccessLogsBucket,
    DataLake,
    DataLakeBucket,
    DataLakeKey,
    DataLakeZone,
    KeyProjection,
    LakeAccessPoint,
    Lifecycle,
    LifecyclePreset,
    LifecycleRule,
    PartitionGranularity,
    PartitionKey,
    PartitionLayout,
    StorageClass,
    Transition,
)
from ml_data_platform.storage.replication import (
    ReplicaSite,
    ZoneReplication,
    replica_key_alias_arn,
)
from ml_data_platform.streaming import IngestionStream, LakeDeliveryStream, SharedLayout
from ml_data_platform.video import VideoIngestStream, VideoStorageTier
from ml_data_platform.warehouse import (
    JsonPaths,
    JsonPathsFile,
    RedshiftColumn,
    RedshiftTable,
    RedshiftType,
    Warehouse,
    WarehouseDeliveryStream,
    WarehouseEndpoint,
    warehouse_staging_rule,
)

__version__: str

__all__ = [
    "AccessLevel",
    "AccessLogsBucket",
    "AlarmTopic",
    "AthenaWorkgroup",
    "CatalogStack",
    "Column",
    "ComplianceFindings",
    "ConfigError",
    "DataCatalog",
    "DataFormat",
    "DataLake",
    "DataLakeBucket",
    "DataLakeKey",
    "DataLakeZone",
    "Dataset",
    "EnvironmentSettings",
    "FlinkApplication",
    "FlinkCheckpointingCheck",
    "FlinkCode",
    "FlinkLogLevel",
    "FlinkRuntime",
    "IngestionStack",
    "IngestionStream",
    "JsonPaths",
    "JsonPathsFile",
    "KeyProjection",
    "LakeAccessPoint",
    "LakeCrawler",
    "LakeDeliveryStream",
    "LakeFormationAccess",
    "LakeRestoreAccess",
    "LakeTable",
    "Lifecycle",
    "LifecyclePreset",
    "LifecycleRule",
    "MlConsumer",
    "MlDataPlatform",
    "MlDataPlatformStage",
    "NagPack",
    "ObjectCreatedPipelineTrigger",
    "PartitionGranularity",
    "PartitionKey",
    "PartitionLayout",
    "PipelineStack",
    "PlatformOptions",
    "RedshiftColumn",
    "RedshiftTable",
    "RedshiftType",
    "ReplicaSite",
    "ReplicaStack",
    "RestoreCompletedNotification",
    "ServicesStack",
    "SharedIngestionStack",
    "SharedLayout",
    "StorageClass",
    "StorageStack",
    "StreamMode",
    "TableFormat",
    "Transition",
    "VideoIngestStream",
    "VideoStorageTier",
    "Warehouse",
    "WarehouseDeliveryStream",
    "WarehouseEndpoint",
    "WarehouseStack",
    "ZoneReplication",
    "__version__",
    "acknowledge",
    "acknowledge_policy_wildcards",
    "build_platform",
    "check_validation_report",
    "enable_compliance_checks",
    "replica_key_alias_arn",
    "require_flink_checkpointing",
    "settings_from_context",
    "shards_for_throughput",
    "warehouse_staging_rule",
]
