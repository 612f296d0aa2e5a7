"""WarehouseStack under every enforced cdk-nag pack: zero unacknowledged findings, and exactly
the expected acknowledgements."""

import pytest

from ml_data_platform.warehouse.lookup import DEPLOY_TIME_FUNCTION_RULES
from tests.conftest import acknowledged_rules, make_app, synth_with_nag
from tests.unit.stacks.test_warehouse_stack import ZONES_WITH_STAGING_RULE, build

PROVIDER = "Warehouse/AWS679f53fac002430cb0da5b7982bd2287"
EXPECTED = {
    # The deploy-time lookup (managed admin secret ARN, S3 prefix list id): outside the VPC,
    # run by CloudFormation only; DescribeManagedPrefixLists has no resource-level permissions.
    *((rule, "Warehouse/Warehouse/Lookup/Function") for rule in DEPLOY_TIME_FUNCTION_RULES),
    ("AwsSolutions-IAM5[Resource::*]", "Warehouse/Warehouse/Lookup/Policy"),
    # Kinesis source: SSE on the delivery stream is not allowed.
    ("AwsSolutions-KDF1", "Warehouse/Delivery/Resource"),
    # Object ARNs under the table's staging and backup prefixes.
    (
        "AwsSolutions-IAM5[Resource::Storage:ExportsOutputFnGetAttDataLakeRawZoneBucketC98FCD5DArn"
        "5606B32F/warehouse-staging/public/clickstream_events/*]",
        "Warehouse/Delivery/Policy",
    ),
    (
        "AwsSolutions-IAM5[Resource::Storage:ExportsOutputFnGetAttDataLakeRawZoneBucketC98FCD5DArn"
        "5606B32F/warehouse-backup/public/clickstream_events/*]",
        "Warehouse/Delivery/Policy",
    ),
    # The VPC created for the warehouse: unused default SG, public subnets for Firehose.
    *(
        (f"{pack}-VPCDefaultSecurityGroupClosed", "Warehouse/Warehouse/Vpc/Vpc")
        for pack in ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321")
    ),
    *(
        (f"{pack}-VPCNoUnrestrictedRouteToIGW", f"Warehouse/Warehouse/Vpc/Vpc/PublicSubnet{n}")
        for pack in ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321")
        for n in (1, 2, 3)
    ),
    # The AwsCustomResource provider that creates the table.
    ("HIPAA.Security-LambdaConcurrency", PROVIDER),
    ("HIPAA.Security-LambdaDLQ", PROVIDER),
    ("HIPAA.Security-LambdaInsideVPC", PROVIDER),
    ("NIST.800.53.R5-LambdaConcurrency", PROVIDER),
    ("NIST.800.53.R5-LambdaDLQ", PROVIDER),
    ("NIST.800.53.R5-LambdaInsideVPC", PROVIDER),
    ("PCI.DSS.321-LambdaInsideVPC", PROVIDER),
}


@pytest.fixture(scope="module")
def report():
    app = make_app()
    build(app, zones=ZONES_WITH_STAGING_RULE)
    return synth_with_nag(app)


def test_warehouse_stack_passes_all_packs(report):
    assert {p["pluginName"] for p in report["pluginReports"]} == {
        "AwsSolutions",
        "HIPAA.Security",
        "NIST.800.53.R5",
        "PCI.DSS.321",
    }
    assert all(p["conclusion"] == "success" for p in report["pluginReports"])


def test_warehouse_acknowledgements_are_exactly_the_expected_ones(report):
    warehouse = {
        (rule, at)
        for rule, at in acknowledged_rules(report)
        if at == "Warehouse" or at.startswith("Warehouse/")
    }
    assert warehouse == EXPECTED


def test_security_group_and_workgroup_need_no_acknowledgement(report):
    paths = {at for _, at in acknowledged_rules(report)}
    assert not any("SecurityGroup" in p or "Workgroup" in p or "Namespace" in p for p in paths)
