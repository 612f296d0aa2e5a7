"""compliance.nag: the report check that makes `cdk synth` fail, and the acknowledgement guards."""

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3

from ml_data_platform.compliance import (
    ComplianceFindings,
    acknowledge,
    check_validation_report,
    enable_compliance_checks,
    skip_checkov,
)
from tests.conftest import check_acknowledgements, make_app, synth_with_nag

# What the CDK CLI sets: the app synthesizes despite findings and must check the report.
CLI_CONTEXT = {"@aws-cdk/core:failSynthOnValidationErrors": False}
REASON = "A reason long enough to say why this finding is safe here."


def bucket_app(**context):
    app = make_app(**context)
    stack = cdk.Stack(app, "Stack")
    bucket = s3.Bucket(stack, "Bucket")
    return app, stack, bucket


@pytest.fixture(scope="module")
def failing_assembly():
    app, _, _ = bucket_app(**CLI_CONTEXT)
    enable_compliance_checks(app)
    return app.synth().directory


def test_a_failing_report_names_each_rule_and_construct_path(failing_assembly):
    with pytest.raises(ComplianceFindings) as raised:
        check_validation_report(failing_assembly)
    message = str(raised.value)
    assert "unacknowledged cdk-nag finding(s)" in message
    assert "AwsSolutions-S1: Stack/Bucket/Resource" in message
    assert "HIPAA.Security-S3BucketLoggingEnabled: Stack/Bucket/Resource" in message
    assert "validation-report.json" in message


def test_a_passing_report_is_returned():
    app = make_app(**CLI_CONTEXT)
    cdk.CfnOutput(cdk.Stack(app, "Stack"), "Out", value="nothing to find")
    enable_compliance_checks(app)
    report = check_validation_report(app.synth().directory)
    assert report["title"] == "Validation Report"
    assert report["pluginReports"] == []


def bucket_rules(assembly_directory):
    report = json.loads((Path(assembly_directory) / "validation-report.json").read_text())
    return sorted({v["ruleName"] for p in report["pluginReports"] for v in p.get("violations", [])})


def test_acknowledged_findings_pass_the_check(failing_assembly):
    app, _, bucket = bucket_app(**CLI_CONTEXT)
    acknowledge(bucket.node.default_child, bucket_rules(failing_assembly), REASON)
    enable_compliance_checks(app)
    report = check_validation_report(app.synth().directory)
    assert {p["conclusion"] for p in report["pluginReports"]} == {"success"}


def test_synth_with_nag_rejects_an_acknowledgement_on_a_stack(failing_assembly):
    """The test helper's scope check is real: the same acknowledgements pass on the bucket
    and fail on its stack (bypassing ``acknowledge``, which refuses stacks itself)."""
    rules = bucket_rules(failing_assembly)
    acknowledgements = [
        cdk.Acknowledgment(id=f"{rule.split('-', 1)[0]}::{rule}", reason=REASON) for rule in rules
    ]
    app, _, bucket = bucket_app()
    cdk.Validations.of(bucket.node.default_child).acknowledge(*acknowledgements)
    assert {s for _, s in _acknowledged(synth_with_nag(app))} == {"Stack/Bucket/Resource"}

    app, stack, _ = bucket_app()
    cdk.Validations.of(stack).acknowledge(*acknowledgements)
    enable_compliance_checks(app)
    report = json.loads((Path(app.synth().directory) / "validation-report.json").read_text())
    with pytest.raises(AssertionError, match=r"acknowledged on Stack 'Stack', not on a resource"):
        check_acknowledgements(app, report)


def _acknowledged(report):
    return {
        (s["ruleName"], s["acknowledgedAt"])
        for p in report["pluginReports"]
        for s in p.get("suppressedViolations", [])
    }


def test_a_missing_report_raises(tmp_path):
    with pytest.raises(ComplianceFindings, match=r"no cdk-nag validation report at .*the packs"):
        check_validation_report(tmp_path)


def test_a_short_reason_is_rejected():
    _, _, bucket = bucket_app()
    with pytest.raises(ValueError, match=r"reason 'because' on 'Stack/Bucket' must explain"):
        acknowledge(bucket, "AwsSolutions-S1", "because")


def test_an_unknown_pack_prefix_is_rejected():
    _, _, bucket = bucket_app()
    with pytest.raises(ValueError, match=r"unknown cdk-nag rule 'Foo-IAM5'.*'AwsSolutions'"):
        acknowledge(bucket, "Foo-IAM5", REASON)


@pytest.mark.parametrize("scope", ["app", "stack"])
def test_an_app_or_stack_is_not_a_resource(scope):
    app, stack, _ = bucket_app()
    construct = {"app": app, "stack": stack}[scope]
    with pytest.raises(ValueError, match=r"acknowledge on the resource, not on (App|Stack)"):
        acknowledge(construct, "AwsSolutions-S1", REASON)


def test_a_checkov_skip_needs_a_reason():
    _, _, bucket = bucket_app()
    with pytest.raises(ValueError, match=r"checkov skip CKV_AWS_18 on 'Stack/Bucket/Resource'"):
        skip_checkov(bucket.node.default_child, "CKV_AWS_18", "")


def test_a_checkov_skip_is_recorded_once_with_its_reason():
    _, stack, bucket = bucket_app()
    resource = bucket.node.default_child
    skip_checkov(resource, "CKV_AWS_18", REASON)
    skip_checkov(resource, "CKV_AWS_18", REASON)
    template = stack.resolve(resource.get_metadata("checkov"))
    assert template == {"skip": [{"id": "CKV_AWS_18", "comment": REASON}]}
