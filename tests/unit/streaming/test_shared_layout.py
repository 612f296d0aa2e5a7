"""SharedLayout and a LakeDeliveryStream over it: routing by the dataset field, each member's
own prefix and table, the role scoped to the members, and the rules members must follow."""

import json

import aws_cdk as cdk
import jq
import pytest
from aws_cdk.assertions import Template

from ml_data_platform.catalog import LakeTable
from ml_data_platform.core.jq import firehose_extraction_query
from ml_data_platform.datasets import Column, DataFormat, Dataset
from ml_data_platform.storage import DataLake, PartitionGranularity
from ml_data_platform.streaming import IngestionStream, LakeDeliveryStream, SharedLayout
from tests.conftest import TEST_ENV, make_app, only_resource

COLUMNS = (Column("user_id", "string"), Column("item", "string"))
LIKES = Dataset("likes", COLUMNS)
SAVES = Dataset("saves", COLUMNS)
HOURLY = "year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/"
ERR = "!{firehose:error-output-type}"


def route(layout: SharedLayout, record: object) -> str:
    """Run the extraction program exactly as Firehose builds it; the routed dataset."""
    program = jq.compile(firehose_extraction_query(layout.partition_queries))
    return program.input(record).first()["dataset"]


def test_prefixes_put_each_member_under_its_own_layout():
    layout = SharedLayout("small", [LIKES, SAVES])
    assert layout.firehose_prefix() == "!{partitionKeyFromQuery:dataset}/" + HOURLY
    assert layout.firehose_error_prefix() == f"errors/_shared/small/{ERR}/" + HOURLY
    assert layout.member_prefixes() == {
        "likes": LIKES.layout.firehose_prefix(),
        "saves": SAVES.layout.firehose_prefix(),
    }
    daily = SharedLayout("daily", [Dataset("a", COLUMNS, PartitionGranularity.DAY)])
    assert daily.firehose_prefix() == (
        "!{partitionKeyFromQuery:dataset}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/"
        "day=!{timestamp:dd}/"
    )
    assert daily.granularity is PartitionGranularity.DAY


def test_routing_accepts_members_only():
    layout = SharedLayout("small", [LIKES, SAVES])
    assert route(layout, {"dataset": "likes", "user_id": "u"}) == "likes"
    assert route(layout, {"dataset": "saves"}) == "saves"
    for record in ({"dataset": "orders"}, {}, {"dataset": 7}, {"dataset": None}, {"d": "likes"}):
        with pytest.raises(ValueError, match="dataset is not one of the group's datasets"):
            route(layout, record)


def test_routing_field_can_be_named():
    layout = SharedLayout("small", [LIKES], field="event_source")
    assert route(layout, {"event_source": "likes", "dataset": "saves"}) == "likes"
    with pytest.raises(ValueError, match="event_source is not one of"):
        route(layout, {"dataset": "likes"})


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"datasets": []}, ValueError, "shared group 'small': datasets must list at least one"),
        ({"datasets": [LIKES, LIKES]}, ValueError, r"datasets \['likes'\] are listed more"),
        ({"datasets": ["likes"]}, TypeError, "datasets must be Dataset objects, got 'likes'"),
        (
            {"datasets": [LIKES, Dataset("features", COLUMNS, data_format=DataFormat.PARQUET)]},
            ValueError,
            "dataset 'features' lands as parquet: a shared delivery writes JSON only",
        ),
        (
            {"datasets": [Dataset("orders", COLUMNS, partition_keys={"country": ".country"})]},
            ValueError,
            r"dataset 'orders' has dynamic partition keys \['country'\]",
        ),
        (
            {"datasets": [LIKES, Dataset("daily", COLUMNS, PartitionGranularity.DAY)]},
            ValueError,
            "dataset 'daily' is partitioned by day but 'likes' by hour",
        ),
        ({"field": "a.b"}, ValueError, "field 'a.b' must be a top-level JSON field name"),
        ({"field": "1st"}, ValueError, "field '1st' must be"),
        ({"group": "Small"}, ValueError, "shared group 'Small' must be 1–31 lowercase"),
    ],
)
def test_bad_groups_fail_naming_the_rule(kwargs, error, message):
    args = {"group": "small", "datasets": [LIKES], **kwargs}
    with pytest.raises(error, match=message):
        SharedLayout(**args)


