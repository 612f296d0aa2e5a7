"""CatalogStack under every enforced cdk-nag pack: zero unacknowledged findings.

GL1/GL3 (crawler security configuration with CloudWatch and job-bookmark encryption) and ATH1
(enforced, encrypted workgroup results) are fixed, not acknowledged. What is acknowledged:
the scoped wildcards of the crawler and Lake Formation roles (IAM5, finding by finding) and,
on the Athena results bucket and its access-log bucket, the platform-wide bucket decisions.
"""

import re

import aws_cdk as cdk
import pytest

from ml_data_platform.core.removal import ALLOW_DESTROY_CONTEXT
from ml_data_platform.datasets import Column, Dataset
from ml_data_platform.stacks import StorageStack
from ml_data_platform.stacks.catalog_stack import CatalogStack
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
