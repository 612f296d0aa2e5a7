"""Settings of the optional services of an environment: event-driven pipeline triggers,
restores from the archive tiers, and video ingestion (``events``, ``restore``, ``video``).

Each section is off by default::

    "events": {"pipeline_triggers": [{"zone": "curated", "prefix": "features/",
                                      "pipeline_name": "retrain"}],
               "restore_notifications": true},
    "restore": {"zones": ["raw"]},
    "video": {"enabled": true, "retention_hours": 24, "storage_tier": "hot"}
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from ml_data_platform.config.reader import ConfigError, Reader
from ml_data_platform.core.inputs import repeated
from ml_data_platform.core.names import validate_key_prefix
from ml_data_platform.events.pipeline_trigger import (
    DEFAULT_BUCKET_PARAMETER,
    DEFAULT_KEY_PARAMETER,
    validate_parameter_names,
    validate_pipeline_name,
)
from ml_data_platform.storage.zones import DEFAULT_ZONES
from ml_data_platform.video.stream import (
    DEFAULT_RETENTION_HOURS,
    KVS_MAX_RETENTION_HOURS,
    VideoStorageTier,
)

ZONE_NAMES = tuple(zone.name for zone in DEFAULT_ZONES)


@dataclass(frozen=True)
class PipelineTriggerSettings:
    """One ``ObjectCreatedPipelineTrigger``: objects under ``prefix`` of ``zone`` start
    ``pipeline_name``."""

    zone: str
    prefix: str
    pipeline_name: str
    bucket_parameter: str = DEFAULT_BUCKET_PARAMETER
    key_parameter: str = DEFAULT_KEY_PARAMETER


@dataclass(frozen=True)
class EventSettings:
    """Event-driven hooks. Default: none."""

    pipeline_triggers: tuple[PipelineTriggerSettings, ...] = ()
    restore_notifications: bool = False


@dataclass(frozen=True)
class RestoreSettings:
    """``LakeRestoreAccess`` for each of ``zones``. Default: none."""

    zones: tuple[str, ...] = ()


@dataclass(frozen=True)
class VideoSettings:
    """One ``VideoIngestStream``. Default: off; 7 days retention, HOT tier when on."""

    enabled: bool = False
    retention_hours: int = DEFAULT_RETENTION_HOURS
    storage_tier: VideoStorageTier = VideoStorageTier.HOT


def read_events(reader: Reader) -> EventSettings:
    triggers = [_trigger(item) for item in reader.readers("pipeline_triggers")]
    seen = [(t.zone, t.prefix) for t in triggers]
    duplicates = repeated(seen)
    if duplicates:
        raise ConfigError(
            f"{reader.at('pipeline_triggers')}: more than one trigger for {duplicates} "
            "(zone, prefix): one pipeline per prefix"
        )
    settings = EventSettings(
        pipeline_triggers=tuple(triggers),
        restore_notifications=reader.optional("restore_notifications", bool, False),
    )
    reader.done()
    return settings


def read_restore(reader: Reader) -> RestoreSettings:
    zones = reader.optional("zones", list, [])
    for index, zone in enumerate(zones):
        if zone not in ZONE_NAMES:
            raise ConfigError(
                f"{reader.at('zones')}[{index}]: {zone!r} is not a zone ({list(ZONE_NAMES)})"
            )
    if len(set(zones)) != len(zones):
        raise ConfigError(f"{reader.at('zones')}: duplicate zones in {zones}")
    reader.done()
    return RestoreSettings(zones=tuple(zones))


def read_video(reader: Reader) -> VideoSettings:
    tiers = ", ".join(repr(t.value.lower()) for t in VideoStorageTier)
    settings = VideoSettings(
        enabled=reader.optional("enabled", bool, False),
        retention_hours=reader.integer(
            "retention_hours", DEFAULT_RETENTION_HOURS, minimum=1, maximum=KVS_MAX_RETENTION_HOURS
        ),
        storage_tier=reader.convert(
            "storage_tier",
            lambda value: VideoStorageTier(value.upper()),
            VideoStorageTier.HOT,
            f"one of {tiers}",
        ),
    )
    reader.done()
    return settings


def _trigger(item: Reader) -> PipelineTriggerSettings:
    zone = _zone(item, item.required("zone", str))
    prefix_value = item.required("prefix", str)
    name_value = item.required("pipeline_name", str)
    prefix = item.wrap(
        "prefix", partial(validate_key_prefix, prefix_value, "prefix", allow_empty=False)
    )
    name = item.wrap("pipeline_name", partial(validate_pipeline_name, name_value))
    bucket_parameter = item.optional("bucket_parameter", str, DEFAULT_BUCKET_PARAMETER)
    key_parameter = item.optional("key_parameter", str, DEFAULT_KEY_PARAMETER)
    item.wrap("key_parameter", partial(validate_parameter_names, bucket_parameter, key_parameter))
    item.done()
    return PipelineTriggerSettings(zone, prefix, name, bucket_parameter, key_parameter)


def _zone(reader: Reader, zone: str) -> str:
    if zone not in ZONE_NAMES:
        raise ConfigError(f"{reader.at('zone')}: {zone!r} is not a zone ({list(ZONE_NAMES)})")
    return zone
