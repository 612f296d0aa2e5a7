"""FlinkApplication: the template it writes (code, checkpoints, scaling, encryption, logging,
property groups, role, alarms, start on deploy) and the rules it enforces at synth time."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match, Template

from ml_data_platform import AlarmTopic, DataLakeKey, IngestionStream
from ml_data_platform.analytics import FlinkApplication, FlinkCode, FlinkRuntime
from ml_data_platform.analytics.checkpointing import RULE_NAME, checkpointing_problem
from tests.conftest import TEST_ENV, make_app, only_resource, resources_of_type

APPLICATION = "AWS::KinesisAnalyticsV2::Application"
FIREHOSE_ARN = "arn:aws:firehose:us-east-1:111111111111:deliverystream/direct-put"


@pytest.fixture(scope="module")
def code_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("job")
    (folder / "main.py").write_text("print('job')\n")
    (folder / "helpers.py").write_text("X = 1\n")
    jar = tmp_path_factory.mktemp("jar") / "connectors.jar"
    jar.write_bytes(b"PK not really a jar")
    return folder


def jar_of(code_dir: Path) -> Path:
    return next((code_dir.parent).glob("jar*/connectors.jar"))


@pytest.fixture(scope="module")
def built(code_dir):
    app = make_app()
    stack = cdk.Stack(app, "Analytics", env=TEST_ENV)
    key = DataLakeKey(stack, "Key").key
    topic = AlarmTopic(stack, "Alarms", encryption_key=key).topic
    source = IngestionStream(stack, "Events", encryption_key=key, alarm_topic=topic)
    features = IngestionStream(stack, "FeatureStream", encryption_key=key, alarm_topic=topic)
    direct = firehose.DeliveryStream.from_delivery_stream_arn(stack, "Direct", FIREHOSE_ARN)
    flink = FlinkApplication(
        stack,
        "Features",
        code=FlinkCode.from_asset(code_dir, jar=jar_of(code_dir), py_files=["helpers.py"]),
        source=source,
        sinks={"features": features, "audit": direct},
        properties={"job": {"window.seconds": "60"}},
        encryption_key=key,
        alarm_topic=topic,
        parallelism=4,
        parallelism_per_kpu=2,
        start_on_deploy=True,
    )
    template = Template.from_stack(stack)
    return stack, flink, template


def application(template: Template) -> dict:
    return only_resource(template, APPLICATION)[1]["Properties"]


def groups(template: Template) -> dict[str, dict]:
    props = application(template)["ApplicationConfiguration"]["EnvironmentProperties"]
    return {g["PropertyGroupId"]: g["PropertyMap"] for g in props["PropertyGroups"]}


def test_runtime_defaults_to_flink_1_20_with_custom_key(built):
    _, flink, template = built
    props = application(template)
    assert props["RuntimeEnvironment"] == "FLINK-1_20"
    config = props["ApplicationConfiguration"]
    assert config["ApplicationEncryptionConfiguration"]["KeyType"] == "CUSTOMER_MANAGED_KEY"
    assert "Fn::GetAtt" in config["ApplicationEncryptionConfiguration"]["KeyId"]
    assert config["ApplicationSnapshotConfiguration"] == {"SnapshotsEnabled": True}
    code = config["ApplicationCodeConfiguration"]
    assert code["CodeContentType"] == "ZIPFILE"
    assert code["CodeContent"]["S3ContentLocation"]["FileKey"].endswith(".zip")
    assert props["RunConfiguration"]["ApplicationRestoreConfiguration"] == {
        "ApplicationRestoreType": "RESTORE_FROM_LATEST_SNAPSHOT"
    }
    assert flink.kpus == 2


def test_checkpointing_scaling_and_monitoring(built):
    flink_config = application(built[2])["ApplicationConfiguration"][
        "FlinkApplicationConfiguration"
    ]
    assert flink_config["CheckpointConfiguration"] == {
        "ConfigurationType": "CUSTOM",
        "CheckpointingEnabled": True,
        "CheckpointInterval": 60_000,
        "MinPauseBetweenCheckpoints": 5_000,
    }
    assert flink_config["ParallelismConfiguration"] == {
        "ConfigurationType": "CUSTOM",
        "AutoScalingEnabled": True,
        "Parallelism": 4,
        "ParallelismPerKPU": 2,
    }
    assert flink_config["MonitoringConfiguration"] == {
        "ConfigurationType": "CUSTOM",
        "LogLevel": "INFO",
        "MetricsLevel": "APPLICATION",
    }


def test_property_groups_name_code_source_and_sinks(built):
    found = groups(built[2])
    assert found["kinesis.analytics.flink.run.options"] == {
        "python": "main.py",
        "jarfile": "lib/connectors.jar",
        "pyFiles": "helpers.py",
    }
    assert set(found["source"]) == {"stream.name", "stream.arn", "aws.region"}
    assert found["source"]["aws.region"] == "us-east-1"
    assert set(found["sink.features"]) == {"stream.name", "stream.arn", "aws.region"}
    assert found["sink.audit"]["delivery-stream.arn"] == FIREHOSE_ARN
    assert found["sink.audit"]["delivery-stream.name"] == "direct-put"
    assert found["job"] == {"window.seconds": "60"}


def test_asset_zip_holds_entry_point_and_jar(built):
    stack, _, _ = built
    assembly = cdk.Stage.of(stack).synth()
    manifest = json.loads(Path(assembly.directory, f"{stack.artifact_id}.assets.json").read_text())
    folders = [
        Path(assembly.directory, a["source"]["path"])
        for a in manifest["files"].values()
        if a["source"].get("packaging") == "zip"
        and Path(assembly.directory, a["source"]["path"], "main.py").exists()
    ]
    assert len(folders) == 1
    assert {p.relative_to(folders[0]).as_posix() for p in folders[0].rglob("*") if p.is_file()} == {
        "main.py",
        "helpers.py",
        "lib/connectors.jar",
    }


def test_logging_to_encrypted_log_group_with_retention(built):
    template = built[2]
    groups_found = {
        logical_id: resource
        for logical_id, resource in resources_of_type(template, "AWS::Logs::LogGroup").items()
        if logical_id.startswith("FeaturesLogs")
    }
    assert len(groups_found) == 1
    log_group = next(iter(groups_found.values()))
    assert log_group["Properties"]["RetentionInDays"] == 365
    assert "KmsKeyId" in log_group["Properties"]
    assert log_group["DeletionPolicy"] == "Retain"
    _, option = only_resource(
        template, "AWS::KinesisAnalyticsV2::ApplicationCloudWatchLoggingOption"
    )
    arn = json.dumps(option["Properties"]["CloudWatchLoggingOption"]["LogStreamARN"])
    assert ":log-stream:" in arn


def test_stateful_logical_ids_are_pinned(built):
    template = built[2]
    assert "FeaturesLogsD7666F04" in resources_of_type(template, "AWS::Logs::LogGroup")
    assert "Features3940F53C" in resources_of_type(template, APPLICATION)


def test_key_policy_admits_both_service_principals(built):
    template = built[2]
    key = next(
        resource
        for logical_id, resource in resources_of_type(template, "AWS::KMS::Key").items()
        if logical_id.startswith("Key")
    )
    statements = {s.get("Sid"): s for s in key["Properties"]["KeyPolicy"]["Statement"]}
    for sid, principal in (
        ("AllowManagedFlink", "kinesisanalytics.amazonaws.com"),
        ("AllowManagedFlinkInfrastructure", "infrastructure.kinesisanalytics.amazonaws.com"),
    ):
        assert statements[sid]["Principal"] == {"Service": principal}
        assert statements[sid]["Condition"]["StringEquals"] == {"aws:SourceAccount": "111111111111"}
        assert "kms:CreateGrant" in statements[sid]["Action"]


def test_role_is_least_privilege_in_one_managed_policy(built):
    stack, flink, template = built
    role = template.to_json()["Resources"][stack.get_logical_id(flink.role.node.default_child)]
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "kinesisanalytics.amazonaws.com"
    }
    assert "Policies" not in role["Properties"]
    policy = template.to_json()["Resources"][stack.get_logical_id(flink.policy.node.default_child)]
    statements = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    assert set(statements) == {
        "ReadCode",
        "ReadSource",
        "DecryptSource",
        "WriteSink0",
        "EncryptSink0",
        "WriteSink1",
        "DescribeLogGroups",
        "DescribeLogStreams",
        "WriteLogs",
        "PublishMetrics",
    }
    assert statements["DecryptSource"]["Action"] == "kms:Decrypt"
    assert "kms:EncryptionContext:aws:kinesis:arn" in json.dumps(statements["DecryptSource"])
    assert statements["WriteSink1"]["Action"] == ["firehose:PutRecord", "firehose:PutRecordBatch"]
    assert statements["WriteSink1"]["Resource"] == FIREHOSE_ARN
    assert statements["PublishMetrics"]["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": "AWS/KinesisAnalytics"}
    }
    actions = json.dumps([s["Action"] for s in statements.values()])
    assert '"kinesis:*"' not in actions and '"s3:*"' not in actions


def test_alarms_go_to_the_topic(built):
    _, flink, template = built
    assert set(flink.alarms) == {"Downtime", "Restarts", "FailedCheckpoints", "SourceLag"}
    alarms = [
        resource["Properties"]
        for logical_id, resource in resources_of_type(template, "AWS::CloudWatch::Alarm").items()
        if logical_id.startswith("Features")
        and "Alarm" in logical_id
        and not logical_id.startswith("FeaturesIteratorAge")
        and "Throttled" not in logical_id
    ]
    assert len(alarms) == 4
    text = json.dumps(alarms)
    for metric in ("downtime", "fullRestarts", "numberOfFailedCheckpoints", "millisBehindLatest"):
        assert f'"{metric}"' in text
    assert all(a["AlarmActions"] and a["OKActions"] for a in alarms)
    lag = next(a for a in alarms if a.get("MetricName") == "millisBehindLatest")
    assert lag["Threshold"] == 300_000


def test_start_on_deploy_calls_start_application(built):
    template = built[2]
    _, start = only_resource(template, "Custom::AWS")
    create = json.dumps(start["Properties"]["Create"])
    assert "startApplication" in create
    assert "RESTORE_FROM_LATEST_SNAPSHOT" in create
    assert "ResourceInUseException" in create


def small_app(code_dir: Path, **props) -> tuple[cdk.App, cdk.Stack, FlinkApplication]:
    app = make_app()
    stack = cdk.Stack(app, "Small", env=TEST_ENV)
    source = kinesis.Stream.from_stream_arn(
        stack, "Source", "arn:aws:kinesis:us-east-1:111111111111:stream/events"
    )
    flink = FlinkApplication(
        stack, "App", code=FlinkCode.from_asset(code_dir), source=source, **props
    )
    return app, stack, flink


def test_no_start_resource_by_default_and_runtime_2_counts_num_restarts(code_dir):
    _, stack, flink = small_app(code_dir, runtime=FlinkRuntime.FLINK_2_2, snapshots=False)
    template = Template.from_stack(stack)
    assert not resources_of_type(template, "Custom::AWS")
    assert flink.starter is None
    props = application(template)
    assert props["RuntimeEnvironment"] == "FLINK-2_2"
    assert props["RunConfiguration"]["ApplicationRestoreConfiguration"] == {
        "ApplicationRestoreType": "SKIP_RESTORE_FROM_SNAPSHOT"
    }
    assert '"numRestarts"' in json.dumps(template.to_json())
    assert '"fullRestarts"' not in json.dumps(template.to_json())
    # An unencrypted imported source: no decrypt statement.
    template.has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.not_(
                    Match.array_with([Match.object_like({"Sid": "DecryptSource"})])
                )
            }
        },
    )


def test_checkpointing_turned_off_fails_synthesis(code_dir):
    app, _, flink = small_app(code_dir)
    flink.application.add_property_override(
        "ApplicationConfiguration.FlinkApplicationConfiguration.CheckpointConfiguration."
        "CheckpointingEnabled",
        False,
    )
    with pytest.raises(RuntimeError, match=r"checkpointing off.*MlDataPlatformFlink"):
        app.synth()
    report = json.loads(Path(app.outdir, "validation-report.json").read_text())
    ours = next(p for p in report["pluginReports"] if p["pluginName"] == "MlDataPlatformFlink")
    assert ours["conclusion"] == "failure"
    assert [v["ruleName"] for v in ours["violations"]] == [RULE_NAME]


def test_checkpointing_on_passes_our_rule(code_dir):
    app, _, _ = small_app(code_dir)
    assembly = app.synth()  # raises on a violation, as in the test above
    report = json.loads(Path(assembly.directory, "validation-report.json").read_text())
    assert RULE_NAME not in json.dumps(report)


@pytest.mark.parametrize(
    ("properties", "problem"),
    [
        ({"RuntimeEnvironment": "FLINK-1_20"}, False),
        (
            {
                "RuntimeEnvironment": "FLINK-1_20",
                "ApplicationConfiguration": {
                    "FlinkApplicationConfiguration": {
                        "CheckpointConfiguration": {"ConfigurationType": "DEFAULT"}
                    }
                },
            },
            False,
        ),
        (
            {
                "RuntimeEnvironment": "FLINK-1_20",
                "ApplicationConfiguration": {
                    "FlinkApplicationConfiguration": {
                        "CheckpointConfiguration": {"ConfigurationType": "CUSTOM"}
                    }
                },
            },
            True,
        ),
        (
            {
                "RuntimeEnvironment": "FLINK-1_18",
                "ApplicationConfiguration": {
                    "FlinkApplicationConfiguration": {
                        "CheckpointConfiguration": {
                            "ConfigurationType": "CUSTOM",
                            "CheckpointingEnabled": "false",
                        }
                    }
                },
            },
            True,
        ),
        ({"RuntimeEnvironment": "SQL-1_0"}, False),
    ],
)
def test_checkpointing_rule_cases(properties, problem):
    assert (checkpointing_problem(properties) is not None) is problem


@pytest.mark.parametrize(
    ("props", "error", "message"),
    [
        ({"runtime": "FLINK-1_20"}, TypeError, "runtime must be a FlinkRuntime"),
        ({"parallelism": 0}, ValueError, "parallelism must be ≥ 1"),
        ({"parallelism_per_kpu": 0}, ValueError, "parallelism_per_kpu must be ≥ 1"),
        ({"parallelism": 65}, ValueError, "needs 65 KPUs, over max_kpus=64"),
        (
            {"checkpoint_interval": cdk.Duration.millis(500)},
            ValueError,
            "checkpoint_interval must be ≥ 1 second",
        ),
        (
            {"min_pause_between_checkpoints": cdk.Duration.seconds(60)},
            ValueError,
            "must be shorter than checkpoint_interval",
        ),
        ({"sinks": {"Bad Name": None}}, ValueError, "sinks: name 'Bad Name'"),
        ({"sinks": {"out": "a-stream"}}, TypeError, r"sinks\['out'\] must be an IngestionStream"),
        ({"properties": {"source": {"a": "b"}}}, ValueError, "is reserved"),
        ({"properties": {"job": {"a": 1}}}, TypeError, "must map strings to strings"),
        ({"application_name": "no spaces"}, ValueError, "application_name 'no spaces'"),
    ],
)
def test_bad_props_fail_with_the_rule(code_dir, props, error, message):
    with pytest.raises(error, match=message):
        small_app(code_dir, **props)


def test_code_sources_are_checked(code_dir, tmp_path):
    with pytest.raises(ValueError, match=r"entry_point 'job\.py' is not a file"):
        FlinkCode.from_asset(code_dir, entry_point="job.py")
    with pytest.raises(ValueError, match=r"jar 'missing\.jar' is not a file"):
        FlinkCode.from_asset(code_dir, jar="missing.jar")
    with pytest.raises(ValueError, match="must stay inside the code folder"):
        FlinkCode.from_asset(code_dir, entry_point="../main.py")
    with pytest.raises(ValueError, match="is not a folder"):
        FlinkCode.from_asset(tmp_path / "nope")
    app = make_app()
    stack = cdk.Stack(app, "S")
    bucket = s3.Bucket.from_bucket_name(stack, "B", "code-bucket")
    with pytest.raises(ValueError, match=r"key must name a \.zip object"):
        FlinkCode.from_bucket(bucket, "job.py")
    with pytest.raises(TypeError, match="code must be a FlinkCode"):
        FlinkApplication(stack, "App", code="s3://x/job.zip", source=None)


def test_code_from_bucket_reads_exactly_that_object(code_dir):
    app = make_app()
    stack = cdk.Stack(app, "FromBucket", env=TEST_ENV)
    bucket = s3.Bucket.from_bucket_name(stack, "B", "code-bucket")
    source = kinesis.Stream.from_stream_arn(
        stack, "Source", "arn:aws:kinesis:us-east-1:111111111111:stream/events"
    )
    FlinkApplication(
        stack,
        "App",
        code=FlinkCode.from_bucket(bucket, "jobs/features.zip", jar_file="lib/c.jar"),
        source=source,
    )
    template = Template.from_stack(stack)
    location = application(template)["ApplicationConfiguration"]["ApplicationCodeConfiguration"][
        "CodeContent"
    ]["S3ContentLocation"]
    assert location["FileKey"] == "jobs/features.zip"
    assert groups(template)["kinesis.analytics.flink.run.options"]["jarfile"] == "lib/c.jar"
    assert "code-bucket/jobs/features.zip" in json.dumps(template.to_json())
