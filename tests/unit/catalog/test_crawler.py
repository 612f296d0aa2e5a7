"""LakeCrawler and CrawlerSecurityConfiguration: encryption, targets, policies, role scoping."""

import re

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from ml_data_platform.catalog import (
    CrawlerSecurityConfiguration,
    DataCatalog,
    LakeCrawler,
    RecrawlBehavior,
    SchemaDeleteBehavior,
    SchemaUpdateBehavior,
    validate_glue_cron,
)
from ml_data_platform.compliance.wildcards import wildcard_findings
from ml_data_platform.storage import DataLake
from tests.conftest import TEST_ENV, make_app, only_resource


@pytest.fixture(scope="module")
def built():
    stack = cdk.Stack(make_app(), "Crawl", env=TEST_ENV)
    lake = DataLake(stack, "Lake")
    catalog = DataCatalog(stack, "Catalog", lake=lake)
    default = LakeCrawler(stack, "Curated", catalog=catalog, zone="curated")
    tuned = LakeCrawler(
        stack,
        "Analytics",
        catalog=catalog,
        zone="analytics",
        prefixes=["reports", "exports/"],
        security_configuration=default.security_configuration,
        schedule="0 */6 * * ? *",
        delete_behavior=SchemaDeleteBehavior.DELETE_FROM_DATABASE,
        table_prefix="crawled_",
        crawler_name="mldp-analytics",
        exclusions=["**/_temporary/**"],
    )
    return stack, lake, catalog, default, tuned, Template.from_stack(stack)


def crawler_props(stack, template, crawler):
    return template.to_json()["Resources"][stack.get_logical_id(crawler.crawler)]["Properties"]


def policy_statements(stack, template, crawler):
    policy = template.to_json()["Resources"][
        stack.get_logical_id(crawler.policy.node.default_child)
    ]
    return {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}


def test_security_configuration_encrypts_s3_logs_and_bookmarks_with_the_key(built):
    stack, lake, _, default, _, template = built
    _, resource = only_resource(template, "AWS::Glue::SecurityConfiguration")
    key_arn = {"Fn::GetAtt": [stack.get_logical_id(lake.key.node.default_child), "Arn"]}
    assert resource["Properties"]["EncryptionConfiguration"] == {
        "S3Encryptions": [{"S3EncryptionMode": "SSE-KMS", "KmsKeyArn": key_arn}],
        "CloudWatchEncryption": {"CloudWatchEncryptionMode": "SSE-KMS", "KmsKeyArn": key_arn},
        "JobBookmarksEncryption": {"JobBookmarksEncryptionMode": "CSE-KMS", "KmsKeyArn": key_arn},
    }
    assert resource["Properties"]["Name"] == default.security_configuration.name
    assert default.security_configuration.name.startswith("Crawl-Curated-SecurityConfiguration")


def test_default_crawler_targets_the_zone_daily_with_safe_policies(built):
    stack, lake, catalog, default, _, template = built
    props = crawler_props(stack, template, default)
    assert props["DatabaseName"] == "mldp_curated"
    assert props["Targets"] == {
        "S3Targets": [
            {
                "Path": {
                    "Fn::Join": [
                        "",
                        [
                            "s3://",
                            {
                                "Ref": stack.get_logical_id(
                                    lake.zone("curated").bucket.node.default_child
                                )
                            },
                            "/",
                        ],
                    ]
                }
            }
        ]
    }
    assert props["Schedule"] == {"ScheduleExpression": "cron(0 2 * * ? *)"}
    assert props["SchemaChangePolicy"] == {
        "UpdateBehavior": "UPDATE_IN_DATABASE",
        "DeleteBehavior": "LOG",
    }
    assert props["RecrawlPolicy"] == {"RecrawlBehavior": "CRAWL_EVERYTHING"}
    assert props["CrawlerSecurityConfiguration"] == default.security_configuration.name
    assert props["Role"] == {
        "Fn::GetAtt": [stack.get_logical_id(default.role.node.default_child), "Arn"]
    }
    assert "Name" not in props and "TablePrefix" not in props
    depends = template.to_json()["Resources"][stack.get_logical_id(default.crawler)]["DependsOn"]
    assert stack.get_logical_id(catalog.databases["curated"]) in depends
    assert stack.get_logical_id(default.security_configuration.security_configuration) in depends


