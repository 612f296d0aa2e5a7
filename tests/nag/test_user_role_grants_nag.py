"""Grants to the user's own role through our helpers are acknowledged precisely: only what the
helper wrote (its actions, its buckets' objects) on that role's policy; a wildcard the user
adds to the same role stays a finding."""

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam

from ml_data_platform import ComplianceFindings, DataLake, NagPack, enable_compliance_checks
from tests.conftest import TEST_ENV, make_app, synth_with_nag


def lake_and_role(imported: bool):
    app = make_app()
    stack = cdk.Stack(app, "User", env=TEST_ENV)
    lake = DataLake(stack, "Lake")
    if imported:
        role = iam.Role.from_role_name(stack, "Team", "team-role")  # mutable import
    else:
        role = iam.Role(stack, "Team", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    return app, stack, lake, role


@pytest.mark.parametrize("imported", [False, True], ids=["role", "imported-role"])
def test_grant_ml_consumer_leaves_no_finding_on_the_users_role(imported):
    app, _, lake, role = lake_and_role(imported)
    lake.grant_ml_consumer(role)
    report = synth_with_nag(app)
    acknowledged = {
        (s["ruleName"], s["acknowledgedAt"])
        for p in report["pluginReports"]
        for s in p.get("suppressedViolations", [])
        if s["acknowledgedAt"].startswith("User/Team")
    }
    (policy,) = {at for _, at in acknowledged}
    assert policy.startswith("User/Team/Policy" if imported else "User/Team/DefaultPolicy")
    assert ("AwsSolutions-IAM5[Action::s3:GetObject*]", policy) in acknowledged
    assert ("PCI.DSS.321-IAMNoInlinePolicy", policy) in acknowledged


def test_a_wildcard_the_user_adds_to_the_role_stays_a_finding():
    app, _, lake, role = lake_and_role(False)
    lake.grant_ml_consumer(role)
    role.add_to_principal_policy(
        iam.PolicyStatement(actions=["s3:Put*"], resources=[lake.zone("raw").bucket.bucket_arn])
    )
    enable_compliance_checks(app, [NagPack.AWS_SOLUTIONS])
    with pytest.raises(ComplianceFindings) as raised:
        app.synth()
    assert raised.value.findings == [
        "AwsSolutions::AwsSolutions-IAM5[Action::s3:Put*] on User/Team/DefaultPolicy/Resource"
    ]
