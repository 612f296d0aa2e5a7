"""WarehouseStack: composition, pinned logical ids, snapshot, and the create_table switch."""

import json

import pytest
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Annotations, Match, Template

from ml_data_platform.stacks.storage_stack import StorageStack
from ml_data_platform.stacks.warehouse_stack import WarehouseStack
from ml_data_platform.storage import DEFAULT_ZONES, RAW, DataLakeZone, Lifecycle, LifecyclePreset
from ml_data_platform.warehouse import (
    JsonPaths,
    RedshiftColumn,
    RedshiftTable,
    RedshiftType,
    warehouse_staging_rule,
)
from tests.conftest import (
    TEST_ENV,
    assert_matches_snapshot,
    make_app,
    only_resource,
    resources_of_type,
    synth_with_nag,
)

TABLE = RedshiftTable(
    "clickstream_events",
    [
        RedshiftColumn("event_id", RedshiftType.varchar(64), nullable=False),
        RedshiftColumn("user_id", RedshiftType.varchar(64)),
        RedshiftColumn("event_type", RedshiftType.varchar(64)),
        RedshiftColumn("event_time", RedshiftType.TIMESTAMP),
        RedshiftColumn("properties", RedshiftType.SUPER),
    ],
    dist_key="user_id",
    sort_keys=["event_time"],
)

# The default zones, with the raw zone expiring what Firehose stages (as MlDataPlatform does).
ZONES_WITH_STAGING_RULE = tuple(
    DataLakeZone(zone.name, zone.resolved_lifecycle().with_rules(warehouse_staging_rule()), False)
    if zone.name == RAW
    else zone
    for zone in DEFAULT_ZONES
)


def build(app, *, stack_id="Warehouse", zones=DEFAULT_ZONES, **kwargs):
    """Storage + an imported stream (the streaming stack is another engineer's) + warehouse."""
    storage = StorageStack(app, "Storage", env=TEST_ENV, zones=zones)
    # Imports only (no resources), so they live in an existing stack.
    key = kms.Key.from_key_arn(storage, "StreamKey", "arn:aws:kms:us-east-1:111111111111:key/s")
    stream = kinesis.Stream.from_stream_attributes(
        storage,
        "Stream",
        stream_arn="arn:aws:kinesis:us-east-1:111111111111:stream/clickstream",
        encryption_key=key,
    )
    return WarehouseStack(
        app,
        stack_id,
        env=TEST_ENV,
        stream=stream,
        stream_key=key,
        data_lake=storage.data_lake,
        table=TABLE,
        **kwargs,
    )


@pytest.fixture(scope="module")
def built():
    stack = build(make_app())
    return stack, Template.from_stack(stack)


def test_logical_ids_of_stateful_resources_are_pinned(built):
    _, template = built
    assert set(resources_of_type(template, "AWS::RedshiftServerless::Namespace")) == {
        "WarehouseNamespace78ED5B58"
    }
    assert set(resources_of_type(template, "AWS::RedshiftServerless::Workgroup")) == {
        "WarehouseWorkgroup507BB996"
    }
    # The admin secret is Redshift-managed (rotating), not a resource of the stack.
    template.resource_count_is("AWS::SecretsManager::Secret", 0)
    assert set(resources_of_type(template, "AWS::KinesisFirehose::DeliveryStream")) == {
        "Delivery5F6C039D"
    }


def test_stack_uses_the_lake_key_and_raw_zone(built):
    stack, template = built
    template.resource_count_is("AWS::KMS::Key", 0)  # the lake's key, from the storage stack
    redshift = only_resource(template, "AWS::KinesisFirehose::DeliveryStream")[1]["Properties"][
        "RedshiftDestinationConfiguration"
    ]
    bucket = redshift["S3Configuration"]["BucketARN"]
    assert bucket == {
        "Fn::ImportValue": "Storage:ExportsOutputFnGetAttDataLakeRawZoneBucketC98FCD5DArn5606B32F"
    }
    assert redshift["CopyCommand"]["DataTableName"] == "public.clickstream_events"
    assert stack.warehouse.base_capacity == 8
    assert stack.delivery.staging_prefix == "warehouse-staging/public/clickstream_events/"


