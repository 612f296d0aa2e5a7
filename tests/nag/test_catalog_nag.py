"""CatalogStack under every enforced cdk-nag pack: zero unacknowledged findings.

GL1/GL3 (crawler security configuration with CloudWatch and job-bookmark encryption) and ATH1
(enforced, encrypted workgroup results) are fixed, not acknowledged. What is acknowledged:
the scoped wildcards of the crawler, Lake Formation and ML consumer roles (IAM5, finding by
finding; any other wildcard added to those policies still fails), Lake Formation's
``GetDataAccess`` on ``*`` in a policy of its own, and, on the Athena results bucket and its
access-log bucket, the platform-wide bucket decisions.
"""

import re

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam

from ml_data_platform.catalog import (
    AthenaWorkgroup,
    DataCatalog,
    LakeCrawler,
    LakeFormationAccess,
)
from ml_data_platform.compliance import ComplianceFindings, enable_compliance_checks
from ml_data_platform.compliance.rules import IAM_NO_INLINE_POLICY
from ml_data_platform.consumers import MlConsumer
from ml_data_platform.core.removal import ALLOW_DESTROY_CONTEXT
from ml_data_platform.datasets import Column, Dataset
from ml_data_platform.stacks import StorageStack
from ml_data_platform.stacks.catalog_stack import CatalogStack
from ml_data_platform.storage import DataLake
from tests.conftest import TEST_ENV, acknowledged_rules, make_app, synth_with_nag

DATASETS = (Dataset("clicks", [Column("user_id", "string")]),)
_STACK_OUTPUT = re.compile(
    r'\{"Fn::GetStackOutput":\{.*?"OutputName":"PublishOutput([A-Za-z]+?)[0-9A-F]{8}Arn[0-9A-F]{8}"\}\}'
)
REPLICATION = {
    "HIPAA.Security-S3BucketReplicationEnabled",
    "NIST.800.53.R5-S3BucketReplicationEnabled",
    "PCI.DSS.321-S3BucketReplicationEnabled",
}
LOG_BUCKET_SSE_S3 = {
    "HIPAA.Security-S3DefaultEncryptionKMS",
    "NIST.800.53.R5-S3DefaultEncryptionKMS",
    "PCI.DSS.321-S3DefaultEncryptionKMS",
}


