"""``VideoIngestStream``: a Kinesis video stream that keeps what it receives, encrypted with a
customer-managed key, with grants for producers and consumers and alarms.

Sources: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-kinesisvideo-stream.html
(``DataRetentionInHours`` 0–87600, ``MediaType``, ``DeviceName``, ``KmsKeyId``,
``StreamStorageConfiguration.DefaultStorageTier``),
https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/how-kms.html (producers need
``kms:GenerateDataKey``, consumers ``kms:Decrypt``) and
https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/monitoring.html (``AWS/KinesisVideo``
metrics by ``StreamName``).
"""

from __future__ import annotations

import re
from enum import Enum

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisvideo as kinesisvideo
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from ml_data_platform.core.inputs import Kind, optional_kind, require_int
from ml_data_platform.core.kms import kms_statement
from ml_data_platform.core.removal import resolve_removal_policy
from ml_data_platform.monitoring.alarms import (
    ALARM_PERIOD,
    SUSTAINED_ALARM_PERIODS,
    SUSTAINED_ALARM_WINDOW,
    notify,
)
from ml_data_platform.storage.key import DataLakeKey

KVS_MAX_RETENTION_HOURS = 87_600
DEFAULT_RETENTION_HOURS = 24 * 7
DEFAULT_MEDIA_TYPE = "video/h264"
NAMESPACE = "AWS/KinesisVideo"
PUT_MEDIA_SUCCESS_THRESHOLD = 0.95
"""Alarm when fewer than 95 % of PutMedia fragments succeed for 15 minutes."""
_STREAM_NAME = re.compile(r"^[a-zA-Z0-9_.-]{1,256}$")
_DEVICE_NAME = re.compile(r"^[a-zA-Z0-9_.-]{1,128}$")
_MEDIA_TYPE = re.compile(r"^[\w\-.+]+/[\w\-.+]+(,[\w\-.+]+/[\w\-.+]+)*$")
MAX_MEDIA_TYPE_LENGTH = 128
PUT_MEDIA_ACTIONS = (
    "kinesisvideo:PutMedia",
    "kinesisvideo:GetDataEndpoint",
    "kinesisvideo:DescribeStream",
)
READ_ACTIONS = (
    "kinesisvideo:GetDataEndpoint",
    "kinesisvideo:DescribeStream",
    "kinesisvideo:GetMedia",
    "kinesisvideo:ListFragments",
    "kinesisvideo:GetMediaForFragmentList",
    "kinesisvideo:GetHLSStreamingSessionURL",
    "kinesisvideo:GetDASHStreamingSessionURL",
    "kinesisvideo:GetClip",
    "kinesisvideo:GetImages",
)


class VideoStorageTier(Enum):
    """``StreamStorageConfiguration.DefaultStorageTier``: ``HOT`` for frequent, low-latency
    reads; ``WARM`` for cheaper long retention read rarely."""

    HOT = "HOT"
    WARM = "WARM"


