"""Read deployed resources back through the service APIs and compare them with the template.

Each check is ``ok`` (the emulator holds what the template asks), ``not emulated`` (a known
moto gap listed in ``catalogue.EMULATED``: reported, never claimed), ``MISMATCH`` (unexpected:
the deploy fails) or ``not checked`` (no read-back written for that type).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

OK = "ok"
GAP = "not emulated"
MISMATCH = "MISMATCH"
NOT_CHECKED = "not checked"

# (resource type, check name) where moto is known to ignore the template (see catalogue).
KNOWN_GAPS = {
    ("AWS::Kinesis::Stream", "encryption"),
    ("AWS::Kinesis::Stream", "mode"),
    ("AWS::S3::Bucket", "versioning"),
    ("AWS::IAM::Role", "managed policies"),
}


@dataclass(frozen=True)
class Check:
    """One read-back comparison."""

    name: str
    outcome: str
    detail: str

    def __str__(self) -> str:
        return f"{self.name}: {self.outcome} ({self.detail})"


@dataclass
class StackContext:
    """What a read-back needs about one deployed stack."""

    client: Callable[[str], Any]
    stack_name: str
    account: str
    region: str
    resources: Mapping[str, Any]  # template Resources
    physical_ids: Mapping[str, str]  # logical id -> physical id (moto's ListStackResources)
    exports: Mapping[str, str] = field(default_factory=dict)  # CloudFormation exports

    def resolve(self, value: Any) -> Any:
        """Resolve the intrinsics a read-back needs (Ref, GetAtt Arn of KMS keys, Join);
        ``None`` when the value cannot be known without CloudFormation."""
        if isinstance(value, str | int | bool) or value is None:
            return value
        if isinstance(value, list):
            items = [self.resolve(item) for item in value]
            return None if any(item is None for item in items) else items
        if not isinstance(value, dict):
            return None
        if "Ref" in value:
            pseudo = {
                "AWS::Region": self.region,
                "AWS::AccountId": self.account,
                "AWS::Partition": "aws",
                "AWS::StackName": self.stack_name,
                "AWS::URLSuffix": "amazonaws.com",
            }
            return pseudo.get(value["Ref"], self.physical_ids.get(value["Ref"]))
        if "Fn::GetAtt" in value:
            target, attribute = value["Fn::GetAtt"]
            resource = self.resources.get(target, {})
            physical = self.physical_ids.get(target)
            if physical and attribute == "Arn" and resource.get("Type") == "AWS::KMS::Key":
                return f"arn:aws:kms:{self.region}:{self.account}:key/{physical}"
            return None
        if "Fn::ImportValue" in value:
            name = self.resolve(value["Fn::ImportValue"])
            return self.exports.get(name) if isinstance(name, str) else None
        if "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            resolved = self.resolve(parts)
            return None if resolved is None else separator.join(str(p) for p in resolved)
        if len(value) == 1 and next(iter(value)).startswith("Fn::"):
            return None
        resolved_items = {key: self.resolve(item) for key, item in value.items()}
        return None if any(i is None for i in resolved_items.values()) else resolved_items


def read_back(ctx: StackContext, logical_id: str) -> list[Check]:
    """The checks for one resource moto created (``[]`` if the type has no read-back)."""
    resource = ctx.resources[logical_id]
    reader = _READERS.get(resource["Type"])
    if reader is None:
        return [Check("exists", NOT_CHECKED, "listed by moto's CloudFormation; no read-back")]
    props = resource.get("Properties", {})
    physical = ctx.physical_ids[logical_id]
    try:
        checks = reader(ctx, logical_id, props, physical)
    except Exception as error:  # a failed API call is a finding, not a crash
        return [Check("read-back", MISMATCH, f"{type(error).__name__}: {error}")]
    return [_gap_if_known(resource["Type"], check) for check in checks]


def _gap_if_known(resource_type: str, check: Check) -> Check:
    if check.outcome == MISMATCH and (resource_type, check.name) in KNOWN_GAPS:
        return Check(check.name, GAP, check.detail)
    return check


def _compare(name: str, expected: Any, actual: Any, describe: str | None = None) -> Check:
    if expected is None:
        return Check(name, NOT_CHECKED, f"template value not resolvable; emulator has {actual}")
    outcome = OK if expected == actual else MISMATCH
    detail = describe or (
        f"{actual}" if outcome == OK else f"template {expected}, emulator {actual}"
    )
    return Check(name, outcome, detail)


def _key_id(value: Any) -> Any:
    """``arn:...:key/ID`` or ``ID`` -> ``ID`` (other values unchanged)."""
    if isinstance(value, str) and ":key/" in value:
        return value.rsplit("/", 1)[1]
    return value


def _bucket(ctx: StackContext, _lid: str, props: dict[str, Any], name: str) -> list[Check]:
    s3 = ctx.client("s3")
    s3.head_bucket(Bucket=name)
    checks = [_compare("name", ctx.resolve(props.get("BucketName", name)), name)]
    sse = props.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration", [])
    if sse:
        wanted = sse[0].get("ServerSideEncryptionByDefault", {})
        try:
            rule = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"][
                "Rules"
            ][0]["ApplyServerSideEncryptionByDefault"]
        except s3.exceptions.ClientError:
            rule = {}
        expected_key = _key_id(ctx.resolve(wanted.get("KMSMasterKeyID")))
        actual_key = _key_id(rule.get("KMSMasterKeyID"))
        unknown_key = expected_key is None and wanted.get("KMSMasterKeyID") is not None
        expected = None if unknown_key else (wanted.get("SSEAlgorithm"), expected_key)
        actual = (rule.get("SSEAlgorithm"), actual_key)
        describe = f"{actual[0]}" + (f" with key {actual_key}" if actual_key else "")
        checks.append(
            _compare("encryption", expected, actual, describe if expected == actual else None)
        )
    status = props.get("VersioningConfiguration", {}).get("Status")
    if status:
        actual_status = s3.get_bucket_versioning(Bucket=name).get("Status")
        checks.append(_compare("versioning", status, actual_status))
    return checks


def _key(ctx: StackContext, _lid: str, props: dict[str, Any], key_id: str) -> list[Check]:
    # Not DescribeKey: moto 5.2 answers HTTP 500 for keys created through CloudFormation.
    kms = ctx.client("kms")
    keys = {k["KeyId"] for page in kms.get_paginator("list_keys").paginate() for k in page["Keys"]}
    rotation = kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"]
    return [
        Check("exists", OK if key_id in keys else MISMATCH, key_id),
        _compare("rotation", bool(props.get("EnableKeyRotation", False)), rotation),
    ]


def _alias(ctx: StackContext, _lid: str, props: dict[str, Any], alias: str) -> list[Check]:
    aliases = ctx.client("kms").list_aliases()["Aliases"]
    target = next((a.get("TargetKeyId") for a in aliases if a["AliasName"] == alias), None)
    expected = _key_id(ctx.resolve(props.get("TargetKeyId")))
    return [_compare("target key", expected, target, f"{alias} -> {target}")]


def _stream(ctx: StackContext, _lid: str, props: dict[str, Any], name: str) -> list[Check]:
    summary = ctx.client("kinesis").describe_stream_summary(StreamName=name)[
        "StreamDescriptionSummary"
    ]
    wanted_encryption = props.get("StreamEncryption", {})
    wanted_key = _key_id(ctx.resolve(wanted_encryption.get("KeyId")))
    expected_encryption = (
        None
        if wanted_key is None and "KeyId" in wanted_encryption
        else (wanted_encryption.get("EncryptionType", "NONE"), wanted_key)
    )
    actual_encryption = (summary.get("EncryptionType", "NONE"), _key_id(summary.get("KeyId")))
    checks = [
        _compare("status", "ACTIVE", summary["StreamStatus"]),
        _compare("encryption", expected_encryption, actual_encryption),
        _compare(
            "retention hours",
            int(props.get("RetentionPeriodHours", 24)),
            summary["RetentionPeriodHours"],
        ),
        _compare(
            "mode",
            props.get("StreamModeDetails", {}).get("StreamMode", "PROVISIONED"),
            summary.get("StreamModeDetails", {}).get("StreamMode", "PROVISIONED"),
        ),
    ]
    if "ShardCount" in props:
        checks.append(_compare("shards", int(props["ShardCount"]), summary["OpenShardCount"]))
    return checks


def _role(ctx: StackContext, logical_id: str, props: dict[str, Any], name: str) -> list[Check]:
    iam = ctx.client("iam")
    role = iam.get_role(RoleName=name)["Role"]
    expected_trust = ctx.resolve(props.get("AssumeRolePolicyDocument"))
    actual_trust = role["AssumeRolePolicyDocument"]
    if isinstance(actual_trust, str):
        actual_trust = json.loads(actual_trust)
    principals = sorted(_principals(actual_trust))
    checks = [
        _compare(
            "trust",
            None if expected_trust is None else _canonical(expected_trust),
            _canonical(actual_trust),
            f"assumed by {', '.join(principals)}",
        )
    ]
    expected_inline = {p["PolicyName"] for p in props.get("Policies", [])}
    for other in ctx.resources.values():
        if other["Type"] == "AWS::IAM::Policy":
            roles = other.get("Properties", {}).get("Roles", [])
            if {"Ref": logical_id} in roles or name in roles:
                expected_inline.add(other["Properties"]["PolicyName"])
    actual_inline = set(iam.list_role_policies(RoleName=name)["PolicyNames"])
    missing = sorted(expected_inline - actual_inline)
    checks.append(
        Check(
            "inline policies",
            MISMATCH if missing else OK,
            f"missing {', '.join(missing)}"
            if missing
            else f"{len(expected_inline)}: {', '.join(sorted(expected_inline)) or 'none'}",
        )
    )
    managed = props.get("ManagedPolicyArns")
    if managed:
        expected_arns = ctx.resolve(managed)
        attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
        checks.append(
            _compare(
                "managed policies",
                None if expected_arns is None else sorted(expected_arns),
                sorted(p["PolicyArn"] for p in attached),
            )
        )
    return checks


def _policy(ctx: StackContext, _lid: str, props: dict[str, Any], _physical: str) -> list[Check]:
    iam = ctx.client("iam")
    checks = []
    expected_count = len(props.get("PolicyDocument", {}).get("Statement", []))
    for role in props.get("Roles", []):
        role_name = ctx.resolve(role)
        document = iam.get_role_policy(RoleName=role_name, PolicyName=props["PolicyName"])[
            "PolicyDocument"
        ]
        if isinstance(document, str):
            document = json.loads(document)
        checks.append(
            _compare(
                f"on role {role_name}",
                expected_count,
                len(document.get("Statement", [])),
                f"{expected_count} statements",
            )
        )
    return checks or [Check("attached", NOT_CHECKED, "attached to users/groups only")]


def _managed_policy(ctx: StackContext, _lid: str, props: dict[str, Any], arn: str) -> list[Check]:
    iam = ctx.client("iam")
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    checks = [Check("exists", OK, policy["PolicyName"])]
    for role in props.get("Roles", []):
        role_name = ctx.resolve(role)
        if role_name is None:
            checks.append(Check("attached", NOT_CHECKED, f"role {role} not resolvable"))
            continue
        attached = iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]
        found = any(p["PolicyArn"] == arn for p in attached)
        checks.append(
            Check(f"attached to {role_name}", OK if found else MISMATCH, "ListAttachedRolePolicies")
        )
    return checks


def _log_group(ctx: StackContext, _lid: str, props: dict[str, Any], name: str) -> list[Check]:
    groups = ctx.client("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    group = next(g for g in groups if g["logGroupName"] == name)
    expected = props.get("RetentionInDays")
    return [
        _compare(
            "retention days",
            None if expected is None else int(expected),
            group.get("retentionInDays"),
        )
        if expected is not None
        else _compare("retention days", None, group.get("retentionInDays"), "never expire")
    ]


def _topic(ctx: StackContext, _lid: str, props: dict[str, Any], arn: str) -> list[Check]:
    attributes = ctx.client("sns").get_topic_attributes(TopicArn=arn)["Attributes"]
    checks = [Check("exists", OK, arn.rsplit(":", 1)[1])]
    if "KmsMasterKeyId" in props:
        checks.append(
            _compare(
                "kms key",
                _key_id(ctx.resolve(props["KmsMasterKeyId"])),
                _key_id(attributes.get("KmsMasterKeyId")),
            )
        )
    return checks


def _rule(ctx: StackContext, _lid: str, props: dict[str, Any], name: str) -> list[Check]:
    events = ctx.client("events")
    bus = ctx.resolve(props.get("EventBusName", "default"))
    rule = events.describe_rule(Name=name, EventBusName=bus)
    checks = [_compare("state", props.get("State", "ENABLED"), rule.get("State"))]
    if "EventPattern" in props:
        checks.append(
            _compare(
                "event pattern",
                ctx.resolve(props["EventPattern"]),
                json.loads(rule.get("EventPattern", "null")),
                "as in the template",
            )
        )
    targets = events.list_targets_by_rule(Rule=name, EventBusName=bus)["Targets"]
    checks.append(_compare("targets", len(props.get("Targets", [])), len(targets)))
    return checks


def _parameter(ctx: StackContext, _lid: str, props: dict[str, Any], name: str) -> list[Check]:
    value = ctx.client("ssm").get_parameter(Name=name)["Parameter"]["Value"]
    return [_compare("value", ctx.resolve(props.get("Value")), value, "as in the template")]


def _queue(ctx: StackContext, _lid: str, _props: dict[str, Any], url: str) -> list[Check]:
    name = url.rsplit("/", 1)[1]
    ctx.client("sqs").get_queue_url(QueueName=name)
    return [Check("exists", OK, name)]


def _vpc(ctx: StackContext, _lid: str, props: dict[str, Any], vpc_id: str) -> list[Check]:
    vpc = ctx.client("ec2").describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]
    return [_compare("cidr", ctx.resolve(props.get("CidrBlock")), vpc["CidrBlock"])]


def _function(ctx: StackContext, _lid: str, props: dict[str, Any], name: str) -> list[Check]:
    config = ctx.client("lambda").get_function(FunctionName=name)["Configuration"]
    return [
        _compare("runtime", props.get("Runtime"), config.get("Runtime")),
        Check("invocation", GAP, "the local deploy never runs Lambda code"),
    ]


def _principals(document: Mapping[str, Any]) -> set[str]:
    found = set()
    for statement in document.get("Statement", []):
        for kind, value in (statement.get("Principal") or {}).items():
            for item in value if isinstance(value, list) else [value]:
                found.add(f"{kind}:{item}")
    return found


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in value.items()}
    if isinstance(value, list):
        items = [_canonical(item) for item in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    return value


_READERS: dict[str, Callable[[StackContext, str, dict[str, Any], str], list[Check]]] = {
    "AWS::S3::Bucket": _bucket,
    "AWS::KMS::Key": _key,
    "AWS::KMS::Alias": _alias,
    "AWS::Kinesis::Stream": _stream,
    "AWS::IAM::Role": _role,
    "AWS::IAM::Policy": _policy,
    "AWS::IAM::ManagedPolicy": _managed_policy,
    "AWS::Logs::LogGroup": _log_group,
    "AWS::SNS::Topic": _topic,
    "AWS::Events::Rule": _rule,
    "AWS::SSM::Parameter": _parameter,
    "AWS::SQS::Queue": _queue,
    "AWS::EC2::VPC": _vpc,
    "AWS::Lambda::Function": _function,
}
