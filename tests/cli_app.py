"""``app.py`` run as the CDK CLI runs it (``cdk synth``/``cdk deploy``): a subprocess with the
cdk.json context plus the CLI's own keys in ``CDK_CONTEXT_JSON`` (among them
``failSynthOnValidationErrors=false``, so the app must check the validation report itself) and
the output directory in ``CDK_OUTDIR``. CDK's built-in CloudFormation validation stays on (the
unit tests turn it off).

The run of the shipped cdk.json (every environment, the four nag packs and Control Tower's
rules: ~25 s) is done once per session, after collection and beside the rest of the suite
(``tests.early``); the ``cli_synth`` fixture in the root conftest returns it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests import early

ROOT = Path(__file__).resolve().parent.parent

# What CDK CLI 2.1148 adds to the cdk.json context (captured from a `cdk synth` run).
CLI_CONTEXT = {
    "aws:cdk:enable-path-metadata": True,
    "aws:cdk:enable-asset-metadata": True,
    "aws:cdk:version-reporting": True,
    "aws:cdk:bundling-stacks": ["**"],
    "@aws-cdk/core:failSynthOnValidationErrors": False,
}


def run_app(outdir: Path, context: dict[str, Any]) -> subprocess.CompletedProcess[str]:
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


@dataclass(frozen=True)
class CliSynth:
    """The shipped app's run: its cloud assembly and the process's outcome."""

    outdir: Path
    result: subprocess.CompletedProcess[str]

    def json(self, name: str) -> Any:
        """A JSON file of the assembly (``validation-report.json``, ``tree.json``, ...)."""
        return json.loads((self.outdir / name).read_text())


@early.start_after_collection("cli_synth")
def synthesize_shipped_app() -> CliSynth:
    outdir = early.temp_dir("cli-synth-")
    cdk_json = json.loads((ROOT / "cdk.json").read_text())
    return CliSynth(outdir, run_app(outdir, {**cdk_json["context"], **CLI_CONTEXT}))
