"""DataLake, DataLakeBucket, AccessLogsBucket and DataLakeKey: defaults and options."""

import re

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match, Template
from constructs import Construct

from ml_data_platform.storage import (
    DataLake,
    DataLakeBucket,
    DataLakeKey,
    DataLakeZone,
    Lifecycle,
    LifecyclePreset,
    LifecycleRule,
    StorageClass,
    Transition,
)
from tests.conftest import TEST_ENV, make_app, only_resource, resources_of_type


@pytest.fixture(scope="module")
def lake_template():
    stack = cdk.Stack(make_app(), "Lake", env=TEST_ENV)
    lake = DataLake(stack, "DataLake")
    role = iam.Role(
        stack, "SageMakerRole", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com")
    )
    lake.grant_ml_consumer(role)
    return Template.from_stack(stack)


def zone_bucket(template, zone):
    buckets = resources_of_type(template, "AWS::S3::Bucket")
    (resource,) = [r for lid, r in buckets.items() if lid.startswith(f"DataLake{zone}ZoneBucket")]
    return resource


def test_data_lake_creates_one_key_three_zones_and_one_log_bucket(lake_template):
    lake_template.resource_count_is("AWS::KMS::Key", 1)
    lake_template.resource_count_is("AWS::S3::Bucket", 4)


@pytest.mark.parametrize("zone", ["Raw", "Curated", "Analytics"])
def test_zone_bucket_secure_defaults(lake_template, zone):
    props = zone_bucket(lake_template, zone)["Properties"]
    encryption = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["BucketKeyEnabled"] is True
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert encryption["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] == {
        "Fn::GetAtt": [next(iter(resources_of_type(lake_template, "AWS::KMS::Key"))), "Arn"]
    }
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["NotificationConfiguration"] == {
        "EventBridgeConfiguration": {"EventBridgeEnabled": True}
    }
    assert props["LoggingConfiguration"]["LogFilePrefix"] == f"{zone.lower()}/"
    assert props["LoggingConfiguration"]["DestinationBucketName"]["Ref"].startswith(
        "DataLakeAccessLogsBucket"
    )


def test_zone_buckets_and_key_are_retained_by_default(lake_template):
    for resource_type in ("AWS::S3::Bucket", "AWS::KMS::Key"):
        for resource in resources_of_type(lake_template, resource_type).values():
            assert resource["DeletionPolicy"] == "Retain"
            assert resource["UpdateReplacePolicy"] == "Retain"
    lake_template.resource_count_is("Custom::S3AutoDeleteObjects", 0)


def test_zone_lifecycles_follow_presets(lake_template):
    rules = zone_bucket(lake_template, "Raw")["Properties"]["LifecycleConfiguration"]["Rules"]
    assert rules[0]["Transitions"] == [
        {"StorageClass": "STANDARD_IA", "TransitionInDays": 30},
        {"StorageClass": "GLACIER_IR", "TransitionInDays": 90},
        {"StorageClass": "DEEP_ARCHIVE", "TransitionInDays": 180},
    ]
    assert rules[1] == {
        "Id": "hygiene",
        "Status": "Enabled",
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
        "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
        "ExpiredObjectDeleteMarker": True,
    }
    curated = zone_bucket(lake_template, "Curated")["Properties"]["LifecycleConfiguration"]
    assert curated["Rules"][0]["Transitions"] == [
        {"StorageClass": "INTELLIGENT_TIERING", "TransitionInDays": 0}
    ]
    analytics = zone_bucket(lake_template, "Analytics")["Properties"]["LifecycleConfiguration"]
    assert analytics["Rules"][0]["Transitions"] == [
        {"StorageClass": "STANDARD_IA", "TransitionInDays": 30}
    ]


