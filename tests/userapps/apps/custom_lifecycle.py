"""A lake with a custom lifecycle (docs/constructs/lifecycle.md, data-lake.md): model
artifacts tiered to Glacier and expired, the raw zone on a preset with an expiry."""

import aws_cdk as cdk

from ml_data_platform import (
    DataLake,
    DataLakeBucket,
    DataLakeZone,
    Lifecycle,
    LifecyclePreset,
    LifecycleRule,
    StorageClass,
    Transition,
    enable_compliance_checks,
)

app = cdk.App()
stack = cdk.Stack(app, "MlArtifacts")

models = Lifecycle(
    (
        LifecycleRule(
            "models",
            prefix="models/",
            transitions=(
                Transition(StorageClass.STANDARD_IA, 30),
                Transition(StorageClass.GLACIER, 60),
            ),
            expire_after_days=730,
        ),
        *Lifecycle.preset(LifecyclePreset.STANDARD).rules,  # the hygiene rule
    )
)
DataLakeBucket(stack, "Models", lifecycle=models)

DataLake(
    stack,
    "Lake",
    zones=(
        DataLakeZone(
            "raw",
            Lifecycle.preset(LifecyclePreset.ARCHIVE, expire_after_days=400),
            ml_readable=False,
        ),
        DataLakeZone("features", LifecyclePreset.INTELLIGENT_TIERING),
    ),
)

enable_compliance_checks(app)
app.synth()
