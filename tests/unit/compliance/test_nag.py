"""compliance.nag: the synth gate of enable_compliance_checks, acknowledgement ids as the
report prints them, and the acknowledgement guards."""

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3

from ml_data_platform.compliance import (
    ComplianceFindings,
    NagPack,
    acknowledge,
    acknowledgement_id,
    check_validation_report,
    enable_compliance_checks,
    skip_checkov,
)
from tests.conftest import (
    check_acknowledgements,
    check_acknowledgements_in_tree,
    make_app,
    synth_with_nag,
)

# What the CDK CLI sets: CDK itself does not fail on a finding, the gate must.
CLI_CONTEXT = {"@aws-cdk/core:failSynthOnValidationErrors": False}
REASON = "A reason long enough to say why this finding is safe here."
AWS = [NagPack.AWS_SOLUTIONS]


def bucket_app(**context):
    app = make_app(**context)
    stack = cdk.Stack(app, "Stack")
    bucket = s3.Bucket(stack, "Bucket")
    return app, stack, bucket


def role_app(**context):
    """A role granted read on a bucket: IAM5 findings with per-resource ids."""
    app = make_app(**context)
    stack = cdk.Stack(app, "Stack")
    bucket = s3.Bucket(stack, "Bucket")
    acknowledge(bucket, ["AwsSolutions-S1", "AwsSolutions-S10"], REASON)
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("glue.amazonaws.com"))
    bucket.grant_read(role)
    return app, role


def failures(app) -> ComplianceFindings:
    with pytest.raises(ComplianceFindings) as raised:
        app.synth()
    return raised.value


@pytest.mark.parametrize("context", [CLI_CONTEXT, {}], ids=["cli", "python-app.py"])
def test_synth_fails_listing_each_finding_by_its_acknowledgement_id(context):
    """Under the CLI (CDK does not fail) and outside it (CDK fails with its own message),
    ``app.synth()`` raises the same list: the id to acknowledge with, and the construct path."""
    app, _, _ = bucket_app(**context)
    enable_compliance_checks(app)
    error = failures(app)
    message = str(error)
    assert "unacknowledged cdk-nag finding(s)" in message
    assert "AwsSolutions::AwsSolutions-S1 on Stack/Bucket/Resource" in message
    assert "HIPAA.Security::HIPAA.Security-S3BucketLoggingEnabled on Stack/Bucket/Resource" in (
        message
    )
    assert "validation-report.json" in message
    assert error.report["pluginReports"]


def test_findings_in_a_stage_fail_synth():
    """The CLI only judges the stacks it selected (none of a stage's, for `cdk synth`)."""
    app = make_app(**CLI_CONTEXT)
    stack = cdk.Stack(cdk.Stage(app, "Dev"), "Stack")
    s3.Bucket(stack, "Bucket")
    enable_compliance_checks(app, AWS)
    assert "AwsSolutions::AwsSolutions-S1 on Dev/Stack/Bucket/Resource" in str(failures(app))


def test_a_clean_app_synthesizes_and_returns_the_assembly():
    app = make_app(**CLI_CONTEXT)
    cdk.CfnOutput(cdk.Stack(app, "Stack"), "Out", value="nothing to find")
    enable_compliance_checks(app)
    assembly = app.synth()
    assert (Path(assembly.directory) / "Stack.template.json").exists()


def test_check_validation_report_judges_an_assembly_synthesized_elsewhere():
    app, _, _ = bucket_app(**CLI_CONTEXT)
    cdk.Validations.of(app).add_plugins(NagPack.AWS_SOLUTIONS.plugin_class())  # no gate
    directory = app.synth().directory
    with pytest.raises(ComplianceFindings, match=r"AwsSolutions::AwsSolutions-S10 on Stack/"):
        check_validation_report(directory)


@pytest.mark.parametrize(
    "rule", ["AwsSolutions-S1", "AwsSolutions::AwsSolutions-S1"], ids=["rule", "report-id"]
)
def test_a_rule_is_acknowledged_with_or_without_the_pack_prefix(rule):
    app, _, bucket = bucket_app()
    acknowledge(bucket, [rule, "AwsSolutions-S10"], REASON)
    enable_compliance_checks(app, AWS)
    report = check_validation_report(app.synth().directory)
    (plugin,) = report["pluginReports"]
    assert {s["acknowledgedId"] for s in plugin["suppressedViolations"]} == {
        "AwsSolutions::AwsSolutions-S1",
        "AwsSolutions::AwsSolutions-S10",
    }


