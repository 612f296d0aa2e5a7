"""A dataset's analytics section (the streaming-features job): off by default, the shipped
cdk.json turns it on for dev's dataset only, and bad values fail naming the key."""

import copy

import pytest

from ml_data_platform.analytics.streaming_features import StreamingFeatures
from ml_data_platform.config import ConfigError, settings_from_context
from tests.conftest import CDK_CONTEXT

DATASET = r"ml-data-platform\.environments\.dev\.datasets\[0\]"


def dev_with(analytics=None, *, drop_column=None):
    context = copy.deepcopy(CDK_CONTEXT)
    dataset = context["ml-data-platform"]["environments"]["dev"]["datasets"][0]
    dataset.pop("analytics", None)
    if analytics is not None:
        dataset["analytics"] = analytics
    if drop_column:
        dataset["columns"] = [c for c in dataset["columns"] if c["name"] != drop_column]
    return settings_from_context(context, "dev")


def test_off_unless_asked():
    assert dev_with().analytics == {}
    # present but not enabled: still validated, not deployed
    assert dev_with({"enabled": False, "parallelism": 4}).analytics == {}
    with pytest.raises(ConfigError, match=rf"^{DATASET}\.analytics\.parallelism: "):
        dev_with({"enabled": False, "parallelism": 0})


def test_shipped_cdk_json_turns_it_on_for_dev_only():
    dev = settings_from_context(CDK_CONTEXT, "dev")
    assert dev.analytics == {"clickstream": StreamingFeatures()}
    assert settings_from_context(CDK_CONTEXT, "prod").analytics == {}


def test_every_setting_is_read():
    settings = dev_with(
        {
            "enabled": True,
            "window_seconds": 300,
            "lateness_seconds": 0,
            "parallelism": 64,
            "start_on_deploy": True,
        }
    )
    assert settings.analytics == {
        "clickstream": StreamingFeatures(
            window_seconds=300, lateness_seconds=0, parallelism=64, start_on_deploy=True
        )
    }


@pytest.mark.parametrize(
    ("analytics", "message"),
    [
        ({"enabled": True, "window_seconds": 0}, r"\.analytics\.window_seconds: .*1"),
        ({"enabled": True, "lateness_seconds": -1}, r"\.analytics\.lateness_seconds: .*0"),
        ({"enabled": True, "parallelism": 65}, r"\.analytics\.parallelism: .*64"),
        ({"enabled": "yes"}, r"\.analytics\.enabled: "),
        ({"enabled": True, "start_on_deploy": 1}, r"\.analytics\.start_on_deploy: "),
        (
            {"enabled": True, "paralelism": 2},
            r"\.analytics: unknown keys \['paralelism'\] \(did you mean 'paralelism' -> "
            r"'parallelism'\?\)",
        ),
    ],
)
def test_bad_values_fail_at_their_key(analytics, message):
    with pytest.raises(ConfigError, match=rf"^{DATASET}{message}"):
        dev_with(analytics)


def test_the_dataset_must_have_the_columns_the_job_reads():
    with pytest.raises(ConfigError, match=rf"^{DATASET}\.analytics: .*it lacks \['event_type'\]"):
        dev_with({"enabled": True}, drop_column="event_type")
    # without analytics the same dataset is fine
    assert dev_with(drop_column="event_type").datasets[0].name == "clickstream"
