"""AWS service limits and sizes encoded by the constructs and the planner (named once).

Sources:
- Kinesis: https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html and
  https://docs.aws.amazon.com/kinesis/latest/APIReference/API_CreateStream.html (``StreamName``)
- Firehose: https://docs.aws.amazon.com/firehose/latest/dev/limits.html,
  https://docs.aws.amazon.com/firehose/latest/APIReference/API_BufferingHints.html and
  https://docs.aws.amazon.com/firehose/latest/APIReference/API_CreateDeliveryStream.html
  (``DeliveryStreamName``)
- S3 lifecycle: https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-transition-general-considerations.html
  and https://docs.aws.amazon.com/AmazonS3/latest/userguide/intro-lifecycle-rules.html
- Athena: https://docs.aws.amazon.com/athena/latest/ug/workgroups-setting-control-limits-cloudwatch.html
  and https://docs.aws.amazon.com/athena/latest/APIReference/API_CreateWorkGroup.html
"""

from __future__ import annotations

MIB = 1024 * 1024

# Kinesis Data Streams, per shard (write) and per stream.
KINESIS_SHARD_WRITE_BYTES_PER_SECOND = 1 * MIB
KINESIS_SHARD_WRITE_RECORDS_PER_SECOND = 1_000
KINESIS_SHARD_READ_BYTES_PER_SECOND = 2 * MIB
KINESIS_MIN_RETENTION_HOURS = 24
KINESIS_MAX_RETENTION_HOURS = 8_760
KINESIS_ON_DEMAND_INITIAL_WRITE_BYTES_PER_SECOND = 4 * MIB
KINESIS_ON_DEMAND_MAX_WRITE_BYTES_PER_SECOND = 200 * MIB
KINESIS_STREAM_NAME_MAX_LENGTH = 128
KINESIS_MAX_SHARDS_PER_STREAM = 10_000
"""The default shard limit of one stream (UpdateShardCount's TargetShardCount: "the default
limit for shard count per stream is 10000 per account per region"); the account's shard
quota, shared by all streams, is lower by default (500 or 200 by region)."""

# Amazon Data Firehose buffering hints.
FIREHOSE_MIN_BUFFER_SIZE_MIB = 1
FIREHOSE_MAX_BUFFER_SIZE_MIB = 128
FIREHOSE_DEFAULT_BUFFER_SIZE_MIB = 5
FIREHOSE_MIN_BUFFER_INTERVAL_SECONDS = 0
FIREHOSE_MAX_BUFFER_INTERVAL_SECONDS = 900
FIREHOSE_DEFAULT_BUFFER_INTERVAL_SECONDS = 300
# Record format conversion (Parquet/ORC) and dynamic partitioning need at least 64 MiB.
FIREHOSE_MIN_BUFFER_SIZE_MIB_FOR_CONVERSION = 64
DYNAMIC_PARTITIONING_MIN_BUFFER_INTERVAL_SECONDS = 60
"""Dynamic partitioning has no zero buffering; the CDK L2 and the console require ≥ 60 s."""
FIREHOSE_MAX_PREFIX_LENGTH = 512
FIREHOSE_MAX_PROCESSOR_PARAMETER_LENGTH = 5_120
"""A processor parameter's value (e.g. the jq ``MetadataExtractionQuery``) is 1–5,120 characters."""
FIREHOSE_MAX_RETRY_DURATION_SECONDS = 7_200
FIREHOSE_DEFAULT_ACTIVE_PARTITIONS = 500
FIREHOSE_DELIVERY_STREAM_NAME_MAX_LENGTH = 64

# S3 lifecycle: the number of days an object must be stored before moving to IA classes,
# rules per bucket, and newest noncurrent versions a rule can keep (NewerNoncurrentVersions).
S3_MIN_DAYS_BEFORE_IA_TRANSITION = 30
S3_MAX_LIFECYCLE_RULES = 1_000
S3_MAX_NONCURRENT_VERSIONS_TO_RETAIN = 100
S3_MAX_LIFECYCLE_DAYS = 2**31 - 1
"""Lifecycle ``Days``/``NoncurrentDays``/``DaysAfterInitiation`` are 32-bit integers
(https://docs.aws.amazon.com/AmazonS3/latest/API/API_LifecycleExpiration.html)."""

# Athena workgroups: the smallest per-query data usage control (BytesScannedCutoffPerQuery),
# and the longest name and description (CreateWorkGroup).
ATHENA_MIN_BYTES_SCANNED_CUTOFF = 10 * MIB
ATHENA_WORKGROUP_NAME_MAX_LENGTH = 128
ATHENA_WORKGROUP_DESCRIPTION_MAX_LENGTH = 1024

# Redshift Data API: the largest SQL text of one statement (ExecuteStatement's Sql, each of
# BatchExecuteStatement's Sqls): "Cannot process query string larger than 100kB".
REDSHIFT_DATA_API_MAX_SQL_BYTES = 100_000

# Glue Data Catalog: Column.Comment and TableInput.Description (CreateTable).
# https://docs.aws.amazon.com/glue/latest/webapi/API_Column.html and API_TableInput.html
GLUE_COLUMN_COMMENT_MAX_LENGTH = 255
GLUE_DESCRIPTION_MAX_LENGTH = 2_048

# CloudFormation, per stack: resources, template body uploaded through S3 (CDK always uploads),
# outputs. https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
CLOUDFORMATION_MAX_RESOURCES = 500
CLOUDFORMATION_MAX_TEMPLATE_BYTES = 1_000_000
CLOUDFORMATION_MAX_OUTPUTS = 200
