"""Amazon Redshift warehouse: Serverless workgroup, typed DDL, table setup, Firehose delivery."""

from ml_data_platform.warehouse.ddl import (
    DistStyle,
    RedshiftColumn,
    RedshiftTable,
    RedshiftType,
    quote_identifier,
    validate_identifier,
)
from ml_data_platform.warehouse.delivery import (
    CopyFormat,
    WarehouseDeliveryStream,
    warehouse_staging_rule,
)
from ml_data_platform.warehouse.jsonpaths import JsonPaths, JsonPathsFile
from ml_data_platform.warehouse.network import (
    FIREHOSE_REDSHIFT_CIDR_BY_REGION,
    REDSHIFT_PORT,
    firehose_cidr_for_region,
)
from ml_data_platform.warehouse.table_setup import RedshiftTableSetup
from ml_data_platform.warehouse.warehouse import (
    Warehouse,
    WarehouseEndpoint,
    deploy_time_availability_zones,
    validate_base_capacity,
)

__all__ = [
    "FIREHOSE_REDSHIFT_CIDR_BY_REGION",
    "REDSHIFT_PORT",
    "CopyFormat",
    "DistStyle",
    "JsonPaths",
    "JsonPathsFile",
    "RedshiftColumn",
    "RedshiftTable",
    "RedshiftTableSetup",
    "RedshiftType",
    "Warehouse",
    "WarehouseDeliveryStream",
    "WarehouseEndpoint",
    "deploy_time_availability_zones",
    "firehose_cidr_for_region",
    "quote_identifier",
    "validate_base_capacity",
    "validate_identifier",
    "warehouse_staging_rule",
]
