"""CatalogStack: composition, snapshot, pinned logical IDs, cfn-lint-clean wiring."""

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Template

from ml_data_platform.datasets import Column, DataFormat, Dataset
from ml_data_platform.stacks import StorageStack
from ml_data_platform.stacks.catalog_stack import CatalogStack
from tests.conftest import (
    assert_matches_snapshot,
    logical_ids,
    make_app,
    only_resource,
    resources_of_type,
)

DATASETS = (
    Dataset("clicks", [Column("user_id", "string"), Column("ts", "timestamp")]),
    Dataset("features", [Column("id", "bigint")], data_format=DataFormat.PARQUET),
)

# Renaming a construct must fail here rather than replace a database or table on deploy.
PINNED_CATALOG_IDS = {
    "AWS::Glue::Database": {
        "CatalogRawDatabaseCC29CEE7",
        "CatalogCuratedDatabaseBB03A401",
        "CatalogAnalyticsDatabaseAC5F19F3",
    },
    "AWS::Glue::Table": {"ClicksTable5FD4E0B7", "FeaturesTableBB49801F"},
    "AWS::Glue::Crawler": {"CuratedCrawler00CB38E4", "AnalyticsCrawler977F40B0"},
    "AWS::Glue::SecurityConfiguration": {"CrawlerSecurityE00904D9"},
    "AWS::Athena::WorkGroup": {"AthenaWorkGroup3D21B179"},
}


@pytest.fixture(scope="module")
def stacks():
    app = make_app()
    storage = StorageStack(app, "Storage")
    catalog = CatalogStack(app, "Catalog", data_lake=storage.data_lake, datasets=DATASETS)
    return storage, catalog, Template.from_stack(catalog)


@pytest.mark.parametrize("resource_type", sorted(PINNED_CATALOG_IDS))
def test_catalog_stack_logical_ids_are_pinned(stacks, resource_type):
    _, _, template = stacks
    assert logical_ids(template, resource_type) == PINNED_CATALOG_IDS[resource_type]


def test_catalog_stack_matches_snapshot(stacks):
    assert_matches_snapshot("catalog_stack", stacks[2])


def lake_key_output(value):
    """The storage stack's published lake-key ARN (a weak cross-stack reference)."""
    reference = value["Fn::GetStackOutput"]
    return reference["StackName"] == "Storage" and reference["OutputName"].startswith(
        "PublishOutputFnGetAttDataLakeKeyBF9D10ACArn"
    )


def test_workgroup_enforces_kms_encrypted_results_and_a_cutoff(stacks):
    _, _, template = stacks
    _, workgroup = only_resource(template, "AWS::Athena::WorkGroup")
    configuration = workgroup["Properties"]["WorkGroupConfiguration"]
    assert configuration["EnforceWorkGroupConfiguration"] is True
    assert configuration["BytesScannedCutoffPerQuery"] == 10 * 1024**3  # default: 10 GiB
    results = configuration["ResultConfiguration"]
    assert results["EncryptionConfiguration"]["EncryptionOption"] == "SSE_KMS"
    assert lake_key_output(results["EncryptionConfiguration"]["KmsKey"])
    assert results["ExpectedBucketOwner"] == {"Ref": "AWS::AccountId"}


def test_crawlers_use_the_kms_security_configuration(stacks):
    _, _, template = stacks
    _, security = only_resource(template, "AWS::Glue::SecurityConfiguration")
    encryption = security["Properties"]["EncryptionConfiguration"]
    assert encryption["CloudWatchEncryption"]["CloudWatchEncryptionMode"] == "SSE-KMS"
    assert encryption["JobBookmarksEncryption"]["JobBookmarksEncryptionMode"] == "CSE-KMS"
    assert [e["S3EncryptionMode"] for e in encryption["S3Encryptions"]] == ["SSE-KMS"]
    for key in (
        encryption["CloudWatchEncryption"]["KmsKeyArn"],
        encryption["JobBookmarksEncryption"]["KmsKeyArn"],
        encryption["S3Encryptions"][0]["KmsKeyArn"],
    ):
        assert lake_key_output(key), key
    crawlers = resources_of_type(template, "AWS::Glue::Crawler")
    assert set(crawlers) == PINNED_CATALOG_IDS["AWS::Glue::Crawler"]
    for logical_id, crawler in crawlers.items():
        assert (
            crawler["Properties"]["CrawlerSecurityConfiguration"] == security["Properties"]["Name"]
        ), logical_id