def crawler_wildcards(zone):
    return {
        f"AwsSolutions-IAM5[Resource::<FnGetAttDataLake{zone.capitalize()}ZoneBucket>/*]",
        f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:table/mldp_{zone}/*]",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws-glue/crawlers*]",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws-glue/crawlers*:*]",
    }


def catalog_acknowledgements(report):
    """``{construct path: {rule}}`` for the Catalog stack, cross-stack ARNs shortened."""
    found: dict[str, set[str]] = {}
    for rule, at in acknowledged_rules(report):
        if at.startswith("Catalog/"):
            found.setdefault(at, set()).add(_STACK_OUTPUT.sub(r"<\1>", rule))
    return found


@pytest.fixture(scope="module")
def report():
    app = make_app()
    storage = StorageStack(app, "Storage")
    CatalogStack(
        app,
        "Catalog",
        data_lake=storage.data_lake,
        datasets=DATASETS,
        encrypt_catalog=True,
        lake_formation=True,
    )
    return synth_with_nag(app)


def test_catalog_stack_passes_all_packs(report):
    assert {p["pluginName"] for p in report["pluginReports"]} >= {
        "AwsSolutions",
        "HIPAA.Security",
        "NIST.800.53.R5",
        "PCI.DSS.321",
    }
    assert all(p["conclusion"] == "success" for p in report["pluginReports"])


def test_catalog_acknowledgements_are_exactly_the_expected_ones(report):
    assert catalog_acknowledgements(report) == {
        "Catalog/CuratedCrawler/Policy": crawler_wildcards("curated"),
        "Catalog/AnalyticsCrawler/Policy": crawler_wildcards("analytics"),
        "Catalog/LakeFormation/RegistrationPolicy": {
            f"AwsSolutions-IAM5[Resource::<FnGetAttDataLake{zone}ZoneBucket>/*]"
            for zone in ("Raw", "Curated", "Analytics")
        },
        "Catalog/Athena/Results/Bucket": REPLICATION,
        "Catalog/Athena/Results/AccessLogs/Bucket": REPLICATION | LOG_BUCKET_SSE_S3,
    }


def test_no_glue_or_athena_rule_is_acknowledged(report):
    rules = {rule for rule, _ in acknowledged_rules(report)}
    assert not any(re.search(r"-(GL\d|ATH\d)", rule) for rule in rules)


def test_destroy_opt_in_catalog_stack_passes_all_packs():
    app = make_app(**{ALLOW_DESTROY_CONTEXT: True})
    storage = StorageStack(app, "DevStorage", removal_policy=cdk.RemovalPolicy.DESTROY)
    CatalogStack(
        app,
        "DevCatalog",
        data_lake=storage.data_lake,
        datasets=DATASETS,
        crawler_zones=("curated",),
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    synth_with_nag(app)


def test_catalog_stack_with_a_known_region_passes_all_packs():
    # With env set, ARNs render with the literal partition ("arn:aws:...") in the findings.
    app = make_app()
    storage = StorageStack(app, "Storage", env=TEST_ENV)
    CatalogStack(
        app,
        "Catalog",
        data_lake=storage.data_lake,
        datasets=DATASETS,
        lake_formation=True,
        env=TEST_ENV,
    )
    rules = {rule for rule, at in acknowledged_rules(synth_with_nag(app)) if "Crawler" in at}
    assert (
        "AwsSolutions-IAM5[Resource::arn:aws:logs:us-east-1:111111111111:log-group:/aws-glue/crawlers*]"
        in rules
    )


def consumer_stack(app):
    stack = cdk.Stack(app, "Consumers")
    lake = DataLake(stack, "Lake")
    catalog = DataCatalog(stack, "Catalog", lake=lake)
    workgroup = AthenaWorkgroup(
        stack, "Athena", encryption_key=lake.key, access_logs_bucket=lake.access_logs.bucket
    )
    consumer = MlConsumer(stack, "Ml", data_lake=lake, catalog=catalog, workgroup=workgroup)
    return stack, lake, catalog, consumer


def bucket_id(stack, bucket):
    return stack.get_logical_id(bucket.node.default_child)


@pytest.fixture(scope="module")
def consumer_report():
    app = make_app()
    stack, lake, catalog, consumer = consumer_stack(app)
    lake_formation = LakeFormationAccess(stack, "LakeFormation", catalog=catalog, zones=["raw"])
    lake_formation.grant(consumer.role, zone="raw")
    lake_formation.grant(consumer.role, zone="raw", database_permissions=(), tables=["clicks"])
    return stack, lake, synth_with_nag(app)


def test_ml_consumer_acknowledges_exactly_its_grants(consumer_report):
    stack, lake, report = consumer_report
    found = {
        rule
        for rule, at in acknowledged_rules(report)
        if at == "Consumers/Ml/SageMakerExecutionRole/DefaultPolicy"
    }
    results = bucket_id(stack, stack.node.find_child("Athena").results_bucket)
    glue = "arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:table"
    assert found == set(IAM_NO_INLINE_POLICY) | {
        f"AwsSolutions-IAM5[{finding}]"
        for finding in (
            "Action::s3:GetObject*",
            "Action::s3:GetBucket*",
            "Action::s3:List*",
            "Action::s3:DeleteObject*",
            "Action::s3:Abort*",
            "Action::kms:ReEncrypt*",
            "Action::kms:GenerateDataKey*",
            f"Resource::<{bucket_id(stack, lake.zone('curated').bucket)}.Arn>/*",
            f"Resource::<{bucket_id(stack, lake.zone('analytics').bucket)}.Arn>/*",
            f"Resource::<{results}.Arn>/athena-results/*",
            f"Resource::{glue}/mldp_curated/*",
            f"Resource::{glue}/mldp_analytics/*",
        )
    }


def test_lake_formation_data_access_is_the_one_full_wildcard_acknowledged(consumer_report):
    _, _, report = consumer_report
    found = {
        (rule, at)
        for rule, at in acknowledged_rules(report)
        if at.startswith("Consumers/LakeFormation/") and at.endswith("DataAccess")
    }
    # Two grants to one role: one policy, one acknowledgement.
    assert len(found) == 1
    assert {rule for rule, _ in found} == {"AwsSolutions-IAM5[Resource::*]"}


def unacknowledged(app):
    """``{(rule, construct path)}`` of the findings that fail synthesis of ``app``."""
    enable_compliance_checks(app)
    with pytest.raises(ComplianceFindings) as raised:
        app.synth()
    report = raised.value.report
    return {
        (violation["ruleName"], construct["constructPath"])
        for plugin in report["pluginReports"]
        for violation in plugin.get("violations", [])
        for construct in violation["violatingConstructs"]
    }


def test_another_bucket_granted_to_the_ml_consumer_role_is_a_finding():
    app = make_app()
    stack, lake, _, consumer = consumer_stack(app)
    lake.zone("raw").bucket.grant_delete(consumer.role)  # s3:DeleteObject* is acknowledged
    raw = bucket_id(stack, lake.zone("raw").bucket)
    assert unacknowledged(app) == {
        (
            f"AwsSolutions-IAM5[Resource::<{raw}.Arn>/*]",
            "Consumers/Ml/SageMakerExecutionRole/DefaultPolicy/Resource",
        )
    }


def test_another_wildcard_action_on_an_acknowledged_bucket_is_a_finding():
    app = make_app()
    _, lake, _, consumer = consumer_stack(app)
    consumer.role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["s3:Delete*"], resources=[lake.zone("curated").bucket.arn_for_objects("*")]
        )
    )
    assert unacknowledged(app) == {
        (
            "AwsSolutions-IAM5[Action::s3:Delete*]",
            "Consumers/Ml/SageMakerExecutionRole/DefaultPolicy/Resource",
        )
    }


def test_another_bucket_in_the_crawler_policy_is_a_finding():
    app = make_app()
    stack, lake, catalog, _ = consumer_stack(app)
    crawler = LakeCrawler(stack, "Crawler", catalog=catalog, zone="curated")
    crawler.policy.add_statements(
        iam.PolicyStatement(
            actions=["s3:GetObject"], resources=[lake.zone("raw").bucket.arn_for_objects("*")]
        )
    )
    raw = bucket_id(stack, lake.zone("raw").bucket)
    assert unacknowledged(app) == {
        (f"AwsSolutions-IAM5[Resource::<{raw}.Arn>/*]", "Consumers/Crawler/Policy/Resource")
    }
