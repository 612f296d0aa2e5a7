"""VideoIngestStream: retention, key, media type, storage tier, grants with KMS, alarms, and
bad input; nag-clean."""

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Template

from ml_data_platform.core.removal import ALLOW_DESTROY_CONTEXT
from ml_data_platform.monitoring import AlarmTopic
from ml_data_platform.storage import DataLakeKey
from ml_data_platform.video import VideoIngestStream, VideoStorageTier
from tests.conftest import TEST_ENV, make_app, synth_with_nag

KEY_ARN = "arn:aws:kms:us-east-1:111111111111:key/existing"


@pytest.fixture(scope="module")
def built():
    """Two streams under every nag pack; the grants go to roles in a second stack (the roles
    are the user's: their inline policies are their owner's to acknowledge)."""
    app = make_app()
    stack = cdk.Stack(app, "Video", env=TEST_ENV)
    key = DataLakeKey(stack, "Key").key
    topic = AlarmTopic(stack, "Alarms", encryption_key=key).topic
    default = VideoIngestStream(stack, "Cameras", alarm_topic=topic)
    custom = VideoIngestStream(
        stack,
        "Robot",
        stream_name="robot-arm-1",
        retention_hours=24 * 365,
        encryption_key=kms.Key.from_key_arn(stack, "Existing", KEY_ARN),
        media_type="video/h265,audio/aac",
        device_name="arm-1",
        storage_tier=VideoStorageTier.WARM,
        alarm_topic=topic,
    )
    report = synth_with_nag(app)
    grants = cdk.Stack(make_app(), "Grants", env=TEST_ENV)
    granted = VideoIngestStream(grants, "Cameras")
    producer = iam.Role(grants, "Producer", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))
    consumer = iam.Role(
        grants, "Consumer", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com")
    )
    granted.grant_put_media(producer)
    granted.grant_read(consumer)
    return {
        "stack": stack,
        "default": default,
        "custom": custom,
        "template": Template.from_stack(stack),
        "report": report,
        "grants": grants,
        "granted": granted,
        "producer": producer,
        "consumer": consumer,
        "grants_template": Template.from_stack(grants),
    }


def props(built, video):
    resources = built["template"].to_json()["Resources"]
    return resources[built["stack"].get_logical_id(video.stream)]


def test_default_stream_keeps_a_week_with_its_own_key_and_is_retained(built):
    stack, default = built["stack"], built["default"]
    resource = props(built, default)
    assert resource["DeletionPolicy"] == "Retain"
    p = resource["Properties"]
    assert p["DataRetentionInHours"] == 168
    assert p["KmsKeyId"] == stack.resolve(default.key.key_arn)
    assert p["MediaType"] == "video/h264"
    assert p["StreamStorageConfiguration"] == {"DefaultStorageTier": "HOT"}
    assert "Name" not in p


def test_custom_stream_takes_the_given_key_tier_media_type_and_device(built):
    p = props(built, built["custom"])["Properties"]
    assert p["KmsKeyId"] == KEY_ARN
    assert p["Name"] == "robot-arm-1"
    assert p["DataRetentionInHours"] == 8760
    assert p["MediaType"] == "video/h265,audio/aac"
    assert p["DeviceName"] == "arm-1"
    assert p["StreamStorageConfiguration"] == {"DefaultStorageTier": "WARM"}


def statements_of(built, role):
    resources = built["grants_template"].to_json()["Resources"]
    policies = [
        r for r in resources.values()
        if r["Type"] == "AWS::IAM::Policy"
        and {"Ref": built["grants"].get_logical_id(role.node.default_child)} in r["Properties"]["Roles"]
    ]  # fmt: skip
    return [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]


