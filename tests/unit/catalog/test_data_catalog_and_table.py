"""DataCatalog and LakeTable: databases, encryption settings, SerDe, projection, validation."""

import re

import aws_cdk as cdk
import pytest
from aws_cdk import aws_glue as glue
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from ml_data_platform.catalog import DataCatalog, LakeTable, TableFormat, validate_projection
from ml_data_platform.core.removal import ALLOW_DESTROY_CONTEXT
from ml_data_platform.datasets import Column, DataFormat, Dataset
from ml_data_platform.storage import DataLake, DataLakeZone, PartitionGranularity, PartitionLayout
from tests.conftest import TEST_ENV, make_app, only_resource, resources_of_type

CLICKS = Dataset(
    "click-stream",
    [Column("user_id", "string"), Column("price", "decimal(10,2)"), Column("ts", "timestamp")],
    description="Clicks",
)
FEATURES = Dataset(
    "features",
    [Column("id", "bigint"), Column("vector", "array<double>")],
    granularity=PartitionGranularity.DAY,
    data_format=DataFormat.PARQUET,
)


@pytest.fixture(scope="module")
def built():
    stack = cdk.Stack(make_app(), "Cat", env=TEST_ENV)
    lake = DataLake(stack, "Lake")
    catalog = DataCatalog(stack, "Catalog", lake=lake)
    raw = catalog.database("raw")
    tables = {
        "clicks": LakeTable(
            stack, "Clicks", database=raw, bucket=lake.zone("raw").bucket, dataset=CLICKS
        ),
        "features": LakeTable(
            stack, "Features", database=raw, bucket=lake.zone("raw").bucket, dataset=FEATURES
        ),
        "export": LakeTable(
            stack,
            "Export",
            database="mldp_analytics",
            bucket=lake.zone("analytics").bucket,
            table_name="daily_export",
            columns=[("id", "bigint"), Column("label", "string", comment="gold label")],
            partition_keys=[("run", "string")],
            table_format=TableFormat.CSV,
            location_prefix="exports",
        ),
    }
    return stack, lake, catalog, tables, Template.from_stack(stack)


def table_props(template, name):
    tables = resources_of_type(template, "AWS::Glue::Table")
    (props,) = [
        r["Properties"] for r in tables.values() if r["Properties"]["TableInput"]["Name"] == name
    ]
    return props


def bucket_ref(stack, lake, zone):
    return {"Ref": stack.get_logical_id(lake.zone(zone).bucket.node.default_child)}


def test_one_retained_database_per_zone_located_at_the_zone_bucket(built):
    stack, lake, catalog, _, template = built
    databases = resources_of_type(template, "AWS::Glue::Database")
    assert len(databases) == 3
    for zone in ("raw", "curated", "analytics"):
        logical_id = stack.get_logical_id(catalog.databases[zone])
        resource = databases[logical_id]
        assert resource["DeletionPolicy"] == "Retain"
        assert resource["UpdateReplacePolicy"] == "Retain"
        assert resource["Properties"]["CatalogId"] == "111111111111"
        assert resource["Properties"]["DatabaseInput"]["Name"] == f"mldp_{zone}"
        assert resource["Properties"]["DatabaseInput"]["LocationUri"] == {
            "Fn::Join": ["", ["s3://", bucket_ref(stack, lake, zone), "/"]]
        }
    assert catalog.database_name("curated") == "mldp_curated"
    template.resource_count_is("AWS::Glue::DataCatalogEncryptionSettings", 0)
    assert catalog.catalog_encrypted is False
    assert catalog.catalog_key is None
    assert catalog.database_prefix == "mldp"
    with pytest.raises(KeyError, match=r"no zone 'gold' in the catalog; zones are \['analytics'"):
        catalog.database_name("gold")


