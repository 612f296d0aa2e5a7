"""compliance.wildcards: acknowledging exactly the IAM5 findings of named resources."""

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3

from ml_data_platform.compliance import ComplianceFindings, NagPack, enable_compliance_checks
from ml_data_platform.compliance.wildcards import acknowledge_policy_wildcards
from tests.conftest import make_app

REASON = "Objects below one prefix can only be named with a trailing '*'."


def test_only_the_named_resources_are_acknowledged_and_other_wildcards_stay_findings():
    app = make_app(**{"@aws-cdk/core:failSynthOnValidationErrors": False})
    stack = cdk.Stack(app, "Stack")
    bucket = s3.Bucket(stack, "Bucket")
    kept, other = bucket.arn_for_objects("clicks/*"), bucket.arn_for_objects("other/*")
    policy = iam.ManagedPolicy(
        stack,
        "Policy",
        statements=[iam.PolicyStatement(actions=["s3:GetObject"], resources=[kept, other])],
    )
    acknowledge_policy_wildcards(policy, REASON, resources=[kept])
    enable_compliance_checks(app, [NagPack.AWS_SOLUTIONS])
    with pytest.raises(ComplianceFindings) as raised:
        app.synth()
    report = raised.value.report
    (plugin,) = report["pluginReports"]
    iam5 = {
        v["ruleName"] for v in plugin["violations"] if v["ruleName"].startswith("AwsSolutions-IAM5")
    }
    acknowledged = {v["ruleName"] for v in plugin.get("suppressedViolations", [])}
    assert iam5 == {"AwsSolutions-IAM5[Resource::<Bucket83908E77.Arn>/other/*]"}
    assert acknowledged == {"AwsSolutions-IAM5[Resource::<Bucket83908E77.Arn>/clicks/*]"}
