"""Every exported construct, built with only its required inputs in a fresh App with the four
packs attached, synthesizes with zero unacknowledged findings (and no dead acknowledgement).

``FACTORIES`` is the table: one entry per exported construct (name -> a function that builds it
in a stack from its required inputs only, using the user's own role where one is needed).
Stacks and stages have their own nag tests (``COVERED_BY``). A new export without an entry in
either fails ``test_every_exported_construct_has_a_case``.
"""

from __future__ import annotations

from collections.abc import Callable

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from constructs import Construct

import ml_data_platform as mldp
from ml_data_platform.analytics import FlinkCode
from tests.conftest import ROOT, TEST_ENV, make_app, synth_with_nag

NAG_TESTS = ROOT / "tests" / "nag"


EVENTS = mldp.Dataset("events", columns=(mldp.Column("id", "string"),))


def user_role(stack: cdk.Stack) -> iam.Role:
    """The user's own role (what `role=`/`principal=` props receive in a user's app)."""
    return iam.Role(stack, "UserRole", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))


def catalog(stack: cdk.Stack) -> mldp.DataCatalog:
    return mldp.DataCatalog(stack, "Catalog", lake=mldp.DataLake(stack, "Lake"))


def warehouse_delivery(stack: cdk.Stack) -> Construct:
    key = mldp.DataLakeKey(stack, "Key").key
    stream = mldp.IngestionStream(stack, "Stream", encryption_key=key)
    bucket = mldp.DataLakeBucket(stack, "Staging", encryption_key=key)
    warehouse = mldp.Warehouse(stack, "Warehouse", encryption_key=key)
    return mldp.WarehouseDeliveryStream(
        stack,
        "ToRedshift",
        source_stream=stream.stream,
        source_key=key,
        warehouse=warehouse.endpoint,
        table=mldp.RedshiftTable("events", [mldp.RedshiftColumn("id", "varchar(64)")]),
        bucket=bucket.bucket,
        bucket_key=key,
    )


FACTORIES: dict[str, Callable[[cdk.Stack], object]] = {
    "AccessLogsBucket": lambda s: mldp.AccessLogsBucket(s, "Logs"),
    "AlarmTopic": lambda s: mldp.AlarmTopic(
        s, "Alarms", encryption_key=mldp.DataLakeKey(s, "Key").key
    ),
    "AthenaWorkgroup": lambda s: mldp.AthenaWorkgroup(
        s, "Queries", encryption_key=mldp.DataLakeKey(s, "Key").key
    ),
    "DataCatalog": catalog,
    "DataLake": lambda s: mldp.DataLake(s, "Lake"),
    "DataLakeBucket": lambda s: mldp.DataLakeBucket(s, "Bucket"),
    "DataLakeKey": lambda s: mldp.DataLakeKey(s, "Key"),
    "ReplicaSite": lambda s: mldp.ReplicaSite(
        s, "Replica", bucket_names={"raw": "acme-raw-replica"}, key_alias="acme/replica"
    ),
    "ZoneReplication": lambda s: mldp.ZoneReplication(
        s,
        "Replication",
        source=mldp.DataLakeBucket(s, "Bucket"),
        destination_bucket_name="acme-raw-replica",
        destination_region="us-west-2",
        destination_key_arn="arn:aws:kms:us-west-2:111111111111:alias/acme/replica",
    ),
    "FlinkApplication": lambda s: mldp.FlinkApplication(
        s,
        "Features",
        code=FlinkCode.from_bucket(mldp.DataLakeBucket(s, "Code").bucket, "jobs/features.zip"),
        source=mldp.IngestionStream(s, "Events"),
    ),
    "IngestionStream": lambda s: mldp.IngestionStream(s, "Stream"),
    "LakeAccessPoint": lambda s: mldp.LakeAccessPoint(
        s,
        "AccessPoint",
        bucket=mldp.DataLakeBucket(s, "Bucket").bucket,
        access_point_name="team-read",
        principal=user_role(s),
    ),
    "LakeCrawler": lambda s: mldp.LakeCrawler(s, "Crawler", catalog=catalog(s), zone="curated"),
    "LakeDeliveryStream": lambda s: mldp.LakeDeliveryStream(
        s,
        "Delivery",
        source_stream=mldp.IngestionStream(s, "Stream").stream,
        bucket=mldp.DataLakeBucket(s, "Bucket").bucket,
        dataset=EVENTS,  # or layout= or prefix=: one of them names the S3 prefix
    ),
    "LakeFormationAccess": lambda s: mldp.LakeFormationAccess(s, "Access", catalog=catalog(s)),
    "LakeTable": lambda s: mldp.LakeTable(
        s,
        "Table",
        database=catalog(s).database("raw"),
        bucket=mldp.DataLakeBucket(s, "Bucket").bucket,
        dataset=EVENTS,  # or table_name and columns
    ),
    "LakeRestoreAccess": lambda s: _restore_access(s),
    "MlConsumer": lambda s: _ml_consumer(s, role=None),
    "ObjectCreatedPipelineTrigger": lambda s: _pipeline_trigger(s),
    "RestoreCompletedNotification": lambda s: mldp.RestoreCompletedNotification(
        s,
        "Restores",
        buckets=[mldp.DataLakeBucket(s, "Bucket").bucket],
        topic=mldp.AlarmTopic.of(s).topic,  # or targets=: required, one of them
    ),
    "VideoIngestStream": lambda s: mldp.VideoIngestStream(s, "Video"),
    "Warehouse": lambda s: mldp.Warehouse(s, "Warehouse"),
    "WarehouseDeliveryStream": warehouse_delivery,
}
# The user's own role granted through our helpers: what the packs see on *their* role.
USER_ROLE_CASES: dict[str, Callable[[cdk.Stack], object]] = {
    "MlConsumer(role=...)": lambda s: _ml_consumer(s, role=user_role(s)),
    "DataLake.grant_ml_consumer": lambda s: mldp.DataLake(s, "Lake").grant_ml_consumer(
        user_role(s)
    ),
    "DataLake.add_access_point": lambda s: mldp.DataLake(s, "Lake").add_access_point(
        "Team", zone="curated", access_point_name="team-read", principal=user_role(s)
    ),
}
# name -> (nag test file, what it builds): the platform_synth fixture is build_platform's
# MlDataPlatformStage per environment, each holding an MlDataPlatform.
COVERED_BY = {
    "StorageStack": ("test_storage_nag.py", "StorageStack("),
    "CatalogStack": ("test_catalog_nag.py", "CatalogStack("),
    "IngestionStack": ("test_ingestion_nag.py", "IngestionStack("),
    "WarehouseStack": ("test_warehouse_nag.py", "WarehouseStack under every"),
    "PipelineStack": ("test_pipeline_nag.py", "PipelineStack("),
    "MlDataPlatform": ("test_platform_nag.py", "platform_synth"),
    "MlDataPlatformStage": ("test_platform_nag.py", "platform_synth"),
    # cdk.json's dev and prod turn on the pipeline trigger, restores and notifications.
    "ServicesStack": ("test_platform_nag.py", "platform_synth"),
    "ReplicaStack": ("test_replication_nag.py", "build_platform(app, CONTEXT)"),
    # cdk.json's dev ingests two datasets on a shared stream.
    "SharedIngestionStack": ("test_platform_nag.py", "platform_synth"),
}


