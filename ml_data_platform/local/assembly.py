"""Read a CDK cloud assembly (``cdk.out``), order its stacks, and vet templates for moto."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ml_data_platform.local.catalogue import (
    ACCEPTED_NOT_EMULATED,
    EMULATED,
    is_custom_resource,
    unclassified_types,
)

STACK_ARTIFACT = "aws:cloudformation:stack"
NESTED_ASSEMBLY = "cdk:cloud-assembly"

HOW_TO_SYNTHESIZE = (
    "Synthesize for the emulator: cdk.DefaultStackSynthesizer("
    "generate_bootstrap_version_rule=False), App(analytics_reporting=False), RETAIN "
    "instead of auto_delete_objects, and no Lambda-backed custom resources or Lambda "
    'assets (build_platform(app, context, ["dev"], for_local_emulator=True) does this).'
)


class LocalDeployError(RuntimeError):
    """The assembly cannot be deployed on the emulator as it is (message says why and how)."""


@dataclass(frozen=True)
class StackArtifact:
    """One stack of a cloud assembly."""

    artifact_id: str
    stack_name: str
    display_name: str
    template_path: Path
    dependencies: tuple[str, ...] = ()
    _template: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def template(self) -> dict[str, Any]:
        if not self._template:
            self._template.update(json.loads(self.template_path.read_text()))
        return self._template


def read_assembly(directory: str | Path) -> list[StackArtifact]:
    """Every stack of the assembly in ``directory``, nested (Stage) assemblies included,
    in manifest order."""
    directory = Path(directory)
    manifest_path = directory / "manifest.json"
    if not manifest_path.is_file():
        raise LocalDeployError(
            f"{directory}: no manifest.json; give a synthesized cloud assembly (cdk.out)"
        )
    manifest = json.loads(manifest_path.read_text())
    stacks: list[StackArtifact] = []
    for artifact_id, artifact in manifest.get("artifacts", {}).items():
        kind = artifact.get("type")
        properties = artifact.get("properties", {})
        if kind == NESTED_ASSEMBLY:
            stacks += read_assembly(directory / properties["directoryName"])
        elif kind == STACK_ARTIFACT:
            stacks.append(
                StackArtifact(
                    artifact_id=artifact_id,
                    stack_name=properties.get("stackName", artifact_id),
                    display_name=artifact.get("displayName", artifact_id),
                    template_path=directory / properties["templateFile"],
                    dependencies=tuple(artifact.get("dependencies", ())),
                )
            )
    return stacks


def deployment_order(stacks: Sequence[StackArtifact]) -> list[StackArtifact]:
    """``stacks`` with every stack after the stacks it depends on (manifest order otherwise).

    Dependencies on non-stack artifacts (asset manifests) are ignored; a cycle raises.
    """
    by_id = {stack.artifact_id: stack for stack in stacks}
    ordered: list[StackArtifact] = []
    state: dict[str, str] = {}

    def visit(stack: StackArtifact, path: tuple[str, ...]) -> None:
        if state.get(stack.artifact_id) == "done":
            return
        if state.get(stack.artifact_id) == "visiting":
            cycle = " -> ".join((*path, stack.artifact_id))
            raise LocalDeployError(f"stack dependency cycle: {cycle}")
        state[stack.artifact_id] = "visiting"
        for dependency in stack.dependencies:
            if dependency in by_id:
                visit(by_id[dependency], (*path, stack.artifact_id))
        state[stack.artifact_id] = "done"
        ordered.append(stack)

    for stack in stacks:
        visit(stack, ())
    return ordered


def template_problems(stack: StackArtifact) -> list[str]:
    """Why ``stack``'s template cannot be deployed faithfully on moto (empty: it can)."""
    template = stack.template
    where = stack.display_name
    problems = []
    if "CheckBootstrapVersion" in template.get("Rules", {}):
        problems.append(
            f"{where}: the template has the CheckBootstrapVersion rule (it needs the SSM "
            "parameter of a bootstrapped account)"
        )
    for name, parameter in template.get("Parameters", {}).items():
        if "Default" not in parameter:
            problems.append(f"{where}: parameter {name} has no default value")
    resources: dict[str, Any] = template.get("Resources", {})
    for logical_id, resource in resources.items():
        resource_type = resource["Type"]
        if is_custom_resource(resource_type):
            problems.append(
                f"{where}: {logical_id} ({resource_type}) is a custom resource: it needs a "
                "Lambda function to run and moto leaves the stack CREATE_IN_PROGRESS"
            )
        elif resource_type in ("AWS::Lambda::Function", "AWS::Lambda::LayerVersion"):
            code = resource.get("Properties", {}).get("Code") or resource.get("Properties", {}).get(
                "Content", {}
            )
            if "ZipFile" not in code:
                problems.append(
                    f"{where}: {logical_id} ({resource_type}) has its code in an asset; "
                    "assets are not published to the emulator and its code cannot run there"
                )
    for resource_type in sorted(unclassified_types(template)):
        if not is_custom_resource(resource_type):
            problems.append(
                f"{where}: resource type {resource_type} is in neither catalogue list; "
                "check what moto does with it and add it to ml_data_platform/local/catalogue.py"
            )
    accepted = {lid for lid, r in resources.items() if r["Type"] in ACCEPTED_NOT_EMULATED}
    parsed = {lid: r for lid, r in resources.items() if r["Type"] in EMULATED}
    places = [(f"{lid}.Properties", r.get("Properties", {})) for lid, r in parsed.items()]
    places += [(f"Outputs.{name}", o) for name, o in template.get("Outputs", {}).items()]
    for place, value in places:
        for target in sorted(_get_att_targets(value) & accepted):
            problems.append(
                f"{where}: {place} uses Fn::GetAtt of {target} "
                f"({resources[target]['Type']}), which moto does not emulate (moto fails "
                "with HTTP 500)"
            )
    return problems


