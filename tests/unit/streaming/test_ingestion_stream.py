"""IngestionStream: capacity modes, retention, encryption, alarms, grants and bad input."""

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Template

from ml_data_platform.core.removal import ALLOW_DESTROY_CONTEXT
from ml_data_platform.planning.sizing import StreamMode
from ml_data_platform.streaming import IngestionStream
from tests.conftest import TEST_ENV, make_app, resources_of_type

KEY_ARN = "arn:aws:kms:us-east-1:111111111111:key/existing"


@pytest.fixture(scope="module")
def built():
    stack = cdk.Stack(make_app(), "Streams", env=TEST_ENV)
    topic = sns.Topic(stack, "Topic")
    streams = {
        "default": IngestionStream(stack, "Default"),
        "fixed": IngestionStream(
            stack,
            "Fixed",
            stream_name="fixed-stream",
            stream_mode=StreamMode.PROVISIONED,
            shard_count=3,
            retention_hours=168,
            encryption_key=kms.Key.from_key_arn(stack, "Existing", KEY_ARN),
            alarm_topic=topic,
        ),
        "sized": IngestionStream(
            stack,
            "Sized",
            stream_mode=StreamMode.PROVISIONED,
            expected_records_per_second=3_000,
            average_record_bytes=1_000,
            iterator_age_alarm_threshold=cdk.Duration.hours(2),
        ),
    }
    writer = iam.Role(stack, "Writer", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    reader = iam.Role(stack, "Reader", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    streams["default"].grant_write(writer)
    streams["default"].grant_read(reader)
    template = Template.from_stack(stack)
    return stack, streams, template


def cfn(built, name):
    stack, streams, template = built
    logical_id = stack.get_logical_id(streams[name].stream.node.default_child)
    return template.to_json()["Resources"][logical_id]


def alarms_of(built, name):
    stack, streams, template = built
    resources = template.to_json()["Resources"]
    return {
        key: resources[stack.get_logical_id(alarm.node.default_child)]["Properties"]
        for key, alarm in streams[name].alarms.items()
    }


def test_default_stream_is_on_demand_kms_encrypted_24h_and_retained(built):
    stream = cfn(built, "default")
    props = stream["Properties"]
    assert props["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert "ShardCount" not in props
    assert props["RetentionPeriodHours"] == 24
    stack, streams, _ = built
    key_id = stack.get_logical_id(streams["default"].key.node.default_child)
    assert props["StreamEncryption"] == {
        "EncryptionType": "KMS",
        "KeyId": {"Fn::GetAtt": [key_id, "Arn"]},
    }
    assert stream["DeletionPolicy"] == "Retain"
    assert stream["UpdateReplacePolicy"] == "Retain"
    assert streams["default"].shard_count is None


def test_default_stream_creates_a_data_lake_key_with_rotation(built):
    stack, streams, template = built
    key = template.to_json()["Resources"][
        stack.get_logical_id(streams["default"].key.node.default_child)
    ]
    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"


def test_provisioned_stream_with_shard_count_retention_name_and_existing_key(built):
    props = cfn(built, "fixed")["Properties"]
    assert props["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
    assert props["ShardCount"] == 3
    assert props["RetentionPeriodHours"] == 168
    assert props["Name"] == "fixed-stream"
    assert props["StreamEncryption"] == {"EncryptionType": "KMS", "KeyId": KEY_ARN}


def test_provisioned_stream_derives_shards_from_throughput(built):
    props = cfn(built, "sized")["Properties"]
    # 3,000 records/s of 1,000 bytes: 3 shards by the 1,000 records/s per-shard limit, × 1.25
    # (the default headroom) = 3.75, rounded up.
    assert props["ShardCount"] == 4
    assert built[1]["sized"].shard_count == 4


def test_one_alarm_for_records_at_risk(built):
    alarms = alarms_of(built, "default")
    assert set(alarms) == {"RecordsAtRisk"}
    alarm = alarms["RecordsAtRisk"]
    # Sustained: 3 of 3 five-minute periods; ≥ 1 when either condition holds.
    assert alarm["Threshold"] == 1
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["EvaluationPeriods"] == alarm["DatapointsToAlarm"] == 3
    assert alarm["TreatMissingData"] == "notBreaching"
    # No alarm_topic given: the stack's default AlarmTopic, created on first need.
    assert alarm["AlarmActions"] == alarm["OKActions"] == [{"Ref": _default_topic_id(built)}]
    queries = {q["Id"]: q for q in alarm["Metrics"]}
    expression = queries.pop(next(i for i, q in queries.items() if "Expression" in q))
    # 50% of the 24 h retention: 12 h in milliseconds.
    assert expression["Expression"] == (
        "IF(FILL(age, 0) >= 43200000 OR FILL(throttled, 0) >= 1, 1, 0)"
    )
    assert expression["ReturnData"] is True
    stats = {i: q["MetricStat"] for i, q in queries.items()}
    assert stats["age"]["Metric"]["MetricName"] == "GetRecords.IteratorAgeMilliseconds"
    assert stats["age"]["Stat"] == "Maximum"
    assert stats["throttled"]["Metric"]["MetricName"] == "WriteProvisionedThroughputExceeded"
    assert stats["throttled"]["Stat"] == "Sum"
    assert {s["Period"] for s in stats.values()} == {300}
    stack, streams, _ = built
    for stat in stats.values():
        (dimension,) = stat["Metric"]["Dimensions"]
        assert dimension["Name"] == "StreamName"
        assert dimension["Value"] == {
            "Ref": stack.get_logical_id(streams["default"].stream.node.default_child)
        }


def _default_topic_id(built):
    stack = built[0]
    default = stack.node.find_child("MlDataPlatformAlarmTopic").topic.node.default_child
    return stack.get_logical_id(default)


def test_alarm_thresholds_follow_retention_or_override(built):
    def age_threshold(name):
        (alarm,) = alarms_of(built, name).values()
        expression = next(q["Expression"] for q in alarm["Metrics"] if "Expression" in q)
        return int(expression.split(">= ")[1].split(" ")[0])

    assert age_threshold("fixed") == 84 * 3_600_000
    assert age_threshold("sized") == 2 * 3_600_000


def test_alarm_topic_receives_alarm_and_ok_actions(built):
    stack = built[0]
    (topic_id,) = set(resources_of_type(built[2], "AWS::SNS::Topic")) - {_default_topic_id(built)}
    assert topic_id == stack.get_logical_id(stack.node.find_child("Topic").node.default_child)
    alarms = alarms_of(built, "fixed")
    assert set(alarms) == {"RecordsAtRisk"}
    for alarm in alarms.values():
        assert alarm["AlarmActions"] == [{"Ref": topic_id}]
        assert alarm["OKActions"] == [{"Ref": topic_id}]


def _policy_of(built, role_prefix):
    policies = resources_of_type(built[2], "AWS::IAM::Policy")
    (policy,) = [p for lid, p in policies.items() if lid.startswith(role_prefix)]
    return policy["Properties"]["PolicyDocument"]["Statement"]


def _conditions(built):
    stack, streams, _ = built
    stream_id = stack.get_logical_id(streams["default"].stream.node.default_child)
    return {
        "StringEquals": {
            "kms:ViaService": {"Fn::Join": ["", ["kinesis.us-east-1.", {"Ref": "AWS::URLSuffix"}]]},
            "kms:EncryptionContext:aws:kinesis:arn": {"Fn::GetAtt": [stream_id, "Arn"]},
        }
    }, stream_id


def test_grant_write_puts_records_and_generates_data_keys_for_this_stream_only(built):
    statements = _policy_of(built, "Writer")
    conditions, stream_id = _conditions(built)
    assert statements[0] == {
        "Action": [
            "kinesis:DescribeStream",
            "kinesis:DescribeStreamSummary",
            "kinesis:ListShards",
            "kinesis:PutRecord",
            "kinesis:PutRecords",
        ],
        "Effect": "Allow",
        "Resource": {"Fn::GetAtt": [stream_id, "Arn"]},
    }
    assert statements[1]["Action"] == "kms:GenerateDataKey"
    assert statements[1]["Condition"] == conditions
    assert len(statements) == 2


def test_grant_read_gets_records_and_decrypts_for_this_stream_only(built):
    statements = _policy_of(built, "Reader")
    conditions, _ = _conditions(built)
    assert set(statements[0]["Action"]) == {
        "kinesis:GetRecords",
        "kinesis:GetShardIterator",
        "kinesis:ListShards",
        "kinesis:DescribeStream",
        "kinesis:DescribeStreamSummary",
    }
    assert statements[1]["Action"] == "kms:Decrypt"
    assert statements[1]["Condition"] == conditions
    assert not any("Put" in str(s["Action"]) for s in statements)


def test_destroy_needs_the_context_flag():
    with pytest.raises(ValueError, match=r"removal_policy=DESTROY at 'S/Stream' would delete"):
        IngestionStream(
            cdk.Stack(make_app(), "S"), "Stream", removal_policy=cdk.RemovalPolicy.DESTROY
        )
    stack = cdk.Stack(make_app(**{ALLOW_DESTROY_CONTEXT: True}), "D")
    stream = IngestionStream(stack, "Stream", removal_policy=cdk.RemovalPolicy.DESTROY)
    resource = Template.from_stack(stack).to_json()["Resources"][
        stack.get_logical_id(stream.stream.node.default_child)
    ]
    assert resource["DeletionPolicy"] == "Delete"


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"retention_hours": 23}, ValueError, r"retention_hours must be ≥ 24, got 23"),
        ({"retention_hours": 8_761}, ValueError, r"retention_hours must be ≤ 8760, got 8761"),
        ({"retention_hours": 24.5}, TypeError, r"retention_hours must be an integer"),
        (
            {"shard_count": 2},
            ValueError,
            r"shard_count=2 is only valid with stream_mode=PROVISIONED",
        ),
        (
            {"expected_records_per_second": 10, "average_record_bytes": 100},
            ValueError,
            r"they are not used with stream_mode=ON_DEMAND",
        ),
        (
            {"stream_mode": StreamMode.PROVISIONED, "shard_count": 0},
            ValueError,
            r"shard_count must be ≥ 1, got 0",
        ),
        (
            {"stream_mode": StreamMode.PROVISIONED},
            ValueError,
            r"stream_mode=PROVISIONED needs shard_count, or expected_records_per_second",
        ),
        (
            {
                "stream_mode": StreamMode.PROVISIONED,
                "shard_count": 2,
                "expected_records_per_second": 10,
                "average_record_bytes": 100,
            },
            ValueError,
            r"give either shard_count or expected_records_per_second",
        ),
        (
            {
                "stream_mode": StreamMode.PROVISIONED,
                "expected_records_per_second": -1,
                "average_record_bytes": 100,
            },
            ValueError,
            r"records_per_second must be a positive number, got -1",
        ),
        ({"stream_mode": "on-demand"}, TypeError, r"stream_mode must be a StreamMode"),
        (
            {"stream_name": "bad name!"},
            ValueError,
            r"stream_name 'bad name!' \(9 characters\) must be 1–128 letters, digits, '_', '\.' "
            r"or '-'",
        ),
        (
            {"stream_name": "s" * 129},
            ValueError,
            r"stream_name 's{20}…' \(129 characters\) must be 1–128 letters",
        ),
        ({"stream_name": ""}, ValueError, r"stream_name '' \(0 characters\) must be 1–128"),
        ({"stream_name": 7}, TypeError, r"stream_name must be a string, got int: 7"),
        (
            {"encryption_key": "alias/my-key"},
            TypeError,
            r"encryption_key must be an IKey \(aws_kms\), got str",
        ),
        ({"alarm_topic": object()}, TypeError, r"alarm_topic must be an ITopic \(aws_sns\)"),
        (
            {"iterator_age_alarm_threshold": cdk.Duration.hours(24)},
            ValueError,
            r"iterator_age_alarm_threshold must be .* shorter than the retention \(24 h\)",
        ),
        (
            {"iterator_age_alarm_threshold": 3600},
            TypeError,
            r"iterator_age_alarm_threshold must be a cdk.Duration",
        ),
    ],
)
def test_bad_input_fails_with_clear_message(kwargs, error, message):
    with pytest.raises(error, match=message):
        IngestionStream(cdk.Stack(make_app(), "Bad"), "Stream", **kwargs)


def test_stream_names_at_the_limit_and_tokens_pass():
    stack = cdk.Stack(make_app(), "Names")
    IngestionStream(stack, "Longest", stream_name="a.b_c-" + "d" * 122)
    IngestionStream(stack, "Token", stream_name=f"{cdk.Aws.STACK_NAME}-clicks")
    names = [
        r["Properties"]["Name"]
        for r in resources_of_type(Template.from_stack(stack), "AWS::Kinesis::Stream").values()
    ]
    assert len(names) == 2
    assert "a.b_c-" + "d" * 122 in names
    assert {"Fn::Join": ["", [{"Ref": "AWS::StackName"}, "-clicks"]]} in names


def test_bucket_passed_as_key_is_a_type_error():
    stack = cdk.Stack(make_app(), "Kinds")
    bucket = s3.Bucket(stack, "Bucket")
    with pytest.raises(TypeError, match=r"encryption_key must be an IKey \(aws_kms\), got Bucket"):
        IngestionStream(stack, "Stream", encryption_key=bucket)
