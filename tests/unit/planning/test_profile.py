"""WorkloadProfile defaults, zone access and validation messages."""

from __future__ import annotations

import pytest

from ml_data_platform.planning import AccessPattern, WorkloadProfile, Zone
from ml_data_platform.storage.lifecycle import LifecyclePreset


def profile(**overrides: object) -> WorkloadProfile:
    values: dict[str, object] = {
        "peak_events_per_second": 200,
        "average_events_per_second": 100,
        "average_event_bytes": 1000,
    }
    return WorkloadProfile(**{**values, **overrides})  # type: ignore[arg-type]


def test_defaults_give_every_zone_an_access_pattern() -> None:
    result = profile()
    assert dict(result.zone_access) == {
        Zone.RAW: AccessPattern.MONTHLY_THEN_RARE,
        Zone.CURATED: AccessPattern.UNPREDICTABLE,
        Zone.ANALYTICS: AccessPattern.FREQUENT_THEN_MONTHLY,
    }
    assert (result.stream_retention_hours, result.retention_days, result.region) == (
        24,
        None,
        "us-east-1",
    )
    assert result.average_bytes_per_second == 100_000
    assert result.query_scanned_mib is None


def test_queries_scan_one_day_of_stored_data_unless_told() -> None:
    # 100,000 B/s × 86,400 s = 8,640,000,000 B a day; stored at ratio 4: 2,160,000,000 B
    assert profile().query_scanned_bytes == 8_640_000_000
    assert profile(compression_ratio=4).query_scanned_bytes == 2_160_000_000
    assert profile(query_scanned_mib=1.5, compression_ratio=4).query_scanned_bytes == 1_572_864


def test_overrides_by_name_or_zone_keep_other_defaults() -> None:
    result = profile(
        zone_access={"raw": AccessPattern.LOGS, Zone.ANALYTICS: AccessPattern.FREQUENT}
    )
    assert result.zone_access[Zone.RAW] is AccessPattern.LOGS
    assert result.zone_access["analytics"] is AccessPattern.FREQUENT
    assert result.zone_access[Zone.CURATED] is AccessPattern.UNPREDICTABLE


def test_access_patterns_map_to_lifecycle_presets() -> None:
    assert {pattern: pattern.preset for pattern in AccessPattern} == {
        AccessPattern.FREQUENT: LifecyclePreset.STANDARD,
        AccessPattern.FREQUENT_THEN_MONTHLY: LifecyclePreset.INFREQUENT_ACCESS,
        AccessPattern.MONTHLY_THEN_RARE: LifecyclePreset.ARCHIVE,
        AccessPattern.UNPREDICTABLE: LifecyclePreset.INTELLIGENT_TIERING,
        AccessPattern.LOGS: LifecyclePreset.LOGS,
    }


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"peak_events_per_second": 100, "average_events_per_second": 200},
            "peak_events_per_second (100) must be ≥ average_events_per_second (200)",
        ),
        ({"peak_events_per_second": 0}, "peak_events_per_second must be a positive number, got 0"),
        ({"average_event_bytes": 0}, "average_event_bytes must be ≥ 1, got 0"),
        ({"retention_days": 0}, "retention_days must be ≥ 1, got 0"),
        ({"stream_retention_hours": 23}, "stream_retention_hours must be ≥ 24, got 23"),
        ({"stream_retention_hours": 8761}, "stream_retention_hours must be ≤ 8760, got 8761"),
        ({"queries_per_day": -1}, "queries_per_day must be ≥ 0, got -1"),
        ({"compression_ratio": 0}, "compression_ratio must be a positive number, got 0"),
        ({"query_scanned_mib": 0}, "query_scanned_mib must be a positive number, got 0"),
        ({"query_scanned_mib": -2.5}, "query_scanned_mib must be a positive number, got -2.5"),
        (
            {"query_scanned_mib": float("nan")},
            "query_scanned_mib must be a positive number, got nan",
        ),
        ({"region": ""}, "region must be a region name such as 'us-east-1', got ''"),
        (
            {"zone_access": {"gold": AccessPattern.FREQUENT}},
            "zone_access: unknown zones ['gold']; zones are ['raw', 'curated', 'analytics']",
        ),
        (
            {"zone_access": {"raw": "frequent"}},
            "zone_access['raw'] must be an AccessPattern (FREQUENT, FREQUENT_THEN_MONTHLY, "
            "MONTHLY_THEN_RARE, UNPREDICTABLE, LOGS), got 'frequent'",
        ),
    ],
)
def test_invalid_profiles_say_what_is_wrong(overrides: dict, message: str) -> None:
    with pytest.raises(ValueError) as error:
        profile(**overrides)
    assert str(error.value) == message


def test_zone_access_must_be_a_mapping() -> None:
    with pytest.raises(TypeError) as error:
        profile(zone_access=[AccessPattern.FREQUENT])
    assert str(error.value) == (
        "zone_access must be a mapping of zone to AccessPattern, got [<AccessPattern.FREQUENT: "
        "'frequent'>]"
    )


def test_wrong_types_raise_type_error() -> None:
    with pytest.raises(TypeError, match="parquet must be a bool, got 'yes'"):
        profile(parquet="yes")
    with pytest.raises(TypeError, match="average_event_bytes must be an integer"):
        profile(average_event_bytes=1.5)
