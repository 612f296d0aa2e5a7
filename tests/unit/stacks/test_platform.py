"""The whole platform from cdk.json: both environments, nag-clean, pinned stateful IDs."""

import copy
import json

import pytest
from aws_cdk.assertions import Template

from ml_data_platform.config import CONTEXT_KEY
from ml_data_platform.stacks import PipelineStack, build_platform
from ml_data_platform.stacks.placement import dataset_slot
from tests.conftest import CDK_CONTEXT, logical_ids, make_app, only_resource, resources_of_type

# Renaming a construct must fail here instead of replacing data on deploy.
PINNED_STATEFUL_IDS = {
    "storage": {
        "AWS::KMS::Key": {"DataLakeKeyBF9D10AC"},
        "AWS::S3::Bucket": {
            "DataLakeAccessLogsBucketD1E72160",
            "DataLakeRawZoneBucketC98FCD5D",
            "DataLakeCuratedZoneBucket4033E605",
            "DataLakeAnalyticsZoneBucket19A5549C",
        },
    },
    "ingestion": {
        "AWS::Kinesis::Stream": {"ClickstreamStream7A92171B"},
        # Firehose's delivery errors: data about lost records.
        "AWS::Logs::LogGroup": {"ClickstreamDeliveryLogGroup9A1820B2"},
        # Next to the delivery that writes its location (stacks.placement).
        "AWS::Glue::Table": {"ClickstreamTable5E02BB9A"},
    },
    "shared": {
        # dev's small-events group: search-queries, item-ratings and cart-adds on one stream.
        "AWS::Kinesis::Stream": {"SmallEventsStreamE1A46D3E"},
        "AWS::Logs::LogGroup": {"SmallEventsDeliveryLogGroup0702A4E7"},
    },
    # Their tables stay in their own slot stacks (a dataset's table never moves).
    "search-queries": {"AWS::Glue::Table": {"SearchQueriesTableC2E66506"}},
    "item-ratings": {"AWS::Glue::Table": {"ItemRatingsTable5111BF4B"}},
    "catalog": {
        "AWS::Glue::Database": {
            "CatalogRawDatabaseCC29CEE7",
            "CatalogCuratedDatabaseBB03A401",
            "CatalogAnalyticsDatabaseAC5F19F3",
        },
        "AWS::S3::Bucket": {"AthenaResultsAccessLogsBucketB9E5EEB3", "AthenaResultsBucket4D67EE49"},
    },
}
# dev's cart-adds (shared) hashes to clickstream's slot (14): its table is there too.
DEV_SLOT_TABLES = {"CartAddsTable7545B1A1"}
# Both environments prepare the raw zone for restores (cdk.json restore.zones).
DEV_RESTORE_BUCKETS = {"RawRestoresReportsBucket0BBB34F6"}
# The warehouse's data log groups: delivery errors and the VPC flow logs.
WAREHOUSE_DATA_LOG_GROUPS = {"DeliveryLogsE7964E8F", "WarehouseVpcFlowLogs3ED9F8D6"}
PINNED_WAREHOUSE_IDS = {
    "AWS::RedshiftServerless::Namespace": {"WarehouseNamespace78ED5B58"},
    "AWS::RedshiftServerless::Workgroup": {"WarehouseWorkgroup507BB996"},
    # Plus the table-setup provider's and the warehouse lookup's own (operational) log groups.
    "AWS::Logs::LogGroup": WAREHOUSE_DATA_LOG_GROUPS
    | {"TableSetupProviderLogsDB228376", "WarehouseLookupLogs864E45D4"},
}
# What prod must retain when its stack is deleted or the resource replaced.
PROD_RETAINED = {
    "storage": {"AWS::S3::Bucket": None, "AWS::KMS::Key": None},
    "catalog": {"AWS::S3::Bucket": None, "AWS::Glue::Database": None},
    "ingestion": {"AWS::Kinesis::Stream": None, "AWS::Logs::LogGroup": None},
    "warehouse": {
        "AWS::RedshiftServerless::Namespace": None,
        "AWS::RedshiftServerless::Workgroup": None,
        # Every log group, the table-setup provider's record of its DDL runs included.
        "AWS::Logs::LogGroup": WAREHOUSE_DATA_LOG_GROUPS
        | {"TableSetupProviderLogsDB228376", "WarehouseLookupLogs864E45D4"},
    },
}


@pytest.fixture(scope="module")
def platform(platform_synth):
    return platform_synth


