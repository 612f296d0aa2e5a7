"""Which Control Tower findings ``acknowledge_cross_stack_keys`` acknowledges, without running
cfn-guard (tests/nag/test_control_tower.py runs the rules): exactly the resources of a
key-reading type whose key is a resource of another stack, each with its own rule and the
key's path in the reason; a key of the same stack, a literal ARN, an imported value, a missing
key and other resource types are left to the rules."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_athena as athena
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs

from ml_data_platform.compliance import control_tower
from ml_data_platform.compliance.control_tower import (
    CROSS_STACK_KEY_REASON,
    KEY_READING_RULES,
    acknowledge_control_tower,
    acknowledge_cross_stack_keys,
)
from ml_data_platform.compliance.nag import CONTROL_TOWER_PLUGIN
from tests.conftest import make_app


@pytest.fixture(scope="module")
def acknowledged():
    """``{resource path: (rule, reason)}`` as acknowledge_cross_stack_keys would acknowledge
    them, over two stacks: Keys (the key) and Uses (the resources)."""
    app = make_app()
    keys = cdk.Stack(app, "Keys", stack_name="acme-keys")
    key = kms.Key(keys, "Key")
    uses = cdk.Stack(app, "Uses")
    local_key = kms.Key(uses, "LocalKey")
    logs.LogGroup(uses, "CrossStack", encryption_key=key)
    logs.LogGroup(uses, "SameStack", encryption_key=local_key)
    logs.LogGroup(uses, "Unencrypted")
    logs.CfnLogGroup(uses, "LiteralArn", kms_key_id="arn:aws:kms:us-east-1:111111111111:key/x")
    logs.CfnLogGroup(uses, "Imported", kms_key_id=cdk.Fn.import_value("SomeoneElsesKey"))
    kinesis.Stream(uses, "Stream", encryption=kinesis.StreamEncryption.KMS, encryption_key=key)
    kinesis.CfnStream(uses, "PlainStream", shard_count=1)
    sqs.Queue(uses, "Queue", encryption=sqs.QueueEncryption.KMS, encryption_master_key=key)
    athena.CfnWorkGroup(
        uses,
        "WorkGroup",
        name="wg",
        work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
            result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                    encryption_option="SSE_KMS", kms_key=key.key_arn
                )
            )
        ),
    )
    athena.CfnWorkGroup(uses, "WorkGroupWithoutResults", name="wg2")
    # A configuration given as a token is not followed (no attributes to read): left alone.
    athena.CfnWorkGroup(
        uses, "TokenConfiguration", name="wg3", work_group_configuration=cdk.Token.as_any({})
    )
    s3.Bucket(uses, "Bucket", encryption_key=key)  # not a key-reading rule's type
    calls = {}

    def record(construct, rule, reason):
        assert construct.node.path not in calls, "acknowledged twice"
        calls[construct.node.path] = (rule, reason)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(control_tower, "acknowledge_control_tower", record)
        acknowledge_cross_stack_keys(app)
    return calls


def test_exactly_the_cross_stack_keys_are_acknowledged_each_with_its_rule_and_reason(
    acknowledged,
):
    # One test reads both: mutmut maps a module fixture's calls to the first test using it.
    reason = f"{CROSS_STACK_KEY_REASON} Key: Keys/Key/Resource (stack acme-keys)."
    assert acknowledged == {
        "Uses/CrossStack/Resource": ("cloudwatch_log_group_encrypted_check", reason),
        "Uses/Stream/Resource": ("kinesis_stream_encrypted_check", reason),
        "Uses/Queue/Resource": ("sqs_queue_encrypted_check", reason),
        "Uses/WorkGroup": ("athena_workgroup_results_encrypted_at_rest_kms_check", reason),
    }


def test_every_key_reading_rule_is_exercised(acknowledged):
    assert {rule for rule, _ in acknowledged.values()} == {
        rule for _, rule in KEY_READING_RULES.values()
    }


def test_only_the_given_scope_is_searched():
    app = make_app()
    keys = cdk.Stack(app, "Keys")
    key = kms.Key(keys, "Key")
    inside, outside = cdk.Stack(app, "Inside"), cdk.Stack(app, "Outside")
    logs.LogGroup(inside, "Logs", encryption_key=key)
    logs.LogGroup(outside, "Logs", encryption_key=key)
    seen = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            control_tower,
            "acknowledge_control_tower",
            lambda construct, rule, reason: seen.append(construct.node.path),
        )
        acknowledge_cross_stack_keys(inside)
    assert seen == ["Inside/Logs/Resource"]


def test_acknowledge_control_tower_takes_one_rule_or_several(monkeypatch):
    app = make_app()
    group = logs.LogGroup(cdk.Stack(app, "S"), "Logs")
    recorded = []
    monkeypatch.setattr(
        control_tower,
        "acknowledge",
        lambda construct, ids, reason: recorded.append((construct.node.path, ids, reason)),
    )
    reason = "why this finding is safe, in one sentence"
    acknowledge_control_tower(group, "lambda_inside_vpc_check", reason)
    acknowledge_control_tower(group, ("sqs_dlq_check", "s3_bucket_logging_enabled_check"), reason)
    assert recorded == [
        ("S/Logs", [f"{CONTROL_TOWER_PLUGIN}::lambda_inside_vpc_check"], reason),
        (
            "S/Logs",
            [
                f"{CONTROL_TOWER_PLUGIN}::sqs_dlq_check",
                f"{CONTROL_TOWER_PLUGIN}::s3_bucket_logging_enabled_check",
            ],
            reason,
        ),
    ]
