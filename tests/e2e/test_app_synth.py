"""app.py, run as the CDK CLI runs it (``tests.cli_app``), synthesizes every environment
nag-clean."""

from __future__ import annotations

import json

from tests.cli_app import CLI_CONTEXT, run_app
from tests.conftest import ROOT, check_acknowledgements_in_tree

# The four cdk-nag packs and the fifth gate, AWS Control Tower proactive controls.
PACKS = {
    "AwsSolutions",
    "HIPAA.Security",
    "NIST.800.53.R5",
    "PCI.DSS.321",
    "cdk-validator-cfnguard",
}


def test_app_exits_zero(cli_synth):
    assert cli_synth.result.returncode == 0, cli_synth.result.stderr[-3000:]
    assert "cdk-nag" not in cli_synth.result.stderr


def test_validation_report_succeeds_for_every_pack(cli_synth):
    report = cli_synth.json("validation-report.json")
    assert {p["pluginName"] for p in report["pluginReports"]} == PACKS
    assert {p["conclusion"] for p in report["pluginReports"]} == {"success"}
    assert not any(p.get("violations") for p in report["pluginReports"])


def test_every_acknowledgement_has_a_reason_and_sits_on_one_resource(cli_synth):
    report = cli_synth.json("validation-report.json")
    assert any(p.get("suppressedViolations") for p in report["pluginReports"])
    check_acknowledgements_in_tree(cli_synth.json("tree.json"), report)


def test_every_environment_is_in_the_assembly(cli_synth):
    outdir = cli_synth.outdir
    manifest = cli_synth.json("manifest.json")
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
