"""Shards, capacity mode and buffering: hand-computed cases, limits and messages."""

from __future__ import annotations

import dataclasses

import pytest

from ml_data_platform.planning import (
    PartitioningRecommendation,
    StreamMode,
    StreamRecommendation,
    load_prices,
    recommend_buffering,
    recommend_partitioning,
    recommend_stream_mode,
    shards_for_throughput,
)
from ml_data_platform.planning.prices import PriceTable
from ml_data_platform.storage import PartitionGranularity

MIB = 1024 * 1024


# --- shards_for_throughput -------------------------------------------------------------------


def test_bytes_decide_the_spec_example() -> None:
    # 5000 ev/s × 2048 B = 10,240,000 B/s = 9.77 MiB/s (records: 5000/1000 = 5 shards)
    # 9.77 × 1.25 = 12.2 → 13 shards
    assert shards_for_throughput(5000, 2048) == 13


def test_records_decide_for_small_records() -> None:
    # 5000 ev/s × 100 B = 0.48 MiB/s, but 5000 records/s / 1000 = 5 shards; × 1.25 = 6.25 → 7
    assert shards_for_throughput(5000, 100) == 7


@pytest.mark.parametrize(
    ("records", "size", "shards"),
    [
        (512, 2048, 1),  # exactly 1 MiB/s (and 512 records/s): one shard
        (512, 2049, 2),  # one byte per record more: 1.0005 MiB/s
        (1000, 1, 1),  # exactly 1,000 records/s: one shard
        (1001, 1, 2),  # one record/s more
    ],
)
def test_exactly_at_a_per_shard_limit_fits_one_shard(records: int, size: int, shards: int) -> None:
    assert shards_for_throughput(records, size, headroom=0) == shards


def test_float_noise_does_not_add_a_shard() -> None:
    # 5,120 × 2048 B = 10 MiB/s → 10 shards; × 1.1 = 11 exactly (11.000000000000002 in floats)
    assert shards_for_throughput(5120, 2048, headroom=0.1) == 11


def test_at_least_one_shard_and_headroom_bounds_are_inclusive() -> None:
    assert shards_for_throughput(0.001, 1) == 1
    # 1 MiB/s × (1 + 4) = 5 shards
    assert shards_for_throughput(512, 2048, headroom=4) == 5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"records_per_second": 0, "average_record_bytes": 1},
            "records_per_second must be a positive number, got 0",
        ),
        (
            {"records_per_second": float("nan"), "average_record_bytes": 1},
            "records_per_second must be a positive number, got nan",
        ),
        (
            {"records_per_second": 1, "average_record_bytes": 1.5},
            "average_record_bytes must be a positive integer, got 1.5",
        ),
        (
            {"records_per_second": 1, "average_record_bytes": True},
            "average_record_bytes must be a positive integer, got True",
        ),
        (
            {"records_per_second": 1, "average_record_bytes": 1, "headroom": 4.01},
            "headroom must be a number from 0 to 4, got 4.01",
        ),
        (
            {"records_per_second": 1, "average_record_bytes": 1, "headroom": -0.1},
            "headroom must be a number from 0 to 4, got -0.1",
        ),
    ],
)
def test_invalid_inputs_name_the_argument_and_value(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError) as error:
        shards_for_throughput(**kwargs)
    assert str(error.value) == message


# --- recommend_stream_mode -------------------------------------------------------------------


def test_above_on_demand_maximum_is_provisioned() -> None:
    # 210,000 × 1024 B = 205 MiB/s > 200 MiB/s; records decide: 210 × 1.25 = 262.5 → 263 shards
    result = recommend_stream_mode(210_000, 1024, 210_000)
    assert (result.mode, result.shard_count) == (StreamMode.PROVISIONED, 263)
    assert "exceeds on-demand's 200 MiB/s maximum" in result.reason