def test_zone_bucket_policy_denies_insecure_transport_and_other_encryption(lake_template):
    policies = resources_of_type(lake_template, "AWS::S3::BucketPolicy")
    raw_policy = next(p for lid, p in policies.items() if lid.startswith("DataLakeRawZone"))
    statements = raw_policy["Properties"]["PolicyDocument"]["Statement"]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in statements
    )
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"NumericLessThan": {"s3:TlsVersion": 1.2}}
        for s in statements
    )
    sids = {s.get("Sid") for s in statements}
    assert {"DenyUploadsWithOtherEncryption", "DenyUploadsWithAnotherKey"} <= sids
    other = next(s for s in statements if s.get("Sid") == "DenyUploadsWithOtherEncryption")
    assert other["Condition"] == {
        "StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}
    }


def test_access_log_bucket_uses_sse_s3_and_log_delivery_policy(lake_template):
    buckets = resources_of_type(lake_template, "AWS::S3::Bucket")
    (logs,) = [r for lid, r in buckets.items() if lid.startswith("DataLakeAccessLogsBucket")]
    encryption = logs["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert "LoggingConfiguration" not in logs["Properties"]
    assert logs["Properties"]["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == 365
    lake_template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": "s3:PutObject",
                                "Principal": {"Service": "logging.s3.amazonaws.com"},
                            }
                        )
                    ]
                )
            }
        },
    )


def test_key_has_rotation_alias_and_service_statements(lake_template):
    _, key = only_resource(lake_template, "AWS::KMS::Key")
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["Properties"]["PendingWindowInDays"] == 30
    sids = {s.get("Sid") for s in key["Properties"]["KeyPolicy"]["Statement"]}
    assert {"AllowCloudWatchLogsOfThisAccount", "AllowCloudWatchAlarmsToEncryptedTopics"} <= sids
    _, alias = only_resource(lake_template, "AWS::KMS::Alias")
    assert alias["Properties"]["AliasName"] == "alias/ml-data-platform/lake/datalake-key"


def test_key_policy_denies_grants_that_are_not_for_aws_resources(lake_template):
    _, key = only_resource(lake_template, "AWS::KMS::Key")
    (deny,) = [s for s in key["Properties"]["KeyPolicy"]["Statement"] if s["Effect"] == "Deny"]
    assert deny == {
        "Sid": "DenyGrantsNotForAwsResources",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "kms:CreateGrant",
        "Resource": "*",
        # Both false (AND): an IAM user or role creating a grant for itself; a service (Redshift
        # Serverless) or a grant for an AWS resource is not denied.
        "Condition": {
            "BoolIfExists": {
                "kms:GrantIsForAWSResource": "false",
                "aws:PrincipalIsAWSService": "false",
            }
        },
    }


def test_grant_ml_consumer_reads_curated_and_analytics_only(lake_template):
    policies = resources_of_type(lake_template, "AWS::IAM::Policy")
    (policy,) = policies.values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    resources = str([s["Resource"] for s in statements])
    assert "DataLakeCuratedZoneBucket" in resources
    assert "DataLakeAnalyticsZoneBucket" in resources
    assert "DataLakeRawZoneBucket" not in resources
    actions = {
        a
        for s in statements
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert "kms:Decrypt" in actions
    assert not any(a.startswith("s3:Put") or a.startswith("s3:Delete") for a in actions)


def test_data_lake_accepts_existing_key_and_custom_zones():
    stack = cdk.Stack(make_app(), "Custom", env=TEST_ENV)
    key = kms.Key.from_key_arn(stack, "Existing", "arn:aws:kms:us-east-1:111111111111:key/abcd")
    lake = DataLake(
        stack,
        "Lake",
        encryption_key=key,
        bucket_name_prefix="acme-ml-dev",
        zones=[
            DataLakeZone("landing", LifecyclePreset.ARCHIVE),
            DataLakeZone("feature-store", LifecyclePreset.INTELLIGENT_TIERING),
        ],
    )
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::KMS::Key", 0)
    assert sorted(lake.zones) == ["feature-store", "landing"]
    names = {
        r["Properties"].get("BucketName")
        for r in resources_of_type(template, "AWS::S3::Bucket").values()
    }
    assert names == {"acme-ml-dev-landing", "acme-ml-dev-feature-store", "acme-ml-dev-access-logs"}
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketName": "acme-ml-dev-landing",
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    Match.object_like(
                        {
                            "ServerSideEncryptionByDefault": {
                                "KMSMasterKeyID": "arn:aws:kms:us-east-1:111111111111:key/abcd",
                                "SSEAlgorithm": "aws:kms",
                            }
                        }
                    )
                ]
            },
        },
    )
    feature_store = lake.zone("feature-store")
    assert feature_store is lake.zones["feature-store"]
    feature_store_id = stack.get_logical_id(feature_store.bucket.node.default_child)
    assert feature_store_id.startswith("LakeFeatureStoreZoneBucket")
    resource = template.to_json()["Resources"][feature_store_id]
    assert resource["Properties"]["BucketName"] == "acme-ml-dev-feature-store"
    with pytest.raises(KeyError, match=r"no zone 'gold'; zones are \['feature-store', 'landing'\]"):
        lake.zone("gold")


