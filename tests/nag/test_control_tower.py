"""The fifth gate: AWS Control Tower proactive controls (cfn-guard) over the platform and
over the cross-stack-key rule, with every exemption on one resource and a reason."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_logs as logs

from ml_data_platform.compliance import ComplianceFindings
from ml_data_platform.compliance.control_tower import (
    CONTROL_TOWER_PLUGIN,
    CROSS_STACK_KEY_REASON,
    acknowledge_control_tower,
    enable_control_tower_checks,
)
from ml_data_platform.compliance.nag import acknowledgement_id
from ml_data_platform.storage import DataLakeKey
from ml_data_platform.storage.bucket import OBJECT_LOCK_REASON
from tests.conftest import check_acknowledgements_in_tree


def _control_tower(report: dict) -> dict:
    (plugin,) = [p for p in report["pluginReports"] if p["pluginName"] == CONTROL_TOWER_PLUGIN]
    return plugin


@pytest.fixture(scope="module")
def platform_report(cli_synth):
    """The validation report of the shipped app as the CLI runs it (app.py enables the
    Control Tower rules; the gate fails the run on any unacknowledged finding of the five)."""
    assert cli_synth.result.returncode == 0, cli_synth.result.stderr[-3000:]
    report = cli_synth.json("validation-report.json")
    check_acknowledgements_in_tree(cli_synth.json("tree.json"), report)
    return report


def test_platform_passes_the_control_tower_rules_with_scoped_reasoned_exemptions(platform_report):
    plugin = _control_tower(platform_report)
    assert plugin["violations"] == []
    suppressed = plugin["suppressedViolations"]
    assert suppressed, "the Control Tower rules ran over the platform"
    by_rule: dict[str, set[str]] = {}
    for finding in suppressed:
        by_rule.setdefault(finding["ruleName"], set()).add(finding["acknowledgedAt"])
    # Zone buckets: Object Lock would stop lifecycle expiration and deletion.
    for stage in ("Dev", "Prod"):
        for zone in ("Raw", "Curated", "Analytics"):
            assert (
                f"{stage}/Platform/Storage/DataLake/{zone}Zone/Bucket"
                in by_rule["s3_bucket_object_lock_enabled_check"]
            )
    # Fixed, not exempted: grants limited to AWS resources, event notifications on every bucket.
    assert "kms_create_grant_aws_service_check" not in by_rule
    assert "s3_event_notifications_enabled_check" not in by_rule
    # Every key-reading exemption is a key that really comes from another stack.
    for finding in suppressed:
        if finding["ruleName"] in (
            "cloudwatch_log_group_encrypted_check",
            "kinesis_stream_encrypted_check",
            "athena_workgroup_results_encrypted_at_rest_kms_check",
        ):
            assert finding["reason"].startswith(CROSS_STACK_KEY_REASON), finding
            assert "/Platform/Storage/DataLake/Key/Key" in finding["reason"], finding
            assert "/Storage/" not in finding["acknowledgedAt"], finding


def test_zone_bucket_exemption_says_why(platform_report):
    reasons = {
        f["reason"]
        for f in _control_tower(platform_report)["suppressedViolations"]
        if f["acknowledgedAt"] == "Prod/Platform/Storage/DataLake/RawZone/Bucket"
    }
    assert reasons == {OBJECT_LOCK_REASON}


def test_cross_stack_keys_are_exempted_and_a_missing_key_stays_a_finding(tmp_path):
    app = cdk.App(outdir=str(tmp_path))
    keys = cdk.Stack(app, "Keys")
    key = DataLakeKey(keys, "Key").key
    uses = cdk.Stack(app, "Uses")
    logs.LogGroup(uses, "CrossStack", encryption_key=key)
    logs.LogGroup(uses, "Unencrypted")
    enable_control_tower_checks(app)
    with pytest.raises(ComplianceFindings) as raised:
        app.synth()
    findings = raised.value.findings
    assert findings == [
        f"{CONTROL_TOWER_PLUGIN}::cloudwatch_log_group_encrypted_check on Uses/Unencrypted/Resource"
    ]
    plugin = _control_tower(raised.value.report)
    (exempted,) = plugin["suppressedViolations"]
    assert exempted["acknowledgedAt"] == "Uses/CrossStack/Resource"
    assert "Keys/Key/Key/Resource (stack Keys)" in exempted["reason"]


def test_control_tower_ids_as_the_report_prints_them():
    rule = "s3_bucket_object_lock_enabled_check"
    assert (
        acknowledgement_id(f"{CONTROL_TOWER_PLUGIN}::{rule}") == f"{CONTROL_TOWER_PLUGIN}::{rule}"
    )
    for bad in (f"{CONTROL_TOWER_PLUGIN}::S3-Bucket", f"{CONTROL_TOWER_PLUGIN}::rule[x]"):
        with pytest.raises(ValueError, match="unknown Control Tower rule"):
            acknowledgement_id(bad)


def test_an_unused_control_tower_exemption_fails_the_gate(tmp_path):
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "S")
    group = logs.LogGroup(stack, "Logs", encryption_key=DataLakeKey(stack, "K").key)
    acknowledge_control_tower(
        group,
        "s3_bucket_object_lock_enabled_check",
        "a log group has no Object Lock at all, so nothing",
    )
    enable_control_tower_checks(app)
    with pytest.raises(ComplianceFindings, match="matched no finding"):
        app.synth()