class VideoIngestStream(Construct):
    """A Kinesis video stream (``AWS::KinesisVideo::Stream``; aws-cdk-lib has no L2).

    Video for ML (cameras, robots, labelling) arrives here and is kept ``retention_hours``
    (a week by default), encrypted with a customer-managed key rather than
    ``aws/kinesisvideo``. A retention of 0 keeps nothing (the stream is only a buffer), so it
    is refused unless ``allow_no_retention=True``.

    Args:
        stream_name: 1–256 letters, digits, ``_``, ``.`` or ``-``. Default: generated.
        retention_hours: 1–87,600 hours (10 years). Default: 168 (7 days).
        allow_no_retention: Accept ``retention_hours=0``. Default: False.
        encryption_key: Customer-managed key. Default: a new ``DataLakeKey``.
        media_type: MIME type(s) of the content, e.g. ``video/h264`` (the console plays it).
            Default: ``video/h264``.
        device_name: Name of the producing device. Default: none.
        storage_tier: ``HOT`` or ``WARM``. Default: ``HOT``.
        alarm_topic: Notified when an alarm fires or recovers. Default: the stack's
            ``AlarmTopic.of(stack)`` (created on first need).
        removal_policy: ``RETAIN`` (default) or ``DESTROY`` (needs the allow-destroy context).

    Attributes:
        stream: The ``CfnStream``. stream_arn, stream_name: Its ARN and name.
        key: The KMS key.
        retention_hours: The validated retention.
        alarms: ``{"PutMediaSuccess" [| "ConsumerLag"]: cloudwatch.Alarm}``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stream_name: str | None = None,
        retention_hours: int = DEFAULT_RETENTION_HOURS,
        allow_no_retention: bool = False,
        encryption_key: kms.IKey | None = None,
        media_type: str = DEFAULT_MEDIA_TYPE,
        device_name: str | None = None,
        storage_tier: VideoStorageTier = VideoStorageTier.HOT,
        alarm_topic: sns.ITopic | None = None,
        removal_policy: cdk.RemovalPolicy | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        encryption_key = optional_kind(encryption_key, Kind.KEY, "encryption_key")
        alarm_topic = optional_kind(alarm_topic, Kind.TOPIC, "alarm_topic")
        self.retention_hours = _retention(retention_hours, allow_no_retention)
        _check(stream_name, _STREAM_NAME, "stream_name", "1–256 letters, digits, '_', '.' or '-'")
        _check(device_name, _DEVICE_NAME, "device_name", "1–128 letters, digits, '_', '.' or '-'")
        if (
            not isinstance(media_type, str)
            or len(media_type) > MAX_MEDIA_TYPE_LENGTH
            or not _MEDIA_TYPE.match(media_type)
        ):
            raise ValueError(
                f"media_type {media_type!r} must be MIME types 'type/subtype' separated by ',' "
                f"(≤ {MAX_MEDIA_TYPE_LENGTH} characters), e.g. 'video/h264'"
            )
        if not isinstance(storage_tier, VideoStorageTier):
            raise TypeError(
                f"storage_tier must be a VideoStorageTier, got {type(storage_tier).__name__}: "
                f"{storage_tier!r:.80}"
            )
        policy = resolve_removal_policy(self, removal_policy)
        self.key: kms.IKey = encryption_key or DataLakeKey(self, "Key", removal_policy=policy).key
        self.stream = kinesisvideo.CfnStream(
            self,
            "Stream",
            name=stream_name,
            data_retention_in_hours=self.retention_hours,
            kms_key_id=self.key.key_arn,
            media_type=media_type,
            device_name=device_name,
            stream_storage_configuration=kinesisvideo.CfnStream.StreamStorageConfigurationProperty(
                default_storage_tier=storage_tier.value
            ),
        )
        self.stream.apply_removal_policy(policy)
        self.stream_arn: str = self.stream.attr_arn
        self.stream_name: str = self.stream.ref
        self.alarms: dict[str, cloudwatch.Alarm] = {
            "PutMediaSuccess": self.metric(
                "PutMedia.Success", statistic=cloudwatch.Stats.AVERAGE
            ).create_alarm(
                self,
                "PutMediaSuccessAlarm",
                alarm_description=(
                    f"Fewer than {PUT_MEDIA_SUCCESS_THRESHOLD:.0%} of PutMedia fragments "
                    f"succeeded for {SUSTAINED_ALARM_WINDOW.to_human_string()}: producers are "
                    "losing video (permissions, key, throttling or bad fragments)"
                ),
                threshold=PUT_MEDIA_SUCCESS_THRESHOLD,
                comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                evaluation_periods=SUSTAINED_ALARM_PERIODS,
                datapoints_to_alarm=SUSTAINED_ALARM_PERIODS,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
        }
        if self.retention_hours:
            lag = cdk.Duration.hours(self.retention_hours).to_milliseconds() // 2
            self.alarms["ConsumerLag"] = self.metric(
                "GetMedia.MillisBehindNow", statistic=cloudwatch.Stats.MAXIMUM
            ).create_alarm(
                self,
                "ConsumerLagAlarm",
                alarm_description=(
                    "A GetMedia consumer is half the retention behind: fragments will expire unread"
                ),
                threshold=lag,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
        notify(self.alarms.values(), alarm_topic)

    def metric(
        self, metric_name: str, *, statistic: str = cloudwatch.Stats.SUM
    ) -> cloudwatch.Metric:
        """An ``AWS/KinesisVideo`` metric of this stream (5-minute period)."""
        return cloudwatch.Metric(
            namespace=NAMESPACE,
            metric_name=metric_name,
            dimensions_map={"StreamName": self.stream_name},
            statistic=statistic,
            period=ALARM_PERIOD,
        )

    def grant_put_media(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let a producer send video: ``PutMedia``, ``GetDataEndpoint``, ``DescribeStream`` on
        this stream and ``kms:GenerateDataKey`` on the key through Kinesis Video Streams."""
        return self._grant(grantee, PUT_MEDIA_ACTIONS, "kms:GenerateDataKey")

    def grant_read(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let a consumer (e.g. a SageMaker or Rekognition role) read: ``GetMedia``,
        ``ListFragments``, ``GetMediaForFragmentList``, HLS/DASH sessions, ``GetClip``,
        ``GetImages`` and the describe actions on this stream, and ``kms:Decrypt``."""
        return self._grant(grantee, READ_ACTIONS, "kms:Decrypt")

    def _grant(
        self, grantee: iam.IGrantable, actions: tuple[str, ...], kms_action: str
    ) -> iam.Grant:
        if not hasattr(grantee, "grant_principal"):
            raise TypeError(
                f"grantee must be an iam.IGrantable (a role, user or group), got "
                f"{type(grantee).__name__}: {grantee!r:.80}"
            )
        grant = iam.Grant.add_to_principal(
            grantee=grantee, actions=list(actions), resource_arns=[self.stream_arn]
        )
        grantee.grant_principal.add_to_principal_policy(
            kms_statement(
                sid=f"{cdk.Names.unique_id(self)}{kms_action.split(':')[1]}",
                actions=[kms_action],
                key=self.key,
                service="kinesisvideo",
                stack=cdk.Stack.of(self),
            )
        )
        return grant


def _retention(hours: int, allow_none: bool) -> int:
    require_int(hours, "retention_hours", minimum=0, maximum=KVS_MAX_RETENTION_HOURS)
    if hours == 0 and not allow_none:
        raise ValueError(
            "retention_hours=0 keeps no video (the stream is only a buffer for live consumers); "
            f"use 1–{KVS_MAX_RETENTION_HOURS} hours, or pass allow_no_retention=True"
        )
    return hours


def _check(value: str | None, pattern: re.Pattern[str], prop: str, rule: str) -> None:
    if value is not None and (not isinstance(value, str) or not pattern.match(value)):
        raise ValueError(f"{prop} {value!r} must be {rule}")
