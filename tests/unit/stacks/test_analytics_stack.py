"""AnalyticsStack: per dataset, the reference job on Managed Flink → features stream → Parquet
delivery into the curated zone with its Glue table; clean in every nag pack."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from ml_data_platform.analytics.streaming_features import StreamingFeatures, features_dataset
from ml_data_platform.catalog import DataCatalog
from ml_data_platform.datasets import Column, Dataset
from ml_data_platform.monitoring import AlarmTopic
from ml_data_platform.stacks.analytics_stack import AnalyticsStack
from ml_data_platform.storage import DataLake
from ml_data_platform.streaming import IngestionStream
from tests.conftest import TEST_ENV, logical_ids, make_app, only_resource, synth_with_nag

CLICKS = Dataset(
    "clicks",
    [
        Column("event_id", "string"),
        Column("user_id", "string"),
        Column("event_type", "string"),
        Column("event_time", "timestamp"),
    ],
)
NO_USER = Dataset("pages", [Column("url", "string")])


def lake_and_streams(app: cdk.App, jar_dir):
    storage = cdk.Stack(app, "Storage", env=TEST_ENV)
    lake = DataLake(storage, "DataLake")
    catalog = DataCatalog(storage, "Catalog", lake=lake, database_prefix="t")
    topic = AlarmTopic(storage, "Alarms", encryption_key=lake.key).topic
    ingestion = cdk.Stack(app, "Ingestion", env=TEST_ENV)
    streams = {
        d.name: IngestionStream(
            ingestion, f"{d.name}Stream", encryption_key=lake.key, alarm_topic=topic
        )
        for d in (CLICKS, NO_USER)
    }
    jar = jar_dir / "connectors.jar"
    jar.write_bytes(b"jar")
    return lake, catalog, streams, jar


def build(app: cdk.App, jar_dir) -> AnalyticsStack:
    lake, catalog, streams, jar = lake_and_streams(app, jar_dir)
    return AnalyticsStack(
        app,
        "Analytics",
        data_lake=lake,
        catalog=catalog,
        streams=streams,
        datasets={"clicks": CLICKS, "pages": NO_USER},
        analytics={"clicks": StreamingFeatures(window_seconds=120, parallelism=2)},
        connector_jar=jar,
        env=TEST_ENV,
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    app = make_app()
    stack = build(app, tmp_path_factory.mktemp("jar"))
    return app, stack, Template.from_stack(stack)


def test_features_dataset_is_parquet_with_the_job_columns():
    features = features_dataset(CLICKS)
    assert features.name == "clicks-features"
    assert features.data_format.value == "parquet"
    assert [c.name for c in features.columns] == [
        "user_id",
        "event_type",
        "window_start",
        "window_end",
        "event_count",
    ]


def test_job_reads_the_dataset_stream_and_writes_the_features_stream(built):
    _, _, template = built
    _, application = only_resource(template, "AWS::KinesisAnalyticsV2::Application")
    groups = {
        g["PropertyGroupId"]: g["PropertyMap"]
        for g in application["Properties"]["ApplicationConfiguration"]["EnvironmentProperties"][
            "PropertyGroups"
        ]
    }
    assert groups["kinesis.analytics.flink.run.options"] == {
        "python": "main.py",
        "jarfile": "lib/connectors.jar",
        "pyFiles": "features.py",
    }
    assert groups["job"] == {"window.seconds": "120", "lateness.seconds": "5"}
    assert "clicksStream" in json.dumps(groups["source"]["stream.arn"])  # from Ingestion
    assert "Ref" in json.dumps(groups["sink.features"]["stream.name"])
    flink = application["Properties"]["ApplicationConfiguration"]["FlinkApplicationConfiguration"]
    assert flink["ParallelismConfiguration"]["Parallelism"] == 2


def test_features_land_in_the_curated_zone_as_parquet(built):
    _, _, template = built
    _, delivery = only_resource(template, "AWS::KinesisFirehose::DeliveryStream")
    destination = delivery["Properties"]["ExtendedS3DestinationConfiguration"]
    assert destination["DataFormatConversionConfiguration"]["Enabled"] is True
    assert destination["BufferingHints"]["SizeInMBs"] == 64
    assert destination["Prefix"].startswith("clicks-features/")
    assert "Curated" in json.dumps(destination["BucketARN"])
    _, table = only_resource(template, "AWS::Glue::Table")
    assert table["Properties"]["TableInput"]["Name"] == "clicks_features"


def test_stateful_logical_ids_are_pinned(built):
    _, _, template = built
    assert logical_ids(template, "AWS::Kinesis::Stream") == {"ClicksFeaturesStream059F50FA"}
    assert logical_ids(template, "AWS::KinesisAnalyticsV2::Application") == {
        "ClicksFeatures2EC495CD"
    }


def test_every_pack_is_clean(tmp_path):
    app = make_app()
    build(app, tmp_path)
    report = synth_with_nag(app)
    assert all(p["conclusion"] == "success" for p in report["pluginReports"])


@pytest.mark.parametrize(
    ("analytics", "error", "message"),
    [
        ({}, ValueError, "at least one dataset"),
        ({"other": StreamingFeatures()}, ValueError, "'other', which is not ingested"),
        (
            {"pages": StreamingFeatures()},
            ValueError,
            r"dataset 'pages': the streaming-features job reads columns .* it lacks \['user_id'",
        ),
    ],
)
def test_bad_analytics_fail(tmp_path, analytics, error, message):
    app = make_app()
    lake, catalog, streams, jar = lake_and_streams(app, tmp_path)
    with pytest.raises(error, match=message):
        AnalyticsStack(
            app,
            "Analytics",
            data_lake=lake,
            catalog=catalog,
            streams=streams,
            datasets={"clicks": CLICKS, "pages": NO_USER},
            analytics=analytics,
            connector_jar=jar,
        )


def test_streaming_features_settings_are_validated():
    with pytest.raises(ValueError, match="window_seconds must be ≥ 1"):
        StreamingFeatures(window_seconds=0)
    with pytest.raises(TypeError, match="start_on_deploy must be a bool"):
        StreamingFeatures(start_on_deploy="yes")
