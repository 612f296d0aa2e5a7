"""plan(): combined settings and the exact cdk.json context shape."""

from __future__ import annotations

import pytest

from ml_data_platform.planning import AccessPattern, WorkloadProfile, Zone, plan
from ml_data_platform.storage.lifecycle import LifecyclePreset


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
                        "dynamic_partitioning": False,
                    },
                    "lifecycle": {
                        "raw": "archive",
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
    assert environment["delivery"]["dynamic_partitioning"] is True
    assert environment["delivery"]["buffer_interval_seconds"] == 600  # 900 / 1.5
    assert result.lifecycle_presets[Zone.RAW] is LifecyclePreset.LOGS


def test_environment_names_must_be_safe() -> None:
    result = plan(WorkloadProfile(10, 10, 100))
    with pytest.raises(ValueError, match="env_name 'Prod!' must be 1–31 lowercase letters"):
        result.to_context("Prod!")


def test_retention_shorter_than_the_raw_tiering_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"expire_after_days \(100\) must be after the last"):
        plan(WorkloadProfile(10, 10, 100, retention_days=100))