def empty_refs(stack: StackArtifact) -> list[str]:
    """Warnings: emulated resources that ``Ref`` a resource moto does not emulate (the
    reference resolves to an empty value on the emulator)."""
    resources: dict[str, Any] = stack.template.get("Resources", {})
    accepted = {lid for lid, r in resources.items() if r["Type"] in ACCEPTED_NOT_EMULATED}
    warnings = []
    for logical_id, resource in resources.items():
        if resource["Type"] not in EMULATED:
            continue
        for target in sorted(_refs(resource.get("Properties", {})) & accepted):
            warnings.append(
                f"{stack.display_name}: {logical_id} refers to {target} "
                f"({resources[target]['Type']}, not emulated): the value is empty locally"
            )
    return warnings


def unemulated_outputs(stack: StackArtifact) -> dict[str, str]:
    """``{output name: warning}`` for the outputs whose value refers to a resource moto does not
    emulate: moto publishes no value for them (CloudFormation would), so a stack reading one
    through ``Fn::GetStackOutput`` gets an empty value locally, as an in-stack ``Ref`` would
    (see ``empty_refs``)."""
    resources: dict[str, Any] = stack.template.get("Resources", {})
    accepted = {lid for lid, r in resources.items() if r["Type"] in ACCEPTED_NOT_EMULATED}
    found = {}
    for name, output in stack.template.get("Outputs", {}).items():
        for target in sorted((_refs(output) | _get_att_targets(output)) & accepted):
            found[name] = (
                f"{stack.display_name}: output {name} refers to {target} "
                f"({resources[target]['Type']}, not emulated): moto publishes no value, its "
                "readers get an empty value locally"
            )
    return found


def check_assembly(stacks: Sequence[StackArtifact]) -> None:
    """Raise ``LocalDeployError`` listing every problem of every stack, with the remedy."""
    problems = [problem for stack in stacks for problem in template_problems(stack)]
    if problems:
        lines = "\n".join(f"  - {problem}" for problem in problems)
        raise LocalDeployError(
            f"cannot deploy this assembly on the emulator:\n{lines}\n{HOW_TO_SYNTHESIZE}"
        )