@pytest.mark.parametrize(("average", "mode"), [(10_000, "on-demand"), (10_050, "provisioned")])
def test_spiky_from_a_peak_three_times_the_average(average: int, mode: str) -> None:
    # peak 30,000 × 1024 B = 29.3 MiB/s; 30,000 / 10,000 = 3.0 is spiky, / 10,050 = 2.99 is not
    # (then steady and large: provisioned is cheaper, see test_price_comparison_...)
    result = recommend_stream_mode(30_000, 1024, average)
    assert result.mode.value == mode


@pytest.mark.parametrize(("peak", "mode"), [(4000, "on-demand"), (4001, "provisioned")])
def test_small_while_the_peak_fits_on_demand_initial_capacity(peak: int, mode: str) -> None:
    # 4,000 records/s × 1024 B = 3.9 MiB/s: 4 shards' worth (4 MiB/s, 4,000 records/s) fits;
    # 4,001 records/s needs a 5th
    result = recommend_stream_mode(peak, 1024, peak)
    assert result.mode.value == mode
    if mode == "on-demand":
        assert result.reason.startswith("small: peak 3.91 MiB/s, 4,000 records/s")


def test_price_comparison_decides_for_steady_large_workloads() -> None:
    # 5,000 records/s × 1024 B, steady: 7 shards (5 by records × 1.25 = 6.25 → 7)
    # provisioned: 7 × 720 h × 0.015 = 75.60 + 12.96e9 PUT units × 0.014/1e6 = 181.44 → 257.04
    # on-demand: 720 × 0.04 = 28.80 + 12,359.6 GB × (0.08 written + 0.04 read) = 1,483.15
    #            → 1,511.95
    prices = load_prices("us-east-1")
    assert prices.kinesis.provisioned_monthly(7, 5000, 1024) == pytest.approx(257.04)
    assert prices.kinesis.on_demand_monthly(5000, 1024) == pytest.approx(1511.954, abs=0.01)
    result = recommend_stream_mode(5000, 1024, 5000, prices=prices)
    assert (result.mode, result.shard_count) == (StreamMode.PROVISIONED, 7)
    assert "7 shards 257 vs on-demand 1,512 USD/month" in result.reason


def test_on_demand_when_the_price_table_makes_it_cheaper() -> None:
    prices = load_prices("us-east-1")
    free_on_demand = dataclasses.replace(
        prices.kinesis, on_demand_stream_hour=0, on_demand_written_gb=0, on_demand_read_gb=0
    )
    table: PriceTable = dataclasses.replace(prices, kinesis=free_on_demand)
    result = recommend_stream_mode(5000, 1024, 5000, prices=table)
    assert (result.mode, result.shard_count) == (StreamMode.ON_DEMAND, None)
    assert result.reason.startswith("on-demand is not dearer")


def test_average_above_peak_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"average_records_per_second \(200\) must be ≤ peak"):
        recommend_stream_mode(100, 1024, 200)


def test_recommendation_checks_shard_count_against_mode() -> None:
    with pytest.raises(ValueError, match="provisioned mode needs an integer shard_count"):
        StreamRecommendation(StreamMode.PROVISIONED, None, "")
    with pytest.raises(ValueError, match="shard_count must be ≥ 1, got 0"):
        StreamRecommendation(StreamMode.PROVISIONED, 0, "")
    with pytest.raises(ValueError, match="shard_count is only for provisioned mode, got 2"):
        StreamRecommendation(StreamMode.ON_DEMAND, 2, "")


# --- recommend_buffering ---------------------------------------------------------------------


def test_fast_stream_fills_the_largest_buffer() -> None:
    # 2,000 ev/s × 2048 B = 3.91 MiB/s: 128 MiB in 128 / 3.91 = 33 s, well inside 900 s
    result = recommend_buffering(4_096_000, parquet=True, dynamic_partitioning=False)
    assert (result.size_mib, result.interval_seconds) == (128, 900)
    assert "fills in 33 s" in result.reason
    assert result.object_bytes(4_096_000) == 128 * MIB


