"""MlConsumer: the role it creates or grants, and its input checks (under cdk-nag:
tests/nag/test_catalog_nag.py)."""

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template

from ml_data_platform.catalog import AthenaWorkgroup, DataCatalog
from ml_data_platform.consumers import MlConsumer
from ml_data_platform.storage import DataLake
from tests.conftest import TEST_ENV, make_app, resources_of_type


@pytest.fixture(scope="module")
def parts():
    stack = cdk.Stack(make_app(), "Consumer", env=TEST_ENV)
    lake = DataLake(stack, "Lake")
    catalog = DataCatalog(stack, "Catalog", lake=lake)
    workgroup = AthenaWorkgroup(
        stack, "Athena", encryption_key=lake.key, access_logs_bucket=lake.access_logs.bucket
    )
    return stack, lake, catalog, workgroup


def test_existing_role_is_granted_only_the_given_zones(parts):
    stack, lake, catalog, workgroup = parts
    role = iam.Role(stack, "Team", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    consumer = MlConsumer(
        stack,
        "TeamAccess",
        data_lake=lake,
        catalog=catalog,
        workgroup=workgroup,
        role=role,
        zones=["analytics"],
    )
    assert consumer.role is role
    (policy,) = [
        p["Properties"]
        for p in resources_of_type(Template.from_stack(stack), "AWS::IAM::Policy").values()
        if p["Properties"]["Roles"] == [{"Ref": stack.get_logical_id(role.node.default_child)}]
    ]
    text = str(policy["PolicyDocument"])
    assert "mldp_analytics" in text and "mldp_curated" not in text
    for zone, granted in (("analytics", True), ("curated", False), ("raw", False)):
        bucket = stack.get_logical_id(lake.zone(zone).bucket.node.default_child)
        assert (bucket in text) is granted, zone


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"data_lake": "catalog"},
            TypeError,
            r"MlConsumer.data_lake must be a DataLake, got DataCatalog",
        ),
        ({"catalog": "mldp"}, TypeError, r"MlConsumer.catalog must be a DataCatalog, got str"),
        (
            {"workgroup": "primary"},
            TypeError,
            r"MlConsumer.workgroup must be an AthenaWorkgroup, got str",
        ),
        (
            {"zones": []},
            ValueError,
            r"MlConsumer.zones must name at least one zone \(None: the lake's ML-readable "
            r"zones\), got \[\]",
        ),
        (
            {"zones": "curated"},
            TypeError,
            r"MlConsumer.zones must be a sequence of zone names, got the string 'curated'",
        ),
        ({"role": "arn:aws:iam::111111111111:role/x"}, TypeError, r"role must be an IRole"),
    ],
)
def test_bad_input_names_the_prop(parts, kwargs, error, message):
    stack, lake, catalog, workgroup = parts
    given = {"data_lake": lake, "catalog": catalog, "workgroup": workgroup, **kwargs}
    if given["data_lake"] == "catalog":
        given["data_lake"] = catalog  # the mistake from the review: the catalog as the lake
    with pytest.raises(error, match=message):
        MlConsumer(stack, f"Bad{len(stack.node.children)}", **given)
