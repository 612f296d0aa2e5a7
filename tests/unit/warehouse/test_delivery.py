"""WarehouseDeliveryStream and RedshiftTableSetup with a bring-your-own warehouse endpoint."""

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Template

from ml_data_platform.storage import Lifecycle
from ml_data_platform.warehouse import (
    CopyFormat,
    JsonPaths,
    JsonPathsFile,
    RedshiftColumn,
    RedshiftTable,
    RedshiftTableSetup,
    WarehouseDeliveryStream,
    WarehouseEndpoint,
    warehouse_staging_rule,
)
from tests.conftest import TEST_ENV, make_app, only_resource, resources_of_type

STREAM_ARN = "arn:aws:kinesis:us-east-1:111111111111:stream/events"
STREAM_KEY_ARN = "arn:aws:kms:us-east-1:111111111111:key/stream"
LAKE_KEY_ARN = "arn:aws:kms:us-east-1:111111111111:key/lake"
SECRET_KEY_ARN = "arn:aws:kms:us-east-1:111111111111:key/secret"
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:111111111111:secret:redshift/loader-AbCdEf"
HOST = "wg.111111111111.us-east-1.redshift-serverless.amazonaws.com"
TABLE = RedshiftTable(
    "events",
    [RedshiftColumn("event_id", "varchar(64)", nullable=False), RedshiftColumn("payload", "super")],
    schema="ml",
)


def via(service):
    return {"Fn::Join": ["", [f"{service}.us-east-1.", {"Ref": "AWS::URLSuffix"}]]}


def inputs(stack):
    key = kms.Key.from_key_arn(stack, "StreamKey", STREAM_KEY_ARN)
    return {
        "source_stream": kinesis.Stream.from_stream_attributes(
            stack, "Stream", stream_arn=STREAM_ARN, encryption_key=key
        ),
        "source_key": key,
        "bucket": s3.Bucket.from_bucket_name(stack, "Raw", "acme-raw"),
        "bucket_key": kms.Key.from_key_arn(stack, "LakeKey", LAKE_KEY_ARN),
        "table": TABLE,
        "warehouse": WarehouseEndpoint(
            host=HOST,
            database="dev",
            secret=secretsmanager.Secret.from_secret_complete_arn(stack, "Secret", SECRET_ARN),
            secret_key=kms.Key.from_key_arn(stack, "SecretKey", SECRET_KEY_ARN),
            workgroup_name="wg",
            workgroup_arn="arn:aws:redshift-serverless:us-east-1:111111111111:workgroup/abc",
        ),
    }


@pytest.fixture(scope="module")
def built():
    stack = cdk.Stack(make_app(), "Delivery", env=TEST_ENV)
    args = inputs(stack)
    setup = RedshiftTableSetup(stack, "TableSetup", endpoint=args["warehouse"], table=TABLE)
    delivery = WarehouseDeliveryStream(stack, "ToRedshift", **args)
    delivery.node.add_dependency(setup)
    return stack, delivery, Template.from_stack(stack)


def destination(template):
    _, stream = only_resource(template, "AWS::KinesisFirehose::DeliveryStream")
    return stream["Properties"]


def test_source_and_copy_command(built):
    props = destination(built[2])
    assert props["DeliveryStreamType"] == "KinesisStreamAsSource"
    assert props["KinesisStreamSourceConfiguration"]["KinesisStreamARN"] == STREAM_ARN
    redshift = props["RedshiftDestinationConfiguration"]
    assert redshift["ClusterJDBCURL"] == f"jdbc:redshift://{HOST}:5439/dev"
    assert redshift["CopyCommand"] == {
        "DataTableName": "ml.events",
        "DataTableColumns": "event_id,payload",
        "CopyOptions": "JSON 'auto' TIMEFORMAT 'auto' GZIP",
    }
    assert redshift["RetryOptions"] == {"DurationInSeconds": 3600}
    assert redshift["ProcessingConfiguration"] == {"Enabled": False}
    secrets = redshift["SecretsManagerConfiguration"]
    assert secrets["Enabled"] is True and secrets["SecretARN"] == SECRET_ARN
    assert "Username" not in redshift and "Password" not in redshift


