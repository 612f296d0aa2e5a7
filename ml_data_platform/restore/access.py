"""``LakeRestoreAccess``: what S3 Batch Operations needs to restore a zone from the archive.

There is no CloudFormation resource for Batch Operations jobs (they are created with
``s3control:CreateJob``, see ``ml-data-platform restore``); this construct prepares the zone:
a daily CSV inventory (the format Batch Operations reads) into a secure bucket that also holds
the job manifests and reports, and a role that ``batchoperations.s3.amazonaws.com`` assumes
with exactly the permissions a restore job uses.

Sources: https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-iam-role-policies.html
(the role for ``S3InitiateRestoreObject``),
https://docs.aws.amazon.com/AmazonS3/latest/userguide/configure-inventory.html (inventory
delivery into an SSE-KMS bucket needs ``s3.amazonaws.com`` allowed ``kms:GenerateDataKey``).
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ml_data_platform.compliance.nag_patterns import bucket_objects_pattern
from ml_data_platform.compliance.wildcards import acknowledge_policy_wildcards
from ml_data_platform.core.inputs import Kind, optional_kind, require_int, require_kind
from ml_data_platform.core.kms import kms_statement
from ml_data_platform.core.removal import resolve_removal_policy
from ml_data_platform.storage.bucket import DataLakeBucket
from ml_data_platform.storage.lifecycle import Lifecycle, LifecyclePreset

BATCH_OPERATIONS_PRINCIPAL = "batchoperations.s3.amazonaws.com"
INVENTORY_PREFIX = "inventory"
MANIFEST_PREFIX = "manifests/"
REPORT_PREFIX = "reports"
INVENTORY_ID = "restore-inventory"
DEFAULT_REPORT_EXPIRATION_DAYS = 90
# The inventory fields the restore CLI and a manifest built from the inventory need.
INVENTORY_FIELDS = (
    "Size",
    "LastModifiedDate",
    "StorageClass",
    "IntelligentTieringAccessTier",
    "ETag",
)


class LakeRestoreAccess(Construct):
    """Prepare a zone bucket for restores from Glacier, Deep Archive and the
    Intelligent-Tiering archive tiers with S3 Batch Operations.

    Creates a ``DataLakeBucket`` for inventories, manifests and job reports (encrypted with
    ``encryption_key``, entries expire after ``expire_after_days``), adds a daily CSV inventory
    of the zone (current versions; size, storage class, Intelligent-Tiering access tier) into
    it under ``inventory/``, and a role trusted by ``batchoperations.s3.amazonaws.com`` (for
    this account only) that may: restore objects of the zone (``s3:RestoreObject``), read the
    manifests and inventories (``s3:GetObject``/``GetObjectVersion``), write reports under
    ``reports/`` (``s3:PutObject``), and use the key through S3 for these two buckets only.

    A key you bring must allow ``s3.amazonaws.com`` ``kms:GenerateDataKey`` for the inventory
    delivery; on a key created in the app the statement is added (for S3 acting for buckets of
    this account), on an imported key add it yourself.

    Args:
        bucket: The zone bucket (an ``aws_s3.Bucket`` of this app: the inventory is added to
            it), e.g. ``data_lake.zone("raw").bucket``.
        encryption_key: The key of the zone's objects, also used for the new bucket.
        access_logs_bucket: Where the new bucket logs. Default: a new ``AccessLogsBucket``.
        expire_after_days: Delete inventories, manifests and reports after this many days
            (1–3650). Default: 90.
        removal_policy: Of the new bucket: ``RETAIN`` (default) or ``DESTROY`` (needs the
            allow-destroy context).

    Attributes:
        role: The role Batch Operations assumes (``--role-arn`` of the CLI).
        reports: The ``DataLakeBucket`` of inventories, manifests and reports.
        bucket: The zone bucket.
        inventory_prefix, manifest_prefix, report_prefix: Where each kind of file goes.
        policy: The role's managed policy.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket: s3.Bucket,
        encryption_key: kms.IKey,
        access_logs_bucket: s3.IBucket | None = None,
        expire_after_days: int = DEFAULT_REPORT_EXPIRATION_DAYS,
        removal_policy: cdk.RemovalPolicy | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        bucket = require_kind(bucket, Kind.BUCKET, "bucket")
        if not hasattr(type(bucket), "add_inventory"):
            raise TypeError(
                f"bucket must be an aws_s3.Bucket created in this app (the inventory is added "
                f"to it), got {type(bucket).__name__}: {bucket!r:.80}"
            )
        encryption_key = require_kind(encryption_key, Kind.KEY, "encryption_key")
        access_logs_bucket = optional_kind(access_logs_bucket, Kind.BUCKET, "access_logs_bucket")
        require_int(expire_after_days, "expire_after_days", minimum=1, maximum=3650)
        policy = resolve_removal_policy(self, removal_policy)
        stack = cdk.Stack.of(self)
        self.bucket = bucket
        self.inventory_prefix = INVENTORY_PREFIX
        self.manifest_prefix = MANIFEST_PREFIX
        self.report_prefix = REPORT_PREFIX
        self.reports = DataLakeBucket(
            self,
            "Reports",
            encryption_key=encryption_key,
            access_logs_bucket=access_logs_bucket,
            lifecycle=Lifecycle.preset(
                LifecyclePreset.STANDARD, expire_after_days=expire_after_days
            ),
            removal_policy=policy,
        )
        bucket.add_inventory(
            destination=s3.InventoryDestination(
                bucket=self.reports.bucket, prefix=INVENTORY_PREFIX
            ),
            format=s3.InventoryFormat.CSV,
            frequency=s3.InventoryFrequency.DAILY,
            include_object_versions=s3.InventoryObjectVersion.CURRENT,
            inventory_id=INVENTORY_ID,
            optional_fields=list(INVENTORY_FIELDS),
        )
        # Inventory delivery writes with the destination's default SSE-KMS key as S3 itself.
        encryption_key.add_to_resource_policy(
            iam.PolicyStatement(
                sid=f"AllowS3InventoryFrom{cdk.Names.unique_id(self)}"[:100],
                principals=[iam.ServicePrincipal("s3.amazonaws.com")],
                actions=["kms:GenerateDataKey"],
                resources=["*"],
                # Not also aws:SourceArn = the zone bucket: the key policy would reference the
                # bucket that references the key (a dependency cycle in CloudFormation).
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            )
        )
        self.role = iam.Role(
            self,
            "BatchOperationsRole",
            assumed_by=iam.ServicePrincipal(
                BATCH_OPERATIONS_PRINCIPAL,
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            ),
            description=f"S3 Batch Operations: restore objects of {bucket.node.path}",
        )
        reports = self.reports.bucket
        document = iam.PolicyDocument(
            statements=[
                iam.PolicyStatement(
                    sid="RestoreZoneObjects",
                    actions=["s3:RestoreObject"],
                    resources=[bucket.arn_for_objects("*")],
                ),
                iam.PolicyStatement(
                    sid="ReadManifests",
                    actions=["s3:GetObject", "s3:GetObjectVersion"],
                    resources=[
                        reports.arn_for_objects(f"{MANIFEST_PREFIX}*"),
                        reports.arn_for_objects(f"{INVENTORY_PREFIX}/*"),
                    ],
                ),
                iam.PolicyStatement(
                    sid="WriteReports",
                    actions=["s3:PutObject"],
                    resources=[reports.arn_for_objects(f"{REPORT_PREFIX}/*")],
                ),
                iam.PolicyStatement(
                    sid="LocateBuckets",
                    actions=["s3:GetBucketLocation"],
                    resources=[bucket.bucket_arn, reports.bucket_arn],
                ),
                kms_statement(
                    sid="ReadManifestsWriteReportsWithTheKey",
                    actions=["kms:Decrypt", "kms:GenerateDataKey"],
                    key=encryption_key,
                    service="s3",
                    stack=stack,
                    encryption_context={"aws:s3:arn": reports.bucket_arn},
                ),
                kms_statement(
                    sid="RestoreEncryptedObjects",
                    actions=["kms:Decrypt"],
                    key=encryption_key,
                    service="s3",
                    stack=stack,
                    encryption_context={"aws:s3:arn": bucket.bucket_arn},
                ),
            ]
        )
        self.policy = iam.ManagedPolicy(
            self,
            "BatchOperationsPolicy",
            description="S3 Batch Operations restore jobs: least privilege",
            document=document,
            roles=[self.role],
        )
        acknowledge_policy_wildcards(
            self.policy,
            "A restore job acts on the objects its manifest lists, which are only known when "
            "the job is created: restore on the zone bucket's objects, read on the manifest "
            "and inventory prefixes and write on the report prefix of the restore bucket.",
            patterns=[
                bucket_objects_pattern(bucket),
                bucket_objects_pattern(reports, MANIFEST_PREFIX),
                bucket_objects_pattern(reports, f"{INVENTORY_PREFIX}/"),
                bucket_objects_pattern(reports, f"{REPORT_PREFIX}/"),
            ],
        )

    @property
    def inventory_location(self) -> str:
        """``s3://<reports bucket>/inventory/<zone bucket>/restore-inventory/`` (token text)."""
        return (
            f"s3://{self.reports.bucket.bucket_name}/{INVENTORY_PREFIX}/"
            f"{self.bucket.bucket_name}/{INVENTORY_ID}/"
        )

    def grant_run_restores(self, grantee: iam.IGrantable) -> None:
        """What the ``ml-data-platform restore`` CLI's caller needs: list the zone bucket,
        write manifests (with the key), pass the role, create jobs (``s3:CreateJob`` has no
        resource type, so it is granted on ``*``) and describe them."""
        stack = cdk.Stack.of(self)
        iam.Grant.add_to_principal(
            grantee=grantee, actions=["s3:ListBucket"], resource_arns=[self.bucket.bucket_arn]
        )
        self.reports.bucket.grant_put(grantee, f"{MANIFEST_PREFIX}*")
        self.role.grant_pass_role(grantee.grant_principal)
        iam.Grant.add_to_principal(grantee=grantee, actions=["s3:CreateJob"], resource_arns=["*"])
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["s3:DescribeJob"],
            resource_arns=[stack.format_arn(service="s3", resource="job", resource_name="*")],
        )
