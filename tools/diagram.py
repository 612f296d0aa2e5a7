#!/usr/bin/env python3
"""Generate the architecture diagram (Mermaid) from the synthesized app, not by hand.

Usage: ``tools/diagram.py docs/architecture.md [--env dev] [--env prod]``

Builds the platform in-process with ``build_platform(app, context, envs)`` from ``cdk.json``'s
context, synthesizes it, reads every stack template and draws the data-bearing resources
(S3 buckets, KMS keys, Kinesis streams, Firehose delivery streams, Glue databases, tables and
crawlers, Athena workgroups, Redshift Serverless namespaces/workgroups, SNS topics, EventBridge
rules, Step Functions state machines, SQS queues, Kinesis video streams) as nodes,
one subgraph per stack. Edges come from the templates: every ``Ref``, ``Fn::GetAtt``,
``Fn::Sub`` reference, ``Fn::ImportValue`` and ``Fn::GetStackOutput`` (resolved through the
producing stack's outputs) from one drawn resource to another. The block between
``<!-- diagram:start -->`` and ``<!-- diagram:end -->`` in the target file is replaced; the
output is deterministic (sorted, no generated hashes).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
START = "<!-- diagram:start -->"
END = "<!-- diagram:end -->"

# CloudFormation type -> (label, Mermaid shape open, shape close)
NODE_TYPES: dict[str, tuple[str, str, str]] = {
    "AWS::KMS::Key": ("KMS key", "{{", "}}"),
    "AWS::S3::Bucket": ("S3 bucket", "[(", ")]"),
    "AWS::Kinesis::Stream": ("Kinesis stream", "[[", "]]"),
    "AWS::KinesisFirehose::DeliveryStream": ("Firehose", "[/", "/]"),
    "AWS::Glue::Database": ("Glue database", "[", "]"),
    "AWS::Glue::Table": ("Glue table", "[", "]"),
    "AWS::Glue::Crawler": ("Glue crawler", "([", "])"),
    "AWS::Athena::WorkGroup": ("Athena workgroup", "([", "])"),
    "AWS::RedshiftServerless::Namespace": ("Redshift namespace", "[(", ")]"),
    "AWS::RedshiftServerless::Workgroup": ("Redshift workgroup", "([", "])"),
    "AWS::SNS::Topic": ("SNS topic", ">", "]"),
    "AWS::Events::Rule": ("EventBridge rule", "[\\", "\\]"),
    "AWS::StepFunctions::StateMachine": ("Step Functions", "([", "])"),
    "AWS::SQS::Queue": ("SQS queue", "[(", ")]"),
    "AWS::KinesisVideo::Stream": ("Kinesis video stream", "[[", "]]"),
    "AWS::KinesisAnalyticsV2::Application": ("Flink application", "[/", "\\]"),
}
LAYER_ORDER = (
    "storage",
    "catalog",
    "ingestion",
    "ingestion-shared",
    "analytics",
    "warehouse",
    "services",
)
# Top-level property -> edge label (fallback: the property name).
# (resource type, property) -> edge label, where one property means different things.
TYPE_EDGE_LABELS = {
    ("AWS::Events::Rule", "EventPattern"): "events of",
    ("AWS::Events::Rule", "Targets"): "targets",
    ("AWS::S3::Bucket", "InventoryConfigurations"): "inventory to",
}
EDGE_LABELS = {
    "KinesisStreamSourceConfiguration": "source",
    "ExtendedS3DestinationConfiguration": "delivers to",
    "S3DestinationConfiguration": "delivers to",
    "RedshiftDestinationConfiguration": "loads",
    "BucketEncryption": "encrypted by",
    "StreamEncryption": "encrypted by",
    "KmsMasterKeyId": "encrypted by",
    "KmsKeyId": "encrypted by",
    "LoggingConfiguration": "access logs",
    "StorageDescriptor": "location",
    "TableInput": "location",
    "DatabaseInput": "location",
    "DatabaseName": "database",
    "Targets": "crawls",
    "WorkGroupConfiguration": "results",
    "NamespaceName": "namespace",
    "ApplicationConfiguration": "streams",
}
_HASH = re.compile(r"[0-9A-F]{8}$")
_SUB_REF = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z.]+)?\}")


@dataclass(frozen=True, order=True)
class Node:
    stack: str
    logical_id: str
    type: str

    @property
    def mermaid_id(self) -> str:
        return re.sub(r"[^A-Za-z0-9_]", "_", f"{self.stack}__{self.logical_id}")

    @property
    def name(self) -> str:
        return _HASH.sub("", self.logical_id) or self.logical_id


@dataclass(frozen=True)
class Stack:
    name: str
    template: dict[str, Any]

    @property
    def layer(self) -> str:
        layer = self.name.removeprefix(self.name.split("-")[0] + "-")
        # <project>-<env>-<layer>[-<slot>]: ingestion-14 is the ingestion layer.
        return re.sub(r"-\d+$", "", layer.split("-", 1)[-1])


def synthesize(env_names: list[str]) -> list[Stack]:
    """Build the platform of ``env_names`` in-process and return its stack templates."""
    os.environ.setdefault("CDK_VALIDATION", "false")
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    sys.path.insert(0, str(ROOT))
    import aws_cdk as cdk

    from ml_data_platform.config import CONTEXT_KEY
    from ml_data_platform.stacks import build_platform

    cdk_context = json.loads((ROOT / "cdk.json").read_text())["context"]
    with tempfile.TemporaryDirectory() as outdir:
        app = cdk.App(context=cdk_context, outdir=outdir)
        stages = build_platform(app, {CONTEXT_KEY: cdk_context[CONTEXT_KEY]}, env_names)
        stacks = [
            Stack(artifact.stack_name, artifact.template)
            for stage in stages
            for artifact in stage.synth().stacks
        ]
    return stacks


def _references(value: Any) -> Iterator[tuple[str, str | None, str | None]]:
    """Yield ``(kind, target, extra)`` for every reference in a template value:
    ``("local", logical_id, None)``, ``("output", stack_name, output_name)`` or
    ``("import", export_name, None)``."""
    if isinstance(value, dict):
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref" and isinstance(arg, str) and not arg.startswith("AWS::"):
                yield ("local", arg, None)
                return
            if key == "Fn::GetAtt":
                target = arg[0] if isinstance(arg, list) else str(arg).split(".")[0]
                yield ("local", target, None)
                return
            if key == "Fn::GetStackOutput" and isinstance(arg, dict):
                yield ("output", arg.get("StackName"), arg.get("OutputName"))
                return
            if key == "Fn::ImportValue" and isinstance(arg, str):
                yield ("import", arg, None)
                return
            if key == "Fn::Sub":
                text = arg[0] if isinstance(arg, list) else arg
                for name in _SUB_REF.findall(text if isinstance(text, str) else ""):
                    if not name.startswith("AWS"):
                        yield ("local", name, None)
                if isinstance(arg, list) and len(arg) > 1:
                    yield from _references(arg[1])
                return
        for item in value.values():
            yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


class Graph:
    """Nodes and edges of the platform, resolved across stacks."""

    def __init__(self, stacks: list[Stack]) -> None:
        self.stacks = sorted(stacks, key=_stack_order)
        self.by_name = {stack.name: stack for stack in self.stacks}
        self.exports = {
            output["Export"]["Name"]: (stack.name, output["Value"])
            for stack in self.stacks
            for output in stack.template.get("Outputs", {}).values()
            if isinstance(output.get("Export", {}).get("Name"), str)
        }
        self.nodes: dict[tuple[str, str], Node] = {
            (stack.name, logical_id): Node(stack.name, logical_id, resource["Type"])
            for stack in self.stacks
            for logical_id, resource in stack.template.get("Resources", {}).items()
            if resource.get("Type") in NODE_TYPES
        }
        self.edges = self._edges()

    def _resolve(self, stack: str, value: Any, depth: int = 0) -> set[tuple[str, str]]:
        """Logical ids (with their stack) that ``value`` refers to, following outputs."""
        found: set[tuple[str, str]] = set()
        if depth > 5:
            return found
        for kind, target, extra in _references(value):
            if kind == "local" and target:
                found.add((stack, target))
            elif kind == "output" and target in self.by_name and extra:
                output = self.by_name[target].template.get("Outputs", {}).get(extra)
                if output is not None:
                    found |= self._resolve(target, output["Value"], depth + 1)
            elif kind == "import" and target in self.exports:
                producer, output_value = self.exports[target]
                found |= self._resolve(producer, output_value, depth + 1)
        return found

    def _edges(self) -> list[tuple[Node, Node, str]]:
        edges: set[tuple[Node, Node, str]] = set()
        for (stack_name, logical_id), node in self.nodes.items():
            properties = (
                self.by_name[stack_name].template["Resources"][logical_id].get("Properties", {})
            )
            for prop, value in properties.items():
                for target_key in self._resolve(stack_name, value):
                    target = self.nodes.get(target_key)
                    if target is None or target == node:
                        continue
                    label = (
                        "encrypted by"
                        if target.type == "AWS::KMS::Key"
                        else TYPE_EDGE_LABELS.get((node.type, prop), EDGE_LABELS.get(prop, prop))
                    )
                    if label == "source":  # data flows from the stream into Firehose
                        edges.add((target, node, label))
                    else:
                        edges.add((node, target, label))
        unique: dict[tuple[Node, Node], str] = {}
        for source, target, label in sorted(edges, key=lambda e: (e[0], e[1], e[2])):
            unique.setdefault((source, target), label)
        return [(source, target, label) for (source, target), label in unique.items()]

    def mermaid(self) -> str:
        lines = ["```mermaid", "flowchart LR"]
        for stack in self.stacks:
            members = sorted(n for (s, _), n in self.nodes.items() if s == stack.name)
            if not members:
                continue
            lines.append(f'  subgraph {_stack_id(stack.name)}["{stack.name}"]')
            for node in members:
                label, open_, close = NODE_TYPES[node.type]
                lines.append(f'    {node.mermaid_id}{open_}"{label}<br/>{node.name}"{close}')
            lines.append("  end")
        for source, target, label in self.edges:
            arrow = "-.->" if target.type == "AWS::KMS::Key" else "-->"
            lines.append(f"  {source.mermaid_id} {arrow}|{label}| {target.mermaid_id}")
        lines.append("```")
        return "\n".join(lines)


def _stack_order(stack: Stack) -> tuple[int, str]:
    rank = LAYER_ORDER.index(stack.layer) if stack.layer in LAYER_ORDER else len(LAYER_ORDER)
    return (rank, stack.name)


def _stack_id(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def replace_block(text: str, block: str) -> str:
    """Replace what is between the markers (which must appear once each, in order)."""
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start or text.count(START) != 1 or text.count(END) != 1:
        raise ValueError(f"expected one {START} followed by one {END}")
    return text[: start + len(START)] + "\n" + block + "\n" + text[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", type=Path, help="Markdown file with the diagram markers")
    parser.add_argument(
        "--env",
        action="append",
        dest="envs",
        help="environment(s) to draw (repeatable; default: dev)",
    )
    args = parser.parse_args(argv)
    try:
        text = args.target.read_text()
        graph = Graph(synthesize(args.envs or ["dev"]))
        updated = replace_block(text, graph.mermaid())
    except (OSError, ValueError) as error:
        print(f"diagram: {error}", file=sys.stderr)
        return 1
    if updated != text:
        args.target.write_text(updated)
    print(
        f"diagram: {len(graph.nodes)} resources, {len(graph.edges)} edges, "
        f"{len(graph.stacks)} stacks -> {args.target}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
