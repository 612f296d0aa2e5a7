"""LakeDeliveryStream: prefixes, compression, Parquet, dynamic partitioning, buffering,
logging, alarms, the least-privilege role, and bad input."""

import aws_cdk as cdk
import pytest
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Template

from ml_data_platform.datasets import Column, DataFormat, Dataset
from ml_data_platform.storage import DataLake, DataLakeBucket, PartitionGranularity, PartitionLayout
from ml_data_platform.streaming import BufferingHints, IngestionStream, LakeDeliveryStream
from tests.conftest import TEST_ENV, make_app

FEATURES = Dataset("features", [Column("a", "int")], data_format=DataFormat.PARQUET)
CLICKS = Dataset("clicks", [Column("user_id", "string"), Column("customer", "string")])
CLICKS_BY_CUSTOMER = Dataset(
    "clicks", [Column("user_id", "string")], partition_keys={"customer": ".customer"}
)
ERR = "!{firehose:error-output-type}"
CATALOG_KEY_ARN = "arn:aws:kms:us-east-1:111111111111:key/catalog"
HOURLY = "year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/"


def glue_table(scope, name="features"):
    return glue.CfnTable(
        scope,
        "Table",
        catalog_id="111111111111",
        database_name="lake_raw",
        table_input=glue.CfnTable.TableInputProperty(
            name=name,
            storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                columns=[glue.CfnTable.ColumnProperty(name="user_id", type="string")]
            ),
        ),
    )


@pytest.fixture(scope="module")
def built():
    stack = cdk.Stack(make_app(), "Delivery", env=TEST_ENV)
    lake = DataLake(stack, "Lake")
    raw = lake.zone("raw").bucket
    source = IngestionStream(stack, "Source", encryption_key=lake.key)
    topic = sns.Topic(stack, "Topic")
    deliveries = {
        "json": LakeDeliveryStream(stack, "Json", source_stream=source, bucket=raw, dataset=CLICKS),
        "parquet": LakeDeliveryStream(
            stack,
            "Parquet",
            source_stream=source.stream,
            source_key=source.key,
            bucket=raw,
            layout=PartitionLayout("features", PartitionGranularity.DAY),
            parquet_table=glue_table(stack),
            catalog_key=kms.Key.from_key_arn(stack, "CatalogKey", CATALOG_KEY_ARN),
            buffer_size_mib=64,
            buffer_interval_seconds=900,
            alarm_topic=topic,
        ),
        "partitioned": LakeDeliveryStream(
            stack,
            "Partitioned",
            source_stream=source,
            bucket=raw,
            dataset=CLICKS_BY_CUSTOMER,
            compression=firehose.Compression.SNAPPY,
            freshness_alarm_threshold=cdk.Duration.hours(1),
        ),
    }
    return stack, lake, source, deliveries, Template.from_stack(stack).to_json()["Resources"]


def resource(built, construct):
    stack, *_, resources = built
    return resources[stack.get_logical_id(construct.node.default_child)]


def s3_config(built, name):
    delivery = built[3][name].delivery_stream
    return resource(built, delivery)["Properties"]["ExtendedS3DestinationConfiguration"]


def ref_arn(built, construct):
    return {"Fn::GetAtt": [built[0].get_logical_id(construct.node.default_child), "Arn"]}