def test_json_table_uses_openx_serde_gzip_text_input_and_integer_projection(built):
    stack, lake, _, _, template = built
    props = table_props(template, "click_stream")
    table_input = props["TableInput"]
    assert table_input["TableType"] == "EXTERNAL_TABLE"
    assert table_input["Description"] == "Clicks"
    descriptor = table_input["StorageDescriptor"]
    assert descriptor["InputFormat"] == "org.apache.hadoop.mapred.TextInputFormat"
    assert descriptor["OutputFormat"] == (
        "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
    )
    assert descriptor["SerdeInfo"] == {
        "SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe",
        "Parameters": {"serialization.format": "1"},
    }
    assert descriptor["Columns"] == [
        {"Name": "user_id", "Type": "string"},
        {"Name": "price", "Type": "decimal(10,2)"},
        {"Name": "ts", "Type": "timestamp"},
    ]
    assert descriptor["Location"] == {
        "Fn::Join": ["", ["s3://", bucket_ref(stack, lake, "raw"), "/click-stream/"]]
    }
    assert table_input["PartitionKeys"] == [
        {"Name": k, "Type": "int"} for k in ("year", "month", "day", "hour")
    ]
    params = table_input["Parameters"]
    assert params["classification"] == "json"
    assert params["compressionType"] == "gzip"
    assert params["projection.enabled"] == "true"
    assert params["projection.year.range"] == "2020,2099"
    assert params["projection.month.range"] == "1,12"
    assert params["projection.month.digits"] == "2"
    assert params["projection.hour.type"] == "integer"
    assert params["projection.hour.range"] == "0,23"


def _firehose_to_template(prefix: str) -> str:
    """``clicks/year=!{timestamp:yyyy}/...`` -> ``clicks/year=${year}/...``."""
    return re.sub(r"(\w+)=!\{timestamp:[A-Za-z]+\}", r"\1=${\1}", prefix)


@pytest.mark.parametrize(("name", "dataset"), [("click_stream", CLICKS), ("features", FEATURES)])
def test_projection_template_is_the_firehose_prefix(built, name, dataset):
    stack, lake, _, _, template = built
    template_value = table_props(template, name)["TableInput"]["Parameters"][
        "storage.location.template"
    ]
    assert template_value == {
        "Fn::Join": [
            "",
            [
                "s3://",
                bucket_ref(stack, lake, "raw"),
                "/" + _firehose_to_template(dataset.layout.firehose_prefix()),
            ],
        ]
    }
    # Every partition key of the synthesized table has its placeholder in the template.
    keys = [k["Name"] for k in table_props(template, name)["TableInput"]["PartitionKeys"]]
    assert keys == list(dataset.layout.partition_keys)
    location = template_value["Fn::Join"][1][-1]
    assert [f"${{{k}}}" for k in keys] == re.findall(r"\$\{\w+\}", location)


