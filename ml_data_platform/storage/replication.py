"""Cross-region replication of zone buckets, for disaster recovery.

Two constructs, one per region, joined by deterministic physical names (no cross-region
references, which CDK implements with a Lambda-backed custom resource):

- ``ReplicaSite`` (a stack in the replica region): a ``DataLakeKey`` with a fixed alias and one
  versioned ``DataLakeBucket`` per replicated zone with a fixed, validated name.
- ``ZoneReplication`` (next to the source bucket): the replication rule on a ``DataLakeBucket``
  pointing at ``arn:aws:s3:::<replica name>`` and at the replica key by its alias ARN (or a key
  ARN), a least-privilege replication role, Replication Time Control with metrics (15 minutes),
  and alarms on replication latency and failed operations.

S3 accepts a key ARN or an alias ARN as ``ReplicaKmsKeyID``
(https://docs.aws.amazon.com/AmazonS3/latest/API/API_EncryptionConfiguration.html); an alias
resolves in the requester's account, which is the bucket owner's here (same-account replication).
The role's KMS permissions follow
https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html,
each bound to S3 in its region (``kms:ViaService``) and to its bucket (encryption context); the
replica key is matched by its alias (``kms:ResourceAliases``,
https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-resource-aliases)
when only the alias is known.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from constructs import Construct

from ml_data_platform.compliance import acknowledge_policy_wildcards
from ml_data_platform.core.inputs import Kind, optional_kind
from ml_data_platform.core.kms import STRING_EQUALS, STRING_LIKE, via_service
from ml_data_platform.core.names import validate_bucket_name
from ml_data_platform.core.removal import resolve_removal_policy
from ml_data_platform.monitoring.alarms import ALARM_PERIOD, SUSTAINED_ALARM_PERIODS, notify
from ml_data_platform.storage.bucket import AccessLogsBucket, DataLakeBucket
from ml_data_platform.storage.key import ALIAS_PREFIX, DataLakeKey, _alias_name

REPLICATION_TIME_MINUTES = 15
"""S3 Replication Time Control: the only supported threshold (and the metrics' event threshold)."""
DEFAULT_RULE_ID = "DisasterRecoveryReplica"
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_KEY_ARN = re.compile(
    r"^arn:aws[a-z-]*:kms:(?P<region>[^:]+):(?P<account>\d{12}):(?P<kind>key|alias)/.+$"
)
_RULE_ID = re.compile(r"^.{1,255}$")
IAM5_REASON = (
    "Replication reads and writes every object version of its two buckets (object ARNs "
    "<bucket>/*), and the replica key's ID is unknown here (it lives in another region's stack), "
    "so the key is matched by its alias (kms:ResourceAliases) through S3 only."
)


def validate_region(region: str, prop: str) -> str:
    """``region`` if it looks like an AWS region name (``us-west-2``); tokens are refused: the
    replica's names and ARNs are built from it."""
    if not isinstance(region, str) or cdk.Token.is_unresolved(region) or not _REGION.match(region):
        raise ValueError(
            f"{prop} {region!r} is not an AWS region name (e.g. 'us-west-2'); it must be a "
            "concrete value, not a token"
        )
    return region


def replica_key_alias_arn(*, alias: str, region: str, account: str, partition: str = "aws") -> str:
    """The alias ARN S3 accepts as ``ReplicaKmsKeyID``: ``arn:aws:kms:<region>:<account>:alias/<name>``."""
    name = _alias_name(alias)
    return f"arn:{partition}:kms:{region}:{account}:{ALIAS_PREFIX}{name}"


class ReplicaSite(Construct):
    """The replica region's side: one key and one bucket per replicated zone.

    Put it in a stack of the replica region (same account as the source). Every bucket is a
    ``DataLakeBucket`` (SSE-KMS with the replica key, versioned as replication requires, TLS
    only, no public access, object events to EventBridge) logging to one ``AccessLogsBucket``. A replica is not replicated
    again, so each keeps the ``S3BucketReplicationEnabled`` acknowledgement.

    Args:
        bucket_names: ``{zone name: physical bucket name}`` (each validated; the names
            ``ZoneReplication`` points at). At least one.
        key_alias: The replica key's alias (with or without ``alias/``), fixed so that the
            source side can name it by alias ARN.
        removal_policy: ``RETAIN`` (default) or ``DESTROY`` (needs the allow-destroy context).

    Attributes:
        key: The replica ``aws_kms.Key``. ``key_alias``: its alias name (``alias/...``).
        buckets: ``{zone name: DataLakeBucket}``. ``access_logs``: the ``AccessLogsBucket``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket_names: Mapping[str, str],
        key_alias: str,
        removal_policy: cdk.RemovalPolicy | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        if not isinstance(bucket_names, Mapping) or not bucket_names:
            raise ValueError(
                f"bucket_names of ReplicaSite '{self.node.path}' must map at least one zone name "
                f"to a bucket name, got {bucket_names!r:.80}"
            )
        for zone, name in bucket_names.items():
            validate_bucket_name(name, f"bucket_names[{zone!r}]")
        policy = resolve_removal_policy(self, removal_policy)
        self.key_alias = ALIAS_PREFIX + _alias_name(key_alias)
        self.key = DataLakeKey(
            self,
            "Key",
            alias=self.key_alias,
            description="ml-data-platform replica key (S3 cross-region replicas)",
            removal_policy=policy,
        ).key
        self.access_logs = AccessLogsBucket(self, "AccessLogs", removal_policy=policy)
        self.buckets: dict[str, DataLakeBucket] = {
            zone: DataLakeBucket(
                self,
                _zone_id(zone),
                encryption_key=self.key,
                access_logs_bucket=self.access_logs.bucket,
                access_logs_prefix=f"{zone}/",
                bucket_name=name,
                removal_policy=policy,
            )
            for zone, name in bucket_names.items()
        }


class ZoneReplication(Construct):
    """Replicate a ``DataLakeBucket`` to a bucket of another region (e.g. a ``ReplicaSite``'s).

    Every new object version (SSE-KMS included) and tag change is replicated within 15 minutes
    under S3 Replication Time Control, re-encrypted with the replica key; replication metrics
    feed two alarms. Existing objects are not replicated (use S3 Batch Replication), nor are
    permanent deletes of versions; delete markers only with ``replicate_delete_markers``.

    The source bucket's ``S3BucketReplicationEnabled`` acknowledgement disappears with this
    rule (``DataLakeBucket`` acknowledges it only while it has no replication configuration).

    Args:
        source: The ``DataLakeBucket`` to replicate (versioned; in a stack with a concrete
            region). One ``ZoneReplication`` per bucket.
        destination_bucket_name: Physical name of the replica bucket (validated).
        destination_region: Its region (a region name, not the source's).
        destination_key_arn: The replica key's key ARN or alias ARN, in ``destination_region``
            (``replica_key_alias_arn(...)`` builds the latter).
        replicate_delete_markers: Replicate delete markers too. Default: False (a delete in the
            home region leaves the replica readable).
        alarm_topic: Topic notified by the alarms (alarm and OK). Default: the stack's
            default ``AlarmTopic`` (``notify``).
        rule_id: The replication rule's ID (also a metric dimension). Default:
            ``DisasterRecoveryReplica``.

    Attributes:
        role: The replication ``aws_iam.Role``. ``policy``: its ``ManagedPolicy``.
        destination_bucket_arn: ``arn:<partition>:s3:::<name>``. ``rule_id``: the rule's ID.
        alarms: ``{"ReplicationLatency": Alarm, "OperationsFailedReplication": Alarm}``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source: DataLakeBucket,
        destination_bucket_name: str,
        destination_region: str,
        destination_key_arn: str,
        replicate_delete_markers: bool = False,
        alarm_topic: sns.ITopic | None = None,
        rule_id: str = DEFAULT_RULE_ID,
    ) -> None:
        super().__init__(scope, construct_id)
        if not isinstance(source, DataLakeBucket):
            raise TypeError(
                f"source of ZoneReplication '{self.node.path}' must be a DataLakeBucket, got "
                f"{type(source).__name__}"
            )
        alarm_topic = optional_kind(alarm_topic, Kind.TOPIC, "alarm_topic")
        stack = cdk.Stack.of(source)
        cfn_bucket: s3.CfnBucket = source.bucket.node.default_child  # type: ignore[assignment]
        _check_source(self, source, cfn_bucket, stack)
        destination_region = validate_region(destination_region, "destination_region")
        if destination_region == stack.region:
            raise ValueError(
                f"destination_region {destination_region!r} of ZoneReplication '{self.node.path}' "
                "is the source bucket's region: disaster recovery needs a second region"
            )
        validate_bucket_name(destination_bucket_name, "destination_bucket_name")
        replica_key = _check_key_arn(destination_key_arn, destination_region)
        if not isinstance(rule_id, str) or not _RULE_ID.match(rule_id):
            raise ValueError(f"rule_id {rule_id!r} must be 1–255 characters")
        self.rule_id = rule_id
        self.destination_bucket_arn = f"arn:{stack.partition}:s3:::{destination_bucket_name}"
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("s3.amazonaws.com"),
            description=f"S3 replication of one zone bucket to {destination_region}",
        )
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description="S3 replication: read one bucket's versions, replicate into one bucket",
            statements=self._statements(source, stack, destination_region, replica_key),
            roles=[self.role],
        )
        # Exactly the two buckets' object ARNs and the replica key pattern; nothing else.
        acknowledge_policy_wildcards(
            self.policy,
            IAM5_REASON,
            resources=[
                source.bucket.arn_for_objects("*"),
                f"{self.destination_bucket_arn}/*",
                replica_key[0],
            ],
        )
        minutes = s3.CfnBucket.ReplicationTimeValueProperty(minutes=REPLICATION_TIME_MINUTES)
        cfn_bucket.replication_configuration = s3.CfnBucket.ReplicationConfigurationProperty(
            role=self.role.role_arn,
            rules=[
                s3.CfnBucket.ReplicationRuleProperty(
                    id=rule_id,
                    status="Enabled",
                    priority=0,
                    filter=s3.CfnBucket.ReplicationRuleFilterProperty(prefix=""),
                    delete_marker_replication=s3.CfnBucket.DeleteMarkerReplicationProperty(
                        status="Enabled" if replicate_delete_markers else "Disabled"
                    ),
                    source_selection_criteria=s3.CfnBucket.SourceSelectionCriteriaProperty(
                        sse_kms_encrypted_objects=s3.CfnBucket.SseKmsEncryptedObjectsProperty(
                            status="Enabled"
                        )
                    ),
                    destination=s3.CfnBucket.ReplicationDestinationProperty(
                        bucket=self.destination_bucket_arn,
                        encryption_configuration=s3.CfnBucket.EncryptionConfigurationProperty(
                            replica_kms_key_id=destination_key_arn
                        ),
                        replication_time=s3.CfnBucket.ReplicationTimeProperty(
                            status="Enabled", time=minutes
                        ),
                        metrics=s3.CfnBucket.MetricsProperty(
                            status="Enabled", event_threshold=minutes
                        ),
                    ),
                )
            ],
        )
        # No bucket -> policy dependency: the policy names the bucket (a cycle). On an update
        # that adds replication to a bucket in use, objects written in the seconds before the
        # policy exists fail to replicate (the failure alarm fires); Batch Replication, needed
        # for the existing objects anyway, covers them.
        self.alarms = self._alarms(source, destination_bucket_name)
        notify(self.alarms.values(), alarm_topic)

    def _statements(
        self,
        source: DataLakeBucket,
        stack: cdk.Stack,
        destination_region: str,
        replica_key: tuple[str, str | None],
    ) -> list[iam.PolicyStatement]:
        bucket = source.bucket
        key_resource, alias = replica_key
        replica_conditions: dict[str, dict[str, object]] = {
            STRING_EQUALS: {"kms:ViaService": f"s3.{destination_region}.{stack.url_suffix}"},
            STRING_LIKE: {
                "kms:EncryptionContext:aws:s3:arn": [
                    self.destination_bucket_arn,
                    f"{self.destination_bucket_arn}/*",
                ]
            },
        }
        if alias is not None:
            replica_conditions["ForAnyValue:StringEquals"] = {"kms:ResourceAliases": alias}
        return [
            iam.PolicyStatement(
                sid="ReadReplicationConfiguration",
                actions=["s3:GetReplicationConfiguration", "s3:ListBucket"],
                resources=[bucket.bucket_arn],
            ),
            iam.PolicyStatement(
                sid="ReadSourceVersions",
                actions=[
                    "s3:GetObjectVersionForReplication",
                    "s3:GetObjectVersionAcl",
                    "s3:GetObjectVersionTagging",
                ],
                resources=[bucket.arn_for_objects("*")],
            ),
            iam.PolicyStatement(
                sid="ReplicateIntoReplica",
                actions=["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                resources=[f"{self.destination_bucket_arn}/*"],
            ),
            iam.PolicyStatement(
                sid="DecryptSourceThroughS3",
                actions=["kms:Decrypt"],
                resources=[source.key.key_arn],
                conditions={
                    STRING_EQUALS: {"kms:ViaService": via_service("s3", stack)},
                    # Bucket key: the context is the bucket ARN; without one, the object ARN.
                    STRING_LIKE: {
                        "kms:EncryptionContext:aws:s3:arn": [
                            bucket.bucket_arn,
                            bucket.arn_for_objects("*"),
                        ]
                    },
                },
            ),
            iam.PolicyStatement(
                sid="EncryptReplicaThroughS3",
                actions=["kms:Encrypt", "kms:GenerateDataKey"],
                resources=[key_resource],
                conditions=replica_conditions,
            ),
        ]

    def _alarms(self, source: DataLakeBucket, destination_name: str) -> dict[str, cloudwatch.Alarm]:
        dimensions = {
            "SourceBucket": source.bucket.bucket_name,
            "DestinationBucket": destination_name,
            "RuleId": self.rule_id,
        }

        def metric(name: str, statistic: str) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace="AWS/S3",
                metric_name=name,
                dimensions_map=dimensions,
                statistic=statistic,
                period=ALARM_PERIOD,
            )

        return {
            "ReplicationLatency": metric("ReplicationLatency", "Maximum").create_alarm(
                self,
                "LatencyAlarm",
                alarm_description=(
                    f"Replication to {destination_name} lags more than "
                    f"{REPLICATION_TIME_MINUTES} minutes (the RTC threshold): the replica is stale"
                ),
                threshold=REPLICATION_TIME_MINUTES * 60,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=SUSTAINED_ALARM_PERIODS,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            ),
            "OperationsFailedReplication": metric(
                "OperationsFailedReplication", "Sum"
            ).create_alarm(
                self,
                "FailedAlarm",
                alarm_description=(
                    f"Objects failed to replicate to {destination_name}; S3 does not retry them "
                    "(re-replicate with S3 Batch Replication once the cause is fixed)"
                ),
                threshold=0,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            ),
        }


def _zone_id(zone: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[-_]", zone)) + "Replica"


def _check_source(
    scope: Construct, source: DataLakeBucket, cfn_bucket: s3.CfnBucket, stack: cdk.Stack
) -> None:
    where = f"ZoneReplication '{scope.node.path}'"
    if cdk.Token.is_unresolved(stack.region):
        raise ValueError(
            f"{where}: the source bucket's stack '{stack.node.path}' needs a concrete region "
            "(env=Environment(account=..., region=...)) to check the replica is elsewhere"
        )
    versioning = stack.resolve(cfn_bucket.versioning_configuration) or {}
    if versioning.get("status") != "Enabled" and versioning.get("Status") != "Enabled":
        raise ValueError(
            f"{where}: source bucket '{source.node.path}' is not versioned; S3 replication "
            "requires versioning on the source (DataLakeBucket(versioned=True), the default)"
        )
    if cfn_bucket.replication_configuration is not None:
        raise ValueError(
            f"{where}: source bucket '{source.node.path}' already has a replication "
            "configuration; use one ZoneReplication per bucket"
        )


def _check_key_arn(arn: str, region: str) -> tuple[str, str | None]:
    """(IAM resource, alias or None) for a replica key ARN or alias ARN in ``region``."""
    match = _KEY_ARN.match(arn) if isinstance(arn, str) else None
    if match is None or match["region"] != region:
        raise ValueError(
            f"destination_key_arn {arn!r} must be a KMS key ARN or alias ARN in the "
            f"destination region {region!r} (arn:aws:kms:{region}:<account>:key/<id> or "
            f"...:alias/<name>)"
        )
    if match["kind"] == "key":
        return arn, None
    prefix = arn.split(":alias/", 1)[0]
    return f"{prefix}:key/*", ALIAS_PREFIX + arn.split(":alias/", 1)[1]