def test_json_delivery_defaults(built):
    config = s3_config(built, "json")
    _, lake, source, deliveries, _ = built
    assert config["Prefix"] == f"clicks/{HOURLY}"
    assert config["ErrorOutputPrefix"] == f"errors/clicks/{ERR}/{HOURLY}"
    assert config["Prefix"] == CLICKS.layout.firehose_prefix()
    assert config["CompressionFormat"] == "GZIP"
    assert config["BufferingHints"] == {"IntervalInSeconds": 300, "SizeInMBs": 5}
    assert config["BucketARN"] == ref_arn(built, lake.zone("raw").bucket)
    assert config["EncryptionConfiguration"] == {
        "KMSEncryptionConfig": {"AWSKMSKeyARN": ref_arn(built, lake.key)}
    }
    assert config["ProcessingConfiguration"] == {
        "Enabled": True,
        "Processors": [{"Type": "AppendDelimiterToRecord", "Parameters": []}],
    }
    assert "DataFormatConversionConfiguration" not in config
    assert "DynamicPartitioningConfiguration" not in config
    props = resource(built, deliveries["json"].delivery_stream)["Properties"]
    assert props["DeliveryStreamType"] == "KinesisStreamAsSource"
    assert props["KinesisStreamSourceConfiguration"] == {
        "KinesisStreamARN": ref_arn(built, source.stream),
        "RoleARN": ref_arn(built, deliveries["json"].role),
    }
    assert config["RoleARN"] == ref_arn(built, deliveries["json"].role)
    assert "DeliveryStreamEncryptionConfigurationInput" not in props


def test_delivery_waits_for_its_policy(built):
    delivery = built[3]["json"]
    stream = resource(built, delivery.delivery_stream)
    assert stream["DependsOn"] == [built[0].get_logical_id(delivery.policy.node.default_child)]


def test_logging_goes_to_an_encrypted_log_group_with_retention(built):
    delivery = built[3]["json"]
    config = s3_config(built, "json")
    log_group_id = built[0].get_logical_id(delivery.log_group.node.default_child)
    assert config["CloudWatchLoggingOptions"]["Enabled"] is True
    assert config["CloudWatchLoggingOptions"]["LogGroupName"] == {"Ref": log_group_id}
    log_group = built[4][log_group_id]
    assert log_group["Properties"] == {
        "KmsKeyId": ref_arn(built, built[1].key),
        "RetentionInDays": 365,
    }
    assert log_group["DeletionPolicy"] == "Retain"


def test_delivery_errors_go_to_the_named_log_stream(built):
    delivery = built[3]["json"]
    log_group_id = built[0].get_logical_id(delivery.log_group.node.default_child)
    streams = {lid: r for lid, r in built[4].items() if r["Type"] == "AWS::Logs::LogStream"}
    # One log stream per delivery, each in its own log group, all named alike.
    assert len(streams) == len(built[3]) == 3
    assert {r["Properties"]["LogStreamName"] for r in streams.values()} == {"S3Delivery"}
    (stream_id,) = [
        lid
        for lid, r in streams.items()
        if r["Properties"]["LogGroupName"] == {"Ref": log_group_id}
    ]
    assert delivery.log_stream_name == "S3Delivery"
    logging = s3_config(built, "json")["CloudWatchLoggingOptions"]
    assert logging["LogStreamName"] == {"Ref": stream_id}


def test_parquet_conversion_uses_the_glue_table_and_openx_json(built):
    config = s3_config(built, "parquet")
    assert (
        config["Prefix"]
        == "features/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/"
    )
    assert config["CompressionFormat"] == "UNCOMPRESSED"
    conversion = config["DataFormatConversionConfiguration"]
    assert conversion["Enabled"] is True
    assert conversion["InputFormatConfiguration"] == {"Deserializer": {"OpenXJsonSerDe": {}}}
    assert "ParquetSerDe" in conversion["OutputFormatConfiguration"]["Serializer"]
    schema = conversion["SchemaConfiguration"]
    table_id = next(lid for lid, r in built[4].items() if r["Type"] == "AWS::Glue::Table")
    assert schema["DatabaseName"] == "lake_raw"
    assert schema["TableName"] == {"Ref": table_id}
    assert schema["CatalogId"] == "111111111111"
    assert schema["VersionId"] == "LATEST"
    assert schema["RoleARN"] == ref_arn(built, built[3]["parquet"].role)
    assert config["BufferingHints"] == {"IntervalInSeconds": 900, "SizeInMBs": 64}
    assert "ProcessingConfiguration" not in config  # no newline processor for Parquet
    assert built[3]["parquet"].buffering == BufferingHints(64, 900)