def test_parquet_table_uses_parquet_serde_and_day_partitions(built):
    _, _, _, tables, template = built
    table_input = table_props(template, "features")["TableInput"]
    descriptor = table_input["StorageDescriptor"]
    assert descriptor["SerdeInfo"]["SerializationLibrary"] == (
        "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    )
    assert descriptor["InputFormat"].endswith("MapredParquetInputFormat")
    assert descriptor["OutputFormat"].endswith("MapredParquetOutputFormat")
    assert table_input["Parameters"]["classification"] == "parquet"
    assert "compressionType" not in table_input["Parameters"]
    assert [k["Name"] for k in table_input["PartitionKeys"]] == ["year", "month", "day"]
    assert "projection.hour.type" not in table_input["Parameters"]
    assert isinstance(tables["features"].table, glue.CfnTable)
    assert tables["features"].table_name == "features"


def test_explicit_csv_table_without_projection(built):
    stack, lake, _, tables, template = built
    props = table_props(template, "daily_export")
    assert props["DatabaseName"] == "mldp_analytics"
    table_input = props["TableInput"]
    assert table_input["Parameters"] == {"classification": "csv", "EXTERNAL": "TRUE"}
    assert table_input["PartitionKeys"] == [{"Name": "run", "Type": "string"}]
    descriptor = table_input["StorageDescriptor"]
    assert descriptor["SerdeInfo"] == {
        "SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
        "Parameters": {"field.delim": ",", "serialization.format": ","},
    }
    assert descriptor["Columns"][1] == {"Name": "label", "Type": "string", "Comment": "gold label"}
    assert descriptor["Location"] == {
        "Fn::Join": ["", ["s3://", bucket_ref(stack, lake, "analytics"), "/exports/"]]
    }
    assert tables["export"].database_name == "mldp_analytics"
    assert tables["export"].location_prefix == "exports/"


def test_table_database_name_is_a_ref_to_the_database(built):
    stack, _, catalog, tables, template = built
    props = table_props(template, "click_stream")
    assert props["DatabaseName"] == {"Ref": stack.get_logical_id(catalog.databases["raw"])}
    assert stack.resolve(tables["clicks"].database_name) == props["DatabaseName"]


def test_catalog_encryption_and_mapping_input():
    app = make_app(**{ALLOW_DESTROY_CONTEXT: True})
    stack = cdk.Stack(app, "Enc", env=TEST_ENV)
    lake = DataLake(stack, "Lake", zones=[DataLakeZone("feature-store")])
    imported = s3.Bucket.from_bucket_name(stack, "Imported", "team-landing")
    catalog = DataCatalog(
        stack,
        "Catalog",
        lake={"landing": imported, "feature-store": lake.zone("feature-store").bucket},
        encryption_key=lake.key,
        database_prefix="acme-ml",
        encrypt_catalog=True,
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    template = Template.from_stack(stack)
    names = {
        r["Properties"]["DatabaseInput"]["Name"]: r
        for r in resources_of_type(template, "AWS::Glue::Database").values()
    }
    assert set(names) == {"acme_ml_landing", "acme_ml_feature_store"}
    assert names["acme_ml_landing"]["DeletionPolicy"] == "Delete"
    assert names["acme_ml_landing"]["Properties"]["DatabaseInput"]["LocationUri"] == (
        "s3://team-landing/"
    )
    assert set(catalog.databases) == {"landing", "feature-store"}
    assert catalog.catalog_key is lake.key and catalog.catalog_encrypted is True
    key_arn = {"Fn::GetAtt": [stack.get_logical_id(lake.key.node.default_child), "Arn"]}
    _, settings = only_resource(template, "AWS::Glue::DataCatalogEncryptionSettings")
    assert settings["Properties"] == {
        "CatalogId": "111111111111",
        "DataCatalogEncryptionSettings": {
            "EncryptionAtRest": {"CatalogEncryptionMode": "SSE-KMS", "SseAwsKmsKeyId": key_arn},
            "ConnectionPasswordEncryption": {
                "ReturnConnectionPasswordEncrypted": True,
                "KmsKeyId": key_arn,
            },
        },
    }


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"database_prefix": "My-Lake"}, ValueError, r"database_prefix 'My-Lake' must be"),
        ({"database_prefix": "1abc"}, ValueError, r"database_prefix '1abc' must be"),
        ({"lake": "bucket-name"}, TypeError, r"lake must be a DataLake or a mapping"),
        ({"lake": {"raw": "bucket"}}, TypeError, r"lake\['raw'\] must be an IBucket"),
        ({"lake": {}}, ValueError, r"lake must name at least one zone"),
        ({"lake": {"Raw": None}}, ValueError, r"zone 'Raw' must be 1–31 lowercase"),
        ({"encryption_key": "alias/x"}, TypeError, r"encryption_key must be an IKey"),
        (
            {"removal_policy": cdk.RemovalPolicy.DESTROY},
            ValueError,
            r"removal_policy=DESTROY at 'Bad/C' would delete data",
        ),
    ],
)
def test_catalog_bad_input(kwargs, error, message):
    stack = cdk.Stack(make_app(), "Bad")
    bucket = s3.Bucket.from_bucket_name(stack, "B", "some-bucket")
    kwargs.setdefault("lake", {"raw": bucket})
    with pytest.raises(error, match=message):
        DataCatalog(stack, "C", **kwargs)


def test_zone_names_that_collide_as_construct_ids_are_refused():
    stack = cdk.Stack(make_app(), "Collide")
    bucket = s3.Bucket.from_bucket_name(stack, "B", "some-bucket")
    with pytest.raises(
        ValueError,
        match=r"lake: zone names \['a-b', 'a--b'\] collide as construct ids \['AB', 'AB'\]",
    ):
        DataCatalog(stack, "C", lake={"a-b": bucket, "a--b": bucket})