def substitute_stack_outputs(
    value: Any, outputs: Mapping[str, Mapping[str, str]], region: str, where: str = ""
) -> Any:
    """Replace every ``Fn::GetStackOutput`` (CDK "weak" cross-stack references, which moto
    does not implement) with the output value of the already-deployed producing stack, as
    CloudFormation resolves it. ``outputs``: stack name -> output name -> value."""

    def resolve(node: Any) -> Any:
        if isinstance(node, list):
            return [resolve(item) for item in node]
        if not isinstance(node, dict):
            return node
        if set(node) == {"Fn::GetStackOutput"}:
            return _stack_output(node["Fn::GetStackOutput"], outputs, region, where)
        return {key: resolve(item) for key, item in node.items()}

    return resolve(value)


def adapt_for_moto(
    template: Mapping[str, Any], where: str = ""
) -> tuple[dict[str, Any], list[str]]:
    """A copy of ``template`` with the rewrites moto 5.2 needs, and one note per rewrite.

    Only one today: ``AWS::KMS::Key`` ``Tags`` as ``{"TagKey", "TagValue"}``. moto's
    CloudFormation model passes the tags to its KMS API code, which reads the KMS API field
    names; CloudFormation's ``{"Key", "Value"}`` make moto fail with HTTP 500. The tags stay
    the same, only their field names change.
    """
    adapted = json.loads(json.dumps(template))
    notes = []
    for logical_id, resource in adapted.get("Resources", {}).items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::KMS::Key" and isinstance(props.get("Tags"), list):
            props["Tags"] = [
                {"TagKey": tag["Key"], "TagValue": tag["Value"]}
                if isinstance(tag, dict) and "Key" in tag
                else tag
                for tag in props["Tags"]
            ]
            notes.append(
                f"{where}: {logical_id} (AWS::KMS::Key): Tags passed as TagKey/TagValue "
                "(moto 5.2 fails with HTTP 500 on CloudFormation's Key/Value)"
            )
    return adapted, notes


def _stack_output(
    spec: Mapping[str, Any], outputs: Mapping[str, Mapping[str, str]], region: str, where: str
) -> str:
    stack_name, output_name = spec.get("StackName"), spec.get("OutputName")
    spec_region = spec.get("Region", {"Ref": "AWS::Region"})
    if spec_region not in ({"Ref": "AWS::Region"}, region) or "RoleArn" in spec:
        raise LocalDeployError(
            f"{where}: Fn::GetStackOutput {json.dumps(spec)} reads another region or account; "
            f"the emulator has one account and region ({region})"
        )
    if not isinstance(stack_name, str) or not isinstance(output_name, str):
        raise LocalDeployError(f"{where}: unsupported Fn::GetStackOutput {json.dumps(spec)}")
    if stack_name not in outputs:
        raise LocalDeployError(
            f"{where}: Fn::GetStackOutput reads stack {stack_name}, which is not deployed "
            "(missing from the assembly, or not a dependency)"
        )
    if output_name not in outputs[stack_name]:
        raise LocalDeployError(
            f"{where}: Fn::GetStackOutput reads output {output_name} of {stack_name}, "
            "which has no such output"
        )
    return outputs[stack_name][output_name]


def _walk(value: Any, visit: Callable[[dict[str, Any]], None]) -> None:
    if isinstance(value, dict):
        visit(value)
        for item in value.values():
            _walk(item, visit)
    elif isinstance(value, list):
        for item in value:
            _walk(item, visit)


def _get_att_targets(value: Any) -> set[str]:
    targets: set[str] = set()

    def visit(node: dict[str, Any]) -> None:
        att = node.get("Fn::GetAtt")
        if isinstance(att, list) and att and isinstance(att[0], str):
            targets.add(att[0])
        elif isinstance(att, str):
            targets.add(att.split(".", 1)[0])

    _walk(value, visit)
    return targets


def _refs(value: Any) -> set[str]:
    targets: set[str] = set()

    def visit(node: dict[str, Any]) -> None:
        if isinstance(node.get("Ref"), str):
            targets.add(node["Ref"])

    _walk(value, visit)
    return targets