def test_producer_may_put_media_on_this_stream_and_generate_data_keys_via_kvs(built):
    stack, default = built["grants"], built["granted"]
    statements = statements_of(built, built["producer"])
    stream_statement = next(s for s in statements if "kinesisvideo:PutMedia" in s["Action"])
    assert stream_statement["Resource"] == stack.resolve(default.stream_arn)
    assert "kinesisvideo:GetMedia" not in stream_statement["Action"]
    key_statement = next(s for s in statements if s["Action"] == "kms:GenerateDataKey")
    assert key_statement["Resource"] == stack.resolve(default.key.key_arn)
    assert key_statement["Condition"]["StringEquals"]["kms:ViaService"] == {
        "Fn::Join": ["", ["kinesisvideo.us-east-1.", {"Ref": "AWS::URLSuffix"}]]
    }


def test_consumer_may_read_and_decrypt_but_not_put(built):
    statements = statements_of(built, built["consumer"])
    actions = {
        a
        for s in statements
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert {"kinesisvideo:GetMedia", "kinesisvideo:GetImages", "kms:Decrypt"} <= actions
    assert "kinesisvideo:PutMedia" not in actions and "kms:GenerateDataKey" not in actions


def test_alarms_on_put_media_success_and_consumer_lag(built):
    stack, default = built["stack"], built["default"]
    assert set(default.alarms) == {"PutMediaSuccess", "ConsumerLag"}
    resources = built["template"].to_json()["Resources"]
    success = resources[stack.get_logical_id(default.alarms["PutMediaSuccess"].node.default_child)]
    assert success["Properties"]["Namespace"] == "AWS/KinesisVideo"
    assert success["Properties"]["MetricName"] == "PutMedia.Success"
    assert success["Properties"]["Threshold"] == 0.95
    lag = resources[stack.get_logical_id(default.alarms["ConsumerLag"].node.default_child)]
    assert lag["Properties"]["Threshold"] == 84 * 3600 * 1000
    assert success["Properties"]["AlarmActions"] and lag["Properties"]["OKActions"]


def test_stream_needs_no_acknowledgement(built):
    report = built["report"]
    acks = [
        s
        for p in report["pluginReports"]
        for s in p.get("suppressedViolations", [])
        if "/Cameras/" in s["acknowledgedAt"] or "/Robot/" in s["acknowledgedAt"]
    ]
    assert acks == []


def test_zero_retention_needs_the_explicit_opt_in():
    stack = cdk.Stack(make_app(), "Zero")
    with pytest.raises(ValueError, match="retention_hours=0 keeps no video"):
        VideoIngestStream(stack, "A", retention_hours=0)
    live = VideoIngestStream(stack, "B", retention_hours=0, allow_no_retention=True)
    assert live.retention_hours == 0 and set(live.alarms) == {"PutMediaSuccess"}


@pytest.mark.parametrize(
    ("props", "error", "message"),
    [
        ({"retention_hours": 87_601}, ValueError, "retention_hours must be ≤ 87600"),
        ({"retention_hours": "24"}, TypeError, "retention_hours must be an integer"),
        ({"stream_name": "bad name"}, ValueError, "stream_name 'bad name' must be"),
        ({"device_name": "x" * 129}, ValueError, "device_name"),
        ({"media_type": "h264"}, ValueError, "media_type 'h264' must be MIME types"),
        ({"storage_tier": "HOT"}, TypeError, "storage_tier must be a VideoStorageTier"),
        ({"encryption_key": "alias/x"}, TypeError, "encryption_key must be an IKey"),
    ],
)
def test_bad_input_fails_at_synth_time(props, error, message):
    stack = cdk.Stack(make_app(), "Bad")
    with pytest.raises(error, match=message):
        VideoIngestStream(stack, "V", **props)


def test_destroy_needs_the_context_flag():
    stack = cdk.Stack(make_app(), "Keep")
    with pytest.raises(ValueError, match="DESTROY"):
        VideoIngestStream(stack, "V", removal_policy=cdk.RemovalPolicy.DESTROY)
    app = make_app(**{ALLOW_DESTROY_CONTEXT: True})
    gone = VideoIngestStream(cdk.Stack(app, "Gone"), "V", removal_policy=cdk.RemovalPolicy.DESTROY)
    assert gone.stream.cfn_options.deletion_policy == cdk.CfnDeletionPolicy.DELETE