def test_routing_query_must_fit_firehose_parameter_limit():
    names = [f"dataset-number-{i:04d}-abcdefgh" for i in range(200)]  # 31 characters each
    fits = SharedLayout("big", [Dataset(n, COLUMNS) for n in names[:100]])
    assert len(firehose_extraction_query(fits.partition_queries)) <= 5120
    with pytest.raises(ValueError, match=r"200 datasets make a routing query of \d+ characters, "):
        SharedLayout("big", [Dataset(n, COLUMNS) for n in names])


@pytest.fixture(scope="module")
def shared_stack():
    stack = cdk.Stack(make_app(), "Shared", env=TEST_ENV)
    lake = DataLake(stack, "Lake")
    raw = lake.zone("raw").bucket
    stream = IngestionStream(stack, "Small", encryption_key=lake.key)
    layout = SharedLayout("small", [LIKES, SAVES])
    delivery = LakeDeliveryStream(
        stack, "Delivery", source_stream=stream, bucket=raw, layout=layout
    )
    for dataset in (LIKES, SAVES):
        LakeTable(stack, f"{dataset.name}Table", database="raw", bucket=raw, dataset=dataset)
    return stack, delivery


def test_shared_delivery_partitions_by_the_routing_query(shared_stack):
    stack, delivery = shared_stack
    template = Template.from_stack(stack)
    _, resource = only_resource(template, "AWS::KinesisFirehose::DeliveryStream")
    s3 = resource["Properties"]["ExtendedS3DestinationConfiguration"]
    assert s3["Prefix"] == "!{partitionKeyFromQuery:dataset}/" + HOURLY
    assert s3["ErrorOutputPrefix"] == f"errors/_shared/small/{ERR}/" + HOURLY
    assert s3["DynamicPartitioningConfiguration"]["Enabled"] is True
    assert s3["BufferingHints"]["SizeInMBs"] == 128  # dynamic partitioning: ≥ 64 MiB
    extraction = next(
        p for p in s3["ProcessingConfiguration"]["Processors"] if p["Type"] == "MetadataExtraction"
    )
    query = {p["ParameterName"]: p["ParameterValue"] for p in extraction["Parameters"]}
    program = jq.compile(query["MetadataExtractionQuery"])
    assert program.input({"dataset": "saves"}).first() == {"dataset": "saves"}
    assert delivery.written_prefixes == (
        LIKES.layout.firehose_prefix(),
        SAVES.layout.firehose_prefix(),
    )


def test_shared_role_writes_only_below_member_and_error_prefixes(shared_stack):
    stack, delivery = shared_stack
    policy = stack.resolve(delivery.policy.document)
    (write,) = [s for s in policy["Statement"] if s.get("Sid") == "WriteDeliveryPrefixes"]
    arns = json.dumps(write["Resource"])
    for prefix in ("/errors/_shared/small/*", "/likes/year=*", "/saves/year=*"):
        assert prefix in arns
    assert len(write["Resource"]) == 3  # nothing wider than the three prefixes


def test_table_with_another_layout_than_the_group_fails_synth():
    app = make_app()
    stack = cdk.Stack(app, "SharedMismatch", env=TEST_ENV)
    lake = DataLake(stack, "Lake")
    raw = lake.zone("raw").bucket
    stream = IngestionStream(stack, "Small", encryption_key=lake.key)
    LakeDeliveryStream(
        stack, "Delivery", source_stream=stream, bucket=raw, layout=SharedLayout("s", [LIKES])
    )
    daily = Dataset("likes", COLUMNS, PartitionGranularity.DAY)
    LakeTable(stack, "Table", database="raw", bucket=raw, dataset=daily)
    with pytest.raises(RuntimeError, match=r"writes likes/year=.*the partition keys differ"):
        app.synth()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dataset": LIKES}, "so dataset must not be set"),
        ({"prefix": "likes/"}, "so prefix must not be set"),
        ({"error_prefix": f"e/{ERR}/"}, "so error_prefix must not be set"),
    ],
)
def test_shared_layout_gives_the_prefixes(kwargs, message):
    stack = cdk.Stack(make_app(), "SharedBad", env=TEST_ENV)
    lake = DataLake(stack, "Lake")
    stream = IngestionStream(stack, "Small", encryption_key=lake.key)
    with pytest.raises(ValueError, match=message):
        LakeDeliveryStream(
            stack,
            "Delivery",
            source_stream=stream,
            bucket=lake.zone("raw").bucket,
            layout=SharedLayout("small", [LIKES]),
            **kwargs,
        )
