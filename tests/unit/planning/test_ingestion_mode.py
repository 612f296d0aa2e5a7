"""Dedicated vs shared ingestion, priced by hand with a fake price table of round numbers.

Unit volume used below: ``2**20 / 2_592_000`` records/s of 1,024 bytes is 2^20 records and
exactly 1 GB (2^30 bytes) a month (a month is 30 days = 2,592,000 s = 720 h).
"""

from __future__ import annotations

import dataclasses

import pytest

from ml_data_platform.planning import StreamMode
from ml_data_platform.planning.ingestion_mode import (
    DatasetVolume,
    IngestionMode,
    compare_ingestion_modes,
)
from ml_data_platform.planning.prices import FirehosePrices, KinesisPrices, load_prices

ONE_GB_A_MONTH = 2**20 / 2_592_000
PRICES = dataclasses.replace(
    load_prices(),
    currency="XTS",
    kinesis=KinesisPrices(
        on_demand_stream_hour=0.01,  # 7.20 a month
        on_demand_written_gb=1,
        on_demand_read_gb=1,
        shard_hour=0.01,
        put_payload_units_per_million=1,
    ),
    firehose=FirehosePrices(
        ingestion_gb=1,
        format_conversion_gb=10,
        dynamic_partitioning_gb=2,
        dynamic_partitioning_per_1000_objects=0.1,
        dynamic_partitioning_jq_hour=0.005,  # 3.60 a month
    ),
)


def small(name: str, **kwargs) -> DatasetVolume:
    return DatasetVolume(name, ONE_GB_A_MONTH, 1024, **kwargs)


def compare(*volumes: DatasetVolume, **kwargs):
    return compare_ingestion_modes(volumes, prices=PRICES, **kwargs)


# One small dataset (1 GB/month), by hand:
#   dedicated: stream 720 h × 0.01 = 7.20; Kinesis data 1 GB written (1 KB records) × 1 +
#   1 GB read × 1 = 2.00; Firehose 5 GB billed (1 KB rounded up to 5 KB) × 1 = 5.00 → 14.20
#   partitioning if shared: 1 GB × 2 = 2.00; objects: 414.25 B/s × 300 s ≈ 121 KiB per flush,
#   so one object per flush: 2,592,000 s / 300 s = 8,640 objects × 0.1 / 1,000 = 0.864
#   → sharing saves 7.20 − 2.864 = 4.336 per dataset; the group pays 7.20 (stream) + 3.60 (jq)
DEDICATED_SMALL = 14.20
PARTITIONING_SMALL = 2.864


def test_three_small_datasets_share_and_parquet_stays_dedicated():
    result = compare(small("a"), small("b"), small("c"), small("p", parquet=True))
    # 3 × 4.336 = 13.008 saved > 10.80 group charges: a, b, c share.
    assert result.modes == {
        "a": IngestionMode.SHARED,
        "b": IngestionMode.SHARED,
        "c": IngestionMode.SHARED,
        "p": IngestionMode.DEDICATED,
    }
    a = result.datasets[0]
    assert a.dedicated.total == pytest.approx(DEDICATED_SMALL)
    # shared: 7.20 / 3 = 2.40 stream + 2.00 Kinesis data + 5.00 Firehose + 2.864 + 3.60 / 3
    assert a.shared.stream_fixed == pytest.approx(2.40)
    assert a.shared.partitioning == pytest.approx(PARTITIONING_SMALL + 1.20)
    assert a.shared.total == pytest.approx(13.464)
    # Parquet: 7.20 + 2.00 + 5.00 + 5 GB × 10 conversion = 64.20, no shared price
    p = result.datasets[3]
    assert p.shared is None and p.dedicated.total == pytest.approx(64.20)
    assert "one table schema per delivery" in p.reason
    assert result.all_dedicated_total == pytest.approx(3 * 14.20 + 64.20)  # 106.80
    assert result.recommended_total == pytest.approx(3 * 13.464 + 64.20)  # 104.592
    assert "3 datasets save 13.01" in a.reason and "(10.80)" in a.reason


