"""Reading a cloud assembly, ordering its stacks, vetting and adapting templates for moto."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ml_data_platform.local.assembly import (
    LocalDeployError,
    StackArtifact,
    adapt_for_moto,
    check_assembly,
    deployment_order,
    empty_refs,
    read_assembly,
    substitute_stack_outputs,
    template_problems,
    unemulated_outputs,
)


def stack(artifact_id: str, *deps: str, template: dict[str, Any] | None = None) -> StackArtifact:
    artifact = StackArtifact(artifact_id, artifact_id, artifact_id, Path("/nonexistent"), deps)
    artifact._template.update(template or {"Resources": {}})
    return artifact


def ids(stacks: list[StackArtifact]) -> list[str]:
    return [s.artifact_id for s in stacks]


def test_dependencies_come_first_and_manifest_order_is_kept_otherwise() -> None:
    stacks = [
        stack("Ingestion", "Storage", "Ingestion.assets"),
        stack("Catalog", "Storage"),
        stack("Storage"),
    ]
    assert ids(deployment_order(stacks)) == ["Storage", "Ingestion", "Catalog"]
    assert ids(deployment_order([stack("B"), stack("A")])) == ["B", "A"]


def test_transitive_dependencies() -> None:
    stacks = [stack("C", "B"), stack("B", "A"), stack("A")]
    assert ids(deployment_order(stacks)) == ["A", "B", "C"]


def test_a_cycle_is_an_error_naming_it() -> None:
    with pytest.raises(LocalDeployError, match="cycle: A -> B -> A"):
        deployment_order([stack("A", "B"), stack("B", "A")])


def write_manifest(directory: Path, artifacts: dict[str, Any]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "manifest.json").write_text(
        json.dumps({"version": "55.0.0", "artifacts": artifacts})
    )


def test_read_assembly_follows_nested_stage_assemblies(tmp_path: Path) -> None:
    write_manifest(
        tmp_path,
        {
            "assembly-Dev": {
                "type": "cdk:cloud-assembly",
                "properties": {"directoryName": "assembly-Dev"},
            },
            "Tree": {"type": "cdk:tree", "properties": {"file": "tree.json"}},
        },
    )
    write_manifest(
        tmp_path / "assembly-Dev",
        {
            "DevStorage": {
                "type": "aws:cloudformation:stack",
                "properties": {
                    "templateFile": "DevStorage.template.json",
                    "stackName": "mldp-dev-storage",
                },
                "displayName": "Dev/Storage",
            },
            "DevIngestion": {
                "type": "aws:cloudformation:stack",
                "properties": {"templateFile": "DevIngestion.template.json"},
                "dependencies": ["DevStorage", "DevIngestion.assets"],
            },
        },
    )
    (tmp_path / "assembly-Dev" / "DevStorage.template.json").write_text('{"Resources": {}}')
    stacks = read_assembly(tmp_path)
    assert [(s.stack_name, s.display_name) for s in stacks] == [
        ("mldp-dev-storage", "Dev/Storage"),
        ("DevIngestion", "DevIngestion"),
    ]
    assert stacks[1].dependencies == ("DevStorage", "DevIngestion.assets")
    assert stacks[0].template == {"Resources": {}}


def test_read_assembly_without_manifest(tmp_path: Path) -> None:
    with pytest.raises(LocalDeployError, match=r"no manifest\.json"):
        read_assembly(tmp_path)


def test_problems_name_the_stack_resource_and_reason() -> None:
    template = {
        "Rules": {"CheckBootstrapVersion": {}},
        "Parameters": {"Needed": {"Type": "String"}},
        "Resources": {
            "AutoDelete": {"Type": "Custom::S3AutoDeleteObjects"},
            "Handler": {
                "Type": "AWS::Lambda::Function",
                "Properties": {"Code": {"S3Bucket": "cdk-assets"}},
            },
            "Inline": {"Type": "AWS::Lambda::Function", "Properties": {"Code": {"ZipFile": "x"}}},
            "Table": {"Type": "AWS::DynamoDB::Table"},
            "Delivery": {"Type": "AWS::KinesisFirehose::DeliveryStream"},
            "Param": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {"Name": "/p", "Value": {"Fn::GetAtt": ["Delivery", "Arn"]}},
            },
        },
    }
    problems = "\n".join(template_problems(stack("Dev/Storage", template=template)))
    assert "Dev/Storage: the template has the CheckBootstrapVersion rule" in problems
    assert "parameter Needed has no default" in problems
    assert "AutoDelete (Custom::S3AutoDeleteObjects) is a custom resource" in problems
    assert "Handler (AWS::Lambda::Function) has its code in an asset" in problems
    assert "Inline" not in problems
    assert "AWS::DynamoDB::Table is in neither catalogue list" in problems
    assert "Param.Properties uses Fn::GetAtt of Delivery" in problems
    with pytest.raises(LocalDeployError, match="generate_bootstrap_version_rule=False"):
        check_assembly([stack("Dev/Storage", template=template)])


def test_a_clean_template_has_no_problems() -> None:
    template = {"Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}}}
    assert template_problems(stack("S", template=template)) == []
    check_assembly([stack("S", template=template)])


def test_refs_to_skipped_resources_are_warned_about() -> None:
    template = {
        "Resources": {
            "Stream": {"Type": "AWS::Logs::LogStream"},
            "Policy": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"X": {"Ref": "Stream"}}},
        }
    }
    (warning,) = empty_refs(stack("Dev/Ingestion", template=template))
    assert "Policy refers to Stream (AWS::Logs::LogStream, not emulated)" in warning


def test_outputs_of_resources_moto_skips_are_named_for_an_empty_value() -> None:
    template = {
        "Resources": {
            "Db": {"Type": "AWS::Glue::Database"},
            "Bucket": {"Type": "AWS::S3::Bucket"},
        },
        "Outputs": {
            "DbName": {"Value": {"Ref": "Db"}},
            "BucketArn": {"Value": {"Fn::GetAtt": ["Bucket", "Arn"]}},
        },
    }
    found = unemulated_outputs(stack("Dev/Catalog", template=template))
    assert list(found) == ["DbName"]
    assert "output DbName refers to Db (AWS::Glue::Database, not emulated)" in found["DbName"]


WEAK = {
    "Fn::GetStackOutput": {"StackName": "A", "OutputName": "Arn", "Region": {"Ref": "AWS::Region"}}
}


def test_weak_references_are_substituted_with_the_producer_output() -> None:
    template = {"Resources": {"R": {"Properties": {"Arn": WEAK, "List": [WEAK, "x"]}}}}
    resolved = substitute_stack_outputs(template, {"A": {"Arn": "arn:a"}}, "us-east-1")
    assert resolved == {
        "Resources": {"R": {"Properties": {"Arn": "arn:a", "List": ["arn:a", "x"]}}}
    }
    assert template["Resources"]["R"]["Properties"]["Arn"] == WEAK  # not mutated


def test_weak_references_that_cannot_be_resolved_are_errors() -> None:
    with pytest.raises(LocalDeployError, match="stack A, which is not deployed"):
        substitute_stack_outputs(WEAK, {}, "us-east-1", "Dev/B")
    with pytest.raises(LocalDeployError, match="no such output"):
        substitute_stack_outputs(WEAK, {"A": {}}, "us-east-1", "Dev/B")
    other_region = {
        "Fn::GetStackOutput": {"StackName": "A", "OutputName": "Arn", "Region": "eu-west-1"}
    }
    with pytest.raises(LocalDeployError, match="another region or account"):
        substitute_stack_outputs(other_region, {"A": {"Arn": "x"}}, "us-east-1")


def test_kms_key_tags_are_renamed_for_moto_and_reported() -> None:
    template = {
        "Resources": {
            "Key": {
                "Type": "AWS::KMS::Key",
                "Properties": {"Tags": [{"Key": "env", "Value": "dev"}]},
            },
            "Bucket": {
                "Type": "AWS::S3::Bucket",
                "Properties": {"Tags": [{"Key": "env", "Value": "dev"}]},
            },
        }
    }
    adapted, notes = adapt_for_moto(template, "Dev/Storage")
    assert adapted["Resources"]["Key"]["Properties"]["Tags"] == [
        {"TagKey": "env", "TagValue": "dev"}
    ]
    assert adapted["Resources"]["Bucket"] == template["Resources"]["Bucket"]
    assert template["Resources"]["Key"]["Properties"]["Tags"][0] == {"Key": "env", "Value": "dev"}
    assert notes == [
        "Dev/Storage: Key (AWS::KMS::Key): Tags passed as TagKey/TagValue "
        "(moto 5.2 fails with HTTP 500 on CloudFormation's Key/Value)"
    ]