def test_dynamic_partitioning_extracts_keys_with_jq(built):
    config = s3_config(built, "partitioned")
    assert config["Prefix"] == f"clicks/customer=!{{partitionKeyFromQuery:customer}}/{HOURLY}"
    assert config["ErrorOutputPrefix"] == f"errors/clicks/{ERR}/{HOURLY}"
    assert config["DynamicPartitioningConfiguration"] == {"Enabled": True}
    processors = config["ProcessingConfiguration"]["Processors"]
    assert processors[0] == {
        "Type": "MetadataExtraction",
        "Parameters": [
            {
                "ParameterName": "MetadataExtractionQuery",
                "ParameterValue": '{"customer":.customer}',
            },
            {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"},
        ],
    }
    assert processors[1]["Type"] == "AppendDelimiterToRecord"
    assert config["CompressionFormat"] == "Snappy"  # the CloudFormation spelling
    assert config["BufferingHints"] == {"IntervalInSeconds": 300, "SizeInMBs": 128}


def _alarms(built, name):
    return {
        key: resource(built, alarm)["Properties"] for key, alarm in built[3][name].alarms.items()
    }


def test_delivery_alarms(built):
    alarms = _alarms(built, "json")
    # Failing S3 puts leave records undelivered: the freshness alarm covers them.
    assert set(alarms) == {"DataFreshness"}
    freshness = alarms["DataFreshness"]
    assert freshness["Namespace"] == "AWS/Firehose"
    assert freshness["MetricName"] == "DeliveryToS3.DataFreshness"
    assert freshness["Statistic"] == "Maximum"
    assert freshness["Threshold"] == 900  # max(15 min, 3 × 300 s)
    assert freshness["Dimensions"] == [
        {
            "Name": "DeliveryStreamName",
            "Value": {
                "Ref": built[0].get_logical_id(built[3]["json"].delivery_stream.node.default_child)
            },
        }
    ]
    assert freshness["EvaluationPeriods"] == 1
    assert "S3 puts are failing" in freshness["AlarmDescription"]
    # No alarm_topic given: the stack's default AlarmTopic, created on first need.
    default = built[0].node.find_child("MlDataPlatformAlarmTopic").topic.node.default_child
    assert freshness["AlarmActions"] == [{"Ref": built[0].get_logical_id(default)}]
    assert _alarms(built, "partitioned")["DataFreshness"]["Threshold"] == 3600


def test_parquet_adds_a_conversion_alarm_and_alarm_topic_actions(built):
    alarms = _alarms(built, "parquet")
    assert set(alarms) == {"DataFreshness", "FormatConversion"}
    assert alarms["FormatConversion"]["MetricName"] == "FailedConversion.Records"
    assert alarms["DataFreshness"]["Threshold"] == 2700  # 3 × 900 s
    topic_id = built[0].get_logical_id(built[0].node.find_child("Topic").node.default_child)
    for alarm in alarms.values():
        assert alarm["AlarmActions"] == [{"Ref": topic_id}]
        assert alarm["OKActions"] == [{"Ref": topic_id}]


def test_role_trusts_firehose_of_this_account_only_and_has_only_the_managed_policy(built):
    delivery = built[3]["json"]
    role = resource(built, delivery.role)["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "111111111111"}},
            "Effect": "Allow",
            "Principal": {"Service": "firehose.amazonaws.com"},
        }
    ]
    assert "Policies" not in role and "ManagedPolicyArns" not in role
    # The L2 grants (whole bucket, every key action) never reach the template.
    inline = [r for r in built[4].values() if r["Type"] == "AWS::IAM::Policy"]
    assert inline == []
    policy = resource(built, delivery.policy)["Properties"]
    assert policy["Roles"] == [{"Ref": built[0].get_logical_id(delivery.role.node.default_child)}]


def _statements(built, name):
    policy = resource(built, built[3][name].policy)["Properties"]
    return {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}


def _object_arn(bucket_ref, suffix):
    return {"Fn::Join": ["", [bucket_ref, suffix]]}


