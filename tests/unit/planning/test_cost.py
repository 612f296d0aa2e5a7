"""Cost model against hand-computed cases with a tiny fake price table.

Notation: a month is 30 days; ingesting 1 GB/month is 1/30 GB per day. Data aged a0–a1 days
at day t amounts to (min(t, a1) - min(t, a0)) days of ingest; a month's GB-months are the
average of that over the month times the monthly volume.
"""

from __future__ import annotations

import pytest

from ml_data_platform.planning import (
    Buffering,
    LineItem,
    WorkloadProfile,
    Zone,
    estimate_costs,
    estimate_storage,
)
from ml_data_platform.planning.prices import (
    MB,
    STANDARD,
    AthenaPrices,
    FirehosePrices,
    KinesisPrices,
    PriceTable,
    S3Prices,
)
from ml_data_platform.storage.lifecycle import Lifecycle, LifecyclePreset, StorageClass, Transition

S3 = S3Prices(
    storage_gb_month={
        STANDARD: 1.0,
        "STANDARD_IA": 0.5,
        "INTELLIGENT_TIERING": 0.8,
        "ONEZONE_IA": 0.4,
        "GLACIER_IR": 0.2,
        "GLACIER": 0.1,
        "DEEP_ARCHIVE": 0.1,
    },
    transition_per_1000_requests={c.api_name: 2.0 for c in StorageClass},
    intelligent_tiering_infrequent_gb_month=0.4,
    intelligent_tiering_archive_instant_gb_month=0.1,
    intelligent_tiering_monitoring_per_1000_objects=1.0,
)
PRICES = PriceTable(
    region="test-1",
    version=7,
    currency="XTS",
    retrieved="2026-01-01",
    sources=(),
    notes=(),
    s3=S3,
    kinesis=KinesisPrices(
        on_demand_stream_hour=1,
        on_demand_written_gb=10,
        on_demand_read_gb=100,
        shard_hour=1,
        put_payload_units_per_million=1,
    ),
    firehose=FirehosePrices(
        ingestion_gb=1,
        format_conversion_gb=10,
        dynamic_partitioning_gb=100,
        dynamic_partitioning_per_1000_objects=1000,
        dynamic_partitioning_jq_hour=1,
    ),
    # 2^20 per TB: each billed MB (2^20 bytes) costs exactly 1
    athena=AthenaPrices(scanned_tb=2**20, minimum_scanned_mb=10),
)
IA_30 = [Transition(StorageClass.STANDARD_IA, 30)]


def test_one_gb_a_month_through_ia_and_expiry() -> None:
    # 1 GB/month, 1,000 objects/month, Standard-IA at day 30, expire at day 60:
    # month 1 (days 0–30): Standard grows 0 → 1 GB, average 0.5 GB-month × 1.0    = 0.50
    # month 2 (30–60): Standard holds 1 GB (days 0–30 of age) = 1.0 × 1.0          = 1.00
    #                  IA grows 0 → 1 GB, 0.5 GB-month × 0.5                       = 0.25
    #                  1,000 objects reach day 30: 1,000 / 1,000 × 2.0             = 2.00
    # month 3 (60–90): Standard 1.0 + IA 1.0 × 0.5 = 1.50; transitions 2.00; 1 GB expires
    #                  after exactly IA's 30-day minimum: no early-deletion charge
    months = estimate_storage(1.0, 1000, IA_30, 60, S3, 3)
    assert [dict(m.gb_months) for m in months] == [
        {STANDARD: 0.5},
        {STANDARD: 1.0, "STANDARD_IA": 0.5},
        {STANDARD: 1.0, "STANDARD_IA": 1.0},
    ]
    assert [m.storage for m in months] == [0.5, 1.25, 1.5]
    assert [m.transitions for m in months] == pytest.approx([0.0, 2.0, 2.0])
    assert [m.early_deletion for m in months] == [0.0, 0.0, 0.0]
    # Standard only, same expiry: 0.5, then 1.5 (1 GB + 0 → 1 GB), then 2.0 (steady 2 GB)
    standard = estimate_storage(1.0, 1000, (), 60, S3, 3)
    assert [m.total for m in standard] == [0.5, 1.5, 2.0]


def test_expiring_before_the_minimum_duration_bills_the_rest() -> None:
    # Deep Archive at day 30, expire at day 90: 60 of its 180 days used, 120 days short.
    # Month 4 (90–120) deletes 1 GB: 1 GB × 120 / 30 months × 0.1 = 0.40
    months = estimate_storage(1.0, 1000, [Transition(StorageClass.DEEP_ARCHIVE, 30)], 90, S3, 4)
    assert [m.early_deletion for m in months] == pytest.approx([0.0, 0.0, 0.0, 0.4])


