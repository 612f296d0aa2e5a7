"""AthenaWorkgroup (enforcement, encryption, cutoff, grant_query) and LakeFormationAccess."""

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from ml_data_platform.catalog import AthenaWorkgroup, DataCatalog, LakeFormationAccess, LakeTable
from ml_data_platform.datasets import Column, Dataset
from ml_data_platform.storage import DataLake
from tests.conftest import TEST_ENV, make_app, only_resource, resources_of_type

CLICKS = Dataset("clicks", [Column("user_id", "string")])


@pytest.fixture(scope="module")
def built():
    stack = cdk.Stack(make_app(), "Query", env=TEST_ENV)
    lake = DataLake(stack, "Lake")
    catalog = DataCatalog(stack, "Catalog", lake=lake)
    table = LakeTable(
        stack,
        "Clicks",
        database=catalog.database("raw"),
        bucket=lake.zone("raw").bucket,
        dataset=CLICKS,
    )
    workgroup = AthenaWorkgroup(
        stack, "Athena", encryption_key=lake.key, access_logs_bucket=lake.access_logs.bucket
    )
    analyst = iam.Role(stack, "Analyst", assumed_by=iam.AccountRootPrincipal())
    grants = workgroup.grant_query(analyst, catalog=catalog, zones=["curated"], tables=[table])
    lf = LakeFormationAccess(stack, "LakeFormation", catalog=catalog, zones=["raw", "curated"])
    lf.grant(analyst, zone="curated")
    lf.grant(analyst, zone="raw", database_permissions=(), tables=["clicks"])
    return stack, lake, catalog, workgroup, analyst, grants, lf, Template.from_stack(stack)


def ref(stack, construct):
    return {"Ref": stack.get_logical_id(construct.node.default_child)}


def arn(stack, construct):
    return {"Fn::GetAtt": [stack.get_logical_id(construct.node.default_child), "Arn"]}


def test_workgroup_enforces_encrypted_results_cutoff_metrics_and_auto_engine(built):
    stack, lake, _, workgroup, *_, template = built
    _, resource = only_resource(template, "AWS::Athena::WorkGroup")
    props = resource["Properties"]
    assert "DeletionPolicy" not in resource
    assert props["RecursiveDeleteOption"] is False
    assert props["State"] == "ENABLED"
    assert props["Name"] == workgroup.workgroup_name
    config = props["WorkGroupConfiguration"]
    assert config["EnforceWorkGroupConfiguration"] is True
    assert config["PublishCloudWatchMetricsEnabled"] is True
    assert config["RequesterPaysEnabled"] is False
    assert config["BytesScannedCutoffPerQuery"] == 10 * 1024**3
    assert config["EngineVersion"] == {"SelectedEngineVersion": "AUTO"}
    assert config["ResultConfiguration"] == {
        "OutputLocation": {
            "Fn::Join": ["", ["s3://", ref(stack, workgroup.results_bucket), "/athena-results/"]]
        },
        "ExpectedBucketOwner": "111111111111",
        "EncryptionConfiguration": {"EncryptionOption": "SSE_KMS", "KmsKey": arn(stack, lake.key)},
    }


def test_results_bucket_is_a_lake_bucket_with_short_expiry(built):
    stack, lake, _, workgroup, *_, template = built
    bucket = template.to_json()["Resources"][
        stack.get_logical_id(workgroup.results_bucket.node.default_child)
    ]
    props = bucket["Properties"]
    assert bucket["DeletionPolicy"] == "Retain"
    sse = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert sse["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": arn(stack, lake.key),
    }
    rules = props["LifecycleConfiguration"]["Rules"]
    assert rules[0]["ExpirationInDays"] == 7
    assert rules[1]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}
    assert rules[1]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    assert props["LoggingConfiguration"]["DestinationBucketName"] == ref(
        stack, lake.access_logs.bucket
    )
    assert "NotificationConfiguration" not in props
    template.resource_count_is("AWS::S3::Bucket", 5)  # 3 zones + access logs + results


def _statements(stack, template, role):
    policies = resources_of_type(template, "AWS::IAM::Policy")
    (policy,) = [
        p
        for p in policies.values()
        if p["Properties"]["Roles"] == [{"Ref": stack.get_logical_id(role.node.default_child)}]
    ]
    return policy["Properties"]["PolicyDocument"]["Statement"]


def _actions(statement):
    action = statement["Action"]
    return [action] if isinstance(action, str) else action


