"""The events, restore and video sections of an environment: defaults off, cdk.json's dev turns
each on, and bad values fail naming the key."""

import copy

import pytest

from ml_data_platform.config import ConfigError, settings_from_context
from ml_data_platform.config.services import PipelineTriggerSettings
from ml_data_platform.video import VideoStorageTier
from tests.conftest import CDK_CONTEXT

DEV = "ml-data-platform.environments.dev"


def dev_with(**sections):
    context = copy.deepcopy(CDK_CONTEXT)
    dev = context["ml-data-platform"]["environments"]["dev"]
    for key in ("events", "restore", "video"):
        dev.pop(key, None)
    dev.update(sections)
    return settings_from_context(context, "dev")


def test_sections_are_off_by_default():
    settings = dev_with()
    assert settings.events.pipeline_triggers == () and not settings.events.restore_notifications
    assert settings.restore.zones == ()
    assert not settings.video.enabled


def test_shipped_dev_turns_each_service_on_and_prod_only_restores():
    dev = settings_from_context(CDK_CONTEXT, "dev")
    assert dev.events.pipeline_triggers == (
        PipelineTriggerSettings("curated", "features/", "mldp-dev-retrain"),
    )
    assert dev.events.restore_notifications
    assert dev.restore.zones == ("raw",)
    assert dev.video.enabled and dev.video.retention_hours == 24
    prod = settings_from_context(CDK_CONTEXT, "prod")
    # prod's raw zone reaches Deep Archive: restores are prepared and their ends reported
    assert prod.restore.zones == ("raw",) and prod.events.restore_notifications
    assert not (prod.events.pipeline_triggers or prod.video.enabled)


def test_values_are_read():
    settings = dev_with(
        events={
            "pipeline_triggers": [
                {
                    "zone": "analytics",
                    "prefix": "reports",
                    "pipeline_name": "p1",
                    "bucket_parameter": "B",
                    "key_parameter": "K",
                }
            ]
        },
        restore={"zones": ["raw", "curated"]},
        video={"enabled": True, "retention_hours": 48, "storage_tier": "warm"},
    )
    assert settings.events.pipeline_triggers == (
        PipelineTriggerSettings("analytics", "reports/", "p1", "B", "K"),
    )
    assert settings.restore.zones == ("raw", "curated")
    assert settings.video.storage_tier is VideoStorageTier.WARM


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        ({"events": {"pipeline_triggers": [{"zone": "gold", "prefix": "a/", "pipeline_name": "p"}]}},
         f"{DEV}.events.pipeline_triggers[0].zone: 'gold' is not a zone"),
        ({"events": {"pipeline_triggers": [{"zone": "raw", "prefix": "", "pipeline_name": "p"}]}},
         f"{DEV}.events.pipeline_triggers[0].prefix: prefix must not be empty"),
        ({"events": {"pipeline_triggers": [{"zone": "raw", "prefix": "a/", "pipeline_name": "a_b"}]}},
         f"{DEV}.events.pipeline_triggers[0].pipeline_name: pipeline_name 'a_b' is not a SageMaker"),
        ({"events": {"pipeline_triggers": [{"zone": "raw", "prefix": "a/", "pipeline_name": "p"}] * 2}},
         f"{DEV}.events.pipeline_triggers: more than one trigger for [('raw', 'a/')]"),
        ({"events": {"pipeline_triggers": [{"zone": "raw", "prefix": "a/", "pipeline_name": "p", "key_parameter": "InputBucket"}]}},
         f"{DEV}.events.pipeline_triggers[0].key_parameter: bucket_parameter and key_parameter are both"),
        ({"events": {"restore_notifications": "yes"}},
         f"{DEV}.events.restore_notifications: must be true or false"),
        ({"restore": {"zones": ["archive"]}}, f"{DEV}.restore.zones[0]: 'archive' is not a zone"),
        ({"restore": {"zones": ["raw", "raw"]}}, f"{DEV}.restore.zones: duplicate zones"),
        ({"video": {"enabled": True, "retention_hours": 0}},
         f"{DEV}.video.retention_hours: must be from 1 to 87600, got 0"),
        ({"video": {"storage_tier": "cold"}}, f"{DEV}.video.storage_tier: 'cold' is not one of 'hot', 'warm'"),
        ({"video": {"enable": True}}, f"{DEV}.video: unknown keys ['enable']"),
    ],
)  # fmt: skip
def test_bad_values_name_the_key(sections, message):
    with pytest.raises(ConfigError) as error:
        dev_with(**sections)
    assert str(error.value).startswith(message), str(error.value)
