"""Our own synth-time rule: every Managed Service for Apache Flink application checkpoints.

cdk-nag's ``AwsSolutions-KDA3`` inspects only the deprecated ``aws_kinesisanalytics.
CfnApplicationV2`` class, so an ``AWS::KinesisAnalyticsV2::Application`` made with the current
``aws_kinesisanalyticsv2.CfnApplication`` (ours, or one a user writes) with checkpointing off
gets no finding. This policy-validation plugin reads the synthesized templates, so it also sees
escape-hatch overrides. Without checkpoints a restart replays the source from its start
position or loses state; snapshots need them too.

A Flink application passes when its ``CheckpointConfiguration`` is ``DEFAULT`` (the service's
defaults: on, every 60 s) or ``CUSTOM`` with ``CheckpointingEnabled: true``; a missing
``FlinkApplicationConfiguration`` or ``CheckpointConfiguration`` means the service default
(on) and passes too. SQL and Zeppelin (``ApplicationMode: INTERACTIVE``) applications are not
checked.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import aws_cdk as cdk
import jsii
from constructs import IConstruct

PLUGIN_NAME = "MlDataPlatformFlink"
RULE_NAME = "FlinkCheckpointingEnabled"
APPLICATION_TYPE = "AWS::KinesisAnalyticsV2::Application"
_CHECKPOINT_PATH = (
    "ApplicationConfiguration",
    "FlinkApplicationConfiguration",
    "CheckpointConfiguration",
)
_MARKER = "ml-data-platform:flink-checkpointing-check"


def checkpointing_problem(properties: dict[str, Any]) -> str | None:
    """Why an ``AWS::KinesisAnalyticsV2::Application``'s properties fail the rule, or None."""
    runtime = str(properties.get("RuntimeEnvironment", ""))
    if not runtime.startswith("FLINK-") or properties.get("ApplicationMode") == "INTERACTIVE":
        return None
    config: Any = properties
    for key in _CHECKPOINT_PATH:
        if not isinstance(config, dict) or key not in config:
            return None  # the service default: checkpointing on
        config = config[key]
    if not isinstance(config, dict):
        return None  # an unresolved intrinsic: nothing to judge at synth time
    if config.get("ConfigurationType") == "DEFAULT":
        return None
    enabled = config.get("CheckpointingEnabled")
    if enabled is True or str(enabled).lower() == "true":
        return None
    return (
        "CheckpointConfiguration is CUSTOM with CheckpointingEnabled "
        f"{enabled!r}: set it to true (or ConfigurationType DEFAULT)"
    )


@jsii.implements(cdk.IPolicyValidationPluginBeta1)
class FlinkCheckpointingCheck:
    """A CDK policy-validation plugin failing synthesis for a Flink application without
    checkpointing. ``FlinkApplication`` attaches it to the app; attach it yourself with
    :func:`require_flink_checkpointing` to check applications you build from the L1."""

    @property
    def name(self) -> str:
        """The plugin's name in validation reports (``MlDataPlatformFlink``)."""
        return PLUGIN_NAME

    @property
    def rule_ids(self) -> list[str]:
        """The one rule: ``FlinkCheckpointingEnabled``."""
        return [RULE_NAME]

    @property
    def version(self) -> str:
        """The rule's version."""
        return "1.0.0"

    def validate(
        self, context: cdk.IPolicyValidationContextBeta1
    ) -> cdk.PolicyValidationPluginReportBeta1:
        """Check every ``AWS::KinesisAnalyticsV2::Application`` in the synthesized templates."""
        violating = []
        reasons = []
        for template_path in context.template_paths:
            template = json.loads(Path(template_path).read_text())
            for logical_id, resource in template.get("Resources", {}).items():
                if resource.get("Type") != APPLICATION_TYPE:
                    continue
                problem = checkpointing_problem(resource.get("Properties", {}))
                if problem is None:
                    continue
                reasons.append(f"{logical_id}: {problem}")
                violating.append(
                    cdk.PolicyViolatingResourceBeta1(
                        locations=["/".join(("Properties", *_CHECKPOINT_PATH))],
                        resource_logical_id=logical_id,
                        template_path=template_path,
                    )
                )
        violations = []
        if violating:
            violations.append(
                cdk.PolicyViolationBeta1(
                    rule_name=RULE_NAME,
                    description=(
                        "A Managed Service for Apache Flink application has checkpointing "
                        "off (cdk-nag's KDA3 does not check aws_kinesisanalyticsv2): "
                        + "; ".join(reasons)
                    ),
                    fix=(
                        "Keep checkpointing on: FlinkApplication always enables it; in an L1 "
                        "CfnApplication set CheckpointConfiguration.CheckpointingEnabled true"
                    ),
                    violating_resources=violating,
                )
            )
        return cdk.PolicyValidationPluginReportBeta1(success=not violations, violations=violations)


def require_flink_checkpointing(scope: IConstruct) -> None:
    """Attach :class:`FlinkCheckpointingCheck` to the root App of ``scope`` (once)."""
    root = scope.node.root
    if any(entry.type == _MARKER for entry in root.node.metadata):
        return
    # a jsii-implemented IPolicyValidationPluginBeta1, which mypy cannot see
    cdk.Validations.of(root).add_plugins(
        cast(cdk.IPolicyValidationPlugin, FlinkCheckpointingCheck())
    )
    root.node.add_metadata(_MARKER, True)
