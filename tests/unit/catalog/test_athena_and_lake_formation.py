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
    # Events to EventBridge (Control Tower CT.S3.PR.4), set in the template: no Lambda.
    assert props["NotificationConfiguration"] == {
        "EventBridgeConfiguration": {"EventBridgeEnabled": True}
    }
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
    # Athena, Glue, the curated zone, the clicks table, the results prefix, the key.
    assert len(grants) == 6
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
    # The catalog is not encrypted: no statement goes through Glue to a catalog key.
    assert "kms:ViaService" not in text
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


def test_lake_formation_grant_gives_get_data_access_once_per_principal(built):
    stack, _, _, _, analyst, _, _, template = built
    policies = [
        p["Properties"]
        for p in resources_of_type(template, "AWS::IAM::ManagedPolicy").values()
        if "lakeformation:GetDataAccess" in str(p["Properties"]["PolicyDocument"])
    ]
    # Two grants to the analyst, one policy with exactly the one statement.
    assert len(policies) == 1
    assert policies[0]["Roles"] == [ref(stack, analyst)]
    assert policies[0]["PolicyDocument"]["Statement"] == [
        {
            "Sid": "LakeFormationDataAccess",
            "Effect": "Allow",
            "Action": "lakeformation:GetDataAccess",
            "Resource": "*",
        }
    ]
    # Its acknowledgement is checked under cdk-nag in tests/nag/test_catalog_nag.py.


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
        ({"results_prefix": "a//b"}, ValueError, r"results_prefix 'a//b' must be a relative"),
        ({"results_prefix": ""}, ValueError, r"results_prefix must not be empty"),
        ({"results_prefix": 3}, TypeError, r"results_prefix must be a string, got int"),
        (
            {"description": "x" * 1025},
            ValueError,
            r"description 'x+'\.\.\. has 1025 characters; Athena accepts at most 1024",
        ),
        ({"description": None}, TypeError, r"description must be a string, got NoneType"),
        ({"workgroup_name": "bad name!"}, ValueError, r"workgroup_name 'bad name!' must be 1–128"),
        ({"results_expiration_days": 0}, ValueError, r"results_expiration_days must be ≥ 1"),
    ],
)
def test_workgroup_bad_input(kwargs, error, message):
    stack = cdk.Stack(make_app(), "Bad")
    key = kms.Key.from_key_arn(stack, "Key", "arn:aws:kms:us-east-1:111111111111:key/k")
    with pytest.raises(error, match=message):
        AthenaWorkgroup(stack, "Wg", **{"encryption_key": key, **kwargs})


def test_workgroup_accepts_a_1024_character_description():
    stack = cdk.Stack(make_app(), "Long")
    key = kms.Key.from_key_arn(stack, "Key", "arn:aws:kms:us-east-1:111111111111:key/k")
    workgroup = AthenaWorkgroup(
        stack,
        "Wg",
        encryption_key=key,
        results_bucket=s3.Bucket.from_bucket_name(stack, "R", "team-athena"),
        description="d" * 1024,
    )
    assert len(stack.resolve(workgroup.workgroup.description)) == 1024


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"results_expiration_days": 7},
            r"results_expiration_days configure the default results bucket and would be ignored "
            r"with results_bucket",
        ),
        (
            {"removal_policy": cdk.RemovalPolicy.RETAIN, "access_logs_bucket": "logs"},
            r"access_logs_bucket, removal_policy configure the default results bucket",
        ),
    ],
)
def test_settings_of_the_default_results_bucket_are_refused_with_a_given_bucket(kwargs, message):
    stack = cdk.Stack(make_app(), "Given")
    key = kms.Key.from_key_arn(stack, "Key", "arn:aws:kms:us-east-1:111111111111:key/k")
    if kwargs.get("access_logs_bucket"):
        kwargs["access_logs_bucket"] = s3.Bucket.from_bucket_name(stack, "Logs", "team-logs")
    bucket = s3.Bucket.from_bucket_name(stack, "Results", "team-athena")
    with pytest.raises(ValueError, match=message):
        AthenaWorkgroup(stack, "Wg", encryption_key=key, results_bucket=bucket, **kwargs)


