"""``MlDataPlatformStage`` and ``build_platform``: what ``app.py`` and the pipeline deploy."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import aws_cdk as cdk
from constructs import Construct

from ml_data_platform.config import (
    ENV_CONTEXT_KEY,
    EnvironmentSettings,
    Removal,
    all_environments,
)
from ml_data_platform.core.removal import ALLOW_DESTROY_CONTEXT
from ml_data_platform.stacks.platform import DEFAULT_OPTIONS, MlDataPlatform, PlatformOptions

LOCAL_ENVIRONMENT = "dev"


class MlDataPlatformStage(cdk.Stage):
    """One environment of the platform as a deployable unit (``cdk deploy 'Dev/**'``, or a
    CDK Pipelines stage).

    An environment whose settings say ``"removal": "destroy"`` sets the allow-destroy context
    for its stacks: that config key is the named opt-in to losing data on deletion.

    Args:
        settings: The environment's settings.
        options: See ``PlatformOptions``. Default: regular deployments.

    Attributes:
        platform: The ``MlDataPlatform``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: EnvironmentSettings,
        options: PlatformOptions = DEFAULT_OPTIONS,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, env=settings.env, **kwargs)
        if settings.removal is Removal.DESTROY:
            self.node.set_context(ALLOW_DESTROY_CONTEXT, True)
        self.platform = MlDataPlatform(self, "Platform", settings=settings, options=options)


def build_platform(
    app: cdk.App,
    context: Mapping[str, Any],
    env_names: Sequence[str] | None = None,
    *,
    for_local_emulator: bool = False,
) -> list[MlDataPlatformStage]:
    """Add one stage per environment to ``app``.

    ``env_names`` default: the ``env`` context value (``cdk synth -c env=prod``), else all.
    ``for_local_emulator`` builds the dev stage for the moto emulator: no bootstrap-version
    rule, RETAIN instead of auto-delete custom resources, no Redshift table custom resource.
    """
    environments = all_environments(context)
    if env_names is None:
        selected = app.node.try_get_context(ENV_CONTEXT_KEY)
        env_names = [selected] if selected else list(environments)
    if for_local_emulator:
        env_names = [LOCAL_ENVIRONMENT]
    unknown = sorted(set(env_names) - set(environments))
    if unknown:
        raise ValueError(
            f"-c env={unknown[0]}: no such environment; defined: {sorted(environments)}"
        )
    options = DEFAULT_OPTIONS
    stages = []
    for name in env_names:
        settings = environments[name]
        if for_local_emulator:
            settings = dataclasses.replace(settings, removal=Removal.RETAIN)
            options = PlatformOptions(
                synthesizer_factory=_local_synthesizer, create_warehouse_table=False
            )
        stages.append(
            MlDataPlatformStage(app, name.capitalize(), settings=settings, options=options)
        )
    return stages


def _local_synthesizer() -> cdk.DefaultStackSynthesizer:
    return cdk.DefaultStackSynthesizer(generate_bootstrap_version_rule=False)
