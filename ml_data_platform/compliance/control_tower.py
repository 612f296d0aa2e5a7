"""AWS Control Tower proactive controls (cfn-guard rules) as a fifth gate.

``cdklabs.cdk-validator-cfnguard`` is a CDK policy-validation plugin that bundles the cfn-guard
binary and the Control Tower rules. It runs under the same gate as the cdk-nag packs
(``enable_compliance_checks``): an unacknowledged finding, or an acknowledgement that matched
nothing, fails ``app.synth()``. Acknowledge a finding on its one resource with
``acknowledge_control_tower(resource, rule, reason)``.

The rules read values literally: a KMS key that arrives through a cross-stack reference
(``Fn::ImportValue`` / ``Fn::GetStackOutput``) reads as "no key". ``enable_control_tower_checks``
acknowledges, just before synthesis, exactly those findings (log groups, Kinesis streams, SQS
queues, Athena workgroups whose key property references a key resource of another stack), per resource, with
``CROSS_STACK_KEY_REASON`` and the key's path; a missing key stays a finding.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

import aws_cdk as cdk
from constructs import IConstruct

from ml_data_platform.compliance.nag import CONTROL_TOWER_PLUGIN, _gate, acknowledge

# Rule names (as the report prints them) that the platform's constructs acknowledge.
LAMBDA_INSIDE_VPC = "lambda_inside_vpc_check"
S3_OBJECT_LOCK = "s3_bucket_object_lock_enabled_check"
S3_DEFAULT_ENCRYPTION_KMS = "s3_bucket_default_encryption_kms_check"
S3_LOGGING = "s3_bucket_logging_enabled_check"
SQS_DLQ = "sqs_dlq_check"
# Rules that read a KMS key off a resource property: (property path, rule name) by type.
KEY_READING_RULES: dict[str, tuple[tuple[str, ...], str]] = {
    "AWS::Logs::LogGroup": (("kms_key_id",), "cloudwatch_log_group_encrypted_check"),
    "AWS::Kinesis::Stream": (("stream_encryption", "key_id"), "kinesis_stream_encrypted_check"),
    "AWS::SQS::Queue": (("kms_master_key_id",), "sqs_queue_encrypted_check"),
    "AWS::Athena::WorkGroup": (
        (
            "work_group_configuration",
            "result_configuration",
            "encryption_configuration",
            "kms_key",
        ),
        "athena_workgroup_results_encrypted_at_rest_kms_check",
    ),
}
GUARD_OUTPUT_BUFFER_BYTES = 256 * 1024 * 1024
"""cfn-guard's output buffer: the default (1 MiB) is too small for hundreds of datasets."""
CROSS_STACK_KEY_REASON = (
    "The resource is encrypted with the platform's customer-managed KMS key, which comes from "
    "the storage stack through a cross-stack reference; the Control Tower rule reads the "
    "reference (Fn::ImportValue/Fn::GetStackOutput) as 'no key', so this is a false positive."
)


def enable_control_tower_checks(scope: cdk.App | cdk.Stage) -> None:
    """Attach the AWS Control Tower proactive controls to ``scope`` under the compliance gate
    (call ``enable_compliance_checks`` too, or alone this still fails ``app.synth()`` on a
    finding). Needs the ``controltower`` extra (``cdklabs.cdk-validator-cfnguard``).
    """
    try:
        from cdklabs.cdk_validator_cfnguard import CfnGuardValidator
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            "enable_control_tower_checks needs cdklabs.cdk-validator-cfnguard: install "
            "ml-data-platform with its 'controltower' extra"
        ) from error
    validator = CfnGuardValidator(
        control_tower_rules_enabled=True, max_buffer=GUARD_OUTPUT_BUFFER_BYTES
    )  # an IPolicyValidationPluginBeta1, which mypy cannot match to the plugin interface
    cdk.Validations.of(scope).add_plugins(cast(cdk.IPolicyValidationPlugin, validator))
    root: Any = scope.node.root
    gate = _gate(root)
    gate.scopes.append((scope.node.path, frozenset({CONTROL_TOWER_PLUGIN})))
    gate.install(root)
    # Not an aspect: an App's aspects do not reach the stacks inside its Stages.
    synth = root.synth

    def synth_after_cross_stack_keys(*args: Any, **kwargs: Any) -> Any:
        acknowledge_cross_stack_keys(scope)
        return synth(*args, **kwargs)

    root.synth = synth_after_cross_stack_keys


def acknowledge_control_tower(
    construct: IConstruct, rules: str | Iterable[str], reason: str
) -> None:
    """Acknowledge Control Tower findings (rule names as the report prints them, e.g.
    ``s3_bucket_object_lock_enabled_check``) on ``construct`` only, with why it is safe."""
    names = [rules] if isinstance(rules, str) else list(rules)
    acknowledge(construct, [f"{CONTROL_TOWER_PLUGIN}::{name}" for name in names], reason)


def acknowledge_cross_stack_keys(scope: IConstruct) -> None:
    """Acknowledge a key-reading rule on each resource under ``scope`` whose KMS key is a
    resource of another stack (the rule sees only the cross-stack reference); a missing key, a
    literal ARN or a key of the same stack is left to the rule."""
    for node in scope.node.find_all():
        if not isinstance(node, cdk.CfnResource):
            continue
        rule_of_type = KEY_READING_RULES.get(node.cfn_resource_type)
        if rule_of_type is None:
            continue
        path, rule = rule_of_type
        key = _key_resource(_property(node, path))
        if key is None:
            continue
        key_stack = cdk.Stack.of(key)
        if key_stack.node.path == cdk.Stack.of(node).node.path:
            continue
        acknowledge_control_tower(
            node,
            rule,
            f"{CROSS_STACK_KEY_REASON} Key: {key.node.path} (stack {key_stack.stack_name}).",
        )


def _property(resource: cdk.CfnResource, path: tuple[str, ...]) -> Any:
    value: Any = resource
    for name in path:
        value = getattr(value, name, None)
        if value is None:
            return None
    return value


def _key_resource(value: Any) -> IConstruct | None:
    """The construct a key reference points at, if ``value`` is one (a token string)."""
    if not isinstance(value, str) or not cdk.Token.is_unresolved(value):
        return None
    token = cdk.Tokenization.reverse_string(value).first_token
    return token.target if isinstance(token, cdk.Reference) else None