def test_staging_and_backup_prefixes(built):
    redshift = destination(built[2])["RedshiftDestinationConfiguration"]
    staging, backup = redshift["S3Configuration"], redshift["S3BackupConfiguration"]
    assert staging["Prefix"] == "warehouse-staging/ml/events/"
    assert backup["Prefix"] == "warehouse-backup/ml/events/"
    assert redshift["S3BackupMode"] == "Enabled"
    for config in (staging, backup):
        assert "ErrorOutputPrefix" not in config
        assert "!{" not in config["Prefix"]
        assert config["CompressionFormat"] == "GZIP"
        assert config["BucketARN"] == "arn:aws:s3:::acme-raw"
        assert config["EncryptionConfiguration"] == {
            "KMSEncryptionConfig": {"AWSKMSKeyARN": LAKE_KEY_ARN}
        }
        assert config["BufferingHints"] == {"IntervalInSeconds": 300, "SizeInMBs": 5}
        assert config["CloudWatchLoggingOptions"]["Enabled"] is True


def test_role_is_least_privilege(built):
    template = built[2]
    policies = resources_of_type(template, "AWS::IAM::ManagedPolicy")
    (policy,) = [p for lid, p in policies.items() if lid.startswith("ToRedshiftPolicy")]
    statements = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    assert set(statements) == {
        "ReadSourceStream",
        "ListStagingBucket",
        "WriteAndCopyStagedObjects",
        "EncryptStagedObjects",
        "ReadWarehouseSecret",
        "WriteDeliveryLogs",
        "DecryptSourceStream",
        "DecryptWarehouseSecret",
    }
    assert statements["ReadSourceStream"]["Resource"] == STREAM_ARN
    objects = str(statements["WriteAndCopyStagedObjects"]["Resource"])
    assert "acme-raw/warehouse-staging/ml/events/*" in objects
    assert "acme-raw/warehouse-backup/ml/events/*" in objects
    s3_kms = statements["EncryptStagedObjects"]
    assert s3_kms["Resource"] == LAKE_KEY_ARN
    assert s3_kms["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert s3_kms["Condition"]["StringEquals"]["kms:ViaService"] == via("s3")
    assert "kms:EncryptionContext:aws:s3:arn" in s3_kms["Condition"]["StringEquals"]
    stream_kms = statements["DecryptSourceStream"]
    assert stream_kms["Condition"]["StringEquals"] == {
        "kms:ViaService": via("kinesis"),
        "kms:EncryptionContext:aws:kinesis:arn": STREAM_ARN,
    }
    assert statements["ReadWarehouseSecret"]["Resource"] == SECRET_ARN
    assert statements["DecryptWarehouseSecret"]["Resource"] == SECRET_KEY_ARN
    assert "*" not in str(statements["WriteDeliveryLogs"]["Resource"])
    _, role = next(
        (lid, r)
        for lid, r in resources_of_type(template, "AWS::IAM::Role").items()
        if lid.startswith("ToRedshiftRole")
    )
    trust = role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"] == {"Service": "firehose.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"sts:ExternalId": "111111111111"}}
    template.resource_count_is("AWS::IAM::Policy", 0)


