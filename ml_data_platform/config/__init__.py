"""Typed per-environment settings from cdk.json context."""

from ml_data_platform.config.reader import ConfigError
from ml_data_platform.config.settings import (
    ENV_CONTEXT_KEY,
    PIPELINE_STACK_ID,
    DeliverySettings,
    EnvironmentSettings,
    PipelineSettings,
    Removal,
    StreamSettings,
    WarehouseSettings,
    all_environments,
    pipeline_settings,
    settings_from_context,
)
from ml_data_platform.core.names import CONTEXT_KEY
from ml_data_platform.datasets import DeliveryFormat

__all__ = [
    "CONTEXT_KEY",
    "ENV_CONTEXT_KEY",
    "PIPELINE_STACK_ID",
    "ConfigError",
    "DeliveryFormat",
    "DeliverySettings",
    "EnvironmentSettings",
    "PipelineSettings",
    "Removal",
    "StreamSettings",
    "WarehouseSettings",
    "all_environments",
    "pipeline_settings",
    "settings_from_context",
]
