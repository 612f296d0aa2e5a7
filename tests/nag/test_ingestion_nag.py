"""IngestionStack under every enforced cdk-nag pack: zero unacknowledged findings, and exactly
the expected acknowledgements (KDF1, KDS3, IAM5 on the prefix object ARNs only)."""

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sns as sns

from ml_data_platform.compliance.wildcards import flatten_reference as _flatten
from ml_data_platform.core.removal import ALLOW_DESTROY_CONTEXT
from ml_data_platform.datasets import Column, Dataset
from ml_data_platform.stacks.ingestion_stack import IngestionStack
from ml_data_platform.storage import DataLake
from ml_data_platform.streaming import IngestionStream, LakeDeliveryStream
from tests.conftest import acknowledged_rules, make_app, synth_with_nag
from tests.unit.stacks.test_ingestion_stack import CLICKS, FEATURES, PAGE_VIEWS, lake_stack


@pytest.fixture(scope="module")
def report():
    app = make_app()
    lake, table = lake_stack(app)
    IngestionStack(
        app,
        "Ingestion",
        data_lake=lake,
        datasets=[CLICKS, PAGE_VIEWS, FEATURES],
        parquet_tables={"features": table},
    )
    return synth_with_nag(app)


def test_ingestion_stack_passes_all_packs(report):
    assert {p["pluginName"] for p in report["pluginReports"]} == {
        "AwsSolutions",
        "HIPAA.Security",
        "NIST.800.53.R5",
        "PCI.DSS.321",
    }
    assert all(p["conclusion"] == "success" for p in report["pluginReports"])
    assert all(not p.get("violations") for p in report["pluginReports"])


def _bucket_import(output="PublishOutputFnGetAttDataLakeRawZoneBucketC98FCD5DArnFBC68C1B"):
    return (
        '{"Fn::GetStackOutput":{"StackName":"Storage","Region":{"Ref":"AWS::Region"},'
        f'"OutputName":"{output}"}}}}'
    )


def test_ingestion_acknowledgements_are_exactly_the_expected_ones(report):
    acknowledged = {
        (rule, at) for rule, at in acknowledged_rules(report) if at.startswith("Ingestion/")
    }
    expected = set()
    for name, prefix in (
        ("Clicks", "clicks"),
        ("PageViews", "page-views"),
        ("Features", "features"),
    ):
        expected |= {
            ("AwsSolutions-KDS3", f"Ingestion/{name}Stream/Stream"),
            ("AwsSolutions-KDF1", f"Ingestion/{name}Delivery/DeliveryStream"),
            (
                f"AwsSolutions-IAM5[Resource::{_bucket_import()}/{prefix}/year=*]",
                f"Ingestion/{name}Delivery/Policy",
            ),
            (
                f"AwsSolutions-IAM5[Resource::{_bucket_import()}/errors/{prefix}/*]",
                f"Ingestion/{name}Delivery/Policy",
            ),
        }
    assert acknowledged == expected


def test_acknowledgements_say_why(report):
    reasons = {
        s["ruleName"].split("[")[0]: s["reason"]
        for p in report["pluginReports"]
        for s in p.get("suppressedViolations", [])
        if s["acknowledgedAt"].startswith("Ingestion/")
    }
    assert (
        "cannot be enabled on a delivery stream whose source is a Kinesis"
        in reasons["AwsSolutions-KDF1"]
    )
    assert "customer-managed key is required" in reasons["AwsSolutions-KDS3"]
    assert "delivery prefix and the error prefix" in reasons["AwsSolutions-IAM5"]


def test_constructs_in_one_stack_with_destroy_pass_all_packs():
    """Same-stack references flatten differently (``<Bucket.Arn>/...``): still acknowledged."""
    app = make_app(**{ALLOW_DESTROY_CONTEXT: True})
    stack = cdk.Stack(app, "Standalone")
    lake = DataLake(stack, "Lake", removal_policy=cdk.RemovalPolicy.DESTROY)
    topic = sns.Topic(stack, "Alarms", master_key=lake.key, enforce_ssl=True)
    stream = IngestionStream(
        stack,
        "Stream",
        encryption_key=lake.key,
        alarm_topic=topic,
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    delivery = LakeDeliveryStream(
        stack,
        "Clicks",
        source_stream=stream,
        bucket=lake.zone("raw").bucket,
        dataset=Dataset("clicks", [Column("user_id", "string")], partition_keys={"url": ".url"}),
        alarm_topic=topic,
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    report = synth_with_nag(app)
    bucket_id = stack.get_logical_id(lake.zone("raw").bucket.node.default_child)
    iam5 = {
        rule
        for rule, at in acknowledged_rules(report)
        if at == delivery.policy.node.path and rule.startswith("AwsSolutions-IAM5")
    }
    assert iam5 == {
        f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/clicks/url=*]",
        f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/errors/clicks/*]",
    }


def test_flatten_matches_cdk_nag_format():
    assert _flatten({"Fn::Join": ["", [{"Fn::GetAtt": ["B", "Arn"]}, "/x/*"]]}) == "<B.Arn>/x/*"
    assert _flatten({"Ref": "AWS::Partition"}) == "<AWS::Partition>"
    assert _flatten({"Fn::Sub": "arn:${AWS::Partition}:s3"}) == "arn:<AWS::Partition>:s3"
    assert _flatten({"Fn::ImportValue": "Out"}) == "Out"
    assert _flatten({"Fn::GetStackOutput": {"a": 1}}) == '{"Fn::GetStackOutput":{"a":1}}'
