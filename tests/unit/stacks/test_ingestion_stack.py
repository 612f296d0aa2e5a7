"""IngestionStack: per-dataset streams and deliveries, pinned logical IDs, snapshot, options."""

import aws_cdk as cdk
import pytest
from aws_cdk import aws_glue as glue
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Template

from ml_data_platform.catalog import DataCatalog
from ml_data_platform.datasets import Column, DataFormat, Dataset
from ml_data_platform.planning.sizing import StreamMode
from ml_data_platform.stacks.ingestion_stack import IngestionStack
from ml_data_platform.storage import DataLake
from tests.conftest import assert_matches_snapshot, logical_ids, make_app, resources_of_type

CLICKS = Dataset("clicks", [Column("user_id", "string"), Column("url", "string")])
PAGE_VIEWS = Dataset("page-views", [Column("page", "string")])
FEATURES = Dataset("features", [Column("score", "double")], data_format=DataFormat.PARQUET)

# Renaming a construct or a dataset's id scheme must fail here rather than replace a stream
# (losing unread records) or a delivery stream on deploy.
PINNED_INGESTION_IDS = {
    "AWS::Kinesis::Stream": {
        "ClicksStreamD98A12A8",
        "PageViewsStream02A69C3D",
        "FeaturesStreamA3E20B30",
    },
    "AWS::KinesisFirehose::DeliveryStream": {
        "ClicksDeliveryDeliveryStreamAC15AFC8",
        "PageViewsDeliveryDeliveryStream9EDB84C2",
        "FeaturesDeliveryDeliveryStream89DB4CD4",
    },
    "AWS::Logs::LogGroup": {
        "ClicksDeliveryLogGroup1AEBFC3D",
        "PageViewsDeliveryLogGroup2B1DE2E1",
        "FeaturesDeliveryLogGroup2D4945A0",
    },
}


def lake_stack(app):
    """The lake in its own stack, as StorageStack builds it (same construct ids)."""
    stack = cdk.Stack(app, "Storage")
    lake = DataLake(stack, "DataLake")
    table = glue.CfnTable(
        stack,
        "FeaturesTable",
        catalog_id=stack.account,
        database_name="lake_raw",
        table_input=glue.CfnTable.TableInputProperty(name="features"),
    )
    return lake, table


@pytest.fixture(scope="module")
def built():
    app = make_app()
    lake, table = lake_stack(app)
    stack = IngestionStack(
        app,
        "Ingestion",
        data_lake=lake,
        datasets=[CLICKS, PAGE_VIEWS, FEATURES],
        parquet_tables={"features": table},
    )
    return stack, Template.from_stack(stack)


@pytest.mark.parametrize("resource_type", sorted(PINNED_INGESTION_IDS))
def test_ingestion_logical_ids_are_pinned(built, resource_type):
    assert logical_ids(built[1], resource_type) == PINNED_INGESTION_IDS[resource_type]


def test_ingestion_stack_matches_snapshot(built):
    assert_matches_snapshot("ingestion_stack", built[1])


def test_one_stream_and_one_delivery_per_dataset_into_the_raw_zone(built):
    stack, template = built
    assert sorted(stack.streams) == sorted(stack.deliveries) == ["clicks", "features", "page-views"]
    deliveries = resources_of_type(template, "AWS::KinesisFirehose::DeliveryStream")
    prefixes = {}
    for resource in deliveries.values():
        config = resource["Properties"]["ExtendedS3DestinationConfiguration"]
        assert "RawZoneBucket" in str(config["BucketARN"])
        assert "DataLakeKey" in str(config["EncryptionConfiguration"])
        prefixes[config["Prefix"].split("/")[0]] = config
    assert set(prefixes) == {"clicks", "page-views", "features"}
    assert prefixes["clicks"]["CompressionFormat"] == "GZIP"
    assert prefixes["features"]["CompressionFormat"] == "UNCOMPRESSED"
    assert prefixes["features"]["BufferingHints"] == {"IntervalInSeconds": 300, "SizeInMBs": 128}
    assert "DataFormatConversionConfiguration" in prefixes["features"]
    for stream in resources_of_type(template, "AWS::Kinesis::Stream").values():
        props = stream["Properties"]
        assert props["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
        assert props["RetentionPeriodHours"] == 24
        assert "DataLakeKey" in str(props["StreamEncryption"]["KeyId"])
        assert stream["DeletionPolicy"] == "Retain"


def test_default_alarm_topic_is_encrypted_and_every_alarm_notifies_it(built):
    _, template = built
    (topic_id,) = resources_of_type(template, "AWS::SNS::Topic")
    topic = template.to_json()["Resources"][topic_id]
    assert "DataLakeKey" in str(topic["Properties"]["KmsMasterKeyId"])
    alarms = resources_of_type(template, "AWS::CloudWatch::Alarm")
    # per dataset: RecordsAtRisk (stream) + DataFreshness (+ FormatConversion for Parquet)
    assert len(alarms) == 3 * 1 + 2 * 1 + 2
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}]


def test_stack_is_env_agnostic_and_has_no_unused_mapping(built):
    template = built[1].to_json()
    assert "111111111111" not in str(template)
    # The L2's Firehose CIDR mapping is unused for S3 delivery (cfn-lint W7001): removed.
    assert "Mappings" not in template