def test_tuned_crawler_targets_prefixes_and_shares_the_security_configuration(built):
    stack, _, _, default, tuned, template = built
    props = crawler_props(stack, template, tuned)
    targets = props["Targets"]["S3Targets"]
    assert [t["Path"]["Fn::Join"][1][-1] for t in targets] == ["/reports/", "/exports/"]
    assert all(t["Exclusions"] == ["**/_temporary/**"] for t in targets)
    assert props["Schedule"] == {"ScheduleExpression": "cron(0 */6 * * ? *)"}
    assert props["SchemaChangePolicy"]["DeleteBehavior"] == "DELETE_FROM_DATABASE"
    assert props["TablePrefix"] == "crawled_"
    assert props["Name"] == "mldp-analytics"
    assert tuned.security_configuration is default.security_configuration
    template.resource_count_is("AWS::Glue::SecurityConfiguration", 1)


def test_crawler_role_is_scoped_and_uses_no_aws_managed_policy(built):
    stack, lake, _, default, _, template = built
    role = template.to_json()["Resources"][stack.get_logical_id(default.role.node.default_child)]
    assert "ManagedPolicyArns" not in role["Properties"]
    assert "Policies" not in role["Properties"]
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "glue.amazonaws.com"
    }
    statements = policy_statements(stack, template, default)
    bucket_arn = {
        "Fn::GetAtt": [stack.get_logical_id(lake.zone("curated").bucket.node.default_child), "Arn"]
    }
    assert statements["ListCrawledPrefixes"]["Resource"] == bucket_arn
    assert "Condition" not in statements["ListCrawledPrefixes"]
    assert statements["ReadCrawledObjects"]["Action"] == "s3:GetObject"
    assert statements["ReadCrawledObjects"]["Resource"] == {"Fn::Join": ["", [bucket_arn, "/*"]]}
    assert statements["DecryptLakeData"]["Action"] == "kms:Decrypt"
    glue_actions = statements["WriteZoneCatalog"]["Action"]
    assert "glue:CreateTable" in glue_actions and "glue:BatchCreatePartition" in glue_actions
    assert not any("Delete" in a for a in glue_actions)
    resources = str(statements["WriteZoneCatalog"]["Resource"])
    assert ":catalog" in resources and "database/mldp_curated" in resources
    assert "table/mldp_curated/*" in resources and "mldp_raw" not in resources
    logs = statements["WriteEncryptedCrawlerLogs"]
    assert "logs:AssociateKmsKey" in logs["Action"]
    assert "log-group:/aws-glue/crawlers*" in str(logs["Resource"])


def test_prefix_scoped_crawler_lists_with_a_prefix_condition_and_may_delete(built):
    stack, _, _, _, tuned, template = built
    statements = policy_statements(stack, template, tuned)
    assert statements["ListCrawledPrefixes"]["Condition"] == {
        "StringLike": {"s3:prefix": ["reports/*", "exports/*"]}  # order as given
    }
    read = statements["ReadCrawledObjects"]["Resource"]
    assert sorted(r["Fn::Join"][1][-1] for r in read) == ["/exports/*", "/reports/*"]
    assert {"glue:DeleteTable", "glue:BatchDeletePartition"} <= set(
        statements["WriteZoneCatalog"]["Action"]
    )


def test_wildcard_findings_are_the_scoped_ones(built):
    _, _, _, default, _, _ = built
    cfn_policy = default.policy.node.default_child
    findings = wildcard_findings(cdk.Stack.of(cfn_policy).resolve(cfn_policy.policy_document))
    assert len(findings) == 4
    assert all("*" in f for f in findings)
    assert not any(f in {"Resource::*", "Action::*"} for f in findings)


def test_crawler_with_encrypted_catalog_may_encrypt_and_runs_on_demand():
    stack = cdk.Stack(make_app(), "Enc", env=TEST_ENV)
    lake = DataLake(stack, "Lake")
    catalog = DataCatalog(stack, "Catalog", lake=lake, encrypt_catalog=True)
    crawler = LakeCrawler(
        stack,
        "Raw",
        catalog=catalog,
        zone="raw",
        schedule=None,
        recrawl_behavior=RecrawlBehavior.CRAWL_NEW_FOLDERS_ONLY,
        update_behavior=SchemaUpdateBehavior.LOG,
    )
    template = Template.from_stack(stack)
    props = crawler_props(stack, template, crawler)
    assert "Schedule" not in props
    assert props["RecrawlPolicy"] == {"RecrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"}
    statements = policy_statements(stack, template, crawler)
    assert statements["DecryptLakeData"]["Action"] == "kms:Decrypt"
    assert statements["UseCatalogKey"] == {
        "Sid": "UseCatalogKey",
        "Effect": "Allow",
        "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
        "Resource": key_arn(stack, lake.key),
        "Condition": {
            "StringEquals": {
                "kms:ViaService": {"Fn::Join": ["", ["glue.us-east-1.", {"Ref": "AWS::URLSuffix"}]]}
            }
        },
    }


