"""Synthesized CloudFormation templates, resolved as CloudFormation would deploy them.

The data-path tests read what we deploy: the delivery stream's and the Glue table's properties in
the synthesized templates. Their intrinsics (``Ref``, ``Fn::GetAtt``, ``Fn::Join``,
``Fn::GetStackOutput``/``Fn::ImportValue`` across stacks, pseudo parameters) are resolved here
with deterministic physical names, so the emulated Firehose writes and the engine reads the same
bucket and keys that the templates name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class Resource:
    stack: str
    logical_id: str
    type: str
    properties: dict[str, Any]


class Templates:
    """The templates of one deployment, by stack name (the CloudFormation stack name)."""

    def __init__(self, templates: Mapping[str, dict[str, Any]], region: str = DEFAULT_REGION):
        self.templates = dict(templates)
        self.region = region

    @classmethod
    def from_assembly(cls, artifacts: Any, region: str = DEFAULT_REGION) -> Templates:
        """From ``CloudFormationStackArtifact`` objects (``assembly.stacks_recursively``)."""
        return cls({a.stack_name: a.template for a in artifacts}, region)

    def resources(self, resource_type: str) -> list[Resource]:
        return [
            Resource(stack, logical_id, r["Type"], r.get("Properties", {}))
            for stack, template in self.templates.items()
            for logical_id, r in template.get("Resources", {}).items()
            if r["Type"] == resource_type
        ]

    def resolved(self, resource: Resource) -> dict[str, Any]:
        """The resource's properties with every intrinsic resolved."""
        return self.resolve(resource.stack, resource.properties)

    def physical_name(self, stack: str, logical_id: str) -> str:
        resource = self.templates[stack]["Resources"][logical_id]
        props = resource.get("Properties", {})
        named = {
            "AWS::S3::Bucket": "BucketName",
            "AWS::Kinesis::Stream": "Name",
            "AWS::KinesisFirehose::DeliveryStream": "DeliveryStreamName",
        }.get(resource["Type"])
        if named and named in props:
            return str(self.resolve(stack, props[named]))
        if resource["Type"] == "AWS::Glue::Database":
            return str(self.resolve(stack, props["DatabaseInput"]["Name"]))
        if resource["Type"] == "AWS::Glue::Table":
            return str(self.resolve(stack, props["TableInput"]["Name"]))
        # CloudFormation's generated names: <stack>-<logical id>-<suffix>; bucket names lowercase.
        return re.sub(r"[^a-z0-9-]", "-", f"{stack}-{logical_id}".lower())[:63].strip("-")

    def resolve(self, stack: str, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(stack, v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self._ref(stack, arg)
            if key == "Fn::GetAtt":
                logical_id, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return self._get_att(stack, logical_id, attribute)
            if key == "Fn::Join":
                separator, parts = arg
                return separator.join(str(p) for p in self.resolve(stack, parts))
            if key == "Fn::Select":
                index, items = self.resolve(stack, arg)
                return items[int(index)]
            if key == "Fn::Split":
                separator, text = self.resolve(stack, arg)
                return text.split(separator)
            if key == "Fn::GetStackOutput":
                return self._output(self.resolve(stack, arg["StackName"]), arg["OutputName"])
            if key == "Fn::ImportValue":
                return self._import(self.resolve(stack, arg))
            if key.startswith("Fn::"):
                raise NotImplementedError(f"{stack}: intrinsic {key} is not resolved here")
        return {k: self.resolve(stack, v) for k, v in value.items()}

    def _ref(self, stack: str, name: str) -> str:
        pseudo = {
            "AWS::AccountId": ACCOUNT,
            "AWS::Region": self.region,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": stack,
        }
        if name in pseudo:
            return pseudo[name]
        return self.physical_name(stack, name)

    def _get_att(self, stack: str, logical_id: str, attribute: str) -> str:
        kind = self.templates[stack]["Resources"][logical_id]["Type"]
        name = self.physical_name(stack, logical_id)
        arns = {
            "AWS::S3::Bucket": f"arn:aws:s3:::{name}",
            "AWS::Kinesis::Stream": f"arn:aws:kinesis:{self.region}:{ACCOUNT}:stream/{name}",
            "AWS::KMS::Key": f"arn:aws:kms:{self.region}:{ACCOUNT}:key/{name}",
            "AWS::IAM::Role": f"arn:aws:iam::{ACCOUNT}:role/{name}",
        }
        if attribute == "Arn":
            return arns.get(kind, f"arn:aws:{kind.split('::')[1].lower()}:{name}")
        return f"{name}.{attribute}"

    def _output(self, stack: str, output: str) -> Any:
        if stack not in self.templates:
            raise KeyError(f"no template for stack {stack!r} (have {sorted(self.templates)})")
        return self.resolve(stack, self.templates[stack]["Outputs"][output]["Value"])

    def _import(self, export: str) -> Any:
        for stack, template in self.templates.items():
            for output in template.get("Outputs", {}).values():
                if "Export" in output and self.resolve(stack, output["Export"]["Name"]) == export:
                    return self.resolve(stack, output["Value"])
        raise KeyError(f"no stack exports {export!r}")