def test_table_is_created_before_delivery_and_after_workgroup(built):
    stack, template = built
    _, custom = only_resource(template, "Custom::AWS")
    assert stack.get_logical_id(stack.warehouse.workgroup) in custom["DependsOn"]
    _, delivery = only_resource(template, "AWS::KinesisFirehose::DeliveryStream")
    custom_id = next(iter(resources_of_type(template, "Custom::AWS")))
    assert custom_id in delivery["DependsOn"]


def test_alarms_notify_an_encrypted_topic(built):
    _stack, template = built
    topic_id, topic = only_resource(template, "AWS::SNS::Topic")
    assert topic["Properties"]["KmsMasterKeyId"] == LAKE_KEY
    alarms = resources_of_type(template, "AWS::CloudWatch::Alarm")
    assert len(alarms) == 2, sorted(alarms)  # delivery success and data freshness
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}]


LAKE_KEY = {
    "Fn::GetStackOutput": {
        "StackName": "Storage",
        "Region": "us-east-1",
        "OutputName": "PublishOutputFnGetAttDataLakeKeyBF9D10ACArn6226E372",
    }
}


def test_namespace_and_secret_are_encrypted_with_the_lake_key(built):
    _, template = built
    _, namespace = only_resource(template, "AWS::RedshiftServerless::Namespace")
    assert namespace["Properties"]["KmsKeyId"] == LAKE_KEY
    assert namespace["Properties"]["ManageAdminPassword"] is True
    assert namespace["Properties"]["AdminPasswordSecretKmsKeyId"] == LAKE_KEY
    assert set(namespace["Properties"]["LogExports"]) == {
        "userlog",
        "connectionlog",
        "useractivitylog",
    }


def test_workgroup_is_reachable_by_firehose_only(built):
    """Firehose loads Redshift over the workgroup's public endpoint: the workgroup is public,
    routes through the VPC, and its security group admits only the region's Firehose CIDR."""
    _, template = built
    _, workgroup = only_resource(template, "AWS::RedshiftServerless::Workgroup")
    properties = workgroup["Properties"]
    assert properties["PubliclyAccessible"] is True
    assert properties["EnhancedVpcRouting"] is True
    ((group_id, group),) = resources_of_type(template, "AWS::EC2::SecurityGroup").items()
    assert properties["SecurityGroupIds"] == [{"Fn::GetAtt": [group_id, "GroupId"]}]
    ingress = group["Properties"]["SecurityGroupIngress"]
    assert [(r["CidrIp"], r["IpProtocol"], r["FromPort"], r["ToPort"]) for r in ingress] == [
        ("52.70.63.192/27", "tcp", 5439, 5439)  # Amazon Data Firehose, us-east-1
    ]
    template.resource_count_is("AWS::EC2::SecurityGroupIngress", 0)


def test_snapshot(built):
    _, template = built
    # The provider Lambda's code asset hash changes with the CDK version: mask it.
    raw = template.to_json()
    for resource in raw["Resources"].values():
        if (
            resource["Type"] == "AWS::Lambda::Function"
            and "S3Key" in resource["Properties"]["Code"]
        ):
            resource["Properties"]["Code"]["S3Key"] = "<asset-hash>.zip"
    assert_matches_snapshot("warehouse_stack", Template.from_json(raw))


def test_without_table_creation_there_is_no_custom_resource():
    app = make_app()
    stack = build(app, create_table=False, base_capacity=16)
    template = Template.from_stack(stack)
    template.resource_count_is("Custom::AWS", 0)
    # Only the warehouse's own deploy-time lookup (managed secret ARN, S3 prefix list).
    (function,) = resources_of_type(template, "AWS::Lambda::Function")
    assert function.startswith("WarehouseLookupFunction")
    assert stack.table_setup is None
    _, workgroup = only_resource(template, "AWS::RedshiftServerless::Workgroup")
    assert workgroup["Properties"]["BaseCapacity"] == 16