def layers(stage):
    platform = stage.platform
    # clickstream's ingestion stack is its hash slot (stacks.placement).
    found = {
        "storage": platform.storage,
        "catalog": platform.catalog,
        "ingestion": platform.ingestion_stacks[dataset_slot("clickstream")],
    }
    if platform.shared is not None:
        found["shared"] = platform.shared
        for name in ("search-queries", "item-ratings"):
            found[name] = platform.ingestion_stacks[dataset_slot(name)]
    if platform.warehouse is not None:
        found["warehouse"] = platform.warehouse
    return {name: Template.from_stack(stack) for name, stack in found.items()}


def test_dev_ingests_two_small_datasets_on_one_shared_stream(platform):
    dev = platform[0]["Dev"].platform
    assert dev.shared.stack_name == "mldp-dev-ingestion-shared"
    assert platform[0]["Prod"].platform.shared is None  # prod: Parquet, dedicated
    # Their slot stacks hold only their tables; the shared stack the stream and delivery.
    for name in ("search-queries", "item-ratings"):
        slot = dev.ingestion_stacks[dataset_slot(name)]
        assert slot.streams == {} and list(slot.tables) == [name]
        assert dev.streams[name] is dev.shared.streams["small-events"]
        assert dev.deliveries[name] is dev.shared.deliveries["small-events"]
    assert dev.shared.layouts["small-events"].dataset_names == (
        "search-queries",
        "item-ratings",
        "cart-adds",
    )
    # cart-adds' table sits next to clickstream's stream in slot 14, without a stream.
    slot = dev.ingestion_stacks[dataset_slot("cart-adds")]
    assert list(slot.streams) == ["clickstream"] and set(slot.tables) == {
        "clickstream",
        "cart-adds",
    }


def test_both_environments_synthesize_with_zero_unacknowledged_findings(platform):
    stages, report = platform
    assert sorted(stages) == ["Dev", "Prod"]
    assert sorted(p["pluginName"] for p in report["pluginReports"]) == [
        "AwsSolutions",
        "HIPAA.Security",
        "NIST.800.53.R5",
        "PCI.DSS.321",
    ]
    assert {p["conclusion"] for p in report["pluginReports"]} == {"success"}


@pytest.mark.parametrize("stage_name", ["Dev", "Prod"])
def test_stateful_logical_ids_are_pinned(platform, stage_name):
    templates = layers(platform[0][stage_name])
    for layer, expected in PINNED_STATEFUL_IDS.items():
        if layer not in templates:  # the shared group is dev's only
            assert stage_name == "Prod"
            continue
        for resource_type, ids in expected.items():
            if (layer, resource_type) == ("storage", "AWS::S3::Bucket"):
                ids = ids | DEV_RESTORE_BUCKETS
            if (layer, resource_type, stage_name) == ("ingestion", "AWS::Glue::Table", "Dev"):
                ids = ids | DEV_SLOT_TABLES
            assert logical_ids(templates[layer], resource_type) == ids, (layer, resource_type)


def test_prod_warehouse_ids_are_pinned(platform):
    template = layers(platform[0]["Prod"])["warehouse"]
    for resource_type, ids in PINNED_WAREHOUSE_IDS.items():
        assert logical_ids(template, resource_type) == ids, resource_type


def test_prod_warehouse_physical_names_are_pinned(platform):
    """NamespaceName and WorkgroupName are create-only: changing them replaces the warehouse
    (a new, empty namespace; the retained one orphaned). Change them only with a migration."""
    template = layers(platform[0]["Prod"])["warehouse"]
    (namespace,) = resources_of_type(template, "AWS::RedshiftServerless::Namespace").values()
    (workgroup,) = resources_of_type(template, "AWS::RedshiftServerless::Workgroup").values()
    assert namespace["Properties"]["NamespaceName"] == "mldp-prod-warehouse-warehouse"
    assert workgroup["Properties"]["WorkgroupName"] == "mldp-prod-warehouse-warehouse-wg"
    assert workgroup["Properties"]["NamespaceName"] == "mldp-prod-warehouse-warehouse"


def test_stack_names_termination_protection_and_tags(platform):
    stages, _ = platform
    dev, prod = stages["Dev"].platform, stages["Prod"].platform
    assert dev.storage.stack_name == "mldp-dev-storage"
    assert prod.warehouse.stack_name == "mldp-prod-warehouse"
    assert dev.warehouse is None
    assert prod.storage.termination_protection is True
    assert dev.storage.termination_protection is False
    key = next(iter(resources_of_type(Template.from_stack(prod.storage), "AWS::KMS::Key").values()))
    tags = {t["Key"]: t["Value"] for t in key["Properties"]["Tags"]}
    assert tags == {"ml-data-platform:environment": "prod", "ml-data-platform:project": "mldp"}