def test_standalone_bucket_creates_its_own_key_and_log_bucket_and_can_be_tuned():
    stack = cdk.Stack(make_app(), "Standalone", env=TEST_ENV)
    bucket = DataLakeBucket(
        stack,
        "Models",
        lifecycle=Lifecycle(
            (
                LifecycleRule(
                    "old", transitions=(Transition(StorageClass.GLACIER, 0),), prefix="old/"
                ),
            )
        ),
        versioned=False,
        event_bridge_enabled=False,
    )
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::KMS::Key", 1)
    template.resource_count_is("AWS::S3::Bucket", 2)
    props = template.to_json()["Resources"][stack.get_logical_id(bucket.bucket.node.default_child)][
        "Properties"
    ]
    (key_id,) = resources_of_type(template, "AWS::KMS::Key")
    assert key_id.startswith("ModelsKey")
    assert stack.resolve(bucket.key.key_arn) == {"Fn::GetAtt": [key_id, "Arn"]}
    encryption = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] == {
        "Fn::GetAtt": [key_id, "Arn"]
    }
    assert "VersioningConfiguration" not in props
    assert "NotificationConfiguration" not in props
    assert props["LifecycleConfiguration"]["Rules"] == [
        {
            "Id": "old",
            "Prefix": "old/",
            "Status": "Enabled",
            "Transitions": [{"StorageClass": "GLACIER", "TransitionInDays": 0}],
        }
    ]
    assert props["LoggingConfiguration"]["LogFilePrefix"] == "Models/"


def test_bucket_grants_include_kms_and_on_object_created_filters_prefix():
    stack = cdk.Stack(make_app(), "Grants", env=TEST_ENV)
    bucket = DataLakeBucket(stack, "Bucket")
    role = iam.Role(stack, "Writer", assumed_by=iam.ServicePrincipal("glue.amazonaws.com"))
    bucket.grant_write(role, "incoming/*")
    bucket.on_object_created("Arrivals", prefix="incoming/")
    template = Template.from_stack(stack)
    statements = next(iter(resources_of_type(template, "AWS::IAM::Policy").values()))["Properties"][
        "PolicyDocument"
    ]["Statement"]
    actions = str([s["Action"] for s in statements])
    assert "kms:GenerateDataKey*" in actions
    assert "s3:PutObject" in actions
    _, rule = only_resource(template, "AWS::Events::Rule")
    pattern = rule["Properties"]["EventPattern"]
    assert pattern["detail-type"] == ["Object Created"]
    assert pattern["detail"]["object"] == {"key": [{"prefix": "incoming/"}]}


