"""The price files: provenance, completeness, loading errors and billing rounding."""

from __future__ import annotations

import copy
import json
import re
from importlib import resources
from types import SimpleNamespace

import pytest

import ml_data_platform.planning.prices as prices_module
from ml_data_platform.planning import available_regions, load_prices
from ml_data_platform.planning.prices import (
    FIREHOSE_BILLING_UNIT_BYTES,
    KINESIS_ON_DEMAND_WRITE_UNIT_BYTES,
    KINESIS_PUT_PAYLOAD_UNIT_BYTES,
    MB,
    STANDARD,
    TB,
    AthenaPrices,
    FirehosePrices,
    PriceTable,
    billed_bytes,
)
from ml_data_platform.storage.lifecycle import StorageClass


def raw_table() -> dict:
    path = resources.files("ml_data_platform.planning.prices") / "us-east-1.json"
    return json.loads(path.read_text(encoding="utf-8"))


def test_us_east_1_states_its_provenance() -> None:
    table = load_prices("us-east-1")
    assert table.region == "us-east-1" and table.currency == "USD" and table.version >= 1
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", table.retrieved)
    assert all(url.startswith("https://aws.amazon.com/") for url in table.sources)
    assert any("UNCONFIRMED" in note for note in table.notes)
    assert "us-east-1" in available_regions()
    assert "https://aws.amazon.com/athena/pricing/" in table.sources
    not_priced = next(note for note in table.notes if note.startswith("Not priced:"))
    assert "Athena" not in not_priced


def test_us_east_1_prices_athena_by_data_scanned() -> None:
    assert load_prices("us-east-1").athena == AthenaPrices(scanned_tb=5.0, minimum_scanned_mb=10)


def test_every_storage_class_has_storage_and_transition_prices() -> None:
    s3 = load_prices("us-east-1").s3
    assert set(s3.storage_gb_month) == {STANDARD, *(c.api_name for c in StorageClass)}
    assert set(s3.transition_per_1000_requests) == {c.api_name for c in StorageClass}
    # the colder the class, the cheaper the storage
    prices = [s3.storage_gb_month[c] for c in (STANDARD, "STANDARD_IA", "GLACIER_IR", "GLACIER")]
    assert prices == sorted(prices, reverse=True)


@pytest.mark.parametrize(
    ("region", "message"),
    [
        ("eu-west-9", "no price table for region 'eu-west-9'; available: us-east-1"),
        ("../secrets", "region '../secrets' is not an AWS region name"),
    ],
)
def test_unknown_regions_are_rejected(region: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        load_prices(region)


def test_missing_or_bad_keys_name_their_path() -> None:
    data = raw_table()
    del data["s3"]["storage_gb_month"]["DEEP_ARCHIVE"]
    with pytest.raises(ValueError, match=r"missing key 's3\.storage_gb_month\.DEEP_ARCHIVE'"):
        PriceTable.from_dict(data)
    data = raw_table()
    data["firehose"]["ingestion_gb"] = -1
    with pytest.raises(ValueError, match=r"firehose\.ingestion_gb must be a non-negative number"):
        PriceTable.from_dict(copy.deepcopy(data))


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("currency", "", "currency must be a non-empty string, got ''"),
        ("source", "https://aws.amazon.com/s3/pricing/", "source must be a list of strings"),
    ],
)
def test_text_keys_must_be_text(key: str, value: object, message: str) -> None:
    data = raw_table()
    data[key] = value
    with pytest.raises(ValueError) as error:
        PriceTable.from_dict(data)
    assert str(error.value).startswith(f"price table 'us-east-1': {message}")


def test_a_price_file_must_declare_its_own_region(monkeypatch: pytest.MonkeyPatch) -> None:
    data = raw_table()
    data["region"] = "eu-west-1"
    monkeypatch.setattr(prices_module, "json", SimpleNamespace(loads=lambda _text: data))
    load_prices.cache_clear()
    try:
        with pytest.raises(ValueError) as error:
            load_prices("us-east-1")
    finally:
        load_prices.cache_clear()
    assert str(error.value) == "us-east-1.json declares region 'eu-west-1'"


@pytest.mark.parametrize("key", ["scanned_tb", "minimum_scanned_mb"])
def test_missing_athena_prices_name_their_key(key: str) -> None:
    data = raw_table()
    del data["athena"][key]
    with pytest.raises(ValueError) as error:
        PriceTable.from_dict(data)
    assert str(error.value) == f"price table 'us-east-1': missing key 'athena.{key}'"


