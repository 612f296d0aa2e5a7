"""Config loader: the real cdk.json loads; every kind of mistake names its key path."""

import copy

import pytest

from ml_data_platform.config import (
    ConfigError,
    DeliveryFormat,
    Removal,
    WarehouseSettings,
    all_environments,
    pipeline_settings,
    settings_from_context,
)
from ml_data_platform.datasets import DataFormat
from ml_data_platform.planning.sizing import StreamMode
from ml_data_platform.storage import Lifecycle, LifecyclePreset
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


def test_a_zone_preset_can_expire_data():
    lifecycle = {"raw": {"preset": "archive", "expire_after_days": 400}, "curated": "standard"}
    settings = settings_from_context(with_env(lifecycle=lifecycle), "dev")
    assert settings.lifecycle == {
        "raw": Lifecycle.preset(LifecyclePreset.ARCHIVE, expire_after_days=400),
        "curated": LifecyclePreset.STANDARD,
    }


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
        (
            {"warehouse": {"enabled": True}},
            "environments.dev.region: required when warehouse.enabled is true",
        ),
        (
            {"region": "ap-southeast-6", "warehouse": {"enabled": True}},
            "environments.dev.region: no Firehose CIDR block known for 'ap-southeast-6' "
            "(warehouse.enabled); known: ['",
        ),
        ({"datasets": []}, "environments.dev.datasets: missing required key"),
        (
            {"datasets": [{"columns": []}]},
            "environments.dev.datasets[0].name: missing required key",
        ),
        (
            {"datasets": [{"name": "e", "columns": [{"name": "id", "type": "text"}]}]},
            "environments.dev.datasets[0].columns[0].type: type of column 'id' 'text' is not a Glue/Hive type",
        ),
        (
            {"datasets": [{"name": "e", "columns": [{"name": "year", "type": "int"}]}]},
            "environments.dev.datasets[0].columns: dataset 'e': columns ['year'] clash with the partition keys",
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


PIPELINE = {
    "connection_arn": "arn:aws:codeconnections:us-east-1:111111111111:connection/x",
    "repository": "acme/ml-data-platform",
    "account": "111111111111",
    "region": "us-east-1",
}


def with_pipeline(**overrides):
    context = copy.deepcopy(MINIMAL)
    context["ml-data-platform"]["pipeline"] = {**PIPELINE, **overrides}
    return context


def test_pipeline_settings_are_optional_and_validated():
    assert pipeline_settings(MINIMAL) is None
    settings = pipeline_settings(with_pipeline())
    assert (settings.branch, settings.account, settings.region) == (
        "main",
        "111111111111",
        "us-east-1",
    )
    legacy = "arn:aws:codestar-connections:eu-west-1:222222222222:connection/1a2b-3c"
    assert pipeline_settings(with_pipeline(connection_arn=legacy)).connection_arn == legacy


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"repository": "no-slash"}, "pipeline.repository: 'no-slash' must be 'owner/name'"),
        ({"account": None}, "pipeline.account: missing required key"),
        ({"region": None}, "pipeline.region: missing required key"),
        (
            {"account": "12345"},
            "pipeline.account: '12345' is not an AWS account id (12 digits, as a string: "
            "leading zeros count)",
        ),
        ({"region": "us-east-9"}, "pipeline.region: 'us-east-9' is not an AWS region known"),
        (
            {"connection_arn": "arn:aws:codecommit:us-east-1:111111111111:repo"},
            "pipeline.connection_arn: 'arn:aws:codecommit:us-east-1:111111111111:repo' is not a "
            "CodeConnections connection ARN (arn:aws:codeconnections:<region>:<account>:"
            "connection/<id>; codestar-connections also accepted)",
        ),
        (
            {"connection_arn": "arn:aws:codeconnections:us-east-1:1111:connection/x"},
            "pipeline.connection_arn: 'arn:aws:codeconnections:us-east-1:1111:connection/x' is "
            "not a CodeConnections connection ARN",
        ),
        (
            {"connection_arn": "arn:aws:codeconnections:us-east-9:111111111111:connection/x"},
            "pipeline.connection_arn: region 'us-east-9' of "
            "'arn:aws:codeconnections:us-east-9:111111111111:connection/x' is not an AWS region",
        ),
    ],
)
def test_bad_pipeline_settings_name_the_key(overrides, message):
    context = with_pipeline(**overrides)
    pipeline = context["ml-data-platform"]["pipeline"]
    context["ml-data-platform"]["pipeline"] = {k: v for k, v in pipeline.items() if v is not None}
    with pytest.raises(ConfigError) as error:
        pipeline_settings(context)
    assert str(error.value).startswith(f"ml-data-platform.{message}")


