"""cdk-nag 3 packs run as CDK policy-validation plugins, and acknowledgements.

An acknowledgement is attached to one construct (it covers that construct's children, so attach
it to the resource itself), names the exact rule, and must say why the finding is safe there.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from enum import Enum
from pathlib import Path

import aws_cdk as cdk
import cdk_nag
from constructs import IConstruct

MIN_REASON_LENGTH = 30


class NagPack(Enum):
    """cdk-nag packs and the prefix of their rule ids."""

    AWS_SOLUTIONS = ("AwsSolutions", cdk_nag.AwsSolutionsChecks)
    HIPAA_SECURITY = ("HIPAA.Security", cdk_nag.HIPAASecurityChecks)
    NIST_800_53_R5 = ("NIST.800.53.R5", cdk_nag.NIST80053R5Checks)
    PCI_DSS_321 = ("PCI.DSS.321", cdk_nag.PCIDSS321Checks)

    def __init__(self, rule_prefix: str, plugin_class: type) -> None:
        self.rule_prefix = rule_prefix
        self.plugin_class = plugin_class


ENFORCED_PACKS: tuple[NagPack, ...] = tuple(NagPack)


def enable_compliance_checks(
    scope: cdk.App | cdk.Stage, packs: Iterable[NagPack] = ENFORCED_PACKS
) -> None:
    """Attach the packs to ``scope``: synthesis then fails on any unacknowledged finding."""
    cdk.Validations.of(scope).add_plugins(*(pack.plugin_class() for pack in packs))


class ComplianceFindings(RuntimeError):
    """Unacknowledged cdk-nag findings in a synthesized assembly."""


def check_validation_report(assembly_directory: str | Path) -> dict:
    """Raise ``ComplianceFindings`` listing every unacknowledged finding (rule and construct
    path) in the assembly's ``validation-report.json``; return the report otherwise.

    The CDK CLI synthesizes with ``@aws-cdk/core:failSynthOnValidationErrors=false``, so an
    app run by ``cdk synth``/``cdk deploy`` must check the report itself (``app.py`` does).
    A missing report is an error too: with the packs attached, synthesis always writes one, so
    its absence means the packs did not run (e.g. ``enable_compliance_checks`` not called).
    """
    path = Path(assembly_directory) / "validation-report.json"
    if not path.exists():
        raise ComplianceFindings(
            f"no cdk-nag validation report at {path}: the packs did not run "
            "(call enable_compliance_checks(app) before app.synth())"
        )
    report = json.loads(path.read_text())
    findings = [
        f"{violation['ruleName']}: {construct['constructPath']}"
        for plugin in report.get("pluginReports", [])
        if plugin.get("conclusion") == "failure"
        for violation in plugin.get("violations", [])
        for construct in violation.get("violatingConstructs", [])
    ]
    if findings:
        raise ComplianceFindings(
            f"{len(findings)} unacknowledged cdk-nag finding(s) (full report: {path}):\n  "
            + "\n  ".join(sorted(findings))
        )
    return report


def acknowledge(construct: IConstruct, rules: str | Iterable[str], reason: str) -> None:
    """Acknowledge cdk-nag ``rules`` (e.g. ``"AwsSolutions-IAM5"``) on ``construct`` only.

    Raises ``ValueError`` for an unknown pack prefix, a reason shorter than 30 characters, or
    an App, Stage or Stack (an acknowledgement there would cover every resource below it).
    """
    if cdk.Stage.is_stage(construct) or cdk.Stack.is_stack(construct):
        raise ValueError(
            f"acknowledge on the resource, not on {type(construct).__name__} "
            f"'{construct.node.path}': an acknowledgement covers everything below it"
        )
    if len(reason.strip()) < MIN_REASON_LENGTH:
        raise ValueError(
            f"acknowledgement reason {reason!r} on '{construct.node.path}' must explain why the "
            f"finding is safe (≥ {MIN_REASON_LENGTH} characters)"
        )
    acknowledgements = [
        cdk.Acknowledgment(id=_acknowledgement_id(rule), reason=reason)
        for rule in ([rules] if isinstance(rules, str) else rules)
    ]
    if acknowledgements:
        cdk.Validations.of(construct).acknowledge(*acknowledgements)


def skip_checkov(resource: cdk.CfnResource, check_id: str, reason: str) -> None:
    """Skip one checkov check on one CloudFormation resource (template metadata), with why."""
    if len(reason.strip()) < MIN_REASON_LENGTH:
        raise ValueError(
            f"checkov skip {check_id} on '{resource.node.path}' needs a reason "
            f"(≥ {MIN_REASON_LENGTH} characters saying why it is safe)"
        )
    metadata = resource.get_metadata("checkov") or {"skip": []}
    if any(skip["id"] == check_id for skip in metadata["skip"]):
        return
    metadata["skip"].append({"id": check_id, "comment": reason})
    resource.add_metadata("checkov", metadata)


def _acknowledgement_id(rule: str) -> str:
    prefix = rule.split("-", 1)[0]
    if prefix not in {pack.rule_prefix for pack in NagPack}:
        known = sorted(pack.rule_prefix for pack in NagPack)
        raise ValueError(
            f"unknown cdk-nag rule {rule!r}: expected '<pack>-<rule>' with pack one of {known}"
        )
    return f"{prefix}::{rule}"
