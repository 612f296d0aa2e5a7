"""``AthenaWorkgroup``: an enforced, encrypted, cost-capped Athena workgroup.

- Workgroup settings: https://docs.aws.amazon.com/athena/latest/ug/workgroups-settings-override.html
- Data usage controls: https://docs.aws.amazon.com/athena/latest/ug/workgroups-setting-control-limits-cloudwatch.html
  (the per-query cutoff is at least 10 MB; Athena bills at least 10 MB per query)
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_athena as athena
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ml_data_platform.catalog.data_catalog import READ_CATALOG_ACTIONS, DataCatalog
from ml_data_platform.catalog.table import LakeTable
from ml_data_platform.core.inputs import (
    Kind,
    optional_kind,
    reject_string,
    require_int,
    require_kind,
)
from ml_data_platform.core.kms import same_key
from ml_data_platform.core.limits import (
    ATHENA_MIN_BYTES_SCANNED_CUTOFF,
    ATHENA_WORKGROUP_DESCRIPTION_MAX_LENGTH,
    ATHENA_WORKGROUP_NAME_MAX_LENGTH,
    MIB,
)
from ml_data_platform.core.names import validate_key_prefix
from ml_data_platform.storage.bucket import DataLakeBucket
from ml_data_platform.storage.lifecycle import Lifecycle, LifecyclePreset

DEFAULT_BYTES_SCANNED_CUTOFF = 10 * 1024 * MIB
"""10 GiB per query (about USD 0.05 at USD 5 per TB scanned)."""
DEFAULT_RESULTS_EXPIRATION_DAYS = 7
DEFAULT_RESULTS_PREFIX = "athena-results/"
_WORKGROUP_NAME = re.compile(rf"^[A-Za-z0-9._-]{{1,{ATHENA_WORKGROUP_NAME_MAX_LENGTH}}}$")
_QUERY_ACTIONS = [
    "athena:StartQueryExecution",
    "athena:StopQueryExecution",
    "athena:GetQueryExecution",
    "athena:GetQueryResults",
    "athena:GetQueryResultsStream",
    "athena:GetQueryRuntimeStatistics",
    "athena:BatchGetQueryExecution",
    "athena:ListQueryExecutions",
    "athena:GetWorkGroup",
]


class AthenaWorkgroup(Construct):
    """An Athena workgroup whose settings clients cannot override.

    Enforced: results in ``s3://<results bucket>/<results_prefix>`` encrypted with SSE_KMS and
    the platform key, expected bucket owner = this account, a bytes-scanned cutoff per query,
    CloudWatch metrics, engine version AUTO. The workgroup holds no data, so it is deleted with
    the stack, but ``RecursiveDeleteOption`` is false: deletion fails rather than dropping saved
    queries. The default results bucket is a ``DataLakeBucket`` whose results expire.

    Args:
        encryption_key: The key that encrypts query results. With ``results_bucket``, the
            bucket's own key when it has one (``ValueError`` otherwise: lake buckets deny
            uploads encrypted with another key).
        results_bucket: Where results go, used as is. Default: a new ``DataLakeBucket`` (this
            key, results expire after ``results_expiration_days``, noncurrent versions after 1
            day).
        results_prefix: Key prefix of the results; not empty (``grant_query`` gives read/write
            on it). Default: ``athena-results/``.
        results_expiration_days: Expiry of the default results bucket (``ValueError`` with
            ``results_bucket``). Default: 7.
        access_logs_bucket: Access-log destination of the default results bucket
            (``ValueError`` with ``results_bucket``). Default: a new ``AccessLogsBucket`` (pass
            one in the same stack; one in another stack would make the two stacks reference
            each other).
        bytes_scanned_cutoff: Cancel a query that scans more (≥ 10 MiB). Default: 10 GiB.
        workgroup_name: Name (letters, digits, ``.``, ``_``, ``-``; ≤ 128). Default: unique
            from the construct path.
        description: Description (≤ 1024 characters). Default: a generic one.
        removal_policy: Of the default results bucket (``ValueError`` with
            ``results_bucket``). Default: RETAIN.

    Attributes:
        workgroup: The ``CfnWorkGroup``. ``workgroup_name``, ``workgroup_arn``.
        results_bucket: The ``IBucket``; ``results_prefix``; ``key``.
        results: The default results ``DataLakeBucket``, or None with ``results_bucket``.
        bytes_scanned_cutoff: The per-query cutoff in bytes.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        encryption_key: kms.IKey,
        results_bucket: s3.IBucket | None = None,
        results_prefix: str = DEFAULT_RESULTS_PREFIX,
        results_expiration_days: int | None = None,
        access_logs_bucket: s3.IBucket | None = None,
        bytes_scanned_cutoff: int = DEFAULT_BYTES_SCANNED_CUTOFF,
        workgroup_name: str | None = None,
        description: str = "ml-data-platform queries over the data lake",
        removal_policy: cdk.RemovalPolicy | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = require_kind(encryption_key, Kind.KEY, "encryption_key")
        results_bucket = optional_kind(results_bucket, Kind.BUCKET, "results_bucket")
        access_logs_bucket = optional_kind(access_logs_bucket, Kind.BUCKET, "access_logs_bucket")
        require_int(
            bytes_scanned_cutoff, "bytes_scanned_cutoff", minimum=ATHENA_MIN_BYTES_SCANNED_CUTOFF
        )
        if results_bucket is not None:
            _check_given_results_bucket(
                results_bucket,
                encryption_key,
                results_expiration_days=results_expiration_days,
                access_logs_bucket=access_logs_bucket,
                removal_policy=removal_policy,
            )
        if results_expiration_days is None:
            results_expiration_days = DEFAULT_RESULTS_EXPIRATION_DAYS
        require_int(results_expiration_days, "results_expiration_days", minimum=1)
        if not isinstance(description, str):
            raise TypeError(f"description must be a string, got {type(description).__name__}")
        if len(description) > ATHENA_WORKGROUP_DESCRIPTION_MAX_LENGTH:
            raise ValueError(
                f"description {description[:40]!r}... has {len(description)} characters; Athena "
                f"accepts at most {ATHENA_WORKGROUP_DESCRIPTION_MAX_LENGTH}"
            )
        self.results_prefix = validate_key_prefix(
            results_prefix, "results_prefix", allow_empty=False
        )
        self.workgroup_name = workgroup_name or cdk.Names.unique_resource_name(
            self, max_length=ATHENA_WORKGROUP_NAME_MAX_LENGTH, separator="-"
        )
        if not _WORKGROUP_NAME.match(self.workgroup_name):
            raise ValueError(
                f"workgroup_name {self.workgroup_name!r} must be "
                f"1–{ATHENA_WORKGROUP_NAME_MAX_LENGTH} letters, digits, '.', '_' or '-'"
            )
        if results_bucket is None:
            self.results: DataLakeBucket | None = DataLakeBucket(
                self,
                "Results",
                encryption_key=encryption_key,
                access_logs_bucket=access_logs_bucket,
                lifecycle=Lifecycle.preset(
                    LifecyclePreset.STANDARD,
                    expire_after_days=results_expiration_days,
                    noncurrent_expire_after_days=1,
                    abort_incomplete_uploads_after_days=1,
                ),
                removal_policy=removal_policy,
            )
            results_bucket = self.results.bucket
        else:
            self.results = None
        self.results_bucket = results_bucket
        self.bytes_scanned_cutoff = bytes_scanned_cutoff
        cfn = athena.CfnWorkGroup
        self.workgroup = cfn(
            self,
            "WorkGroup",
            name=self.workgroup_name,
            description=description,
            state="ENABLED",
            recursive_delete_option=False,
            work_group_configuration=cfn.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=bytes_scanned_cutoff,
                requester_pays_enabled=False,
                engine_version=cfn.EngineVersionProperty(selected_engine_version="AUTO"),
                result_configuration=cfn.ResultConfigurationProperty(
                    output_location=f"s3://{results_bucket.bucket_name}/{self.results_prefix}",
                    expected_bucket_owner=cdk.Stack.of(self).account,
                    encryption_configuration=cfn.EncryptionConfigurationProperty(
                        encryption_option="SSE_KMS", kms_key=encryption_key.key_arn
                    ),
                ),
            ),
        )

    @property
    def workgroup_arn(self) -> str:
        return cdk.Stack.of(self).format_arn(
            service="athena", resource="workgroup", resource_name=self.workgroup_name
        )

    def grant_query(
        self,
        role: iam.IRole,
        *,
        catalog: DataCatalog,
        zones: Sequence[str] = (),
        tables: Sequence[LakeTable] = (),
    ) -> list[iam.Grant]:
        """Let ``role`` run queries in this workgroup over ``zones`` and/or ``tables``.

        In one call: Athena query actions on this workgroup only; Glue read actions on the
        catalog, the databases and the tables (every table of each zone in ``zones``, only the
        given ``tables`` otherwise); S3 read (with ``kms:Decrypt``) on the zone buckets or the
        tables' prefixes; read/write on the results prefix and encrypt/decrypt with the key;
        ``kms:Decrypt`` through Glue on ``catalog.catalog_key`` when the catalog is encrypted.
        """
        role = require_kind(role, Kind.ROLE, "role")
        if not isinstance(catalog, DataCatalog):
            raise TypeError(f"catalog must be a DataCatalog, got {type(catalog).__name__}")
        reject_string(zones, "zones", "zone names")
        for table in tables:
            if not isinstance(table, LakeTable):
                raise TypeError(f"tables must be LakeTable objects, got {type(table).__name__}")
        if not zones and not tables:
            raise ValueError("grant_query needs at least one zone or table")
        glue_resources = [catalog.catalog_arn]
        for zone in zones:
            glue_resources += [catalog.database_arn(zone), catalog.table_arn(zone)]
        for table in tables:
            glue_resources += [table.database_arn, table.table_arn]
        grants = [
            iam.Grant.add_to_principal(
                grantee=role, actions=_QUERY_ACTIONS, resource_arns=[self.workgroup_arn]
            ),
            iam.Grant.add_to_principal(
                grantee=role,
                actions=list(READ_CATALOG_ACTIONS),
                resource_arns=_unique(glue_resources),
            ),
        ]
        grants += [catalog.bucket(zone).grant_read(role) for zone in zones]
        grants += [t.bucket.grant_read(role, f"{t.location_prefix}*") for t in tables]
        grants.append(self.results_bucket.grant_read_write(role, f"{self.results_prefix}*"))
        grants.append(self.key.grant(role, "kms:Decrypt", "kms:GenerateDataKey"))
        catalog_grant = catalog.grant_catalog_key(role, "kms:Decrypt")
        if catalog_grant is not None:
            grants.append(catalog_grant)
        return grants


def _check_given_results_bucket(
    bucket: s3.IBucket,
    key: kms.IKey,
    *,
    results_expiration_days: int | None,
    access_logs_bucket: s3.IBucket | None,
    removal_policy: cdk.RemovalPolicy | None,
) -> None:
    """A given results bucket is used as is: refuse what would silently not apply or fail."""
    ignored = [
        name
        for name, value in (
            ("results_expiration_days", results_expiration_days),
            ("access_logs_bucket", access_logs_bucket),
            ("removal_policy", removal_policy),
        )
        if value is not None
    ]
    if ignored:
        raise ValueError(
            f"{', '.join(ignored)} configure the default results bucket and would be ignored "
            "with results_bucket: set them on that bucket instead"
        )
    bucket_key = bucket.encryption_key
    if bucket_key is not None and not same_key(bucket_key, key):
        raise ValueError(
            f"results_bucket is encrypted with the key {bucket_key.node.path!r} but "
            f"encryption_key is {key.node.path!r}: Athena would write results with "
            "encryption_key, which a lake bucket denies (it accepts only its own key); pass "
            "the bucket's key as encryption_key"
        )


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
