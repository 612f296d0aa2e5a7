"""cdk-nag 3 packs run as CDK policy-validation plugins, the gate that makes synthesis fail on
an unacknowledged finding, and acknowledgements.

An acknowledgement is attached to one construct (it covers that construct's children, so attach
it to the resource itself), names the exact finding id, and must say why the finding is safe
there. Ids are accepted as the validation report prints them: ``AwsSolutions-S1``,
``AwsSolutions::AwsSolutions-S1``, ``AwsSolutions-IAM5[Action::s3:GetObject*]`` or
``AwsSolutions::AwsSolutions-IAM5[Action::s3:GetObject*]``.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import cdk_nag
from constructs import IConstruct

MIN_REASON_LENGTH = 30
VALIDATION_REPORT_FILE = "validation-report.json"
# cdk-nag rules whose findings carry a per-resource id (``Rule[detail]``): a coarse
# acknowledgement of these is expanded to the exact ids of the construct's IAM policies.
IAM5 = "AwsSolutions-IAM5"
CONTROL_TOWER_PLUGIN = "cdk-validator-cfnguard"
"""The AWS Control Tower proactive controls plugin's name: its findings are acknowledged as
``cdk-validator-cfnguard::<rule_name>`` (see ``compliance.control_tower``)."""
_GUARD_RULE = re.compile(r"[a-z0-9_]+")


class NagPack(Enum):
    """cdk-nag packs and the prefix of their rule ids.

    Attributes:
        rule_prefix: The prefix of the pack's rule ids (``AwsSolutions`` in
            ``AwsSolutions-S1``).
        plugin_class: The cdk-nag validation plugin class of the pack.
    """

    AWS_SOLUTIONS = ("AwsSolutions", cdk_nag.AwsSolutionsChecks)
    """AWS Solutions best practices."""
    HIPAA_SECURITY = ("HIPAA.Security", cdk_nag.HIPAASecurityChecks)
    """HIPAA Security."""
    NIST_800_53_R5 = ("NIST.800.53.R5", cdk_nag.NIST80053R5Checks)
    """NIST 800-53 revision 5."""
    PCI_DSS_321 = ("PCI.DSS.321", cdk_nag.PCIDSS321Checks)
    """PCI DSS 3.2.1."""

    def __init__(self, rule_prefix: str, plugin_class: type) -> None:
        self.rule_prefix = rule_prefix
        self.plugin_class = plugin_class


ENFORCED_PACKS: tuple[NagPack, ...] = tuple(NagPack)


class ComplianceFindings(RuntimeError):
    """Unacknowledged cdk-nag findings (or acknowledgements that matched nothing) in a
    synthesized assembly.

    Attributes:
        findings: one line per problem, ``<acknowledgement id> on <construct path>`` first.
        report: the parsed ``validation-report.json`` (``{}`` when there was none).
    """

    def __init__(self, message: str, findings: list[str] | None = None, report: Any = None):
        super().__init__(message)
        self.findings = findings or []
        self.report = report or {}


def enable_compliance_checks(
    scope: cdk.App | cdk.Stage, packs: Iterable[NagPack] = ENFORCED_PACKS
) -> None:
    """Attach the cdk-nag ``packs`` to ``scope`` and make ``app.synth()`` fail on any
    unacknowledged finding.

    This is the one call a CDK app needs: afterwards ``app.synth()`` raises
    ``ComplianceFindings`` listing each unacknowledged finding (the id to acknowledge it with
    and its construct path) and each acknowledgement that matched no finding, whatever the
    app's shape (stacks, stages, nested stacks) and however it runs (``cdk synth``/``cdk
    deploy`` through the CLI, or ``python app.py``). Run as a program, the app then exits
    with status 1 and the list (no traceback).

    Why the app checks, not only CDK: the CDK CLI synthesizes with the context
    ``@aws-cdk/core:failSynthOnValidationErrors=false`` and judges the validation report
    itself, but only for the stacks it selected, so findings in a ``Stage`` pass ``cdk synth``.

    Args:
        scope: the App (every stack) or one Stage (its stacks only).
        packs: the packs to attach. Default: all four (``ENFORCED_PACKS``).
    """
    packs = tuple(packs)
    cdk.Validations.of(scope).add_plugins(*(pack.plugin_class() for pack in packs))
    gate = _gate(scope.node.root)
    gate.scopes.append((scope.node.path, frozenset(pack.rule_prefix for pack in packs)))
    gate.install(scope.node.root)


def check_validation_report(
    assembly_directory: str | Path, app: IConstruct | None = None
) -> dict[str, Any]:
    """Raise ``ComplianceFindings`` listing every unacknowledged finding (acknowledgement id
    and construct path) in the assembly's ``validation-report.json``, and, given the ``app``,
    every acknowledgement made with ``acknowledge`` that matched no finding; return the report
    otherwise.

    ``enable_compliance_checks`` already runs this after ``app.synth()``; call it yourself
    only for an assembly synthesized elsewhere. A missing report is an error: with the packs
    attached, synthesis always writes one, so its absence means the packs did not run.
    """
    path = Path(assembly_directory) / VALIDATION_REPORT_FILE
    if not path.exists():
        raise ComplianceFindings(
            f"no cdk-nag validation report at {path}: the packs did not run "
            "(call enable_compliance_checks(app) before app.synth())"
        )
    report: dict[str, Any] = json.loads(path.read_text())
    problems = sorted(
        f"{plugin['pluginName']}::{violation['ruleName']} on {construct['constructPath']}"
        # Every unacknowledged violation counts, whatever the plugin's conclusion: the Control
        # Tower plugin can report "success" with violations left after acknowledgements.
        for plugin in report.get("pluginReports", [])
        for violation in plugin.get("violations", [])
        for construct in violation.get("violatingConstructs", [])
    )
    unused = [] if app is None else _gate(app.node.root).unused(report)
    if problems or unused:
        sections = []
        if problems:
            sections.append(
                f"{len(problems)} unacknowledged cdk-nag finding(s); fix each or acknowledge "
                "it on its construct with acknowledge(construct, id, reason):\n  "
                + "\n  ".join(problems)
            )
        if unused:
            sections.append(
                f"{len(unused)} acknowledgement(s) matched no finding:\n  " + "\n  ".join(unused)
            )
        raise ComplianceFindings(
            "\n".join(sections) + f"\n(full report: {path})", problems + unused, report
        )
    return report


def acknowledge(
    construct: IConstruct, rules: str | Iterable[str], reason: str, *, optional: bool = False
) -> None:
    """Acknowledge cdk-nag findings on ``construct`` (and its children) only.

    ``rules``: finding ids as the validation report prints them, with or without the pack
    prefix: ``"AwsSolutions-S1"``, ``"AwsSolutions::AwsSolutions-S1"``,
    ``"AwsSolutions-IAM5[Resource::<Bucket.Arn>/*]"``. The coarse ``"AwsSolutions-IAM5"``
    covers every wildcard of the IAM policies below ``construct`` except full wildcards
    (``*`` or ``service:*``, which raise at synth). Any other id that matches no finding makes
    the gate of ``enable_compliance_checks`` fail, naming the exact ids to use instead.

    ``optional=True``: the finding does not arise in every use (e.g. an access-log bucket that
    another bucket logs into has no logging finding), so matching nothing is not an error.

    Raises ``ValueError`` for an unknown pack prefix, a malformed id, a reason shorter than 30
    characters, or an App, Stage or Stack (an acknowledgement there would cover every
    resource below it).
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
    ids = [acknowledgement_id(rule) for rule in ([rules] if isinstance(rules, str) else rules)]
    gate = _gate(construct.node.root)
    exact = []
    for ack_id in ids:
        if not optional:
            gate.acknowledgements.append(_Acknowledgement(construct.node.path, ack_id))
        if ack_id == f"AwsSolutions::{IAM5}":
            from ml_data_platform.compliance.wildcards import acknowledge_subtree_wildcards

            acknowledge_subtree_wildcards(construct, reason)
        else:
            exact.append(cdk.Acknowledgment(id=ack_id, reason=reason))
    if exact:
        cdk.Validations.of(construct).acknowledge(*exact)


