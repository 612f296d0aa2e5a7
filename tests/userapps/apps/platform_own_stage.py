"""The whole platform from the team's own config, in the team's own ``Stage``, next to the
team's own stack holding the SageMaker role it grants (docs/constructs/platform.md,
docs/configuration.md, docs/use-in-your-cdk-app.md)."""

import aws_cdk as cdk
from aws_cdk import aws_iam as iam

from ml_data_platform import (
    MlDataPlatform,
    PlatformOptions,
    enable_compliance_checks,
    settings_from_context,
)

CONFIG = {
    "ml-data-platform": {
        "project": "recsys",
        "environments": {
            "staging": {
                "removal": "destroy",
                "datasets": [
                    {
                        "name": "impressions",
                        "granularity": "hour",
                        "columns": [
                            {"name": "user_id", "type": "string"},
                            {"name": "item_id", "type": "string"},
                            {"name": "shown_at", "type": "timestamp"},
                        ],
                    }
                ],
            },
            "prod": {
                "account": "111111111111",
                "region": "us-east-1",
                "delivery": {"buffer_size_mib": 128, "format": "parquet"},
                "warehouse": {"enabled": True},
                "datasets": [
                    {
                        "name": "impressions",
                        "granularity": "day",
                        "columns": [
                            {"name": "user_id", "type": "string"},
                            {"name": "item_id", "type": "string"},
                            {"name": "shown_at", "type": "timestamp"},
                        ],
                    }
                ],
            },
        },
    }
}


class RecsysStage(cdk.Stage):
    """The team's stage: its own stack with its SageMaker role, and the data platform."""

    def __init__(self, scope, construct_id, **kwargs):
        super().__init__(scope, construct_id, **kwargs)
        team = cdk.Stack(self, "Team")
        role = iam.Role(
            team, "Notebooks", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com")
        )
        settings = settings_from_context(CONFIG, "staging")
        self.platform = MlDataPlatform(
            self, "Platform", settings=settings, options=PlatformOptions(ml_role=role)
        )


app = cdk.App()
RecsysStage(app, "Staging", env=cdk.Environment(account="222222222222", region="eu-west-1"))
enable_compliance_checks(app)
app.synth()
