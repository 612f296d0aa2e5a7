"""The emulated Firehose's rules on their own, with the documentation's examples."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pyarrow as pa
import pytest

from tests.datapath.firehose import (
    DeliveryConfig,
    RecordError,
    TableSchema,
    evaluate_prefix,
    java_datetime_format,
    parse_timestamp,
)

WHEN = datetime(2018, 2, 7, 5, 3, 9)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("yyyy/MM/dd/HH/", "2018/02/07/05/"),
        ("yyyy'-'MM'-'dd", "2018-02-07"),  # quoted literals, as in Firehose's examples
        ("'year='yyyy", "year=2018"),
        ("M/d/H", "2/7/5"),
        ("yy-DDD mm:ss", "18-038 03:09"),
        ("''yyyy''", "'2018'"),
    ],
)
def test_java_datetime_patterns(pattern: str, expected: str) -> None:
    assert java_datetime_format(pattern, WHEN) == expected


def test_a_pattern_field_not_emulated_fails_instead_of_guessing() -> None:
    with pytest.raises(NotImplementedError, match="'EEE'"):
        java_datetime_format("EEE", WHEN)


def test_prefix_expressions() -> None:
    prefix = "e/!{firehose:error-output-type}/c=!{partitionKeyFromQuery:c}/!{timestamp:yyyy}/"
    assert (
        evaluate_prefix(prefix, WHEN, keys={"c": "de"}, error_type="partitioning-failed")
        == "e/partitioning-failed/c=de/2018/"
    )
    random = evaluate_prefix("r/!{firehose:random-string}/", WHEN)
    assert len(random) == len("r//") + 11
    with pytest.raises(KeyError, match="no partition key 'c'"):
        evaluate_prefix("!{partitionKeyFromQuery:c}/", WHEN, keys={})
    with pytest.raises(NotImplementedError, match="partitionKeyFromLambda"):
        evaluate_prefix("!{partitionKeyFromLambda:c}/", WHEN)


@pytest.mark.parametrize(
    ("value", "expected"),
    [  # the examples of record-format-conversion.html, "Choosing the JSON deserializer"
        ("2017-02-07T15:13:01.39256Z", datetime(2017, 2, 7, 15, 13, 1, 392560)),
        ("2017-02-07 15:13:01.14", datetime(2017, 2, 7, 15, 13, 1, 140000)),
        ("2017-2-7 15:13:01", datetime(2017, 2, 7, 15, 13, 1)),
        (1518033528, datetime(2018, 2, 7, 19, 58, 48)),
        (1518033528123, datetime(2018, 2, 7, 19, 58, 48, 123000)),
        (Decimal("1518033528.123"), datetime(2018, 2, 7, 19, 58, 48, 123000)),
    ],
)
def test_openx_timestamp_formats(value: object, expected: datetime) -> None:
    assert parse_timestamp(value) == expected


@pytest.mark.parametrize("value", ["yesterday", "2017-02-07T15:13:01+02:00", True])
def test_other_timestamps_are_not_parsed(value: object) -> None:
    with pytest.raises(ValueError, match="not a timestamp"):
        parse_timestamp(value)


def test_conversion_follows_the_table_schema_and_rejects_what_does_not_fit() -> None:
    schema = TableSchema(
        [
            {"Name": "id", "Type": "string"},
            {"Name": "amount", "Type": "decimal(5,2)"},
            {"Name": "items", "Type": "array<struct<sku:string,qty:int>>"},
            {"Name": "attrs", "Type": "map<string,string>"},
        ]
    )
    assert schema.schema.field("items").type == pa.list_(
        pa.struct([pa.field("sku", pa.string()), pa.field("qty", pa.int32())])
    )
    row = schema.row(
        b'{"ID": 7, "amount": 1.005, "items": [{"SKU": "a", "qty": "2"}], "attrs": {}}'
    )
    assert row == {
        "id": "7",
        "amount": Decimal("1.01"),
        "items": [{"sku": "a", "qty": 2}],
        "attrs": [],
    }
    for bad in (b'{"amount": 1234.5}', b'{"items": [{"qty": 1.5}]}', b"[1]", b"{oops"):
        with pytest.raises(RecordError) as raised:
            schema.row(bad)
        assert raised.value.error_type == "format-conversion-failed"


def test_delivery_config_from_a_template() -> None:
    config = DeliveryConfig.from_template(
        "orders",
        {
            "ExtendedS3DestinationConfiguration": {
                "BucketARN": "arn:aws:s3:::raw-bucket",
                "Prefix": "orders/",
                "ErrorOutputPrefix": "errors/!{firehose:error-output-type}/",
                "BufferingHints": {"IntervalInSeconds": 60, "SizeInMBs": 64},
                "CompressionFormat": "GZIP",
                "ProcessingConfiguration": {
                    "Enabled": True,
                    "Processors": [{"Type": "AppendDelimiterToRecord", "Parameters": []}],
                },
            }
        },
    )
    assert (config.bucket, config.buffer_seconds, config.buffer_bytes) == (
        "raw-bucket",
        60,
        64 * 1024 * 1024,
    )
    assert config.extension == ".gz" and config.partition_query is None