WAREHOUSE_ON = {"region": "us-east-1", "warehouse": {"enabled": True}}


def one_dataset(column_name, column_type, dataset="events"):
    column = {"name": column_name, "type": column_type}
    return [{"name": dataset, "columns": [{"name": "id", "type": "string"}, column]}]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"datasets": one_dataset("blob", "binary")},
            "datasets[0].columns[1].type: Glue type 'binary' has no Redshift equivalent for COPY "
            "(the warehouse loads dataset 'events' into Redshift)",
        ),
        (
            {"datasets": one_dataset("user", "string")},
            "datasets[0].columns[1].name: column name 'user' is a Redshift reserved word; "
            "Firehose's COPY does not quote names, so choose another name (the warehouse loads "
            "dataset 'events' into Redshift)",
        ),
        (
            {"datasets": one_dataset("timestamp", "timestamp")},
            "datasets[0].columns[1].name: column name 'timestamp' is a Redshift reserved word",
        ),
        (
            {"warehouse": {"enabled": True, "table": "Clicks"}},
            "warehouse.table: table name 'Clicks' is not a valid Redshift name here: use "
            "lowercase letters, digits, '_' and '$', starting with a letter or '_'",
        ),
        (
            {"warehouse": {"enabled": True, "table": "select"}},
            "warehouse.table: table name 'select' is a Redshift reserved word",
        ),
        (
            {"warehouse": {"enabled": True, "table": "click-events"}},
            "warehouse.table: table name 'click-events' is not a valid Redshift name here",
        ),
        (
            {"datasets": [{"name": "order", "columns": [{"name": "id", "type": "string"}]}]},
            "warehouse.table: not set, so named after dataset 'order': table name 'order' is a "
            "Redshift reserved word",
        ),
        (
            {"region": "us-west-1"},
            "region: 'us-west-1' has two Availability Zones; the warehouse's VPC needs three "
            "(warehouse.enabled): use another region, or compose Warehouse(vpc=...) with three "
            "subnets in your own stack",
        ),
    ],
)
def test_the_warehouse_table_is_checked_at_its_keys(overrides, message):
    with pytest.raises(ConfigError) as error:
        settings_from_context(with_env(**{**WAREHOUSE_ON, **overrides}), "dev")
    assert str(error.value).startswith(f"ml-data-platform.environments.dev.{message}")


