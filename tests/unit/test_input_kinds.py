"""Wrong kinds and obvious spellings: a preset where a lifecycle goes, our constructs where the
resource they wrap goes, one item where a sequence goes, unclosed prefix expressions, and the
32-bit / per-stream limits. Each either works or fails naming the prop and the fix."""

from __future__ import annotations

import aws_cdk as cdk
import pytest

from ml_data_platform.catalog import LakeTable
from ml_data_platform.config import ConfigError, settings_from_context
from ml_data_platform.core.inputs import Kind, require_kind
from ml_data_platform.datasets import Column, Dataset
from ml_data_platform.planning.sizing import StreamMode
from ml_data_platform.storage import (
    AccessLogsBucket,
    DataLake,
    DataLakeBucket,
    DataLakeKey,
    DataLakeZone,
    Lifecycle,
    LifecyclePreset,
    LifecycleRule,
    StorageClass,
    Transition,
)
from ml_data_platform.streaming import IngestionStream, LakeDeliveryStream
from tests.conftest import TEST_ENV, make_app

ORDERS = Dataset("orders", [Column("id", "string")])
RULE = LifecycleRule(id="tmp", prefix="tmp/", expire_after_days=7)


@pytest.fixture(scope="module")
def stack():
    return cdk.Stack(make_app(), "Kinds", env=TEST_ENV)


@pytest.mark.parametrize("spelling", ["archive", "ARCHIVE", LifecyclePreset.ARCHIVE])
def test_a_preset_or_its_name_is_accepted_where_a_lifecycle_goes(stack, spelling):
    bucket = DataLakeBucket(stack, f"Archive{spelling!s}", lifecycle=spelling)
    assert bucket.lifecycle == Lifecycle.preset(LifecyclePreset.ARCHIVE)
    zone = DataLakeZone("raw", spelling)
    assert zone.resolved_lifecycle() == Lifecycle.preset(LifecyclePreset.ARCHIVE)


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda s: DataLakeBucket(s, "Rule", lifecycle=RULE), TypeError,
         r"^lifecycle must be a Lifecycle or a LifecyclePreset, got a LifecycleRule: wrap it, "
         r"Lifecycle\(\(rule,\)\), or add it to a preset's rules .*"
         r"Lifecycle\.preset\(LifecyclePreset\.STANDARD\)\.with_rules\(\.\.\.\)"),
        (lambda s: DataLakeBucket(s, "Rules", lifecycle=[RULE]), TypeError,
         r"got LifecycleRules: wrap it, Lifecycle\(tuple\(rules\)\)"),
        (lambda s: AccessLogsBucket(s, "Logs", lifecycle="glacier"), ValueError,
         r"^lifecycle 'glacier' is not a lifecycle preset \(one of 'archive', "),
        (lambda s: AccessLogsBucket(s, "Logs2", lifecycle=30), TypeError,
         r"^lifecycle must be a Lifecycle, a LifecyclePreset or a preset name .*got int: 30"),
        (lambda s: DataLakeZone("raw", RULE), TypeError,
         r"^zone 'raw': lifecycle must be a Lifecycle or a LifecyclePreset, got a LifecycleRule"),
        (lambda s: Lifecycle(RULE).validate("bucket 'b'"), TypeError,  # type: ignore[arg-type]
         r"lifecycle for bucket 'b': rules must be a sequence of LifecycleRule, got "
         r"LifecycleRule \(one rule: Lifecycle\(\(rule,\)\)\)"),
        (lambda s: Lifecycle(("x",)).validate("bucket 'b'"), TypeError,  # type: ignore[arg-type]
         r"rules must be LifecycleRule objects, got str"),
    ],
)  # fmt: skip
def test_a_wrong_lifecycle_names_the_prop_and_the_fix(stack, build, error, message):
    with pytest.raises(error, match=message):
        build(stack)