def test_from_bucket_name_imports_with_key_for_grants():
    stack = cdk.Stack(make_app(), "Imported", env=TEST_ENV)
    key = kms.Key.from_key_arn(stack, "Key", "arn:aws:kms:us-east-1:111111111111:key/k1")
    bucket = DataLakeBucket.from_bucket_name(stack, "Existing", "team-raw-data", encryption_key=key)
    role = iam.Role(stack, "Reader", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    bucket.grant_read(role)
    statements = Template.from_stack(stack).to_json()["Resources"]
    policy = next(r for r in statements.values() if r["Type"] == "AWS::IAM::Policy")
    text = str(policy["Properties"]["PolicyDocument"])
    assert "team-raw-data" in text and "arn:aws:kms:us-east-1:111111111111:key/k1" in text


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"encryption_key": "alias/my-key"},
            TypeError,
            r"encryption_key must be an IKey \(aws_kms\), got str",
        ),
        ({"access_logs_bucket": object()}, TypeError, r"access_logs_bucket must be an IBucket"),
        (
            {"bucket_name": "Bad_Name"},
            ValueError,
            r"bucket_name 'Bad_Name' is not a valid S3 bucket name",
        ),
        ({"bucket_name": "192.168.1.1"}, ValueError, r"not formatted as an IP address"),
        (
            {
                "lifecycle": Lifecycle(
                    (LifecycleRule("x", transitions=(Transition(StorageClass.STANDARD_IA, 5),)),)
                )
            },
            ValueError,
            r"lifecycle for bucket 'Bad/B', rule 'x': STANDARD_IA after 5 days must be ≥ 30",
        ),
    ],
)
def test_bucket_bad_input_fails_at_synth_with_clear_message(kwargs, error, message):
    stack = cdk.Stack(make_app(), "Bad")
    with pytest.raises(error, match=message):
        DataLakeBucket(stack, "B", **kwargs)


def test_data_lake_rejects_duplicate_and_colliding_zones():
    stack = cdk.Stack(make_app(), "Zones")
    with pytest.raises(ValueError, match=r"duplicate zone names \['raw'\]"):
        DataLake(stack, "A", zones=[DataLakeZone("raw"), DataLakeZone("raw")])
    with pytest.raises(ValueError, match="zone name 'Raw' must be 1–31 lowercase"):
        DataLakeZone("Raw")
    with pytest.raises(ValueError, match="zones must name at least one zone"):
        DataLake(stack, "B", zones=[])


def test_data_lake_rejects_zone_names_with_the_same_construct_id():
    stack = cdk.Stack(make_app(), "Collide")
    with pytest.raises(ValueError) as error:
        DataLake(stack, "Lake", zones=[DataLakeZone("a-1"), DataLakeZone("a1")])
    assert str(error.value) == (
        "zones: names ['a-1', 'a1'] collide once converted to construct ids ['A1Zone', 'A1Zone']"
    )
    assert stack.node.try_find_child("Lake").node.try_find_child("A1Zone") is None


@pytest.mark.parametrize(
    ("zones", "message"),
    [
        (("raw",), "zones[0] must be a DataLakeZone, got str: 'raw'; use DataLakeZone('raw')"),
        (
            (DataLakeZone("raw"), {"name": "curated"}),
            "zones[1] must be a DataLakeZone, got dict: {'name': 'curated'}",
        ),
        ("raw", "zones must be a sequence of DataLakeZone, got str: 'raw'"),
        (
            DataLakeZone("raw"),
            "zones must be a sequence of DataLakeZone, got DataLakeZone: DataLakeZone(name='raw'",
        ),
    ],
)
def test_data_lake_rejects_zones_that_are_not_data_lake_zones(zones, message):
    with pytest.raises(TypeError) as error:
        DataLake(cdk.Stack(make_app(), "Kinds"), "Lake", zones=zones)
    assert str(error.value).startswith(message)