def test_only_the_warehouse_dataset_must_suit_redshift():
    datasets = [
        {"name": "events", "columns": [{"name": "id", "type": "string"}]},
        {"name": "blobs", "columns": [{"name": "user", "type": "binary"}]},
    ]
    on_events = {**WAREHOUSE_ON, "warehouse": {**WAREHOUSE_ON["warehouse"], "dataset": "events"}}
    assert settings_from_context(with_env(datasets=datasets, **on_events), "dev")
    warehouse = {"enabled": True, "dataset": "blobs"}
    with pytest.raises(ConfigError) as error:
        settings_from_context(
            with_env(datasets=datasets, region="us-east-1", warehouse=warehouse), "dev"
        )
    assert str(error.value).startswith(
        "ml-data-platform.environments.dev.datasets[1].columns[0].name: column name 'user'"
    )
    disabled = with_env(datasets=datasets, warehouse={"dataset": "blobs"})
    assert not settings_from_context(disabled, "dev").warehouse.enabled


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {
                "datasets": [
                    {"name": "e", "granularity": 5, "columns": [{"name": "a", "type": "int"}]}
                ]
            },
            "datasets[0].granularity: must be a string, got int 5",
        ),
        (
            {
                "datasets": [
                    {
                        "name": "e",
                        "granularity": ["hour"],
                        "columns": [{"name": "a", "type": "int"}],
                    }
                ]
            },
            "datasets[0].granularity: must be a string, got list ['hour']",
        ),
        (
            {"alarm_email": "not-an-email"},
            "alarm_email: 'not-an-email' is not an e-mail address (name@domain.tld)",
        ),
        (
            {"account": "12345"},
            "account: '12345' is not an AWS account id (12 digits, as a string: leading zeros "
            "count)",
        ),
        ({"account": 111111111111}, "account: must be a string, got int 111111111111"),
        (
            {"region": "us-east-9"},
            "region: 'us-east-9' is not an AWS region known to aws-cdk-lib (a newer region needs "
            "a newer aws-cdk-lib); known: ['af-south-1', ",
        ),
        ({"region": "US-EAST-1"}, "region: 'US-EAST-1' is not an AWS region known"),
    ],
)
def test_environment_values_are_checked_at_their_keys(overrides, message):
    with pytest.raises(ConfigError) as error:
        settings_from_context(with_env(**overrides), "dev")
    assert str(error.value).startswith(f"ml-data-platform.environments.dev.{message}")


@pytest.mark.parametrize(
    ("type_text", "rule"),
    [
        ("char(300)", "char(300): CHAR length must be 1–255, got 300"),
        ("varchar(99999)", "varchar(99999): VARCHAR length must be 1–65535, got 99999"),
        ("varchar(0)", "varchar(0): VARCHAR length must be 1–65535, got 0"),
        ("decimal(10,12)", "decimal(10,12): DECIMAL scale (12) must be ≤ its precision (10)"),
        ("decimal(39,2)", "decimal(39,2): DECIMAL precision must be 1–38, got 39"),
        ("array<char(256)>", "char(256): CHAR length must be 1–255, got 256"),
    ],
)
def test_parameterised_glue_types_are_within_hive_limits(type_text, rule):
    datasets = [{"name": "e", "columns": [{"name": "c", "type": type_text}]}]
    with pytest.raises(ConfigError) as error:
        settings_from_context(with_env(datasets=datasets), "dev")
    assert str(error.value) == (
        f"ml-data-platform.environments.dev.datasets[0].columns[0].type: type of column 'c' "
        f"{type_text!r} is not a valid Glue/Hive type: {rule}"
    )


def test_parameterised_glue_types_at_their_limits_are_accepted():
    types = ["char(255)", "varchar(65535)", "decimal(38,38)", "decimal(1)", "char(1)"]
    columns = [{"name": f"c{i}", "type": t} for i, t in enumerate(types)]
    settings = settings_from_context(with_env(datasets=[{"name": "e", "columns": columns}]), "dev")
    assert [c.type for c in settings.datasets[0].columns] == types


def test_valid_account_region_and_email_are_kept():
    settings = settings_from_context(
        with_env(account="012345678901", region="eu-west-1", alarm_email="ops@example.com"), "dev"
    )
    assert (settings.account, settings.region, settings.alarm_email) == (
        "012345678901",
        "eu-west-1",
        "ops@example.com",
    )