def test_a_dataset_with_partition_keys_pays_its_own_partitioning_and_stays_dedicated():
    # "k" partitions by keys from its records: dedicated only, and its own delivery pays
    # 2.864 partitioning + 3.60 jq (all month) → 14.20 + 6.464 = 20.664. It is no sharer:
    # a, b, c share as without it (13.464 each, 3.60 / 3 of the jq each).
    result = compare(small("a"), small("b"), small("c"), small("k", partitioned=True))
    assert result.modes["k"] is IngestionMode.DEDICATED
    k = result.datasets[3]
    assert k.shared is None
    assert k.dedicated.partitioning == pytest.approx(PARTITIONING_SMALL + 3.60)
    assert k.dedicated.total == pytest.approx(20.664)
    assert k.reason == "partition keys: a shared delivery partitions by dataset and time only"
    assert [result.modes[n] for n in "abc"] == [IngestionMode.SHARED] * 3
    assert result.datasets[0].shared.total == pytest.approx(13.464)
    assert result.datasets[0].dedicated.partitioning == 0.0  # no keys: no partitioning


def test_two_small_datasets_do_not_pay_for_a_shared_stream():
    # 2 × 4.336 = 8.672 < 10.80: both dedicated; their shared price is shown as a pair:
    # 7.20 / 2 + 2.00 + 5.00 + 2.864 + 3.60 / 2 = 15.264 > 14.20.
    result = compare(small("a"), small("b"))
    assert set(result.modes.values()) == {IngestionMode.DEDICATED}
    assert result.datasets[0].shared.total == pytest.approx(15.264)
    assert result.recommended_total == pytest.approx(result.all_dedicated_total) == 28.40
    assert "would save 8.67, not more than the shared stream and jq (10.80)" in (
        result.datasets[0].reason
    )


def test_a_large_dataset_keeps_its_stream_while_small_ones_share():
    # 10 GB/month: partitioning 10 × 2 = 20.00 + objects (still one per flush) 0.864 > 7.20.
    big = DatasetVolume("big", 10 * ONE_GB_A_MONTH, 1024)
    result = compare(small("a"), small("b"), small("c"), big)
    assert result.modes["big"] is IngestionMode.DEDICATED
    assert [result.modes[n] for n in "abc"] == [IngestionMode.SHARED] * 3
    big_row = result.datasets[3]
    # dedicated: 7.20 + 10 × 2 Kinesis data + 50 GB billed by Firehose = 77.20
    assert big_row.dedicated.total == pytest.approx(77.20)
    assert "partitioning charges (20.86) are not less than a stream of its own (7.20)" in (
        big_row.reason
    )


def test_groups_are_priced_apart():
    # 2 + 2 in two groups (e.g. hourly vs daily): neither group reaches 3.
    result = compare(small("a"), small("b"), small("c", group="daily"), small("d", group="daily"))
    assert set(result.modes.values()) == {IngestionMode.DEDICATED}


def test_provisioned_streams_pay_shard_hours():
    # 2 shards × 720 h × 0.01 = 14.40 per stream; PUT payload units: 2^20 records of 1 KB,
    # one 25 KB unit each = 1.048576 million × 1 = 1.048576; Firehose 5.00 → 20.448576
    result = compare(small("a"), stream_mode=StreamMode.PROVISIONED, shard_count=2)
    assert result.datasets[0].dedicated.total == pytest.approx(20.448576)


@pytest.mark.parametrize(
    ("volumes", "kwargs", "message"),
    [
        ((small("a"), small("a")), {}, r"duplicate dataset names \['a'\]"),
        ((small("a"),), {"stream_mode": StreamMode.PROVISIONED}, "shard_count is required"),
        ((small("a"),), {"shard_count": 2}, "shard_count is only valid"),
    ],
)
def test_bad_input(volumes, kwargs, message):
    with pytest.raises(ValueError, match=message):
        compare(*volumes, **kwargs)


def test_a_volume_must_be_positive():
    with pytest.raises(ValueError, match="records_per_second"):
        DatasetVolume("a", 0, 100)
    with pytest.raises(ValueError, match="record_bytes must be ≥ 1"):
        DatasetVolume("a", 1, 0)


def test_real_prices_share_many_tiny_datasets():
    # us-east-1: 100 datasets of 1 record/s × 500 B; each on-demand stream costs 28.80/month.
    tiny = [DatasetVolume(f"d{i}", 1, 500) for i in range(100)]
    result = compare_ingestion_modes(tiny)
    assert set(result.modes.values()) == {IngestionMode.SHARED}
    assert result.recommended_total < result.all_dedicated_total / 5
