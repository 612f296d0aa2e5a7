"""`make synth` prints no CLI noise ("Supply a stack id () to display its template.", which the
pinned CLI prints for an app whose stacks live in a Stage) and still fails when the app fails.

Runs the real Makefile target with a tiny app (-a) and its own output directory (CDK_OUT), so
the repository's cdk.out is untouched.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

APP = """
import aws_cdk as cdk

app = cdk.App()
stage = cdk.Stage(app, "Dev")
for name in ("A", "B"):
    cdk.CfnWaitConditionHandle(cdk.Stack(stage, name), "Nothing")
{fail}
app.synth()
"""


def make_synth(tmp_path, fail: bool) -> subprocess.CompletedProcess:
    app = tmp_path / "app.py"
    app.write_text(APP.format(fail="raise SystemExit('app failed')" if fail else ""))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "MAKE"))}
    env["CDK_VALIDATION"] = "false"
    return subprocess.run(
        [
            "make",
            "--no-print-directory",
            "synth",
            f"CDK_OUT={tmp_path / 'out'}",
            f"CDK_ARGS=-a '{sys.executable} {app}'",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_make_synth_prints_no_stack_id_hint(tmp_path):
    result = make_synth(tmp_path, fail=False)
    assert result.returncode == 0, result.stdout + result.stderr
    output = (result.stdout + result.stderr).splitlines()
    assert not [line for line in output if line.startswith("Supply a stack id")]
    assert "Successfully synthesized" in result.stdout
    assert "synthesized: 2 templates" in result.stdout


@pytest.mark.parametrize("fail", [True])
def test_make_synth_still_fails_with_the_app(tmp_path, fail):
    result = make_synth(tmp_path, fail)
    assert result.returncode != 0
    assert "app failed" in result.stdout + result.stderr