def test_catalog_encryption_needs_a_key():
    stack = cdk.Stack(make_app(), "NoKey")
    bucket = s3.Bucket.from_bucket_name(stack, "B", "some-bucket")
    with pytest.raises(ValueError, match=r"encrypt_catalog=True needs encryption_key"):
        DataCatalog(stack, "C", lake={"x": bucket}, encrypt_catalog=True)


def test_catalog_encrypted_elsewhere_is_known_by_its_key_without_owning_the_setting():
    stack = cdk.Stack(make_app(), "Elsewhere")
    bucket = s3.Bucket.from_bucket_name(stack, "B", "some-bucket")
    key = kms.Key.from_key_arn(stack, "K", "arn:aws:kms:us-east-1:111111111111:key/catalog")
    catalog = DataCatalog(stack, "C", lake={"x": bucket}, catalog_key=key)
    assert catalog.catalog_key is key and catalog.catalog_encrypted is True
    assert catalog.encryption_settings is None
    Template.from_stack(stack).resource_count_is("AWS::Glue::DataCatalogEncryptionSettings", 0)
    with pytest.raises(
        ValueError, match=r"pass encrypt_catalog=True .* or catalog_key .*, not both"
    ):
        DataCatalog(
            stack,
            "Both",
            lake={"x": bucket},
            encryption_key=key,
            encrypt_catalog=True,
            catalog_key=key,
        )
    with pytest.raises(TypeError, match=r"catalog_key must be an IKey"):
        DataCatalog(stack, "Alias", lake={"x": bucket}, catalog_key="alias/catalog")


@pytest.fixture
def scratch():
    stack = cdk.Stack(make_app(), "T")
    return stack, s3.Bucket.from_bucket_name(stack, "B", "some-bucket")


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"table_name": "Bad-Name", "columns": [("a", "string")]},
            ValueError,
            r"table_name 'Bad-Name' is not a valid Glue",
        ),
        (
            {"table_name": "t", "columns": [("Bad", "string")]},
            ValueError,
            r"column name 'Bad' is not a valid",
        ),
        (
            {"table_name": "t", "columns": [("a", "varchar")]},
            ValueError,
            r"type of column 'a' 'varchar' is not a Glue/Hive type",
        ),
        (
            {"table_name": "t", "columns": [("a", "int"), ("a", "string")]},
            ValueError,
            r"duplicate columns \['a'\]",
        ),
        (
            {"table_name": "t", "columns": [("a", "int")], "partition_keys": [("a", "string")]},
            ValueError,
            r"partition keys \['a'\] duplicate columns",
        ),
        (
            {
                "table_name": "t",
                "columns": [("a", "int")],
                "partition_keys": [("p", "int"), ("p", "int")],
            },
            ValueError,
            r"duplicate partition keys \['p'\]",
        ),
        (
            {"table_name": "t", "columns": [("day", "int")], "layout": PartitionLayout("x")},
            ValueError,
            r"partition keys \['day'\] duplicate columns",
        ),
        ({"table_name": "t", "columns": []}, ValueError, r"columns must list at least one column"),
        (
            {"table_name": "t", "columns": ["a string"]},
            TypeError,
            r"expected a Column or a \(name, type\) pair",
        ),
        ({"table_name": "t", "columns": "a"}, TypeError, r"must be a sequence of Column"),
        ({"table_name": "t"}, ValueError, r"needs either dataset, or table_name and columns"),
        (
            {"table_name": "t", "columns": [("a", "int")], "location_prefix": "/x"},
            ValueError,
            r"table 't': location_prefix '/x' must be a relative key prefix",
        ),
        (
            {"table_name": "t", "columns": [("a", "int")], "location_prefix": "a//b"},
            ValueError,
            r"table 't': location_prefix 'a//b' must be a relative key prefix",
        ),
        (
            {"table_name": "t", "columns": [("a", "int")], "location_prefix": "exports/*"},
            ValueError,
            r"table 't': location_prefix 'exports/\*' must be a relative key prefix",
        ),
        (
            {"table_name": "t", "columns": [("a", "int")], "location_prefix": 5},
            TypeError,
            r"table 't': location_prefix must be a string, got int",
        ),
        (
            {"table_name": "t", "columns": [("a", "int")], "layout": "x/"},
            TypeError,
            r"layout must be a PartitionLayout, got str",
        ),
        (
            {"dataset": CLICKS, "projection_overrides": {"projection.year.range": 2030}},
            ValueError,
            r"table 'click_stream' partition projection: projection.year.range must be a "
            r"string, got 2030",
        ),
        (
            {"dataset": CLICKS, "columns": [("a", "int")]},
            ValueError,
            r"\['columns'\] come from the dataset",
        ),
        ({"dataset": "clicks"}, TypeError, r"dataset must be a Dataset, got str"),
        (
            {"dataset": CLICKS, "database": 42},
            TypeError,
            r"database must be a CfnDatabase or a database name",
        ),
        (
            {"dataset": CLICKS, "database": "Raw DB"},
            ValueError,
            r"database 'Raw DB' is not a valid",
        ),
        ({"dataset": CLICKS, "bucket": "raw-bucket"}, TypeError, r"bucket must be an IBucket"),
        (
            {"dataset": CLICKS, "table_format": "json"},
            TypeError,
            r"table_format must be a TableFormat",
        ),
        (
            {
                "table_name": "t",
                "columns": [("a", "int")],
                "layout": PartitionLayout("x"),
                "location_prefix": "y/",
            },
            ValueError,
            r"pass layout or location_prefix, not both",
        ),
        (
            {
                "table_name": "t",
                "columns": [("a", "int")],
                "projection_overrides": {"projection.x.type": "enum"},
            },
            ValueError,
            r"projection_overrides need a layout",
        ),
        (
            {"dataset": CLICKS, "projection_overrides": {"projection.year.range": "2030,2024"}},
            ValueError,
            r"projection.year.range must be 'min,max' integers with min ≤ max, got '2030,2024'",
        ),
        (
            {"dataset": CLICKS, "projection_overrides": {"projection.hour.type": "hourly"}},
            ValueError,
            r"projection.hour.type must be one of",
        ),
        (
            {"dataset": CLICKS, "projection_overrides": {"projection.minute.type": "integer"}},
            ValueError,
            r"projection.minute.type names no partition key",
        ),
        (
            {
                "dataset": CLICKS,
                "projection_overrides": {"storage.location.template": "s3://b/clicks/${year}/"},
            },
            ValueError,
            r"storage.location.template lacks",
        ),
    ],
)
def test_table_bad_input(scratch, kwargs, error, message):
    stack, bucket = scratch
    kwargs = {"database": "mldp_raw", "bucket": bucket, **kwargs}
    with pytest.raises(error, match=message):
        LakeTable(stack, "Table", **kwargs)