def test_lifecycle_days_are_32_bit():
    assert LifecycleRule(id="x", expire_after_days=2**31 - 1).validate("b") is None
    with pytest.raises(ValueError, match=r"expire_after_days must be ≤ 2147483647 days \(S3"):
        LifecycleRule(id="x", expire_after_days=2**31).validate("bucket 'b'")
    with pytest.raises(ValueError, match=r"GLACIER after_days must be ≤ 2147483647 days"):
        Lifecycle.preset(LifecyclePreset.STANDARD).with_rules(
            LifecycleRule(id="x", transitions=(Transition(StorageClass.GLACIER, 2**31),))
        ).validate("bucket 'b'")


def test_our_constructs_are_accepted_where_the_resource_they_wrap_goes():
    stack = cdk.Stack(make_app(), "Wrapped", env=TEST_ENV)
    key = DataLakeKey(stack, "Key")
    raw = DataLakeBucket(stack, "Raw", encryption_key=key)  # a DataLakeKey where an IKey goes
    assert raw.key is key.key
    stream = IngestionStream(stack, "Stream", encryption_key=key)
    table = LakeTable(stack, "Table", database="db", bucket=raw, dataset=ORDERS)
    assert table.bucket is raw.bucket
    delivery = LakeDeliveryStream(stack, "Delivery", source_stream=stream, bucket=raw,
                                  dataset=ORDERS)  # fmt: skip
    assert delivery.bucket is raw.bucket and delivery.key is key.key
    assert require_kind(stream, Kind.STREAM, "stream") is stream.stream


def test_a_construct_without_that_resource_names_what_would_fit():
    stack = cdk.Stack(make_app(), "Unwrapped", env=TEST_ENV)
    lake = DataLake(stack, "Lake")
    with pytest.raises(TypeError, match=r"^bucket must be an IBucket \(aws_s3\), got DataLake; "
                       r"pass one of its zones' buckets: \.zone\('raw'\)\.bucket"):  # fmt: skip
        LakeTable(stack, "Table", database="db", bucket=lake, dataset=ORDERS)
    with pytest.raises(TypeError, match=r"^encryption_key must be an IKey \(aws_kms\), got "
                       r"AccessLogsBucket; AccessLogsBucket has no IKey attribute"):  # fmt: skip
        DataLakeBucket(stack, "B", encryption_key=AccessLogsBucket(stack, "Logs"))
    with pytest.raises(
        TypeError, match=r"^bucket must be an IBucket \(aws_s3\), got Key: <aws_cdk"
    ):
        LakeTable(stack, "Table2", database="db", bucket=lake.key, dataset=ORDERS)


@pytest.mark.parametrize(
    "prefix", ["orders/!{timestamp:yyyy/", "orders/year=!{timestamp:yyyy}/x=!{partitionKey"]
)
def test_an_unclosed_prefix_expression_names_the_prop(prefix):
    stack = cdk.Stack(make_app(), "Unclosed", env=TEST_ENV)
    raw = DataLakeBucket(stack, "Raw")
    stream = IngestionStream(stack, "Stream", encryption_key=raw.key)
    with pytest.raises(ValueError, match=r"^prefix '.*': the expression at character \d+ .* is "
                       r"not closed with '}'"):  # fmt: skip
        LakeDeliveryStream(stack, "D", source_stream=stream, bucket=raw.bucket, prefix=prefix,
                           error_prefix="errors/!{firehose:error-output-type}/")  # fmt: skip


def test_shard_count_is_within_the_per_stream_limit():
    stack = cdk.Stack(make_app(), "Shards", env=TEST_ENV)
    with pytest.raises(ValueError, match=r"^shard_count must be ≤ 10000, got 10001"):
        IngestionStream(stack, "S", stream_mode=StreamMode.PROVISIONED, shard_count=10001)
    with pytest.raises(ValueError, match=r"need \d+ shards, more than Kinesis' 10000 per stream"):
        IngestionStream(stack, "T", stream_mode=StreamMode.PROVISIONED,
                        expected_records_per_second=20_000_000, average_record_bytes=100)  # fmt: skip
    context = {"ml-data-platform": {"environments": {"dev": {
        "datasets": [{"name": "e", "columns": [{"name": "id", "type": "string"}]}],
        "stream": {"mode": "provisioned", "shard_count": 10001}}}}}  # fmt: skip
    with pytest.raises(ConfigError, match=r"dev\.stream\.shard_count: must be from 1 to 10000"):
        settings_from_context(context, "dev")