def test_grant_query_covers_athena_glue_s3_and_kms_in_one_call(built):
    stack, lake, catalog, workgroup, analyst, grants, _, template = built
    assert all(g.success for g in grants)
    statements = _statements(stack, template, analyst)
    athena = next(s for s in statements if "athena:StartQueryExecution" in _actions(s))
    assert "athena:GetQueryResults" in _actions(athena)
    assert str(athena["Resource"]).count(f"workgroup/{workgroup.workgroup_name}") == 1
    glue = next(s for s in statements if "glue:GetTable" in _actions(s))
    assert not any(
        a.startswith("glue:Create") or a.startswith("glue:Update") for a in _actions(glue)
    )
    glue_resources = str(glue["Resource"])
    for fragment in (
        ":catalog",
        "database/mldp_curated",
        "table/mldp_curated/*",
        "table/', {'Ref': '" + stack.get_logical_id(catalog.databases["raw"]) + "'}, '/clicks",
    ):
        assert fragment in glue_resources, fragment
    assert "mldp_analytics" not in glue_resources
    text = str(statements)
    curated = stack.get_logical_id(lake.zone("curated").bucket.node.default_child)
    raw = stack.get_logical_id(lake.zone("raw").bucket.node.default_child)
    analytics = stack.get_logical_id(lake.zone("analytics").bucket.node.default_child)
    assert curated in text and raw in text and analytics not in text
    assert "/clicks/*" in text
    results = stack.get_logical_id(workgroup.results_bucket.node.default_child)
    writes = [s for s in statements if "s3:PutObject" in _actions(s)]
    assert len(writes) == 1 and results in str(writes[0]["Resource"])
    assert "/athena-results/*" in str(writes[0]["Resource"])
    kms_actions = {a for s in statements for a in _actions(s) if a.startswith("kms:")}
    assert {"kms:Decrypt", "kms:GenerateDataKey"} <= kms_actions
    assert not any(
        a in ("*", "s3:*", "glue:*", "athena:*") for s in statements for a in _actions(s)
    )


def test_lake_formation_registers_zones_with_a_scoped_role(built):
    stack, lake, _, _, _, _, lf, template = built
    resources = resources_of_type(template, "AWS::LakeFormation::Resource")
    assert len(resources) == 2
    for zone in ("raw", "curated"):
        props = template.to_json()["Resources"][stack.get_logical_id(lf.resources[zone])][
            "Properties"
        ]
        assert props == {
            "ResourceArn": arn(stack, lake.zone(zone).bucket),
            "UseServiceLinkedRole": False,
            "RoleArn": arn(stack, lf.role),
            "HybridAccessEnabled": False,
        }
    role = template.to_json()["Resources"][stack.get_logical_id(lf.role.node.default_child)]
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "lakeformation.amazonaws.com"
    }
    policies = resources_of_type(template, "AWS::IAM::ManagedPolicy")
    (policy,) = [p for p in policies.values() if p["Properties"]["Roles"] == [ref(stack, lf.role)]]
    text = str(policy["Properties"]["PolicyDocument"])
    assert stack.get_logical_id(lake.zone("analytics").bucket.node.default_child) not in text
    assert "kms:Decrypt" in text


def test_lake_formation_grants_database_and_table_permissions(built):
    stack, _, _, _, analyst, _, lf, template = built
    permissions = [
        p["Properties"]
        for p in resources_of_type(template, "AWS::LakeFormation::PrincipalPermissions").values()
    ]
    assert len(permissions) == 3
    principal = {"DataLakePrincipalIdentifier": arn(stack, analyst)}
    assert {
        "Catalog": "111111111111",
        "Principal": principal,
        "Permissions": ["DESCRIBE"],
        "PermissionsWithGrantOption": [],
        "Resource": {"Database": {"CatalogId": "111111111111", "Name": "mldp_curated"}},
    } in permissions
    assert {
        "Catalog": "111111111111",
        "Principal": principal,
        "Permissions": ["SELECT", "DESCRIBE"],
        "PermissionsWithGrantOption": [],
        "Resource": {
            "Table": {
                "CatalogId": "111111111111",
                "DatabaseName": "mldp_curated",
                "TableWildcard": {},
            }
        },
    } in permissions
    assert {
        "Catalog": "111111111111",
        "Principal": principal,
        "Permissions": ["SELECT", "DESCRIBE"],
        "PermissionsWithGrantOption": [],
        "Resource": {
            "Table": {"CatalogId": "111111111111", "DatabaseName": "mldp_raw", "Name": "clicks"}
        },
    } in permissions
    assert len(lf.permissions) == 3