@pytest.mark.parametrize(
    "prefix", ["AwsSolutions-IAM5", "AwsSolutions::AwsSolutions-IAM5"], ids=["rule", "report-id"]
)
def test_a_finding_id_is_acknowledged_as_the_report_prints_it(prefix):
    app, role = role_app()
    finding_ids = [f"{prefix}[Action::s3:GetBucket*]", f"{prefix}[Action::s3:List*]"]
    finding_ids += [
        f"{prefix}[Action::s3:GetObject*]",
        f"{prefix}[Resource::<Bucket83908E77.Arn>/*]",
    ]
    acknowledge(role, finding_ids, REASON)
    enable_compliance_checks(app, AWS)
    app.synth()  # nothing left unacknowledged, nothing unused


def test_the_coarse_iam5_id_covers_every_wildcard_of_the_constructs_policies():
    app, role = role_app()
    acknowledge(role, "AwsSolutions-IAM5", REASON)
    enable_compliance_checks(app, AWS)
    report = check_validation_report(app.synth().directory)
    (plugin,) = report["pluginReports"]
    acknowledged = {
        (s["ruleName"], s["acknowledgedAt"])
        for s in plugin["suppressedViolations"]
        if s["ruleName"].startswith("AwsSolutions-IAM5")
    }
    assert acknowledged == {
        ("AwsSolutions-IAM5[Action::s3:GetBucket*]", "Stack/Role"),
        ("AwsSolutions-IAM5[Action::s3:GetObject*]", "Stack/Role"),
        ("AwsSolutions-IAM5[Action::s3:List*]", "Stack/Role"),
        ("AwsSolutions-IAM5[Resource::<Bucket83908E77.Arn>/*]", "Stack/Role"),
    }


def test_the_coarse_iam5_id_refuses_a_full_wildcard():
    app, role = role_app()
    role.add_to_policy(iam.PolicyStatement(actions=["s3:*"], resources=["*"]))
    acknowledge(role, "AwsSolutions-IAM5", REASON)
    enable_compliance_checks(app, AWS)
    with pytest.raises(RuntimeError, match=r"refusing to acknowledge full wildcards.*s3:\*"):
        app.synth()


def test_a_coarse_id_of_per_resource_findings_fails_naming_the_exact_ids():
    """IAM4 findings carry the managed policy in their id: the coarse id matches nothing, and
    the gate says which ids to use instead (never a silent no-op)."""
    app = make_app()
    stack = cdk.Stack(app, "Stack")
    role = iam.Role(
        stack,
        "Role",
        assumed_by=iam.ServicePrincipal("glue.amazonaws.com"),
        managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("ReadOnlyAccess")],
    )
    acknowledge(role, "AwsSolutions-IAM4", REASON)
    enable_compliance_checks(app, AWS)
    error = failures(app)
    exact = "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/ReadOnlyAccess]"
    assert (
        f"AwsSolutions::AwsSolutions-IAM4 on Stack/Role; its findings there have exact ids, acknowledge these: ['{exact}']"
        in str(error)
    )
    assert f"{exact} on Stack/Role" in str(error)  # and the finding itself stays one


def test_an_acknowledgement_that_matches_nothing_fails():
    app, _, bucket = bucket_app()
    acknowledge(bucket, ["AwsSolutions-S1", "AwsSolutions-S10", "AwsSolutions-KDS3"], REASON)
    enable_compliance_checks(app, AWS)
    error = failures(app)
    assert "1 acknowledgement(s) matched no finding" in str(error)
    assert error.findings == ["AwsSolutions::AwsSolutions-KDS3 on Stack/Bucket"]


def test_an_acknowledgement_for_a_pack_not_attached_is_not_judged():
    app, _, bucket = bucket_app()
    acknowledge(bucket, ["AwsSolutions-S1", "AwsSolutions-S10"], REASON)
    acknowledge(bucket, "PCI.DSS.321-S3BucketVersioningEnabled", REASON)
    enable_compliance_checks(app, AWS)
    app.synth()


