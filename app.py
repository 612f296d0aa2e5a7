#!/usr/bin/env python3
"""CDK app: the ml-data-platform stacks, with every enforced cdk-nag pack attached."""

import aws_cdk as cdk

from ml_data_platform.compliance import enable_compliance_checks
from ml_data_platform.stacks import StorageStack

app = cdk.App()
StorageStack(app, "MlDataPlatform-dev-Storage")
enable_compliance_checks(app)
app.synth()
