"""``CatalogStack``: Glue databases, dataset tables, crawlers and Athena over the data lake."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from ml_data_platform.catalog import (
    DEFAULT_BYTES_SCANNED_CUTOFF,
    DEFAULT_DATABASE_PREFIX,
    DEFAULT_SCHEDULE,
    AthenaWorkgroup,
    CrawlerSecurityConfiguration,
    DataCatalog,
    LakeCrawler,
    LakeFormationAccess,
    LakeTable,
)
from ml_data_platform.catalog.data_catalog import camel
from ml_data_platform.core.inputs import reject_string
from ml_data_platform.datasets import Dataset, datasets_by_name
from ml_data_platform.storage import ANALYTICS, CURATED, RAW, DataLake

DEFAULT_CRAWLER_ZONES = (CURATED, ANALYTICS)


class CatalogStack(cdk.Stack):
    """The catalog of one environment's lake.

    One Glue database per zone; one ``LakeTable`` per dataset in the raw database (location,
    partitions and projection from the dataset layout, i.e. where Firehose writes); a crawler
    per ``crawler_zones`` zone sharing one security configuration; an enforced Athena workgroup
    with its own results bucket. The lake usually lives in a ``StorageStack`` of the same
    environment (cross-stack references).

    Args:
        data_lake: The ``DataLake``.
        datasets: Datasets landing in the raw zone (unique names). Default: none.
        database_prefix: See ``DataCatalog``. Default: ``"mldp"``.
        crawler_zones: Zones to crawl. Default: curated and analytics.
        crawler_schedule: Glue cron of every crawler, or None (on demand). Default: daily 02:00.
        bytes_scanned_cutoff: Athena per-query cutoff in bytes. Default: 10 GiB.
        encrypt_catalog: Own the account's Data Catalog encryption settings. Default: False.
        catalog_key: The account's Data Catalog is encrypted with this key, set by another
            stack (see ``DataCatalog``). Default: none.
        lake_formation: Register the zones with Lake Formation. Default: False.
        removal_policy: Databases and the results bucket. Default: RETAIN.
        **stack_kwargs: ``cdk.Stack`` props.

    Attributes:
        catalog, tables (``{dataset name: LakeTable}``), crawlers (``{zone: LakeCrawler}``),
        workgroup (``AthenaWorkgroup``), lake_formation (``LakeFormationAccess`` or None).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data_lake: DataLake,
        datasets: Sequence[Dataset] = (),
        database_prefix: str = DEFAULT_DATABASE_PREFIX,
        crawler_zones: Sequence[str] = DEFAULT_CRAWLER_ZONES,
        crawler_schedule: str | None = DEFAULT_SCHEDULE,
        bytes_scanned_cutoff: int = DEFAULT_BYTES_SCANNED_CUTOFF,
        encrypt_catalog: bool = False,
        catalog_key: kms.IKey | None = None,
        lake_formation: bool = False,
        removal_policy: cdk.RemovalPolicy | None = None,
        **stack_kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **stack_kwargs)
        if not isinstance(data_lake, DataLake):
            raise TypeError(f"data_lake must be a DataLake, got {type(data_lake).__name__}")
        reject_string(crawler_zones, "crawler_zones", "zones")
        by_name = datasets_by_name(datasets)
        self.catalog = DataCatalog(
            self,
            "Catalog",
            lake=data_lake,
            database_prefix=database_prefix,
            encrypt_catalog=encrypt_catalog,
            catalog_key=catalog_key,
            removal_policy=removal_policy,
        )
        self.tables: dict[str, LakeTable] = {}
        if by_name:
            raw = self.catalog.database(RAW)
            for name, dataset in by_name.items():
                self.tables[name] = LakeTable(
                    self,
                    f"{camel(name)}Table",
                    database=raw,
                    bucket=self.catalog.bucket(RAW),
                    dataset=dataset,
                )
        self.crawlers: dict[str, LakeCrawler] = {}
        if crawler_zones:
            security = CrawlerSecurityConfiguration(
                self, "CrawlerSecurity", encryption_key=data_lake.key
            )
            for zone in crawler_zones:
                self.crawlers[zone] = LakeCrawler(
                    self,
                    f"{camel(zone)}Crawler",
                    catalog=self.catalog,
                    zone=zone,
                    security_configuration=security,
                    schedule=crawler_schedule,
                )
        self.workgroup = AthenaWorkgroup(
            self,
            "Athena",
            encryption_key=data_lake.key,
            bytes_scanned_cutoff=bytes_scanned_cutoff,
            removal_policy=removal_policy,
        )
        self.lake_formation = (
            LakeFormationAccess(self, "LakeFormation", catalog=self.catalog)
            if lake_formation
            else None
        )

    def grant_query(
        self, role: iam.IRole, *, zones: Sequence[str] = (), tables: Sequence[str] = ()
    ) -> list[iam.Grant]:
        """``AthenaWorkgroup.grant_query`` for ``zones`` and dataset ``tables`` (by name)."""
        unknown = sorted(set(tables) - set(self.tables))
        if unknown:
            raise KeyError(f"no tables {unknown}; tables are {sorted(self.tables)}")
        return self.workgroup.grant_query(
            role, catalog=self.catalog, zones=zones, tables=[self.tables[t] for t in tables]
        )
