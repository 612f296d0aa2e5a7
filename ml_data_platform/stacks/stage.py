"""``MlDataPlatformStage`` and ``build_platform``: what ``app.py`` and the pipeline deploy."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import aws_cdk as cdk
from constructs import Construct

from ml_data_platform.config import (
    ENV_CONTEXT_KEY,
    ConfigError,
    EnvironmentSettings,
    Removal,
    all_environments,
)
from ml_data_platform.stacks.platform import DEFAULT_OPTIONS, MlDataPlatform, PlatformOptions

LOCAL_ENVIRONMENT = "dev"


class MlDataPlatformStage(cdk.Stage):
    """One environment of the platform as a deployable unit (``cdk deploy 'Dev/**'``, or a
    CDK Pipelines stage).

    ``MlDataPlatform`` inside it applies the settings' ``removal`` (see there).

    Args:
        settings: The environment's settings.
        options: See ``PlatformOptions``. Default: regular deployments.
        env: The stage's account and region. The settings' ``account`` and ``region`` win
            where they are set; ``env`` fills in the ones they leave out; the same field set
            to different values in both is a ``ValueError``. Default: the settings' (none:
            environment-agnostic).
        **kwargs: Other ``cdk.Stage`` props (``outdir``, ``permissions_boundary``, ...).

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
        env: cdk.Environment | None = None,
        **kwargs: Any,
    ) -> None:
        settings = _with_env(settings, env)
        super().__init__(scope, construct_id, env=settings.env, **kwargs)
        self.platform = MlDataPlatform(self, "Platform", settings=settings, options=options)


def _with_env(settings: EnvironmentSettings, env: cdk.Environment | None) -> EnvironmentSettings:
    """``settings`` with the account/region of ``env`` filled in where the settings leave
    them out; a conflict is an error naming both values."""
    if env is None:
        return settings
    if not isinstance(env, cdk.Environment):
        raise TypeError(
            f"MlDataPlatformStage.env must be a cdk.Environment, got {type(env).__name__}: "
            f"{env!r:.80}"
        )
    merged = {}
    for field in ("account", "region"):
        ours, given = getattr(settings, field), getattr(env, field)
        if ours is not None and given is not None and ours != given:
            raise ValueError(
                f"MlDataPlatformStage.env: {field} {given!r} conflicts with the {field} "
                f"{ours!r} of environment {settings.name!r} in the settings; set it in one "
                "place (the settings win where they set it, env fills in what they leave out)"
            )
        merged[field] = ours if ours is not None else given
    return dataclasses.replace(settings, **merged)


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
        raise ConfigError(
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