def test_results_bucket_encrypted_with_another_key_is_refused():
    stack = cdk.Stack(make_app(), "OtherKey")
    lake = DataLake(stack, "Lake")
    other = kms.Key(stack, "QueryKey", enable_key_rotation=True)
    with pytest.raises(
        ValueError,
        match=r"results_bucket is encrypted with the key 'OtherKey/Lake/Key/Key' but "
        r"encryption_key is 'OtherKey/QueryKey': .* pass the bucket's key as encryption_key",
    ):
        AthenaWorkgroup(
            stack, "Wg", encryption_key=other, results_bucket=lake.zone("analytics").bucket
        )
    # The bucket's own key, or an import of the same literal ARN, is accepted.
    AthenaWorkgroup(
        stack, "Same", encryption_key=lake.key, results_bucket=lake.zone("analytics").bucket
    )
    arn = "arn:aws:kms:us-east-1:111111111111:key/k"
    imported = s3.Bucket.from_bucket_attributes(
        stack,
        "Imported",
        bucket_name="team-athena",
        encryption_key=kms.Key.from_key_arn(stack, "BucketKey", arn),
    )
    AthenaWorkgroup(
        stack,
        "Import",
        encryption_key=kms.Key.from_key_arn(stack, "QueryKeyImport", arn),
        results_bucket=imported,
    )


def test_grant_query_decrypts_an_encrypted_catalog_through_glue_only():
    stack = cdk.Stack(make_app(), "EncCatalog", env=TEST_ENV)
    lake = DataLake(stack, "Lake")
    catalog_key = kms.Key.from_key_arn(
        stack, "CatalogKey", "arn:aws:kms:us-east-1:111111111111:key/catalog"
    )
    catalog = DataCatalog(stack, "Catalog", lake=lake, catalog_key=catalog_key)
    workgroup = AthenaWorkgroup(
        stack, "Athena", encryption_key=lake.key, access_logs_bucket=lake.access_logs.bucket
    )
    analyst = iam.Role(stack, "Analyst", assumed_by=iam.AccountRootPrincipal())
    grants = workgroup.grant_query(analyst, catalog=catalog, zones=["curated"])
    assert len(grants) == 6
    statements = _statements(stack, Template.from_stack(stack), analyst)
    on_catalog_key = [s for s in statements if s["Resource"] == catalog_key.key_arn]
    assert on_catalog_key == [
        {
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": "arn:aws:kms:us-east-1:111111111111:key/catalog",
            "Condition": {
                "StringEquals": {
                    "kms:ViaService": {
                        "Fn::Join": ["", ["glue.us-east-1.", {"Ref": "AWS::URLSuffix"}]]
                    }
                }
            },
        }
    ]


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
    with pytest.raises(
        TypeError, match=r"tables must be a sequence of table names, got the string 'clicks'"
    ):
        lf.grant(analyst, zone="raw", tables="clicks")
    with pytest.raises(ValueError, match=r"tables must name at least one table \(None: every"):
        lf.grant(analyst, zone="raw", tables=[])
    with pytest.raises(ValueError, match=r"tables \['clicks'\] need table_permissions"):
        lf.grant(analyst, zone="raw", table_permissions=(), tables=["clicks"])
    with pytest.raises(
        ValueError, match=r"database_permissions and table_permissions are both empty"
    ):
        lf.grant(analyst, zone="raw", database_permissions=[], table_permissions=[])
    with pytest.raises(
        TypeError,
        match=r"database_permissions must be a sequence of permission names, got 'DESCRIBE'",
    ):
        lf.grant(analyst, zone="raw", database_permissions="DESCRIBE")
    assert len(lf.permissions) == 3  # the refused grants created nothing
    with pytest.raises(TypeError, match=r"catalog must be a DataCatalog"):
        LakeFormationAccess(stack, "Lf2", catalog=None)
    with pytest.raises(TypeError, match=r"zones must be a sequence of zone names, got the string"):
        LakeFormationAccess(stack, "Lf3", catalog=catalog, zones="raw")
    with pytest.raises(ValueError, match=r"zones must name at least one zone \(None: every"):
        LakeFormationAccess(stack, "Lf4", catalog=catalog, zones=[])