def test_policy_is_scoped_to_stream_prefixes_key_and_log_stream(built):
    _, lake, source, _, _ = built
    statements = _statements(built, "json")
    bucket = ref_arn(built, lake.zone("raw").bucket)
    objects = [_object_arn(bucket, "/clicks/year=*"), _object_arn(bucket, "/errors/clicks/*")]
    assert set(statements) == {
        "ReadSourceStream",
        "DecryptSourceStream",
        "ListDestinationBucket",
        "WriteDeliveryPrefixes",
        "EncryptObjectsInDestinationBucket",
        "WriteDeliveryErrorLog",
    }
    assert statements["ReadSourceStream"]["Resource"] == ref_arn(built, source.stream)
    assert set(statements["ReadSourceStream"]["Action"]) == {
        "kinesis:DescribeStream",
        "kinesis:DescribeStreamSummary",
        "kinesis:GetRecords",
        "kinesis:GetShardIterator",
        "kinesis:ListShards",
    }
    decrypt = statements["DecryptSourceStream"]
    assert decrypt["Action"] == "kms:Decrypt"
    assert decrypt["Resource"] == ref_arn(built, lake.key)
    assert decrypt["Condition"]["StringEquals"]["kms:EncryptionContext:aws:kinesis:arn"] == (
        ref_arn(built, source.stream)
    )
    assert statements["ListDestinationBucket"]["Resource"] == bucket
    write = statements["WriteDeliveryPrefixes"]
    assert write["Action"] == ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"]
    assert write["Resource"] == objects
    encrypt = statements["EncryptObjectsInDestinationBucket"]
    assert encrypt["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert encrypt["Resource"] == ref_arn(built, lake.key)
    assert encrypt["Condition"]["StringEquals"] == {
        "kms:ViaService": {"Fn::Join": ["", ["s3.us-east-1.", {"Ref": "AWS::URLSuffix"}]]}
    }
    # Bucket keys are on: the encryption context is the BUCKET ARN (objects only as fallback).
    assert encrypt["Condition"]["StringLike"] == {
        "kms:EncryptionContext:aws:s3:arn": [bucket, *objects]
    }
    log_group_id = built[0].get_logical_id(built[3]["json"].log_group.node.default_child)
    log = statements["WriteDeliveryErrorLog"]
    assert log["Action"] == "logs:PutLogEvents"
    parts = log["Resource"]["Fn::Join"][1]
    assert parts[-2:] == [{"Ref": log_group_id}, ":log-stream:S3Delivery"]
    all_actions = {
        a
        for s in statements.values()
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert not any("*" in a for a in all_actions)


def test_parquet_policy_reads_only_the_glue_table(built):
    statements = _statements(built, "parquet")
    glue_statement = statements["ReadParquetSchema"]
    assert glue_statement["Action"] == [
        "glue:GetTable",
        "glue:GetTableVersion",
        "glue:GetTableVersions",
    ]
    table_id = next(lid for lid, r in built[4].items() if r["Type"] == "AWS::Glue::Table")
    assert glue_statement["Resource"] == [
        "arn:aws:glue:us-east-1:111111111111:catalog",
        "arn:aws:glue:us-east-1:111111111111:database/lake_raw",
        {
            "Fn::Join": [
                "",
                ["arn:aws:glue:us-east-1:111111111111:table/lake_raw/", {"Ref": table_id}],
            ]
        },
    ]
    assert "ReadParquetSchema" not in _statements(built, "json")


def test_encrypted_catalog_key_is_decrypted_through_glue_only(built):
    statements = _statements(built, "parquet")
    assert statements["DecryptCatalogMetadata"] == {
        "Sid": "DecryptCatalogMetadata",
        "Action": "kms:Decrypt",
        "Effect": "Allow",
        "Resource": CATALOG_KEY_ARN,
        "Condition": {
            "StringEquals": {
                "kms:ViaService": {"Fn::Join": ["", ["glue.us-east-1.", {"Ref": "AWS::URLSuffix"}]]}
            }
        },
    }
    assert built[3]["parquet"].catalog_key.key_arn == CATALOG_KEY_ARN
    assert built[3]["json"].catalog_key is None
    assert "DecryptCatalogMetadata" not in _statements(built, "json")


def test_partitioned_policy_covers_the_dataset_prefix(built):
    bucket = ref_arn(built, built[1].zone("raw").bucket)
    write = _statements(built, "partitioned")["WriteDeliveryPrefixes"]
    assert write["Resource"] == [
        _object_arn(bucket, "/clicks/customer=*"),
        _object_arn(bucket, "/errors/clicks/*"),
    ]


def test_imported_stream_and_bucket_with_explicit_prefix():
    stack = cdk.Stack(make_app(), "Imported", env=TEST_ENV)
    key = kms.Key.from_key_arn(stack, "Key", "arn:aws:kms:us-east-1:111111111111:key/k")
    stream = kinesis.Stream.from_stream_attributes(
        stack,
        "Stream",
        stream_arn="arn:aws:kinesis:us-east-1:111111111111:stream/theirs",
        encryption_key=key,
    )
    bucket = s3.Bucket.from_bucket_attributes(
        stack, "Bucket", bucket_name="team-raw", encryption_key=key
    )
    delivery = LakeDeliveryStream(
        stack,
        "Delivery",
        source_stream=stream,
        bucket=bucket,
        prefix="landing/",
        error_prefix=f"landing-errors/{ERR}/",
    )
    resources = Template.from_stack(stack).to_json()["Resources"]
    config = resources[stack.get_logical_id(delivery.delivery_stream.node.default_child)][
        "Properties"
    ]["ExtendedS3DestinationConfiguration"]
    assert config["Prefix"] == "landing/"
    assert config["ErrorOutputPrefix"] == f"landing-errors/{ERR}/"
    policy = resources[stack.get_logical_id(delivery.policy.node.default_child)]
    statements = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    assert (
        statements["DecryptSourceStream"]["Resource"] == "arn:aws:kms:us-east-1:111111111111:key/k"
    )
    assert statements["ReadSourceStream"]["Resource"] == (
        "arn:aws:kinesis:us-east-1:111111111111:stream/theirs"
    )
    assert "team-raw/landing/*" in str(statements["WriteDeliveryPrefixes"]["Resource"])


def _bad_stack():
    stack = cdk.Stack(make_app(), "Bad", env=TEST_ENV)
    key = kms.Key(stack, "Key")
    bucket = s3.Bucket(stack, "Bucket", encryption_key=key)
    stream = kinesis.Stream(stack, "Stream", encryption_key=key)
    return stack, key, bucket, stream


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        (
            {"source_stream": "bucket"},
            TypeError,
            r"source_stream must be an IStream \(aws_kinesis\), got Bucket",
        ),
        ({"bucket": "stream"}, TypeError, r"bucket must be an IBucket \(aws_s3\), got Stream"),
        (
            {"encryption_key": "bucket"},
            TypeError,
            r"encryption_key must be an IKey \(aws_kms\), got Bucket",
        ),
        (
            {"source_key": "arn:aws:kms:..."},
            TypeError,
            r"source_key must be an IKey \(aws_kms\), got str",
        ),
        ({"alarm_topic": "key"}, TypeError, r"alarm_topic must be an ITopic \(aws_sns\), got Key"),
        (
            {"data_format": DataFormat.PARQUET},
            ValueError,
            r"data_format=PARQUET needs parquet_table",
        ),
        (
            {"dataset": FEATURES},
            ValueError,
            r"data_format=PARQUET needs parquet_table",
        ),
        ({"parquet_table": "table"}, TypeError, r"parquet_table must be an aws_glue.CfnTable"),
        (
            {"data_format": "parquet"},
            TypeError,
            r"data_format must be a DataFormat, got 'parquet'",
        ),
        (
            {"layout": "clicks/"},
            TypeError,
            r"layout must be a PartitionLayout or SharedLayout, got str",
        ),
        (
            {"freshness_alarm_threshold": 900},
            TypeError,
            r"freshness_alarm_threshold must be a cdk.Duration, got int",
        ),
        (
            {"catalog_key": "key"},
            ValueError,
            r"catalog_key is only used with data_format=PARQUET \(Firehose reads the Glue Data "
            r"Catalog only for the Parquet schema\), but the format is JSON",
        ),
        (
            {"catalog_key": "alias/glue"},
            TypeError,
            r"catalog_key must be an IKey \(aws_kms\), got str",
        ),
        (
            {
                "dataset": FEATURES,
                "parquet_table": "glue",
                "compression": firehose.Compression.GZIP,
            },
            ValueError,
            r"compression cannot be set with Parquet",
        ),
        (
            {"parquet_table": "glue"},
            ValueError,
            r"parquet_table is only used with data_format=PARQUET, but the format is JSON",
        ),
        (
            {
                "dataset": None,
                "prefix": "f/",
                "error_prefix": f"e/{ERR}/",
                "parquet_table": "glue",
                "data_format": DataFormat.JSON,
            },
            ValueError,
            r"parquet_table is only used with data_format=PARQUET",
        ),
        (
            {"compression": "GZIP"},
            TypeError,
            r"compression must be an aws_kinesisfirehose.Compression",
        ),
        (
            {"prefix": "x/!{timestamp:yyyy}/", "dataset": None},
            ValueError,
            r"uses !\{...\} expressions, so Firehose requires an error_prefix",
        ),
        (
            {"prefix": "x/!{timestamp:yyyy}/", "error_prefix": "e/!{timestamp:yyyy}/"},
            ValueError,
            r"error_prefix 'e/!\{timestamp:yyyy\}/' must contain !\{firehose:error-output-type\}",
        ),
        (
            {"prefix": f"x/{ERR}/"},
            ValueError,
            r"prefix 'x/!\{firehose:error-output-type\}/' must not contain",
        ),
        ({"prefix": "x" * 513}, ValueError, r"prefix must be ≤ 512 characters, got 513"),
        (
            {"prefix": "!{timestamp:yyyy}/", "error_prefix": f"e/{ERR}/"},
            ValueError,
            r"prefix '!\{timestamp:yyyy\}/': its literal part \(before the first !\{...\}\) "
            r"must not be empty \(that would cover the whole bucket\)",
        ),
        (
            {"prefix": "a*/", "error_prefix": f"e/{ERR}/"},
            ValueError,
            r"prefix 'a\*/': its literal part .* 'a\*/' must be a relative key prefix",
        ),
        ({"dataset": None}, ValueError, r"give dataset, layout or prefix"),
        (
            {"delivery_stream_name": "bad name!"},
            ValueError,
            r"delivery_stream_name 'bad name!' \(9 characters\) must be 1–64 letters, digits, "
            r"'_', '\.' or '-'",
        ),
        (
            {"delivery_stream_name": "d" * 65},
            ValueError,
            r"delivery_stream_name 'd{20}…' \(65 characters\) must be 1–64 letters",
        ),
        ({"dataset": "clicks"}, TypeError, r"dataset must be a Dataset, got str"),
        ({"buffer_size_mib": 0}, ValueError, r"buffer_size_mib must be ≥ 1, got 0"),
        ({"buffer_size_mib": 129}, ValueError, r"buffer_size_mib must be ≤ 128, got 129"),
        ({"buffer_interval_seconds": 901}, ValueError, r"buffer_interval_seconds must be ≤ 900"),
        (
            {"dataset": FEATURES, "parquet_table": "glue", "buffer_size_mib": 32},
            ValueError,
            r"buffer_size_mib must be ≥ 64 with Parquet conversion, got 32",
        ),
        (
            {"dataset": CLICKS_BY_CUSTOMER, "buffer_size_mib": 5},
            ValueError,
            r"buffer_size_mib must be ≥ 64 with dynamic partitioning, got 5",
        ),
        (
            {"dataset": CLICKS_BY_CUSTOMER, "buffer_interval_seconds": 0},
            ValueError,
            r"buffer_interval_seconds must be ≥ 60 with dynamic partitioning",
        ),
        (
            {"freshness_alarm_threshold": cdk.Duration.seconds(300)},
            ValueError,
            r"freshness_alarm_threshold must be longer than the buffer interval \(300 s\)",
        ),
    ],
)
def test_bad_input_fails_with_clear_message(overrides, error, message):
    stack, key, bucket, stream = _bad_stack()
    objects = {"bucket": bucket, "stream": stream, "key": key, "glue": glue_table(stack)}
    kwargs = {"source_stream": stream, "bucket": bucket, "dataset": CLICKS}
    kwargs.update({k: objects.get(v, v) if isinstance(v, str) else v for k, v in overrides.items()})
    with pytest.raises(error, match=message):
        LakeDeliveryStream(stack, "Delivery", **kwargs)