def test_intelligent_tiering_steps_down_tiers_and_charges_monitoring() -> None:
    # Intelligent-Tiering from day 0, never read, kept forever; 1 GB and 1,000 objects a month.
    # Ages: frequent 0–30 (0.8), infrequent 30–90 (0.4), archive instant 90+ (0.1).
    # month 1: frequent 0.5 → 0.40; 500 object-months → 0.50 monitoring; 1,000 transitions 2.00
    # month 2: frequent 1.0 (0.80) + infrequent 0.5 (0.20) = 1.00; monitoring 1.5 → 1.50
    # month 3: frequent 1.0 (0.80) + infrequent 1.5 (0.60) = 1.40; monitoring 2.50
    # month 4: frequent 1.0 (0.80) + infrequent 2.0 (0.80) + archive 0.5 (0.05) = 1.65
    months = estimate_storage(
        1.0, 1000, [Transition(StorageClass.INTELLIGENT_TIERING, 0)], None, S3, 4
    )
    assert [m.storage for m in months] == pytest.approx([0.4, 1.0, 1.4, 1.65])
    assert [m.monitoring for m in months] == pytest.approx([0.5, 1.5, 2.5, 3.5])
    assert [m.transitions for m in months] == pytest.approx([2.0] * 4)
    assert months[3].gb_months == {"INTELLIGENT_TIERING": pytest.approx(3.5)}


def profile(**overrides: object) -> WorkloadProfile:
    values: dict[str, object] = {
        "peak_events_per_second": 1,
        "average_events_per_second": 1,
        "average_event_bytes": 3072,
    }
    return WorkloadProfile(**{**values, **overrides})  # type: ignore[arg-type]


def test_estimate_adds_kinesis_and_firehose_to_raw_storage() -> None:
    # 1 event/s × 3 KB: 2,592,000 events/month = 7.4158 GB (2,592,000 × 3072 / 2^30).
    # Stream: 1 record/s fits on-demand's initial capacity → on-demand:
    #   720 h × 1 + 7.4158 GB written × 10 + 7.4158 GB read × 100 = 1,535.7349
    # Firehose: records billed as 5 KB → 12.3596 GB × 1 = 12.3596
    # Buffering: 3,072 B/s × 900 s = 2,764,800 B per object → 2,880 objects/month
    # Raw (Standard-IA at 30 days, kept): month 1 Standard 0.5 × 7.4158 = 3.7079;
    #   month 2 Standard 7.4158 + IA 3.7079 × 0.5 = 9.2697, transitions 2,880 × 2.0 / 1000 = 5.76
    # Standard only: month 1 3.7079, month 2 1.5 × 7.4158 = 11.1237
    lifecycles = {Zone.RAW: Lifecycle.preset(LifecyclePreset.INFREQUENT_ACCESS)}
    estimate = estimate_costs(profile(), lifecycles, months=2, prices=PRICES)
    first, second = estimate.months
    assert first.kinesis == pytest.approx(1535.7349, abs=1e-4)
    assert first.firehose == pytest.approx(12.3596, abs=1e-4)
    assert first.lifecycle.storage == pytest.approx(3.7079, abs=1e-4)
    assert second.items[LineItem.S3_STORAGE] == pytest.approx(9.2697, abs=1e-4)
    assert second.items[LineItem.S3_TRANSITIONS] == pytest.approx(5.76)
    assert second.standard_only.total == pytest.approx(11.1237, abs=1e-4)
    # month 2 saves 11.1237 - (9.2697 + 5.76) = -3.906: transitions cost more here
    assert second.savings == pytest.approx(-3.906, abs=1e-3)
    assert estimate.totals[LineItem.KINESIS] == pytest.approx(2 * 1535.7349, abs=1e-3)
    assert estimate.total == pytest.approx(first.total + second.total)
    assert estimate.savings == pytest.approx(estimate.standard_only_total - estimate.total)
    assert (estimate.region, estimate.currency, estimate.price_version) == ("test-1", "XTS", 7)
    # no queries: no Athena charge
    assert first.athena == 0 and estimate.totals[LineItem.ATHENA] == 0


def test_athena_scans_one_day_of_stored_data_by_default() -> None:
    # 10 events/s × 4,096 B = 40,960 B/s; one day: × 86,400 = 3,538,944,000 B ingested,
    # stored at compression ratio 4: 884,736,000 B = 843.75 MiB → billed as 844 MB.
    # 10 queries/day × 30 days × 844 MB × 1 per MB = 253,200 a month
    lifecycles = {Zone.RAW: Lifecycle.preset(LifecyclePreset.STANDARD)}
    busy = profile(
        peak_events_per_second=10,
        average_events_per_second=10,
        average_event_bytes=4096,
        compression_ratio=4,
        queries_per_day=10,
    )
    assert busy.query_scanned_bytes == 884_736_000 == 843.75 * MB
    estimate = estimate_costs(busy, lifecycles, months=2, prices=PRICES)
    assert [m.athena for m in estimate.months] == pytest.approx([253_200, 253_200])
    assert estimate.totals[LineItem.ATHENA] == pytest.approx(506_400)
    assert (
        "Athena: 10 queries/day, each scanning 843.8 MiB (default: one day of raw data as "
        "stored), billed as 844 MB each"
    ) in estimate.notes