def test_options_reach_every_stream_and_delivery():
    app = make_app()
    lake, _ = lake_stack(app)
    topic_stack = cdk.Stack(app, "Topics")
    topic = sns.Topic(topic_stack, "Alarms")
    stack = IngestionStack(
        app,
        "Provisioned",
        data_lake=lake,
        datasets=[CLICKS, PAGE_VIEWS],
        stream_mode=StreamMode.PROVISIONED,
        shard_count=2,
        retention_hours=72,
        buffer_interval_seconds=60,
        buffer_size_mib=16,
        alarm_topic=topic,
    )
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::SNS::Topic", 0)
    assert stack.alarm_topic is topic
    for stream in resources_of_type(template, "AWS::Kinesis::Stream").values():
        assert stream["Properties"]["ShardCount"] == 2
        assert stream["Properties"]["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
        assert stream["Properties"]["RetentionPeriodHours"] == 72
    for delivery in resources_of_type(template, "AWS::KinesisFirehose::DeliveryStream").values():
        hints = delivery["Properties"]["ExtendedS3DestinationConfiguration"]["BufferingHints"]
        assert hints == {"IntervalInSeconds": 60, "SizeInMBs": 16}


def test_an_encrypted_catalog_key_is_granted_to_parquet_deliveries_only():
    app = make_app()
    lake, table = lake_stack(app)
    catalog_key = kms.Key(cdk.Stack.of(lake), "CatalogKey")
    stack = IngestionStack(
        app,
        "EncryptedCatalog",
        data_lake=lake,
        datasets=[CLICKS, FEATURES],
        parquet_tables={"features": table},
        catalog_key=catalog_key,
    )
    assert stack.deliveries["features"].catalog_key is catalog_key
    assert stack.deliveries["clicks"].catalog_key is None
    statements = {
        lid: {s.get("Sid") for s in p["Properties"]["PolicyDocument"]["Statement"]}
        for lid, p in resources_of_type(
            Template.from_stack(stack), "AWS::IAM::ManagedPolicy"
        ).items()
    }
    with_decrypt = [lid for lid, sids in statements.items() if "DecryptCatalogMetadata" in sids]
    assert len(with_decrypt) == 1 and with_decrypt[0].startswith("FeaturesDelivery")


def test_with_the_catalog_each_dataset_gets_its_table_here_and_parquet_converts_with_it():
    app = make_app()
    lake, _ = lake_stack(app)
    catalog = DataCatalog(cdk.Stack(app, "Catalog"), "Catalog", lake=lake)
    stack = IngestionStack(
        app, "WithTables", data_lake=lake, datasets=[CLICKS, FEATURES], catalog=catalog
    )
    template = Template.from_stack(stack)
    assert sorted(stack.tables) == ["clicks", "features"]
    assert logical_ids(template, "AWS::Glue::Table") == {
        "ClicksTable5FD4E0B7",
        "FeaturesTableBB49801F",
    }
    features_table = stack.get_logical_id(stack.tables["features"].table)
    (features,) = [
        d
        for lid, d in resources_of_type(template, "AWS::KinesisFirehose::DeliveryStream").items()
        if lid.startswith("FeaturesDelivery")
    ]
    schema = features["Properties"]["ExtendedS3DestinationConfiguration"][
        "DataFormatConversionConfiguration"
    ]["SchemaConfiguration"]
    assert schema["TableName"] == {"Ref": stack.resolve(features_table)}
    with pytest.raises(ValueError, match="give catalog or parquet_tables, not both"):
        IngestionStack(
            app,
            "Both",
            data_lake=lake,
            datasets=[FEATURES],
            catalog=catalog,
            parquet_tables={"features": stack.tables["features"].table},
        )


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"datasets": [FEATURES]},
            ValueError,
            r"dataset 'features' lands as Parquet: parquet_tables",
        ),
        ({"datasets": []}, ValueError, r"datasets must list at least one dataset"),
        ({"datasets": [CLICKS, CLICKS]}, ValueError, r"datasets: duplicate names \['clicks'\]"),
        (
            {"datasets": [CLICKS], "parquet_tables": {"gold": None}},
            ValueError,
            r"parquet_tables names unknown datasets \['gold'\]",
        ),
        ({"datasets": [CLICKS], "shard_count": 2}, ValueError, r"shard_count=2 is only valid"),
        (
            {"datasets": [CLICKS], "retention_hours": 9_000},
            ValueError,
            r"retention_hours must be ≤",
        ),
        ({"datasets": [CLICKS], "alarm_topic": "arn"}, TypeError, r"alarm_topic must be an ITopic"),
        (
            {"datasets": [CLICKS], "catalog": "catalog"},
            TypeError,
            r"catalog must be a DataCatalog, got str",
        ),
        (
            {"datasets": [CLICKS], "data_lake": "lake"},
            TypeError,
            r"data_lake must be a DataLake, got str",
        ),
    ],
)
def test_stack_bad_input(kwargs, error, message):
    app = make_app()
    lake, _ = lake_stack(app)
    with pytest.raises(error, match=message):
        IngestionStack(app, "Bad", **{"data_lake": lake, **kwargs})
