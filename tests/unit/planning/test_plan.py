"""plan(): combined settings and the exact cdk.json context shape."""

from __future__ import annotations

import pytest

from ml_data_platform.config import CONTEXT_KEY, settings_from_context
from ml_data_platform.planning import AccessPattern, StreamMode, WorkloadProfile, Zone, plan
from ml_data_platform.storage import DataLakeZone
from ml_data_platform.storage.lifecycle import Lifecycle, LifecyclePreset

DATASETS = [{"name": "events", "columns": [{"name": "id", "type": "string"}]}]


def read_back(context: dict, env_name: str):
    """``context`` with a dataset added, through the config loader."""
    context[CONTEXT_KEY]["environments"][env_name]["datasets"] = DATASETS
    return settings_from_context(context, env_name)


def test_context_for_a_provisioned_parquet_stream() -> None:
    # 5,000 peak / 2,000 average × 2048 B: steady (2.5), 9.77 MiB/s peak → 13 shards, cheaper
    # than on-demand; 3.91 MiB/s fills a 128 MiB buffer in 33 s
    result = plan(
        WorkloadProfile(
            peak_events_per_second=5000,
            average_events_per_second=2000,
            average_event_bytes=2048,
            retention_days=365,
            stream_retention_hours=48,
            parquet=True,
        )
    )
    assert result.to_context("dev") == {
        "ml-data-platform": {
            "environments": {
                "dev": {
                    "stream": {"mode": "provisioned", "shard_count": 13, "retention_hours": 48},
                    "delivery": {
                        "buffer_interval_seconds": 900,
                        "buffer_size_mib": 128,
                        "format": "parquet",
                    },
                    "lifecycle": {
                        "raw": {"preset": "archive", "expire_after_days": 365},
                        "curated": "intelligent-tiering",
                        "analytics": "infrequent-access",
                    },
                }
            }
        }
    }
    assert len(result.costs.months) == 12
    assert result.costs.savings > 0


def test_on_demand_context_has_no_shard_count() -> None:
    result = plan(
        WorkloadProfile(
            peak_events_per_second=100,
            average_events_per_second=10,
            average_event_bytes=500,
            dynamic_partitioning=True,
            zone_access={"raw": AccessPattern.LOGS},
        )
    )
    environment = result.to_context("prod")["ml-data-platform"]["environments"]["prod"]
    assert environment["stream"] == {"mode": "on-demand", "retention_hours": 24}
    assert environment["delivery"]["format"] == "json-gzip"
    assert "dynamic_partitioning" not in environment["delivery"]  # not a config key
    assert environment["delivery"]["buffer_interval_seconds"] == 600  # 900 / 1.5
    assert environment["lifecycle"]["raw"] == "logs"  # no retention_days: the preset's own
    assert result.lifecycle_presets[Zone.RAW] is LifecyclePreset.LOGS


def test_environment_names_must_be_safe() -> None:
    result = plan(WorkloadProfile(10, 10, 100))
    with pytest.raises(ValueError, match="env_name 'Prod!' must be 1–31 lowercase letters"):
        result.to_context("Prod!")


@pytest.mark.parametrize(
    ("days", "preset"),
    [
        (100, LifecyclePreset.INFREQUENT_ACCESS),  # IA at 30, kept its 30-day minimum by 60
        (60, LifecyclePreset.INFREQUENT_ACCESS),
        (59, LifecyclePreset.STANDARD),  # IA would bill days the data was not kept
        (30, LifecyclePreset.STANDARD),
        (1, LifecyclePreset.STANDARD),
    ],
)
def test_a_retention_shorter_than_the_raw_tiering_gets_a_preset_that_fits(days, preset) -> None:
    result = plan(WorkloadProfile(10, 10, 100, retention_days=days))
    assert result.lifecycle_presets[Zone.RAW] is preset
    assert result.notes == (
        f"raw zone: retention_days {days} does not outlast the archive preset's last transition "
        f"(DEEP_ARCHIVE at day 180) of access pattern monthly-then-rare; planned with "
        f"{preset.value} instead (choose another with --raw-access / zone_access)",
    )
    raw = read_back(result.to_context("dev"), "dev").lifecycle["raw"]
    assert raw == Lifecycle.preset(preset, expire_after_days=days)


def test_a_retention_past_the_last_transition_keeps_the_preset() -> None:
    result = plan(WorkloadProfile(10, 10, 100, retention_days=181))
    assert result.lifecycle_presets[Zone.RAW] is LifecyclePreset.ARCHIVE
    assert result.notes == ()
    logs = WorkloadProfile(10, 10, 100, retention_days=20, zone_access={"raw": AccessPattern.LOGS})
    assert plan(logs).lifecycle_presets[Zone.RAW] is LifecyclePreset.STANDARD


@pytest.mark.parametrize(
    ("profile", "mode", "shards", "raw"),
    [
        (
            WorkloadProfile(5000, 2000, 2048, retention_days=400, stream_retention_hours=48),
            StreamMode.PROVISIONED,
            13,
            Lifecycle.preset(LifecyclePreset.ARCHIVE, expire_after_days=400),
        ),
        (
            WorkloadProfile(
                100,
                10,
                500,
                stream_retention_hours=8760,
                parquet=True,
                dynamic_partitioning=True,
                zone_access={"raw": AccessPattern.LOGS},
            ),
            StreamMode.ON_DEMAND,
            None,
            Lifecycle.preset(LifecyclePreset.LOGS),
        ),
        (
            WorkloadProfile(
                100, 100, 500, retention_days=30, zone_access={"raw": AccessPattern.FREQUENT}
            ),
            StreamMode.ON_DEMAND,
            None,
            Lifecycle.preset(LifecyclePreset.STANDARD, expire_after_days=30),
        ),
    ],
)
def test_context_round_trips_through_the_config_loader(profile, mode, shards, raw) -> None:
    result = plan(profile)
    settings = read_back(result.to_context("prod"), "prod")
    assert settings.stream.mode is result.stream.mode is mode
    assert settings.stream.shard_count == result.stream.shard_count == shards
    assert settings.stream.retention_hours == profile.stream_retention_hours
    assert settings.delivery.buffer_interval_seconds == result.buffering.interval_seconds
    assert settings.delivery.buffer_size_mib == result.buffering.size_mib
    assert settings.delivery.format.value == result.delivery_format.value
    lifecycles = {
        zone: DataLakeZone(zone.value, settings.lifecycle[zone.value]).resolved_lifecycle()
        for zone in Zone
    }
    assert lifecycles[Zone.RAW] == raw
    for zone in (Zone.CURATED, Zone.ANALYTICS):
        assert lifecycles[zone] == Lifecycle.preset(result.lifecycle_presets[zone])


def test_partitioning_follows_the_stored_volume_per_hour() -> None:
    busy = plan(WorkloadProfile(5_000, 2_000, 2_048))
    assert busy.partitioning.granularity.name == "HOUR"
    # 10 events/s x 1,000 B = 36 MB an hour, 9 MB stored at compression 4: daily partitions
    quiet = plan(WorkloadProfile(10, 10, 1_000, compression_ratio=4))
    assert quiet.partitioning.reason == "8.6 MiB/hour stored < 128 MiB: daily partitions"
    assert plan(WorkloadProfile(10, 10, 1_000)).partitioning.reason.startswith("34.3 MiB/hour")