def test_logs_and_alarms(built):
    _stack, _delivery, template = built
    log_groups = resources_of_type(template, "AWS::Logs::LogGroup")
    (logs,) = [g for lid, g in log_groups.items() if lid.startswith("ToRedshiftLogs")]
    assert logs["Properties"]["KmsKeyId"] == LAKE_KEY_ARN
    assert logs["Properties"]["RetentionInDays"] == 365
    alarms = resources_of_type(template, "AWS::CloudWatch::Alarm")
    by_metric = {a["Properties"]["MetricName"]: a["Properties"] for a in alarms.values()}
    success = by_metric["DeliveryToRedshift.Success"]
    assert success["Statistic"] == "Minimum"
    assert success["Threshold"] == 1
    assert success["ComparisonOperator"] == "LessThanThreshold"
    assert success["Namespace"] == "AWS/Firehose"
    freshness = by_metric["DeliveryToRedshift.DataFreshness"]
    assert freshness["Threshold"] == 1800
    assert freshness["ComparisonOperator"] == "GreaterThanThreshold"
    # No alarm_topic given: the stack's default AlarmTopic, created on first need.
    (topic_id,) = resources_of_type(template, "AWS::SNS::Topic")
    assert freshness["AlarmActions"] == freshness["OKActions"] == [{"Ref": topic_id}]
    assert success["AlarmActions"] == [{"Ref": topic_id}]


def test_table_setup_calls_data_api_with_scoped_policy(built):
    _stack, _, template = built
    _, custom = only_resource(template, "Custom::AWS")
    create = custom["Properties"]["Create"]
    assert '"action":"BatchExecuteStatement"' in create
    assert '"service":"RedshiftData"' in create
    assert '"WorkgroupName":"wg"' in create
    assert 'CREATE SCHEMA IF NOT EXISTS \\"ml\\";' in create
    assert custom["Properties"]["Update"] == create
    assert custom["Properties"]["InstallLatestAwsSdk"] is False
    policies = resources_of_type(template, "AWS::IAM::ManagedPolicy")
    (policy,) = [p for lid, p in policies.items() if lid.startswith("TableSetupProviderPolicy")]
    statements = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    assert statements["RunTableDdl"] == {
        "Sid": "RunTableDdl",
        "Action": "redshift-data:BatchExecuteStatement",
        "Effect": "Allow",
        "Resource": "arn:aws:redshift-serverless:us-east-1:111111111111:workgroup/abc",
    }
    assert statements["ReadAdminSecret"]["Resource"] == SECRET_ARN
    assert statements["DecryptAdminSecret"]["Condition"] == {
        "StringEquals": {"kms:ViaService": via("secretsmanager")}
    }
    _, function = only_resource(template, "AWS::Lambda::Function")
    assert "LoggingConfig" in function["Properties"]
    assert [skip["id"] for skip in function["Metadata"]["checkov"]["skip"]] == [
        "CKV_AWS_115",
        "CKV_AWS_116",
        "CKV_AWS_117",
    ]
    template.resource_count_is("AWS::IAM::Policy", 0)  # the provider adds nothing inline


def test_options_jsonpaths_uncompressed_no_backup_topic_and_one_batch():
    stack = cdk.Stack(make_app(), "Options", env=TEST_ENV)
    args = inputs(stack)
    args["table"] = RedshiftTable("events", [RedshiftColumn("id", "bigint")])
    topic = sns.Topic.from_topic_arn(stack, "Topic", "arn:aws:sns:us-east-1:111111111111:alarms")
    setup = RedshiftTableSetup(
        stack,
        "Setup",
        endpoint=args["warehouse"],
        table=args["table"],
        jsonpaths=JsonPaths({"id": "$.event.id"}),
        jsonpaths_bucket=args["bucket"],
        jsonpaths_bucket_key=args["bucket_key"],
    )
    WarehouseDeliveryStream(
        stack,
        "D",
        **args,
        copy_format=setup.jsonpaths_file,
        compression="UNCOMPRESSED",
        backup_all=False,
        retry_seconds=0,
        buffer_size_mib=128,
        buffer_interval_seconds=60,
        alarm_topic=topic,
    )
    template = Template.from_stack(stack)
    redshift = destination(template)["RedshiftDestinationConfiguration"]
    assert redshift["CopyCommand"]["CopyOptions"] == (
        "JSON 's3://acme-raw/warehouse-jsonpaths/public/events.json' TIMEFORMAT 'auto'"
    )
    assert redshift["S3BackupMode"] == "Disabled"
    assert "S3BackupConfiguration" not in redshift
    assert redshift["RetryOptions"] == {"DurationInSeconds": 0}
    assert redshift["S3Configuration"]["BufferingHints"] == {
        "IntervalInSeconds": 60,
        "SizeInMBs": 128,
    }
    for alarm in resources_of_type(template, "AWS::CloudWatch::Alarm").values():
        assert alarm["Properties"]["AlarmActions"] == ["arn:aws:sns:us-east-1:111111111111:alarms"]
        assert alarm["Properties"]["OKActions"] == ["arn:aws:sns:us-east-1:111111111111:alarms"]
    creates = [
        c["Properties"]["Create"] for c in resources_of_type(template, "Custom::AWS").values()
    ]
    assert len(creates) == 2
    (ddl,) = [json.loads(c) for c in creates if '"action":"BatchExecuteStatement"' in c]
    assert ddl["parameters"]["Sqls"] == args["table"].setup_statements()
    (put,) = [json.loads(c) for c in creates if '"action":"PutObject"' in c]
    assert put["parameters"]["Key"] == "warehouse-jsonpaths/public/events.json"
    assert json.loads(put["parameters"]["Body"]) == {"jsonpaths": ["$.event.id"]}
    assert put["parameters"]["ServerSideEncryption"] == "aws:kms"
    assert put["parameters"]["SSEKMSKeyId"] == LAKE_KEY_ARN
    assert CopyFormat.JSON_AUTO_IGNORECASE.value == "JSON 'auto ignorecase'"


