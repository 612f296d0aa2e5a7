"""Three datasets in one lake (docs/constructs/lake-delivery-stream.md, data-catalog.md,
data-lake.md): hourly JSON clicks, daily JSON orders partitioned by country (dynamic
partitioning), and Parquet features converted with the Glue table's schema."""

import aws_cdk as cdk

from ml_data_platform import (
    Column,
    DataCatalog,
    DataFormat,
    DataLake,
    Dataset,
    IngestionStream,
    KeyProjection,
    LakeDeliveryStream,
    LakeTable,
    PartitionGranularity,
    PartitionKey,
    enable_compliance_checks,
)

app = cdk.App()
stack = cdk.Stack(app, "ThreeDatasets")
lake = DataLake(stack, "Lake")
raw = lake.zone("raw")
catalog = DataCatalog(stack, "Catalog", lake=lake, database_prefix="shop")

clicks = Dataset(
    "clicks",
    columns=(Column("user_id", "string"), Column("url", "string"), Column("at", "timestamp")),
)
orders = Dataset(
    "orders",
    columns=(Column("order_id", "string"), Column("amount", "decimal(12,2)")),
    granularity=PartitionGranularity.DAY,
    partition_keys=(
        PartitionKey("country", ".country", KeyProjection.ENUM, values=("de", "fr", "us")),
    ),
)
features = Dataset(
    "features",
    columns=(Column("user_id", "string"), Column("score", "double")),
    data_format=DataFormat.PARQUET,
)

for dataset in (clicks, orders, features):
    construct_id = dataset.name.capitalize()
    table = LakeTable(
        stack,
        f"{construct_id}Table",
        database=catalog.database("raw"),
        bucket=raw.bucket,
        dataset=dataset,
    )
    stream = IngestionStream(stack, f"{construct_id}Stream", encryption_key=lake.key)
    LakeDeliveryStream(
        stack,
        f"{construct_id}ToLake",
        source_stream=stream,
        bucket=raw.bucket,
        dataset=dataset,
        parquet_table=table.table if dataset.data_format is DataFormat.PARQUET else None,
    )

enable_compliance_checks(app)
app.synth()
