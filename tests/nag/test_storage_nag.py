"""StorageStack under every enforced cdk-nag pack: zero unacknowledged findings."""

import aws_cdk as cdk
import pytest

from ml_data_platform.core.removal import ALLOW_DESTROY_CONTEXT
from ml_data_platform.stacks import StorageStack
from tests.conftest import acknowledged_rules, make_app, synth_with_nag


@pytest.fixture(scope="module")
def report():
    app = make_app()
    StorageStack(app, "Storage")
    return synth_with_nag(app)


def test_storage_stack_passes_all_packs(report):
    # A pack with neither findings nor acknowledgements (AwsSolutions here) is not reported.
    assert {p["pluginName"] for p in report["pluginReports"]} >= {
        "HIPAA.Security",
        "NIST.800.53.R5",
        "PCI.DSS.321",
    }
    assert all(p["conclusion"] == "success" for p in report["pluginReports"])


def test_storage_acknowledgements_are_the_expected_ones(report):
    acknowledged = acknowledged_rules(report)
    logs = "Storage/DataLake/AccessLogs/Bucket"
    assert ("HIPAA.Security-S3DefaultEncryptionKMS", logs) in acknowledged
    zone_rules = {rule for rule, at in acknowledged if at.startswith("Storage/DataLake/RawZone")}
    # Zone buckets only acknowledge replication: logging, KMS, TLS and BPA are fixed, not waived.
    assert zone_rules == {
        "HIPAA.Security-S3BucketReplicationEnabled",
        "NIST.800.53.R5-S3BucketReplicationEnabled",
        "PCI.DSS.321-S3BucketReplicationEnabled",
    }


def test_destroy_opt_in_stack_passes_all_packs():
    app = make_app(**{ALLOW_DESTROY_CONTEXT: True})
    StorageStack(app, "DevStorage", removal_policy=cdk.RemovalPolicy.DESTROY)
    synth_with_nag(app)
