"""``RestoreCompletedNotification``: a visible end for archive restores.

A restore request (or an S3 Batch Operations restore task) completes when the restore is
*initiated*; the object is readable only when S3 emits ``Object Restore Completed``, minutes
(Expedited) to 48 hours (Deep Archive, Bulk) later. This rule forwards those events.

Source: https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from constructs import Construct

from ml_data_platform.core.inputs import Kind, optional_kind, reject_string, require_kind
from ml_data_platform.core.names import validate_key_prefix
from ml_data_platform.events.patterns import object_event_pattern

OBJECT_RESTORE_COMPLETED = "Object Restore Completed"


class RestoreCompletedNotification(Construct):
    """An EventBridge rule that forwards ``Object Restore Completed`` events of ``buckets``.

    With ``topic`` (e.g. the platform's alarm topic) each event becomes a one-line message
    naming the object and the storage class it was restored from; ``targets`` receive the
    event itself (e.g. a queue or a state machine that starts the retraining). The buckets
    must send events to EventBridge (``DataLakeBucket`` does by default). An SNS topic
    encrypted with a customer key needs ``events.amazonaws.com`` allowed in the key policy
    (``DataLakeKey`` allows it).

    Args:
        buckets: The buckets whose restores are reported (one or more).
        topic: SNS topic for a readable message. Default: none.
        targets: Other rule targets. Default: none. ``topic`` or ``targets`` is required.
        prefix: Only objects under this key prefix. Default: every object.

    Attributes:
        rule: The EventBridge rule.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        buckets: Sequence[s3.IBucket],
        topic: sns.ITopic | None = None,
        targets: Sequence[events.IRuleTarget] = (),
        prefix: str = "",
    ) -> None:
        super().__init__(scope, construct_id)
        reject_string(buckets, "buckets", "IBucket")
        if hasattr(buckets, "bucket_arn") or not buckets:
            raise TypeError(f"buckets must be a non-empty sequence of IBucket, got {buckets!r:.80}")
        for index, bucket in enumerate(buckets):
            bucket = require_kind(bucket, Kind.BUCKET, f"buckets[{index}]")
        topic = optional_kind(topic, Kind.TOPIC, "topic")
        reject_string(targets, "targets", "events.IRuleTarget")
        for index, target in enumerate(targets):
            if not hasattr(type(target), "bind"):
                raise TypeError(
                    f"targets[{index}] must be an events.IRuleTarget (aws_events_targets), got "
                    f"{type(target).__name__}: {target!r:.80}"
                )
        if topic is None and not targets:
            raise ValueError(
                "RestoreCompletedNotification needs a topic or targets: a rule without a target "
                "makes no restore visible"
            )
        prefix = validate_key_prefix(prefix, "prefix")
        rule_targets = list(targets)
        if topic is not None:
            rule_targets.append(targets_sns(topic))
        self.rule = events.Rule(
            self,
            "Rule",
            description="S3 archive restores completed: the restored copies are readable",
            event_pattern=object_event_pattern(
                list(buckets), OBJECT_RESTORE_COMPLETED, prefix=prefix
            ),
            targets=rule_targets,
        )


def targets_sns(topic: sns.ITopic) -> events.IRuleTarget:
    """The SNS target with a readable one-line message."""
    bucket = events.EventField.from_path("$.detail.bucket.name")
    key = events.EventField.from_path("$.detail.object.key")
    source_class = events.EventField.from_path("$.detail.source-storage-class")
    return targets.SnsTopic(
        topic,
        message=events.RuleTargetInput.from_text(
            f"S3 restore completed: s3://{bucket}/{key} (from {source_class}) is readable now"
        ),
    )