def key_arn(stack, key):
    return {"Fn::GetAtt": [stack.get_logical_id(key.node.default_child), "Arn"]}


def test_catalog_metadata_uses_the_catalog_key_not_the_data_key():
    stack = cdk.Stack(make_app(), "CatKey", env=TEST_ENV)
    lake = DataLake(stack, "Lake")
    catalog_key = kms.Key(stack, "CatalogKey", enable_key_rotation=True)
    catalog = DataCatalog(
        stack, "Catalog", lake=lake, encryption_key=catalog_key, encrypt_catalog=True
    )
    crawler = LakeCrawler(
        stack, "Curated", catalog=catalog, zone="curated", encryption_key=lake.key
    )
    statements = policy_statements(stack, Template.from_stack(stack), crawler)
    assert statements["UseCatalogKey"]["Resource"] == key_arn(stack, catalog_key)
    assert statements["UseCatalogKey"]["Action"] == [
        "kms:Decrypt",
        "kms:Encrypt",
        "kms:GenerateDataKey",
    ]
    # The lake key only decrypts crawled objects; it never encrypts catalog metadata.
    assert statements["DecryptLakeData"] == {
        "Sid": "DecryptLakeData",
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": key_arn(stack, lake.key),
    }


def test_catalog_encrypted_elsewhere_is_granted_through_catalog_key():
    stack = cdk.Stack(make_app(), "Elsewhere")
    lake = DataLake(stack, "Lake")
    owner_key = kms.Key.from_key_arn(
        stack, "OwnerKey", "arn:aws:kms:us-east-1:111111111111:key/catalog"
    )
    catalog = DataCatalog(stack, "Catalog", lake=lake, catalog_key=owner_key)
    crawler = LakeCrawler(stack, "Curated", catalog=catalog, zone="curated")
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::Glue::DataCatalogEncryptionSettings", 0)
    statement = policy_statements(stack, template, crawler)["UseCatalogKey"]
    assert statement["Resource"] == "arn:aws:kms:us-east-1:111111111111:key/catalog"
    assert statement["Condition"] == {
        "StringEquals": {
            "kms:ViaService": {
                "Fn::Join": ["", ["glue.", {"Ref": "AWS::Region"}, ".", {"Ref": "AWS::URLSuffix"}]]
            }
        }
    }


def test_unencrypted_catalog_gives_the_crawler_no_catalog_key_statement(built):
    stack, _, _, default, _, template = built
    assert set(policy_statements(stack, template, default)) == {
        "ListCrawledPrefixes",
        "ReadCrawledObjects",
        "DecryptLakeData",
        "WriteZoneCatalog",
        "WriteEncryptedCrawlerLogs",
    }


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("cron(15 12 * * ? *)", "cron(15 12 * * ? *)"),
        ("0 8 ? * MON-FRI *", "cron(0 8 ? * MON-FRI *)"),
        ("cron(0/30 1-3 1,15 JAN-JUN ? 2026-2030)", "cron(0/30 1-3 1,15 JAN-JUN ? 2026-2030)"),
        ("cron(0 10 ? * 6#3 *)", "cron(0 10 ? * 6#3 *)"),
        ("cron(0 0 L * ? *)", "cron(0 0 L * ? *)"),
    ],
)
def test_valid_cron(expression, expected):
    assert validate_glue_cron(expression) == expected


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("rate(1 hour)", "needs 6 fields"),
        ("cron(0 2 * * *)", "needs 6 fields"),
        ("cron(0 2 * * * *)", "exactly one of day-of-month and day-of-week must be '?'"),
        ("cron(0 2 ? * ? *)", "exactly one of day-of-month and day-of-week must be '?'"),
        ("cron(61 2 * * ? *)", "minutes '61' must be within 0–59"),
        ("cron(0 24 * * ? *)", "hours '24' must be within 0–23"),
        ("cron(0 2 * FOO ? *)", "month 'FOO' has unknown names"),
        ("cron(0 2 ? * FUNDAY *)", "day-of-week 'FUNDAY' has unknown names"),
        ("cron(0 2 * * ? 1900)", "year '1900' must be within 1970–2199"),
        ("cron(0 $ * * ? *)", "hours '$' has characters outside"),
    ],
)
def test_invalid_cron(expression, message):
    with pytest.raises(
        ValueError,
        match="is not a valid Glue cron expression: " + re.escape(message),
    ):
        validate_glue_cron(expression)