@pytest.fixture(scope="module")
def central_logs_lake():
    stack = cdk.Stack(make_app(), "CentralLogs", env=TEST_ENV)
    central = s3.Bucket.from_bucket_name(stack, "Central", "org-central-access-logs")
    lake = DataLake(stack, "Lake", access_logs_bucket=central, bucket_name_prefix="acme-ml")
    return lake, central, Template.from_stack(stack)


def test_data_lake_logs_to_a_given_bucket_and_creates_none(central_logs_lake):
    lake, central, template = central_logs_lake
    assert lake.access_logs is None
    assert lake.access_logs_bucket is central
    buckets = resources_of_type(template, "AWS::S3::Bucket")
    assert {b["Properties"]["BucketName"] for b in buckets.values()} == {
        "acme-ml-raw",
        "acme-ml-curated",
        "acme-ml-analytics",
    }
    for zone, bucket in buckets.items():
        assert bucket["Properties"]["LoggingConfiguration"] == {
            "DestinationBucketName": "org-central-access-logs",
            "LogFilePrefix": bucket["Properties"]["BucketName"].removeprefix("acme-ml-") + "/",
        }, zone


def test_data_lake_rejects_sse_kms_access_logs_bucket():
    stack = cdk.Stack(make_app(), "KmsLogs")
    logs = s3.Bucket(stack, "Logs", encryption=s3.BucketEncryption.KMS)
    with pytest.raises(ValueError, match=r"^access_logs_bucket 'KmsLogs/Logs' is encrypted with"):
        DataLake(stack, "Lake", access_logs_bucket=logs)


def test_data_lake_rejects_wrong_access_logs_bucket_kind():
    with pytest.raises(
        TypeError, match=r"^access_logs_bucket must be an IBucket \(aws_s3\), got str"
    ):
        DataLake(cdk.Stack(make_app(), "Kind"), "Lake", access_logs_bucket="central-logs")


def test_key_rejects_bad_pending_window():
    with pytest.raises(ValueError, match="pending_window_days must be 7–30, got 3"):
        DataLakeKey(cdk.Stack(make_app(), "K"), "Key", pending_window_days=3)


def alias_of(stack):
    _, alias = only_resource(Template.from_stack(stack), "AWS::KMS::Alias")
    return alias["Properties"]["AliasName"]


@pytest.mark.parametrize("alias", ["analytics/lake", "alias/analytics/lake"])
def test_key_alias_may_include_the_alias_prefix(alias):
    stack = cdk.Stack(make_app(), "Aliased")
    DataLakeKey(stack, "Key", alias=alias)
    assert alias_of(stack) == "alias/analytics/lake"


@pytest.mark.parametrize(
    ("alias", "error"),
    [
        ("alias/", ValueError),
        ("", ValueError),
        ("aws/s3", ValueError),
        ("alias/aws/s3", ValueError),
        ("team lake", ValueError),
        ("lake:key", ValueError),
        ("a" * 251, ValueError),
        (42, TypeError),
    ],
)
def test_key_rejects_invalid_alias(alias, error):
    with pytest.raises(error) as raised:
        DataLakeKey(cdk.Stack(make_app(), "K"), "Key", alias=alias)
    if error is TypeError:
        assert str(raised.value) == "alias must be a string, got int: 42"
    else:
        assert str(raised.value) == (
            f"alias {alias!r} is not a valid KMS alias: after the optional 'alias/', 1–250 "
            "letters, digits, '/', '_' or '-', not starting with 'aws/' (reserved for AWS "
            "managed keys)"
        )


def test_key_alias_of_250_characters_is_accepted():
    stack = cdk.Stack(make_app(), "Long")
    DataLakeKey(stack, "Key", alias="a" * 250)
    assert alias_of(stack) == "alias/" + "a" * 250