def test_jsonpaths_file_is_written_and_read_with_exact_object_permissions():
    stack = cdk.Stack(make_app(), "JsonPaths", env=TEST_ENV)
    args = inputs(stack)
    setup = RedshiftTableSetup(
        stack,
        "Setup",
        endpoint=args["warehouse"],
        table=args["table"],
        jsonpaths=JsonPaths({"payload": "$['body']"}),
        jsonpaths_bucket=args["bucket"],
        jsonpaths_bucket_key=args["bucket_key"],
    )
    other = s3.Bucket.from_bucket_name(stack, "Other", "acme-config")
    other_key = kms.Key.from_key_arn(stack, "OtherKey", SECRET_KEY_ARN)
    WarehouseDeliveryStream(
        stack,
        "D",
        **args,
        copy_format=JsonPathsFile(other, "copy/events.json", encryption_key=other_key),
    )
    template = Template.from_stack(stack)
    policies = {
        s["Sid"]: s
        for p in resources_of_type(template, "AWS::IAM::ManagedPolicy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    }
    assert policies["WriteJsonPathsFile"]["Action"] == "s3:PutObject"
    assert policies["WriteJsonPathsFile"]["Resource"] == (
        "arn:aws:s3:::acme-raw/warehouse-jsonpaths/ml/events.json"
    )
    assert policies["EncryptJsonPathsFile"]["Resource"] == LAKE_KEY_ARN
    assert policies["ReadJsonPathsFile"] == {
        "Sid": "ReadJsonPathsFile",
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::acme-config/copy/events.json",
    }
    decrypt = policies["DecryptJsonPathsFile"]
    assert decrypt["Resource"] == SECRET_KEY_ARN
    assert decrypt["Condition"]["StringEquals"]["kms:EncryptionContext:aws:s3:arn"] == [
        "arn:aws:s3:::acme-config",
        "arn:aws:s3:::acme-config/copy/events.json",
    ]
    assert setup.jsonpaths_file.uri == "s3://acme-raw/warehouse-jsonpaths/ml/events.json"


@pytest.mark.parametrize(
    ("override", "error", "message"),
    [
        ({"retry_seconds": 7201}, ValueError, r"retry_seconds must be ≤ 7200, got 7201"),
        ({"retry_seconds": -1}, ValueError, r"retry_seconds must be ≥ 0, got -1"),
        ({"buffer_size_mib": 129}, ValueError, r"buffer_size_mib must be ≤ 128"),
        ({"buffer_interval_seconds": 901}, ValueError, r"buffer_interval_seconds must be ≤ 900"),
        ({"compression": "SNAPPY"}, ValueError, r"compression must be 'GZIP' or 'UNCOMPRESSED'"),
        (
            {"copy_format": "s3://acme-raw/jsonpaths.json"},
            TypeError,
            r"copy_format must be a CopyFormat or a JsonPathsFile, got 's3://",
        ),
        ({"source_stream": "events"}, TypeError, r"source_stream must be an IStream"),
        ({"source_key": "alias/k"}, TypeError, r"source_key must be an IKey"),
        ({"bucket": "acme-raw"}, TypeError, r"bucket must be an IBucket"),
        ({"bucket_key": None}, TypeError, r"bucket_key must be an IKey"),
        ({"warehouse": "jdbc:redshift://x"}, TypeError, r"warehouse must be a Warehouse or"),
        ({"table": "events"}, TypeError, r"table must be a RedshiftTable, got str"),
        ({"alarm_topic": "arn:aws:sns:x"}, TypeError, r"alarm_topic must be an ITopic"),
    ],
)
def test_delivery_bad_input(override, error, message):
    stack = cdk.Stack(make_app(), "Bad", env=TEST_ENV)
    args = {**inputs(stack), **override}
    with pytest.raises(error, match=message):
        WarehouseDeliveryStream(stack, "D", **args)


def test_table_setup_needs_a_data_api_target_and_a_log_key():
    stack = cdk.Stack(make_app(), "Setup", env=TEST_ENV)
    secret = secretsmanager.Secret.from_secret_complete_arn(stack, "S", SECRET_ARN)
    no_target = WarehouseEndpoint(host=HOST, database="dev", secret=secret)
    with pytest.raises(ValueError, match="needs the Redshift Data API target"):
        RedshiftTableSetup(stack, "A", endpoint=no_target, table=TABLE)
    no_key = WarehouseEndpoint(host=HOST, database="dev", secret=secret, cluster_identifier="c1")
    with pytest.raises(ValueError, match="encryption_key is required"):
        RedshiftTableSetup(stack, "B", endpoint=no_key, table=TABLE)
    with pytest.raises(TypeError, match="endpoint must be a Warehouse or WarehouseEndpoint"):
        RedshiftTableSetup(stack, "C", endpoint="wg", table=TABLE)
    with pytest.raises(TypeError) as error:
        RedshiftTableSetup(stack, "E", endpoint=no_key, table="public.events")
    assert str(error.value) == "table must be a RedshiftTable, got str"
    key = kms.Key.from_key_arn(stack, "K", LAKE_KEY_ARN)
    RedshiftTableSetup(stack, "D", endpoint=no_key, table=TABLE, encryption_key=key)
    template = Template.from_stack(stack)
    policy = next(iter(resources_of_type(template, "AWS::IAM::ManagedPolicy").values()))
    ddl = policy["Properties"]["PolicyDocument"]["Statement"][0]
    assert ddl["Resource"] == "arn:aws:redshift:us-east-1:111111111111:cluster:c1"
    _, custom = only_resource(template, "Custom::AWS")
    assert '"ClusterIdentifier":"c1"' in custom["Properties"]["Create"]


def test_staging_rule_expires_every_tables_staging_prefix_but_not_the_backup(built):
    delivery = built[1]
    rule = warehouse_staging_rule()
    assert (rule.id, rule.prefix, rule.expire_after_days, rule.noncurrent_expire_after_days) == (
        "warehouse-staging",
        "warehouse-staging/",
        7,
        1,
    )
    lifecycle = Lifecycle((rule,)).validate("test")
    assert lifecycle.expiration_days(delivery.staging_prefix) == 7
    assert lifecycle.expiration_days(delivery.backup_prefix) is None
    assert lifecycle.expiration_days() is None  # the rest of the bucket is untouched


def test_staging_rule_days_are_validated():
    with pytest.raises(
        ValueError, match=r"rule 'warehouse-staging': expire_after_days must be ≥ 1"
    ):
        Lifecycle((warehouse_staging_rule(0),)).validate("zone 'raw'")
