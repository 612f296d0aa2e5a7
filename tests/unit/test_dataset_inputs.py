"""Datasets: names the platform uses itself, names that collide after normalisation, Glue
text limits and wrong kinds, in code and in cdk.json (with the key path)."""

from __future__ import annotations

import pytest

from ml_data_platform.config import ConfigError, settings_from_context
from ml_data_platform.datasets import Column, Dataset, datasets_by_name
from ml_data_platform.storage import PartitionLayout
from ml_data_platform.storage.layout import RESERVED_PREFIX_ROOTS
from ml_data_platform.warehouse.delivery import BACKUP_PREFIX_ROOT, STAGING_PREFIX_ROOT

COLUMNS = (Column("id", "string"),)
AT = "ml-data-platform.environments.dev"


def context(*datasets):
    return {"ml-data-platform": {"environments": {"dev": {"datasets": list(datasets)}}}}


def dataset(name, **extra):
    return {"name": name, "columns": [{"name": "id", "type": "string"}], **extra}


def test_the_reserved_prefixes_are_the_ones_the_platform_writes():
    layout = PartitionLayout("clicks")
    assert layout.firehose_error_prefix().split("/", 1)[0] in RESERVED_PREFIX_ROOTS
    assert {STAGING_PREFIX_ROOT, BACKUP_PREFIX_ROOT} < set(RESERVED_PREFIX_ROOTS)


@pytest.mark.parametrize("name", sorted(RESERVED_PREFIX_ROOTS))
def test_datasets_named_like_a_platform_prefix_are_rejected(name):
    with pytest.raises(ValueError, match=rf"dataset name '{name}' collides with the platform"):
        Dataset(name, COLUMNS)
    with pytest.raises(ValueError, match=rf"dataset '{name}' collides with the platform's own"):
        PartitionLayout(name)
    with pytest.raises(ConfigError, match=rf"^{AT}\.datasets\[0\]\.name: dataset name '{name}'"):
        settings_from_context(context(dataset(name)), "dev")


def test_names_colliding_after_normalisation_are_rejected_naming_both():
    with pytest.raises(ValueError, match=r"names 'events-1' and 'events1' collide after norm"):
        datasets_by_name([Dataset("events-1", COLUMNS), Dataset("events1", COLUMNS)])
    with pytest.raises(
        ConfigError,
        match=rf"^{AT}\.datasets\[1\]\.name: 'events1' collides with {AT}\.datasets\[0\]\.name "
        r"'events-1' after normalisation \(both give construct ids Events1\.\.\.\)",
    ):
        settings_from_context(context(dataset("events-1"), dataset("events1")), "dev")


def test_one_dataset_where_a_sequence_belongs_says_how_to_fix_it():
    with pytest.raises(TypeError, match=r"got Dataset \(wrap one dataset in a list: \[dataset\]\)"):
        datasets_by_name(Dataset("events", COLUMNS))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="datasets must be Dataset objects, got str"):
        datasets_by_name(["events"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="columns must be a sequence of Column, got Column"):
        Dataset("events", Column("id", "string"))  # type: ignore[arg-type]


def test_glue_comment_and_description_limits():
    assert Column("id", "string", "c" * 255).comment == "c" * 255
    with pytest.raises(ValueError, match=r"comment of column 'id' must be ≤ 255 characters \(Glue"):
        Column("id", "string", "c" * 256)
    assert Dataset("events", COLUMNS, description="d" * 2048).description
    with pytest.raises(ValueError, match=r"dataset 'events': description must be ≤ 2048 char"):
        Dataset("events", COLUMNS, description="d" * 2049)
    long_comment = dataset("events")
    long_comment["columns"][0]["comment"] = "c" * 256
    with pytest.raises(ConfigError, match=rf"^{AT}\.datasets\[0\]\.columns\[0\]\.comment: comm"):
        settings_from_context(context(long_comment), "dev")
    with pytest.raises(ConfigError, match=rf"^{AT}\.datasets\[0\]\.description: dataset 'events'"):
        settings_from_context(context(dataset("events", description="d" * 2049)), "dev")


def test_an_explicit_table_description_is_within_glues_limit():
    import aws_cdk as cdk
    from aws_cdk import aws_s3 as s3

    from ml_data_platform.catalog import LakeTable
    from tests.conftest import make_app

    stack = cdk.Stack(make_app(), "Describe")
    bucket = s3.Bucket.from_bucket_name(stack, "B", "lake-raw")
    table = LakeTable(stack, "Ok", database="db", bucket=bucket, table_name="t", columns=COLUMNS,
                      description="d" * 2048)  # fmt: skip
    assert table.table_name == "t"
    with pytest.raises(ValueError, match=r"table 't': description must be ≤ 2048 characters"):
        LakeTable(stack, "Long", database="db", bucket=bucket, table_name="t", columns=COLUMNS,
                  description="d" * 2049)  # fmt: skip
