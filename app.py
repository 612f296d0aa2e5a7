#!/usr/bin/env python3
"""CDK app: one ``MlDataPlatformStage`` per environment in cdk.json (``-c env=NAME`` for one),
the CI/CD pipeline when configured, and every enforced cdk-nag pack attached.

The CLI synthesizes with ``failSynthOnValidationErrors=false``, so the app itself exits
non-zero when the validation report has an unacknowledged finding.
"""

import sys

import aws_cdk as cdk

from ml_data_platform.compliance import (
    ComplianceFindings,
    check_validation_report,
    enable_compliance_checks,
)
from ml_data_platform.config import CONTEXT_KEY, pipeline_settings
from ml_data_platform.stacks import PipelineStack, build_platform

app = cdk.App()
context = {CONTEXT_KEY: app.node.try_get_context(CONTEXT_KEY)}
build_platform(app, context)
pipeline = pipeline_settings(context)
if pipeline is not None:
    PipelineStack(app, "Pipeline", settings=pipeline, context=context)
enable_compliance_checks(app)
assembly = app.synth()
try:
    check_validation_report(assembly.directory)
except ComplianceFindings as findings:
    sys.exit(f"cdk-nag: {findings}")
