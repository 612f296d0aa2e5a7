"""The local deploy on a real moto server: the dev stage synthesized for the emulator, the
read-backs, the data check, and the resource-type catalogue re-verified against moto."""

from __future__ import annotations

import glob
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from ml_data_platform.local import MotoServer
from ml_data_platform.local.assembly import read_assembly
from ml_data_platform.local.catalogue import (
    ACCEPTED,
    ACCEPTED_NOT_EMULATED,
    CREATED,
    EMULATED,
    is_custom_resource,
    unclassified_types,
)
from ml_data_platform.local.datacheck import FIREHOSE_NOTE, run_data_check
from ml_data_platform.local.deploy import (
    DeployReport,
    deploy_assembly,
    deployed_stack_names,
    synthesize_local,
)
from ml_data_platform.local.readback import MISMATCH
from ml_data_platform.stacks import build_platform
from tests.conftest import CDK_CONTEXT


@pytest.fixture(scope="module")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dev stage for the emulator (``build_platform(..., for_local_emulator=True)``)."""
    return synthesize_local(tmp_path_factory.mktemp("local-cdk-out"), context=CDK_CONTEXT)


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    with MotoServer() as server:
        yield server


@pytest.fixture(scope="module")
def report(moto: MotoServer, assembly: Path) -> DeployReport:
    return deploy_assembly(moto.client, assembly, region=moto.region, stack_timeout_seconds=30)


def templates(assembly: Path) -> dict[str, dict[str, Any]]:
    return {s.display_name: s.template for s in read_assembly(assembly)}


def checks_of(report: DeployReport, resource_type: str) -> dict[str, str]:
    rows = report.created(resource_type)
    assert rows, f"no {resource_type} created"
    return {check.name: f"{check.outcome} {check.detail}" for check in rows[0].checks}


def test_the_report_says_the_emulator_has_no_managed_flink(report: DeployReport) -> None:
    text = report.format()
    assert "no Managed Service for Apache Flink application (moto has none)" in text


def test_every_stack_is_created_and_every_read_back_agrees(report: DeployReport) -> None:
    assert deployed_stack_names(report) == [
        "mldp-dev-storage",
        "mldp-dev-catalog",
        # slots (stacks.placement): item-ratings' and search-queries' tables, clickstream
        "mldp-dev-ingestion-10",
        "mldp-dev-ingestion-11",
        "mldp-dev-ingestion-14",
        "mldp-dev-ingestion-shared",  # their shared stream and routing delivery
        "mldp-dev-services",
        "mldp-dev-analytics",
    ]
    assert [s.status for s in report.stacks] == ["CREATE_COMPLETE"] * 8
    mismatches = [
        (r.logical_id, str(c)) for r in report.rows for c in r.checks if c.outcome == MISMATCH
    ]
    assert mismatches == []
    # The tables (ingestion stack) read the raw database's name from the catalog stack; moto
    # skips Glue and publishes no output for it: said, not hidden.
    assert any(
        w.startswith("Dev/Platform/Catalog: output PublishOutputRefCatalogRawDatabase")
        for w in report.warnings
    ), report.warnings
    assert report.ok


def test_the_report_never_claims_a_skipped_resource(report: DeployReport) -> None:
    for row in report.rows:
        expected = CREATED if row.resource_type in EMULATED else ACCEPTED
        assert row.status == expected, row
    lines = report.format().splitlines()
    for row in report.rows:
        line = next(line for line in lines if f" {row.logical_id} " in line)
        assert f" {row.status} " in line
        if row.status == ACCEPTED:
            assert "not emulated" in line and " ok " not in line


def test_zone_buckets_are_kms_encrypted_with_the_lake_key(
    report: DeployReport, moto: MotoServer
) -> None:
    keys = report.created("AWS::KMS::Key")
    key_id = report.physical_id(keys[0])
    kms = moto.client("kms")
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    raw = next(r for r in report.created("AWS::S3::Bucket") if "RawZone" in r.logical_id)
    rule = moto.client("s3").get_bucket_encryption(Bucket=report.physical_id(raw))[
        "ServerSideEncryptionConfiguration"
    ]["Rules"][0]["ApplyServerSideEncryptionByDefault"]
    assert rule["SSEAlgorithm"] == "aws:kms"
    assert rule["KMSMasterKeyID"].endswith(key_id)
    checks = {c.name: c for c in raw.checks}
    assert checks["encryption"].outcome == "ok"
    assert key_id in checks["encryption"].detail


def test_stream_read_back_reports_the_emulator_gaps(report: DeployReport) -> None:
    checks = checks_of(report, "AWS::Kinesis::Stream")
    assert checks["status"].startswith("ok")
    assert checks["retention hours"].startswith("ok")
    assert checks["encryption"].startswith("not emulated")  # moto ignores StreamEncryption
    assert checks["mode"].startswith("not emulated")  # ... and StreamModeDetails


def test_data_check_round_trips_stream_and_bucket(report: DeployReport, moto: MotoServer) -> None:
    result = run_data_check(moto.client, report, dataset="clickstream", records=5)
    assert result.ok, result.lines
    assert result.bucket and result.key and result.key.startswith("clickstream/year=")
    assert (result.records_sent, result.records_read) == (5, 5)
    assert result.lines[-1] == FIREHOSE_NOTE
    firehose = [r for r in report.rows if r.resource_type == "AWS::KinesisFirehose::DeliveryStream"]
    assert all(r.status == ACCEPTED for r in firehose)
    assert moto.client("firehose").list_delivery_streams()["DeliveryStreamNames"] == []


def test_services_report_what_the_emulator_runs(report: DeployReport, moto: MotoServer) -> None:
    """The trigger's state machine and rule exist but never run (no event delivery); the video
    stream and the queue policy are accepted only; the restore role and bucket exist."""
    machines = report.created("AWS::StepFunctions::StateMachine")
    assert [r.status for r in machines] == [CREATED]
    arn = report.physical_id(machines[0])
    assert moto.client("stepfunctions").list_executions(stateMachineArn=arn)["executions"] == []
    statuses = {r.resource_type: r.status for r in report.rows}
    assert statuses["AWS::KinesisVideo::Stream"] == ACCEPTED
    assert statuses["AWS::SQS::QueuePolicy"] == ACCEPTED
    assert any(
        "RawRestoresBatchOperationsRole" in r.logical_id for r in report.created("AWS::IAM::Role")
    )


def test_guard_no_unclassified_type_in_the_local_dev_stage(assembly: Path) -> None:
    found = {name: unclassified_types(t) for name, t in templates(assembly).items()}
    assert {name: types for name, types in found.items() if types} == {}


def test_guard_regular_dev_stage_has_only_classified_or_custom_types(tmp_path: Path) -> None:
    """New resource types reach the catalogue when they reach the platform, not later."""
    app = cdk.App(context=CDK_CONTEXT, outdir=str(tmp_path), analytics_reporting=False)
    build_platform(app, CDK_CONTEXT, ["dev"])
    app.synth()
    unknown = set()
    for path in glob.glob(f"{tmp_path}/**/*.template.json", recursive=True):
        template = json.loads(Path(path).read_text())
        unknown |= {t for t in unclassified_types(template) if not is_custom_resource(t)}
    assert unknown == set()


# --- The catalogue, re-verified: one resource per catalogued type, deployed on moto. -------

_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
_DOC = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}],
}
_EMULATED_PROBES: dict[str, tuple[str, dict[str, Any]]] = {
    "Key": ("AWS::KMS::Key", {"KeyPolicy": _DOC, "EnableKeyRotation": True}),
    "Alias": ("AWS::KMS::Alias", {"AliasName": "alias/probe", "TargetKeyId": {"Ref": "Key"}}),
    "Bucket": ("AWS::S3::Bucket", {"BucketName": "catalogue-probe"}),
    "Stream": ("AWS::Kinesis::Stream", {"ShardCount": 1}),
    "Role": ("AWS::IAM::Role", {"AssumeRolePolicyDocument": _TRUST}),
    "Policy": (
        "AWS::IAM::Policy",
        {"PolicyName": "p", "PolicyDocument": _DOC, "Roles": [{"Ref": "Role"}]},
    ),
    "Managed": ("AWS::IAM::ManagedPolicy", {"PolicyDocument": _DOC, "Roles": [{"Ref": "Role"}]}),
    "Logs": ("AWS::Logs::LogGroup", {"RetentionInDays": 7}),
    "Topic": ("AWS::SNS::Topic", {}),
    "Rule": ("AWS::Events::Rule", {"EventPattern": {"source": ["aws.glue"]}}),
    "Param": ("AWS::SSM::Parameter", {"Name": "/probe/p", "Type": "String", "Value": "v"}),
    "Queue": ("AWS::SQS::Queue", {}),
    "Machine": (
        "AWS::StepFunctions::StateMachine",
        {
            "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
            "DefinitionString": '{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}',
        },
    ),
    "Function": (
        "AWS::Lambda::Function",
        {
            "Runtime": "python3.12",
            "Handler": "index.handler",
            "Role": {"Fn::GetAtt": ["Role", "Arn"]},
            "Code": {"ZipFile": "def handler(event, context):\n    return 1\n"},
        },
    ),
    "Vpc": ("AWS::EC2::VPC", {"CidrBlock": "10.0.0.0/16"}),
    "Subnet": ("AWS::EC2::Subnet", {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.0.0/24"}),
    "Subnet2": ("AWS::EC2::Subnet", {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.1.0/24"}),
    "Routes": ("AWS::EC2::RouteTable", {"VpcId": {"Ref": "Vpc"}}),
    "Assoc": (
        "AWS::EC2::SubnetRouteTableAssociation",
        {"SubnetId": {"Ref": "Subnet"}, "RouteTableId": {"Ref": "Routes"}},
    ),
    "Igw": ("AWS::EC2::InternetGateway", {}),
    "Attach": (
        "AWS::EC2::VPCGatewayAttachment",
        {"VpcId": {"Ref": "Vpc"}, "InternetGatewayId": {"Ref": "Igw"}},
    ),
    "Route": (
        "AWS::EC2::Route",
        {
            "RouteTableId": {"Ref": "Routes"},
            "DestinationCidrBlock": "0.0.0.0/0",
            "GatewayId": {"Ref": "Igw"},
        },
    ),
    "Eip": ("AWS::EC2::EIP", {"Domain": "vpc"}),
    "Nat": (
        "AWS::EC2::NatGateway",
        {"SubnetId": {"Ref": "Subnet"}, "AllocationId": {"Fn::GetAtt": ["Eip", "AllocationId"]}},
    ),
    "Sg": ("AWS::EC2::SecurityGroup", {"GroupDescription": "probe", "VpcId": {"Ref": "Vpc"}}),
    "SgIn": (
        "AWS::EC2::SecurityGroupIngress",
        {
            "GroupId": {"Fn::GetAtt": ["Sg", "GroupId"]},
            "IpProtocol": "tcp",
            "FromPort": 5439,
            "ToPort": 5439,
            "CidrIp": "10.0.0.0/16",
        },
    ),
    "Endpoint": (
        "AWS::EC2::VPCEndpoint",
        {
            "VpcId": {"Ref": "Vpc"},
            "ServiceName": "com.amazonaws.us-east-1.s3",
            "RouteTableIds": [{"Ref": "Routes"}],
        },
    ),
    "Flow": (
        "AWS::EC2::FlowLog",
        {
            "ResourceId": {"Ref": "Vpc"},
            "ResourceType": "VPC",
            "TrafficType": "ALL",
            "LogDestinationType": "s3",
            "LogDestination": "arn:aws:s3:::catalogue-probe",
        },
    ),
    "Cluster": (
        "AWS::Redshift::Cluster",
        {
            "ClusterType": "single-node",
            "NodeType": "ra3.xlplus",
            "DBName": "dev",
            "MasterUsername": "admin",
            "MasterUserPassword": "Passw0rd-for-moto",
            "ClusterSubnetGroupName": {"Ref": "ClusterSubnets"},
        },
    ),
    "ClusterSubnets": (
        "AWS::Redshift::ClusterSubnetGroup",
        {"Description": "probe", "SubnetIds": [{"Ref": "Subnet"}, {"Ref": "Subnet2"}]},
    ),
}


def _accepted_probe(resource_type: str) -> dict[str, Any]:
    """Plausible properties; moto ignores them (that is what is being verified)."""
    return {
        "AWS::S3::BucketPolicy": {"Bucket": {"Ref": "Bucket"}, "PolicyDocument": _DOC},
        "AWS::S3::AccessPoint": {"Bucket": {"Ref": "Bucket"}, "Name": "probe-ap"},
        "AWS::Glue::Database": {
            "CatalogId": {"Ref": "AWS::AccountId"},
            "DatabaseInput": {"Name": "probe_db"},
        },
        "AWS::SecretsManager::Secret": {"Name": "probe-secret"},
        "AWS::Athena::WorkGroup": {"Name": "probe-wg"},
        "AWS::CloudWatch::Alarm": {
            "AlarmName": "probe-alarm",
            "Namespace": "AWS/Kinesis",
            "MetricName": "GetRecords.IteratorAgeMilliseconds",
            "Statistic": "Maximum",
            "Period": 60,
            "EvaluationPeriods": 1,
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanThreshold",
        },
        "AWS::SNS::Subscription": {
            "TopicArn": {"Ref": "Topic"},
            "Protocol": "email",
            "Endpoint": "a@example.com",
        },
        "AWS::KinesisFirehose::DeliveryStream": {"DeliveryStreamName": "probe-ds"},
        "AWS::Logs::LogStream": {"LogGroupName": {"Ref": "Logs"}, "LogStreamName": "probe"},
        "AWS::SQS::QueuePolicy": {"Queues": [{"Ref": "Queue"}], "PolicyDocument": _DOC},
        "AWS::KinesisVideo::Stream": {"Name": "probe-video", "DataRetentionInHours": 24},
    }.get(resource_type, {})


def test_catalogue_matches_moto(moto: MotoServer) -> None:
    """Every EMULATED type is created (ListStackResources + its service API); every
    ACCEPTED_NOT_EMULATED type leaves the stack CREATE_COMPLETE and creates nothing."""
    assert set(EMULATED).isdisjoint(ACCEPTED_NOT_EMULATED)
    assert {t for t, _ in _EMULATED_PROBES.values()} == set(EMULATED)
    resources = {lid: {"Type": t, "Properties": p} for lid, (t, p) in _EMULATED_PROBES.items()}
    accepted_ids = {}
    for index, resource_type in enumerate(sorted(ACCEPTED_NOT_EMULATED)):
        accepted_ids[f"Accepted{index}"] = resource_type
        resources[f"Accepted{index}"] = {
            "Type": resource_type,
            "Properties": _accepted_probe(resource_type),
        }
    cfn = moto.client("cloudformation")
    cfn.create_stack(
        StackName="catalogue-probe",
        TemplateBody=json.dumps({"Resources": resources}),
        Capabilities=["CAPABILITY_IAM"],
    )
    deadline = time.monotonic() + 20
    while (
        status := cfn.describe_stacks(StackName="catalogue-probe")["Stacks"][0]["StackStatus"]
    ).endswith("IN_PROGRESS") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert status == "CREATE_COMPLETE"
    listed = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cfn.list_stack_resources(StackName="catalogue-probe")["StackResourceSummaries"]
        if r["LogicalResourceId"]
    }
    assert set(listed) == set(_EMULATED_PROBES)
    # The service APIs agree: created ones exist ...
    assert moto.client("kinesis").describe_stream_summary(StreamName=listed["Stream"])
    assert moto.client("iam").get_role_policy(RoleName=listed["Role"], PolicyName="p")
    assert moto.client("lambda").get_function(FunctionName=listed["Function"])
    assert moto.client("redshift").describe_clusters(ClusterIdentifier=listed["Cluster"])[
        "Clusters"
    ]
    assert moto.client("ec2").describe_security_groups(GroupIds=[listed["Sg"]])["SecurityGroups"][
        0
    ]["IpPermissions"]
    # ... and skipped ones do not.
    s3 = moto.client("s3")
    with pytest.raises(s3.exceptions.ClientError, match="NoSuchBucketPolicy"):
        s3.get_bucket_policy(Bucket="catalogue-probe")
    assert moto.client("glue").get_databases()["DatabaseList"] == []
    assert moto.client("secretsmanager").list_secrets()["SecretList"] == []
    assert (
        moto.client("cloudwatch").describe_alarms(AlarmNames=["probe-alarm"])["MetricAlarms"] == []
    )
    assert [w["Name"] for w in moto.client("athena").list_work_groups()["WorkGroups"]] == [
        "primary"
    ]
    assert moto.client("sns").list_subscriptions()["Subscriptions"] == []
    assert moto.client("stepfunctions").describe_state_machine(stateMachineArn=listed["Machine"])
    assert moto.client("kinesisvideo").list_streams()["StreamInfoList"] == []
    queue_attributes = moto.client("sqs").get_queue_attributes(
        QueueUrl=listed["Queue"], AttributeNames=["Policy"]
    )
    assert "Policy" not in queue_attributes.get("Attributes", {})
    log_group = listed["Logs"]
    assert moto.client("logs").describe_log_streams(logGroupName=log_group)["logStreams"] == []
