#!/usr/bin/env python3
"""CDK app: one ``MlDataPlatformStage`` per environment in cdk.json (``-c env=NAME`` for one),
the CI/CD pipeline when configured, every enforced cdk-nag pack and the AWS Control Tower
proactive controls attached.

``enable_compliance_checks`` makes ``app.synth()`` fail (exit status 1, the list of findings)
on any unacknowledged finding, also under ``cdk synth``/``cdk deploy``.
"""

import sys

import aws_cdk as cdk

from ml_data_platform.compliance import enable_compliance_checks
from ml_data_platform.compliance.control_tower import enable_control_tower_checks
from ml_data_platform.config import (
    CONTEXT_KEY,
    PIPELINE_STACK_ID,
    ConfigError,
    pipeline_settings,
)
from ml_data_platform.stacks import PipelineStack, build_platform

app = cdk.App()
context = {CONTEXT_KEY: app.node.try_get_context(CONTEXT_KEY)}
try:
    build_platform(app, context)
    pipeline = pipeline_settings(context)
except ConfigError as error:  # one line with the key path, no traceback
    sys.exit(f"cdk.json: {error}")
if pipeline is not None:
    PipelineStack(app, PIPELINE_STACK_ID, settings=pipeline, context=context)
enable_compliance_checks(app)
enable_control_tower_checks(app)  # the fifth gate: AWS Control Tower proactive controls
app.synth()