def test_delivery_stream_name_at_the_limit_passes():
    stack, _, bucket, stream = _bad_stack()
    name = "orders_to-lake." + "x" * 49
    delivery = LakeDeliveryStream(
        stack,
        "Delivery",
        source_stream=stream,
        bucket=bucket,
        dataset=CLICKS,
        delivery_stream_name=name,
    )
    resources = Template.from_stack(stack).to_json()["Resources"]
    props = resources[stack.get_logical_id(delivery.delivery_stream.node.default_child)]
    assert len(name) == 64
    assert props["Properties"]["DeliveryStreamName"] == name


def test_bucket_without_key_needs_encryption_key():
    stack, key, _, stream = _bad_stack()
    plain = s3.Bucket.from_bucket_name(stack, "Plain", "plain-bucket")
    with pytest.raises(
        ValueError, match=r"encryption_key is required: bucket 'Bad/Plain' has no KMS key"
    ):
        LakeDeliveryStream(stack, "Delivery", source_stream=stream, bucket=plain, dataset=CLICKS)
    delivery = LakeDeliveryStream(
        stack, "Ok", source_stream=stream, bucket=plain, dataset=CLICKS, encryption_key=key
    )
    assert delivery.key is key


def test_encryption_key_must_be_the_buckets_own_key():
    stack, key, bucket, stream = _bad_stack()
    other = kms.Key(stack, "Other")
    with pytest.raises(
        ValueError,
        match=r"encryption_key 'Bad/Other' is not the key of bucket 'Bad/Bucket' \('Bad/Key'\): "
        r"the bucket requires its own key for uploads",
    ):
        LakeDeliveryStream(
            stack,
            "Delivery",
            source_stream=stream,
            bucket=bucket,
            dataset=CLICKS,
            encryption_key=other,
        )
    delivery = LakeDeliveryStream(
        stack, "Same", source_stream=stream, bucket=bucket, dataset=CLICKS, encryption_key=key
    )
    assert delivery.key is key


