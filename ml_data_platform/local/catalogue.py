"""Which CloudFormation resource types the local emulator (moto 5.2 server) really creates.

Two explicit sets, each entry verified by experiment against moto (deploy a template through
moto's CloudFormation API, then look the resource up with the service's own API); the
e2e test ``tests/e2e/test_local_deploy.py::test_catalogue_matches_moto`` repeats that
experiment for every entry, so a moto upgrade that changes behaviour fails the suite.

- ``EMULATED``: moto creates the resource in the service backend (it appears in
  ``ListStackResources`` and the service API returns it). The value says what moto does NOT
  honour of the template, so a read-back can report it instead of claiming it.
- ``ACCEPTED_NOT_EMULATED``: moto accepts the template and reports ``CREATE_COMPLETE`` but
  creates nothing (the resource is absent from ``ListStackResources`` and the service API).
  ``Ref`` to such a resource resolves to an empty value; ``Fn::GetAtt`` makes moto fail
  with HTTP 500.

Types in neither set are refused by the local deploy (``unclassified_types``): an unknown
type would otherwise be skipped silently. ``Custom::*`` resources are never classified: they
need a Lambda function to run and moto leaves the stack ``CREATE_IN_PROGRESS`` for ever.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

CREATED = "created"
ACCEPTED = "accepted, not emulated"

# type -> what moto ignores of the template (empty: nothing known to be ignored).
EMULATED: Mapping[str, str] = {
    "AWS::KMS::Key": (
        "DescribeKey answers HTTP 500 for these keys (moto stores the template's KeyPolicy "
        "as an object); rotation and aliases work"
    ),
    "AWS::KMS::Alias": "",
    "AWS::S3::Bucket": (
        "versioning and public access block are ignored (name and encryption are applied)"
    ),
    "AWS::Kinesis::Stream": (
        "StreamEncryption and StreamModeDetails are ignored: the stream is unencrypted and "
        "PROVISIONED (name, shard count, retention and tags are applied)"
    ),
    "AWS::IAM::Role": (
        "its ManagedPolicyArns are not attached (a ManagedPolicy's Roles are); no policy is "
        "enforced"
    ),
    "AWS::IAM::Policy": "not enforced",
    "AWS::IAM::ManagedPolicy": ("attached to the roles in its Roles property; not enforced"),
    "AWS::Logs::LogGroup": "",
    "AWS::SNS::Topic": "no delivery to email/HTTP endpoints",
    "AWS::Events::Rule": "targets are recorded; events are not delivered to them",
    "AWS::SSM::Parameter": "needs an explicit Name (moto fails with HTTP 500 without one)",
    "AWS::SQS::Queue": "",
    "AWS::StepFunctions::StateMachine": (
        "created, never started: EventBridge rules deliver no events locally"
    ),
    "AWS::Lambda::Function": (
        "created from inline code only; never invoked by the local deploy (needs Docker)"
    ),
    "AWS::Redshift::Cluster": "metadata only: no database runs",
    "AWS::Redshift::ClusterSubnetGroup": "",
    "AWS::EC2::VPC": "no network exists",
    "AWS::EC2::Subnet": "",
    "AWS::EC2::RouteTable": "",
    "AWS::EC2::Route": "",
    "AWS::EC2::SubnetRouteTableAssociation": "",
    "AWS::EC2::InternetGateway": "",
    "AWS::EC2::VPCGatewayAttachment": "",
    "AWS::EC2::EIP": "",
    "AWS::EC2::NatGateway": "",
    "AWS::EC2::SecurityGroup": ("inline SecurityGroupEgress is ignored (egress stays allow-all)"),
    "AWS::EC2::SecurityGroupIngress": "",
    "AWS::EC2::VPCEndpoint": "",
    "AWS::EC2::FlowLog": "no logs are delivered",
}

# type -> what that means locally.
ACCEPTED_NOT_EMULATED: Mapping[str, str] = {
    "AWS::S3::BucketPolicy": "no bucket policy exists (GetBucketPolicy: NoSuchBucketPolicy)",
    "AWS::S3::AccessPoint": "no access point exists",
    "AWS::KinesisFirehose::DeliveryStream": (
        "no delivery stream exists; nothing is read from Kinesis or written to S3"
    ),
    "AWS::Glue::Database": "no Glue database",
    "AWS::Glue::Table": "no Glue table",
    "AWS::Glue::Crawler": "no Glue crawler",
    "AWS::Glue::SecurityConfiguration": "no Glue security configuration",
    "AWS::Athena::WorkGroup": "no Athena workgroup (only moto's default 'primary')",
    "AWS::SecretsManager::Secret": "no secret",
    "AWS::RedshiftServerless::Namespace": "no namespace (moto has no Redshift Serverless)",
    "AWS::RedshiftServerless::Workgroup": "no workgroup (moto has no Redshift Serverless)",
    "AWS::CloudWatch::Alarm": "no alarm",
    "AWS::SNS::Subscription": "no subscription",
    "AWS::SNS::TopicPolicy": "no topic policy (the topic keeps moto's default policy)",
    "AWS::Logs::LogStream": "no log stream",
    "AWS::EC2::SecurityGroupEgress": "no egress rule (egress stays allow-all)",
    "AWS::CDK::Metadata": "CDK version reporting only; nothing to create",
    "AWS::KinesisAnalyticsV2::Application": (
        "no Managed Service for Apache Flink application (moto has none): the analytics job "
        "does not run locally (tests/flink runs it on a local Flink mini-cluster instead)"
    ),
    "AWS::KinesisAnalyticsV2::ApplicationCloudWatchLoggingOption": "no application logging",
    "AWS::SQS::QueuePolicy": "no queue policy (GetQueueAttributes returns no Policy)",
    "AWS::KinesisVideo::Stream": "no video stream (ListStreams is empty)",
}

CUSTOM_RESOURCE_TYPES = ("AWS::CloudFormation::CustomResource",)


def is_custom_resource(resource_type: str) -> bool:
    """True for ``Custom::*`` and ``AWS::CloudFormation::CustomResource``."""
    return resource_type.startswith("Custom::") or resource_type in CUSTOM_RESOURCE_TYPES


def classify(resource_type: str) -> str | None:
    """``CREATED``, ``ACCEPTED`` or ``None`` (unclassified, including custom resources)."""
    if resource_type in EMULATED:
        return CREATED
    if resource_type in ACCEPTED_NOT_EMULATED:
        return ACCEPTED
    return None


def resource_types(template: Mapping[str, Any]) -> set[str]:
    """Every resource type in a CloudFormation template."""
    return {resource["Type"] for resource in template.get("Resources", {}).values()}


def unclassified_types(template: Mapping[str, Any]) -> set[str]:
    """Resource types of ``template`` in neither ``EMULATED`` nor ``ACCEPTED_NOT_EMULATED``."""
    return {t for t in resource_types(template) if classify(t) is None}
