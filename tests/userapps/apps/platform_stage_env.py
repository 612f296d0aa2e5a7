"""The whole platform from the team's own config through ``MlDataPlatformStage`` with an
explicit ``env`` (docs/constructs/platform.md, docs/configuration.md): a concrete account with
the warehouse on, which must synthesize without AWS credentials, and an environment-agnostic
config that takes the account and region from ``env``."""

import aws_cdk as cdk

from ml_data_platform import (
    MlDataPlatformStage,
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


app = cdk.App()
MlDataPlatformStage(
    app,
    "Prod",
    settings=settings_from_context(CONFIG, "prod"),
    env=cdk.Environment(account="111111111111", region="us-east-1"),
)
MlDataPlatformStage(
    app,
    "Staging",
    settings=settings_from_context(CONFIG, "staging"),
    env=cdk.Environment(account="222222222222", region="eu-west-1"),
)
enable_compliance_checks(app)
app.synth()