@pytest.fixture
def scratch():
    stack = cdk.Stack(make_app(), "Bad")
    key = kms.Key.from_key_arn(stack, "K", "arn:aws:kms:us-east-1:111111111111:key/k")
    bucket = s3.Bucket.from_bucket_name(stack, "B", "some-bucket")
    return stack, DataCatalog(stack, "Catalog", lake={"curated": bucket}, encryption_key=key)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"catalog": "mldp"}, TypeError, r"catalog must be a DataCatalog, got str"),
        ({"zone": "gold"}, KeyError, r"no zone 'gold' in the catalog"),
        ({"schedule": "every day"}, ValueError, r"schedule 'every day' is not a valid Glue cron"),
        ({"schedule": 5}, TypeError, r"schedule must be a string"),
        ({"update_behavior": "LOG"}, TypeError, r"update_behavior must be a SchemaUpdateBehavior"),
        (
            {"recrawl_behavior": RecrawlBehavior.CRAWL_NEW_FOLDERS_ONLY},
            ValueError,
            r"CRAWL_NEW_FOLDERS_ONLY needs update_behavior=LOG and delete_behavior=LOG .* got "
            r"UPDATE_IN_DATABASE/LOG",
        ),
        ({"table_prefix": "Raw-"}, ValueError, r"table_prefix 'Raw-' must be lowercase"),
        ({"crawler_name": "bad name"}, ValueError, r"crawler_name 'bad name' must be 1–255"),
        ({"prefixes": ["/abs"]}, ValueError, r"prefixes '/abs' must be a relative key prefix"),
        ({"prefixes": ["a//b"]}, ValueError, r"prefixes 'a//b' must be a relative key prefix"),
        ({"prefixes": ["x?"]}, ValueError, r"prefixes 'x\?' must be a relative key prefix"),
        ({"prefixes": [7]}, TypeError, r"prefixes must be a string, got int: 7"),
        (
            {"prefixes": "features/"},
            TypeError,
            r"prefixes must be a sequence of key prefixes, got the string 'features/'",
        ),
        (
            {"exclusions": "**/_SUCCESS"},
            TypeError,
            r"exclusions must be a sequence of glob patterns, got the string '\*\*/_SUCCESS'",
        ),
        ({"exclusions": [None]}, TypeError, r"exclusions must be glob strings, got None"),
        ({"prefixes": ["a/", "a"]}, ValueError, r"prefixes must be non-empty and distinct"),
        ({"prefixes": []}, ValueError, r"prefixes must be non-empty and distinct"),
        ({"encryption_key": "alias/k"}, TypeError, r"encryption_key must be an IKey"),
        ({"security_configuration": "sc"}, TypeError, r"must be a CrawlerSecurityConfiguration"),
    ],
)
def test_crawler_bad_input(scratch, kwargs, error, message):
    stack, catalog = scratch
    kwargs = {"catalog": catalog, "zone": "curated", **kwargs}
    with pytest.raises(error, match=message):
        LakeCrawler(stack, "Crawler", **kwargs)


def test_crawler_without_any_key_fails_clearly():
    stack = cdk.Stack(make_app(), "NoKey")
    bucket = s3.Bucket.from_bucket_name(stack, "B", "some-bucket")
    catalog = DataCatalog(stack, "Catalog", lake={"curated": bucket})
    with pytest.raises(ValueError, match="LakeCrawler needs a KMS key"):
        LakeCrawler(stack, "Crawler", catalog=catalog, zone="curated")
    with pytest.raises(ValueError, match=r"name 'has space' must be 1–255"):
        CrawlerSecurityConfiguration(
            stack,
            "Sc",
            encryption_key=kms.Key.from_key_arn(stack, "K", "arn:aws:kms:us-east-1:1:key/k"),
            name="has space",
        )
