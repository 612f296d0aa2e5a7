"""Acknowledge cdk-nag 3 ``AwsSolutions-IAM5`` findings of one policy, finding by finding.

cdk-nag 3 reports each wildcard as its own finding (``AwsSolutions-IAM5[Resource::...]``) whose
text is the resolved resource, which for cross-stack references is only known once the app
has resolved its references. So the acknowledgement is computed in a construct validation
(which runs after references are resolved and before the nag plugins) and covers only the
findings that match the given patterns: any other wildcard still fails synthesis.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

import aws_cdk as cdk
import constructs
import jsii
from aws_cdk import aws_iam as iam

from ml_data_platform.compliance import acknowledge

IAM5 = "AwsSolutions-IAM5"


def acknowledge_wildcards(policy: iam.ManagedPolicy, patterns: Sequence[str], reason: str) -> None:
    """Acknowledge the IAM5 findings of ``policy`` whose text fully matches one of
    ``patterns`` (regular expressions over ``Resource::<flattened ARN>`` or
    ``Action::<action>``), with ``reason``."""
    policy.node.add_validation(_WildcardAcknowledgement(policy, patterns, reason))


def wildcard_findings(policy: iam.ManagedPolicy) -> list[str]:
    """The IAM5 finding texts of ``policy`` (as cdk-nag 3.0 words them)."""
    cfn: iam.CfnManagedPolicy = policy.node.default_child  # type: ignore[assignment]
    document = cdk.Stack.of(cfn).resolve(cfn.policy_document)
    findings: list[str] = []
    for statement in document.get("Statement", []):
        if statement.get("Effect") != "Allow":
            continue
        for action in _as_list(statement.get("Action")):
            if "*" in action:
                findings.append(f"Action::{action}")
        for resource in _as_list(statement.get("Resource")):
            text = _flatten(resource)
            if "*" in text:
                findings.append(f"Resource::{text}")
    return list(dict.fromkeys(findings))


@jsii.implements(constructs.IValidation)
class _WildcardAcknowledgement:
    def __init__(self, policy: iam.ManagedPolicy, patterns: Sequence[str], reason: str) -> None:
        self._policy = policy
        self._patterns = [re.compile(p) for p in patterns]
        self._reason = reason

    def validate(self) -> list[str]:
        for finding in wildcard_findings(self._policy):
            if any(p.fullmatch(finding) for p in self._patterns):
                acknowledge(self._policy, f"{IAM5}[{finding}]", self._reason)
        return []


def _as_list(value: object) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _flatten(node: object) -> str:
    """cdk-nag's ``flattenCfnReference``."""
    if node is None:
        return ""
    if isinstance(node, str):
        return node.replace("${", "<").replace("}", ">")
    if isinstance(node, dict):
        if "Fn::Join" in node:
            delimiter, items = node["Fn::Join"]
            return delimiter.join(_flatten(i) for i in items)
        if "Fn::Sub" in node:
            return _flatten(node["Fn::Sub"])
        if "Fn::GetAtt" in node:
            resource, attribute = node["Fn::GetAtt"]
            return f"<{_flatten(resource)}.{_flatten(attribute)}>"
        if "Fn::ImportValue" in node:
            return _flatten(node["Fn::ImportValue"])
        if "Ref" in node:
            return f"<{_flatten(node['Ref'])}>"
    return json.dumps(node, separators=(",", ":"))