PARQUET_EVENTS = [
    {"name": "events", "format": "parquet", "columns": [{"name": "id", "type": "string"}]}
]
GLUE_TYPES = (
    "['bigint', 'binary', 'boolean', 'date', 'double', 'float', 'int', 'integer', 'smallint', "
    "'string', 'timestamp', 'tinyint'], decimal(p,s), char(n), varchar(n), array<T>, map<K,V> or "
    "struct<name:T,...>"
)
RPU_RULE = (
    "base_capacity must be 4, a multiple of 8 from 8 to 512, or a multiple of 32 up to 1024 "
    "(only in ['eu-central-1', 'eu-west-1', 'us-east-1', 'us-east-2', 'us-west-2']) RPUs"
)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"stream": {"retention_hours": 23}},
            "stream.retention_hours: must be from 24 to 8760, got 23",
        ),
        (
            {"stream": {"retention_hours": 8761}},
            "stream.retention_hours: must be from 24 to 8760, got 8761",
        ),
        (
            {"stream": {"mode": "provisioned", "shard_count": 0}},
            "stream.shard_count: must be from 1 to 10000, got 0",
        ),
        (
            {"stream": {"mode": "provisioned"}},
            "stream.shard_count: required with mode 'provisioned'",
        ),
        (
            {"delivery": {"buffer_size_mib": 0}},
            "delivery.buffer_size_mib: must be from 1 to 128, got 0",
        ),
        (
            {"delivery": {"buffer_size_mib": 129}},
            "delivery.buffer_size_mib: must be from 1 to 128, got 129",
        ),
        (
            {"delivery": {"buffer_interval_seconds": -1}},
            "delivery.buffer_interval_seconds: must be from 0 to 900, got -1",
        ),
        (
            {"delivery": {"buffer_interval_seconds": 901}},
            "delivery.buffer_interval_seconds: must be from 0 to 900, got 901",
        ),
        (
            {"delivery": {"buffer_size_mib": 32, "format": "parquet"}},
            "delivery.buffer_size_mib: must be ≥ 64 with Parquet (datasets ['events']), got 32",
        ),
        (
            {"delivery": {"buffer_size_mib": 63}, "datasets": PARQUET_EVENTS},
            "delivery.buffer_size_mib: must be ≥ 64 with Parquet (datasets ['events']), got 63",
        ),
        (
            {"warehouse": {"base_capacity_rpus": 12}},
            f"warehouse.base_capacity_rpus: {RPU_RULE}, got 12",
        ),
        (
            {"region": "ap-south-1", "warehouse": {"base_capacity_rpus": 1024}},
            f"warehouse.base_capacity_rpus: {RPU_RULE}, got 1024; region 'ap-south-1' allows "
            "at most 512",
        ),
        (
            {"lifecycle": {"raw": {"preset": "archive", "expire_after_days": 0}}},
            "lifecycle.raw.expire_after_days: must be ≥ 1, got 0",
        ),
        (
            {"lifecycle": {"raw": {"preset": "archive", "expire_after_days": 100}}},
            "lifecycle.raw.expire_after_days: lifecycle for zone 'raw', rule 'archive-tiering': "
            "expire_after_days (100) must be after the last transition (DEEP_ARCHIVE at day 180)",
        ),
        (
            {"lifecycle": {"raw": {"expire_after_days": 400}}},
            "lifecycle.raw.preset: missing required key",
        ),
        (
            {"lifecycle": {"raw": {"preset": "cold"}}},
            "lifecycle.raw.preset: 'cold' is not a lifecycle preset "
            "(archive/intelligent-tiering/infrequent-access/logs/standard)",
        ),
        (
            {"lifecycle": {"raw": {"preset": "archive", "days": 400}}},
            "lifecycle.raw: unknown keys ['days']; allowed: ['expire_after_days', 'preset']",
        ),
        (
            {"delivery": {"dynamic_partitioning": True}},
            "delivery: unknown keys ['dynamic_partitioning']; allowed: "
            "['buffer_interval_seconds', 'buffer_size_mib', 'format']",
        ),
        (
            {
                "datasets": [
                    {
                        "name": "events",
                        "columns": [
                            {"name": "id", "type": "string"},
                            {"name": "at", "type": "timestamp"},
                            {"name": "price", "type": "decimal(10;2)"},
                        ],
                    }
                ]
            },
            "datasets[0].columns[2].type: type of column 'price' 'decimal(10;2)' is not a "
            f"Glue/Hive type: use one of {GLUE_TYPES}",
        ),
        (
            {"datasets": [{"name": "events", "columns": [{"name": "Id", "type": "string"}]}]},
            "datasets[0].columns[0].name: column name 'Id' is not a valid Glue/Athena name: use "
            "lowercase letters, digits and '_', starting with a letter (at most 255 characters)",
        ),
        (
            {"datasets": [{"name": "events"}]},
            "datasets[0].columns: dataset 'events': columns must list at least one column",
        ),
    ],
)
def test_out_of_range_values_name_the_key_path_the_value_and_the_rule(overrides, message):
    with pytest.raises(ConfigError) as error:
        settings_from_context(with_env(**overrides), "dev")
    assert str(error.value) == f"ml-data-platform.environments.dev.{message}"


