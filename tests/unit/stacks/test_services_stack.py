"""The dev platform from cdk.json carries the services: the pipeline trigger and restore
notifications and the video stream in mldp-dev-services, restore access for the raw zone in the
storage stack; logical IDs of the stateful resources pinned; prod prepares and reports
restores only."""

import pytest
from aws_cdk.assertions import Template

from ml_data_platform.stacks.services_stack import trigger_construct_id


@pytest.fixture(scope="module")
def dev(platform_synth):
    stages, _ = platform_synth
    return stages["Dev"].platform


def test_dev_has_a_services_stack_with_each_service(dev):
    services = dev.services
    assert services is not None and services.stack_name == "mldp-dev-services"
    assert set(services.triggers) == {"curated:features/"}
    assert services.restore_notification is not None
    assert services.video is not None and services.video.retention_hours == 24


def test_stateful_logical_ids_are_pinned(dev):
    template = Template.from_stack(dev.services).to_json()["Resources"]
    stateful = {
        lid: r["Type"]
        for lid, r in template.items()
        if r["Type"] in ("AWS::SQS::Queue", "AWS::Logs::LogGroup", "AWS::KinesisVideo::Stream")
    }
    assert stateful == {
        "CuratedFeaturesTriggerDeadLetterQueueF8C1CE2D": "AWS::SQS::Queue",
        "CuratedFeaturesTriggerExecutionLogs800AACAE": "AWS::Logs::LogGroup",
        "VideoStreamE76EE145": "AWS::KinesisVideo::Stream",
    }
    storage = Template.from_stack(dev.storage).to_json()["Resources"]
    assert "RawRestoresReportsBucket0BBB34F6" in storage


def test_restore_access_lives_next_to_the_zone_it_inventories(dev):
    assert set(dev.storage.restores) == {"raw"}
    raw = Template.from_stack(dev.storage).to_json()["Resources"]
    inventories = [
        r["Properties"]["InventoryConfigurations"]
        for r in raw.values()
        if r["Type"] == "AWS::S3::Bucket" and "InventoryConfigurations" in r["Properties"]
    ]
    assert len(inventories) == 1


def test_prod_prepares_restores_and_reports_them_only(platform_synth):
    stages, _ = platform_synth
    prod = stages["Prod"].platform
    assert set(prod.storage.restores) == {"raw"}
    assert prod.services is not None and prod.services.restore_notification is not None
    assert prod.services.triggers == {} and prod.services.video is None


def test_trigger_ids_are_readable_and_stable():
    assert trigger_construct_id("curated", "features/daily/") == "CuratedFeaturesDailyTrigger"
    assert trigger_construct_id("raw", "a-b/") == trigger_construct_id("raw", "a_b/")