def test_an_imported_key_read_back_from_its_bucket_is_the_same_key():
    """jsii hands back a new proxy for ``bucket.encryption_key``: compare keys, not objects."""
    stack = cdk.Stack(make_app(), "Imported")
    key = kms.Key.from_key_arn(stack, "OrgKey", "arn:aws:kms:us-east-1:111111111111:key/abc")
    bucket = DataLakeBucket(stack, "Raw", encryption_key=key).bucket
    stream = IngestionStream(stack, "Stream", encryption_key=key)
    delivery = LakeDeliveryStream(
        stack,
        "Delivery",
        source_stream=stream,
        bucket=bucket,
        dataset=CLICKS,
        encryption_key=bucket.encryption_key,
    )
    assert delivery.key.key_arn == "arn:aws:kms:us-east-1:111111111111:key/abc"


def test_the_bucket_construct_is_taken_for_its_bucket():
    stack, _, _, stream = _bad_stack()
    lake = DataLake(stack, "Lake")
    raw = lake.zone("raw")
    delivery = LakeDeliveryStream(
        stack, "Delivery", source_stream=stream, bucket=raw, dataset=CLICKS
    )
    assert delivery.bucket is raw.bucket and delivery.key is raw.key


def test_a_role_passed_as_stream_is_a_type_error_not_a_jsii_crash():
    stack, _, bucket, _ = _bad_stack()
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("firehose.amazonaws.com"))
    with pytest.raises(
        TypeError, match=r"source_stream must be an IStream \(aws_kinesis\), got Role"
    ):
        LakeDeliveryStream(stack, "Delivery", source_stream=role, bucket=bucket, dataset=CLICKS)