def test_projection_overrides_narrow_the_range(scratch):
    stack, bucket = scratch
    table = LakeTable(
        stack,
        "Narrow",
        database="mldp_raw",
        bucket=bucket,
        dataset=CLICKS,
        projection_overrides={"projection.year.range": "2024,2030"},
    )
    assert table.parameters["projection.year.range"] == "2024,2030"
    assert table.parameters["storage.location.template"] == (
        "s3://some-bucket/click-stream/year=${year}/month=${month}/day=${day}/hour=${hour}/"
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"projection.enabled": "false"}, "projection.enabled must be 'true'"),
        (
            {
                "projection.enabled": "true",
                "projection.d.type": "date",
                "projection.d.range": "NOW",
            },
            "projection.d.range must be 'start,end'",
        ),
        (
            {
                "projection.enabled": "true",
                "projection.d.type": "date",
                "projection.d.range": "2024/01/01,NOW",
            },
            "projection.d.format is required",
        ),
        ({"projection.enabled": "true", "projection.d.type": "enum"}, "values must list"),
        (
            {
                "projection.enabled": "true",
                "projection.d.type": "injected",
                "storage.location.template": "/x/${d}",
            },
            "must be an s3:// URI",
        ),
    ],
)
def test_validate_projection_rules(params, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        validate_projection(params, ["d"], "t")
    validate_projection(
        {
            "projection.enabled": "true",
            "projection.d.type": "date",
            "projection.d.range": "2024/01/01,NOW",
            "projection.d.format": "yyyy/MM/dd",
        },
        ["d"],
        "t",
    )