def acknowledgement_id(rule: str) -> str:
    """The id CDK matches acknowledgements by, ``<pack>::<pack>-<rule>[<detail>]``, from a
    rule id with or without the pack prefix (as the validation report prints either)."""
    head, bracket, detail = rule.strip().partition("[")
    plugin, _, guard_rule = head.partition("::")
    if plugin == CONTROL_TOWER_PLUGIN:
        if bracket or not _GUARD_RULE.fullmatch(guard_rule):
            raise ValueError(
                f"unknown Control Tower rule {rule!r}: expected "
                f"'{CONTROL_TOWER_PLUGIN}::<rule_name>' as the report prints it"
            )
        return head
    if "::" in head:
        pack, _, name = head.partition("::")
    else:
        pack, name = head.split("-", 1)[0], head
    known = sorted(p.rule_prefix for p in NagPack)
    if pack not in known or not name.startswith(pack + "-") or name == pack + "-":
        raise ValueError(
            f"unknown cdk-nag rule {rule!r}: expected '<pack>-<rule>' (optionally "
            f"'<pack>::<pack>-<rule>', and '[<detail>]' as the report prints it) with pack one "
            f"of {known}"
        )
    if bracket and (not detail.endswith("]") or len(detail) < 2):
        raise ValueError(f"cdk-nag finding id {rule!r} has an unclosed '[...]' detail")
    return f"{pack}::{name}{bracket}{detail}"


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