def test_default_alias_includes_the_stack_name():
    app = make_app()
    aliases = set()
    for project in ("acme", "globex"):
        stage = cdk.Stage(app, f"{project}-prod")
        stack = cdk.Stack(stage, "Storage", stack_name=f"{project}-prod-storage")
        DataLake(stack, "DataLake")
        aliases.add(alias_of(stack))
    assert aliases == {
        "alias/ml-data-platform/acme-prod-storage/datalake-key",
        "alias/ml-data-platform/globex-prod-storage/datalake-key",
    }


def test_default_alias_of_a_nested_stack_uses_the_top_level_stack_name():
    parent = cdk.Stack(make_app(), "Parent", stack_name="acme-dev-storage")
    nested = cdk.NestedStack(parent, "Keys")
    DataLakeKey(nested, "Key")
    assert alias_of(nested) == "alias/ml-data-platform/acme-dev-storage/keys-key"


def test_long_default_alias_is_cut_with_a_hash_and_stays_unique():
    stack = cdk.Stack(make_app(), "Deep")
    scope = stack
    for level in range(20):
        scope = Construct(scope, f"VeryLongConstructIdNumber{level}")
    DataLakeKey(scope, "KeyOne")
    DataLakeKey(scope, "KeyTwo")
    aliases = {
        a["Properties"]["AliasName"]
        for a in resources_of_type(Template.from_stack(stack), "AWS::KMS::Alias").values()
    }
    for alias in aliases:
        assert len(alias) == len("alias/") + 250
        assert re.fullmatch(
            r"alias/ml-data-platform/deep/verylongconstructid[a-z0-9-]+-[0-9a-f]{8}", alias
        )
    # The cut removed what tells the keys apart; the hash of the whole name still does.
    assert len(aliases) == 2
    assert len({alias[: -len("-12345678")] for alias in aliases}) == 1


def test_bucket_accepts_s3_bucket_subclass_as_log_destination():
    stack = cdk.Stack(make_app(), "Logs")
    logs = s3.Bucket(stack, "MyLogs", encryption=s3.BucketEncryption.S3_MANAGED)
    data = DataLakeBucket(stack, "Data", access_logs_bucket=logs)
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::S3::Bucket", 2)
    props = template.to_json()["Resources"][stack.get_logical_id(data.bucket.node.default_child)][
        "Properties"
    ]
    assert props["LoggingConfiguration"] == {
        "DestinationBucketName": {"Ref": stack.get_logical_id(logs.node.default_child)},
        "LogFilePrefix": "Data/",
    }


@pytest.mark.parametrize("kms_bucket", ["sse-kms", "imported"])
def test_bucket_rejects_sse_kms_log_destination(kms_bucket):
    stack = cdk.Stack(make_app(), "KmsLogs")
    key = kms.Key(stack, "LogKey")
    if kms_bucket == "sse-kms":
        logs = s3.Bucket(stack, "Logs", encryption_key=key)
    else:
        logs = DataLakeBucket.from_bucket_name(stack, "Logs", "central-logs", encryption_key=key)
    with pytest.raises(ValueError) as error:
        DataLakeBucket(stack, "Data", access_logs_bucket=logs)
    assert str(error.value) == (
        "access_logs_bucket 'KmsLogs/Logs' is encrypted with a KMS key (SSE-KMS); S3 server "
        "access logs can only be delivered to a bucket with SSE-S3 default encryption "
        "(e.g. an AccessLogsBucket)"
    )


def test_on_object_created_needs_event_bridge():
    stack = cdk.Stack(make_app(), "NoEvents")
    bucket = DataLakeBucket(stack, "Quiet", event_bridge_enabled=False)
    with pytest.raises(ValueError) as error:
        bucket.on_object_created("Arrivals")
    assert str(error.value) == (
        "on_object_created('Arrivals') on bucket 'NoEvents/Quiet' needs "
        "event_bridge_enabled=True: the bucket sends no events to EventBridge, so the rule "
        "would never fire"
    )
    Template.from_stack(stack).resource_count_is("AWS::Events::Rule", 0)