def test_workgroup_with_given_bucket_prefix_and_cutoff():
    stack = cdk.Stack(make_app(), "Given", env=TEST_ENV)
    key = kms.Key.from_key_arn(stack, "Key", "arn:aws:kms:us-east-1:111111111111:key/k")
    bucket = s3.Bucket.from_bucket_name(stack, "Results", "team-athena")
    workgroup = AthenaWorkgroup(
        stack,
        "Wg",
        encryption_key=key,
        results_bucket=bucket,
        results_prefix="ml",
        bytes_scanned_cutoff=10 * 1024 * 1024,
        workgroup_name="mldp-dev",
    )
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::S3::Bucket", 0)
    _, resource = only_resource(template, "AWS::Athena::WorkGroup")
    config = resource["Properties"]["WorkGroupConfiguration"]
    assert resource["Properties"]["Name"] == "mldp-dev"
    assert config["BytesScannedCutoffPerQuery"] == 10_485_760
    assert config["ResultConfiguration"]["OutputLocation"] == "s3://team-athena/ml/"
    assert workgroup.results is None
    assert stack.resolve(workgroup.workgroup_arn) == (
        "arn:aws:athena:us-east-1:111111111111:workgroup/mldp-dev"
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"bytes_scanned_cutoff": 10 * 1024 * 1024 - 1},
            ValueError,
            r"bytes_scanned_cutoff must be ≥ 10485760, got 10485759",
        ),
        ({"bytes_scanned_cutoff": 1e9}, TypeError, r"bytes_scanned_cutoff must be an integer"),
        ({"encryption_key": None}, TypeError, r"encryption_key must be an IKey"),
        ({"results_bucket": "bucket"}, TypeError, r"results_bucket must be an IBucket"),
        ({"results_prefix": "/abs"}, ValueError, r"results_prefix '/abs' must be a relative"),
        ({"workgroup_name": "bad name!"}, ValueError, r"workgroup_name 'bad name!' must be 1–128"),
        ({"results_expiration_days": 0}, ValueError, r"results_expiration_days must be ≥ 1"),
    ],
)
def test_workgroup_bad_input(kwargs, error, message):
    stack = cdk.Stack(make_app(), "Bad")
    key = kms.Key.from_key_arn(stack, "Key", "arn:aws:kms:us-east-1:111111111111:key/k")
    with pytest.raises(error, match=message):
        AthenaWorkgroup(stack, "Wg", **{"encryption_key": key, **kwargs})


def test_grant_query_and_lake_formation_bad_input(built):
    stack, _, catalog, workgroup, analyst, _, lf, _ = built
    with pytest.raises(TypeError, match=r"role must be an IRole"):
        workgroup.grant_query("analyst", catalog=catalog, zones=["raw"])
    with pytest.raises(TypeError, match=r"catalog must be a DataCatalog"):
        workgroup.grant_query(analyst, catalog="catalog", zones=["raw"])
    with pytest.raises(TypeError, match=r"zones must be a sequence of zone names"):
        workgroup.grant_query(analyst, catalog=catalog, zones="raw")
    with pytest.raises(TypeError, match=r"tables must be LakeTable objects"):
        workgroup.grant_query(analyst, catalog=catalog, tables=["clicks"])
    with pytest.raises(ValueError, match=r"needs at least one zone or table"):
        workgroup.grant_query(analyst, catalog=catalog)
    with pytest.raises(KeyError, match=r"no zone 'gold'"):
        workgroup.grant_query(analyst, catalog=catalog, zones=["gold"])
    with pytest.raises(ValueError, match=r"table_permissions: unknown permissions \['READ'\]"):
        lf.grant(analyst, zone="raw", table_permissions=["READ"])
    with pytest.raises(ValueError, match=r"database_permissions: unknown permissions \['SELECT'\]"):
        lf.grant(analyst, zone="raw", database_permissions=["SELECT"])
    with pytest.raises(TypeError, match=r"principal must be an IRole"):
        lf.grant("arn:aws:iam::1:role/x", zone="raw")
    with pytest.raises(ValueError, match=r"tables 'Bad' is not a valid Glue"):
        lf.grant(analyst, zone="raw", tables=["Bad"])
    with pytest.raises(TypeError, match=r"catalog must be a DataCatalog"):
        LakeFormationAccess(stack, "Lf2", catalog=None)
