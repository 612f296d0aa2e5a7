"""Acknowledge the IAM5 (wildcard) findings of one generated IAM policy, each by its exact id.

cdk-nag names every wildcard finding after the action or the flattened resource
(``AwsSolutions-IAM5[Action::s3:GetObject*]``, ``...[Resource::<Bucket.Arn>/*]``), and only that
exact id acknowledges it. The ids depend on how references render in the final template
(including cross-stack references), so they are computed while the tree is validated, after
references are resolved, with the same flattening cdk-nag uses. Full wildcards (``*`` as action
or resource, or ``service:*``) are never acknowledged: they raise instead.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_iam as iam
from constructs import IConstruct, IValidation

from ml_data_platform.compliance.nag import IAM5, acknowledge
from ml_data_platform.compliance.rules import IAM_NO_INLINE_POLICY

GRANT_POLICY_REASON = (
    "ml-data-platform's grant helpers add their statements to the granted role's default "
    "policy, as CDK grants do: it belongs to that one role, and each of its wildcards is "
    "acknowledged by its exact id (any other wildcard added to it stays a finding)."
)


def acknowledge_policy_wildcards(
    policy: IConstruct,
    reason: str,
    *,
    patterns: Sequence[str] | None = None,
    resources: Sequence[str] | None = None,
) -> None:
    """Acknowledge the IAM5 findings of ``policy`` (an ``iam.Policy``/``ManagedPolicy`` or its
    ``CfnPolicy``/``CfnManagedPolicy``) with ``reason``, once its document is final.

    ``patterns``: regular expressions over ``Action::<action>``/``Resource::<flattened ARN>``;
    only findings that fully match one are acknowledged. ``resources``: only the findings of
    exactly these resource ARNs (tokens allowed: they are compared as they finally render).
    Default: every finding except full wildcards.
    """
    cfn_policy = policy if isinstance(policy, cdk.CfnResource) else policy.node.default_child
    if not isinstance(cfn_policy, iam.CfnPolicy | iam.CfnManagedPolicy):
        raise TypeError(
            "policy must be an iam.Policy or iam.ManagedPolicy (or its CfnPolicy/"
            f"CfnManagedPolicy), got {type(policy).__name__}"
        )
    compiled = None if patterns is None else [re.compile(p) for p in patterns]
    cfn_policy.node.add_validation(
        _AcknowledgeWildcards(policy, cfn_policy, reason, compiled, resources)
    )


@jsii.implements(IValidation)
class _AcknowledgeWildcards:
    def __init__(
        self,
        target: IConstruct,
        cfn_policy: iam.CfnPolicy | iam.CfnManagedPolicy,
        reason: str,
        patterns: list[re.Pattern[str]] | None,
        resources: Sequence[str] | None,
    ) -> None:
        self._target = target
        self._policy = cfn_policy
        self._reason = reason
        self._patterns = patterns
        self._resources = resources

    def validate(self) -> list[str]:
        stack = cdk.Stack.of(self._policy)
        findings = wildcard_findings(stack.resolve(self._policy.policy_document))
        if self._patterns is not None:
            findings = [f for f in findings if any(p.fullmatch(f) for p in self._patterns)]
        if self._resources is not None:
            exact = {f"Resource::{flatten_reference(stack.resolve(r))}" for r in self._resources}
            findings = [f for f in findings if f in exact]
        broad = [f for f in findings if _is_full_wildcard(f)]
        if broad:
            return [f"refusing to acknowledge full wildcards {broad} on {self._policy.node.path}"]
        acknowledge(self._target, [f"{IAM5}[{f}]" for f in findings], self._reason)
        return []


_FORBIDDEN = {"Action::*", "Resource::*"}


def grant_policy(role: IConstruct) -> iam.Policy | None:
    """The policy CDK grants write onto ``role``: a ``Role``'s ``DefaultPolicy``, or the
    ``Policy<unique id>`` an imported mutable role gets; None when there is none (an
    immutable import)."""
    default = role.node.try_find_child("DefaultPolicy")
    if isinstance(default, iam.Policy):
        return default
    imported = [
        child
        for child in role.node.children
        if isinstance(child, iam.Policy) and child.node.id.startswith("Policy")
    ]
    return imported[0] if len(imported) == 1 else None


def acknowledge_role_grants(
    role: IConstruct,
    reason: str,
    *,
    patterns: Sequence[str] | None = None,
    resources: Sequence[str] | None = None,
) -> None:
    """After a grant helper granted ``role`` (the user's or ours): acknowledge on the policy
    the grants wrote (``grant_policy``) exactly the IAM5 findings that match ``patterns`` or
    name ``resources`` (see ``acknowledge_policy_wildcards``), and ``IAMNoInlinePolicy`` (that
    policy is inline by CDK's grant model). Nothing when the grants wrote no policy."""
    policy = grant_policy(role)
    if policy is None:
        return
    if patterns is not None:
        acknowledge_policy_wildcards(policy, reason, patterns=patterns)
    if resources is not None:
        acknowledge_policy_wildcards(policy, reason, resources=resources)
    acknowledge(policy, IAM_NO_INLINE_POLICY, GRANT_POLICY_REASON)


def acknowledge_subtree_wildcards(construct: IConstruct, reason: str) -> None:
    """``acknowledge(construct, "AwsSolutions-IAM5", reason)``: acknowledge, on ``construct``,
    the exact IAM5 ids of every IAM policy below it (full wildcards raise at synth)."""
    construct.node.add_validation(_AcknowledgeSubtreeWildcards(construct, reason))


@jsii.implements(IValidation)
class _AcknowledgeSubtreeWildcards:
    def __init__(self, construct: IConstruct, reason: str) -> None:
        self._construct = construct
        self._reason = reason

    def validate(self) -> list[str]:
        findings: dict[str, None] = {}
        for child in self._construct.node.find_all():
            for document in _policy_documents(child):
                findings.update(dict.fromkeys(wildcard_findings(document)))
        broad = [f for f in findings if _is_full_wildcard(f)]
        if broad:
            return [
                f"refusing to acknowledge full wildcards {broad} below "
                f"{self._construct.node.path}: acknowledge each by its exact id "
                f"('{IAM5}[Action::*]') if it really is safe"
            ]
        if findings:
            acknowledge(self._construct, [f"{IAM5}[{f}]" for f in findings], self._reason)
        return []


def _policy_documents(construct: IConstruct) -> list[dict[str, Any]]:
    """The resolved policy documents of an IAM policy resource (inline role policies too)."""
    if isinstance(construct, iam.CfnPolicy | iam.CfnManagedPolicy):
        return [cdk.Stack.of(construct).resolve(construct.policy_document)]
    if isinstance(construct, iam.CfnRole):
        policies = cdk.Stack.of(construct).resolve(construct.policies) or []
        return [p.get("policyDocument") or p.get("PolicyDocument") or {} for p in policies]
    return []


def _is_full_wildcard(finding: str) -> bool:
    return finding in _FORBIDDEN or (finding.startswith("Action::") and finding.endswith(":*"))


def wildcard_findings(document: dict[str, Any]) -> list[str]:
    """The IAM5 finding suffixes (``Action::…``/``Resource::…``) of a resolved policy."""
    findings: dict[str, None] = {}
    for statement in document.get("Statement", []):
        if statement.get("Effect") != "Allow":
            continue
        for action in _as_list(statement.get("Action")):
            if "*" in action:
                findings[f"Action::{action}"] = None
        for resource in _as_list(statement.get("Resource")):
            flat = flatten_reference(resource)
            if "*" in flat:
                findings[f"Resource::{flat}"] = None
    return list(findings)


def flatten_reference(node: Any) -> str:
    """cdk-nag's ``flattenCfnReference``: a CloudFormation value as one string."""
    if node is None:
        return ""
    if isinstance(node, str):
        return node.replace("${", "<").replace("}", ">")
    if isinstance(node, dict):
        if "Fn::Join" in node:
            delimiter, items = node["Fn::Join"]
            return str(delimiter).join(flatten_reference(item) for item in items)
        if "Fn::Sub" in node:
            return flatten_reference(node["Fn::Sub"])
        if "Fn::GetAtt" in node:
            resource, attribute = node["Fn::GetAtt"]
            return f"<{flatten_reference(resource)}.{flatten_reference(attribute)}>"
        if "Fn::ImportValue" in node:
            return flatten_reference(node["Fn::ImportValue"])
        if "Ref" in node:
            return f"<{flatten_reference(node['Ref'])}>"
    return json.dumps(node, separators=(",", ":"))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