def _ml_consumer(stack: cdk.Stack, *, role: iam.IRole | None) -> mldp.MlConsumer:
    key = mldp.DataLakeKey(stack, "Key").key
    lake = mldp.DataLake(stack, "Lake", encryption_key=key)
    return mldp.MlConsumer(
        stack,
        "Ml",
        data_lake=lake,
        catalog=mldp.DataCatalog(stack, "Catalog", lake=lake),
        workgroup=mldp.AthenaWorkgroup(stack, "Queries", encryption_key=key),
        role=role,
    )


def _restore_access(stack: cdk.Stack) -> Construct:
    zone = mldp.DataLakeBucket(stack, "Bucket")
    return mldp.LakeRestoreAccess(stack, "Restore", bucket=zone.bucket, encryption_key=zone.key)


def _pipeline_trigger(stack: cdk.Stack) -> Construct:
    bucket = mldp.DataLakeBucket(stack, "Bucket")
    return mldp.ObjectCreatedPipelineTrigger(
        stack,
        "Trigger",
        bucket=bucket.bucket,
        prefix="features",
        pipeline_name="Retrain",
        encryption_key=bucket.key,
    )


def exported_constructs() -> list[str]:
    return sorted(
        name
        for name in mldp.__all__
        if isinstance(getattr(mldp, name), type) and issubclass(getattr(mldp, name), Construct)
    )


def test_every_exported_construct_has_a_case():
    missing = [n for n in exported_constructs() if n not in FACTORIES and n not in COVERED_BY]
    assert not missing, f"add a factory to FACTORIES in {__file__} for {missing}"
    assert not set(FACTORIES) - set(exported_constructs()), "FACTORIES names a non-export"


@pytest.mark.parametrize("name", sorted(COVERED_BY))
def test_stacks_and_stages_are_covered_by_their_own_nag_test(name):
    test_file, builds = COVERED_BY[name]
    assert builds in (NAG_TESTS / test_file).read_text()


@pytest.mark.parametrize("case", sorted({**FACTORIES, **USER_ROLE_CASES}))
def test_defaults_alone_have_no_unacknowledged_finding(case):
    app = make_app()
    stack = cdk.Stack(app, "User", env=TEST_ENV)
    {**FACTORIES, **USER_ROLE_CASES}[case](stack)
    report = synth_with_nag(app)  # fails listing each finding; checks every acknowledgement
    assert {p["conclusion"] for p in report["pluginReports"]} <= {"success"}
