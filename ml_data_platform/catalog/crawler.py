"""``CrawlerSecurityConfiguration`` and ``LakeCrawler``: an encrypted, least-privilege crawler.

- Security configurations: https://docs.aws.amazon.com/glue/latest/dg/encryption-security-configuration.html
- Crawler schedules (cron): https://docs.aws.amazon.com/glue/latest/dg/monitor-data-warehouse-schedule.html
- Incremental crawls: https://docs.aws.amazon.com/glue/latest/dg/incremental-crawls.html
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from enum import Enum

import aws_cdk as cdk
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from ml_data_platform.catalog.data_catalog import READ_CATALOG_ACTIONS, DataCatalog
from ml_data_platform.compliance.nag_patterns import (
    arn_pattern,
    bucket_objects_pattern,
    glue_tables_pattern,
)
from ml_data_platform.compliance.wildcards import acknowledge_policy_wildcards
from ml_data_platform.core.inputs import Kind, optional_kind, reject_string, require_kind
from ml_data_platform.core.names import validate_key_prefix

DEFAULT_SCHEDULE = "cron(0 2 * * ? *)"
"""Daily at 02:00 UTC."""
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$")
_TABLE_PREFIX = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class SchemaUpdateBehavior(Enum):
    """What the crawler does when it finds a changed schema."""

    UPDATE_IN_DATABASE = "UPDATE_IN_DATABASE"
    LOG = "LOG"


class SchemaDeleteBehavior(Enum):
    """What the crawler does when objects of a table are gone."""

    LOG = "LOG"
    DEPRECATE_IN_DATABASE = "DEPRECATE_IN_DATABASE"
    DELETE_FROM_DATABASE = "DELETE_FROM_DATABASE"


class RecrawlBehavior(Enum):
    """Crawl everything on every run, or only folders added since the last run."""

    CRAWL_EVERYTHING = "CRAWL_EVERYTHING"
    CRAWL_NEW_FOLDERS_ONLY = "CRAWL_NEW_FOLDERS_ONLY"


class CrawlerSecurityConfiguration(Construct):
    """A Glue security configuration that encrypts everything with the platform key.

    S3 (SSE-KMS), CloudWatch Logs (SSE-KMS; the key policy must allow the CloudWatch Logs
    service of the account/region, as ``DataLakeKey`` does) and job bookmarks (CSE-KMS). One can
    serve several crawlers. Security configuration names are unique per account and region.

    Args:
        encryption_key: The KMS key.
        name: The name. Default: unique from the construct path (stack name included).

    Attributes:
        security_configuration: The ``CfnSecurityConfiguration``.
        name: Its name. ``key``: the key.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        encryption_key: kms.IKey,
        name: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = require_kind(encryption_key, Kind.KEY, "encryption_key")
        self.name = _validate_name(
            name or cdk.Names.unique_resource_name(self, max_length=128, separator="-"),
            "name",
        )
        key_arn = encryption_key.key_arn
        cfn = glue.CfnSecurityConfiguration
        self.security_configuration = cfn(
            self,
            "Resource",
            name=self.name,
            encryption_configuration=cfn.EncryptionConfigurationProperty(
                s3_encryptions=[
                    cfn.S3EncryptionProperty(s3_encryption_mode="SSE-KMS", kms_key_arn=key_arn)
                ],
                cloud_watch_encryption=cfn.CloudWatchEncryptionProperty(
                    cloud_watch_encryption_mode="SSE-KMS", kms_key_arn=key_arn
                ),
                job_bookmarks_encryption=cfn.JobBookmarksEncryptionProperty(
                    job_bookmarks_encryption_mode="CSE-KMS", kms_key_arn=key_arn
                ),
            ),
        )