def test_dev_opts_in_to_destroy_and_prod_retains(platform):
    stages, _ = platform
    dev = layers(stages["Dev"])["storage"]
    dev_buckets = resources_of_type(dev, "AWS::S3::Bucket")
    assert (
        set(dev_buckets) == PINNED_STATEFUL_IDS["storage"]["AWS::S3::Bucket"] | DEV_RESTORE_BUCKETS
    )
    assert {b["DeletionPolicy"] for b in dev_buckets.values()} == {"Delete"}
    prod = layers(stages["Prod"])
    checked = set()
    for layer, types in PROD_RETAINED.items():
        for resource_type, only in types.items():
            found = resources_of_type(prod[layer], resource_type)
            if only is not None:
                found = {lid: r for lid, r in found.items() if lid in only}
                assert set(found) == only, (layer, resource_type)
            assert found, (layer, resource_type)
            for logical_id, resource in found.items():
                assert resource["DeletionPolicy"] == "Retain", (layer, logical_id)
                assert resource["UpdateReplacePolicy"] == "Retain", (layer, logical_id)
                checked.add(logical_id)
    assert {
        "DataLakeKeyBF9D10AC",
        "CatalogRawDatabaseCC29CEE7",
        "ClickstreamDeliveryLogGroup9A1820B2",
        "WarehouseNamespace78ED5B58",
        "WarehouseWorkgroup507BB996",
        "TableSetupProviderLogsDB228376",
        *WAREHOUSE_DATA_LOG_GROUPS,
    } <= checked
    prod["storage"].resource_count_is("Custom::S3AutoDeleteObjects", 0)


def test_warehouse_alarms_notify_the_storage_alarm_topic(platform):
    stages, _ = platform
    prod = stages["Prod"].platform
    templates = layers(stages["Prod"])
    topic_id, _ = only_resource(templates["storage"], "AWS::SNS::Topic")
    templates["warehouse"].resource_count_is("AWS::SNS::Topic", 0)
    assert prod.warehouse.alarm_topic is prod.storage.alarm_topic.topic
    alarms = resources_of_type(templates["warehouse"], "AWS::CloudWatch::Alarm")
    assert len(alarms) == 2, sorted(alarms)
    for name, alarm in alarms.items():
        for actions in ("AlarmActions", "OKActions"):
            (action,) = alarm["Properties"][actions]
            reference = action["Fn::GetStackOutput"]
            assert reference["StackName"] == prod.storage.stack_name, name
            assert reference["OutputName"].startswith(f"PublishOutputRef{topic_id}"), name
    # The same topic as the ingestion alarms (which the alarm e-mail subscribes to).
    ingestion_alarm = next(
        iter(resources_of_type(templates["ingestion"], "AWS::CloudWatch::Alarm").values())
    )
    assert {json.dumps(a["Properties"]["AlarmActions"]) for a in alarms.values()} == {
        json.dumps(ingestion_alarm["Properties"]["AlarmActions"])
    }


def raw_zone_rules(stage):
    storage = layers(stage)["storage"]
    raw = resources_of_type(storage, "AWS::S3::Bucket")["DataLakeRawZoneBucketC98FCD5D"]
    return {rule["Id"]: rule for rule in raw["Properties"]["LifecycleConfiguration"]["Rules"]}


def test_with_the_warehouse_the_raw_zone_expires_staged_files(platform):
    stages, _ = platform
    rules = raw_zone_rules(stages["Prod"])
    assert rules["warehouse-staging"] == {
        "Id": "warehouse-staging",
        "Prefix": "warehouse-staging/",
        "ExpirationInDays": 7,
        "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
        "Status": "Enabled",
    }
    assert "archive-tiering" in rules and "hygiene" in rules  # the zone's own rules stay
    staging = stages["Prod"].platform.warehouse.delivery.staging_prefix
    assert staging.startswith(rules["warehouse-staging"]["Prefix"])
    assert "warehouse-staging" not in raw_zone_rules(stages["Dev"])  # no warehouse in dev


def test_a_configured_expiry_reaches_the_raw_zone():
    context = copy.deepcopy(CDK_CONTEXT)
    context[CONTEXT_KEY]["environments"]["dev"]["lifecycle"] = {
        "raw": {"preset": "archive", "expire_after_days": 400}
    }
    (stage,) = build_platform(make_app(env="dev"), context)
    tiering = raw_zone_rules(stage)["archive-tiering"]
    assert tiering["ExpirationInDays"] == 400
    assert [t["StorageClass"] for t in tiering["Transitions"]] == [
        "STANDARD_IA",
        "GLACIER_IR",
        "DEEP_ARCHIVE",
    ]


