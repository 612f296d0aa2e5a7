"""ZoneReplication / ReplicaSite: the replication rule, the role's exact policy, RTC, alarms,
the replica side, validation errors, and (under every nag pack) the replication
acknowledgement dropped exactly where replication is on."""

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match, Template

from ml_data_platform.monitoring.alarm_topic import AlarmTopic
from ml_data_platform.storage.bucket import DataLakeBucket
from ml_data_platform.storage.replication import (
    ReplicaSite,
    ZoneReplication,
    replica_key_alias_arn,
)
from tests.conftest import TEST_ENV, acknowledged_rules, make_app, only_resource, synth_with_nag

REPLICA_REGION = "us-west-2"
REPLICA_ENV = cdk.Environment(account=TEST_ENV.account, region=REPLICA_REGION)
REPLICA_NAME = "acme-prod-raw-111111111111-us-west-2"
ALIAS = "alias/ml-data-platform/acme-prod/replica"
ALIAS_ARN = f"arn:aws:kms:{REPLICA_REGION}:111111111111:{ALIAS}"
PACKS = ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321")


def via_s3(region):
    """``s3.<region>.<URL suffix>`` as it renders."""
    return {"Fn::Join": ["", [f"s3.{region}.", {"Ref": "AWS::URLSuffix"}]]}


def build(app):
    replica = cdk.Stack(app, "Replica", env=REPLICA_ENV)
    site = ReplicaSite(replica, "Site", bucket_names={"raw": REPLICA_NAME}, key_alias=ALIAS)
    source = cdk.Stack(app, "Source", env=TEST_ENV)
    raw = DataLakeBucket(source, "Raw")
    other = DataLakeBucket(source, "NotReplicated", encryption_key=raw.key)
    topic = AlarmTopic(source, "Alarms", encryption_key=raw.key)
    replication = ZoneReplication(
        source,
        "RawReplication",
        source=raw,
        destination_bucket_name=REPLICA_NAME,
        destination_region=REPLICA_REGION,
        destination_key_arn=replica_key_alias_arn(
            alias=ALIAS, region=REPLICA_REGION, account="111111111111"
        ),
        alarm_topic=topic.topic,
    )
    source.add_stack_dependency(replica)
    return source, replica, site, raw, other, replication


@pytest.fixture(scope="module")
def synth():
    app = make_app()
    source, replica, site, raw, other, replication = build(app)
    report = synth_with_nag(app)
    return (
        Template.from_stack(source),
        Template.from_stack(replica),
        report,
        {"raw": raw, "other": other, "site": site, "replication": replication},
    )


def _source_bucket(template):
    buckets = template.find_resources(
        "AWS::S3::Bucket", {"Properties": {"ReplicationConfiguration": Match.any_value()}}
    )
    assert len(buckets) == 1, sorted(buckets)
    return next(iter(buckets.items()))


def test_replication_rule_with_rtc_metrics_and_kms(synth):
    template, _, _, _ = synth
    logical_id, bucket = _source_bucket(template)
    assert logical_id.startswith("RawBucket")
    config = bucket["Properties"]["ReplicationConfiguration"]
    role_id, attribute = config["Role"]["Fn::GetAtt"]
    assert (role_id, attribute) == (only_resource(template, "AWS::IAM::Role")[0], "Arn")
    assert config["Rules"] == [
        {
            "Id": "DisasterRecoveryReplica",
            "Status": "Enabled",
            "Priority": 0,
            "Filter": {"Prefix": ""},
            "DeleteMarkerReplication": {"Status": "Disabled"},
            "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}},
            "Destination": {
                "Bucket": f"arn:aws:s3:::{REPLICA_NAME}",
                "EncryptionConfiguration": {"ReplicaKmsKeyID": ALIAS_ARN},
                "ReplicationTime": {"Status": "Enabled", "Time": {"Minutes": 15}},
                "Metrics": {"Status": "Enabled", "EventThreshold": {"Minutes": 15}},
            },
        }
    ]


def test_role_trusts_s3_only(synth):
    template, _, _, _ = synth
    _, role = only_resource(template, "AWS::IAM::Role")
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "s3.amazonaws.com"},
        }
    ]
    assert "Policies" not in role["Properties"]
    assert "ManagedPolicyArns" not in role["Properties"]