class LakeCrawler(Construct):
    """A Glue crawler over a lake zone (or prefixes of it), writing to the zone's database.

    The role is least-privilege, in a customer-managed policy (no ``AWSGlueServiceRole``):
    list/read of the crawled prefixes, ``kms:Decrypt`` on the key and the bucket's key,
    ``kms:Decrypt``/``Encrypt``/``GenerateDataKey`` through Glue on ``catalog.catalog_key``
    when the Data Catalog is encrypted, Glue catalog actions on the catalog, the zone database and its
    tables (delete actions only with ``DELETE_FROM_DATABASE``), and CloudWatch Logs on
    ``/aws-glue/crawlers*`` including ``logs:AssociateKmsKey`` (the security configuration
    encrypts the crawler's log group with the key). If Lake Formation governs the database,
    also grant the role Lake Formation permissions.

    Args:
        catalog: The ``DataCatalog``.
        zone: The zone to crawl.
        prefixes: Relative key prefixes to crawl (one S3 target each; a sequence, not a
            ``str``). Default: the whole bucket.
        security_configuration: A shared ``CrawlerSecurityConfiguration``. Default: a new one
            with ``encryption_key``.
        encryption_key: Key of the security configuration and of the zone data. Default:
            ``catalog.key`` (``ValueError`` if neither is set).
        schedule: Glue cron expression, ``cron(min hour day-of-month month day-of-week year)``,
            or None to run on demand. Default: ``cron(0 2 * * ? *)`` (daily 02:00 UTC).
        update_behavior: Default: ``UPDATE_IN_DATABASE``.
        delete_behavior: Default: ``LOG``.
        recrawl_behavior: Default: ``CRAWL_EVERYTHING`` (``CRAWL_NEW_FOLDERS_ONLY`` needs
            ``LOG`` for both behaviors).
        table_prefix: Prefix for the tables it creates. Default: none.
        crawler_name: Physical name. Default: generated by CloudFormation.
        exclusions: Glob patterns to skip in every target (a sequence, not a ``str``).
            Default: none.

    Attributes:
        crawler: The ``CfnCrawler``. ``role``: its ``iam.Role``. ``policy``: its
            ``iam.ManagedPolicy``. ``security_configuration``: the one it uses.
        prefixes: The crawled prefixes, each ending in ``/`` (``""``: the whole bucket).
        schedule: The ``cron(...)`` expression, or None (on demand).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        catalog: DataCatalog,
        zone: str,
        prefixes: Sequence[str] = ("",),
        security_configuration: CrawlerSecurityConfiguration | None = None,
        encryption_key: kms.IKey | None = None,
        schedule: str | None = DEFAULT_SCHEDULE,
        update_behavior: SchemaUpdateBehavior = SchemaUpdateBehavior.UPDATE_IN_DATABASE,
        delete_behavior: SchemaDeleteBehavior = SchemaDeleteBehavior.LOG,
        recrawl_behavior: RecrawlBehavior = RecrawlBehavior.CRAWL_EVERYTHING,
        table_prefix: str | None = None,
        crawler_name: str | None = None,
        exclusions: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        if not isinstance(catalog, DataCatalog):
            raise TypeError(f"catalog must be a DataCatalog, got {type(catalog).__name__}")
        encryption_key = optional_kind(encryption_key, Kind.KEY, "encryption_key")
        if security_configuration is not None and not isinstance(
            security_configuration, CrawlerSecurityConfiguration
        ):
            raise TypeError(
                "security_configuration must be a CrawlerSecurityConfiguration, got "
                f"{type(security_configuration).__name__}"
            )
        _check_enum(update_behavior, SchemaUpdateBehavior, "update_behavior")
        _check_enum(delete_behavior, SchemaDeleteBehavior, "delete_behavior")
        _check_enum(recrawl_behavior, RecrawlBehavior, "recrawl_behavior")
        if recrawl_behavior is RecrawlBehavior.CRAWL_NEW_FOLDERS_ONLY and (
            update_behavior is not SchemaUpdateBehavior.LOG
            or delete_behavior is not SchemaDeleteBehavior.LOG
        ):
            raise ValueError(
                "recrawl_behavior=CRAWL_NEW_FOLDERS_ONLY needs update_behavior=LOG and "
                f"delete_behavior=LOG (Glue rejects other schema change policies), got "
                f"{update_behavior.name}/{delete_behavior.name}"
            )
        if table_prefix is not None and not _TABLE_PREFIX.match(table_prefix):
            raise ValueError(
                f"table_prefix {table_prefix!r} must be lowercase letters, digits and '_', "
                "starting with a letter"
            )
        if crawler_name is not None:
            _validate_name(crawler_name, "crawler_name")
        self.schedule = validate_glue_cron(schedule) if schedule is not None else None
        bucket = catalog.bucket(zone)
        database_name = catalog.database_name(zone)
        reject_string(prefixes, "prefixes", "key prefixes")
        reject_string(exclusions, "exclusions", "glob patterns")
        for pattern in exclusions:
            if not isinstance(pattern, str):
                raise TypeError(f"exclusions must be glob strings, got {pattern!r}")
        self.prefixes = [validate_key_prefix(p, "prefixes") for p in prefixes]
        if not self.prefixes or len(set(self.prefixes)) != len(self.prefixes):
            raise ValueError(f"prefixes must be non-empty and distinct, got {list(prefixes)}")
        key = encryption_key or (
            security_configuration.key if security_configuration else catalog.key
        )
        if key is None:
            raise ValueError(
                "LakeCrawler needs a KMS key for its security configuration: pass "
                "encryption_key or a catalog built with one"
            )
        self.security_configuration = security_configuration or CrawlerSecurityConfiguration(
            self, "SecurityConfiguration", encryption_key=key
        )

        stack = cdk.Stack.of(self)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("glue.amazonaws.com"),
            description=f"Glue crawler of the {zone} zone",
        )
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            roles=[self.role],
            statements=_crawler_statements(
                stack,
                catalog=catalog,
                zone=zone,
                bucket_arn=bucket.bucket_arn,
                prefixes=self.prefixes,
                data_key_arns=sorted({key.key_arn, *_bucket_key_arns(bucket)}),
                delete_behavior=delete_behavior,
            ),
        )
        acknowledge_policy_wildcards(
            self.policy,
            "Scoped wildcards only: objects under the crawled prefixes (object keys are not "
            "known in advance), tables of this one zone database (the crawler creates them), "
            "and the /aws-glue/crawlers* log groups Glue names per role and security "
            "configuration.",
            patterns=[
                *(bucket_objects_pattern(bucket, p) for p in self.prefixes),
                glue_tables_pattern(database_name),
                arn_pattern("logs", r"log-group:/aws-glue/crawlers\*(:\*)?"),
            ],
        )
        configuration = {
            "Version": 1.0,
            "CrawlerOutput": {"Partitions": {"AddOrUpdateBehavior": "InheritFromTable"}},
        }
        self.crawler = glue.CfnCrawler(
            self,
            "Crawler",
            name=crawler_name,
            role=self.role.role_arn,
            database_name=database_name,
            description=f"Crawls the {zone} zone into {database_name}",
            targets=glue.CfnCrawler.TargetsProperty(
                s3_targets=[
                    glue.CfnCrawler.S3TargetProperty(
                        path=f"s3://{bucket.bucket_name}/{prefix}",
                        exclusions=list(exclusions) or None,
                    )
                    for prefix in self.prefixes
                ]
            ),
            schedule=glue.CfnCrawler.ScheduleProperty(schedule_expression=self.schedule)
            if self.schedule
            else None,
            schema_change_policy=glue.CfnCrawler.SchemaChangePolicyProperty(
                update_behavior=update_behavior.value, delete_behavior=delete_behavior.value
            ),
            recrawl_policy=glue.CfnCrawler.RecrawlPolicyProperty(
                recrawl_behavior=recrawl_behavior.value
            ),
            crawler_security_configuration=self.security_configuration.name,
            table_prefix=table_prefix,
            configuration=json.dumps(configuration, separators=(",", ":")),
        )
        self.crawler.add_resource_dependency(self.security_configuration.security_configuration)
        self.crawler.add_resource_dependency(self.policy.node.default_child)  # type: ignore[arg-type]
        self.crawler.add_resource_dependency(catalog.database(zone))


_WRITE_CATALOG = [
    "glue:CreateTable",
    "glue:UpdateTable",
    "glue:CreatePartition",
    "glue:BatchCreatePartition",
    "glue:UpdatePartition",
    "glue:BatchUpdatePartition",
]
_DELETE_CATALOG = [
    "glue:DeleteTable",
    "glue:BatchDeleteTable",
    "glue:DeletePartition",
    "glue:BatchDeletePartition",
]


def _crawler_statements(
    stack: cdk.Stack,
    *,
    catalog: DataCatalog,
    zone: str,
    bucket_arn: str,
    prefixes: Sequence[str],
    data_key_arns: Sequence[str],
    delete_behavior: SchemaDeleteBehavior,
) -> list[iam.PolicyStatement]:
    list_conditions = (
        None if "" in prefixes else {"StringLike": {"s3:prefix": [f"{p}*" for p in prefixes]}}
    )
    glue_actions = [*READ_CATALOG_ACTIONS, *_WRITE_CATALOG]
    if delete_behavior is SchemaDeleteBehavior.DELETE_FROM_DATABASE:
        glue_actions += _DELETE_CATALOG
    log_groups = stack.format_arn(
        service="logs",
        resource="log-group",
        resource_name="/aws-glue/crawlers*",
        arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
    )
    # Writing tables and partitions to an encrypted catalog encrypts them with its key.
    catalog_key = catalog.catalog_key_statement(
        "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", sid="UseCatalogKey"
    )
    return [
        iam.PolicyStatement(
            sid="ListCrawledPrefixes",
            actions=["s3:ListBucket", "s3:GetBucketLocation"],
            resources=[bucket_arn],
            conditions=list_conditions,
        ),
        iam.PolicyStatement(
            sid="ReadCrawledObjects",
            actions=["s3:GetObject"],
            resources=[f"{bucket_arn}/{p}*" for p in prefixes],
        ),
        iam.PolicyStatement(
            sid="DecryptLakeData", actions=["kms:Decrypt"], resources=data_key_arns
        ),
        iam.PolicyStatement(
            sid="WriteZoneCatalog",
            actions=glue_actions,
            resources=[catalog.catalog_arn, catalog.database_arn(zone), catalog.table_arn(zone)],
        ),
        iam.PolicyStatement(
            sid="WriteEncryptedCrawlerLogs",
            actions=[
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "logs:AssociateKmsKey",
            ],
            resources=[log_groups, f"{log_groups}:*"],
        ),
        *([catalog_key] if catalog_key is not None else []),
    ]


def _bucket_key_arns(bucket: object) -> list[str]:
    key = getattr(bucket, "encryption_key", None)
    return [key.key_arn] if key is not None else []


_CRON_FIELDS = (
    ("minutes", 0, 59, r"[0-9,\-*/]+"),
    ("hours", 0, 23, r"[0-9,\-*/]+"),
    ("day-of-month", 1, 31, r"[0-9,\-*/?LW]+"),
    ("month", 1, 12, r"[0-9A-Za-z,\-*/]+"),
    ("day-of-week", 1, 7, r"[0-9A-Za-z,\-*/?L#]+"),
    ("year", 1970, 2199, r"[0-9,\-*/]+"),
)
_MONTHS = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}
_DAYS = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}


def validate_glue_cron(expression: str) -> str:
    """Return ``expression`` as ``cron(...)`` if it is a valid Glue cron schedule.

    Glue takes six fields, ``minutes hours day-of-month month day-of-week year``, and exactly
    one of day-of-month and day-of-week must be ``?``. ``cron(...)`` may be omitted.
    """
    if not isinstance(expression, str):
        raise TypeError(f"schedule must be a string, got {type(expression).__name__}")
    text = expression.strip()
    match = re.fullmatch(r"cron\((.*)\)", text)
    body = match.group(1) if match else text
    fields = body.split()
    problem = None
    if len(fields) != 6:
        problem = (
            f"needs 6 fields (minutes hours day-of-month month day-of-week year), got {len(fields)}"
        )
    elif (fields[2] == "?") == (fields[4] == "?"):
        problem = "exactly one of day-of-month and day-of-week must be '?'"
    else:
        for value, (label, low, high, chars) in zip(fields, _CRON_FIELDS, strict=True):
            if not re.fullmatch(chars, value):
                problem = f"{label} {value!r} has characters outside {chars}"
                break
            names = set(re.findall(r"[A-Za-z]+", value)) - {"L", "W"}
            allowed = _MONTHS if label == "month" else _DAYS if label == "day-of-week" else set()
            if {n.upper() for n in names} - allowed:
                problem = f"{label} {value!r} has unknown names {sorted(names)}"
                break
            numbers = [int(n) for n in re.findall(r"\d+", value.split("/")[0].split("#")[0])]
            if any(not low <= n <= high for n in numbers):
                problem = f"{label} {value!r} must be within {low}–{high}"
                break
    if problem:
        raise ValueError(f"schedule {expression!r} is not a valid Glue cron expression: {problem}")
    return f"cron({' '.join(fields)})"


def _validate_name(name: str, prop: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(
            f"{prop} {name!r} must be 1–255 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    return name


def _check_enum(value: object, enum: type[Enum], prop: str) -> None:
    if not isinstance(value, enum):
        raise TypeError(f"{prop} must be a {enum.__name__}, got {value!r}")
