"""Read a synthesized cloud assembly the way a reviewer would: every stack's template (nested
stage assemblies too), cross-stack references followed, and the checks every user app must
pass (zero unacknowledged findings in the four packs; Athena reads where Firehose writes)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jq

PACKS = {"AwsSolutions", "HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321"}
MIN_REASON_LENGTH = 30
_PARTITION_KEY = re.compile(r"^([a-z_][a-z0-9_]*)=(.*)$")
_FIREHOSE_EXPRESSION = re.compile(r"!\{[^}]*\}")


@dataclass(frozen=True)
class Stack:
    name: str
    template: dict

    def resources(self, resource_type: str) -> dict[str, dict]:
        return {
            lid: r for lid, r in self.template["Resources"].items() if r["Type"] == resource_type
        }


class Assembly:
    """The stacks of a cloud assembly directory (``cdk.out``), nested assemblies included."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.stacks: dict[str, Stack] = {}
        self._load(self.directory)
        self._exports: dict[str, tuple[Stack, Any]] = {}
        self._outputs: dict[str, list[tuple[Stack, Any]]] = {}
        for stack in self.stacks.values():
            for output_id, output in stack.template.get("Outputs", {}).items():
                self._outputs.setdefault(output_id, []).append((stack, output["Value"]))
                export = output.get("Export", {}).get("Name")
                if export is not None:
                    self._exports[export] = (stack, output["Value"])

    def _load(self, directory: Path) -> None:
        manifest = json.loads((directory / "manifest.json").read_text())
        assert "missing" not in manifest, (
            f"context lookups in {directory} (they need AWS credentials): {manifest['missing']}"
        )
        for artifact_id, artifact in manifest.get("artifacts", {}).items():
            properties = artifact.get("properties", {})
            if artifact["type"] == "aws:cloudformation:stack":
                name = properties.get("stackName", artifact_id)
                template = json.loads((directory / properties["templateFile"]).read_text())
                self.stacks[name] = Stack(name, template)
            elif artifact["type"] == "cdk:cloud-assembly":
                self._load(directory / properties["directoryName"])

    def resources(self, resource_type: str) -> list[tuple[Stack, str, dict]]:
        return [
            (stack, lid, resource)
            for stack in self.stacks.values()
            for lid, resource in stack.resources(resource_type).items()
        ]

    def render(self, stack: Stack, value: Any) -> str:
        """``value`` as one comparable string: references become ``<Ref stack/Id>`` or
        ``<Attr stack/Id>``, cross-stack imports are followed to the exporting stack."""
        if isinstance(value, str):
            return value
        if isinstance(value, int | float):
            return str(value)
        if isinstance(value, dict) and len(value) == 1:
            ((function, argument),) = value.items()
            if function == "Ref":
                if argument.startswith("AWS::"):
                    return "${" + argument + "}"
                return f"<Ref {stack.name}/{argument}>"
            if function == "Fn::GetAtt":
                logical_id, attribute = argument
                return f"<{attribute} {stack.name}/{logical_id}>"
            if function == "Fn::Join":
                separator, parts = argument
                return separator.join(self.render(stack, part) for part in parts)
            if function == "Fn::ImportValue":
                exporter, exported = self._exports[self.render(stack, argument)]
                return self.render(exporter, exported)
            if function == "Fn::GetStackOutput":
                return self._stack_output(argument)
        return json.dumps(value, sort_keys=True)

    def _stack_output(self, argument: dict) -> str:
        candidates = self._outputs.get(argument["OutputName"], [])
        wanted = argument.get("StackName")
        if isinstance(wanted, str):
            candidates = [(s, v) for s, v in candidates if s.name == wanted]
        assert len(candidates) == 1, f"cannot resolve Fn::GetStackOutput {argument}"
        producer, value = candidates[0]
        return self.render(producer, value)

    def bucket_of(self, stack: Stack, bucket_arn: Any) -> str:
        """The bucket an ARN names: ``<Ref stack/Id>`` for a bucket of the app, else its name."""
        rendered = self.render(stack, bucket_arn)
        match = re.fullmatch(r"<Arn (\S+)>", rendered)
        if match:
            return f"<Ref {match[1]}>"
        match = re.fullmatch(r"arn:(?:\$\{AWS::Partition\}|aws[a-z-]*):s3:::([^/]+)", rendered)
        assert match, f"not a bucket ARN: {rendered}"
        return match[1]


def unacknowledged_findings(assembly_directory: Path) -> list[str]:
    """Every finding of the validation report that is not acknowledged, after checking that
    each acknowledgement carries a reason. (A pack with neither findings nor acknowledgements
    is left out of the report, so whether all four ran is checked on the app's source.)"""
    report = json.loads((Path(assembly_directory) / "validation-report.json").read_text())
    plugins = {plugin["pluginName"]: plugin for plugin in report["pluginReports"]}
    assert set(plugins) <= PACKS, f"unexpected validation plugins {sorted(plugins)}"
    findings = []
    for name, plugin in plugins.items():
        for suppressed in plugin.get("suppressedViolations", []):
            reason = suppressed.get("reason", "").strip()
            assert len(reason) >= MIN_REASON_LENGTH, (name, suppressed["ruleName"], reason)
        for violation in plugin.get("violations", []):
            findings += [
                f"{violation['ruleName']}: {construct['constructPath']}"
                for construct in violation.get("violatingConstructs", [])
            ]
        if plugin["conclusion"] != "success":
            findings.append(f"{name}: conclusion {plugin['conclusion']}")
    return sorted(set(findings))