def test_prod_lands_parquet_and_dev_gzip_json(platform):
    stages, _ = platform
    dev = layers(stages["Dev"])["ingestion"]
    prod = layers(stages["Prod"])["ingestion"]
    (prod_stream,) = resources_of_type(prod, "AWS::KinesisFirehose::DeliveryStream").values()
    prod_s3 = prod_stream["Properties"]["ExtendedS3DestinationConfiguration"]
    assert "DataFormatConversionConfiguration" in prod_s3
    assert prod_s3["BufferingHints"] == {"IntervalInSeconds": 300, "SizeInMBs": 128}
    (dev_stream,) = resources_of_type(dev, "AWS::KinesisFirehose::DeliveryStream").values()
    assert (
        dev_stream["Properties"]["ExtendedS3DestinationConfiguration"]["CompressionFormat"]
        == "GZIP"
    )
    (kinesis,) = resources_of_type(prod, "AWS::Kinesis::Stream").values()
    assert kinesis["Properties"]["ShardCount"] == 4
    assert kinesis["Properties"]["RetentionPeriodHours"] == 168


def test_ml_consumer_reads_curated_and_analytics_and_queries(platform):
    stages, _ = platform
    catalog = layers(stages["Dev"])["catalog"]
    roles = resources_of_type(catalog, "AWS::IAM::Role")
    sagemaker = [
        lid
        for lid, r in roles.items()
        if "sagemaker.amazonaws.com" in str(r["Properties"]["AssumeRolePolicyDocument"])
    ]
    assert len(sagemaker) == 1
    policy = next(
        p
        for p in resources_of_type(catalog, "AWS::IAM::Policy").values()
        if {"Ref": sagemaker[0]} in p["Properties"]["Roles"]
    )
    text = str(policy["Properties"]["PolicyDocument"])
    assert "athena:StartQueryExecution" in text
    assert "CuratedZoneBucket" in text and "AnalyticsZoneBucket" in text
    assert "RawZoneBucket" not in text


def test_env_context_selects_one_environment():
    app = make_app(env="prod")
    stages = build_platform(app, CDK_CONTEXT)
    assert [s.stage_name for s in stages] == ["Prod"]
    with pytest.raises(
        ValueError, match=r"-c env=qa: no such environment; defined: \['dev', 'prod'\]"
    ):
        build_platform(make_app(env="qa"), CDK_CONTEXT)


def test_local_emulator_build_retains_and_skips_bootstrap_rule():
    app = make_app()
    (stage,) = build_platform(app, CDK_CONTEXT, for_local_emulator=True)
    template = Template.from_stack(stage.platform.storage).to_json()
    assert "CheckBootstrapVersion" not in template.get("Rules", {})
    policies = {
        lid: r.get("DeletionPolicy")
        for lid, r in template["Resources"].items()
        if r["Type"] == "AWS::S3::Bucket"
    }
    assert set(policies) == PINNED_STATEFUL_IDS["storage"]["AWS::S3::Bucket"] | DEV_RESTORE_BUCKETS
    assert set(policies.values()) == {"Retain"}
    assert not any(r["Type"].startswith("Custom::") for r in template["Resources"].values())


def test_pipeline_deploys_dev_then_prod_after_approval():
    context = copy.deepcopy(CDK_CONTEXT)
    context[CONTEXT_KEY]["pipeline"] = {
        "connection_arn": "arn:aws:codeconnections:us-east-1:111111111111:connection/abc",
        "repository": "acme/ml-data-platform",
        "account": "111111111111",
        "region": "us-east-1",
    }
    app = make_app()
    from ml_data_platform.config import pipeline_settings

    stack = PipelineStack(app, "Pipeline", settings=pipeline_settings(context), context=context)
    template = Template.from_stack(stack)
    (pipeline,) = resources_of_type(template, "AWS::CodePipeline::Pipeline").values()
    stages = [s["Name"] for s in pipeline["Properties"]["Stages"]]
    assert stages[:3] == ["Source", "Build", "UpdatePipeline"]
    assert stages.index("Dev") < stages.index("Prod")
    prod = next(s for s in pipeline["Properties"]["Stages"] if s["Name"] == "Prod")
    assert prod["Actions"][0]["ActionTypeId"]["Category"] == "Approval"
    projects = str(resources_of_type(template, "AWS::CodeBuild::Project"))
    assert "make test" in projects and "npx cdk synth --quiet" in projects