def test_limits_are_inclusive():
    settings = settings_from_context(
        with_env(
            stream={"mode": "provisioned", "shard_count": 1, "retention_hours": 8760},
            delivery={"buffer_size_mib": 128, "buffer_interval_seconds": 0},
            warehouse={"base_capacity_rpus": 4},
        ),
        "dev",
    )
    assert settings.stream.retention_hours == 8760
    assert settings.stream.shard_count == 1
    assert settings.delivery.buffer_interval_seconds == 0
    assert settings.delivery.buffer_size_mib == 128
    assert settings.warehouse.base_capacity_rpus == 4


def test_the_warehouse_must_name_its_dataset_when_there_are_several():
    datasets = [
        {"name": "events", "columns": [{"name": "id", "type": "string"}]},
        {"name": "clicks", "columns": [{"name": "id", "type": "string"}]},
    ]
    with pytest.raises(ConfigError) as error:
        settings_from_context(with_env(datasets=datasets, **WAREHOUSE_ON), "dev")
    assert str(error.value) == (
        "ml-data-platform.environments.dev.warehouse.dataset: required when there is more than "
        "one dataset (['events', 'clicks']): name the dataset the warehouse loads, so that adding "
        "or reordering datasets never switches its source stream"
    )
    # One dataset: it is the warehouse's; a disabled warehouse needs no dataset.
    assert settings_from_context(with_env(**WAREHOUSE_ON), "dev").warehouse.dataset is None
    assert not settings_from_context(with_env(datasets=datasets), "dev").warehouse.enabled


# Gaps a mutation run found (issue 19).


def test_an_empty_environments_section_is_rejected():
    context = {"ml-data-platform": {"environments": {}}}
    with pytest.raises(ConfigError) as error:
        all_environments(context)
    assert str(error.value) == "ml-data-platform.environments: define at least one environment"


@pytest.mark.parametrize(
    "delivery", [{"buffer_size_mib": 64}, {"buffer_size_mib": 64, "format": "parquet"}]
)
def test_parquet_with_exactly_64_mib_buffering_is_allowed(delivery):
    settings = settings_from_context(with_env(delivery=delivery, datasets=PARQUET_EVENTS), "dev")
    assert settings.delivery.buffer_size_mib == 64


def test_the_warehouse_is_off_unless_enabled():
    assert WarehouseSettings().enabled is False
    assert settings_from_context(with_env(warehouse={}), "dev").warehouse.enabled is False
    enabled = with_env(region="us-east-1", warehouse={"enabled": True})
    assert settings_from_context(enabled, "dev").warehouse.enabled is True


def test_an_environment_named_like_a_top_level_construct_is_refused():
    context = copy.deepcopy(MINIMAL)
    environments = context["ml-data-platform"]["environments"]
    environments["pipeline"] = environments.pop("dev")
    with pytest.raises(ConfigError) as error:
        settings_from_context(context, "pipeline")
    assert str(error.value) == (
        "ml-data-platform.environments.pipeline: its stage would be 'Pipeline', the id of the "
        "CI/CD pipeline stack (PipelineStack) beside the environments' stages in app.py: choose "
        "another environment name"
    )
