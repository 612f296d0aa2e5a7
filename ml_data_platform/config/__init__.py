"""Typed per-environment settings from cdk.json context."""

from ml_data_platform.config.reader import ConfigError
from ml_data_platform.config.settings import (
    CONTEXT_KEY,
    ENV_CONTEXT_KEY,
    DeliveryFormat,
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

__all__ = [
    "CONTEXT_KEY",
    "ENV_CONTEXT_KEY",
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