def test_role_policy_is_exactly_least_privilege(synth):
    template, _, _, _ = synth
    _, policy = only_resource(template, "AWS::IAM::ManagedPolicy")
    statements = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    assert set(statements) == {
        "ReadReplicationConfiguration",
        "ReadSourceVersions",
        "ReplicateIntoReplica",
        "DecryptSourceThroughS3",
        "EncryptReplicaThroughS3",
    }
    assert all(s["Effect"] == "Allow" for s in statements.values())
    assert statements["ReadReplicationConfiguration"]["Action"] == [
        "s3:GetReplicationConfiguration",
        "s3:ListBucket",
    ]
    assert sorted(statements["ReadSourceVersions"]["Action"]) == [
        "s3:GetObjectVersionAcl",
        "s3:GetObjectVersionForReplication",
        "s3:GetObjectVersionTagging",
    ]
    replicate = statements["ReplicateIntoReplica"]
    assert sorted(replicate["Action"]) == [
        "s3:ReplicateDelete",
        "s3:ReplicateObject",
        "s3:ReplicateTags",
    ]
    assert replicate["Resource"] == f"arn:aws:s3:::{REPLICA_NAME}/*"
    decrypt = statements["DecryptSourceThroughS3"]
    assert decrypt["Action"] == "kms:Decrypt"
    assert decrypt["Resource"]["Fn::GetAtt"][0].startswith("RawKey")
    assert decrypt["Condition"]["StringEquals"] == {"kms:ViaService": via_s3("us-east-1")}
    bucket_arn = {"Fn::GetAtt": [_source_bucket(template)[0], "Arn"]}
    context = decrypt["Condition"]["StringLike"]["kms:EncryptionContext:aws:s3:arn"]
    # The bucket ARN (bucket key) and its objects' ARNs, nothing else.
    assert context[0] == bucket_arn
    assert context[1] == {"Fn::Join": ["", [bucket_arn, "/*"]]}
    assert set(decrypt["Condition"]) == {"StringEquals", "StringLike"}
    encrypt = statements["EncryptReplicaThroughS3"]
    assert encrypt["Action"] == ["kms:Encrypt", "kms:GenerateDataKey"]
    assert encrypt["Resource"] == f"arn:aws:kms:{REPLICA_REGION}:111111111111:key/*"
    assert encrypt["Condition"] == {
        "StringEquals": {"kms:ViaService": via_s3(REPLICA_REGION)},
        "StringLike": {
            "kms:EncryptionContext:aws:s3:arn": [
                f"arn:aws:s3:::{REPLICA_NAME}",
                f"arn:aws:s3:::{REPLICA_NAME}/*",
            ]
        },
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": ALIAS},
    }


def test_key_arn_is_used_as_the_resource_without_alias_condition():
    app = make_app()
    stack = cdk.Stack(app, "S", env=TEST_ENV)
    key_arn = f"arn:aws:kms:{REPLICA_REGION}:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    ZoneReplication(
        stack,
        "R",
        source=DataLakeBucket(stack, "B"),
        destination_bucket_name=REPLICA_NAME,
        destination_region=REPLICA_REGION,
        destination_key_arn=key_arn,
        replicate_delete_markers=True,
    )
    template = Template.from_stack(stack)
    _, policy = only_resource(template, "AWS::IAM::ManagedPolicy")
    encrypt = next(
        s
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s["Sid"] == "EncryptReplicaThroughS3"
    )
    assert encrypt["Resource"] == key_arn
    assert "ForAnyValue:StringEquals" not in encrypt["Condition"]
    _, bucket = _source_bucket(template)
    rule = bucket["Properties"]["ReplicationConfiguration"]["Rules"][0]
    assert rule["DeleteMarkerReplication"] == {"Status": "Enabled"}
    assert rule["Destination"]["EncryptionConfiguration"] == {"ReplicaKmsKeyID": key_arn}
    # No topic: the alarms notify the stack's default AlarmTopic.
    for alarm in template.find_resources("AWS::CloudWatch::Alarm").values():
        (action,) = alarm["Properties"]["AlarmActions"]
        assert action["Ref"].startswith("MlDataPlatformAlarmTopic")


def test_alarms_on_latency_and_failures_notify_the_topic(synth):
    template, _, _, _ = synth
    alarms = template.find_resources("AWS::CloudWatch::Alarm")
    by_metric = {a["Properties"]["MetricName"]: a["Properties"] for a in alarms.values()}
    assert set(by_metric) == {"ReplicationLatency", "OperationsFailedReplication"}
    for props in by_metric.values():
        assert props["Namespace"] == "AWS/S3"
        dims = {d["Name"]: d["Value"] for d in props["Dimensions"]}
        assert set(dims) == {"SourceBucket", "DestinationBucket", "RuleId"}
        assert dims["DestinationBucket"] == REPLICA_NAME
        assert dims["RuleId"] == "DisasterRecoveryReplica"
        assert dims["SourceBucket"]["Ref"].startswith("RawBucket")
        assert len(props["AlarmActions"]) == 1
        assert props["AlarmActions"][0]["Ref"].startswith("AlarmsTopic")
        assert props["OKActions"] == props["AlarmActions"]
        assert props["TreatMissingData"] == "notBreaching"
        assert props["Period"] == 300
    latency = by_metric["ReplicationLatency"]
    assert (latency["Statistic"], latency["Threshold"], latency["EvaluationPeriods"]) == (
        "Maximum",
        900,
        3,
    )
    assert latency["ComparisonOperator"] == "GreaterThanThreshold"
    failed = by_metric["OperationsFailedReplication"]
    assert (failed["Statistic"], failed["Threshold"], failed["EvaluationPeriods"]) == ("Sum", 0, 1)
    assert failed["ComparisonOperator"] == "GreaterThanThreshold"


