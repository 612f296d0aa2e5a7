"""Deployable stacks, the per-environment platform and stage, and the CI/CD pipeline."""

from ml_data_platform.stacks.catalog_stack import CatalogStack
from ml_data_platform.stacks.ingestion_stack import IngestionStack
from ml_data_platform.stacks.pipeline_stack import PipelineStack
from ml_data_platform.stacks.platform import MlDataPlatform, PlatformOptions
from ml_data_platform.stacks.replica_stack import ReplicaStack
from ml_data_platform.stacks.services_stack import ServicesStack
from ml_data_platform.stacks.shared_ingestion_stack import SharedIngestionStack
from ml_data_platform.stacks.stage import MlDataPlatformStage, build_platform
from ml_data_platform.stacks.storage_stack import StorageStack
from ml_data_platform.stacks.warehouse_stack import WarehouseStack

__all__ = [
    "CatalogStack",
    "IngestionStack",
    "MlDataPlatform",
    "MlDataPlatformStage",
    "PipelineStack",
    "PlatformOptions",
    "ReplicaStack",
    "ServicesStack",
    "SharedIngestionStack",
    "StorageStack",
    "WarehouseStack",
    "build_platform",
]