def test_wrong_kinds_fail_clearly():
    app = make_app()
    storage = StorageStack(app, "Storage", env=TEST_ENV)
    with pytest.raises(TypeError, match=r"stream must be an IStream \(aws_kinesis\), got str"):
        WarehouseStack(
            app,
            "W1",
            env=TEST_ENV,
            stream="clickstream",
            stream_key=storage.data_lake.key,
            data_lake=storage.data_lake,
            table=TABLE,
        )
    with pytest.raises(TypeError, match=r"data_lake must be a DataLake, got Bucket"):
        WarehouseStack(
            app,
            "W2",
            env=TEST_ENV,
            stream=kinesis.Stream(storage, "S"),
            stream_key=storage.data_lake.key,
            data_lake=storage.data_lake.zone("raw").bucket,
            table=TABLE,
        )


STAGING_WARNING = Match.string_like_regexp(
    r"does not expire 'warehouse-staging/public/clickstream_events/'.*warehouse_staging_rule\(\)"
)


def test_warns_when_the_raw_zone_keeps_staged_files_forever(built):
    stack, _ = built  # default zones: the raw zone's ARCHIVE lifecycle never expires
    Annotations.from_stack(stack).has_warning("/Warehouse/Delivery", STAGING_WARNING)


def test_no_warning_once_the_raw_zone_expires_the_staging_prefix():
    stack = build(make_app(), zones=ZONES_WITH_STAGING_RULE)
    Annotations.from_stack(stack).has_no_warning("*", STAGING_WARNING)


def test_jsonpaths_are_written_to_the_raw_zone_and_used_by_copy_nag_clean():
    app = make_app()
    stack = build(
        app,
        zones=ZONES_WITH_STAGING_RULE,
        jsonpaths=JsonPaths({"user_id": "$.user.id", "properties": "$['props']"}),
    )
    synth_with_nag(app)  # the writer's and the reader's permissions add no finding
    template = Template.from_stack(stack)
    assert stack.table_setup.jsonpaths_file.key == (
        "warehouse-jsonpaths/public/clickstream_events.json"
    )
    copy_options = only_resource(template, "AWS::KinesisFirehose::DeliveryStream")[1]["Properties"][
        "RedshiftDestinationConfiguration"
    ]["CopyCommand"]["CopyOptions"]
    rendered = json.dumps(copy_options)
    assert rendered.startswith('{"Fn::Join": ["", ["JSON \'s3://", {"Fn::Select": [0,')
    assert "/warehouse-jsonpaths/public/clickstream_events.json' TIMEFORMAT 'auto' GZIP" in rendered
    assert len(resources_of_type(template, "Custom::AWS")) == 2


def test_jsonpaths_need_the_table_setup():
    with pytest.raises(ValueError, match=r"jsonpaths needs create_table=True"):
        build(make_app(), create_table=False, jsonpaths=JsonPaths())


def test_jsonpaths_refused_when_the_raw_zone_would_expire_the_file():
    expiring = tuple(
        DataLakeZone(
            zone.name,
            Lifecycle.preset(LifecyclePreset.ARCHIVE, expire_after_days=400).with_rules(
                warehouse_staging_rule()
            ),
            False,
        )
        if zone.name == RAW
        else zone
        for zone in DEFAULT_ZONES
    )
    with pytest.raises(
        ValueError,
        match=r"jsonpaths: the raw zone's lifecycle expires "
        r"'warehouse-jsonpaths/public/clickstream_events.json' after 400 days",
    ):
        build(make_app(), zones=expiring, jsonpaths=JsonPaths())
    stack = build(make_app(), zones=expiring)  # without jsonpaths the expiration is fine
    assert stack.table_setup.jsonpaths_file is None
