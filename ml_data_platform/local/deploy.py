"""Deploy a CDK cloud assembly on the moto server through its CloudFormation API, and report
honestly what the emulator created, what it only accepted, and what the read-backs found.

``python -m ml_data_platform.local deploy|destroy`` is the command line (see ``__main__``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ml_data_platform.local.assembly import (
    LocalDeployError,
    StackArtifact,
    adapt_for_moto,
    check_assembly,
    deployment_order,
    empty_refs,
    read_assembly,
    substitute_stack_outputs,
    unemulated_outputs,
)
from ml_data_platform.local.catalogue import (
    ACCEPTED,
    ACCEPTED_NOT_EMULATED,
    CREATED,
    classify,
)
from ml_data_platform.local.readback import GAP, MISMATCH, Check, StackContext, read_back

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
DEFAULT_STACK_TIMEOUT_SECONDS = 60.0

ClientFactory = Callable[[str], Any]


@dataclass
class ResourceRow:
    """One template resource after the deploy."""

    stack: str
    resource_type: str
    logical_id: str
    status: str  # CREATED, ACCEPTED, or a failure such as "MISSING"
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status in (CREATED, ACCEPTED) and all(
            check.outcome != MISMATCH for check in self.checks
        )


@dataclass
class StackResult:
    """The CloudFormation outcome of one stack."""

    name: str
    status: str
    reason: str = ""
    seconds: float = 0.0
    outputs: dict[str, str] = field(default_factory=dict)
    adaptations: list[str] = field(default_factory=list)
    template: dict[str, Any] = field(default_factory=dict, repr=False)  # as sent to moto


@dataclass
class DeployReport:
    """Everything ``deploy_assembly`` found; ``ok`` when every stack is CREATE_COMPLETE and no
    read-back disagrees with its template."""

    region: str
    stacks: list[StackResult] = field(default_factory=list)
    rows: list[ResourceRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(s.status == "CREATE_COMPLETE" for s in self.stacks) and all(
            row.ok for row in self.rows
        )

    def created(self, resource_type: str) -> list[ResourceRow]:
        return [r for r in self.rows if r.resource_type == resource_type and r.status == CREATED]

    def physical_id(self, row: ResourceRow) -> str:
        return self._physical[(row.stack, row.logical_id)]

    _physical: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)

    def format(self) -> str:
        """The human report: stacks, then one table row per resource and read-back check."""
        lines = ["Stacks (in deployment order):"]
        for s in self.stacks:
            reason = f" - {s.reason}" if s.reason else ""
            lines.append(f"  {s.name}: {s.status} in {s.seconds:.1f} s{reason}")
        header = ("STACK", "TYPE", "LOGICAL ID", "STATUS", "READ-BACK")
        table: list[tuple[str, ...]] = []
        for row in self.rows:
            checks = [str(c) for c in row.checks] or ["-"]
            table.append((row.stack, row.resource_type, row.logical_id, row.status, checks[0]))
            table += [("", "", "", "", extra) for extra in checks[1:]]
        widths = [max(len(r[i]) for r in [header, *table]) for i in range(4)]
        for cells in [header, *table]:
            lines.append(
                "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=False)) + "  " + cells[4]
            )
        created = sum(r.status == CREATED for r in self.rows)
        accepted = sum(r.status == ACCEPTED for r in self.rows)
        gaps = sum(c.outcome == GAP for r in self.rows for c in r.checks)
        mismatches = sum(c.outcome == MISMATCH for r in self.rows for c in r.checks)
        lines.append(
            f"{len(self.rows)} resources: {created} created by the emulator, {accepted} "
            f"accepted but NOT emulated (they do not exist locally); read-backs: {gaps} known "
            f"emulator gaps, {mismatches} mismatches"
        )
        lines += [f"adapted: {a}" for s in self.stacks for a in s.adaptations]
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(line.rstrip() for line in lines)


def deploy_assembly(
    client: ClientFactory,
    assembly_dir: str | Path,
    *,
    region: str = "us-east-1",
    stack_timeout_seconds: float = DEFAULT_STACK_TIMEOUT_SECONDS,
    on_stack: Callable[[StackResult], None] | None = None,
) -> DeployReport:
    """Create every stack of the assembly on the emulator in dependency order, then read back.

    Raises ``LocalDeployError`` before creating anything if a template cannot be deployed
    faithfully (bootstrap rule, custom resources, Lambda assets, unclassified types). A stack
    that does not reach CREATE_COMPLETE stops the deploy (its dependents are not attempted);
    the report says so. ``client(service)`` returns a boto3 client for the emulator.
    """
    started = time.monotonic()
    stacks = deployment_order(read_assembly(assembly_dir))
    if not stacks:
        raise LocalDeployError(f"{assembly_dir}: the assembly has no stacks")
    check_assembly(stacks)
    report = DeployReport(region=region)
    report.warnings += [w for stack in stacks for w in empty_refs(stack)]
    cfn = client("cloudformation")
    account = client("sts").get_caller_identity()["Account"]
    outputs: dict[str, dict[str, str]] = {}
    for stack in stacks:
        result = _create_stack(cfn, stack, outputs, region, stack_timeout_seconds)
        report.stacks.append(result)
        if on_stack is not None:
            on_stack(result)
        if result.status != "CREATE_COMPLETE":
            break
        missing = {
            name: warning
            for name, warning in unemulated_outputs(stack).items()
            if name not in result.outputs
        }
        report.warnings += list(missing.values())
        outputs[stack.stack_name] = {**dict.fromkeys(missing, ""), **result.outputs}
        _add_rows(report, client, cfn, stack, result.template, account, region)
    report.seconds = time.monotonic() - started
    return report


def destroy_stacks(
    client: ClientFactory,
    stack_names: Sequence[str],
    timeout_seconds: float = DEFAULT_STACK_TIMEOUT_SECONDS,
) -> list[tuple[str, str]]:
    """Delete ``stack_names`` in reverse order; ``[(name, final status and notes)]``.

    moto 5.2 deletes a stack's IAM roles before detaching the stack's managed policies from
    them and fails with DeleteConflict; CloudFormation detaches first. So the managed
    policies of each stack are detached before its DeleteStack, and the result says so.
    """
    cfn = client("cloudformation")
    results = []
    for name in reversed(stack_names):
        try:
            detached = _detach_managed_policies(client, cfn, name)
            cfn.delete_stack(StackName=name)
            status = _wait(cfn, name, timeout_seconds, gone_ok=True)[0]
            if detached:
                status += f" (first detached {detached} managed policies: moto deletion order)"
        except Exception as error:
            status = f"DELETE_FAILED: {error}"
        results.append((name, status))
    return results


def _detach_managed_policies(client: ClientFactory, cfn: Any, stack_name: str) -> int:
    iam = client("iam")
    detached = 0
    for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack_name):
        for summary in page["StackResourceSummaries"]:
            if summary.get("ResourceType") != "AWS::IAM::ManagedPolicy":
                continue
            arn = summary["PhysicalResourceId"]
            roles = iam.list_entities_for_policy(PolicyArn=arn).get("PolicyRoles", [])
            for role in roles:
                iam.detach_role_policy(RoleName=role["RoleName"], PolicyArn=arn)
                detached += 1
    return detached


def deployed_stack_names(report: DeployReport) -> list[str]:
    return [s.name for s in report.stacks]


def synthesize_local(
    outdir: str | Path,
    env_names: Sequence[str] = ("dev",),
    context: Mapping[str, Any] | None = None,
) -> Path:
    """Synthesize the platform for the emulator into ``outdir`` (``context`` default: the
    context of ./cdk.json).

    Uses ``ml_data_platform.stacks.build_platform(app, context, env_names,
    for_local_emulator=True)``: no bootstrap-version rule, RETAIN instead of the auto-delete
    custom resources, no Redshift table custom resource.
    """
    import aws_cdk as cdk

    from ml_data_platform.stacks import build_platform

    if context is None:
        cdk_json = Path("cdk.json")
        context = json.loads(cdk_json.read_text())["context"] if cdk_json.is_file() else {}
    app = cdk.App(context=dict(context), outdir=str(outdir), analytics_reporting=False)
    build_platform(app, context, list(env_names), for_local_emulator=True)
    app.synth()
    return Path(outdir)


def _create_stack(
    cfn: Any,
    stack: StackArtifact,
    outputs: dict[str, dict[str, str]],
    region: str,
    timeout_seconds: float,
) -> StackResult:
    started = time.monotonic()
    template = substitute_stack_outputs(stack.template, outputs, region, stack.display_name)
    template, adaptations = adapt_for_moto(template, stack.display_name)
    try:
        cfn.create_stack(
            StackName=stack.stack_name,
            TemplateBody=json.dumps(template),
            Capabilities=CAPABILITIES,
        )
        status, reason, stack_outputs = _wait(cfn, stack.stack_name, timeout_seconds)
    except Exception as error:  # moto answers some template errors with HTTP 500
        status, reason, stack_outputs = "CREATE_FAILED", f"{type(error).__name__}: {error}", {}
    if status != "CREATE_COMPLETE" and not reason:
        reason = _failure_events(cfn, stack.stack_name)
    return StackResult(
        stack.stack_name,
        status,
        reason,
        time.monotonic() - started,
        stack_outputs,
        adaptations,
        template,
    )


def _wait(
    cfn: Any, name: str, timeout_seconds: float, gone_ok: bool = False
) -> tuple[str, str, dict[str, str]]:
    deadline = time.monotonic() + timeout_seconds
    delay = 0.05
    while True:
        try:
            found = cfn.describe_stacks(StackName=name)["Stacks"]
        except cfn.exceptions.ClientError:
            if gone_ok:
                return "DELETE_COMPLETE", "", {}
            raise
        described = found[0]
        status = described["StackStatus"]
        if not status.endswith("_IN_PROGRESS"):
            outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
            return status, described.get("StackStatusReason", ""), outputs
        if time.monotonic() >= deadline:
            return (
                "TIMED_OUT",
                f"still {status} after {timeout_seconds:g} s (a custom resource or a resource "
                "moto waits on?)",
                {},
            )
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


def _failure_events(cfn: Any, name: str) -> str:
    try:
        events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    except Exception:
        return ""
    failed = [
        f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason', '')}"
        for e in events
        if e.get("ResourceStatus", "").endswith("FAILED")
    ]
    return "; ".join(failed[:5])


def _add_rows(
    report: DeployReport,
    client: ClientFactory,
    cfn: Any,
    stack: StackArtifact,
    template: dict[str, Any],
    account: str,
    region: str,
) -> None:
    physical: dict[str, str] = {}
    for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack.stack_name):
        for summary in page["StackResourceSummaries"]:
            if summary.get("LogicalResourceId"):
                physical[summary["LogicalResourceId"]] = summary.get("PhysicalResourceId", "")
    resources = template.get("Resources", {})
    exports = {
        export["Name"]: export["Value"]
        for page in cfn.get_paginator("list_exports").paginate()
        for export in page["Exports"]
    }
    ctx = StackContext(client, stack.stack_name, account, region, resources, physical, exports)
    for logical_id, resource in resources.items():
        resource_type = resource["Type"]
        kind = classify(resource_type)
        listed = logical_id in physical
        row = ResourceRow(stack.stack_name, resource_type, logical_id, kind or "UNCLASSIFIED")
        if kind == CREATED and listed:
            report._physical[(stack.stack_name, logical_id)] = physical[logical_id]
            row.checks = read_back(ctx, logical_id)
        elif kind == CREATED:
            conditional = "Condition" in resource
            row.status = "not created (condition)" if conditional else "MISSING"
            row.checks = (
                []
                if conditional
                else [Check("exists", MISMATCH, "catalogue says moto creates it; it did not")]
            )
        elif kind == ACCEPTED and listed:
            row.checks = [
                Check(
                    "catalogue",
                    MISMATCH,
                    "moto created a type the catalogue lists as not emulated: update it",
                )
            ]
        elif kind == ACCEPTED:
            row.checks = [Check("exists", GAP, ACCEPTED_NOT_EMULATED[resource_type])]
        report.rows.append(row)
