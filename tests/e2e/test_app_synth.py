"""app.py, run as the CDK CLI runs it, synthesizes every environment nag-clean.

The CLI (``cdk synth``/``cdk deploy``) starts ``app.py`` with the cdk.json context plus its
own keys in ``CDK_CONTEXT_JSON`` (among them ``failSynthOnValidationErrors=false``, so the
app must check the validation report itself) and the output directory in ``CDK_OUTDIR``.
CDK's built-in CloudFormation validation stays on here (the unit tests turn it off).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

# What CDK CLI 2.1148 adds to the cdk.json context (captured from a `cdk synth` run).
CLI_CONTEXT = {
    "aws:cdk:enable-path-metadata": True,
    "aws:cdk:enable-asset-metadata": True,
    "aws:cdk:version-reporting": True,
    "aws:cdk:bundling-stacks": ["**"],
    "@aws-cdk/core:failSynthOnValidationErrors": False,
}
# The four cdk-nag packs and the fifth gate, AWS Control Tower proactive controls.
PACKS = {
    "AwsSolutions",
    "HIPAA.Security",
    "NIST.800.53.R5",
    "PCI.DSS.321",
    "cdk-validator-cfnguard",
}


def run_app(outdir, context: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CDK_VALIDATION"}  # validation on
    env.update(
        CDK_CONTEXT_JSON=json.dumps(context),
        CDK_OUTDIR=str(outdir),
        CDK_CLI_ASM_VERSION="55.0.0",
        JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
    )
    return subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,  # a hang guard, not a time limit (the machine may be busy)
    )


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("cdk.out")
    cdk_json = json.loads((ROOT / "cdk.json").read_text())
    result = run_app(outdir, {**cdk_json["context"], **CLI_CONTEXT})
    return outdir, result


def test_app_exits_zero(synthesized):
    _, result = synthesized
    assert result.returncode == 0, result.stderr[-3000:]
    assert "cdk-nag" not in result.stderr


def test_validation_report_succeeds_for_every_pack(synthesized):
    outdir, _ = synthesized
    report = json.loads((outdir / "validation-report.json").read_text())
    assert {p["pluginName"] for p in report["pluginReports"]} == PACKS
    assert {p["conclusion"] for p in report["pluginReports"]} == {"success"}
    assert not any(p.get("violations") for p in report["pluginReports"])


def test_every_environment_is_in_the_assembly(synthesized):
    outdir, _ = synthesized
    manifest = json.loads((outdir / "manifest.json").read_text())
    nested = {
        name
        for name, artifact in manifest["artifacts"].items()
        if artifact["type"] == "cdk:cloud-assembly"
    }
    assert nested == {"assembly-Dev", "assembly-Prod"}
    # storage, catalog, ingestion, services per environment, dev's analytics and the prod
    # warehouse; dev also the two slot stacks of its shared datasets' tables and the shared
    # ingestion
    templates = sorted(p.name for p in outdir.glob("assembly-*/*.template.json"))
    assert len(templates) == 13, templates
    assert "DevPlatformIngestionSharedE450A1D6.template.json" in templates


def test_a_config_error_is_one_line_with_the_key_path_and_a_failure(tmp_path):
    cdk_json = json.loads((ROOT / "cdk.json").read_text())
    context = {**cdk_json["context"], **CLI_CONTEXT}
    platform = json.loads(json.dumps(context["ml-data-platform"]))
    platform["environments"]["dev"]["strem"] = platform["environments"]["dev"].pop("stream")
    result = run_app(tmp_path, {**context, "ml-data-platform": platform})
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if not line.startswith("b'")]
    assert "Traceback" not in result.stderr
    assert lines == [
        "cdk.json: ml-data-platform.environments.dev: unknown keys ['strem'] (did you mean "
        "'strem' -> 'stream'?); allowed: ['account', 'alarm_email', 'datasets', 'delivery', 'events', "
        "'lifecycle', 'region', 'removal', 'replication', 'restore', 'stream', 'video', 'warehouse']"
    ]