@dataclass(frozen=True)
class Delivery:
    """One Firehose delivery into S3 and the Glue table that reads what it writes."""

    stream: str
    bucket: str
    prefix: str
    error_prefix: str
    table: str | None
    location: str | None
    location_template: str | None
    projected_keys: tuple[str, ...]

    @property
    def literal_prefix(self) -> str:
        """The dataset's directory: the prefix up to its first ``key=...`` segment."""
        literal = []
        for segment in self.prefix.split("/"):
            if _PARTITION_KEY.match(segment) or _FIREHOSE_EXPRESSION.search(segment):
                break
            literal.append(segment)
        return "/".join(literal) + "/"

    @property
    def expected_template(self) -> str:
        """What Athena's ``storage.location.template`` must be for this prefix: each
        ``key=!{...}`` segment becomes ``key=${key}``."""
        segments = []
        for segment in self.prefix.split("/"):
            match = _PARTITION_KEY.match(segment)
            if match and _FIREHOSE_EXPRESSION.fullmatch(match[2]):
                segment = f"{match[1]}=${{{match[1]}}}"
            segments.append(segment)
        return f"s3://{self.bucket}/" + "/".join(segments)

    @property
    def partition_keys(self) -> tuple[str, ...]:
        return tuple(
            match[1]
            for segment in self.prefix.split("/")
            if (match := _PARTITION_KEY.match(segment))
        )


ROUTED_PREFIX = "!{partitionKeyFromQuery:dataset}/"
"""A shared delivery (``SharedLayout``) starts its prefix with the dataset it routes to."""


def _routed(destination: dict[str, Any], name: str) -> bool:
    """Whether the delivery's jq routing query sends a ``{"dataset": name}`` record to
    ``name`` (as Firehose would run it), rather than to the error prefix."""
    for processor in destination.get("ProcessingConfiguration", {}).get("Processors", []):
        for parameter in processor.get("Parameters", []):
            if parameter["ParameterName"] == "MetadataExtractionQuery":
                try:
                    result = jq.compile(parameter["ParameterValue"]).input_value({"dataset": name})
                    return bool(result.first() == {"dataset": name})
                except ValueError:
                    return False
    return False


def lake_deliveries(assembly: Assembly) -> list[Delivery]:
    """Every Firehose → S3 delivery of the app, each with the Glue table whose location is the
    delivery's dataset directory in the same bucket (or none). A shared delivery counts once
    per dataset it routes to (a table in its bucket at ``<dataset>/`` that its routing query
    accepts), with its prefix as that dataset gets it."""
    tables = {}
    for stack, lid, resource in assembly.resources("AWS::Glue::Table"):
        table_input = resource["Properties"]["TableInput"]
        location = assembly.render(stack, table_input["StorageDescriptor"]["Location"])
        parameters = table_input.get("Parameters", {})
        template = parameters.get("storage.location.template")
        keys = tuple(
            key.split(".")[1]
            for key in parameters
            if key.startswith("projection.") and key.endswith(".type")
        )
        tables.setdefault(location, []).append(
            (
                f"{stack.name}/{lid}",
                None if template is None else assembly.render(stack, template),
                keys,
            )
        )
    deliveries = []
    for stack, lid, resource in assembly.resources("AWS::KinesisFirehose::DeliveryStream"):
        destination = resource["Properties"].get("ExtendedS3DestinationConfiguration")
        if destination is None:
            continue
        bucket = assembly.bucket_of(stack, destination["BucketARN"])
        prefix = assembly.render(stack, destination["Prefix"])
        prefixes = {f"{stack.name}/{lid}": prefix}
        if prefix.startswith(ROUTED_PREFIX):
            members = [
                location.removeprefix(f"s3://{bucket}/").rstrip("/")
                for location in tables
                if location.startswith(f"s3://{bucket}/")
            ]
            prefixes = {
                f"{stack.name}/{lid}[{name}]": name + "/" + prefix.removeprefix(ROUTED_PREFIX)
                for name in members
                if "/" not in name and _routed(destination, name)
            }
        for stream, written in prefixes.items():
            deliveries.append(
                _with_table(
                    Delivery(
                        stream=stream,
                        bucket=bucket,
                        prefix=written,
                        error_prefix=assembly.render(
                            stack, destination.get("ErrorOutputPrefix", "")
                        ),
                        table=None,
                        location=None,
                        location_template=None,
                        projected_keys=(),
                    ),
                    tables,
                )
            )
    return deliveries


def _with_table(delivery: Delivery, tables: dict[str, list[tuple[str, Any, Any]]]) -> Delivery:
    """``delivery`` with the one table reading its dataset directory, if any."""
    location = f"s3://{delivery.bucket}/{delivery.literal_prefix}"
    matching = tables.get(location, [])
    assert len(matching) <= 1, f"several tables read {location}: {matching}"
    if matching:
        ((table, template, keys),) = matching
        delivery = Delivery(
            **{
                **delivery.__dict__,
                "table": table,
                "location": location,
                "location_template": template,
                "projected_keys": keys,
            }
        )
    return delivery


def location_mismatches(delivery: Delivery) -> list[str]:
    """Why Athena would not see what this delivery writes (empty: it would)."""
    problems = []
    if delivery.location_template != delivery.expected_template:
        problems.append(
            f"{delivery.table}: storage.location.template {delivery.location_template!r} but "
            f"{delivery.stream} writes {delivery.expected_template!r} (prefix {delivery.prefix!r})"
        )
    if sorted(delivery.projected_keys) != sorted(delivery.partition_keys):
        problems.append(
            f"{delivery.table}: projects {delivery.projected_keys} but the prefix has the keys "
            f"{delivery.partition_keys}"
        )
    if delivery.error_prefix.startswith(delivery.literal_prefix):
        problems.append(
            f"{delivery.stream}: error records ({delivery.error_prefix!r}) land inside the "
            f"table's location {delivery.location!r}"
        )
    return problems
