"""``DataCatalog``: one Glue database per lake zone, optionally an encrypted Data Catalog.

Names follow the Athena rules (lowercase letters, digits and ``_``):
https://docs.aws.amazon.com/athena/latest/ug/tables-databases-columns-names.html
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ml_data_platform.core.inputs import Kind, optional_kind, require_kind
from ml_data_platform.core.kms import kms_conditions, kms_statement
from ml_data_platform.core.names import glue_name, validate_slug
from ml_data_platform.core.removal import resolve_removal_policy
from ml_data_platform.storage.data_lake import DataLake

DEFAULT_DATABASE_PREFIX = "mldp"
READ_CATALOG_ACTIONS = (
    "glue:GetDatabase",
    "glue:GetDatabases",
    "glue:GetTable",
    "glue:GetTables",
    "glue:GetPartition",
    "glue:GetPartitions",
    "glue:BatchGetPartition",
)
"""Glue actions that read databases, tables and partitions (Athena queries, crawlers)."""
_PREFIX = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")


def camel(name: str) -> str:
    """``raw`` -> ``Raw``; ``feature-store`` -> ``FeatureStore`` (stable construct ids)."""
    return "".join(part.capitalize() for part in re.split(r"[-_]", name) if part)


def database_name_for(prefix: str, zone: str) -> str:
    """``<prefix>_<zone>`` as a Glue name (``-`` becomes ``_``), validated."""
    if not isinstance(prefix, str) or not _PREFIX.match(prefix):
        raise ValueError(
            f"database_prefix {prefix!r} must be 1–63 lowercase letters, digits, '_' or '-', "
            "starting with a letter"
        )
    validate_slug(zone, "zone")
    return glue_name(f"{prefix}_{zone}")


class DataCatalog(Construct):
    """The Glue Data Catalog of the lake: one database per zone.

    Each zone gets the database ``<database_prefix>_<zone>`` (``-`` becomes ``_``) whose
    location is the zone bucket. Databases are RETAINed by default: dropping one drops the
    definitions of every table in it (the data stays in S3, but crawled schemas and partitions
    are lost).

    Data Catalog encryption (``encrypt_catalog``) is an account-and-region setting: there is
    exactly one ``AWS::Glue::DataCatalogEncryptionSettings`` per account and region, so the
    stack that sets it owns it for every database in the account (another stack setting it
    overwrites it, deleting the stack leaves it in place). It is off by default; turn it on in
    one stack per account. Every other catalog of that account and region is told the key with
    ``catalog_key`` (the setting is made elsewhere). With either, every principal that uses the
    catalog needs the key: ``AthenaWorkgroup.grant_query`` grants ``kms:Decrypt`` and
    ``LakeCrawler`` ``kms:Decrypt``/``Encrypt``/``GenerateDataKey`` on ``catalog_key``, both
    only through Glue (``kms:ViaService``); other readers (e.g. Firehose format conversion)
    need the same grant. See
    https://docs.aws.amazon.com/glue/latest/dg/encrypt-glue-data-catalog.html.

    Args:
        lake: A ``DataLake`` or a mapping ``{zone name: IBucket}``.
        encryption_key: The platform key (crawler security configuration, catalog encryption).
            Default: ``lake.key`` for a ``DataLake``; none for a mapping.
        database_prefix: Prefix of the database names. Default: ``"mldp"``.
        encrypt_catalog: Set the account-wide Data Catalog encryption (metadata and connection
            passwords, SSE-KMS with ``encryption_key``). Default: False.
        catalog_key: The account's Data Catalog is encrypted with this key, set elsewhere (by
            the one stack that owns the setting); not with ``encrypt_catalog``. Default: none
            (not encrypted, unless ``encrypt_catalog``).
        removal_policy: ``RETAIN`` (default) or ``DESTROY`` (needs the allow-destroy context).

    Attributes:
        databases: ``{zone: CfnDatabase}`` in zone order.
        buckets: ``{zone: IBucket}``.
        key: The platform key, or None.
        catalog_key: The key that encrypts the catalog's metadata (``encryption_key`` with
            ``encrypt_catalog``, the given ``catalog_key``), or None.
        catalog_encrypted: Whether ``catalog_key`` is set.
        encryption_settings: The ``CfnDataCatalogEncryptionSettings`` or None.
        database_prefix: The prefix of the database names.
        zones: The zone names.
        catalog_arn: The ARN of the account's Data Catalog.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        lake: DataLake | Mapping[str, s3.IBucket],
        encryption_key: kms.IKey | None = None,
        database_prefix: str = DEFAULT_DATABASE_PREFIX,
        encrypt_catalog: bool = False,
        catalog_key: kms.IKey | None = None,
        removal_policy: cdk.RemovalPolicy | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        encryption_key = optional_kind(encryption_key, Kind.KEY, "encryption_key")
        catalog_key = optional_kind(catalog_key, Kind.KEY, "catalog_key")
        self.buckets = _zone_buckets(lake)
        self.key: kms.IKey | None = encryption_key or (
            lake.key if isinstance(lake, DataLake) else None
        )
        self.database_prefix = database_prefix
        policy = resolve_removal_policy(self, removal_policy)
        stack = cdk.Stack.of(self)
        self._names = {zone: database_name_for(database_prefix, zone) for zone in self.buckets}
        self.databases: dict[str, glue.CfnDatabase] = {}
        for zone, bucket in self.buckets.items():
            database = glue.CfnDatabase(
                self,
                f"{camel(zone)}Database",
                catalog_id=stack.account,
                database_input=glue.CfnDatabase.DatabaseInputProperty(
                    name=self._names[zone],
                    location_uri=f"s3://{bucket.bucket_name}/",
                    description=f"ml-data-platform {zone} zone",
                ),
            )
            database.apply_removal_policy(policy)
            self.databases[zone] = database
        self.encryption_settings: glue.CfnDataCatalogEncryptionSettings | None = None
        self.catalog_key: kms.IKey | None = catalog_key
        if encrypt_catalog:
            if self.key is None:
                raise ValueError("encrypt_catalog=True needs encryption_key (a KMS key)")
            if catalog_key is not None:
                raise ValueError(
                    "pass encrypt_catalog=True (this stack owns the account's catalog encryption "
                    "and uses encryption_key) or catalog_key (the catalog is encrypted "
                    "elsewhere), not both"
                )
            self.catalog_key = self.key
            self.encryption_settings = glue.CfnDataCatalogEncryptionSettings(
                self,
                "EncryptionSettings",
                catalog_id=stack.account,
                data_catalog_encryption_settings=glue.CfnDataCatalogEncryptionSettings.DataCatalogEncryptionSettingsProperty(
                    encryption_at_rest=glue.CfnDataCatalogEncryptionSettings.EncryptionAtRestProperty(
                        catalog_encryption_mode="SSE-KMS", sse_aws_kms_key_id=self.key.key_arn
                    ),
                    connection_password_encryption=glue.CfnDataCatalogEncryptionSettings.ConnectionPasswordEncryptionProperty(
                        return_connection_password_encrypted=True, kms_key_id=self.key.key_arn
                    ),
                ),
            )

    @property
    def catalog_encrypted(self) -> bool:
        return self.catalog_key is not None

    def grant_catalog_key(self, grantee: iam.IGrantable, *actions: str) -> iam.Grant | None:
        """Grant ``actions`` (e.g. ``kms:Decrypt``) on ``catalog_key`` to ``grantee``'s policy,
        only through Glue; None when the catalog is not encrypted."""
        if self.catalog_key is None:
            return None
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=list(actions),
            resource_arns=[self.catalog_key.key_arn],
            conditions=kms_conditions(service="glue", stack=cdk.Stack.of(self)),
        )

    def catalog_key_statement(self, *actions: str, sid: str) -> iam.PolicyStatement | None:
        """The statement of ``grant_catalog_key``, for a policy you build; None when the
        catalog is not encrypted."""
        if self.catalog_key is None:
            return None
        return kms_statement(
            sid=sid,
            actions=actions,
            key=self.catalog_key,
            service="glue",
            stack=cdk.Stack.of(self),
        )

    @property
    def zones(self) -> list[str]:
        return list(self.buckets)

    def _check_zone(self, zone: str) -> str:
        if zone not in self.buckets:
            raise KeyError(f"no zone {zone!r} in the catalog; zones are {sorted(self.buckets)}")
        return zone

    def database_name(self, zone: str) -> str:
        """The database name of ``zone`` (``KeyError`` lists the zones)."""
        return self._names[self._check_zone(zone)]

    def database(self, zone: str) -> glue.CfnDatabase:
        """The ``CfnDatabase`` of ``zone`` (``KeyError`` lists the zones)."""
        return self.databases[self._check_zone(zone)]

    def bucket(self, zone: str) -> s3.IBucket:
        """The bucket of ``zone`` (``KeyError`` lists the zones)."""
        return self.buckets[self._check_zone(zone)]

    @property
    def catalog_arn(self) -> str:
        return cdk.Stack.of(self).format_arn(service="glue", resource="catalog")

    def database_arn(self, zone: str) -> str:
        """The Glue database ARN of ``zone`` (``KeyError`` lists the zones)."""
        return cdk.Stack.of(self).format_arn(
            service="glue", resource="database", resource_name=self.database_name(zone)
        )

    def table_arn(self, zone: str, table: str = "*") -> str:
        """ARN of ``table`` (default: every table) in the database of ``zone``."""
        return cdk.Stack.of(self).format_arn(
            service="glue", resource="table", resource_name=f"{self.database_name(zone)}/{table}"
        )


def _zone_buckets(lake: DataLake | Mapping[str, s3.IBucket]) -> dict[str, s3.IBucket]:
    if isinstance(lake, DataLake):
        return {zone: bucket.bucket for zone, bucket in lake.zones.items()}
    if not isinstance(lake, Mapping):
        raise TypeError(
            f"lake must be a DataLake or a mapping of zone name to IBucket, "
            f"got {type(lake).__name__}: {lake!r:.80}"
        )
    if not lake:
        raise ValueError("lake must name at least one zone")
    buckets = {}
    for zone, bucket in lake.items():
        validate_slug(zone, "zone")
        buckets[zone] = require_kind(bucket, Kind.BUCKET, f"lake[{zone!r}]")
    ids = [camel(z) for z in buckets]
    if len(set(ids)) != len(ids):
        raise ValueError(f"lake: zone names {list(buckets)} collide as construct ids {ids}")
    return buckets