def test_synth_with_nag_rejects_an_acknowledgement_on_a_stack():
    """The test helper's scope check is real: the same acknowledgements pass on the bucket
    and fail on its stack (bypassing ``acknowledge``, which refuses stacks itself)."""
    app, _, bucket = bucket_app(**CLI_CONTEXT)
    enable_compliance_checks(app)
    rules = sorted(
        {v["ruleName"] for p in failures(app).report["pluginReports"] for v in p["violations"]}
    )
    acknowledgements = [
        cdk.Acknowledgment(id=acknowledgement_id(rule), reason=REASON) for rule in rules
    ]
    app, _, bucket = bucket_app()
    cdk.Validations.of(bucket.node.default_child).acknowledge(*acknowledgements)
    assert {s for _, s in _acknowledged(synth_with_nag(app))} == {"Stack/Bucket/Resource"}

    app, stack, _ = bucket_app()
    cdk.Validations.of(stack).acknowledge(*acknowledgements)
    enable_compliance_checks(app)
    assembly = Path(app.synth().directory)
    report = json.loads((assembly / "validation-report.json").read_text())
    on_stack = r"acknowledged on a Stage or Stack 'Stack', not on a resource"
    with pytest.raises(AssertionError, match=on_stack):
        check_acknowledgements(app, report)
    # the same check over the assembly's tree.json (an app synthesized in another process)
    tree = json.loads((assembly / "tree.json").read_text())
    with pytest.raises(AssertionError, match=on_stack):
        check_acknowledgements_in_tree(tree, report)


def _acknowledged(report):
    return {
        (s["ruleName"], s["acknowledgedAt"])
        for p in report["pluginReports"]
        for s in p.get("suppressedViolations", [])
    }


def test_a_missing_report_raises(tmp_path):
    with pytest.raises(ComplianceFindings, match=r"no cdk-nag validation report at .*the packs"):
        check_validation_report(tmp_path)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("AwsSolutions-S1", "AwsSolutions::AwsSolutions-S1"),
        (
            "HIPAA.Security::HIPAA.Security-S3BucketLoggingEnabled",
            "HIPAA.Security::HIPAA.Security-S3BucketLoggingEnabled",
        ),
        (
            "AwsSolutions-IAM5[Resource::arn:aws:s3:::b/*]",
            "AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:s3:::b/*]",
        ),
        (
            "AwsSolutions::AwsSolutions-IAM5[Action::s3:List*]",
            "AwsSolutions::AwsSolutions-IAM5[Action::s3:List*]",
        ),
    ],
)
def test_acknowledgement_ids_are_normalised(rule, expected):
    assert acknowledgement_id(rule) == expected


@pytest.mark.parametrize(
    "rule", ["Foo-IAM5", "AwsSolutions::HIPAA.Security-S3", "AwsSolutions-", "Foo::Foo-IAM5"]
)
def test_an_unknown_or_mismatched_pack_is_rejected(rule):
    _, _, bucket = bucket_app()
    with pytest.raises(ValueError, match=r"unknown cdk-nag rule .*'AwsSolutions'"):
        acknowledge(bucket, rule, REASON)


def test_an_unclosed_detail_is_rejected():
    _, _, bucket = bucket_app()
    with pytest.raises(ValueError, match=r"unclosed"):
        acknowledge(bucket, "AwsSolutions-IAM5[Action::s3:List*", REASON)


def test_a_short_reason_is_rejected():
    _, _, bucket = bucket_app()
    with pytest.raises(ValueError, match=r"reason 'because' on 'Stack/Bucket' must explain"):
        acknowledge(bucket, "AwsSolutions-S1", "because")


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


def test_an_optional_acknowledgement_may_match_nothing():
    app, _, bucket = bucket_app()
    acknowledge(bucket, ["AwsSolutions-S1", "AwsSolutions-S10"], REASON)
    acknowledge(bucket, "AwsSolutions-KDS3", REASON, optional=True)
    enable_compliance_checks(app, AWS)
    app.synth()


def test_a_second_synth_returns_the_same_checked_assembly():
    app = make_app()
    cdk.CfnOutput(cdk.Stack(app, "Stack"), "Out", value="nothing to find")
    enable_compliance_checks(app)
    assert app.synth().directory == app.synth().directory