def test_slow_stream_is_delivered_by_the_interval() -> None:
    # 1,000 B/s × 900 s = 900,000 B = 0.86 MiB per object
    result = recommend_buffering(1000, parquet=False, dynamic_partitioning=False)
    assert (result.size_mib, result.interval_seconds) == (128, 900)
    assert result.object_bytes(1000) == 900_000
    assert "objects ≈ 0.9 MiB, delivered by the interval" in result.reason


@pytest.mark.parametrize(
    ("parquet", "partitioning", "size", "note"),
    [
        (True, False, 64, "size raised to 64 MiB (Parquet conversion needs it)"),
        (False, True, 64, "size raised to 64 MiB (dynamic partitioning needs it)"),
        (False, False, 16, None),
    ],
)
def test_conversion_and_partitioning_need_64_mib(
    parquet: bool, partitioning: bool, size: int, note: str | None
) -> None:
    result = recommend_buffering(
        MIB, parquet=parquet, dynamic_partitioning=partitioning, target_object_mib=16
    )
    assert result.size_mib == size
    assert note is None or note in result.reason


def test_hints_are_clamped_to_firehose_limits() -> None:
    result = recommend_buffering(
        MIB,
        parquet=False,
        dynamic_partitioning=False,
        target_object_mib=500,
        max_latency_seconds=1200,
    )
    assert (result.size_mib, result.interval_seconds) == (128, 900)
    assert "size capped at 128 MiB" in result.reason
    assert "interval capped at 900 s" in result.reason


@pytest.mark.parametrize(("latency", "interval"), [(900, 600), (300, 200), (2, 1)])
def test_dynamic_partitioning_keeps_its_1_5x_delay_within_the_latency(
    latency: int, interval: int
) -> None:
    result = recommend_buffering(
        MIB, parquet=False, dynamic_partitioning=True, max_latency_seconds=latency
    )
    assert result.interval_seconds == interval


def test_zero_latency_is_zero_buffering_except_with_dynamic_partitioning() -> None:
    result = recommend_buffering(
        1000, parquet=False, dynamic_partitioning=False, max_latency_seconds=0
    )
    assert result.interval_seconds == 0
    assert result.object_bytes(1000) == 1000  # a zero interval counts as one second
    with pytest.raises(ValueError, match="too short for dynamic partitioning"):
        recommend_buffering(1000, parquet=False, dynamic_partitioning=True, max_latency_seconds=1)


@pytest.mark.parametrize(
    ("rate", "kwargs", "message"),
    [
        (-1, {}, "average_bytes_per_second must be a positive number, got -1"),
        (1, {"target_object_mib": 0}, "target_object_mib must be a positive integer, got 0"),
        (1, {"max_latency_seconds": -1}, "max_latency_seconds must be an integer ≥ 0, got -1"),
    ],
)
def test_buffering_inputs_are_validated(rate: float, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError) as error:
        recommend_buffering(rate, parquet=False, dynamic_partitioning=False, **kwargs)
    assert str(error.value) == message


# --- recommend_partitioning ------------------------------------------------------------------


def test_hourly_partitions_from_128_mib_per_hour() -> None:
    at_threshold = 128 * MIB / 3600  # 37,282.1 B/s
    assert recommend_partitioning(at_threshold).granularity is PartitionGranularity.HOUR
    assert recommend_partitioning(at_threshold * 0.99).granularity is PartitionGranularity.DAY


def test_partitioning_reasons_give_the_data_per_hour() -> None:
    # 2,000 events/s x 2,048 B = 4,096,000 B/s = 14,062.5 MiB per hour
    assert recommend_partitioning(2_000 * 2_048) == PartitioningRecommendation(
        PartitionGranularity.HOUR, "14,062 MiB/hour stored ≥ 128 MiB"
    )
    # 10 events/s x 1,000 B / compression 4 = 2,500 B/s = 8.58 MiB per hour
    assert recommend_partitioning(2_500) == PartitioningRecommendation(
        PartitionGranularity.DAY, "8.6 MiB/hour stored < 128 MiB: daily partitions"
    )


def test_partitioning_needs_a_positive_rate() -> None:
    with pytest.raises(ValueError, match="stored_bytes_per_second"):
        recommend_partitioning(0)