def test_catalog_stack_composition(stacks):
    _, catalog, template = stacks
    assert sorted(catalog.tables) == ["clicks", "features"]
    assert sorted(catalog.crawlers) == ["analytics", "curated"]
    assert catalog.lake_formation is None
    assert catalog.catalog.database_name("raw") == "mldp_raw"
    for table in catalog.tables.values():
        assert catalog.resolve(table.database_name) == {
            "Ref": catalog.get_logical_id(catalog.catalog.databases["raw"])
        }
    template.resource_count_is("AWS::Glue::DataCatalogEncryptionSettings", 0)
    template.resource_count_is("AWS::LakeFormation::Resource", 0)
    template.resource_count_is("AWS::IAM::Policy", 0)  # no inline policies
    template.resource_count_is("AWS::KMS::Key", 0)  # the lake key is reused
    assert "111111111111" not in str(template.to_json())


def test_catalog_stack_reads_the_lake_through_cross_stack_references(stacks):
    _, _, template = stacks
    database = resources_of_type(template, "AWS::Glue::Database")["CatalogRawDatabaseCC29CEE7"]
    location = str(database["Properties"]["DatabaseInput"]["LocationUri"])
    assert "DataLakeRawZoneBucket" in location


def test_a_catalog_encrypted_elsewhere_is_decrypted_by_the_crawlers():
    app = make_app()
    storage = StorageStack(app, "Storage")
    key = kms.Key.from_key_arn(
        storage, "CatalogKey", "arn:aws:kms:us-east-1:111111111111:key/catalog"
    )
    catalog = CatalogStack(app, "Catalog", data_lake=storage.data_lake, catalog_key=key)
    assert catalog.catalog.catalog_key is key
    template = Template.from_stack(catalog)
    template.resource_count_is("AWS::Glue::DataCatalogEncryptionSettings", 0)
    crawler_policies = str(resources_of_type(template, "AWS::IAM::ManagedPolicy"))
    assert "arn:aws:kms:us-east-1:111111111111:key/catalog" in crawler_policies


def test_catalog_stack_options_and_grant_query():
    app = make_app()
    storage = StorageStack(app, "Storage")
    catalog = CatalogStack(
        app,
        "Catalog",
        data_lake=storage.data_lake,
        datasets=DATASETS[:1],
        database_prefix="acme",
        crawler_zones=(),
        bytes_scanned_cutoff=100 * 1024 * 1024,
        encrypt_catalog=True,
        lake_formation=True,
    )
    role = iam.Role(catalog, "Analyst", assumed_by=iam.AccountRootPrincipal())
    catalog.grant_query(role, zones=["curated"], tables=["clicks"])
    template = Template.from_stack(catalog)
    template.resource_count_is("AWS::Glue::Crawler", 0)
    template.resource_count_is("AWS::Glue::SecurityConfiguration", 0)
    template.resource_count_is("AWS::Glue::DataCatalogEncryptionSettings", 1)
    template.resource_count_is("AWS::LakeFormation::Resource", 3)
    names = {
        r["Properties"]["DatabaseInput"]["Name"]
        for r in resources_of_type(template, "AWS::Glue::Database").values()
    }
    assert names == {"acme_raw", "acme_curated", "acme_analytics"}
    (workgroup,) = resources_of_type(template, "AWS::Athena::WorkGroup").values()
    assert workgroup["Properties"]["WorkGroupConfiguration"]["BytesScannedCutoffPerQuery"] == (
        104_857_600
    )
    with pytest.raises(KeyError, match=r"no tables \['orders'\]; tables are \['clicks'\]"):
        catalog.grant_query(role, tables=["orders"])


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"data_lake": "lake"}, TypeError, r"data_lake must be a DataLake, got str"),
        ({"datasets": ["clicks"]}, TypeError, r"datasets must be Dataset objects, got str"),
        ({"datasets": [DATASETS[0], DATASETS[0]]}, ValueError, r"duplicate names \['clicks'\]"),
        ({"crawler_zones": "curated"}, TypeError, r"crawler_zones must be a sequence of zones"),
        ({"crawler_zones": ["gold"]}, KeyError, r"no zone 'gold' in the catalog"),
        ({"crawler_schedule": "daily"}, ValueError, r"schedule 'daily' is not a valid Glue cron"),
        ({"bytes_scanned_cutoff": 1024}, ValueError, r"bytes_scanned_cutoff must be ≥ 10485760"),
        ({"database_prefix": "ML"}, ValueError, r"database_prefix 'ML' must be"),
        (
            {"removal_policy": cdk.RemovalPolicy.DESTROY},
            ValueError,
            r"removal_policy=DESTROY at 'Catalog/Catalog' would delete data",
        ),
    ],
)
def test_catalog_stack_bad_input(kwargs, error, message):
    app = make_app()
    storage = StorageStack(app, "Storage")
    kwargs = {"data_lake": storage.data_lake, "datasets": DATASETS, **kwargs}
    with pytest.raises(error, match=message):
        CatalogStack(app, "Catalog", **kwargs)
