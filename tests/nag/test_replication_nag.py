"""``replication`` in cdk.json, when on: a replica stack in the replica region and one
ZoneReplication per chosen zone in the storage stack, nag-clean with the replication
acknowledgement dropped exactly on the replicated zones. How the setting is read and
validated: tests/unit/config/test_replication_config.py."""

import pytest
from aws_cdk.assertions import Template

from ml_data_platform.compliance.control_tower import (
    CONTROL_TOWER_PLUGIN,
    enable_control_tower_checks,
)
from ml_data_platform.stacks import build_platform
from tests.conftest import acknowledged_rules, make_app, synth_with_nag

ACCOUNT = "111111111111"
REPLICATION = {"region": "us-west-2", "zones": ["curated", "raw"]}
CONTEXT = {
    "ml-data-platform": {
        "project": "acme",
        "environments": {
            "prod": {
                "account": ACCOUNT,
                "region": "us-east-1",
                "datasets": [{"name": "events", "columns": [{"name": "id", "type": "string"}]}],
                "replication": REPLICATION,
            }
        },
    }
}


@pytest.fixture(scope="module")
def platform():
    app = make_app()
    (stage,) = build_platform(app, CONTEXT)
    enable_control_tower_checks(app)  # the fifth gate too: the synth fails on any finding
    report = synth_with_nag(app)
    return stage, report


def _platform(stage):
    from ml_data_platform.stacks import MlDataPlatform

    return next(c for c in stage.node.find_all() if isinstance(c, MlDataPlatform))


def test_replica_stack_in_the_replica_region_before_storage(platform):
    stage, _ = platform
    mldp = _platform(stage)
    replica = mldp.replica
    assert replica.region == "us-west-2" and replica.account == ACCOUNT
    assert replica.stack_name == "acme-prod-replica"
    assert replica in mldp.storage.dependencies
    template = Template.from_stack(replica)
    names = {
        b["Properties"].get("BucketName")
        for b in template.find_resources("AWS::S3::Bucket").values()
    }
    assert names == {
        f"acme-prod-raw-{ACCOUNT}-us-west-2",
        f"acme-prod-curated-{ACCOUNT}-us-west-2",
        None,  # the replica's access-log bucket
    }
    # Pinned: renaming must not replace the replicas or their key.
    assert set(template.find_resources("AWS::S3::Bucket")) == {
        "ReplicaRawReplicaBucket5DEF53B8",
        "ReplicaCuratedReplicaBucket7CC76880",
        "ReplicaAccessLogsBucket1A0ED3FA",
    }
    assert set(template.find_resources("AWS::KMS::Key")) == {"ReplicaKey4C759930"}
    for resource in [
        *template.find_resources("AWS::S3::Bucket").values(),
        *template.find_resources("AWS::KMS::Key").values(),
    ]:
        assert resource["DeletionPolicy"] == "Retain"


def test_storage_replicates_exactly_the_chosen_zones(platform):
    stage, _ = platform
    storage = Template.from_stack(_platform(stage).storage)
    replicated = {
        logical_id: b["Properties"]["ReplicationConfiguration"]["Rules"][0]["Destination"]
        for logical_id, b in storage.find_resources("AWS::S3::Bucket").items()
        if "ReplicationConfiguration" in b["Properties"]
    }
    assert {k: v["Bucket"] for k, v in replicated.items()} == {
        "DataLakeRawZoneBucketC98FCD5D": f"arn:aws:s3:::acme-prod-raw-{ACCOUNT}-us-west-2",
        "DataLakeCuratedZoneBucket4033E605": f"arn:aws:s3:::acme-prod-curated-{ACCOUNT}-us-west-2",
    }
    for destination in replicated.values():
        assert destination["EncryptionConfiguration"] == {
            "ReplicaKmsKeyID": f"arn:aws:kms:us-west-2:{ACCOUNT}:alias/ml-data-platform/acme-prod/replica"
        }
    alarms = storage.find_resources("AWS::CloudWatch::Alarm")
    assert len(alarms) == 4  # latency + failures per replicated zone
    assert all(a["Properties"]["AlarmActions"] for a in alarms.values())


def test_nag_acknowledges_replication_only_on_unreplicated_buckets(platform):
    _, report = platform
    at = {where for rule, where in acknowledged_rules(report) if "S3BucketReplication" in rule}
    storage = "Prod/Platform/Storage/DataLake"
    assert f"{storage}/RawZone/Bucket" not in at
    assert f"{storage}/CuratedZone/Bucket" not in at
    assert f"{storage}/AnalyticsZone/Bucket" in at
    assert {
        "Prod/Platform/Replica/Replica/RawReplica/Bucket",
        "Prod/Platform/Replica/Replica/CuratedReplica/Bucket",
    } <= at


def test_control_tower_gate_ran_over_the_replica(platform):
    _, report = platform
    (plugin,) = [p for p in report["pluginReports"] if p["pluginName"] == CONTROL_TOWER_PLUGIN]
    assert plugin["violations"] == []
    exempted = {f["acknowledgedAt"] for f in plugin["suppressedViolations"]}
    # The replica buckets are DataLakeBuckets: the same Object Lock exemption, nothing new.
    assert "Prod/Platform/Replica/Replica/RawReplica/Bucket" in exempted
