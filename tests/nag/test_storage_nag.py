"""StorageStack under every enforced cdk-nag pack: zero unacknowledged findings, and exactly
the expected acknowledgements (logging, KMS, TLS and BPA are fixed, not waived)."""

import aws_cdk as cdk
import pytest

from ml_data_platform.core.removal import ALLOW_DESTROY_CONTEXT
from ml_data_platform.stacks import StorageStack
from tests.conftest import acknowledged_rules, make_app, synth_with_nag

PACKS = ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321")
ZONE_BUCKETS = ("RawZone", "CuratedZone", "AnalyticsZone")


def expected_acknowledgements(stack_id):
    """Every bucket: replication (single-region lake). The access-log bucket: SSE-S3, the only
    encryption S3 server access logging delivers to."""
    buckets = [f"{stack_id}/DataLake/{zone}/Bucket" for zone in ZONE_BUCKETS]
    logs = f"{stack_id}/DataLake/AccessLogs/Bucket"
    return {
        *(
            (f"{pack}-S3BucketReplicationEnabled", bucket)
            for pack in PACKS
            for bucket in (*buckets, logs)
        ),
        *((f"{pack}-S3DefaultEncryptionKMS", logs) for pack in PACKS),
    }


def in_stack(report, stack_id):
    return {
        (rule, at)
        for rule, at in acknowledged_rules(report)
        if at == stack_id or at.startswith(stack_id + "/")
    }


@pytest.fixture(scope="module")
def report():
    app = make_app()
    StorageStack(app, "Storage")
    return synth_with_nag(app)


def test_storage_stack_passes_all_packs(report):
    # A pack with neither findings nor acknowledgements (AwsSolutions here) is not reported.
    assert {p["pluginName"] for p in report["pluginReports"]} == set(PACKS)
    assert all(p["conclusion"] == "success" for p in report["pluginReports"])


def test_storage_acknowledgements_are_exactly_the_expected_ones(report):
    assert acknowledged_rules(report) == expected_acknowledgements("Storage")
    assert in_stack(report, "Storage") == acknowledged_rules(report)


def test_destroy_opt_in_stack_acknowledges_exactly_the_same():
    """The auto-delete custom resource of DESTROY adds no finding and no acknowledgement."""
    app = make_app(**{ALLOW_DESTROY_CONTEXT: True})
    StorageStack(app, "DevStorage", removal_policy=cdk.RemovalPolicy.DESTROY)
    report = synth_with_nag(app)
    assert acknowledged_rules(report) == expected_acknowledgements("DevStorage")