def test_athena_minimum_must_be_a_positive_whole_number_of_mb() -> None:
    data = raw_table()
    data["athena"]["minimum_scanned_mb"] = 0.5
    with pytest.raises(ValueError) as error:
        PriceTable.from_dict(data)
    assert str(error.value) == (
        "price table 'us-east-1': athena.minimum_scanned_mb must be a positive integer, got 0.5"
    )


@pytest.mark.parametrize(
    ("size", "unit", "billed"),
    [
        (2048, KINESIS_ON_DEMAND_WRITE_UNIT_BYTES, 2048),  # whole KB: no rounding
        (2049, KINESIS_ON_DEMAND_WRITE_UNIT_BYTES, 3072),
        (3 * 1024, FIREHOSE_BILLING_UNIT_BYTES, 5 * 1024),  # a 3 KB record is billed as 5 KB
        (12 * 1024, FIREHOSE_BILLING_UNIT_BYTES, 15 * 1024),  # 12 KB as 15 KB
        (26 * 1024, KINESIS_PUT_PAYLOAD_UNIT_BYTES, 50 * 1024),  # 2 PUT payload units
    ],
)
def test_records_are_rounded_up_to_billing_units(size: int, unit: int, billed: int) -> None:
    assert billed_bytes(size, unit) == billed


def test_firehose_rounds_records_to_5_kb_and_adds_optional_features() -> None:
    prices = FirehosePrices(
        ingestion_gb=1,
        format_conversion_gb=10,
        dynamic_partitioning_gb=100,
        dynamic_partitioning_per_1000_objects=1000,
        dynamic_partitioning_jq_hour=1,
    )
    # 1 record/s × 2,592,000 s = 2,592,000 records of 3 KB, billed as 5 KB:
    # 2,592,000 × 5120 B / 2^30 = 12.3596 GB; unrounded 2,592,000 × 3072 / 2^30 = 7.4158 GB
    plain = prices.monthly(1, 3072, parquet=False, dynamic_partitioning=False, objects=2880)
    assert plain == pytest.approx(12.3596, abs=1e-4)
    parquet = prices.monthly(1, 3072, parquet=True, dynamic_partitioning=False, objects=2880)
    assert parquet == pytest.approx(12.3596 * 11, abs=1e-3)
    # + 7.4158 GB × 100 + 2,880 objects / 1000 × 1000
    partitioned = prices.monthly(1, 3072, parquet=False, dynamic_partitioning=True, objects=2880)
    assert partitioned == pytest.approx(12.3596 + 741.577 + 2880, abs=1e-2)
    # + 720 jq hours × 1
    with_jq = prices.monthly(
        1, 3072, parquet=False, dynamic_partitioning=True, objects=2880, jq_hours=720
    )
    assert with_jq == pytest.approx(partitioned + 720)
    no_partitioning = prices.monthly(
        1, 3072, parquet=False, dynamic_partitioning=False, objects=2880, jq_hours=720
    )
    assert no_partitioning == plain  # jq only runs to partition


ATHENA = AthenaPrices(scanned_tb=5.0, minimum_scanned_mb=10)


@pytest.mark.parametrize(
    ("scanned", "billed"),
    [
        (1, 10 * MB),  # one byte: the 10 MB minimum
        (10 * MB, 10 * MB),
        (10 * MB + 1, 11 * MB),  # one byte over: the next whole MB
        (25.5 * MB, 26 * MB),
    ],
)
def test_athena_bills_whole_mb_per_query_with_a_minimum(scanned: float, billed: int) -> None:
    assert ATHENA.billed_bytes_per_query(scanned) == billed


def test_athena_small_queries_pay_the_10_mb_minimum() -> None:
    # 1,000 queries/day × 1 MiB, each billed as 10 MB: 1,000 × 30 × 10 × 2^20 B
    # = 300,000 MB = 300,000 / 2^20 TB = 0.2861 TB × $5 = $1.4305
    monthly = ATHENA.monthly(1000, 1 * MB)
    assert monthly == pytest.approx(1000 * 30 * 10 * 2**20 / 2**40 * 5)
    assert monthly == pytest.approx(1.430511, abs=1e-6)
    assert TB == 2**40 and MB == 2**20


def test_athena_larger_queries_round_up_to_the_next_mb() -> None:
    # 100 queries/day × 25.5 MiB, billed as 26 MB: 100 × 30 × 26 = 78,000 MB
    # = 78,000 / 2^20 TB × $5 = $0.371933
    assert ATHENA.monthly(100, 25.5 * MB) == pytest.approx(0.371933, abs=1e-6)
    # rounding matters: 25.5 MB unrounded would be 0.364780
    assert ATHENA.monthly(100, 25.5 * MB) > 100 * 30 * 25.5 / 2**20 * 5


def test_athena_without_queries_costs_nothing() -> None:
    assert ATHENA.monthly(0, 50 * MB) == 0
