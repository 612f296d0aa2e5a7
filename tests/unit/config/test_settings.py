"""Config loader: the real cdk.json loads; every kind of mistake names its key path."""

import copy

import pytest

from ml_data_platform.config import (
    ConfigError,
    DeliveryFormat,
    Removal,
    all_environments,
    pipeline_settings,
    settings_from_context,
)
from ml_data_platform.datasets import DataFormat
from ml_data_platform.planning.sizing import StreamMode
from ml_data_platform.storage import LifecyclePreset
from tests.conftest import CDK_CONTEXT

MINIMAL = {
    "ml-data-platform": {
        "environments": {
            "dev": {"datasets": [{"name": "events", "columns": [{"name": "id", "type": "string"}]}]}
        }
    }
}


def with_env(**overrides):
    context = copy.deepcopy(MINIMAL)
    context["ml-data-platform"]["environments"]["dev"].update(overrides)
    return context


def test_repository_cdk_json_defines_dev_and_prod():
    environments = all_environments(CDK_CONTEXT)
    assert sorted(environments) == ["dev", "prod"]
    dev, prod = environments["dev"], environments["prod"]
    assert dev.removal is Removal.DESTROY and prod.removal is Removal.RETAIN
    assert dev.env is None
    assert prod.region == "us-east-1"
    assert prod.warehouse.enabled and not dev.warehouse.enabled
    assert prod.stream.mode is StreamMode.PROVISIONED and prod.stream.shard_count == 4
    assert prod.datasets[0].data_format is DataFormat.PARQUET
    assert dev.datasets[0].data_format is DataFormat.JSON
    assert prod.prefix == "mldp-prod"


def test_minimal_environment_gets_secure_defaults():
    settings = settings_from_context(MINIMAL, "dev")
    assert settings.removal is Removal.RETAIN
    assert settings.stream.mode is StreamMode.ON_DEMAND
    assert settings.stream.retention_hours == 24
    assert settings.delivery.format is DeliveryFormat.JSON_GZIP
    assert settings.warehouse.enabled is False
    assert settings.lifecycle == {}
    assert settings.project == "mldp"


def test_lifecycle_presets_are_read_by_zone():
    settings = settings_from_context(with_env(lifecycle={"raw": "logs"}), "dev")
    assert settings.lifecycle == {"raw": LifecyclePreset.LOGS}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"colour": "blue"}, "ml-data-platform.environments.dev: unknown keys ['colour']"),
        (
            {"removal": "delete"},
            "ml-data-platform.environments.dev.removal: 'delete' is not 'retain' or 'destroy'",
        ),
        (
            {"stream": {"mode": "fast"}},
            "environments.dev.stream.mode: 'fast' is not one of on-demand/provisioned",
        ),
        (
            {"stream": {"retention_hours": "24"}},
            "environments.dev.stream.retention_hours: must be an integer, got str",
        ),
        (
            {"stream": {"shard_count": 2}},
            "environments.dev.stream.shard_count: only valid with mode 'provisioned'",
        ),
        ({"stream": {"shards": 2}}, "environments.dev.stream: unknown keys ['shards']"),
        (
            {"delivery": {"buffer_size_mib": True}},
            "environments.dev.delivery.buffer_size_mib: must be an integer, got bool",
        ),
        (
            {"lifecycle": {"raw": "cold"}},
            "environments.dev.lifecycle.raw: 'cold' is not a lifecycle preset",
        ),
        ({"lifecycle": {"gold": "archive"}}, "environments.dev.lifecycle: unknown keys ['gold']"),
        (
            {"warehouse": {"enabled": "yes"}},
            "environments.dev.warehouse.enabled: must be true or false, got str",
        ),
        (
            {"warehouse": {"dataset": "nope"}},
            "environments.dev.warehouse.dataset: 'nope' is not a dataset",
        ),
        ({"datasets": []}, "environments.dev.datasets: missing required key"),
        (
            {"datasets": [{"columns": []}]},
            "environments.dev.datasets[0].name: missing required key",
        ),
        (
            {"datasets": [{"name": "e", "columns": [{"name": "id", "type": "text"}]}]},
            "environments.dev.datasets[0].columns[0].name: type of column 'id' 'text' is not a Glue/Hive type",
        ),
        (
            {"datasets": [{"name": "e", "columns": [{"name": "year", "type": "int"}]}]},
            "environments.dev.datasets[0].name: dataset 'e': columns ['year'] clash with the partition keys",
        ),
        (
            {
                "datasets": [
                    {
                        "name": "e",
                        "granularity": "minute",
                        "columns": [{"name": "a", "type": "int"}],
                    }
                ]
            },
            "environments.dev.datasets[0].granularity: 'minute' is not one of day/hour",
        ),
        ({"datasets": "events"}, "environments.dev.datasets: must be a list, got str"),
    ],
)
def test_bad_config_names_the_key_path(overrides, message):
    with pytest.raises(ConfigError) as error:
        settings_from_context(with_env(**overrides), "dev")
    assert message in str(error.value)


def test_unknown_environment_and_missing_root():
    with pytest.raises(ConfigError, match=r"no environment 'qa'; defined: \['dev'\]"):
        settings_from_context(MINIMAL, "qa")
    with pytest.raises(ConfigError, match="ml-data-platform: must be an object, got NoneType"):
        settings_from_context({}, "dev")
    with pytest.raises(ConfigError, match=r"ml-data-platform\.environments: missing required key"):
        settings_from_context({"ml-data-platform": {}}, "dev")


def test_a_broken_environment_fails_every_synth():
    context = with_env()
    context["ml-data-platform"]["environments"]["prod"] = {"datasets": [], "x": 1}
    with pytest.raises(ConfigError, match=r"environments\.prod"):
        settings_from_context(context, "dev")


def test_pipeline_settings_are_optional_and_validated():
    assert pipeline_settings(MINIMAL) is None
    context = copy.deepcopy(MINIMAL)
    context["ml-data-platform"]["pipeline"] = {
        "connection_arn": "arn:aws:codeconnections:us-east-1:111111111111:connection/x",
        "repository": "acme/ml-data-platform",
    }
    assert pipeline_settings(context).branch == "main"
    context["ml-data-platform"]["pipeline"]["repository"] = "no-slash"
    with pytest.raises(ConfigError, match=r"pipeline\.repository: 'no-slash' must be 'owner/name'"):
        pipeline_settings(context)