def test_athena_is_in_both_totals_and_does_not_change_the_savings() -> None:
    # 1,000 queries/day of 1 MiB each: billed the 10 MB minimum, 1,000 × 30 × 10 = 300,000
    lifecycles = {Zone.RAW: Lifecycle.preset(LifecyclePreset.INFREQUENT_ACCESS)}
    quiet = estimate_costs(profile(), lifecycles, months=2, prices=PRICES)
    queried = estimate_costs(
        profile(queries_per_day=1000, query_scanned_mib=1), lifecycles, months=2, prices=PRICES
    )
    for without, month in zip(quiet.months, queried.months, strict=True):
        assert month.athena == pytest.approx(300_000)
        assert month.items[LineItem.ATHENA] == month.athena
        assert month.total == pytest.approx(without.total + 300_000)
        assert month.standard_only_total == pytest.approx(without.standard_only_total + 300_000)
        assert month.total == pytest.approx(sum(month.items.values()))
    assert queried.total == pytest.approx(quiet.total + 600_000)
    assert queried.standard_only_total == pytest.approx(quiet.standard_only_total + 600_000)
    assert queried.savings == pytest.approx(quiet.savings)
    assert queried.totals[LineItem.ATHENA] == pytest.approx(600_000)
    assert "billed as 10 MB each" in " | ".join(queried.notes)


def test_objects_under_128_kib_stay_in_standard() -> None:
    # 1 event/s × 100 B × 900 s = 90,000 B objects < 131,072 B: S3 does not transition them
    lifecycles = {Zone.RAW: Lifecycle.preset(LifecyclePreset.ARCHIVE)}
    estimate = estimate_costs(profile(average_event_bytes=100), lifecycles, months=3, prices=PRICES)
    assert all(m.lifecycle == m.standard_only for m in estimate.months)
    assert any("under 128 KiB" in note for note in estimate.notes)


def test_dynamic_partitioning_adds_its_gb_objects_and_jq_hours_to_firehose() -> None:
    # The profile above with 64 MiB / 900 s buffering: 2,880 objects/month either way.
    # Firehose: 12.3596 (5 KB-rounded ingestion) + 7.4158 GB partitioned × 100 = 741.577
    #   + 2,880 objects / 1000 × 1000 = 2,880 + jq all month: 720 h × 1 = 720
    lifecycles = {Zone.RAW: Lifecycle.preset(LifecyclePreset.STANDARD)}
    buffering = Buffering(64, 900, "test")
    plain, partitioned = (
        estimate_costs(
            profile(dynamic_partitioning=keys),
            lifecycles,
            months=1,
            prices=PRICES,
            buffering=buffering,
        ).months[0]
        for keys in (False, True)
    )
    assert plain.firehose == pytest.approx(12.3596, abs=1e-4)
    assert partitioned.firehose == pytest.approx(12.3596 + 741.577 + 2880 + 720, abs=1e-2)


def test_notes_flag_assumptions_and_what_is_not_priced() -> None:
    lifecycles = {Zone.RAW: Lifecycle.preset(LifecyclePreset.STANDARD)}
    estimate = estimate_costs(
        profile(stream_retention_hours=48, queries_per_day=10, dynamic_partitioning=True),
        lifecycles,
        months=1,
        prices=PRICES,
    )
    text = " | ".join(estimate.notes)
    assert "extended retention beyond 24 h is not priced" in text
    assert not any("Athena" in note and "not priced" in note for note in estimate.notes)
    # 1 event/s × 3,072 B × 86,400 s = 265,420,800 B = 253.125 MiB a day → billed as 254 MB
    assert (
        "Athena: 10 queries/day, each scanning 253.1 MiB (default: one day of raw data as "
        "stored), billed as 254 MB each"
    ) in text
    assert "one object per buffer flush assumed" in text
    assert "jq assumed to run all month (720 h × 1 XTS/h: measure JQProcessing.Duration)" in text


def test_estimate_needs_the_raw_lifecycle_and_whole_months() -> None:
    with pytest.raises(ValueError, match="lifecycle_per_zone needs the raw zone"):
        estimate_costs(profile(), {Zone.CURATED: Lifecycle()}, prices=PRICES)
    with pytest.raises(ValueError, match="months must be ≥ 1, got 0"):
        estimate_costs(profile(), {Zone.RAW: Lifecycle()}, months=0, prices=PRICES)