def test_replica_site_bucket_key_and_pinned_logical_ids(synth):
    _, replica, _, _ = synth
    buckets = replica.find_resources("AWS::S3::Bucket")
    assert set(buckets) == {"SiteRawReplicaBucketA1D465AB", "SiteAccessLogsBucket54CA4C68"}
    assert set(replica.find_resources("AWS::KMS::Key")) == {"SiteKeyCD017CE3"}
    for resource in [*buckets.values(), *replica.find_resources("AWS::KMS::Key").values()]:
        assert resource["DeletionPolicy"] == "Retain"
        assert resource["UpdateReplacePolicy"] == "Retain"
    bucket = buckets["SiteRawReplicaBucketA1D465AB"]["Properties"]
    assert bucket["BucketName"] == REPLICA_NAME
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    sse = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert (
        sse["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]["Fn::GetAtt"][0] == "SiteKeyCD017CE3"
    )
    _, alias = only_resource(replica, "AWS::KMS::Alias")
    assert alias["Properties"]["AliasName"] == ALIAS
    assert "ReplicationConfiguration" not in bucket


def test_source_stateful_logical_ids_pinned(synth):
    template, _, _, _ = synth
    assert set(template.find_resources("AWS::IAM::Role")) == {"RawReplicationRole840EFD99"}
    assert "RawBucket672A0DBB" in template.find_resources("AWS::S3::Bucket")


def test_nag_replication_acknowledged_only_where_replication_is_off(synth):
    _, _, report, _ = synth
    rules = acknowledged_rules(report)
    replication = {(r, at) for r, at in rules if r.endswith("S3BucketReplicationEnabled")}
    replicated_at = {at for _, at in replication}
    assert "Source/Raw/Bucket" not in replicated_at
    assert {
        "Source/NotReplicated/Bucket",
        "Replica/Site/RawReplica/Bucket",
        "Replica/Site/AccessLogs/Bucket",
    } <= replicated_at
    assert {
        (f"{pack}-S3BucketReplicationEnabled", "Replica/Site/RawReplica/Bucket") for pack in PACKS
    } <= replication


def _source(env=TEST_ENV, **bucket_props):
    app = make_app()
    stack = cdk.Stack(app, "S", env=env)
    return stack, DataLakeBucket(stack, "B", **bucket_props)


def _replicate(stack, bucket, **overrides):
    props = {
        "source": bucket,
        "destination_bucket_name": REPLICA_NAME,
        "destination_region": REPLICA_REGION,
        "destination_key_arn": ALIAS_ARN,
        **overrides,
    }
    return ZoneReplication(stack, "R", **props)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"destination_region": "us-east-1"}, "is the source bucket's region"),
        ({"destination_region": "uswest2"}, "destination_region 'uswest2' is not an AWS region"),
        ({"destination_bucket_name": "Bad_Name"}, "destination_bucket_name 'Bad_Name'"),
        (
            {"destination_key_arn": "arn:aws:kms:eu-west-1:111111111111:alias/x"},
            "must be a KMS key ARN or alias ARN in the destination region 'us-west-2'",
        ),
        ({"destination_key_arn": "alias/x"}, "destination_key_arn 'alias/x'"),
        ({"rule_id": ""}, "rule_id '' must be 1–255 characters"),
    ],
)
def test_bad_input_fails_naming_the_property(overrides, message):
    stack, bucket = _source()
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        _replicate(stack, bucket, **overrides)


def test_unversioned_source_is_refused():
    stack, bucket = _source(versioned=False)
    with pytest.raises(ValueError, match="is not versioned; S3 replication requires versioning"):
        _replicate(stack, bucket)


def test_source_without_concrete_region_is_refused():
    stack, bucket = _source(env=None)
    with pytest.raises(ValueError, match="needs a concrete region"):
        _replicate(stack, bucket)


def test_second_replication_of_one_bucket_is_refused():
    stack, bucket = _source()
    _replicate(stack, bucket)
    with pytest.raises(ValueError, match="already has a replication configuration"):
        ZoneReplication(
            stack,
            "Again",
            source=bucket,
            destination_bucket_name=REPLICA_NAME,
            destination_region=REPLICA_REGION,
            destination_key_arn=ALIAS_ARN,
        )


def test_source_must_be_a_data_lake_bucket():
    app = make_app()
    stack = cdk.Stack(app, "S", env=TEST_ENV)
    with pytest.raises(TypeError, match="must be a DataLakeBucket, got Bucket"):
        _replicate(stack, s3.Bucket(stack, "Plain"))


def test_replica_site_validates_names_and_alias():
    app = make_app()
    stack = cdk.Stack(app, "R", env=REPLICA_ENV)
    with pytest.raises(ValueError, match=r"bucket_names\['raw'\] 'Nope!'"):
        ReplicaSite(stack, "A", bucket_names={"raw": "Nope!"}, key_alias=ALIAS)
    with pytest.raises(ValueError, match="must map at least one zone"):
        ReplicaSite(stack, "B", bucket_names={}, key_alias=ALIAS)
    with pytest.raises(ValueError, match="is not a valid KMS alias"):
        ReplicaSite(stack, "C", bucket_names={"raw": REPLICA_NAME}, key_alias="aws/s3")
