"""The ML team's SageMaker role reads the lake and queries it with Athena, and a second team
gets an access point to one prefix of the curated zone (docs/constructs/ml-consumer.md,
data-lake.md, athena-workgroup.md)."""

import aws_cdk as cdk
from aws_cdk import aws_iam as iam

from ml_data_platform import (
    AccessLevel,
    AthenaWorkgroup,
    DataCatalog,
    DataLake,
    MlConsumer,
    enable_compliance_checks,
)

app = cdk.App()
stack = cdk.Stack(app, "MlTeams")
lake = DataLake(stack, "Lake")
catalog = DataCatalog(stack, "Catalog", lake=lake, database_prefix="ml")
workgroup = AthenaWorkgroup(
    stack, "Queries", encryption_key=lake.key, access_logs_bucket=lake.access_logs.bucket
)

sagemaker = iam.Role(stack, "SageMaker", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
MlConsumer(stack, "MlTeam", data_lake=lake, catalog=catalog, workgroup=workgroup, role=sagemaker)

forecasting = iam.Role(
    stack, "Forecasting", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com")
)
lake.add_access_point(
    "ForecastingFeatures",
    zone="curated",
    access_point_name="forecasting-features",
    principal=forecasting,
    prefix="features/forecasting",
    access=AccessLevel.READ,
)

enable_compliance_checks(app)
app.synth()
