"""Glue Data Catalog, tables, crawlers, Athena and (optional) Lake Formation over the lake."""

from ml_data_platform.catalog.athena import DEFAULT_BYTES_SCANNED_CUTOFF, AthenaWorkgroup
from ml_data_platform.catalog.crawler import (
    DEFAULT_SCHEDULE,
    CrawlerSecurityConfiguration,
    LakeCrawler,
    RecrawlBehavior,
    SchemaDeleteBehavior,
    SchemaUpdateBehavior,
    validate_glue_cron,
)
from ml_data_platform.catalog.data_catalog import (
    DEFAULT_DATABASE_PREFIX,
    DataCatalog,
    database_name_for,
)
from ml_data_platform.catalog.lake_formation import LakeFormationAccess
from ml_data_platform.catalog.table import LakeTable, TableFormat, validate_projection
from ml_data_platform.core.limits import ATHENA_MIN_BYTES_SCANNED_CUTOFF

__all__ = [
    "ATHENA_MIN_BYTES_SCANNED_CUTOFF",
    "DEFAULT_BYTES_SCANNED_CUTOFF",
    "DEFAULT_DATABASE_PREFIX",
    "DEFAULT_SCHEDULE",
    "AthenaWorkgroup",
    "CrawlerSecurityConfiguration",
    "DataCatalog",
    "LakeCrawler",
    "LakeFormationAccess",
    "LakeTable",
    "RecrawlBehavior",
    "SchemaDeleteBehavior",
    "SchemaUpdateBehavior",
    "TableFormat",
    "database_name_for",
    "validate_glue_cron",
    "validate_projection",
]