@dataclass(frozen=True)
class _Acknowledgement:
    path: str
    id: str

    @property
    def pack(self) -> str:
        return self.id.split("::", 1)[0]

    @property
    def coarse(self) -> bool:
        return "[" not in self.id


@dataclass
class _Gate:
    """What one App's compliance gate knows: the checked scopes and every acknowledgement."""

    scopes: list[tuple[str, frozenset[str]]] = field(default_factory=list)
    acknowledgements: list[_Acknowledgement] = field(default_factory=list)
    installed: bool = False

    def install(self, app: Any) -> None:
        if self.installed:
            return
        self.installed = True
        app.synth = _gated_synth(app, app.synth)
        _install_excepthook()

    def checked(self, ack: _Acknowledgement) -> bool:
        """Whether a pack that can match ``ack`` ran over its construct."""
        return any(
            ack.pack in packs
            and (not scope or ack.path == scope or ack.path.startswith(scope + "/"))
            for scope, packs in self.scopes
        )

    def unused(self, report: dict[str, Any]) -> list[str]:
        used: set[tuple[str, str]] = set()
        findings: dict[tuple[str, str], set[str]] = {}
        for plugin in report.get("pluginReports", []):
            pack = plugin.get("pluginName", "")
            for suppressed in plugin.get("suppressedViolations", []):
                used.add((suppressed.get("acknowledgedAt", ""), suppressed.get("acknowledgedId")))
            for violation in plugin.get("violations", []) + plugin.get("suppressedViolations", []):
                finding_id = f"{pack}::{violation['ruleName']}"
                for construct in violation.get("violatingConstructs", []):
                    findings.setdefault((construct["constructPath"], pack), set()).add(finding_id)
        problems = []
        for ack in dict.fromkeys(self.acknowledgements):
            if not self.checked(ack) or _matched(ack, used):
                continue
            exact = sorted(
                finding
                for (path, pack), ids in findings.items()
                if pack == ack.pack and (path == ack.path or path.startswith(ack.path + "/"))
                for finding in ids
                if finding.startswith(ack.id + "[")
            )
            hint = (
                f"; its findings there have exact ids, acknowledge these: {exact}" if exact else ""
            )
            problems.append(f"{ack.id} on {ack.path}{hint}")
        return problems


def _matched(ack: _Acknowledgement, used: set[tuple[str, str]]) -> bool:
    # A coarse id also matches through the exact ids it was expanded to (IAM5).
    return any(
        path == ack.path
        and (used_id == ack.id or (ack.coarse and used_id.startswith(ack.id + "[")))
        for path, used_id in used
    )


def _gate(root: Any) -> _Gate:
    gate = getattr(root, "_mldp_compliance_gate", None)
    if gate is None:
        gate = _Gate()
        root._mldp_compliance_gate = gate
    return gate


def _gated_synth(app: Any, synth: Callable[..., Any]) -> Callable[..., Any]:
    synthesized = False

    def gated_synth(*args: Any, **kwargs: Any) -> Any:
        nonlocal synthesized
        report = Path(app.outdir) / VALIDATION_REPORT_FILE
        if not synthesized:  # a stale report must not pass; a repeated synth reuses the first
            report.unlink(missing_ok=True)
        synthesized = True
        try:
            assembly = synth(*args, **kwargs)
        except RuntimeError as error:
            # Outside the CLI, CDK itself fails on a finding; replace its message with ours.
            if "ValidationFailed" not in str(error) or not report.exists():
                raise
            try:
                check_validation_report(report.parent, app)
            except ComplianceFindings as findings:
                raise findings from None
            raise
        check_validation_report(assembly.directory, app)
        return assembly

    gated_synth.__doc__ = synth.__doc__
    return gated_synth


def _install_excepthook() -> None:
    """An uncaught ``ComplianceFindings`` ends the program with its list and status 1, without
    a traceback; every other exception goes to the previous hook."""
    previous = sys.excepthook
    if getattr(previous, "_mldp_compliance", False):
        return

    def hook(kind: type[BaseException], value: BaseException, traceback: Any) -> None:
        if isinstance(value, ComplianceFindings):
            print(f"cdk-nag: {value}", file=sys.stderr)
            return
        previous(kind, value, traceback)

    hook._mldp_compliance = True  # type: ignore[attr-defined]
    sys.excepthook = hook
