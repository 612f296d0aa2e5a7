"""core.kms: KMS statements bound to one service and, optionally, one encryption context."""

import aws_cdk as cdk
from aws_cdk import aws_kms as kms

from ml_data_platform.core.kms import STRING_LIKE, kms_conditions, kms_statement, same_key
from tests.conftest import TEST_ENV, make_app


def _stack_and_key():
    stack = cdk.Stack(make_app(), "Kms", env=TEST_ENV)
    return stack, kms.Key(stack, "Key")


def test_via_service_alone_is_string_equals():
    stack, _ = _stack_and_key()
    assert stack.resolve(kms_conditions(service="glue", stack=stack)) == {
        "StringEquals": {
            "kms:ViaService": {"Fn::Join": ["", ["glue.us-east-1.", {"Ref": "AWS::URLSuffix"}]]}
        }
    }


def test_encryption_context_joins_the_via_service_condition_by_default():
    stack, _ = _stack_and_key()
    conditions = kms_conditions(
        service="kinesis", stack=stack, encryption_context={"aws:kinesis:arn": "arn:stream"}
    )
    assert list(conditions) == ["StringEquals"]
    assert list(conditions["StringEquals"]) == [
        "kms:ViaService",
        "kms:EncryptionContext:aws:kinesis:arn",
    ]
    assert conditions["StringEquals"]["kms:EncryptionContext:aws:kinesis:arn"] == "arn:stream"


def test_encryption_context_patterns_go_under_their_own_operator():
    stack, _ = _stack_and_key()
    conditions = kms_conditions(
        service="s3",
        stack=stack,
        encryption_context={"aws:s3:arn": ["arn:bucket", "arn:bucket/p/*"]},
        context_operator=STRING_LIKE,
    )
    assert list(conditions) == ["StringEquals", "StringLike"]
    assert list(conditions["StringEquals"]) == ["kms:ViaService"]
    assert conditions["StringLike"] == {
        "kms:EncryptionContext:aws:s3:arn": ["arn:bucket", "arn:bucket/p/*"]
    }


def test_statement_names_the_key_actions_and_sid():
    stack, key = _stack_and_key()
    statement = kms_statement(
        sid="DecryptSecret",
        actions=("kms:Decrypt",),
        key=key,
        service="secretsmanager",
        stack=stack,
    )
    rendered = stack.resolve(statement.to_statement_json())
    assert rendered["Sid"] == "DecryptSecret"
    assert rendered["Action"] == "kms:Decrypt"
    assert rendered["Resource"] == {"Fn::GetAtt": ["Key961B73FD", "Arn"]}
    assert list(rendered["Condition"]) == ["StringEquals"]


def test_same_key_by_path_or_literal_arn_not_by_proxy_object():
    stack = cdk.Stack(make_app(), "Keys")
    arn = "arn:aws:kms:us-east-1:111111111111:key/abc"
    first = kms.Key.from_key_arn(stack, "First", arn)
    assert same_key(first, kms.Key.from_key_arn(stack, "Second", arn))  # one literal ARN
    owned, other = kms.Key(stack, "Owned"), kms.Key(stack, "Other")
    assert same_key(owned, owned)
    assert not same_key(owned, other)  # two keys, unresolved ARNs
    assert not same_key(first, kms.Key.from_key_arn(stack, "Third", arn.replace("abc", "def")))
